"""Nightly orders: extract (Python, from the shop package), checks in a task
group, a load dpc cannot translate (SQL through a provider operator), and a
cleanup command."""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.utils.task_group import TaskGroup

from shop.orders import extract_orders, row_counts

with DAG(
    "orders_daily",
    schedule="15 2 * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"owner": "shop-data", "retries": 3, "retry_delay": timedelta(minutes=2)},
) as dag:
    extract = PythonOperator(
        task_id="extract_orders",
        python_callable=extract_orders,
        op_kwargs={"since": "yesterday"},
    )
    with TaskGroup("checks") as checks:
        counts = PythonOperator(task_id="row_counts", python_callable=row_counts)
        nulls = BashOperator(task_id="no_nulls", bash_command="echo checking nulls")
    load = SQLExecuteQueryOperator(task_id="load_orders", conn_id="dwh", sql="call load_orders()")
    cleanup = BashOperator(task_id="cleanup", bash_command="rm -f /tmp/orders_*.csv", retries=0)

    extract >> checks >> load >> cleanup
