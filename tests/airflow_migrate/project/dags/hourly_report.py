"""The hourly report: a @dag with a preset schedule, a TaskFlow task, and a
Slack operator dpc has no translation for."""
from datetime import datetime

from airflow.decorators import dag, task
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator


@dag(dag_id="hourly_report", schedule="@hourly", start_date=datetime(2024, 1, 1), catchup=True)
def hourly_report():
    @task
    def build_report():
        return 42

    start = EmptyOperator(task_id="start")
    publish = BashOperator(task_id="publish", bash_command="echo publish >> \"$DPC_TEST_LOG\"")
    alert = SlackWebhookOperator(task_id="alert", slack_webhook_conn_id="slack", message="report ready")
    start >> build_report() >> publish >> alert


hourly_report()
