# Task groups for the graph view only: prefix_group_id=False keeps the task
# ids short. A group nested in it still prefixes its own tasks.
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.utils.task_group import TaskGroup

with DAG(
    "crm_nightly_exports",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
) as dag:
    with TaskGroup("exports", prefix_group_id=False) as exports:
        contacts = BashOperator(task_id="export_contacts", bash_command="crm export contacts")
        deals = BashOperator(task_id="export_deals", bash_command="crm export deals")
        with TaskGroup("archives") as archives:
            zipped = BashOperator(task_id="zip", bash_command="crm archive --zip")
            checksum = BashOperator(task_id="checksum", bash_command="crm archive --sha256")
            zipped >> checksum
        [contacts, deals] >> archives

    upload = BashOperator(task_id="upload", bash_command="crm upload")
    exports >> upload
