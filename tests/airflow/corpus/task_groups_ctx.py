"""Warehouse refresh every four hours: ingest, transform (with a nested
group of dimensions), quality checks, publish."""
import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG(
    dag_id="warehouse_refresh",
    schedule="0 */4 * * *",
    start_date=pendulum.datetime(2024, 5, 1, tz="Europe/Berlin"),
    catchup=False,
    default_args={"owner": "analytics-eng", "retries": 2},
) as dag:
    start = EmptyOperator(task_id="start")

    with TaskGroup("ingest", tooltip="Land raw files from the source systems") as ingest:
        pull_crm = BashOperator(task_id="pull_crm", bash_command="ingest crm")
        pull_erp = BashOperator(task_id="pull_erp", bash_command="ingest erp")
        land = BashOperator(task_id="land", bash_command="ingest land --all")
        [pull_crm, pull_erp] >> land

    with TaskGroup(group_id="transform") as transform:
        with TaskGroup("dims") as dims:
            customers = BashOperator(task_id="customers", bash_command="dbt run -s dim_customers")
            products = BashOperator(task_id="products", bash_command="dbt run -s dim_products")
        facts = BashOperator(task_id="facts", bash_command="dbt run -s fct_orders")
        dims >> facts

    with TaskGroup("quality") as quality:
        row_counts = BashOperator(task_id="row_counts", bash_command="dq rowcounts")
        freshness = BashOperator(task_id="freshness", bash_command="dq freshness")

    publish = EmptyOperator(task_id="publish")

    start >> ingest >> transform >> quality >> publish
