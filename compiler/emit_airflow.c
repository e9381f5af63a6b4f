/* emit_airflow.c: the Airflow back end. The DAGs of airflow: (the graph's
 * N_AIRFLOW_DAG and N_AIRFLOW_TASK nodes) → files inside the dg project
 * emit_dagster.c writes (<dg> is data/dagster by default, <pkg> its package):
 *
 *   <dg>/src/<pkg>/defs/airflow/defs.yaml
 *       one dagster_airlift.core.components.AirflowInstanceComponent: the
 *       instance (basic auth, every value from the environment), and the
 *       mappings of the DAGs in stages observe and proxy: each task to its
 *       asset (a spec with the task's upstream assets as deps, or, once
 *       Dagster runs it, a reference by key); a whole-DAG proxy maps the
 *       DAG to all its assets. Written while any DAG is not migrated.
 *   <dg>/proxied_state/<dag_id>.yaml
 *       what dagster-airlift's load_proxied_state_from_yaml reads in
 *       Airflow: `tasks: [{id, proxied}]`, or `proxied: true` for a whole
 *       DAG. Stages peer, observe and proxy.
 *   <dg>/src/<pkg>/defs/airflow/<dag>/assets.py   (stage proxy)
 *   <dg>/src/<pkg>/defs/airflow_migrated/<dag>.py (stage migrated)
 *       one @dg.asset per task Dagster runs, with the DAG's edges as deps,
 *       its retries as a RetryPolicy, and what the task ran: a callable
 *       imported from its module, a bash command, or, for an operator dpc
 *       has no translation for, a NotImplementedError. A migrated DAG also
 *       gets its schedule as a ScheduleDefinition (stopped: see below).
 *       Under defs/airflow/ the assets are loaded by the component (it maps
 *       what its subfolders define); a migrated DAG needs no Airflow.
 *
 * A task's asset key is airflow/<dag>/<task>, the ids made Python names, in
 * every stage, so an asset keeps its history from observe to migrated. The
 * forms come from dagster-airlift's sources (see docs/airflow.md). */
#include <stdlib.h>
#include <string.h>

#include "airflow.h"
#include "emit.h"
#include "migrate.h"

/* ---- how a task is carried over ---- */

static const struct af_arg *
argof(const struct af_task *t, const char *name)
{
	for (size_t i = 0; i < t->nargs; i++)
		if (strcmp(t->args[i].name, name) == 0)
			return &t->args[i];
	return NULL;
}

static void
note(struct aft *a, char *s)
{
	a->notes = xreallocarray(a->notes, a->nnotes + 1, sizeof(*a->notes));
	a->notes[a->nnotes++] = s;
}

/* Is text a Python literal made of strings, numbers, True, False, None and
 * brackets, so that it means the same in any module? (an f-string, a name
 * or a call is not) */
static bool
literal(const char *s)
{
	for (const char *p = s; *p;) {
		char c = *p;
		if (c == '#') {
			while (*p && *p != '\n')
				p++;
		} else if (c == '\'' || c == '"') {
			bool triple = p[1] == c && p[2] == c;
			size_t q = triple ? 3 : 1;
			p += q;
			for (;;) {
				if (!*p)
					return false;
				if (*p == '\\' && p[1]) {
					p += 2;
					continue;
				}
				if (*p == c && (!triple || (p[1] == c && p[2] == c))) {
					p += q;
					break;
				}
				if (!triple && *p == '\n')
					return false;
				p++;
			}
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
			const char *w = p;
			while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			       *p == '_')
				p++;
			size_t n = (size_t)(p - w);
			bool prefix = (*p == '\'' || *p == '"') && n <= 2 && strcspn(w, "fF") >= n;
			if (prefix) /* r"...", b'...': the string follows */
				continue;
			if (!((n == 4 && memcmp(w, "True", 4) == 0) || (n == 5 && memcmp(w, "False", 5) == 0) ||
			      (n == 4 && memcmp(w, "None", 4) == 0)))
				return false;
		} else if ((c >= '0' && c <= '9') || strchr("[](){},:.+- \t\r\n", c)) {
			p++;
		} else {
			return false;
		}
	}
	return true;
}

