/* test_airflow.c: the Airflow DAG reader (airflow.c) on small inline DAG
 * files: DAG forms, task ids and operators, edges from every dependency
 * form, task groups, TaskFlow, mapping, labels, setup/teardown, schedules,
 * default_args, the warnings for what cannot be read statically, and inputs
 * that must not crash or run away. Each case reads one source and compares
 * the tasks and edges as one string ("a b c", "a>b b>c"), so a difference
 * shows whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "airflow.h"
#include "diag.h"
#include "util.h"
#include "check.h"

static struct py_scanner *scanner;

/* one read: the file, its DAGs and its diagnostics */
struct run {
	struct diags d;
	struct af_file f;
	char ids[4096], edges[8192], warns[4096];
};

static const char header[] =
	"from airflow import DAG\n"
	"from airflow.decorators import dag, task, task_group, setup, teardown\n"
	"from airflow.models.baseoperator import chain, chain_linear, cross_downstream\n"
	"from airflow.operators.bash import BashOperator\n"
	"from airflow.operators.empty import EmptyOperator\n"
	"from airflow.operators.python import PythonOperator, BranchPythonOperator\n"
	"from airflow.utils.edgemodifier import Label\n"
	"from airflow.utils.task_group import TaskGroup\n";
enum { HEADER_LINES = 8 };

/* read src (after the common imports when with_header) */
static void readsrc(struct run *r, const char *src, bool with_header)
{
	memset(r, 0, sizeof *r);
	char *text = xasprintf("%s%s", with_header ? header : "", src);
	size_t len = strlen(text);
	int32_t file = diag_file(&r->d, "dags/test.py", text, len);
	af_read(scanner, &r->d, file, text, len, &r->f);
	/* every warning as "line:col message", one per line */
	size_t off = 0;
	for (size_t i = 0; i < r->d.n && off < sizeof r->warns; i++) {
		unsigned line = 0, col = 0;
		diag_linecol(&r->d, r->d.v[i].loc, &line, &col);
		off += (size_t)snprintf(r->warns + off, sizeof r->warns - off, "%u:%u %s\n",
					line - (with_header ? HEADER_LINES : 0), col, r->d.v[i].msg);
	}
}

static void done(struct run *r)
{
	af_file_free(&r->f);
	diag_free(&r->d);
}

static const struct af_dag *getdag(struct run *r, const char *id)
{
	for (size_t i = 0; i < r->f.ndags; i++)
		if (strcmp(r->f.dags[i].dag_id, id) == 0)
			return &r->f.dags[i];
	return NULL;
}

static const struct af_task *gettask(const struct af_dag *g, const char *id)
{
	for (size_t i = 0; g && i < g->ntasks; i++)
		if (strcmp(g->tasks[i].id, id) == 0)
			return &g->tasks[i];
	return NULL;
}

/* the DAG's task ids in order, space-separated ("?" when no such DAG) */
static const char *ids(struct run *r, const char *dag_id)
{
	const struct af_dag *g = getdag(r, dag_id);
	if (!g)
		return "?";
	size_t off = 0;
	r->ids[0] = 0;
	for (size_t i = 0; i < g->ntasks && off < sizeof r->ids; i++)
		off += (size_t)snprintf(r->ids + off, sizeof r->ids - off, "%s%s", i ? " " : "",
					g->tasks[i].id);
	return r->ids;
}

/* the DAG's edges in order: "up>down", with "[label]" when labelled */
static const char *edges(struct run *r, const char *dag_id)
{
	const struct af_dag *g = getdag(r, dag_id);
	if (!g)
		return "?";
	size_t off = 0;
	r->edges[0] = 0;
	for (size_t i = 0; i < g->nedges && off < sizeof r->edges; i++) {
		const struct af_edge *e = &g->edges[i];
		off += (size_t)snprintf(r->edges + off, sizeof r->edges - off, "%s%s>%s%s%s%s",
					i ? " " : "", g->tasks[e->up].id, g->tasks[e->down].id,
					e->label ? "[" : "", e->label ? e->label : "",
					e->label ? "]" : "");
	}
	return r->edges;
}

static const char *dag_ids(struct run *r)
{
	size_t off = 0;
	r->ids[0] = 0;
	for (size_t i = 0; i < r->f.ndags && off < sizeof r->ids; i++)
		off += (size_t)snprintf(r->ids + off, sizeof r->ids - off, "%s%s", i ? " " : "",
					r->f.dags[i].dag_id);
	return r->ids;
}

static bool has_warning(struct run *r, const char *s)
{
	return strstr(r->warns, s) != NULL;
}

#define STR(x) ((x) ? (x) : "(null)")
#define SAME(a, b) (strcmp(STR(a), STR(b)) == 0)

/* ---- DAG forms ---- */

