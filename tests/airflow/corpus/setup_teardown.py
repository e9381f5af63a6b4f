"""Batch scoring on a short-lived Spark cluster. The cluster is a setup /
teardown pair; the report group has its own temporary directory."""
import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, TaskGroup, setup, task, teardown

with DAG(
    dag_id="spark_batch_scoring",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "ml-platform", "retries": 1},
):
    create_cluster = BashOperator(
        task_id="create_cluster",
        bash_command="gcloud dataproc clusters create scoring-{{ ds_nodash }}",
    )
    score = BashOperator(task_id="score", bash_command="spark-submit score.py --ds {{ ds }}")
    delete_cluster = BashOperator(
        task_id="delete_cluster",
        bash_command="gcloud dataproc clusters delete scoring-{{ ds_nodash }} --quiet",
    )
    create_cluster >> score >> delete_cluster.as_teardown(setups=create_cluster)

    with TaskGroup("report") as report:

        @setup
        @task
        def make_tmp_dir() -> str:
            return "/tmp/scoring-report"

        @task
        def render(path: str) -> None:
            print("rendering into", path)

        @teardown
        @task
        def remove_tmp_dir(path: str) -> None:
            print("removing", path)

        tmp = make_tmp_dir()
        render(tmp) >> remove_tmp_dir(tmp)

    publish = BashOperator(task_id="publish", bash_command="scoring publish --ds {{ ds }}")
    score >> report >> publish
