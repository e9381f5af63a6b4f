import os
from airflow import DAG
from airflow.models import Variable
from airflow.operators.bash import BashOperator
from helpers import tables, factory

with DAG(dag_id=os.environ.get("DAG", "seed_dyn"), schedule=timedelta(hours=1)):
    for t in tables():
        BashOperator(task_id=f"x_{t}", bash_command="x")
    BashOperator(task_id=Variable.get("id"), bash_command="y")
    factory() >> BashOperator(task_id="z", bash_command="z")
    if os.environ.get("X"):
        BashOperator(task_id="maybe", bash_command="m")
