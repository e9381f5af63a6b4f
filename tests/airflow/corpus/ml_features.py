"""Feature pipeline with nested task groups and edges in and out of them."""
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG(
    dag_id="ml_feature_store",
    schedule="0 5 * * *",
    start_date=datetime(2024, 2, 1),
    catchup=False,
    default_args={"owner": "ml", "retries": 1},
) as dag:
    with TaskGroup("features") as features:
        with TaskGroup("users") as users:
            users_raw = BashOperator(task_id="raw", bash_command="features users --raw")
            users_agg = BashOperator(task_id="aggregate", bash_command="features users --agg")
            users_raw >> users_agg
        with TaskGroup("items") as items:
            items_raw = BashOperator(task_id="raw", bash_command="features items --raw")
            items_agg = BashOperator(task_id="aggregate", bash_command="features items --agg")
            items_raw >> items_agg
        users >> items
        joined = EmptyOperator(task_id="join")
        items >> joined

    train = BashOperator(task_id="train", bash_command="ml train")
    features >> train
    users_agg >> train

    with TaskGroup("serving") as serving:
        push = BashOperator(task_id="push_online_store", bash_command="features push")
        warm = BashOperator(task_id="warm_cache", bash_command="features warm")

    train >> serving
