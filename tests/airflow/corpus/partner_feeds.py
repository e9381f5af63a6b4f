"""One ingest group per partner, made by a @task_group function called once
per partner, then a reconciliation group whose last task is its result."""
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import dag, task, task_group


@dag(
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2025, 3, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "partnerships", "retries": 3},
)
def partner_feeds():
    @task
    def download(partner: str) -> str:
        return f"/data/{partner}/feed.csv"

    @task
    def validate(path: str) -> str:
        return path

    @task
    def load(path: str) -> None:
        print("loading", path)

    @task_group
    def ingest_partner(partner: str):
        path = download(partner)
        load(validate(path))

    @task_group(group_id="reconcile")
    def reconcile_all():
        @task
        def compare() -> dict:
            return {}

        @task
        def summarize(diff: dict) -> str:
            return "ok"

        return summarize(compare())

    begin = EmptyOperator(task_id="begin")
    finish = EmptyOperator(task_id="finish")

    acme = ingest_partner("acme")
    globex = ingest_partner("globex")
    initech = ingest_partner("initech")

    begin >> [acme, globex, initech]
    [acme, globex, initech] >> reconcile_all() >> finish


partner_feeds()
