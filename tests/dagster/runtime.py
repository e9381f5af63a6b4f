#!/usr/bin/python3
"""runtime.py DAGSTER_DIR PROJECT_DIR: run the Python dpc generated.

DAGSTER_DIR is the dg project dpc built from tests/dagster/project (its
data/dagster), PROJECT_DIR the project (pipeline.yaml's folder). dagster and
psycopg cannot be installed here, so the modules are imported against the
stand-ins in stub/ (see stub/dagster/__init__.py), and the databases and the
embedding providers are played by SQLite, a recording connection and an HTTP
server on 127.0.0.1. What this proves: every generated module imports, the
asset finds the user's file from where it is generated and calls its
function, a sensor moves its cursor as rows arrive (comparing numbers as
numbers), the embedding code speaks each provider's HTTP API, retries, checks
the dimensions, and upserts batch after batch.

Prints "ok NAME" per check and "runtime: N passed, M failed"; exits 1 on a
failure.
"""

import http.server
import importlib.util
import json
import os
import sqlite3
import sys
import threading
import traceback
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE / "stub"))

import dagster as dg  # noqa: E402  (the stub)
import psycopg  # noqa: E402  (the stub)

passed = failed = 0


def check(name, fn):
    global passed, failed
    try:
        fn()
    except Exception:
        failed += 1
        print(f"FAIL {name}")
        print("     " + traceback.format_exc().replace("\n", "\n     "))
    else:
        passed += 1
        if os.environ.get("VERBOSE"):
            print(f"ok   {name}")


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    if len(sys.argv) != 3:
        print("usage: runtime.py DAGSTER_DIR PROJECT_DIR", file=sys.stderr)
        sys.exit(2)
    dgdir, project = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    pkg = dgdir / "src" / "bookshop"
    defs = pkg / "defs"
    modules = {}

    def imports():
        for name in ("definitions", "defs/assets", "defs/embeddings", "defs/schedules", "defs/sensors"):
            modules[name] = load(pkg / f"{name}.py", "generated_" + name.replace("/", "_"))

    check("every generated module imports", imports)
    if len(modules) != 5:
        return

    def definitions():
        root = modules["definitions"].defs()
        assert Path(root).resolve() == dgdir, f"project_root is {root}, not {dgdir}"
        assert (Path(root) / "pyproject.toml").is_file()

    check("definitions: project_root is the dg project", definitions)

    assets = modules["defs/assets"]

    def root():
        assert assets._ROOT == project, f"_ROOT is {assets._ROOT}, not {project}"

    check("assets: _ROOT is the spec's project root", root)

    def call():
        assert assets.asset_review_digest(None) == {"books": []}

    check("assets: calls a function that takes no context", call)

    def deps():
        got = assets.asset_review_digest.dagster_kwargs["deps"]
        want = [dg.AssetKey(k) for k in (["app", "review_vectors"], ["fx_rates"], ["stg_books"], ["stg_orders"])]
        assert got == want, got

    check("assets: deps see through the ephemeral model", deps)

    def missing():
        try:
            assets._call(None, "pipelines/nope.py", "f")
        except (FileNotFoundError, ImportError):
            return
        raise AssertionError("a missing file was not reported")

    check("assets: a missing file fails the asset", missing)

    sensors_check(modules["defs/sensors"])
    embeddings_check(modules["defs/embeddings"])


class SQLiteAsPostgres:
    """A DB-API connection to SQLite with psycopg's %s placeholders and the
    schemas the sensors name."""

    def __init__(self, db):
        self.db = db

    def cursor(self):
        conn = self.db

        class Cursor:
            def execute(self, sql, params=()):
                self.cur = conn.execute(sql.replace("%s", "?"), params)

            def fetchone(self):
                return self.cur.fetchone()

        return Cursor()

    def close(self):
        pass


def sensors_check(sensors):
    db = sqlite3.connect(":memory:")
    db.execute("attach ':memory:' as public")
    db.execute("attach ':memory:' as export")
    db.execute('create table public.reviews (id integer primary key, body text)')
    db.execute('create table export.orders (order_id integer, _loaded_at text)')
    os.environ.pop("SUPABASE_DB_URL", None)
    psycopg.connect = lambda *a, **k: SQLiteAsPostgres(db)
    ctx = dg.SensorEvaluationContext

    def no_env():
        try:
            sensors.sensor_new_reviews(ctx(None))
        except RuntimeError as err:
            assert "SUPABASE_DB_URL" in str(err)
            return
        raise AssertionError("no error without SUPABASE_DB_URL")

    check("sensors: a missing connection variable is named", no_env)
    os.environ["SUPABASE_DB_URL"] = "postgresql://stub"
    for name in ("WAREHOUSE_HOST", "WAREHOUSE_USER", "WAREHOUSE_PASSWORD"):
        os.environ[name] = "stub"

    def empty():
        got = sensors.sensor_new_reviews(ctx(None))
        assert isinstance(got, dg.SkipReason), got

    check("sensors: an empty table skips", empty)

    def cursor():
        db.executemany("insert into public.reviews values (?, 'x')", [(1,), (2,), (3,)])
        got = sensors.sensor_new_reviews(ctx(None))
        assert isinstance(got, dg.SensorResult), got
        assert got.kwargs["cursor"] == "3", got.kwargs
        assert got.kwargs["run_requests"][0].kwargs["run_key"] == "new_reviews:3"
        assert isinstance(sensors.sensor_new_reviews(ctx("3")), dg.SkipReason)
        db.execute("insert into public.reviews values (10, 'y')")
        got = sensors.sensor_new_reviews(ctx("3"))  # 10 > 3 as numbers, not text
        assert got.kwargs["cursor"] == "10", got.kwargs

    check("sensors: the cursor moves with new rows", cursor)

    def source():
        db.execute("insert into export.orders values (1, '2024-06-01 10:00:00')")
        got = sensors.sensor_new_orders(ctx("2024-05-31 00:00:00"))
        assert got.kwargs["cursor"] == "2024-06-01 10:00:00", got.kwargs
        assert isinstance(sensors.sensor_new_orders(ctx("2024-06-01 10:00:00")), dg.SkipReason)

    check("sensors: a source table in the warehouse", source)

    def skipped():
        assert not hasattr(sensors, "sensor_new_customers")

    check("sensors: one that runs nothing is left out", skipped)


