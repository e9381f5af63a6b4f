# Weekly finance reports. Written in the Airflow 1.10 style and kept working
# through 2.x: a module-level DAG object and dag=dag on every operator.
from datetime import datetime, timedelta

from airflow.models import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.dummy import DummyOperator
from airflow.operators.python import PythonOperator

args = {
    "owner": "finance",
    "depends_on_past": False,
    "retries": 1,
    "retry_delay": timedelta(minutes=10),
}

dag = DAG(
    dag_id="finance_weekly_reports",
    default_args=args,
    schedule_interval="@weekly",
    start_date=datetime(2021, 6, 7),
    catchup=True,
    max_active_runs=1,
)


def build_report(name, **_):
    print("building", name)


begin = DummyOperator(task_id="begin", dag=dag)

ledger = BashOperator(
    task_id="export_ledger",
    bash_command="scripts/export_ledger.sh {{ ds }}",
    dag=dag,
)

pnl = PythonOperator(
    task_id="profit_and_loss",
    python_callable=build_report,
    op_kwargs={"name": "pnl"},
    dag=dag,
)

balance = PythonOperator(
    task_id="balance_sheet",
    python_callable=build_report,
    op_kwargs={"name": "balance"},
    dag=dag,
)

mail = BashOperator(task_id="mail_reports", bash_command="scripts/mail.sh", dag=dag)
finish = DummyOperator(task_id="finish", dag=dag)

begin.set_downstream(ledger)
ledger.set_downstream([pnl, balance])
mail.set_upstream([pnl, balance])
finish << mail
