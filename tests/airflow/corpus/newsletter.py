from datetime import datetime

from airflow.decorators import dag, task
from airflow.utils.task_group import TaskGroup


@dag(schedule="0 8 * * 4", start_date=datetime(2024, 1, 4), catchup=False, tags=["email"])
def weekly_newsletter():
    @task
    def render(segment: str) -> str:
        return f"<html>{segment}</html>"

    @task
    def send(html: str) -> None:
        print(len(html))

    @task
    def stats() -> None:
        print("collecting bounce stats")

    with TaskGroup("vip") as vip:
        send(render("vip"))
        send(render("vip_trial"))

    with TaskGroup("regular") as regular:
        send(render("regular"))

    [vip, regular] >> stats()


weekly_newsletter()