static void test_dag_forms(void)
{
	struct run r;
	readsrc(&r,
		"import airflow\n"
		"import airflow.models.dag\n"
		"from airflow import models\n"
		"with DAG('plain') as dag:\n"          /* 4 */
		"    a = EmptyOperator(task_id='a')\n" /* 5 */
		"with models.DAG(dag_id='by_models'):\n"
		"    EmptyOperator(task_id='b')\n"
		"with airflow.DAG('by_airflow'):\n"
		"    EmptyOperator(task_id='c')\n"
		"with airflow.models.dag.DAG('by_path'):\n"
		"    EmptyOperator(task_id='d')\n",
		true);
	CHECK(SAME(dag_ids(&r), "plain by_models by_airflow by_path"), "got '%s'", r.ids);
	const struct af_dag *g = getdag(&r, "plain");
	CHECK(g && g->line == 4 + HEADER_LINES && g->col == 6, "plain at %u:%u", g ? g->line : 0,
	      g ? g->col : 0);
	const struct af_task *t = gettask(g, "a");
	CHECK(t && SAME(t->operator, "EmptyOperator") && t->line == 5 + HEADER_LINES && t->col == 9,
	      "task a: %s at %u:%u", t ? t->operator : "-", t ? t->line : 0, t ? t->col : 0);
	CHECK(SAME(ids(&r, "by_path"), "d"), "got '%s'", r.ids);
	CHECK(r.d.n == 0, "no warnings: %s", r.warns);
	done(&r);

	/* DAG objects outside a with-block, operators given dag=; the name
	 * rebound to a second DAG: the first is no longer loaded */
	readsrc(&r,
		"dag = DAG('first')\n"
		"x = EmptyOperator(task_id='x', dag=dag)\n"
		"dag = DAG(dag_id='second')\n"
		"y = EmptyOperator(task_id='y', dag=dag)\n"
		"z = EmptyOperator(task_id='z')\n"
		"y >> z\n"
		"kept = DAG('third')\n"
		"EmptyOperator(task_id='w', dag=kept)\n",
		true);
	CHECK(SAME(dag_ids(&r), "second third"), "got '%s'", r.ids);
	CHECK(SAME(ids(&r, "second"), "y z"), "z joins y's DAG through the edge: '%s'", r.ids);
	CHECK(SAME(edges(&r, "second"), "y>z"), "got '%s'", r.edges);
	done(&r);

	/* @dag: the function's name or dag_id=, loaded only when called */
	readsrc(&r,
		"@dag(schedule='@daily')\n"
		"def etl():\n"
		"    @task\n"
		"    def one():\n"
		"        return 1\n"
		"    one()\n"
		"etl()\n"
		"@dag(dag_id='renamed')\n"
		"def other(n=2):\n"
		"    EmptyOperator(task_id=f'n{n}')\n"
		"dag_obj = other()\n"
		"@dag\n"
		"def never_called():\n"
		"    EmptyOperator(task_id='ghost')\n",
		true);
	CHECK(SAME(dag_ids(&r), "etl renamed"), "got '%s'", r.ids);
	CHECK(SAME(ids(&r, "etl"), "one"), "got '%s'", r.ids);
	CHECK(SAME(ids(&r, "renamed"), "n2"), "got '%s'", r.ids);
	g = getdag(&r, "etl");
	CHECK(g && g->line == 1 + HEADER_LINES && SAME(g->schedule, "@daily"), "etl at %u",
	      g ? g->line : 0);
	done(&r);

	/* the same variable names for two DAGs' tasks */
	readsrc(&r,
		"with DAG('eu'):\n"
		"    t1 = BashOperator(task_id='fetch', bash_command='f eu')\n"
		"    t2 = BashOperator(task_id='apply', bash_command='a eu')\n"
		"    t1 >> t2\n"
		"with DAG('us'):\n"
		"    t1 = BashOperator(task_id='fetch', bash_command='f us')\n"
		"    t2 = BashOperator(task_id='apply', bash_command='a us')\n"
		"    t3 = BashOperator(task_id='audit', bash_command='x')\n"
		"    t1 >> t2 >> t3\n",
		true);
	CHECK(SAME(edges(&r, "eu"), "fetch>apply"), "got '%s'", r.edges);
	CHECK(SAME(edges(&r, "us"), "fetch>apply apply>audit"), "got '%s'", r.edges);
	t = gettask(getdag(&r, "us"), "fetch");
	CHECK(t && SAME(t->bash_command, "f us"), "got %s", t ? STR(t->bash_command) : "-");
	done(&r);

	/* a DAG made by a helper of the file, bound through globals() */
	readsrc(&r,
		"def create(dag_id, cmd):\n"
		"    with DAG(dag_id) as d:\n"
		"        BashOperator(task_id='run', bash_command=cmd)\n"
		"    return d\n"
		"for name in ['a', 'b']:\n"
		"    globals()[f'dag_{name}'] = create(f'gen_{name}', 'echo ' + name)\n",
		true);
	CHECK(SAME(dag_ids(&r), "gen_a gen_b"), "got '%s'", r.ids);
	t = gettask(getdag(&r, "gen_b"), "run");
	CHECK(t && SAME(t->bash_command, "echo b") && t->line == 3 + HEADER_LINES, "got %s line %u",
	      t ? STR(t->bash_command) : "-", t ? t->line : 0);
	done(&r);

	/* no DAG: nothing, and no warning */
	readsrc(&r, "def helper(x):\n    return BashOperator(task_id=x, bash_command='y')\n", true);
	CHECK(r.f.ndags == 0 && r.d.n == 0, "%zu DAGs, warnings: %s", r.f.ndags, r.warns);
	done(&r);
}

/* ---- dependencies ---- */

