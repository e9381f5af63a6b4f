/* spec_airflow.c: the front end of airflow:, the Airflow DAGs a project
 * moves to Dagster (the AST is in spec.h, the language in docs/airflow.md):
 *
 *   airflow:
 *     instance: {name: legacy, url_env: AIRFLOW_URL, username_env: ..., password_env: ...}
 *     dags:
 *       daily_etl:                  # the dag_id
 *         file: dags/daily_etl.py
 *         schedule: "0 3 * * *"     # optional: the DAG's own when left out
 *         stage: observe            # peer | observe | proxy | migrated
 *         proxied: [extract, load]  # stage proxy: these tasks; left out: the whole DAG
 *
 * Only what the spec says is checked here. Whether the file defines the DAG
 * and the proxied tasks is the IR's question: it reads the file (ir.c). */
#include <string.h>

#include "cron.h"
#include "spec_reader.h"

enum { AI_NAME, AI_URL_ENV, AI_USERNAME_ENV, AI_PASSWORD_ENV };
static const char *const instancekeys[] = {"name", "url_env", "username_env", "password_env"};

enum { AF_INSTANCE, AF_DAGS };
static const char *const airflowkeys[] = {"instance", "dags"};

enum { AD_FILE, AD_SCHEDULE, AD_STAGE, AD_PROXIED };
static const char *const dagkeys[] = {"file", "schedule", "stage", "proxied"};

/* in the order of enum airflow_stage */
static const char *const stages[] = {"peer", "observe", "proxy", "migrated"};

/* Airflow's own rule for dag and task ids (KEY_REGEX, at most 250) */
static bool
isairflowid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 250)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

static void
readinstance(struct reader *r, struct spec_airflow *af, const struct ynode *n)
{
	const struct ynode *v[LEN(instancekeys)];
	if (!n || !rd_fields(r, n, "airflow instance", instancekeys, LEN(instancekeys), v, NULL))
		return;
	if (v[AI_NAME]) {
		const char *name = rd_ident(r, v[AI_NAME], "instance name");
		if (name)
			af->name = name;
	}
	const char **env[] = {&af->url_env, &af->username_env, &af->password_env};
	for (int i = 0; i < 3; i++)
		if (v[AI_URL_ENV + i]) {
			const char *e = rd_envname(r, v[AI_URL_ENV + i], instancekeys[AI_URL_ENV + i]);
			if (e)
				*env[i] = e;
		}
}

static void
readproxied(struct reader *r, struct spec_airflow_dag *dag, const struct ynode *n)
{
	dag->proxied_set = true;
	if (n->kind != Y_SEQ) {
		diag_add(r->d, SEV_ERROR, n->loc, "proxied must be a list of task ids, not %s", ykindname(n));
		return;
	}
	dag->proxied = arena_array(r->a, n->n + 1, sizeof(*dag->proxied));
	dag->proxied_loc = arena_array(r->a, n->n + 1, sizeof(*dag->proxied_loc));
	for (size_t i = 0; i < n->n; i++) {
		const char *id = rd_str(r, n->items[i], "task id");
		if (!id)
			continue;
		if (!isairflowid(id)) {
			diag_add(r->d, SEV_ERROR, n->items[i]->loc,
				 "task id '%s' is not an Airflow id: letters, digits, '_', '-' and '.'", id);
			continue;
		}
		bool twice = false;
		for (size_t j = 0; j < dag->nproxied; j++)
			twice |= strcmp(dag->proxied[j], id) == 0;
		if (twice) {
			diag_add(r->d, SEV_ERROR, n->items[i]->loc, "task '%s' is listed twice", id);
			continue;
		}
		dag->proxied_loc[dag->nproxied] = n->items[i]->loc;
		dag->proxied[dag->nproxied++] = id;
	}
	if (n->n == 0)
		diag_add(r->d, SEV_ERROR, n->loc,
			 "proxied is empty: list the tasks Dagster runs, or leave proxied out to proxy the whole DAG");
}

static void
readdag(struct reader *r, struct spec_airflow *af, const struct ynode *key, const struct ynode *n)
{
	const char *id = rd_str(r, key, "dag_id");
	if (id && !isairflowid(id)) {
		diag_add(r->d, SEV_ERROR, key->loc,
			 "dag_id '%s' is not an Airflow DAG id: letters, digits, '_', '-' and '.', at most 250", id);
		id = NULL;
	}
	const struct ynode *v[LEN(dagkeys)];
	if (!id || !rd_fields(r, n, "an airflow DAG", dagkeys, LEN(dagkeys), v, NULL))
		return;
	struct spec_airflow_dag *dag = &af->dags[af->ndags++];
	*dag = (struct spec_airflow_dag){.dag_id = id, .loc = key->loc, .file_loc = key->loc,
					 .schedule_loc = key->loc, .stage_loc = key->loc, .hash = rd_hash(n)};
	if (!v[AD_FILE]) {
		diag_add(r->d, SEV_ERROR, key->loc, "DAG '%s' needs file: the Python file that defines it", id);
	} else {
		dag->file_loc = v[AD_FILE]->loc;
		dag->file = rd_path(r, v[AD_FILE], "file", ".py", false);
	}
	if (v[AD_SCHEDULE]) {
		dag->schedule_set = true;
		dag->schedule_loc = v[AD_SCHEDULE]->loc;
		if (!ynull(v[AD_SCHEDULE])) {
			dag->schedule = rd_str(r, v[AD_SCHEDULE], "schedule");
			if (dag->schedule && !cron_check(r->d, v[AD_SCHEDULE]->loc, dag->schedule))
				dag->schedule = NULL;
		}
	}
	if (v[AD_STAGE]) {
		dag->stage_loc = v[AD_STAGE]->loc;
		const char *st = rd_oneof(r, v[AD_STAGE], "stage", stages, LEN(stages));
		for (size_t i = 0; st && i < LEN(stages); i++)
			if (st == stages[i])
				dag->stage = (enum airflow_stage)i;
	}
	if (v[AD_PROXIED]) {
		if (dag->stage != STAGE_PROXY) {
			diag_add(r->d, SEV_ERROR, v[AD_PROXIED]->loc,
				 "proxied applies only to stage: proxy, not %s", stages[dag->stage]);
			return;
		}
		readproxied(r, dag, v[AD_PROXIED]);
	}
}

void
spec_read_airflow(struct reader *r, const struct ynode *n)
{
	struct spec_airflow *af = &r->s->airflow;
	*af = (struct spec_airflow){.loc = NOLOC, .name = "airflow", .url_env = "AIRFLOW_URL",
				    .username_env = "AIRFLOW_USERNAME", .password_env = "AIRFLOW_PASSWORD"};
	const struct ynode *v[LEN(airflowkeys)];
	if (!n || !rd_fields(r, n, "airflow", airflowkeys, LEN(airflowkeys), v, NULL))
		return;
	af->set = true;
	af->loc = n->loc;
	readinstance(r, af, v[AF_INSTANCE]);
	const struct ynode *dags = v[AF_DAGS];
	if (!dags) {
		diag_add(r->d, SEV_ERROR, n->loc, "airflow needs dags: a mapping of DAG ids to {file, stage}");
		return;
	}
	if (ynull(dags))
		return;
	if (dags->kind != Y_MAP) {
		diag_add(r->d, SEV_ERROR, dags->loc, "dags must be a mapping of DAG ids, not %s", ykindname(dags));
		return;
	}
	af->dags = arena_array(r->a, dags->n / 2 + 1, sizeof(*af->dags));
	for (size_t i = 0; i < dags->n; i += 2)
		readdag(r, af, dags->items[i], dags->items[i + 1]);
}