class Provider(http.server.BaseHTTPRequestHandler):
    """Plays OpenAI's and Ollama's embedding endpoints; fails the first
    request when told to, to see the retry."""

    seen = []
    fail_next = 0
    dims = 4

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Provider.seen.append((self.path, self.headers.get("Authorization"), body))
        if Provider.fail_next:
            Provider.fail_next -= 1
            self.send_response(503)
            self.end_headers()
            return
        vectors = [[float(i + 1)] * Provider.dims for i in range(len(body["input"]))]
        if self.path == "/api/embed":
            reply = {"embeddings": vectors}
        else:  # out of order on purpose: the client sorts by index
            reply = {"data": [{"index": i, "embedding": v} for i, v in reversed(list(enumerate(vectors)))]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Recorder:
    """A psycopg connection that answers the embedding queries from a script."""

    def __init__(self, batches):
        self.batches = list(batches)
        self.upserts = []
        self.commits = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def commit(self):
        self.commits += 1

    def cursor(self):
        rec = self

        class Cursor:
            rowcount = 0

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def execute(self, sql, params=None):
                self.sql, self.params = sql, params
                if "delete from" in sql:
                    self.rowcount = 1

            def fetchall(self):
                assert self.params["limit"] == 64 and self.params["prefix"] == "text-embedding-3-small:"
                return rec.batches.pop(0) if rec.batches else []

            def executemany(self, sql, rows):
                assert "on conflict" in sql
                rec.upserts.extend(rows)

        return Cursor()


def embeddings_check(emb):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    emb.time.sleep = lambda s: None
    os.environ["OPENAI_API_KEY"] = "test-key"
    openai = replace(emb._review_vectors, url=url + "/v1", dimensions=4)
    ollama = replace(emb._review_vectors_local, url=url + "/", dimensions=4)

    def openai_api():
        Provider.seen.clear()
        got = emb._embed(openai, ["a", "b", "c"])
        assert got == [[1.0] * 4, [2.0] * 4, [3.0] * 4], got
        path, auth, body = Provider.seen[0]
        assert path == "/v1/embeddings" and auth == "Bearer test-key", (path, auth)
        assert body == {"model": "text-embedding-3-small", "input": ["a", "b", "c"]}, body

    check("embeddings: OpenAI's API, vectors in input order", openai_api)

    def ollama_api():
        Provider.seen.clear()
        assert len(emb._embed(ollama, ["a"])) == 1
        path, auth, body = Provider.seen[0]
        assert path == "/api/embed" and auth is None and body["model"] == "nomic-embed-text", Provider.seen

    check("embeddings: Ollama's API, no key", ollama_api)

    def retry():
        Provider.seen.clear()
        Provider.fail_next = 1
        assert len(emb._embed(openai, ["a"])) == 1 and len(Provider.seen) == 2

    check("embeddings: a 503 is retried", retry)

    def dimensions():
        try:
            emb._embed(replace(openai, dimensions=5), ["a"])
        except dg.Failure as err:
            assert "4 dimensions" in str(err), err
            return
        raise AssertionError("a vector of the wrong size was accepted")

    check("embeddings: a vector of the wrong size fails", dimensions)

    def vector():
        assert emb._vector([1, 2.5, -0.125]) == "[1.0,2.5,-0.125]"

    check("embeddings: pgvector's text form", vector)

    def sync():
        conn = Recorder([[(1, "good", "h1"), (2, "bad", "h2")], [(3, "meh", "h3")]])
        emb.psycopg.connect = lambda conninfo: conn
        os.environ["SUPABASE_DB_URL"] = "postgresql://stub"
        spec = replace(emb._review_vectors, url=url + "/v1", dimensions=4)

        class Log:
            def info(self, msg):
                pass

        class Ctx:
            log = Log()

        result = emb._sync(Ctx(), spec)
        assert [(k, h) for k, _, h in conn.upserts] == [(1, "h1"), (2, "h2"), (3, "h3")], conn.upserts
        assert conn.upserts[1][1] == "[2.0,2.0,2.0,2.0]", conn.upserts[1]
        assert result.kwargs["metadata"] == {"embedded": 3, "batches": 2, "removed": 1}, result.kwargs
        assert conn.commits == 3, conn.commits  # the delete, then each batch

    check("embeddings: batches are upserted until none is left", sync)
    server.shutdown()


main()
print(f"runtime: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
