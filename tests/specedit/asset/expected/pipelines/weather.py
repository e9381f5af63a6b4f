"""weather: Daily weather from the API

Dagster runs weather() when the asset materializes: it loads this file by its
path and passes the asset's context when the function takes an argument.
What it returns is the asset's value (a dagster.MaterializeResult records
metadata). It runs after stg_orders and raw_orders.
"""


def weather(context):
    context.log.info("weather: nothing to do yet")
