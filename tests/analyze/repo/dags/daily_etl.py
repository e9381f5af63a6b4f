"""The nightly load: extract, load and a transform group."""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

default_args = {"owner": "data", "retries": 2, "retry_delay": timedelta(minutes=5)}

with DAG(
    dag_id="daily_etl",
    schedule="0 3 * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args=default_args,
) as dag:
    start = EmptyOperator(task_id="start")
    extract = BashOperator(task_id="extract", bash_command="python extract.py")
    with TaskGroup(group_id="transform") as transform:
        clean = BashOperator(task_id="clean", bash_command="dbt run -s staging")
        marts = BashOperator(task_id="marts", bash_command="dbt run -s marts")
        clean >> marts
    done = EmptyOperator(task_id="done")
    start >> extract >> transform >> done
