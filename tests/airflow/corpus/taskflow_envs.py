"""Model training where every step runs somewhere else: a shell, a fresh
virtualenv, an existing interpreter, a container, a pod."""
from airflow.sdk import dag, task


@dag
def ml_training():
    @task.bash
    def fetch_dataset() -> str:
        return "aws s3 sync s3://ml-datasets/churn/latest /data/churn"

    @task.virtualenv(requirements=["scikit-learn==1.5.2", "pandas>=2.2"], system_site_packages=False)
    def train(_fetched: str) -> str:
        import pandas as pd  # noqa: F401

        return "s3://ml-models/churn/candidate"

    @task.external_python(python="/opt/venvs/eval/bin/python")
    def evaluate(model_uri: str) -> dict:
        return {"auc": 0.91, "model": model_uri}

    @task.docker(image="ghcr.io/acme/model-card:1.4", auto_remove="success")
    def model_card(metrics: dict) -> None:
        print(metrics)

    @task.kubernetes(image="python:3.12-slim", namespace="ml", in_cluster=True)
    def promote(model_uri: str, metrics: dict) -> None:
        if metrics["auc"] > 0.9:
            print("promoting", model_uri)

    model = train(fetch_dataset())
    metrics = evaluate(model)
    model_card(metrics)
    promote(model, metrics)


ml_training()
