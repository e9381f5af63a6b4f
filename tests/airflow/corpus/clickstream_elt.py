"""Clickstream ELT, the team's main DAG: a sensor, a scratch schema that is
always dropped, mapped loads, a @task_group, a branch with labelled edges,
and a task group that fans out notifications."""
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.decorators import task, task_group
from airflow.models.baseoperator import chain
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.utils.edgemodifier import Label
from airflow.utils.task_group import TaskGroup

default_args = {
    "owner": "clickstream",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
}

with DAG(
    dag_id="clickstream_elt",
    default_args=default_args,
    schedule="20 * * * *",
    start_date=pendulum.datetime(2024, 6, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["clickstream", "elt"],
) as dag:
    wait = S3KeySensor(
        task_id="wait_for_hour",
        bucket_key="s3://clicks/{{ ts_nodash }}/_SUCCESS",
        mode="reschedule",
    )
    create_scratch = BashOperator(
        task_id="create_scratch_schema",
        bash_command="sql 'create schema scratch_{{ ts_nodash }}'",
    )
    drop_scratch = BashOperator(
        task_id="drop_scratch_schema",
        bash_command="sql 'drop schema scratch_{{ ts_nodash }} cascade'",
    )

    @task
    def list_partitions() -> list[str]:
        return ["p0", "p1", "p2"]

    @task
    def load_partition(partition: str) -> int:
        return 0

    @task
    def total(counts) -> int:
        return sum(counts)

    partitions = list_partitions()
    counts = load_partition.expand(partition=partitions)
    rows = total(counts)

    @task_group
    def sessionize(n_rows: int):
        @task
        def stitch(n: int) -> int:
            return n

        @task
        def attribute(n: int) -> int:
            return n

        attribute(stitch(n_rows))

    @task.branch
    def pick_publish(n_rows: int) -> str:
        return "publish.full" if n_rows > 0 else "skip_publish"

    with TaskGroup("publish") as publish:
        full = BashOperator(task_id="full", bash_command="clicks publish --full")

        @task
        def notify_channel(channel: str, text: str) -> None:
            print(channel, text)

        notes = notify_channel.expand_kwargs(
            [{"channel": "#data", "text": "published"}, {"channel": "#growth", "text": "fresh clicks"}]
        )
        full >> notes

    skip = EmptyOperator(task_id="skip_publish")
    end = EmptyOperator(task_id="end", trigger_rule="none_failed_min_one_success")

    chain(wait, create_scratch, partitions)
    decision = pick_publish(rows)
    sessionize(rows) >> decision
    decision >> Label("rows loaded") >> publish
    decision >> Label("nothing new") >> skip
    [publish, skip] >> end
    end >> drop_scratch.as_teardown(setups=create_scratch)