static void test_dependencies(void)
{
	struct run r;
	readsrc(&r,
		"with DAG('deps'):\n"
		"    a, b, c, d, e = [EmptyOperator(task_id=x) for x in 'abcde']\n"
		"    a >> [b, c] >> d\n"
		"    e << d\n"
		"    [a, b] >> e\n",
		true);
	CHECK(SAME(ids(&r, "deps"), "a b c d e"), "got '%s'", r.ids);
	CHECK(SAME(edges(&r, "deps"), "a>b a>c b>d c>d d>e a>e b>e"), "got '%s'", r.edges);
	done(&r);

	readsrc(&r,
		"with DAG('methods'):\n"
		"    a, b, c, d = (EmptyOperator(task_id=x) for x in ['a', 'b', 'c', 'd'])\n"
		"    a.set_downstream(b)\n"
		"    b.set_downstream([c, d])\n"
		"    d.set_upstream(c)\n"
		"    a.set_downstream(b)\n", /* no duplicate edge */
		true);
	CHECK(SAME(edges(&r, "methods"), "a>b b>c b>d c>d"), "got '%s'", r.edges);
	done(&r);

	readsrc(&r,
		"with DAG('chains'):\n"
		"    t = {n: EmptyOperator(task_id=n) for n in ['a', 'b', 'c', 'd', 'e', 'f']}\n"
		"    chain(t['a'], [t['b'], t['c']], [t['d'], t['e']], t['f'])\n"
		"with DAG('linear'):\n"
		"    a, b, c, d = [EmptyOperator(task_id=n) for n in 'abcd']\n"
		"    chain_linear(a, [b, c], d)\n"
		"with DAG('cross'):\n"
		"    a, b, c, d = [EmptyOperator(task_id=n) for n in 'abcd']\n"
		"    cross_downstream([a, b], [c, d])\n"
		"with DAG('splat'):\n"
		"    chain(*[EmptyOperator(task_id=f's{i}') for i in range(3)])\n",
		true);
	CHECK(SAME(edges(&r, "chains"), "a>b a>c b>d c>e d>f e>f"), "got '%s'", r.edges);
	CHECK(SAME(edges(&r, "linear"), "a>b a>c b>d c>d"), "got '%s'", r.edges);
	CHECK(SAME(edges(&r, "cross"), "a>c a>d b>c b>d"), "got '%s'", r.edges);
	CHECK(SAME(edges(&r, "splat"), "s0>s1 s1>s2"), "got '%s'", r.edges);
	CHECK(r.d.n == 0, "no warnings: %s", r.warns);
	done(&r);

	/* what Airflow rejects is a warning, not an edge */
	readsrc(&r,
		"with DAG('bad'):\n"
		"    a, b, c = [EmptyOperator(task_id=n) for n in 'abc']\n"
		"    chain([a, b], [c])\n"
		"    [a] >> [b]\n",
		true);
	CHECK(SAME(edges(&r, "bad"), ""), "got '%s'", r.edges);
	CHECK(has_warning(&r, "3:19 chain() pairs adjacent lists"), "got %s", r.warns);
	CHECK(has_warning(&r, "4:12 a list cannot be shifted into a list"), "got %s", r.warns);
	done(&r);
}

/* ---- TaskFlow ---- */

static void test_taskflow(void)
{
	struct run r;
	readsrc(&r,
		"with DAG('tf'):\n"
		"    @task(multiple_outputs=True)\n"
		"    def extract():\n"
		"        return {'a': 1}\n"
		"    @task()\n"
		"    def transform(x, y=None):\n"
		"        return x\n"
		"    @task(task_id='load_it', retries=5)\n"
		"    def load(v):\n"
		"        pass\n"
		"    @task.branch\n"
		"    def pick():\n"
		"        return 'load_it'\n"
		"    @task.sensor(poke_interval=5)\n"
		"    def wait():\n"
		"        return True\n"
		"    @task.virtualenv(requirements=['pandas'])\n"
		"    def venv():\n"
		"        pass\n"
		"    @task.bash\n"
		"    def shell():\n"
		"        return 'echo hi'\n"
		"    e = extract()\n"              /* 23 */
		"    t = transform(e['a'], y=e)\n" /* 24 */
		"    load(t)\n"
		"    transform(1)\n"
		"    transform(2)\n"
		"    t2 = transform.override(task_id='custom')(t)\n"
		"    wait() >> pick() >> [venv(), shell()]\n",
		true);
	CHECK(SAME(ids(&r, "tf"), "extract transform load_it transform__1 transform__2 custom wait "
				  "pick venv shell"),
	      "got '%s'", r.ids);
	CHECK(SAME(edges(&r, "tf"), "extract>transform transform>load_it transform>custom wait>pick "
				    "pick>venv pick>shell"),
	      "got '%s'", r.edges);
	const struct af_dag *g = getdag(&r, "tf");
	const struct af_task *t = gettask(g, "extract");
	CHECK(t && SAME(t->operator, "task") && t->multiple_outputs && t->line == 23 + HEADER_LINES &&
		      SAME(t->callable, "extract") && !t->callable_module,
	      "extract: %s", t ? t->operator : "-");
	t = gettask(g, "load_it");
	CHECK(t && t->retries == 5 && SAME(t->callable, "load"), "load_it: retries %d",
	      t ? t->retries : -9);
	t = gettask(g, "pick");
	CHECK(t && t->branch && !t->sensor && SAME(t->operator, "task.branch"), "pick: %s",
	      t ? t->operator : "-");
	t = gettask(g, "wait");
	CHECK(t && t->sensor && SAME(t->operator, "task.sensor"), "wait: %s", t ? t->operator : "-");
	t = gettask(g, "venv");
	CHECK(t && SAME(t->operator, "task.virtualenv"), "venv: %s", t ? t->operator : "-");
	t = gettask(g, "shell");
	CHECK(t && SAME(t->bash_command, "echo hi"), "shell: %s", t ? STR(t->bash_command) : "-");
	CHECK(r.d.n == 0, "no warnings: %s", r.warns);
	done(&r);

	/* the other decorators, sensors and branches of classic operators */
	readsrc(&r,
		"from airflow.sensors.filesystem import FileSensor\n"
		"from airflow.providers.common.sql.operators.sql import BranchSQLOperator\n"
		"with DAG('kinds'):\n"
		"    @task.external_python(python='/venv/bin/python')\n"
		"    def ext():\n"
		"        pass\n"
		"    @task.docker(image='python:3.12')\n"
		"    def dock():\n"
		"        pass\n"
		"    @task.short_circuit\n"
		"    def gate():\n"
		"        return True\n"
		"    gate() >> ext() >> dock()\n"
		"    FileSensor(task_id='wait_file', filepath='/x')\n"
		"    BranchSQLOperator(task_id='choose', sql='select 1')\n",
		true);
	g = getdag(&r, "kinds");
	CHECK(SAME(ids(&r, "kinds"), "gate ext dock wait_file choose"), "got '%s'", r.ids);
	CHECK(SAME(edges(&r, "kinds"), "gate>ext ext>dock"), "got '%s'", r.edges);
	CHECK(gettask(g, "ext") && SAME(gettask(g, "ext")->operator, "task.external_python") &&
		      SAME(gettask(g, "dock")->operator, "task.docker") &&
		      SAME(gettask(g, "gate")->operator, "task.short_circuit") &&
		      !gettask(g, "gate")->branch,
	      "decorators");
	CHECK(gettask(g, "wait_file") && gettask(g, "wait_file")->sensor &&
		      !gettask(g, "wait_file")->branch && SAME(gettask(g, "wait_file")->operator,
							       "FileSensor"),
	      "FileSensor");
	CHECK(gettask(g, "choose") && gettask(g, "choose")->branch && !gettask(g, "choose")->sensor,
	      "BranchSQLOperator");
	done(&r);

	/* a callable from another module, made a task by calling task() */
	readsrc(&r,
		"from jobs.export import run_export\n"
		"import jobs.common as common\n"
		"with DAG('imported'):\n"
		"    task(run_export)()\n"
		"    PythonOperator(task_id='p', python_callable=common.cleanup)\n"
		"    BranchPythonOperator(task_id='b', python_callable=lambda: 'p')\n",
		true);
	g = getdag(&r, "imported");
	t = gettask(g, "run_export");
	CHECK(t && SAME(t->callable, "run_export") && SAME(t->callable_module, "jobs.export"),
	      "got %s from %s", t ? STR(t->callable) : "-", t ? STR(t->callable_module) : "-");
	t = gettask(g, "p");
	CHECK(t && SAME(t->callable, "cleanup") && SAME(t->callable_module, "jobs.common") &&
		      !t->branch,
	      "got %s from %s", t ? STR(t->callable) : "-", t ? STR(t->callable_module) : "-");
	t = gettask(g, "b");
	CHECK(t && t->branch && SAME(t->callable, "lambda: 'p'"), "got %s",
	      t ? STR(t->callable) : "-");
	done(&r);

	/* XComArgs of classic operators: .output and XComArg() */
	readsrc(&r,
		"def f(**kw):\n"
		"    pass\n"
		"with DAG('xcom'):\n"
		"    a = PythonOperator(task_id='a', python_callable=f)\n"
		"    b = PythonOperator(task_id='b', python_callable=f)\n"
		"    c = PythonOperator(task_id='c', python_callable=f,\n"
		"                       op_kwargs={'x': a.output, 'y': [b.output['k']]})\n",
		true);
	CHECK(SAME(edges(&r, "xcom"), "a>c b>c"), "got '%s'", r.edges);
	const struct af_task *c = gettask(getdag(&r, "xcom"), "c");
	CHECK(c && c->nargs == 3 && SAME(c->args[0].name, "task_id") && c->args[0].is_string &&
		      SAME(c->args[0].value, "c") && !c->args[2].is_string &&
		      SAME(c->args[1].value, "f"),
	      "args of c: %zu", c ? c->nargs : 0);
	done(&r);
}

