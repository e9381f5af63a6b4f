"""Schedules and a sensor of the shape dpc writes (Dagster 1.12 API)."""

from pathlib import Path

import dagster as dg

DBT_SELECTION = dg.AssetSelection.groups("staging").downstream()

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Berlin",
    target=DBT_SELECTION,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


@dg.sensor(target=DBT_SELECTION, minimum_interval_seconds=60)
def new_files(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    last = float(context.cursor) if context.cursor else 0.0
    inbox = Path("inbox")
    fresh = [p for p in inbox.glob("*.csv") if p.stat().st_mtime > last] if inbox.exists() else []
    if not fresh:
        return dg.SensorResult(skip_reason="no new files")
    newest = max(p.stat().st_mtime for p in fresh)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=str(newest))],
        cursor=str(newest),
    )
