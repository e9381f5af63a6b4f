"""A stand-in for the few names of dagster that dpc's generated code uses.

dagster cannot be installed here (no PyPI), so tests/dagster/runtime.py
imports the generated modules against this stub: a decorator returns the
function with what it was given attached, a definition object keeps its
keyword arguments. It checks that the code runs (imports resolve, names
exist, the functions behave), not that Dagster accepts every argument: the
schema judge and docs/dagster.md cover that.
"""


class AssetKey:
    def __init__(self, path):
        self.path = list(path)

    def __eq__(self, other):
        return isinstance(other, AssetKey) and self.path == other.path

    def __hash__(self):
        return hash(tuple(self.path))

    def __repr__(self):
        return f"AssetKey({self.path!r})"


class AssetSelection:
    def __init__(self, keys):
        self.keys = keys

    @staticmethod
    def assets(*keys):
        for key in keys:
            if not isinstance(key, AssetKey):
                raise TypeError(f"not an AssetKey: {key!r}")
        return AssetSelection(list(keys))


class _Status:
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


DefaultScheduleStatus = _Status
DefaultSensorStatus = _Status


class Failure(Exception):
    pass


class _Kwargs:
    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs


class ScheduleDefinition(_Kwargs):
    pass


class MaterializeResult(_Kwargs):
    pass


class RunRequest(_Kwargs):
    pass


class SensorResult(_Kwargs):
    pass


class SkipReason(_Kwargs):
    pass


class AssetExecutionContext:
    pass


class SensorEvaluationContext:
    def __init__(self, cursor=None):
        self.cursor = cursor


def _decorator(kind):
    def factory(**kwargs):
        def wrap(fn):
            fn.dagster_kind = kind
            fn.dagster_kwargs = kwargs
            return fn

        return wrap

    return factory


asset = _decorator("asset")
sensor = _decorator("sensor")


def definitions(fn):
    fn.dagster_kind = "definitions"
    return fn


def load_from_defs_folder(*, project_root):
    return project_root
