from airflow.sdk import DAG, Asset, task, setup, teardown
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

with DAG(dag_id="seed_assets", schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 1 * * *", timezone="UTC"), assets=[Asset("a") & Asset("b")])):
    @setup
    @task
    def up():
        return 1

    @teardown
    @task
    def down(x):
        pass

    @task.virtualenv(requirements=["x"])
    def work(x):
        pass

    u = up()
    work(u) >> down(u)
    work.expand_kwargs([{"x": 1}])