/* ---- task groups ---- */

static void test_groups(void)
{
	struct run r;
	readsrc(&r,
		"with DAG('g'):\n"
		"    start = EmptyOperator(task_id='start')\n"
		"    with TaskGroup('outer') as outer:\n"
		"        a = EmptyOperator(task_id='a')\n"
		"        with TaskGroup(group_id='inner') as inner:\n"
		"            b = EmptyOperator(task_id='b')\n"
		"            c = EmptyOperator(task_id='c')\n"
		"            b >> c\n"
		"        a >> inner\n"
		"    with TaskGroup('flat', prefix_group_id=False) as flat:\n"
		"        f1 = EmptyOperator(task_id='f1')\n"
		"        f2 = EmptyOperator(task_id='f2')\n"
		"    end = EmptyOperator(task_id='end')\n"
		"    start >> outer >> flat >> end\n",
		true);
	CHECK(SAME(ids(&r, "g"), "start outer.a outer.inner.b outer.inner.c f1 f2 end"), "got '%s'",
	      r.ids);
	CHECK(SAME(edges(&r, "g"), "outer.inner.b>outer.inner.c outer.a>outer.inner.b start>outer.a "
				   "outer.inner.c>f1 outer.inner.c>f2 f1>end f2>end"),
	      "got '%s'", r.edges);
	const struct af_task *t = gettask(getdag(&r, "g"), "outer.inner.b");
	CHECK(t && SAME(t->group, "outer.inner"), "group %s", t ? STR(t->group) : "-");
	t = gettask(getdag(&r, "g"), "f1");
	CHECK(t && SAME(t->group, "flat"), "group %s", t ? STR(t->group) : "-");
	t = gettask(getdag(&r, "g"), "start");
	CHECK(t && !t->group, "group %s", t ? STR(t->group) : "-");
	done(&r);

	/* @task_group called twice, nested, returning a task */
	readsrc(&r,
		"with DAG('tg'):\n"
		"    @task\n"
		"    def work(x):\n"
		"        return x\n"
		"    @task_group\n"
		"    def section(n):\n"
		"        w = work(n)\n"
		"        @task_group(group_id='sub')\n"
		"        def sub():\n"
		"            work(1) >> work(2)\n"
		"        w >> sub()\n"
		"    @task_group()\n"
		"    def single():\n"
		"        return work(0)\n"
		"    end = EmptyOperator(task_id='end')\n"
		"    end >> [section(1), section(2)]\n"
		"    end >> single()\n",
		true);
	CHECK(SAME(ids(&r, "tg"), "end section.work section.sub.work section.sub.work__1 "
				  "section__1.work section__1.sub.work section__1.sub.work__1 "
				  "single.work"),
	      "got '%s'", r.ids);
	CHECK(SAME(edges(&r, "tg"), "section.sub.work>section.sub.work__1 "
				    "section.work>section.sub.work "
				    "section__1.sub.work>section__1.sub.work__1 "
				    "section__1.work>section__1.sub.work end>section.work "
				    "end>section__1.work end>single.work"),
	      "got '%s'", r.edges);
	t = gettask(getdag(&r, "tg"), "section__1.sub.work__1");
	CHECK(t && SAME(t->group, "section__1.sub"), "group %s", t ? STR(t->group) : "-");
	done(&r);

	/* leaves skip teardowns; a task given task_group= */
	readsrc(&r,
		"with DAG('td'):\n"
		"    with TaskGroup('g') as g:\n"
		"        s = EmptyOperator(task_id='create').as_setup()\n"
		"        body = EmptyOperator(task_id='body')\n"
		"        t = EmptyOperator(task_id='delete').as_teardown(setups=s)\n"
		"        s >> body >> t\n"
		"    g >> EmptyOperator(task_id='after')\n"
		"    other = TaskGroup('other')\n"
		"    EmptyOperator(task_id='x', task_group=other)\n",
		true);
	CHECK(SAME(edges(&r, "td"), "g.create>g.delete g.create>g.body g.body>g.delete g.body>after"),
	      "got '%s'", r.edges);
	t = gettask(getdag(&r, "td"), "g.create");
	CHECK(t && t->setup && !t->teardown, "create");
	t = gettask(getdag(&r, "td"), "g.delete");
	CHECK(t && t->teardown && !t->setup, "delete");
	CHECK(gettask(getdag(&r, "td"), "other.x") != NULL, "got '%s'", ids(&r, "td"));
	done(&r);
}

