# Hourly inventory roll-up across warehouses, wired with Airflow's chain
# helpers instead of bit-shift operators.
from datetime import datetime

from airflow import DAG
from airflow.models.baseoperator import chain, chain_linear, cross_downstream
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator

with DAG(
    "inventory_rollup",
    schedule="@hourly",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"owner": "supply-chain", "retries": 1},
):
    begin = EmptyOperator(task_id="begin")
    pull_north = BashOperator(task_id="pull_north", bash_command="inv pull --site north")
    pull_south = BashOperator(task_id="pull_south", bash_command="inv pull --site south")
    stage_north = BashOperator(task_id="stage_north", bash_command="inv stage --site north")
    stage_south = BashOperator(task_id="stage_south", bash_command="inv stage --site south")
    merge = BashOperator(task_id="merge", bash_command="inv merge")

    # begin -> both pulls; each pull -> its own stage; both stages -> merge
    chain(begin, [pull_north, pull_south], [stage_north, stage_south], merge)

    index_sku = BashOperator(task_id="index_sku", bash_command="inv index sku")
    index_site = BashOperator(task_id="index_site", bash_command="inv index site")
    index_date = BashOperator(task_id="index_date", bash_command="inv index date")
    vacuum_full = BashOperator(task_id="vacuum_full", bash_command="inv vacuum --full")
    vacuum_analyze = BashOperator(task_id="vacuum_analyze", bash_command="inv vacuum --analyze")

    # every index after merge, and every vacuum after every index
    chain_linear(merge, [index_sku, index_site, index_date], [vacuum_full, vacuum_analyze])

    report_stock = BashOperator(task_id="report_stock", bash_command="inv report stock")
    report_turnover = BashOperator(task_id="report_turnover", bash_command="inv report turnover")
    cross_downstream(from_tasks=[vacuum_full, vacuum_analyze], to_tasks=[report_stock, report_turnover])
