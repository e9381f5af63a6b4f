from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import BranchPythonOperator, PythonOperator
from airflow.utils.edgemodifier import Label
from airflow.utils.trigger_rule import TriggerRule


def _fetch(**_):
    return []


def _route(**context):
    failures = context["ti"].xcom_pull(task_ids="fetch_failed_payments")
    if not failures:
        return "give_up"
    return ["retry_card", "retry_bank"]


def _retry(kind, **_):
    print("retrying", kind)


with DAG(
    "payment_retry_router",
    schedule=timedelta(minutes=15),
    start_date=datetime(2024, 7, 1),
    catchup=False,
    default_args={"owner": "payments", "retries": 0},
) as dag:
    fetch = PythonOperator(task_id="fetch_failed_payments", python_callable=_fetch)
    route = BranchPythonOperator(task_id="route", python_callable=_route)
    retry_card = PythonOperator(task_id="retry_card", python_callable=_retry, op_args=["card"])
    retry_bank = PythonOperator(task_id="retry_bank", python_callable=_retry, op_args=["bank"])
    give_up = EmptyOperator(task_id="give_up")
    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    report = EmptyOperator(task_id="report")

    fetch >> route
    route >> Label("card declined") >> retry_card
    route >> Label("bank timeout") >> retry_bank
    route >> Label("too many attempts") >> give_up
    [retry_card, retry_bank, give_up] >> join
    report << Label("always") << join
