"""A DAG the airflow_* cases name, so that each is rejected for its own reason."""
from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("etl", schedule="0 3 * * *"):
    BashOperator(task_id="extract", bash_command="echo extract") >> BashOperator(task_id="load", bash_command="echo load")