/* ---- mapping, labels, setup and teardown ---- */

static void test_mapping_labels(void)
{
	struct run r;
	readsrc(&r,
		"with DAG('m'):\n"
		"    @task\n"
		"    def keys():\n"
		"        return ['a']\n"
		"    @task\n"
		"    def thumb(key, size):\n"
		"        return key\n"
		"    k = keys()\n"
		"    big = thumb.partial(size=256).expand(key=k)\n"
		"    small = thumb.expand(key=[1, 2], size=[3])\n"
		"    echo = BashOperator.partial(task_id='echo').expand(bash_command=['a', 'b'])\n"
		"    copy = BashOperator.partial(task_id='copy').expand_kwargs(k.map(lambda x: x))\n"
		"    @task_group\n"
		"    def per_file(f):\n"
		"        thumb(f, 1)\n"
		"    per_file.expand(f=k)\n"
		"    plain = EmptyOperator(task_id='plain')\n",
		true);
	const struct af_dag *g = getdag(&r, "m");
	CHECK(SAME(ids(&r, "m"), "keys thumb thumb__1 echo copy per_file.thumb plain"), "got '%s'",
	      r.ids);
	CHECK(SAME(edges(&r, "m"), "keys>thumb keys>copy keys>per_file.thumb"), "got '%s'", r.edges);
	static const char *const mapped[] = {"thumb", "thumb__1", "echo", "copy", "per_file.thumb"};
	for (size_t i = 0; i < LEN(mapped); i++) {
		const struct af_task *t = gettask(g, mapped[i]);
		CHECK(t && t->mapped, "%s is mapped", mapped[i]);
	}
	CHECK(gettask(g, "plain") && !gettask(g, "plain")->mapped && !gettask(g, "keys")->mapped,
	      "plain and keys are not mapped");
	CHECK(SAME(gettask(g, "echo")->operator, "BashOperator"), "got %s", gettask(g, "echo")->operator);
	done(&r);

	readsrc(&r,
		"with DAG('l'):\n"
		"    a, b, c, d = [EmptyOperator(task_id=n) for n in 'abcd']\n"
		"    a >> Label('yes') >> b\n"
		"    c << Label('back') << b\n"
		"    a.set_downstream(d, edge_modifier=Label('direct'))\n"
		"    chain(d, [Label('x'), Label('y')], [b, c])\n",
		true);
	CHECK(SAME(ids(&r, "l"), "a b c d"), "Label is no task: '%s'", r.ids);
	CHECK(SAME(edges(&r, "l"), "a>b[yes] b>c[back] a>d[direct] d>b[x] d>c[y]"), "got '%s'",
	      r.edges);
	done(&r);

	readsrc(&r,
		"with DAG('st'):\n"
		"    @setup\n"
		"    @task\n"
		"    def make_dir():\n"
		"        return '/tmp/x'\n"
		"    @teardown\n"
		"    def remove_dir(p):\n"
		"        pass\n"
		"    p = make_dir()\n"
		"    work = EmptyOperator(task_id='work')\n"
		"    p >> work >> remove_dir(p)\n"
		"    s = EmptyOperator(task_id='s')\n"
		"    t = EmptyOperator(task_id='t')\n"
		"    with s.as_setup() >> t.as_teardown():\n"
		"        x = EmptyOperator(task_id='x')\n"
		"        y = EmptyOperator(task_id='y')\n"
		"        x >> y\n",
		true);
	g = getdag(&r, "st");
	CHECK(gettask(g, "make_dir") && gettask(g, "make_dir")->setup, "make_dir is a setup");
	CHECK(gettask(g, "remove_dir") && gettask(g, "remove_dir")->teardown &&
		      !gettask(g, "remove_dir")->setup,
	      "remove_dir is a teardown");
	CHECK(SAME(edges(&r, "st"), "make_dir>work make_dir>remove_dir work>remove_dir s>t x>y s>x "
				    "y>t"),
	      "got '%s'", r.edges);
	done(&r);
}

/* ---- schedules ---- */

