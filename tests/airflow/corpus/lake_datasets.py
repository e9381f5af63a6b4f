"""Data-aware scheduling with datasets (Airflow 2.9+): a producer and three
consumers, one of them on datasets or a cron, whichever comes first."""
from datetime import datetime

from airflow import DAG
from airflow.datasets import Dataset
from airflow.decorators import dag, task
from airflow.operators.bash import BashOperator
from airflow.timetables.datasets import DatasetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

orders_ds = Dataset("s3://lake/orders/")
customers_ds = Dataset("s3://lake/customers/")

with DAG("lake_producer", schedule="@hourly", start_date=datetime(2024, 1, 1), catchup=False):
    BashOperator(task_id="write_orders", bash_command="lake write orders", outlets=[orders_ds])
    BashOperator(task_id="write_customers", bash_command="lake write customers", outlets=[customers_ds])

with DAG(
    "lake_consumer_all",
    schedule=[orders_ds, customers_ds],
    start_date=datetime(2024, 1, 1),
    catchup=False,
):
    BashOperator(task_id="join_tables", bash_command="lake join orders customers")

with DAG(
    "lake_consumer_any",
    schedule=(orders_ds | customers_ds),
    start_date=datetime(2024, 1, 1),
    catchup=False,
):
    refresh = BashOperator(task_id="refresh_search", bash_command="lake reindex")
    ping = BashOperator(task_id="ping_dashboards", bash_command="lake ping")
    refresh >> ping


@dag(
    schedule=DatasetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 0 * * *", timezone="UTC"),
        datasets=(orders_ds & customers_ds),
    ),
    start_date=datetime(2024, 1, 1),
    catchup=False,
)
def lake_nightly_or_fresh():
    @task
    def snapshot() -> str:
        return "s3://lake/snapshots/latest"

    @task
    def announce(path: str) -> None:
        print("snapshot at", path)

    announce(snapshot())


lake_nightly_or_fresh()
