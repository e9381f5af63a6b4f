"""Search cache warm-up (Airflow 3): chain() over tasks, labels, TaskFlow
results and a task group."""
import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Label, TaskGroup, chain, task

with DAG(
    dag_id="search_cache_warmup",
    schedule="10,40 * * * *",
    start_date=pendulum.datetime(2025, 2, 1, tz="UTC"),
    catchup=False,
    tags=["search"],
):

    @task.branch
    def check_cache_age() -> str:
        return "use_cache"

    @task
    def use_cache() -> None:
        print("cache is fresh")

    @task
    def rebuild() -> None:
        print("rebuilding cache")

    @task(trigger_rule="none_failed_min_one_success")
    def notify() -> None:
        print("warm-up finished")

    with TaskGroup("warm") as warm:
        top_queries = BashOperator(task_id="top_queries", bash_command="warm --top 1000")
        facets = BashOperator(task_id="facets", bash_command="warm --facets")
        suggest = BashOperator(task_id="suggest", bash_command="warm --suggest")
        [top_queries, facets] >> suggest

    chain(
        check_cache_age(),
        [Label("fresh"), Label("stale")],
        [use_cache(), rebuild()],
        warm,
        notify(),
    )
