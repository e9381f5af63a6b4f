"""Per-region revenue roll-ups: one TaskFlow call per region in a loop over a
literal list, so the same function makes rollup, rollup__1, rollup__2."""
import pendulum
from airflow.sdk import chain_linear, cross_downstream, dag, task


@dag(
    dag_id="regional_revenue_rollups",
    schedule="45 23 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
)
def rollups():
    @task(task_id="fetch_fx_rates")
    def get_rates() -> dict:
        return {"EUR": 1.0}

    @task
    def rollup(region: str) -> float:
        return 0.0

    @task
    def combine() -> None:
        print("combined")

    @task
    def publish(target: str) -> None:
        print("publishing to", target)

    rates = get_rates()
    done = combine()
    for region in ["emea", "amer", "apac"]:
        rates >> rollup(region) >> done

    warehouse = publish("warehouse")
    sheets = publish("sheets")
    audit = publish("audit_log")
    chain_linear(done, [warehouse, sheets])
    cross_downstream([warehouse, sheets], [audit])


rollups()
