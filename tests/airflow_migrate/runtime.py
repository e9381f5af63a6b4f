#!/usr/bin/python3
"""runtime.py MODULE PROJECT_DIR LOG: run the assets of a migrated DAG.

MODULE is a Python module dpc generated for an Airflow DAG in stage migrated
(defs/airflow_migrated/<dag>.py), PROJECT_DIR the dpc project it came from.
dagster cannot be installed here, so the module is imported against the
stand-in of tests/dagster/stub (with RetryPolicy added, which that stub does
not need). Each asset function is called in the DAG's order; the project's
own code writes what it did to LOG (the DAG's callables and commands append a
line each). Prints one line per asset: "<task key> ok", or "<task key>
<exception class>: <message>" when it raised, then the schedule, then the
asset's retry policy, so the calling script can compare the whole.
"""

import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE.parent / "dagster" / "stub"))

import dagster as dg  # noqa: E402  (the stub)


class RetryPolicy:
    def __init__(self, max_retries=1, delay=None):
        self.max_retries = max_retries
        self.delay = delay


dg.RetryPolicy = RetryPolicy


def main(module_path, project, log):
    os.environ["DPC_PROJECT_ROOT"] = project
    os.environ["DPC_TEST_LOG"] = log
    spec = importlib.util.spec_from_file_location("migrated", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, fn in vars(module).items():
        if getattr(fn, "dagster_kind", None) != "asset":
            continue
        kw = fn.dagster_kwargs
        key = "/".join(kw["key"].path)
        deps = ",".join("/".join(d.path) for d in kw.get("deps", []))
        policy = kw.get("retry_policy")
        retry = f"retries={policy.max_retries} delay={policy.delay}" if policy else "no retries"
        try:
            fn(dg.AssetExecutionContext())
        except Exception as e:  # what the asset raised is the result
            print(f"{key} [{deps}] {retry}: {type(e).__name__}: {e}")
        else:
            print(f"{key} [{deps}] {retry}: ok")
    for name, obj in vars(module).items():
        if isinstance(obj, dg.ScheduleDefinition):
            kw = obj.kwargs
            keys = ",".join("/".join(k.path) for k in kw["target"].keys)
            print(f"schedule {kw['name']} {kw['cron_schedule']} {kw['default_status']} [{keys}]")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(*sys.argv[1:])
