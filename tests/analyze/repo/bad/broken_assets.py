from dagster import asset


@asset
def fine_asset():
    return 1


def broken(:
    return 2
