"""A DAG for the spec corpus (tests/spec/valid/airflow.yaml)."""
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator

with DAG("spec_etl", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False):
    extract = BashOperator(task_id="extract", bash_command="echo extract")
    load = BashOperator(task_id="load", bash_command="echo load")
    done = EmptyOperator(task_id="done")
    extract >> load >> done
