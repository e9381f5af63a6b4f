"""Nightly orders ETL: extract from the shop database, transform in two
branches, load into the warehouse."""
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator

default_args = {
    "owner": "data-eng",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "email_on_failure": False,
}


def _extract_orders(**context):
    print("extracting orders for", context["ds"])


def _load_orders(**context):
    print("loading orders")


with DAG(
    "orders_daily",
    default_args=default_args,
    description="Orders from the shop database into the warehouse",
    schedule="0 3 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["orders", "etl"],
) as dag:
    start = EmptyOperator(task_id="start")

    extract = PythonOperator(
        task_id="extract_orders",
        python_callable=_extract_orders,
    )

    clean_lines = BashOperator(
        task_id="clean_order_lines",
        bash_command="python /opt/etl/clean.py --table order_lines --ds {{ ds }}",
    )
    clean_headers = BashOperator(
        task_id="clean_order_headers",
        bash_command="python /opt/etl/clean.py --table orders --ds {{ ds }}",
        retries=4,
    )

    load = PythonOperator(task_id="load_orders", python_callable=_load_orders)
    done = EmptyOperator(task_id="end")

    start >> extract >> [clean_lines, clean_headers] >> load >> done
