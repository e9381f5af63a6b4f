"""Exports whose shape is only known when the file runs: the table list comes
from a project module, one task id from an Airflow Variable, another from the
environment, and the quality checks from an imported factory. None of those
tasks can be known statically; the rest of the DAG can."""
import os
from datetime import datetime

from airflow import DAG
from airflow.models import Variable
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator

from include.exports import get_export_tables
from include.quality import make_quality_checks

team = os.environ.get("EXPORT_TEAM", "core")

with DAG(
    dag_id="dynamic_exports",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"owner": "exports", "retries": 1},
) as dag:
    start = EmptyOperator(task_id="start")
    end = EmptyOperator(task_id="end")

    for table in get_export_tables(os.environ["EXPORT_PROFILE"]):
        export = BashOperator(task_id=f"export_{table}", bash_command=f"export --table {table}")
        start >> export >> end

    custom = BashOperator(task_id=Variable.get("custom_export_task_id"), bash_command="export --custom")
    start >> custom

    notify = BashOperator(task_id=f"notify_{team}", bash_command="notify exports-done")
    end >> notify

    checks = make_quality_checks(dag, tables=["orders", "customers"])
    end >> checks

    archive = BashOperator(task_id="archive", bash_command="export --archive {{ ds }}")
    end >> archive