static void test_schedules(void)
{
	static const struct {
		const char *expr;
		enum af_sched kind;
		const char *schedule, *cron, *datasets;
	} cases[] = {
		{"schedule='0 3 * * *'", AF_SCHED_CRON, "0 3 * * *", "0 3 * * *", ""},
		{"schedule=CRON", AF_SCHED_CRON, "15 4 * * *", "15 4 * * *", ""},
		{"schedule_interval='@daily'", AF_SCHED_PRESET, "@daily", "0 0 * * *", ""},
		{"schedule='@hourly'", AF_SCHED_PRESET, "@hourly", "0 * * * *", ""},
		{"schedule='@weekly'", AF_SCHED_PRESET, "@weekly", "0 0 * * 0", ""},
		{"schedule='@monthly'", AF_SCHED_PRESET, "@monthly", "0 0 1 * *", ""},
		{"schedule='@yearly'", AF_SCHED_PRESET, "@yearly", "0 0 1 1 *", ""},
		{"schedule='@annually'", AF_SCHED_PRESET, "@annually", "0 0 1 1 *", ""},
		{"schedule='@once'", AF_SCHED_PRESET, "@once", NULL, ""},
		{"schedule='@continuous'", AF_SCHED_PRESET, "@continuous", NULL, ""},
		{"schedule=None", AF_SCHED_NONE, NULL, NULL, ""},
		{"catchup=False", AF_SCHED_UNSET, NULL, NULL, ""},
		{"schedule=timedelta(days=1)", AF_SCHED_TIMEDELTA, "timedelta(days=1)", "0 0 * * *", ""},
		{"schedule=datetime.timedelta(hours=1)", AF_SCHED_TIMEDELTA,
		 "datetime.timedelta(hours=1)", "0 * * * *", ""},
		{"schedule=timedelta(hours=6)", AF_SCHED_TIMEDELTA, "timedelta(hours=6)", "0 */6 * * *",
		 ""},
		{"schedule=timedelta(minutes=15)", AF_SCHED_TIMEDELTA, "timedelta(minutes=15)",
		 "*/15 * * * *", ""},
		{"schedule=timedelta(minutes=90)", AF_SCHED_TIMEDELTA, "timedelta(minutes=90)", NULL, ""},
		{"schedule=[Dataset('s3://a'), Asset('b')]", AF_SCHED_DATASET,
		 "[Dataset('s3://a'), Asset('b')]", NULL, "s3://a b"},
		{"schedule=ORDERS & (Dataset('b') | Dataset('c'))", AF_SCHED_DATASET,
		 "ORDERS & (Dataset('b') | Dataset('c'))", NULL, "s3://lake/orders b c"},
		{"schedule=DatasetOrTimeSchedule(timetable=CronTriggerTimetable('0 0 * * *', "
		 "timezone='UTC'), datasets=[ORDERS])",
		 AF_SCHED_ASSET_OR_TIME,
		 "DatasetOrTimeSchedule(timetable=CronTriggerTimetable('0 0 * * *', timezone='UTC'), "
		 "datasets=[ORDERS])",
		 "0 0 * * *", "s3://lake/orders"},
		{"schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable('5 4 * * *'), "
		 "assets=[Asset('x')])",
		 AF_SCHED_ASSET_OR_TIME,
		 "AssetOrTimeSchedule(timetable=CronTriggerTimetable('5 4 * * *'), assets=[Asset('x')])",
		 "5 4 * * *", "x"},
		{"timetable=CronTriggerTimetable('0 9 * * 1-5', timezone='UTC')", AF_SCHED_OTHER,
		 "CronTriggerTimetable('0 9 * * 1-5', timezone='UTC')", "0 9 * * 1-5", ""},
	};
	for (size_t i = 0; i < LEN(cases); i++) {
		char *src = xasprintf(
			"import datetime\n"
			"from datetime import timedelta\n"
			"from airflow.datasets import Dataset\n"
			"from airflow.sdk import Asset\n"
			"from airflow.timetables.datasets import DatasetOrTimeSchedule\n"
			"from airflow.timetables.assets import AssetOrTimeSchedule\n"
			"from airflow.timetables.trigger import CronTriggerTimetable\n"
			"CRON = '15 4 * * *'\n"
			"ORDERS = Dataset('s3://lake/orders')\n"
			"with DAG('s', %s):\n"
			"    EmptyOperator(task_id='t')\n",
			cases[i].expr);
		struct run r;
		readsrc(&r, src, true);
		free(src);
		const struct af_dag *g = getdag(&r, "s");
		char ds[256] = "";
		size_t off = 0;
		for (size_t j = 0; g && j < g->ndatasets && off < sizeof ds; j++)
			off += (size_t)snprintf(ds + off, sizeof ds - off, "%s%s", j ? " " : "",
						g->datasets[j]);
		CHECK(g && g->sched_kind == cases[i].kind && SAME(g->schedule, cases[i].schedule) &&
			      SAME(g->cron, cases[i].cron) && strcmp(ds, cases[i].datasets) == 0 &&
			      r.d.n == 0,
		      "%s: kind %s schedule '%s' cron '%s' datasets '%s' warnings %s", cases[i].expr,
		      g ? af_sched_name(g->sched_kind) : "-", g ? STR(g->schedule) : "-",
		      g ? STR(g->cron) : "-", ds, r.warns);
		done(&r);
	}

	struct run r;
	readsrc(&r,
		"import os\n"
		"with DAG('bad', schedule='0 25 * * *'):\n"
		"    pass\n"
		"with DAG('env', schedule=os.environ['SCHEDULE']):\n"
		"    pass\n",
		true);
	const struct af_dag *g = getdag(&r, "bad");
	CHECK(g && g->sched_kind == AF_SCHED_CRON && !g->cron && has_warning(&r, "2:26 schedule"),
	      "warnings: %s", r.warns);
	g = getdag(&r, "env");
	CHECK(g && g->sched_kind == AF_SCHED_OTHER && !g->cron &&
		      has_warning(&r, "4:26 schedule 'os.environ['SCHEDULE']' is not readable"),
	      "warnings: %s", r.warns);
	done(&r);
}

/* ---- default_args ---- */

