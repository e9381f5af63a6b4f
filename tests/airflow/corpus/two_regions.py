"""The same sync pipeline for two regions: two DAGs in one file, both bound
to the name `dag`, with the same task ids in each."""
import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator

START = pendulum.datetime(2024, 3, 1, tz="UTC")

with DAG(
    dag_id="sync_eu",
    schedule="30 1 * * *",
    start_date=START,
    catchup=False,
    default_args={"owner": "platform", "retries": 3},
) as dag:
    fetch = BashOperator(task_id="fetch", bash_command="sync fetch --region eu")
    apply_changes = BashOperator(task_id="apply", bash_command="sync apply --region eu")
    notify = EmptyOperator(task_id="notify")
    fetch >> apply_changes >> notify

with DAG(
    dag_id="sync_us",
    schedule="30 7 * * *",
    start_date=START,
    catchup=False,
    default_args={"owner": "platform", "retries": 3},
) as dag:
    fetch = BashOperator(task_id="fetch", bash_command="sync fetch --region us")
    apply_changes = BashOperator(task_id="apply", bash_command="sync apply --region us")
    audit = BashOperator(task_id="audit", bash_command="sync audit --region us")
    notify = EmptyOperator(task_id="notify")
    fetch >> apply_changes >> [audit, notify]
