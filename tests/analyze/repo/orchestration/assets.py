"""Dagster assets next to the dbt project."""
import dagster as dg
from dagster import AssetIn, AssetKey, asset


@asset(group_name="ingest")
def raw_events():
    return [1, 2, 3]


@dg.asset(deps=["raw_events", AssetKey("stg_orders")])
def event_counts():
    return 3


@asset(ins={"events": AssetIn("raw_events")})
def event_summary(context, events, event_counts):
    return {"n": event_counts, "events": events}


@asset(name="orders_report", deps=[event_summary])
def build_report(dim_customers):
    return dim_customers


@dg.multi_asset(outs={"left_half": dg.AssetOut(), "right_half": dg.AssetOut()}, deps=["raw_events"])
def halves():
    return 1, 2