/* a number of seconds as Python writes one: digits, at most one '.' */
static bool
seconds(const char *s)
{
	size_t dots = 0, digits = 0;
	for (; *s; s++) {
		if (*s == '.')
			dots++;
		else if (*s >= '0' && *s <= '9')
			digits++;
		else
			return false;
	}
	return digits && dots <= 1;
}

/* task arguments that change how Airflow runs a task and that no asset here
 * carries, with what a person should know */
static const struct {
	const char *arg, *what;
} dropped[] = {
	{"trigger_rule", "trigger_rule: Dagster runs an asset only after its upstream assets succeed"},
	{"depends_on_past", "depends_on_past: Dagster does not wait for the previous run of the asset"},
	{"execution_timeout", "execution_timeout is not carried over"},
	{"pool", "pool: use Dagster's concurrency pools (op tags) instead"},
	{"sla", "sla is not carried over"},
	{"on_failure_callback", "on_failure_callback: use a Dagster run failure sensor"},
	{"on_success_callback", "on_success_callback is not carried over"},
	{"on_retry_callback", "on_retry_callback is not carried over"},
	{"queue", "queue is not carried over"},
	{"templates_dict", "templates_dict (Airflow templates) is not carried over"},
	{"env", "env: the command runs with Dagster's environment"},
	{"cwd", "cwd: the command runs in Dagster's working folder"},
	{"append_env", "append_env is not carried over"},
	{"skip_on_exit_code", "skip_on_exit_code: any non-zero exit fails the asset"},
};

/* the operator's class without its module ("airflow.operators.bash.BashOperator") */
static const char *
opname(const char *op)
{
	if (strncmp(op, "task", 4) == 0 && (op[4] == '\0' || op[4] == '.'))
		return op;
	const char *dot = strrchr(op, '.');
	return dot ? dot + 1 : op;
}

static void
python(struct aft *a, const struct af_task *t)
{
	a->function = t->callable;
	a->module = t->callable_module;
	if (!t->callable) {
		a->why = xstrdup("its python_callable is not a plain name dpc can import");
		return;
	}
	if (a->module && a->module[0] == '.') {
		a->why = xasprintf("its callable comes from a relative import (%s)", a->module);
		return;
	}
	const char *what[] = {"op_args", "op_kwargs"};
	const char **dst[] = {&a->args, &a->kwargs};
	for (int i = 0; i < 2; i++) {
		const struct af_arg *g = argof(t, what[i]);
		if (!g)
			continue;
		if (g->is_string || !literal(g->value)) {
			a->why = xasprintf("its %s is not a literal (%s)", what[i], g->value);
			return;
		}
		*dst[i] = g->value;
	}
	a->kind = AFT_PYTHON;
	if (!a->module)
		note(a, xasprintf("%s is defined in the DAG file: the asset imports that file, and Airflow with "
				  "it; move the function into a module of its own", t->callable));
	if (strncmp(a->operator, "task", 4) == 0)
		note(a, xasprintf("%s is called with no arguments: what it got from upstream tasks (XCom) "
				  "is not passed", t->callable));
	if (argof(t, "provide_context"))
		note(a, xstrdup("provide_context: the callable gets no Airflow context"));
}

static void
bash(struct aft *a, const struct af_task *t)
{
	const struct af_arg *g = argof(t, "bash_command");
	if (!t->bash_command || (g && !g->is_string)) {
		a->why = xasprintf("its bash_command is not a string literal (%s)", g ? g->value : "?");
		return;
	}
	if (strstr(t->bash_command, "{{") || strstr(t->bash_command, "{%")) {
		a->why = xstrdup("its bash_command uses Airflow templates ({{ ... }})");
		return;
	}
	a->kind = AFT_BASH;
	a->command = t->bash_command;
	size_t n = strlen(a->command);
	while (n && (a->command[n - 1] == ' ' || a->command[n - 1] == '\n'))
		n--;
	a->script = n > 3 && memcmp(a->command + n - 3, ".sh", 3) == 0 && !strpbrk(a->command, " \t\n;|&");
	if (a->script)
		note(a, xasprintf("%s is a script Airflow renders as a template; the asset runs it as it is",
				  a->command));
}

