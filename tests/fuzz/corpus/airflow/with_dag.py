from datetime import datetime, timedelta
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator

with DAG("seed_with", schedule="0 3 * * *", start_date=datetime(2024, 1, 1), catchup=False,
         default_args={"owner": "x", "retries": 2, "retry_delay": timedelta(minutes=5)}) as dag:
    a = EmptyOperator(task_id="a")
    b = BashOperator(task_id="b", bash_command="echo b", retries=1)
    c = BashOperator(task_id="c", bash_command="echo c")
    a >> [b, c]
    c << b
    b.set_downstream(c)
