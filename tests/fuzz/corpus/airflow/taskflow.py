from airflow.sdk import dag, task, task_group, chain, Label

@dag(schedule="@hourly")
def seed_taskflow():
    @task(multiple_outputs=True)
    def extract():
        return {"a": 1}

    @task.branch
    def pick(x):
        return "g.load"

    @task
    def load(v):
        pass

    @task_group
    def g(v):
        load(v)
        load(v)

    e = extract()
    chain(pick(e["a"]), [Label("yes"), Label("no")], [g(e), g(e)])
    load.partial(v=1).expand(w=[1, 2])

seed_taskflow()