void
aft_classify(const struct node *task, struct aft *a)
{
	const struct af_task *t = task->aftask;
	const struct af_dag *dag = task->afdag;
	*a = (struct aft){.kind = AFT_NONE, .operator = opname(t->operator)};
	const char *op = a->operator;
	if (t->mapped)
		a->why = xstrdup("it is mapped (.expand): Dagster has no task mapping; use a partitioned or "
				 "dynamic asset");
	else if (t->branch)
		a->why = xstrdup("it branches: it picks which downstream tasks run, which an asset cannot");
	else if (t->sensor)
		a->why = xstrdup("it is a sensor: write a Dagster sensor that requests this asset");
	else if (strcmp(op, "PythonOperator") == 0 || strcmp(op, "task") == 0 || strcmp(op, "task.python") == 0)
		python(a, t);
	else if (strcmp(op, "BashOperator") == 0)
		bash(a, t);
	else if (strcmp(op, "EmptyOperator") == 0 || strcmp(op, "DummyOperator") == 0)
		a->kind = AFT_EMPTY;
	else
		a->why = xasprintf("dpc has no translation for %s", op);
	if (a->kind == AFT_NONE)
		return;
	for (size_t i = 0; i < LEN(dropped); i++)
		if (argof(t, dropped[i].arg))
			note(a, xstrdup(dropped[i].what));
	if (t->setup || t->teardown)
		note(a, xasprintf("it is a %s task: Dagster runs it as an ordinary asset",
				  t->setup ? "setup" : "teardown"));
	int retries = t->retries >= 0 ? t->retries : dag->retries;
	if (retries > 0) {
		a->retries = retries;
		const char *d = t->retry_delay ? t->retry_delay : dag->retry_delay;
		if (!d)
			a->delay = xstrdup("300"); /* Airflow's default retry_delay */
		else if (seconds(d))
			a->delay = xstrdup(d);
		else
			note(a, xasprintf("retry_delay %s is not a number of seconds dpc can read; the retries "
					  "have no delay", d));
	}
}

void
aft_free(struct aft *a)
{
	for (size_t i = 0; i < a->nnotes; i++)
		free(a->notes[i]);
	free(a->notes);
	free(a->why);
	free(a->delay);
	*a = (struct aft){0};
}

const char *
airflow_cron(const struct node *dag, const char **why)
{
	const struct spec_airflow_dag *e = dag->airflow;
	*why = NULL;
	if (e->schedule_set) {
		if (!e->schedule)
			*why = "the spec says schedule: null; Dagster never runs it on its own";
		return e->schedule;
	}
	const struct af_dag *d = dag->afdag;
	if (d->cron)
		return d->cron;
	switch (d->sched_kind) {
	case AF_SCHED_NONE:
		*why = "the DAG has schedule=None: it runs only when triggered";
		break;
	case AF_SCHED_UNSET:
		*why = "the DAG sets no schedule (Airflow 2 runs it daily, Airflow 3 never); set schedule: in the spec";
		break;
	case AF_SCHED_DATASET:
	case AF_SCHED_ASSET_OR_TIME:
		*why = "the DAG runs when datasets update: write a Dagster sensor or automation condition";
		break;
	default:
		*why = "dpc cannot turn the DAG's schedule into a cron; set schedule: in the spec";
	}
	return NULL;
}

/* ---- where the files go ---- */

char *
airflow_defs_path(const struct spec *s)
{
	char *root = dagster_root(s), *pkg = dagster_pkg(s);
	char *p = xasprintf("%s/src/%s/defs/airflow/defs.yaml", root, pkg);
	free(root), free(pkg);
	return p;
}

