/* test_ai.c: the pieces of dpc ai that need no provider: the built-in
 * prompt templates load with the inputs each command fills, placeholders
 * fill once and never twice, an answer's JSON is found and its shape
 * checked, file paths outside what a change may touch are refused, and the
 * context of a request is the relevant slice, deterministic and bounded. */
#include <fcntl.h>
#include <unistd.h>

#include "ai.h"
#include "check.h"
#include "compile.h"

static void
templates(void)
{
	static const struct ai_var gen[] = {{"project", ""}, {"request", ""}, {"kind", ""}, {"kind_hint", ""},
					    {"context", ""}};
	static const struct ai_var rep[] = {{"problems", ""}, {"round", ""}, {"rounds", ""}};
	static const struct ai_var exp[] = {{"project", ""}, {"node", ""}, {"kind", ""}, {"context", ""}};
	static const struct ai_var ref[] = {{"project", ""}, {"focus", ""}, {"context", ""}};
	const struct {
		const char *name;
		const struct ai_var *v;
		size_t n;
		bool full;
	} t[] = {{"generate", gen, LEN(gen), true}, {"repair", rep, LEN(rep), false},
		 {"explain", exp, LEN(exp), true}, {"refactor", ref, LEN(ref), true}};
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	for (size_t i = 0; i < LEN(t); i++) {
		char *err = NULL;
		/* a folder that does not exist: the built-in one is read */
		struct ai_prompt *p = ai_prompt_load(fd, "no/such/folder", t[i].name, t[i].v, t[i].n, t[i].full, &err);
		CHECK(p != NULL, "%s: %s", t[i].name, err ? err : "");
		if (p) {
			CHECK(strstr(p->origin, "built-in prompts/") != NULL, "%s", p->origin);
			CHECK(!t[i].full || (p->system && cJSON_IsObject(p->schema)), "%s", t[i].name);
		}
		/* one input fewer than the template uses: refused */
		struct ai_prompt *q = ai_prompt_load(fd, "no/such/folder", t[i].name, t[i].v, t[i].n - 1, t[i].full, &err);
		CHECK(q == NULL && err && strstr(err, "is not one dpc fills"), "%s: %s", t[i].name, err ? err : "");
		free(err);
		ai_prompt_free(p);
		ai_prompt_free(q);
	}
	close(fd);

	/* values go in as they are: a value holding ${x} is not filled again */
	struct ai_var v[] = {{"a", "${b}"}, {"b", "B"}};
	char *s = ai_prompt_fill("<${a}|${b}|$x|${}>", v, LEN(v));
	CHECK_STR(s, "<${b}|B|$x|${}>", "fill");
	free(s);
}

static void
answers(void)
{
	char *why = NULL;
	cJSON *j = ai_answer_json("{\"a\": 1}", &why);
	CHECK(cJSON_IsObject(j), "plain");
	cJSON_Delete(j);
	j = ai_answer_json("Here it is:\n```json\n{\"a\": [1, 2]}\n```\n", &why);
	CHECK(cJSON_IsObject(j) && cJSON_GetArraySize(cJSON_GetObjectItem(j, "a")) == 2, "fenced");
	cJSON_Delete(j);
	j = ai_answer_json("[1, 2]", &why);
	CHECK(!j && why && strstr(why, "not an object"), "%s", why ? why : "");
	free(why);
	why = NULL;
	j = ai_answer_json("no\njson\there", &why);
	CHECK(!j && why && strstr(why, "not valid JSON") && !strchr(why, '\n') && !strchr(why, '\t'), "%s",
	      why ? why : "");
	free(why);

	static const struct {
		const char *patch, *files, *want; /* want: NULL, or a piece of the message */
	} shapes[] = {
		{"[]", "[]", NULL},
		{"[{\"op\": \"add\", \"path\": \"/models/x\", \"value\": {}}]", "[{\"path\": \"a.sql\", \"content\": \"\"}]", NULL},
		{"{}", "[]", "\"patch\" must be an array"},
		{"[]", "{}", "\"files\" must be an array"},
		{"[{\"op\": \"move\", \"path\": \"/a\", \"from\": \"/b\"}]", "[]", "op 'move' is not one dpc applies"},
		{"[{\"op\": \"add\", \"path\": \"models/x\", \"value\": 1}]", "[]", "not a JSON Pointer"},
		{"[{\"op\": \"replace\", \"path\": \"/models/x\"}]", "[]", "has no \"value\""},
		{"[{\"path\": \"/models/x\"}]", "[]", "must be an object with \"op\""},
		{"[]", "[{\"path\": \"a.sql\"}]", "file 1 must be an object"},
	};
	for (size_t i = 0; i < LEN(shapes); i++) {
		cJSON *p = cJSON_Parse(shapes[i].patch), *f = cJSON_Parse(shapes[i].files);
		char *got = ai_change_shape(p, f);
		if (!shapes[i].want)
			CHECK(got == NULL, "shape %zu: %s", i, got);
		else
			CHECK(got && strstr(got, shapes[i].want), "shape %zu: %s", i, got ? got : "(accepted)");
		free(got);
		cJSON_Delete(p);
		cJSON_Delete(f);
	}
}

