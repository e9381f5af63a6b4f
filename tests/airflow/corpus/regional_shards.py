# Nested @task_group functions (Airflow 3): a region group calls a shard
# group twice, and the region group is itself called twice.
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import dag, task, task_group


@dag(
    dag_id="regional_shard_compaction",
    schedule="0 1 * * 0",
    start_date=datetime(2024, 1, 7),
    catchup=False,
)
def compaction():
    @task
    def compact(region: str, shard: int) -> int:
        return shard

    @task
    def verify(_: int) -> None:
        pass

    @task_group
    def shard(region: str, number: int):
        verify(compact(region, number))

    @task_group(tooltip="All shards of one region")
    def region(name: str):
        shard(name, 1) >> shard(name, 2)

    vacuum = BashOperator(task_id="vacuum", bash_command="psql -c 'vacuum analyze'")
    region("eu") >> region("us") >> vacuum


compaction()
