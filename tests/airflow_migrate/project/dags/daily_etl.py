"""The nightly load: a PythonOperator with a callable from a module, a task
group, bash, an operator dpc has no translation for, retries."""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from airflow.providers.postgres.operators.postgres import PostgresOperator
from airflow.utils.task_group import TaskGroup

from etl.extract import extract_orders
from etl.transform import clean_orders

default_args = {"owner": "data", "retries": 2, "retry_delay": timedelta(minutes=5)}

with DAG(
    "daily_etl",
    schedule="0 3 * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args=default_args,
) as dag:
    extract = PythonOperator(
        task_id="extract",
        python_callable=extract_orders,
        op_kwargs={"table": "orders", "limit": 100},
    )
    with TaskGroup("transform") as transform:
        clean = PythonOperator(task_id="clean", python_callable=clean_orders, retries=4)
        dedupe = BashOperator(
            task_id="dedupe",
            bash_command="echo dedupe >> \"$DPC_TEST_LOG\"",
            retry_delay=timedelta(seconds=30),
        )
        clean >> dedupe
    load = PostgresOperator(task_id="load", sql="insert into orders select * from staging", postgres_conn_id="dwh")
    notify = BashOperator(task_id="notify", bash_command="echo notify >> \"$DPC_TEST_LOG\"", retries=0)

    extract >> transform >> load >> notify