char *
airflow_module_path(const struct spec *s, const struct node *dag)
{
	enum airflow_stage st = dag->airflow->stage;
	if (st != STAGE_PROXY && st != STAGE_MIGRATED)
		return NULL;
	char *root = dagster_root(s), *pkg = dagster_pkg(s);
	char *p = st == STAGE_PROXY ? xasprintf("%s/src/%s/defs/airflow/%s/assets.py", root, pkg, dag->pyname)
				    : xasprintf("%s/src/%s/defs/airflow_migrated/%s.py", root, pkg, dag->pyname);
	free(root), free(pkg);
	return p;
}

char *
airflow_state_path(const struct spec *s, const struct node *dag)
{
	if (dag->airflow->stage == STAGE_MIGRATED)
		return NULL;
	char *root = dagster_root(s);
	char *p = xasprintf("%s/proxied_state/%s.yaml", root, dag->airflow->dag_id);
	free(root);
	return p;
}

/* ---- the back end ---- */

struct ae {
	const struct graph *g;
	const struct spec *s;
	struct outset *out;
	char *header;
};

/* the DAG nodes that read a file, in the spec's order */
static size_t
dags(const struct graph *g, const struct node **v)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++)
		if (g->nodes[i].kind == N_AIRFLOW_DAG && g->nodes[i].afdag)
			v[n++] = &g->nodes[i];
	return n;
}

/* the task nodes of a DAG node, in the DAG's order: the IR adds them right
 * after it */
static const struct node *
tasks(const struct graph *g, const struct node *dag, size_t *n)
{
	*n = dag->afdag->ntasks;
	return &g->nodes[(size_t)(dag - g->nodes) + 1];
}

/* is task t of a DAG in stage proxy run by Dagster? */
static bool
proxied(const struct node *t)
{
	const struct spec_airflow_dag *e = t->airflow;
	if (e->stage == STAGE_MIGRATED)
		return true;
	if (e->stage != STAGE_PROXY)
		return false;
	if (!e->proxied_set)
		return true;
	for (size_t i = 0; i < e->nproxied; i++)
		if (strcmp(e->proxied[i], t->name) == 0)
			return true;
	return false;
}

/* the upstream tasks of t (its deps), as asset keys in the DAG's order */
static size_t
upstream(const struct graph *g, const struct node *t, const char **keys)
{
	size_t n = 0;
	for (size_t i = 0; i < t->ndeps; i++)
		keys[n++] = g->nodes[t->deps[i].to].assetkey;
	return n;
}

/* an asset's description; a is NULL for an asset Airflow still runs */
static char *
taskdesc(const struct node *t, const struct aft *a)
{
	const struct af_task *at = t->aftask;
	return xasprintf("%sAirflow task %s (%s) of DAG %s, %s:%u",
			 a && a->kind == AFT_NONE ? "NOT TRANSLATED: " : "", at->id, at->operator,
			 t->airflow->dag_id, t->airflow->file, at->line);
}