static const char spec[] =
	"version: 1\n"
	"project: shop\n"
	"warehouse: {type: sqlite, path: w.db}\n"
	"seeds:\n"
	"  raw_orders:\n"
	"    csv: seeds/raw_orders.csv\n"
	"    columns: {order_id: integer, region: text, amount: integer}\n"
	"  raw_weather:\n"
	"    csv: seeds/raw_weather.csv\n"
	"models:\n"
	"  stg_orders:\n"
	"    sql: sql/stg_orders.sql\n"
	"    description: One row per order.\n"
	"    columns:\n"
	"      order_id: {tests: [unique, not_null]}\n"
	"  fct_revenue:\n"
	"    sql: \"select region, sum(amount) as revenue from {{ ref('stg_orders') }} group by 1\"\n"
	"    materialized: table\n"
	"  stg_weather:\n"
	"    sql: \"select * from {{ ref('raw_weather') }} -- WEATHER-MARK\"\n";

static void
project(void)
{
	if (!check_scratch("ai"))
		return;
	check_put("pipeline.yaml", spec);
	check_put("seeds/raw_orders.csv", "order_id,region,amount\n1,north,5\n");
	check_put("seeds/raw_weather.csv", "day,rain\n2024-01-01,3\n");
	check_put("sql/stg_orders.sql", "select * from {{ ref('raw_orders') }} -- ORDERS-MARK\n");
	check_put("notes.md", "# notes\n");
	int fd = open(check_dir, O_RDONLY | O_DIRECTORY);
	struct compilation c;
	bool ok = compile_run(&c, check_dir, fd, "pipeline.yaml");
	CHECK(ok, "the test project compiles");
	if (!ok) {
		diag_print(&c.diags, stdout, false, 10);
		compile_free(&c);
		close(fd);
		return;
	}

	/* the slice of a request: the orders nodes, in detail; not the weather */
	struct ai_context x, y;
	struct ai_context_opts o = {.request = "Revenue of orders per region"};
	ai_context_build(&x, &c, &o);
	ai_context_build(&y, &c, &o);
	CHECK_STR(x.text, y.text, "the same request gives the same bytes");
	/* raw_orders: "order" in its name (6) and "region" a column (2); the
	 * other two 6 each, in the graph's order */
	CHECK(x.nclosest == 3 && strcmp(x.closest[0], "seed.raw_orders") == 0 &&
		      strcmp(x.closest[1], "model.stg_orders") == 0 && strcmp(x.closest[2], "model.fct_revenue") == 0,
	      "closest: %zu, %s", x.nclosest, x.nclosest ? x.closest[0] : "none");
	CHECK(strstr(x.text, "ORDERS-MARK") != NULL, "the SQL of a close model is in:\n%s", x.text);
	CHECK(strstr(x.text, "WEATHER-MARK") == NULL, "the unrelated SQL is not:\n%s", x.text);
	CHECK(strstr(x.text, "JSON Pointer /models/stg_orders") != NULL, "pointers:\n%s", x.text);
	CHECK(strstr(x.text, "layer staging: 2 models, SQL files in sql/, 1 with inline SQL, names stg_*, "
			     "mostly materialized view") != NULL,
	      "conventions:\n%s", x.text);
	CHECK(strstr(x.text, "tests: unique(order_id), not_null(order_id)") != NULL, "tests:\n%s", x.text);
	bool weather = false;
	for (size_t i = 0; i < x.nnodes; i++)
		weather |= strstr(x.nodes[i], "weather") != NULL;
	CHECK(!weather, "the weather nodes are not described");
	ai_context_free(&x);
	ai_context_free(&y);

	/* a bound: the first closest node always, the rest as it fits */
	o.max_bytes = 600;
	ai_context_build(&x, &c, &o);
	CHECK(x.nclosest == 1 && x.omitted > 0, "bounded: %zu closest, %zu omitted", x.nclosest, x.omitted);
	ai_context_free(&x);

	/* paths an answer may not write */
	static const struct {
		const char *path, *want;
	} paths[] = {
		{"sql/marts/new.sql", NULL},
		{"sql/stg_orders.sql", NULL}, /* a file the pipeline reads */
		{"../x.sql", "'..'"},
		{"/etc/passwd.sql", "not a path relative"},
		{"~/.ssh/authorized_keys", "not a path relative"},
		{"sql/./x.sql", "'.'"},
		{"sql//x.sql", "empty"},
		{".github/workflows/x.yml", "hidden"},
		{"sql/.env.sql", "hidden"},
		{"data/dbt/models/x.sql", "dpc generates it"},
		{"supabase/migrations/1_x.sql", "dpc generates it"},
		{"pipeline.yaml", "a spec file"},
		{"run.sh", "only .sql"},
		{"notes.md", "not a file the pipeline reads"},
		{"a\\b.sql", "'\\'"},
	};
	for (size_t i = 0; i < LEN(paths); i++) {
		cJSON *f = cJSON_CreateArray(), *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "path", paths[i].path);
		cJSON_AddStringToObject(e, "content", "select 1\n");
		cJSON_AddItemToArray(f, e);
		char *got = ai_change_refuse(&c, f);
		if (!paths[i].want)
			CHECK(got == NULL, "%s: %s", paths[i].path, got);
		else
			CHECK(got && strstr(got, paths[i].want), "%s: %s", paths[i].path, got ? got : "(accepted)");
		free(got);
		cJSON_Delete(f);
	}
	compile_free(&c);
	close(fd);
}

int
main(void)
{
	templates();
	answers();
	project();
	return check_done("test_ai");
}
