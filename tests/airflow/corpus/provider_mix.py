"""Nightly ELT through several providers: Kubernetes, S3 to Redshift, SQL,
a short-circuit, a downstream DAG trigger and a Slack message."""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.python import ShortCircuitOperator
from airflow.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator

default_args = {
    "owner": "elt",
    "retries": 3,
    "retry_delay": timedelta(minutes=10),
}

dag = DAG(
    dag_id="nightly_elt",
    default_args=default_args,
    schedule="0 1 * * *",
    start_date=datetime(2024, 8, 1),
    catchup=False,
)

extract = KubernetesPodOperator(
    task_id="extract_app_db",
    name="extract-app-db",
    namespace="elt",
    image="ghcr.io/acme/extractor:3.2",
    arguments=["--since", "{{ data_interval_start }}"],
    get_logs=True,
    dag=dag,
)

copy_events = S3ToRedshiftOperator(
    task_id="copy_events",
    s3_bucket="acme-elt",
    s3_key="events/{{ ds }}/",
    schema="raw",
    table="events",
    copy_options=["FORMAT AS PARQUET"],
    dag=dag,
)

build_marts = SQLExecuteQueryOperator(
    task_id="build_marts",
    conn_id="redshift",
    sql="sql/build_marts.sql",
    dag=dag,
)


def _is_month_end(**context):
    return context["data_interval_end"].day == 1


month_end = ShortCircuitOperator(task_id="is_month_end", python_callable=_is_month_end, dag=dag)
trigger_finance = TriggerDagRunOperator(
    task_id="trigger_finance_close",
    trigger_dag_id="billing_month_close",
    wait_for_completion=False,
    dag=dag,
)
announce = SlackWebhookOperator(
    task_id="announce",
    slack_webhook_conn_id="slack_data",
    message="Nightly ELT finished for {{ ds }}",
    dag=dag,
)

extract >> copy_events >> build_marts
build_marts >> month_end >> trigger_finance
build_marts >> announce
