from airflow.models import DAG
from airflow.operators.python import PythonOperator

def f(**_):
    pass

dag = DAG(dag_id="seed_legacy", schedule_interval="@daily")
t1 = PythonOperator(task_id="t1", python_callable=f, dag=dag)
t2 = PythonOperator(task_id="t2", python_callable=f, op_kwargs={"x": t1.output}, dag=dag)
t3 = PythonOperator(task_id="t3", python_callable=f, dag=dag)
t3.set_upstream([t1, t2])
dag = DAG(dag_id="seed_legacy_2", schedule=None)
