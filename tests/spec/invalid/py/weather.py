"""Fetch the day's weather (a test fixture: dpc reads it, never runs it)."""
import json


def fetch_weather(context):
    return json.dumps({"city": "Lisbon"})


async def score_feedback(context):
    return None
