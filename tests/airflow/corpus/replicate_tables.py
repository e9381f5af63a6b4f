# One copy-and-check pair per table. The table lists are literal, so the
# tasks are known without running the file.
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator

REFERENCE_TABLES = ["countries", "currencies"]

with DAG(
    dag_id="replicate_tables",
    schedule="0 0 * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"owner": "dba", "retries": 5},
) as dag:
    start = EmptyOperator(task_id="start")
    done = EmptyOperator(task_id="done")

    for table in ["orders", "customers", "payments"]:
        copy = BashOperator(task_id=f"copy_{table}", bash_command=f"replicate --table {table}")
        check = BashOperator(task_id=f"check_{table}", bash_command=f"rowcount --table {table}")
        start >> copy >> check >> done

    for name in REFERENCE_TABLES:
        ref = BashOperator(task_id="refresh_" + name, bash_command=f"replicate --reference {name}")
        start >> ref

    for schema, table in [("crm", "contacts"), ("crm", "deals"), ("hr", "people")]:
        snapshot = BashOperator(
            task_id=f"snapshot_{schema}_{table}",
            bash_command=f"snapshot {schema}.{table}",
        )
        done >> snapshot
