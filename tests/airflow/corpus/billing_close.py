"""Month-end billing close (Airflow 3): classic operators passing results
through .output, and dependencies written every which way."""
from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def _invoices():
    return 1200


def _credits():
    return 35


def _totals(invoices, credits):
    return invoices - credits


with DAG(
    dag_id="billing_month_close",
    schedule="0 2 1 * *",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    default_args={"owner": "billing", "retries": 1},
):
    lock = BashOperator(task_id="acquire_lock", bash_command="billing lock")
    invoices = PythonOperator(task_id="invoices", python_callable=_invoices)
    credit_notes = PythonOperator(task_id="credit_notes", python_callable=_credits)
    totals = PythonOperator(
        task_id="totals",
        python_callable=_totals,
        op_kwargs={"invoices": invoices.output, "credits": credit_notes.output},
    )
    ledger = BashOperator(task_id="post_ledger", bash_command="billing post")
    audit = BashOperator(task_id="audit_trail", bash_command="billing audit")
    unlock = BashOperator(task_id="release_lock", bash_command="billing unlock")

    [invoices, credit_notes] << lock
    ledger << totals
    ledger >> unlock << lock
    audit.set_upstream(ledger)
    audit.set_downstream([unlock])