static void test_default_args(void)
{
	struct run r;
	readsrc(&r,
		"from datetime import datetime, timedelta\n"
		"BASE = {'owner': 'data-eng', 'retries': 2, 'retry_delay': timedelta(minutes=5)}\n"
		"default_args = {**BASE, 'start_date': datetime(2024, 1, 1)}\n"
		"with DAG('d', default_args=default_args, catchup=True) as dag:\n"
		"    a = EmptyOperator(task_id='a')\n"
		"    b = EmptyOperator(task_id='b', retries=4, retry_delay=30)\n"
		"    with TaskGroup('g', default_args={'retries': 7}):\n"
		"        c = EmptyOperator(task_id='c')\n"
		"with DAG('inline', default_args={'owner': 'me'}, start_date=datetime(2023, 5, 1)):\n"
		"    EmptyOperator(task_id='x')\n",
		true);
	const struct af_dag *g = getdag(&r, "d");
	CHECK(g && SAME(g->owner, "data-eng") && g->retries == 2 && SAME(g->retry_delay, "300") &&
		      SAME(g->start_date, "datetime(2024, 1, 1)") && g->catchup == 1,
	      "owner %s retries %d delay %s start %s catchup %d", g ? STR(g->owner) : "-",
	      g ? g->retries : -9, g ? STR(g->retry_delay) : "-", g ? STR(g->start_date) : "-",
	      g ? g->catchup : -9);
	const struct af_task *t = gettask(g, "a");
	CHECK(t && t->retries == 2 && SAME(t->retry_delay, "300"), "a: %d %s", t ? t->retries : -9,
	      t ? STR(t->retry_delay) : "-");
	t = gettask(g, "b");
	CHECK(t && t->retries == 4 && SAME(t->retry_delay, "30"), "b: %d %s", t ? t->retries : -9,
	      t ? STR(t->retry_delay) : "-");
	t = gettask(g, "g.c");
	CHECK(t && t->retries == 7, "g.c: %d", t ? t->retries : -9);
	g = getdag(&r, "inline");
	CHECK(g && SAME(g->owner, "me") && g->retries == -1 && !g->retry_delay &&
		      SAME(g->start_date, "datetime(2023, 5, 1)") && g->catchup == -1,
	      "inline");
	CHECK(r.d.n == 0, "no warnings: %s", r.warns);
	done(&r);
}

/* ---- loops, conditions, strings ---- */

static void test_unrolled(void)
{
	struct run r;
	readsrc(&r,
		"TABLES = ['orders', 'customers']\n"
		"REGIONS = {'eu': 2, 'us': 3}\n"
		"with DAG('loops'):\n"
		"    start = EmptyOperator(task_id='start')\n"
		"    for t in TABLES:\n"
		"        start >> BashOperator(task_id=f'load_{t}', bash_command='load %s' % t)\n"
		"    for i, (name, n) in enumerate(REGIONS.items()):\n"
		"        EmptyOperator(task_id='{}_{}_{}'.format(i, name, n))\n"
		"    for k in range(2):\n"
		"        if k == 0:\n"
		"            continue\n"
		"        EmptyOperator(task_id='k' + str(k))\n"
		"    if __name__ == '__main__':\n"
		"        EmptyOperator(task_id='never')\n"
		"    EmptyOperator(task_id='-'.join(TABLES).upper())\n",
		true);
	CHECK(SAME(ids(&r, "loops"), "start load_orders load_customers 0_eu_2 1_us_3 k1 "
				     "ORDERS-CUSTOMERS"),
	      "got '%s'", r.ids);
	const struct af_task *t = gettask(getdag(&r, "loops"), "load_customers");
	CHECK(t && SAME(t->bash_command, "load customers"), "got %s", t ? STR(t->bash_command) : "-");
	CHECK(r.d.n == 0, "no warnings: %s", r.warns);
	done(&r);

	readsrc(&r,
		"with DAG('many'):\n"
		"    for i in range(1500):\n"
		"        EmptyOperator(task_id=f't{i}')\n",
		true);
	const struct af_dag *g = getdag(&r, "many");
	CHECK(g && g->ntasks == 1000 && has_warning(&r, "2:14 the loop over 'range(1500)' runs more "
						      "than 1000 times"),
	      "%zu tasks, warnings %s", g ? g->ntasks : 0, r.warns);
	done(&r);
}

/* ---- what cannot be read statically ---- */

static void test_warnings(void)
{
	struct run r;
	readsrc(&r,
		"import os\n"
		"from include.factory import make_checks, TABLES\n"
		"ENV = os.environ['ENV']\n"
		"with DAG('w') as dag:\n"
		"    a = EmptyOperator(task_id=f'run_{ENV}')\n"
		"    for t in TABLES:\n"
		"        EmptyOperator(task_id=t)\n"
		"    make_checks(dag)\n"
		"    b = EmptyOperator(task_id='b')\n"
		"    c = make_checks()\n"
		"    b >> c\n"
		"    if ENV == 'prod':\n"
		"        EmptyOperator(task_id='prod_only')\n"
		"    while True:\n"
		"        EmptyOperator(task_id='w')\n"
		"    globals()['x'] = eval('1')\n"
		"    a >> b\n", /* a was reported already: nothing more */
		true);
	CHECK(SAME(ids(&r, "w"), "b prod_only"), "got '%s'", r.ids);
	static const char *const want[] = {
		"5:31 task id f'run_{ENV}' is not known statically",
		"6:14 the loop over 'TABLES' cannot be unrolled statically",
		"8:5 'make_checks' is not defined in this file",
		"11:10 'c' is not a task or task group the reader knows statically",
		"12:8 the condition 'ENV == 'prod'' is not known statically",
		"14:5 a while loop is not unrolled",
		"16:22 eval() is not read statically",
		"16:5 a name bound through globals() is not read statically",
	};
	for (size_t i = 0; i < LEN(want); i++)
		CHECK(has_warning(&r, want[i]), "'%s' in:\n%s", want[i], r.warns);
	CHECK(r.d.n == LEN(want), "%zu warnings:\n%s", r.d.n, r.warns);
	CHECK(r.d.nwarnings == r.d.n && r.d.nerrors == 0, "all warnings");
	CHECK(!r.f.parse_error, "no syntax error");
	done(&r);

	readsrc(&r,
		"with DAG('broken') as d:\n"
		"    a = EmptyOperator(task_id='a')\n"
		"    b = EmptyOperator(task_id='b'\n"
		"x = = 1\n",
		true);
	CHECK(r.f.parse_error && strstr(r.warns, "syntax error"), "warnings: %s", r.warns);
	CHECK(getdag(&r, "broken") && gettask(getdag(&r, "broken"), "a"), "still read: %s",
	      dag_ids(&r));
	done(&r);

	readsrc(&r,
		"with DAG('dup'):\n"
		"    EmptyOperator(task_id='a')\n"
		"    EmptyOperator(task_id='a')\n"
		"with DAG('dup'):\n"
		"    EmptyOperator(task_id='b')\n",
		true);
	CHECK(has_warning(&r, "3:5 task id 'a' is already used in DAG 'dup'") &&
		      has_warning(&r, "4:6 DAG id 'dup' is defined twice"),
	      "warnings: %s", r.warns);
	CHECK(r.f.ndags == 1 && SAME(ids(&r, "dup"), "b"), "the later DAG wins: %s", r.ids);
	done(&r);
}

