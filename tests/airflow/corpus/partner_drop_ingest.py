"""Wait for a partner's nightly drop (several kinds of sensor), then ingest."""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.decorators import task
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.providers.http.sensors.http import HttpSensor
from airflow.sensors.base import PokeReturnValue
from airflow.sensors.external_task import ExternalTaskSensor
from airflow.sensors.filesystem import FileSensor
from airflow.sensors.time_delta import TimeDeltaSensor

with DAG(
    dag_id="partner_drop_ingest",
    schedule="15 2 * * 1-5",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"owner": "integrations", "retries": 2, "retry_delay": timedelta(minutes=2)},
) as dag:
    wait_orders = ExternalTaskSensor(
        task_id="wait_for_orders",
        external_dag_id="orders_daily",
        external_task_id="end",
        mode="reschedule",
        timeout=3600,
    )
    wait_drop = S3KeySensor(
        task_id="wait_for_drop",
        bucket_key="s3://partner-drops/{{ ds }}/manifest.json",
        poke_interval=300,
        mode="reschedule",
    )
    wait_lock = FileSensor(task_id="wait_for_lockfile", filepath="/data/partner/.ready", fs_conn_id="fs_default")
    api_up = HttpSensor(task_id="partner_api_up", http_conn_id="partner_api", endpoint="health")
    settle = TimeDeltaSensor(task_id="settle", delta=timedelta(minutes=10))

    @task.sensor(poke_interval=60, timeout=1800, mode="reschedule")
    def quota_available() -> PokeReturnValue:
        return PokeReturnValue(is_done=True, xcom_value=500)

    @task
    def ingest(quota: int) -> None:
        print("ingesting with quota", quota)

    [wait_orders, wait_drop, wait_lock] >> settle
    quota = quota_available()
    [settle, api_up] >> ingest(quota)
