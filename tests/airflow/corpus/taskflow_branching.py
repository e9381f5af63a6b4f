from datetime import datetime, timedelta

from airflow.decorators import dag, task
from airflow.operators.empty import EmptyOperator


@dag(
    dag_id="support_ticket_router",
    schedule=timedelta(hours=1),
    start_date=datetime(2024, 2, 1),
    catchup=False,
    default_args={"owner": "support-tools", "retries": 0},
)
def router():
    @task
    def load_tickets() -> list[dict]:
        return []

    @task.branch
    def choose_path(tickets: list[dict]) -> str:
        if any(t.get("priority") == "urgent" for t in tickets):
            return "escalate"
        return "auto_reply"

    @task
    def escalate():
        print("paging the on-call agent")

    auto = EmptyOperator(task_id="auto_reply")
    join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")

    @task.short_circuit
    def anything_left() -> bool:
        return True

    @task
    def report():
        print("done")

    decision = choose_path(load_tickets())
    decision >> [escalate(), auto] >> join
    join >> anything_left() >> report()


router_dag = router()
