"""Small maintenance DAGs, one per kind of schedule."""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.timetables.trigger import CronTriggerTimetable

START = datetime(2024, 1, 1)

with DAG("bootstrap_reference_data", schedule="@once", start_date=START):
    EmptyOperator(task_id="noop")

with DAG("manual_reindex", schedule=None, start_date=START, tags=["manual"]):
    BashOperator(task_id="reindex", bash_command="search reindex --all")

with DAG("refresh_tokens", schedule=timedelta(hours=6), start_date=START, catchup=False):
    BashOperator(task_id="refresh", bash_command="tokens refresh")

with DAG("queue_depth_probe", schedule="*/15 * * * *", start_date=START, catchup=False) as probe_dag:
    probe = BashOperator(task_id="probe", bash_command="queue depth")
    alert = BashOperator(task_id="alert_if_deep", bash_command="queue alert --above 1000")
    probe >> alert

with DAG(
    "business_days_digest",
    schedule=CronTriggerTimetable("0 9 * * 1-5", timezone="Europe/Amsterdam"),
    start_date=START,
    catchup=False,
):
    BashOperator(task_id="digest", bash_command="digest send")

with DAG("legacy_default_schedule", start_date=START, catchup=False):
    BashOperator(task_id="cleanup_tmp", bash_command="find /tmp -mtime +3 -delete")
