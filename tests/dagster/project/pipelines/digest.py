"""The weekly digest (dpc's Dagster test fixture): takes no context."""


def build_digest():
    return {"books": []}
