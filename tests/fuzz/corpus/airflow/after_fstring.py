# runs after unterminated_fstring.py (smaller)
from airflow import DAG


def cb(c):
    pass


with DAG("after_fstring", on_failure_callback=cb):
    pass
