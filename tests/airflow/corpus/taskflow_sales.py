"""Daily sales summary with the TaskFlow API (Airflow 3)."""
import pendulum
from airflow.sdk import dag, task


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"owner": "sales-analytics", "retries": 1},
    tags=["sales"],
)
def sales_summary():
    @task
    def extract_sales() -> list[dict]:
        return [{"region": "eu", "amount": 120.0}, {"region": "us", "amount": 80.5}]

    @task
    def clean(rows: list[dict], region: str) -> list[dict]:
        return [r for r in rows if r["region"] == region]

    @task(multiple_outputs=True)
    def totals(eu: list[dict], us: list[dict], apac: list[dict]) -> dict:
        rows = eu + us + apac
        return {"count": len(rows), "amount": sum(r["amount"] for r in rows)}

    @task
    def store(count: int, amount: float) -> None:
        print(f"{count} sales, {amount:.2f} total")

    rows = extract_sales()
    eu = clean(rows, "eu")
    us = clean(rows, "us")
    apac = clean(rows, "apac")
    summary = totals(eu, us, apac)
    store(summary["count"], summary["amount"])


sales_summary()
