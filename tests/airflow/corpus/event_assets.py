"""Asset-driven event pipeline (Airflow 3)."""
import pendulum
from airflow.sdk import DAG, Asset, dag, task
from airflow.providers.standard.operators.bash import BashOperator
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

raw_events = Asset("s3://events/raw/")
sessions = Asset(uri="postgres://warehouse/analytics/sessions", name="sessions")
backfill = Asset("s3://events/backfill/")


@dag(schedule="@hourly", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False)
def events_producer():
    @task(outlets=[raw_events])
    def land_events() -> None:
        print("landing events")

    land_events()


@dag(schedule=[raw_events], start_date=pendulum.datetime(2025, 1, 1, tz="UTC"))
def sessionize():
    @task(outlets=[sessions])
    def build_sessions() -> None:
        pass

    @task
    def vacuum() -> None:
        pass

    build_sessions() >> vacuum()


events_producer()
sessionize()

with DAG(
    dag_id="daily_kpis",
    schedule=(raw_events & sessions) | backfill,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
):
    kpis = BashOperator(task_id="compute_kpis", bash_command="kpi compute")
    export = BashOperator(task_id="export_kpis", bash_command="kpi export")
    kpis >> export

with DAG(
    dag_id="kpi_refresh",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 4 * * *", timezone="UTC"),
        assets=[sessions],
    ),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
):
    BashOperator(task_id="refresh", bash_command="kpi refresh")
