"""What the daily_etl DAG's extract task runs (imported by the DAG file)."""
import os


def extract_orders(table, limit):
    with open(os.environ["DPC_TEST_LOG"], "a") as log:
        log.write(f"extract {table} {limit}\n")