/* the component's defs.yaml */
static void
defsyaml(struct ae *x, const struct node **v, size_t nd)
{
	const struct spec_airflow *af = &x->s->airflow;
	bool any = false, mapped = false;
	for (size_t i = 0; i < nd; i++) {
		any |= v[i]->airflow->stage != STAGE_MIGRATED;
		mapped |= v[i]->airflow->stage == STAGE_OBSERVE || v[i]->airflow->stage == STAGE_PROXY;
	}
	if (!any)
		return;
	struct yw w;
	yw_begin(&w, x->header);
	yw_map(&w);
	yw_kv(&w, "type", "dagster_airlift.core.components.AirflowInstanceComponent");
	yw_str(&w, "attributes");
	yw_map(&w);
	yw_kv(&w, "name", af->name);
	yw_str(&w, "auth");
	yw_map(&w);
	yw_kv(&w, "type", "basic_auth");
	const char *keys[] = {"webserver_url", "username", "password"};
	const char *envs[] = {af->url_env, af->username_env, af->password_env};
	for (int i = 0; i < 3; i++) {
		char *t = xasprintf("{{ env.%s }}", envs[i]);
		yw_kv(&w, keys[i], t);
		free(t);
	}
	yw_endmap(&w);
	if (mapped) {
		yw_str(&w, "mappings");
		yw_seq(&w);
	}
	const char **ups = xreallocarray(NULL, x->g->n + 1, sizeof(*ups));
	for (size_t i = 0; i < nd; i++) {
		const struct spec_airflow_dag *e = v[i]->airflow;
		if (e->stage != STAGE_OBSERVE && e->stage != STAGE_PROXY)
			continue;
		size_t nt;
		const struct node *t = tasks(x->g, v[i], &nt);
		yw_map(&w);
		yw_kv(&w, "dag_id", e->dag_id);
		if (e->stage == STAGE_PROXY && !e->proxied_set) {
			/* the whole DAG: Airflow's one proxy task runs every asset mapped to it */
			yw_str(&w, "assets");
			yw_seq(&w);
			for (size_t k = 0; k < nt; k++) {
				yw_map(&w);
				yw_kv(&w, "by_key", t[k].assetkey);
				yw_endmap(&w);
			}
			yw_endseq(&w);
			yw_endmap(&w);
			continue;
		}
		yw_str(&w, "task_mappings");
		yw_seq(&w);
		for (size_t k = 0; k < nt; k++) {
			yw_map(&w);
			yw_kv(&w, "task_id", t[k].name);
			yw_str(&w, "assets");
			yw_seq(&w);
			yw_map(&w);
			if (proxied(&t[k])) {
				yw_kv(&w, "by_key", t[k].assetkey); /* defined in <dag>/assets.py */
			} else {
				char *desc = taskdesc(&t[k], NULL);
				yw_str(&w, "spec");
				yw_map(&w);
				yw_kv(&w, "key", t[k].assetkey);
				size_t nu = upstream(x->g, &t[k], ups);
				if (nu) {
					yw_str(&w, "deps");
					yw_seq(&w);
					for (size_t u = 0; u < nu; u++)
						yw_str(&w, ups[u]);
					yw_endseq(&w);
				}
				yw_kv(&w, "description", desc);
				yw_kv(&w, "group_name", v[i]->pyname);
				yw_str(&w, "kinds");
				yw_flowseq(&w);
				yw_str(&w, "airflow");
				yw_endseq(&w);
				yw_endmap(&w);
				free(desc);
			}
			yw_endmap(&w);
			yw_endseq(&w);
			yw_endmap(&w);
		}
		yw_endseq(&w);
		yw_endmap(&w);
	}
	free(ups);
	if (mapped)
		yw_endseq(&w);
	yw_endmap(&w);
	/* what the component needs from the environment (dg list envs shows it) */
	yw_str(&w, "requirements");
	yw_map(&w);
	yw_str(&w, "env");
	yw_seq(&w);
	for (int i = 0; i < 3; i++)
		yw_str(&w, envs[i]);
	yw_endseq(&w);
	yw_endmap(&w);
	yw_endmap(&w);
	size_t len;
	char *data = yw_end(&w, &len);
	outset_add(x->out, airflow_defs_path(x->s), data, len, "project");
}

/* proxied_state/<dag_id>.yaml */
static void
stateyaml(struct ae *x, const struct node *dag)
{
	char *path = airflow_state_path(x->s, dag);
	if (!path)
		return;
	const struct spec_airflow_dag *e = dag->airflow;
	struct yw w;
	yw_begin(&w, x->header);
	yw_map(&w);
	if (e->stage == STAGE_PROXY && !e->proxied_set) {
		yw_str(&w, "proxied");
		yw_bool(&w, true);
	} else {
		size_t nt;
		const struct node *t = tasks(x->g, dag, &nt);
		yw_str(&w, "tasks");
		yw_seq(&w);
		for (size_t k = 0; k < nt; k++) {
			yw_map(&w);
			yw_kv(&w, "id", t[k].name);
			yw_str(&w, "proxied");
			yw_bool(&w, proxied(&t[k]));
			yw_endmap(&w);
		}
		yw_endseq(&w);
	}
	yw_endmap(&w);
	size_t len;
	char *data = yw_end(&w, &len);
	outset_add(x->out, path, data, len, dag->id);
}

