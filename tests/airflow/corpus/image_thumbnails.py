"""Thumbnails for newly uploaded images, with dynamic task mapping."""
from datetime import datetime

from airflow import DAG
from airflow.decorators import task
from airflow.operators.bash import BashOperator
from airflow.providers.amazon.aws.operators.s3 import S3CopyObjectOperator

with DAG(
    dag_id="image_thumbnails",
    schedule="*/30 * * * *",
    start_date=datetime(2024, 4, 1),
    catchup=False,
    max_active_tasks=16,
    default_args={"owner": "media", "retries": 2},
) as dag:

    @task
    def list_new_images() -> list[str]:
        return ["uploads/a.png", "uploads/b.png"]

    @task
    def make_thumbnail(key: str, size: int) -> str:
        return f"thumbs/{size}/{key}"

    @task
    def count(keys: list[str]) -> int:
        return len(keys)

    keys = list_new_images()
    large = make_thumbnail.partial(size=256).expand(key=keys)
    small = make_thumbnail.partial(size=64).expand(key=keys)
    count(large)

    echo = BashOperator.partial(task_id="echo_sizes", do_xcom_push=False).expand(
        bash_command=["echo 64", "echo 256"],
    )
    archive = S3CopyObjectOperator.partial(task_id="archive_originals", aws_conn_id="aws_media").expand_kwargs(
        keys.map(lambda k: {"source_bucket_key": k, "dest_bucket_key": f"archive/{k}"})
    )
    small >> echo
