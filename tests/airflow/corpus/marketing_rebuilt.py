# Marketing attribution. The v1 DAG object below is overwritten by v2 before
# the module finishes importing: only a DAG still bound to a module-level
# name (or made in a `with` block or by @dag) is loaded by Airflow, so v1's
# tasks are never scheduled. Left in place on purpose until the cut-over.
from datetime import datetime

from airflow.models import DAG
from airflow.operators.bash import BashOperator

dag = DAG(
    "marketing_attribution_v1",
    schedule="@daily",
    start_date=datetime(2023, 1, 1),
    catchup=False,
)
collect_v1 = BashOperator(task_id="collect_clicks", bash_command="attrib collect", dag=dag)
model_v1 = BashOperator(task_id="fit_model", bash_command="attrib fit --v1", dag=dag)
collect_v1 >> model_v1

dag = DAG(
    "marketing_attribution_v2",
    schedule="0 5 * * *",
    start_date=datetime(2024, 6, 1),
    catchup=False,
)
collect = BashOperator(task_id="collect_clicks", bash_command="attrib collect", dag=dag)
sessions = BashOperator(task_id="build_sessions", bash_command="attrib sessions", dag=dag)
model = BashOperator(task_id="fit_model", bash_command="attrib fit --v2", dag=dag)
publish = BashOperator(task_id="publish_weights", bash_command="attrib publish", dag=dag)
collect >> sessions >> model >> publish