/* the body of a task's asset function */
static void
assetbody(struct buf *b, const struct node *t, const struct aft *a)
{
	switch (a->kind) {
	case AFT_PYTHON:
		if (a->module) {
			buf_printf(b, "    _on_path()\n    from %s import %s\n\n    %s(", a->module, a->function, a->function);
		} else {
			buf_puts(b, "    _from_dag_file(");
			dagster_pystr(b, a->function);
			buf_puts(b, ")(");
		}
		if (a->args)
			buf_printf(b, "*%s", a->args);
		if (a->kwargs)
			buf_printf(b, "%s**%s", a->args ? ", " : "", a->kwargs);
		buf_puts(b, ")\n");
		return;
	case AFT_BASH:
		if (a->script) {
			buf_puts(b, "    script = (_ROOT / _DAG_FILE).parent / ");
			dagster_pystr(b, a->command);
			buf_puts(b, "\n    subprocess.run([\"bash\", str(script)], check=True)\n");
		} else {
			buf_puts(b, "    subprocess.run([\"bash\", \"-c\", ");
			dagster_pystr(b, a->command);
			buf_puts(b, "], check=True)\n");
		}
		return;
	case AFT_EMPTY:
		buf_printf(b, "    \"\"\"%s: nothing to run.\"\"\"\n", a->operator);
		return;
	case AFT_NONE: {
		char *msg = xasprintf("Airflow task %s of DAG %s (%s:%u) was not translated: %s. Write this "
				      "asset by hand.", t->aftask->id, t->airflow->dag_id, t->airflow->file,
				      t->aftask->line, a->why);
		buf_puts(b, "    raise NotImplementedError(\n        ");
		dagster_pystr(b, msg);
		buf_puts(b, "\n    )\n");
		free(msg);
		return;
	}
	}
}

