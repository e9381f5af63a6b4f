"""Shared helpers imported by the DAG files. This module mentions Airflow but
defines no DAG: the @dag function below is a template that other files call."""
from datetime import timedelta

from airflow.decorators import dag, task
from airflow.operators.bash import BashOperator

DEFAULT_ARGS = {
    "owner": "data-platform",
    "retries": 3,
    "retry_delay": timedelta(minutes=5),
}


def dbt_run(select: str, **kwargs) -> BashOperator:
    """A BashOperator running one dbt selection."""
    return BashOperator(
        task_id=f"dbt_run_{select.replace('+', '')}",
        bash_command=f"dbt run --select {select}",
        **kwargs,
    )


@dag(schedule=None, default_args=DEFAULT_ARGS)
def smoke_test_template():
    @task
    def ping() -> str:
        return "pong"

    ping()
