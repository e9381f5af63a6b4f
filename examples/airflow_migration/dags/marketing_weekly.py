"""The weekly marketing digest: a @dag with a preset schedule, TaskFlow tasks
and an e-mail operator."""
from datetime import datetime

from airflow.decorators import dag, task
from airflow.operators.email import EmailOperator


@dag(dag_id="marketing_weekly", schedule="@weekly", start_date=datetime(2024, 1, 1), catchup=False)
def marketing_weekly():
    @task
    def top_products():
        return ["Mug", "Poster"]

    @task
    def render_digest(products):
        return ", ".join(products)

    send = EmailOperator(task_id="send_digest", to="team@shop.example", subject="Weekly digest", html_content="...")
    render_digest(top_products()) >> send


marketing_weekly()
