from airflow import DAG
from airflow.utils.task_group import TaskGroup
from airflow.operators.empty import EmptyOperator
from airflow.models.baseoperator import chain_linear, cross_downstream

with DAG("seed_groups", schedule=[Dataset("s3://a") | Dataset("s3://b")]) as dag:
    s = EmptyOperator(task_id="s")
    with TaskGroup("outer", prefix_group_id=False) as outer:
        with TaskGroup("inner") as inner:
            x = EmptyOperator(task_id="x")
            y = EmptyOperator(task_id="y").as_teardown(setups=x)
        z = EmptyOperator(task_id="z")
        inner >> z
    for name in ["p", "q"]:
        t = EmptyOperator(task_id=f"t_{name}")
        s >> t >> outer
    chain_linear(s, [x, z], outer)
    cross_downstream([s], [z])
