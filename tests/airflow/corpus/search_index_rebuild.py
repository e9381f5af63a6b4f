"""Weekly search index rebuild (Airflow 3). The DAG object is made first and
entered with `with dag:` afterwards."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, TaskGroup


def _swap_alias(**_):
    print("alias swapped")


dag = DAG(
    dag_id="search_index_rebuild",
    schedule="@weekly",
    start_date=datetime(2025, 1, 5),
    catchup=False,
    default_args={"owner": "search", "retries": 2},
)

with dag:
    snapshot = BashOperator(task_id="snapshot_db", bash_command="pg_dump --snapshot")
    with TaskGroup(group_id="build") as build:
        products = BashOperator(task_id="products", bash_command="index build products")
        brands = BashOperator(task_id="brands", bash_command="index build brands")
    swap = PythonOperator(task_id="swap_alias", python_callable=_swap_alias)
    done = EmptyOperator(task_id="done")
    snapshot >> build >> swap >> done