/* ---- inputs that must stay cheap and safe ---- */

static void test_bounds(void)
{
	struct buf b = {0};
	buf_puts(&b, "x = ");
	for (int i = 0; i < 5000; i++)
		buf_putc(&b, '(');
	buf_puts(&b, "1");
	for (int i = 0; i < 5000; i++)
		buf_putc(&b, ')');
	buf_puts(&b, "\nwith DAG('deep'):\n    t0 = EmptyOperator(task_id='t0')\n    t0");
	for (int i = 1; i < 3000; i++)
		buf_printf(&b, " >> EmptyOperator(task_id='t%d')", i);
	buf_puts(&b, "\ndef rec(n):\n    return rec(n + 1)\nrec(0)\n"
		     "for i in range(1000):\n    for j in range(1000):\n        y = i * j\n");
	struct run r;
	readsrc(&r, b.data, true);
	buf_free(&b);
	const struct af_dag *g = getdag(&r, "deep");
	CHECK(g && g->ntasks == 3000 && g->nedges == 2999, "%zu tasks, %zu edges",
	      g ? g->ntasks : 0, g ? g->nedges : 0);
	CHECK(has_warning(&r, "expression nested more than"), "warnings: %s", r.warns);
	CHECK(has_warning(&r, "calls nested more than 64 deep"), "warnings: %s", r.warns);
	CHECK(has_warning(&r, "steps to read"), "warnings: %s", r.warns);
	done(&r);

	/* bytes that are not Python at all */
	static const char *const junk[] = {
		"", "\n", "(((((", "with with with", "@task\n@task\n", "DAG(", "x >> >> y",
		"f'{'", "def f(:\n  pass", "\xff\xfe\x00\x01airflow DAG", "chain(*)",
		"with DAG('a') as (x, y):\n    pass", "a, *b = 1, 2, 3", "[*x] = 1",
		"with DAG('z'):\n    EmptyOperator(**{'task_id': 'k'}) >> Label()",
	};
	for (size_t i = 0; i < LEN(junk); i++) {
		readsrc(&r, junk[i], i >= 10);
		CHECK(r.f.ndags <= 1, "'%s'", junk[i]);
		done(&r);
	}
}

/* ---- the JSON shape and the filter ---- */

static void test_json(void)
{
	struct run r;
	readsrc(&r,
		"with DAG('j', schedule='@daily', default_args={'owner': 'o', 'retries': 1}):\n"
		"    with TaskGroup('g'):\n"
		"        a = BashOperator(task_id='a', bash_command='echo')\n"
		"    b = EmptyOperator(task_id='b')\n"
		"    a >> Label('then') >> b\n",
		true);
	const struct af_dag *g = getdag(&r, "j");
	CHECK(g != NULL, "the DAG");
	if (!g) {
		done(&r);
		return;
	}
	cJSON *j = af_dag_json(g, "dags/test.py");
	char *s = cJSON_PrintUnformatted(j);
	static const char *const want[] = {
		"\"dag_id\":\"j\"", "\"file\":\"dags/test.py\"", "\"line\":9",
		"\"schedule\":\"@daily\"", "\"schedule_kind\":\"preset\"", "\"cron\":\"0 0 * * *\"",
		"\"start_date\":null", "\"catchup\":null", "\"owner\":\"o\"", "\"retries\":1",
		"\"retry_delay\":null",
		"{\"id\":\"g.a\",\"operator\":\"BashOperator\",\"line\":11,\"group\":\"g\","
		"\"mapped\":false,\"setup\":false,\"teardown\":false,\"branch\":false,"
		"\"sensor\":false,\"multiple_outputs\":false,\"retries\":1,\"retry_delay\":null,"
		"\"callable\":null,\"callable_module\":null,\"bash_command\":\"echo\"}",
		"\"edges\":[[\"g.a\",\"b\"]]", "\"labels\":[[\"g.a\",\"b\",\"then\"]]",
	};
	for (size_t i = 0; i < LEN(want); i++)
		CHECK(s && strstr(s, want[i]), "'%s' in %s", want[i], s);
	free(s);
	cJSON_Delete(j);
	done(&r);

	CHECK(af_maybe_dag("from airflow import DAG", 23), "airflow");
	CHECK(af_maybe_dag("x = DAG", 7), "DAG");
	CHECK(!af_maybe_dag("import os\nprint(1)\n", 19), "plain Python");
	CHECK(!af_maybe_dag("airflow", 6), "bounded by len");
}

int main(void)
{
	scanner = py_scanner_new();
	if (!scanner) {
		printf("airflow: the Python grammar does not load\n");
		return 1;
	}
	test_dag_forms();
	test_dependencies();
	test_taskflow();
	test_groups();
	test_mapping_labels();
	test_schedules();
	test_default_args();
	test_unrolled();
	test_warnings();
	test_bounds();
	test_json();
	py_scanner_free(scanner);
	return check_done("airflow");
}
