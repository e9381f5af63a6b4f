/* test_airflow_migrate.c: the parts of dpc migrate airflow a shell test
 * cannot reach. The UAT check must fail when the generated Dagster graph
 * differs from the Airflow graph (a dropped dependency, an extra one, a task
 * without an asset), so a pass means something; and the spec edit must keep
 * the user's text and refuse what it cannot place. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "compile.h"
#include "migrate.h"
#include "check.h"

static const char dagfile[] =
	"from airflow import DAG\n"
	"from airflow.operators.bash import BashOperator\n"
	"with DAG('etl', schedule='0 3 * * *'):\n"
	"    a = BashOperator(task_id='a', bash_command='echo a')\n"
	"    b = BashOperator(task_id='b', bash_command='echo b')\n"
	"    c = BashOperator(task_id='c', bash_command='echo c')\n"
	"    a >> b >> c\n";

/* the output at path in c, or NULL */
static struct output *
outputat(struct compilation *c, const char *suffix)
{
	for (size_t i = 0; i < c->out.n; i++) {
		size_t n = strlen(c->out.v[i].path), k = strlen(suffix);
		if (n >= k && strcmp(c->out.v[i].path + n - k, suffix) == 0)
			return &c->out.v[i];
	}
	return NULL;
}

/* replace the first occurrence of from by to in an output's bytes */
static bool
tamper(struct output *o, const char *from, const char *to)
{
	char *at = o ? strstr(o->data, from) : NULL;
	if (!at)
		return false;
	struct buf b = {0};
	buf_put(&b, o->data, (size_t)(at - o->data));
	buf_puts(&b, to);
	buf_puts(&b, at + strlen(from));
	free(o->data);
	o->len = b.len;
	o->data = buf_take(&b);
	return true;
}

/* the UAT of DAG etl as JSON text; owned */
static char *
uat(struct compilation *c, bool *pass)
{
	cJSON *r = migrate_report(c, NULL, 0, pass);
	cJSON *u = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "dags"), 0), "uat");
	char *s = cJSON_PrintUnformatted(u);
	cJSON_Delete(r);
	return s;
}

static void
test_uat(const char *stage, const char *file, const char *from, const char *to, const char *want)
{
	char spec[256];
	snprintf(spec, sizeof(spec), "version: 1\nproject: p\nairflow:\n  dags:\n    etl: {file: dags/etl.py, stage: %s}\n",
		 stage);
	check_put("pipeline.yaml", spec);
	int fd = open(check_dir, O_RDONLY | O_DIRECTORY);
	struct compilation c;
	bool ok = compile_run(&c, check_dir, fd, "pipeline.yaml");
	CHECK(ok, "%s compiles", stage);
	bool pass = false;
	char *s = ok ? uat(&c, &pass) : NULL;
	CHECK(pass, "%s: as generated, the UAT passes: %s", stage, s ? s : "");
	free(s);
	CHECK(tamper(outputat(&c, file), from, to), "%s: %s holds %s", stage, file, from);
	s = ok ? uat(&c, &pass) : NULL;
	CHECK(!pass && s && strstr(s, want), "%s: after %s -> %s the UAT fails with %s: %s", stage, from, to, want,
	      s ? s : "");
	free(s);
	compile_free(&c);
	close(fd);
}

static void
test_splice(void)
{
	int fd = open(check_dir, O_RDONLY | O_DIRECTORY);
	const char *dags[] = {"dags/etl.py"};
	char **ids, *err;
	size_t nids, nadded;
	const char *text = "version: 1  # one\nproject: p\nairflow:\n  instance: {name: legacy}\n";
	char *out = migrate_splice(fd, "pipeline.yaml", text, strlen(text), dags, 1, "proxy", &ids, &nids, &nadded,
				   &err);
	CHECK(out && strncmp(out, text, strlen(text)) == 0, "the user's text comes first, as it was: %s",
	      out ? out : err);
	CHECK(out && strstr(out, "  dags:\n    etl:\n      file: dags/etl.py\n      schedule: \"0 3 * * *\"\n"
				 "      stage: proxy\n"),
	      "the entry under the new dags: key: %s", out ? out : err);
	CHECK(nids == 1 && nadded == 1 && strcmp(ids[0], "etl") == 0, "etl added");
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	free(out);

	text = "version: 1\nproject: p\nairflow:\n  dags: {etl: {file: dags/etl.py}}\n";
	out = migrate_splice(fd, "pipeline.yaml", text, strlen(text), dags, 1, "migrated", &ids, &nids, &nadded, &err);
	CHECK(!out && err && strstr(err, "not a block mapping"), "flow style is refused: %s", err ? err : "");
	free(err);
	free(out);

	const char *nodag[] = {"../etl.py"};
	out = migrate_splice(fd, "pipeline.yaml", text, strlen(text), nodag, 1, NULL, &ids, &nids, &nadded, &err);
	CHECK(!out && err && strstr(err, "leads out of the project"), "'..' is refused: %s", err ? err : "");
	free(err);
	close(fd);
}

int
main(void)
{
	if (!check_scratch("airflow"))
		return 1;
	check_put("dags/etl.py", dagfile);
	/* observe: the specs in defs.yaml; a dependency dropped, one added */
	test_uat("observe", "defs.yaml", "          deps:\n          - airflow/etl/b\n", "",
		 "\"missing\":[[\"airflow/etl/b\",\"airflow/etl/c\"]]");
	test_uat("observe", "defs.yaml", "- airflow/etl/a\n", "- airflow/etl/c\n",
		 "\"extra\":[[\"airflow/etl/c\",\"airflow/etl/b\"]]");
	/* migrated: the Python module; a task's asset gone */
	test_uat("migrated", "etl.py", "key=dg.AssetKey([\"airflow\", \"etl\", \"c\"])",
		 "key=dg.AssetKey([\"airflow\", \"etl\", \"d\"])", "\"tasks_without_asset\":[\"c\"]");
	test_uat("migrated", "etl.py", "        dg.AssetKey([\"airflow\", \"etl\", \"a\"]),\n", "",
		 "\"missing\":[[\"airflow/etl/a\",\"airflow/etl/b\"]]");
	/* proxy of the whole DAG: a reference by key with no definition */
	test_uat("proxy", "assets.py", "key=dg.AssetKey([\"airflow\", \"etl\", \"a\"])",
		 "key=dg.AssetKey([\"airflow\", \"etl\", \"z\"])", "\"tasks_without_asset\":[\"a\"]");
	test_splice();
	return check_done("airflow_migrate");
}