/* the Python module of a DAG's assets (stages proxy and migrated) */
static void
module(struct ae *x, const struct node *dag)
{
	char *path = airflow_module_path(x->s, dag);
	if (!path)
		return;
	const struct spec_airflow_dag *e = dag->airflow;
	size_t nt;
	const struct node *t = tasks(x->g, dag, &nt);
	struct aft *a = xcalloc(nt + 1, sizeof(*a));
	bool frommodule = false, fromdag = false, sh = false, script = false;
	for (size_t k = 0; k < nt; k++) {
		if (!proxied(&t[k]))
			continue;
		aft_classify(&t[k], &a[k]);
		frommodule |= a[k].kind == AFT_PYTHON && a[k].module;
		fromdag |= a[k].kind == AFT_PYTHON && !a[k].module;
		sh |= a[k].kind == AFT_BASH;
		script |= a[k].kind == AFT_BASH && a[k].script;
	}
	bool root = frommodule || fromdag || script;
	struct buf b = {0};
	buf_printf(&b, "# %s\n", x->header);
	buf_printf(&b, "\"\"\"Airflow DAG %s (%s) in Dagster.\n\n", e->dag_id, e->file);
	if (e->stage == STAGE_MIGRATED)
		buf_puts(&b, "One asset per task, with the DAG's dependencies and retries, and its schedule.\n"
			     "Tasks with no translation fail loudly (NotImplementedError): see the report of\n"
			     "dpc migrate airflow.\"\"\"\n\n");
	else
		buf_puts(&b, "One asset per task Airflow hands to Dagster (stage proxy), with the DAG's\n"
			     "dependencies and retries. The airflow component (../defs.yaml) maps them to\n"
			     "their tasks; Airflow still schedules the DAG.\"\"\"\n\n");
	if (fromdag)
		buf_puts(&b, "import importlib.util\n");
	if (root)
		buf_puts(&b, "import os\n");
	if (sh)
		buf_puts(&b, "import subprocess\n");
	if (frommodule || fromdag)
		buf_puts(&b, "import sys\n");
	if (root)
		buf_puts(&b, "from pathlib import Path\n");
	if (root || sh || frommodule || fromdag)
		buf_putc(&b, '\n');
	buf_puts(&b, "import dagster as dg\n");
	if (root) {
		/* defs/airflow/<dag>/ or defs/airflow_migrated/: two folders below src/<pkg>/ */
		char *dg = dagster_root(x->s);
		/* <dg>/src/<pkg>/defs/airflow/<dag>/assets.py, or one folder less */
		size_t up = 5 + path_depth(dg);
		buf_printf(&b, "\n# the dpc project's root (pipeline.yaml's folder), from this file's place in\n"
			       "# %s/src/; set DPC_PROJECT_ROOT when the package is installed elsewhere\n"
			       "_ROOT = Path(os.environ.get(\"DPC_PROJECT_ROOT\") or Path(__file__).resolve().parents[%zu])\n"
			       "_DAG_FILE = ",
			   dg, up - (e->stage == STAGE_MIGRATED));
		dagster_pystr(&b, e->file);
		buf_putc(&b, '\n');
		free(dg);
	}
	if (frommodule)
		buf_puts(&b, "\n\n"
			     "def _on_path():\n"
			     "    \"\"\"Put the DAG file's folder on sys.path, where Airflow found the modules the\n"
			     "    DAG imports.\"\"\"\n"
			     "    folder = str((_ROOT / _DAG_FILE).parent)\n"
			     "    if folder not in sys.path:\n"
			     "        sys.path.insert(0, folder)\n");
	if (fromdag) {
		buf_printf(&b, "\n\n"
			       "def _from_dag_file(name):\n"
			       "    \"\"\"A function of the DAG file, loaded as a module of its own (which imports\n"
			       "    Airflow); a TaskFlow @task gives the function it wraps.\"\"\"\n"
			       "    module_name = \"dpc_airflow_dags.%s\"\n"
			       "    module = sys.modules.get(module_name)\n"
			       "    if module is None:\n"
			       "        spec = importlib.util.spec_from_file_location(module_name, _ROOT / _DAG_FILE)\n"
			       "        if spec is None or spec.loader is None:\n"
			       "            raise ImportError(f\"cannot load {_DAG_FILE}\")\n"
			       "        module = importlib.util.module_from_spec(spec)\n"
			       "        sys.modules[module_name] = module\n"
			       "        try:\n"
			       "            spec.loader.exec_module(module)\n"
			       "        except BaseException:\n"
			       "            del sys.modules[module_name]\n"
			       "            raise\n"
			       "    fn = getattr(module, name)\n"
			       "    return getattr(fn, \"function\", fn)\n",
			   dag->pyname);
	}
	const char **ups = xreallocarray(NULL, x->g->n + 1, sizeof(*ups));
	for (size_t k = 0; k < nt; k++) {
		if (!proxied(&t[k]))
			continue;
		const struct aft *ak = &a[k];
		buf_puts(&b, "\n\n@dg.asset(\n    key=");
		dagster_assetkey(&b, t[k].assetkey);
		buf_puts(&b, ",\n");
		size_t nu = upstream(x->g, &t[k], ups);
		if (nu) {
			buf_puts(&b, "    deps=[\n");
			for (size_t u = 0; u < nu; u++) {
				buf_puts(&b, "        ");
				dagster_assetkey(&b, ups[u]);
				buf_puts(&b, ",\n");
			}
			buf_puts(&b, "    ],\n");
		}
		char *desc = taskdesc(&t[k], ak);
		buf_puts(&b, "    description=");
		dagster_pystr(&b, desc);
		free(desc);
		buf_puts(&b, ",\n    group_name=");
		dagster_pystr(&b, dag->pyname);
		buf_printf(&b, ",\n    kinds={\"airflow\"%s},\n",
			   ak->kind == AFT_PYTHON ? ", \"python\"" : ak->kind == AFT_BASH ? ", \"bash\"" : "");
		if (ak->kind == AFT_NONE) {
			buf_puts(&b, "    tags={\"dpc/untranslated\": ");
			/* a tag value is at most 63 of [A-Za-z0-9_.-] */
			char tag[64];
			size_t m = 0;
			for (const char *p = ak->operator; *p && m < 63; p++)
				tag[m++] = strchr("_.-", *p) || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
						   (*p >= 'A' && *p <= 'Z') ? *p : '_';
			tag[m] = '\0';
			dagster_pystr(&b, tag);
			buf_puts(&b, "},\n");
		}
		if (ak->retries > 0) {
			buf_printf(&b, "    retry_policy=dg.RetryPolicy(max_retries=%d", ak->retries);
			if (ak->delay)
				buf_printf(&b, ", delay=%s", ak->delay);
			buf_puts(&b, "),\n");
		}
		buf_printf(&b, ")\ndef task_%s(context: dg.AssetExecutionContext):\n",
			   t[k].assetkey + strlen("airflow/") + strlen(dag->pyname) + 1);
		assetbody(&b, &t[k], ak);
	}
	free(ups);
	if (e->stage == STAGE_MIGRATED) {
		const char *why;
		const char *cron = airflow_cron(dag, &why);
		if (!cron) {
			buf_printf(&b, "\n\n# no schedule: %s\n", why);
		} else {
			char *c = dagster_cron(cron);
			buf_printf(&b, "\n\n# stopped until the DAG is paused in Airflow: start it in Dagster then, so\n"
				       "# that the two never run the DAG at once\n"
				       "schedule_%s = dg.ScheduleDefinition(\n    name=", dag->pyname);
			char *name = xasprintf("airflow_%s", dag->pyname);
			dagster_pystr(&b, name);
			free(name);
			buf_puts(&b, ",\n    cron_schedule=");
			dagster_pystr(&b, c);
			buf_puts(&b, strcmp(c, cron) != 0 ? ",  # " : ",\n");
			if (strcmp(c, cron) != 0) {
				for (const char *p = cron; *p; p++)
					buf_putc(&b, (unsigned char)*p < 0x20 ? ' ' : *p);
				buf_putc(&b, '\n');
			}
			buf_puts(&b, "    execution_timezone=\"UTC\",\n    target=dg.AssetSelection.assets(\n");
			for (size_t k = 0; k < nt; k++) {
				buf_puts(&b, "        ");
				dagster_assetkey(&b, t[k].assetkey);
				buf_puts(&b, ",\n");
			}
			buf_puts(&b, "    ),\n    description=");
			char *desc = xasprintf("The schedule of Airflow DAG %s", e->dag_id);
			dagster_pystr(&b, desc);
			free(desc);
			buf_puts(&b, ",\n    default_status=dg.DefaultScheduleStatus.STOPPED,\n)\n");
			free(c);
		}
	}
	for (size_t k = 0; k < nt; k++)
		aft_free(&a[k]);
	free(a);
	size_t len = b.len;
	outset_add(x->out, path, buf_take(&b), len, dag->id);
}

void
emit_airflow(const struct graph *g, struct outset *out)
{
	const struct spec *s = g->spec;
	if (!s->airflow.ndags)
		return;
	const struct node **v = xreallocarray(NULL, g->n + 1, sizeof(*v));
	size_t nd = dags(g, v);
	char *what = xasprintf("the spec %s", s->nfiles ? s->files[0] : "pipeline.yaml");
	struct ae x = {g, s, out, xasprintf(DPC_HEADER, what)};
	free(what);
	defsyaml(&x, v, nd);
	for (size_t i = 0; i < nd; i++) {
		stateyaml(&x, v[i]);
		module(&x, v[i]);
	}
	free(x.header);
	free(v);
}
