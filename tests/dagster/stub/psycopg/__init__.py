"""A stand-in for psycopg in tests/dagster/runtime.py: connect() is replaced
by each test with a function returning a DB-API connection."""


def connect(*args, **kwargs):
    raise RuntimeError("psycopg stub: the test did not provide a connection")
