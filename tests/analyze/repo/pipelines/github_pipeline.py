"""A dlt pipeline: two resources, a transformer and a source."""
import dlt
from dlt.sources.helpers import requests


@dlt.resource(name="issues", write_disposition="merge", primary_key="id")
def github_issues(repo="dlt-hub/dlt"):
    yield requests.get(f"https://api.github.com/repos/{repo}/issues").json()


@dlt.resource(write_disposition="append")
def stargazers():
    yield []


@dlt.transformer(data_from=github_issues)
def issue_comments(issue):
    yield requests.get(issue["comments_url"]).json()


@dlt.source
def github():
    return [github_issues, stargazers]


if __name__ == "__main__":
    pipeline = dlt.pipeline(pipeline_name="github_to_duckdb", destination="duckdb", dataset_name="github")
    source = github()
    info = pipeline.run(source)
    pipeline.run(issue_comments, table_name="comments")
