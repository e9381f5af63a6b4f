/* test_specedit.c: spec edits spliced into the text (specedit.h).
 *
 * Each case writes a small project into the scratch folder, opens it with
 * sedit_open, makes edits (single operations and JSON Patches: add,
 * replace, remove at several depths, in block and flow style, in a CRLF
 * file, in a fragment) and compares the spec's text with what it must be
 * byte for byte; then the refusals: what the path does not name, aliases,
 * a second document, a patch whose last operation fails (all or nothing),
 * files dpc may not write. Last, the in-memory compilation and the write. */
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "compile.h"
#include "specedit.h"

static int rootfd = -1;

/* open the project whose root spec is text (pipeline.yaml) */
static struct sedit *
open_spec(const char *text)
{
	check_put("pipeline.yaml", text);
	char *err = NULL;
	struct sedit *se = sedit_open(rootfd, check_dir, "pipeline.yaml", &err);
	CHECK(se != NULL, "sedit_open: %s", err ? err : "");
	free(err);
	return se;
}

/* the current text of file path in se */
static char *
text_of(struct sedit *se, const char *path)
{
	const struct sedit_change *v;
	size_t n = sedit_changes(se, &v);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].path, path) == 0)
			return xstrndup(v[i].text, v[i].len);
	return NULL; /* unchanged */
}

/* apply patch (JSON text) to a spec; compare the result */
static void
patch_case(const char *name, const char *before, const char *patch, const char *after)
{
	struct sedit *se = open_spec(before);
	if (!se)
		return;
	cJSON *p = cJSON_Parse(patch);
	CHECK(p != NULL, "%s: the patch is JSON", name);
	char *err = NULL;
	bool ok = sedit_patch(se, p, &err);
	CHECK(ok, "%s: %s", name, err ? err : "");
	char *got = text_of(se, "pipeline.yaml");
	if (ok)
		CHECK_STR(got, after, name);
	free(got);
	free(err);
	cJSON_Delete(p);
	sedit_free(se);
}

/* a patch that must be refused with an error containing want, leaving the
 * spec as it was */
static void
refused(const char *name, const char *before, const char *patch, const char *want)
{
	struct sedit *se = open_spec(before);
	if (!se)
		return;
	cJSON *p = cJSON_Parse(patch);
	char *err = NULL;
	bool ok = sedit_patch(se, p, &err);
	CHECK(!ok && err && strstr(err, want), "%s: refused with '%s': %s", name, want, err ? err : "(accepted)");
	char *got = text_of(se, "pipeline.yaml");
	CHECK(got == NULL, "%s: the spec is untouched: %s", name, got ? got : "");
	free(got);
	free(err);
	cJSON_Delete(p);
	sedit_free(se);
}

static const char block[] =
	"# the shop\n"
	"version: 1\n"
	"project: shop   # its name\n"
	"\n"
	"models:\n"
	"  # first\n"
	"  stg_a:\n"
	"    sql: sql/a.sql\n"
	"    materialized: view  # the default\n"
	"    columns:\n"
	"      id:\n"
	"        tests:\n"
	"          - unique\n"
	"          # keys are never null\n"
	"          - not_null\n"
	"\n"
	"  stg_b:\n"
	"    sql: \"sql/b.sql\"\n"
	"    columns: {id: {tests: [unique]}, name: text}\n"
	"\n"
	"# the end\n";

static void
test_block(void)
{
	patch_case("add a model after the last, blank line kept", block,
		   "[{\"op\": \"add\", \"path\": \"/models/fct_c\", \"value\": {\"sql\": \"sql/c.sql\", "
		   "\"materialized\": \"table\", \"description\": \"One row per c: with a colon\"}}]",
		   "# the shop\n"
		   "version: 1\n"
		   "project: shop   # its name\n"
		   "\n"
		   "models:\n"
		   "  # first\n"
		   "  stg_a:\n"
		   "    sql: sql/a.sql\n"
		   "    materialized: view  # the default\n"
		   "    columns:\n"
		   "      id:\n"
		   "        tests:\n"
		   "          - unique\n"
		   "          # keys are never null\n"
		   "          - not_null\n"
		   "\n"
		   "  stg_b:\n"
		   "    sql: \"sql/b.sql\"\n"
		   "    columns: {id: {tests: [unique]}, name: text}\n"
		   "\n"
		   "  fct_c:\n"
		   "    sql: sql/c.sql\n"
		   "    materialized: table\n"
		   "    description: 'One row per c: with a colon'\n"
		   "\n"
		   "# the end\n");
	patch_case("replace a scalar: its comment stays", block,
		   "[{\"op\": \"replace\", \"path\": \"/models/stg_a/materialized\", \"value\": \"table\"}]",
		   "# the shop\nversion: 1\nproject: shop   # its name\n\nmodels:\n  # first\n  stg_a:\n"
		   "    sql: sql/a.sql\n    materialized: table  # the default\n    columns:\n      id:\n"
		   "        tests:\n          - unique\n          # keys are never null\n          - not_null\n\n"
		   "  stg_b:\n    sql: \"sql/b.sql\"\n    columns: {id: {tests: [unique]}, name: text}\n\n# the end\n");
	patch_case("append to a block list at depth 5", block,
		   "[{\"op\": \"add\", \"path\": \"/models/stg_a/columns/id/tests/-\", \"value\": "
		   "{\"accepted_values\": [1, 2]}}]",
		   "# the shop\nversion: 1\nproject: shop   # its name\n\nmodels:\n  # first\n  stg_a:\n"
		   "    sql: sql/a.sql\n    materialized: view  # the default\n    columns:\n      id:\n"
		   "        tests:\n          - unique\n          # keys are never null\n          - not_null\n"
		   "          - accepted_values: [1, 2]\n\n"
		   "  stg_b:\n    sql: \"sql/b.sql\"\n    columns: {id: {tests: [unique]}, name: text}\n\n# the end\n");
	patch_case("insert into a block list, above an item's comment", block,
		   "[{\"op\": \"add\", \"path\": \"/models/stg_a/columns/id/tests/1\", \"value\": \"x\"},"
		   " {\"op\": \"add\", \"path\": \"/models/stg_a/columns/id/tests/0\", \"value\": \"y\"}]",
		   "# the shop\nversion: 1\nproject: shop   # its name\n\nmodels:\n  # first\n  stg_a:\n"
		   "    sql: sql/a.sql\n    materialized: view  # the default\n    columns:\n      id:\n"
		   "        tests:\n          - 'y'\n          - unique\n          - x\n          # keys are never null\n"
		   "          - not_null\n\n"
		   "  stg_b:\n    sql: \"sql/b.sql\"\n    columns: {id: {tests: [unique]}, name: text}\n\n# the end\n");
	patch_case("flow: a key into {...}, an item into [...]", block,
		   "[{\"op\": \"add\", \"path\": \"/models/stg_b/columns/email\", \"value\": {\"tests\": [\"not_null\"]}},"
		   " {\"op\": \"add\", \"path\": \"/models/stg_b/columns/id/tests/-\", \"value\": \"not_null\"}]",
		   "# the shop\nversion: 1\nproject: shop   # its name\n\nmodels:\n  # first\n  stg_a:\n"
		   "    sql: sql/a.sql\n    materialized: view  # the default\n    columns:\n      id:\n"
		   "        tests:\n          - unique\n          # keys are never null\n          - not_null\n\n"
		   "  stg_b:\n    sql: \"sql/b.sql\"\n"
		   "    columns: {id: {tests: [unique, not_null]}, name: text, email: {tests: [not_null]}}\n\n# the end\n");
	patch_case("flow: remove the first and the last entry", block,
		   "[{\"op\": \"remove\", \"path\": \"/models/stg_b/columns/name\"},"
		   " {\"op\": \"remove\", \"path\": \"/models/stg_b/columns/id/tests/0\"}]",
		   "# the shop\nversion: 1\nproject: shop   # its name\n\nmodels:\n  # first\n  stg_a:\n"
		   "    sql: sql/a.sql\n    materialized: view  # the default\n    columns:\n      id:\n"
		   "        tests:\n          - unique\n          # keys are never null\n          - not_null\n\n"
		   "  stg_b:\n    sql: \"sql/b.sql\"\n    columns: {id: {tests: []}}\n\n# the end\n");
	patch_case("remove a key with its lines; the last key of a mapping leaves {}", block,
		   "[{\"op\": \"remove\", \"path\": \"/models/stg_a/materialized\"},"
		   " {\"op\": \"remove\", \"path\": \"/models/stg_a/columns/id\"}]",
		   "# the shop\nversion: 1\nproject: shop   # its name\n\nmodels:\n  # first\n  stg_a:\n"
		   "    sql: sql/a.sql\n    columns: {}\n\n"
		   "  stg_b:\n    sql: \"sql/b.sql\"\n    columns: {id: {tests: [unique]}, name: text}\n\n# the end\n");
	patch_case("replace a block mapping by a scalar and back", block,
		   "[{\"op\": \"replace\", \"path\": \"/models/stg_a/columns\", \"value\": {\"id\": \"bigint\"}},"
		   " {\"op\": \"replace\", \"path\": \"/models/stg_b/sql\", \"value\": \"select 1\\nfrom x\\n\"}]",
		   "# the shop\nversion: 1\nproject: shop   # its name\n\nmodels:\n  # first\n  stg_a:\n"
		   "    sql: sql/a.sql\n    materialized: view  # the default\n    columns:\n      id: bigint\n\n"
		   "  stg_b:\n    sql: |\n      select 1\n      from x\n"
		   "    columns: {id: {tests: [unique]}, name: text}\n\n# the end\n");
	patch_case("a new section at the end of the file; test op", block,
		   "[{\"op\": \"test\", \"path\": \"/models/stg_b/sql\", \"value\": \"sql/b.sql\"},"
		   " {\"op\": \"add\", \"path\": \"/sources\", \"value\": {\"raw\": {\"tables\": {\"orders\": null, "
		   "\"yes\": {}}}}}]",
		   "# the shop\nversion: 1\nproject: shop   # its name\n\nmodels:\n  # first\n  stg_a:\n"
		   "    sql: sql/a.sql\n    materialized: view  # the default\n    columns:\n      id:\n"
		   "        tests:\n          - unique\n          # keys are never null\n          - not_null\n\n"
		   "  stg_b:\n    sql: \"sql/b.sql\"\n    columns: {id: {tests: [unique]}, name: text}\n\n# the end\n"
		   "\nsources:\n  raw:\n    tables:\n      orders:\n      'yes': {}\n");
	/* a null value takes what the token asks for; a list of maps is
	 * indented as the file indents its lists */
	patch_case("null parents, lists of mappings",
		   "version: 1\nproject: p\nmodels:\n  a:\n    sql: a.sql\n    tests:\n    columns:   # none yet\n"
		   "seeds:\n  s:\n    csv: s.csv\n    tags:\n      - x\n",
		   "[{\"op\": \"add\", \"path\": \"/models/a/tests/-\", \"value\": {\"row_count\": {\"min\": 1}}},"
		   " {\"op\": \"add\", \"path\": \"/models/a/columns/id\", \"value\": {\"tests\": [\"unique\"]}},"
		   " {\"op\": \"add\", \"path\": \"/seeds/s/columns\", \"value\": {\"v\": {\"tests\": "
		   "[{\"relationships\": {\"to\": \"a\", \"field\": \"id\"}}, \"not_null\"]}}}]",
		   "version: 1\nproject: p\nmodels:\n  a:\n    sql: a.sql\n    tests:\n      - row_count:\n"
		   "          min: 1\n"
		   "    columns:   # none yet\n      id:\n        tests: [unique]\n"
		   "seeds:\n  s:\n    csv: s.csv\n    tags:\n      - x\n    columns:\n      v:\n        tests:\n"
		   "          - relationships:\n              to: a\n              field: id\n          - not_null\n");
	patch_case("an empty {} under a key becomes block; the file's step is 4",
		   "version: 1\nproject: p\nmodels:\n    a:\n        sql: a.sql\n        columns: {}  # later\n",
		   "[{\"op\": \"add\", \"path\": \"/models/a/columns/id\", \"value\": {\"type\": \"int\", "
		   "\"description\": \"The key\"}}]",
		   "version: 1\nproject: p\nmodels:\n    a:\n        sql: a.sql\n        columns:\n"
		   "            id:\n                type: int\n                description: The key  # later\n");
}

static void
test_crlf(void)
{
	patch_case("a CRLF file stays CRLF",
		   "version: 1\r\nproject: p  # x\r\nmodels:\r\n  a:\r\n    sql: a.sql\r\n",
		   "[{\"op\": \"add\", \"path\": \"/models/b\", \"value\": {\"sql\": \"b.sql\", \"tags\": [\"x\", \"y\"]}},"
		   " {\"op\": \"replace\", \"path\": \"/models/a/sql\", \"value\": \"select 1\\nfrom t\"},"
		   " {\"op\": \"add\", \"path\": \"/seeds\", \"value\": {\"s\": {\"csv\": \"s.csv\"}}}]",
		   "version: 1\r\nproject: p  # x\r\nmodels:\r\n  a:\r\n    sql: |-\r\n      select 1\r\n      from t\r\n"
		   "  b:\r\n    sql: b.sql\r\n    tags: [x, 'y']\r\n\r\nseeds:\r\n  s:\r\n    csv: s.csv\r\n");
}

static void
test_refusals(void)
{
	refused("add a key that exists", block, "[{\"op\": \"add\", \"path\": \"/models/stg_b\", \"value\": {}}]",
		"/models/stg_b is already defined at pipeline.yaml:17");
	refused("replace what is not there", block,
		"[{\"op\": \"replace\", \"path\": \"/models/nope/sql\", \"value\": \"x\"}]", "there is no /models/nope");
	refused("a pointer without a slash", block, "[{\"op\": \"remove\", \"path\": \"models\"}]",
		"is not a JSON Pointer");
	refused("an index past the end", block,
		"[{\"op\": \"add\", \"path\": \"/models/stg_a/columns/id/tests/7\", \"value\": \"x\"}]",
		"not an index of the list");
	refused("move is not made", block, "[{\"op\": \"move\", \"from\": \"/a\", \"path\": \"/b\"}]",
		"op 'move' is not one dpc makes");
	refused("a failed test op", block, "[{\"op\": \"test\", \"path\": \"/version\", \"value\": 2}]",
		"not the value the test names");
	refused("all or nothing: the second op fails", block,
		"[{\"op\": \"add\", \"path\": \"/models/x\", \"value\": {\"sql\": \"x.sql\"}},"
		" {\"op\": \"remove\", \"path\": \"/models/y\"}]",
		"patch operation 1 (remove /models/y)");
	static const char aliased[] = "version: 1\nproject: p\nx: &common {sql: a.sql}\nmodels:\n  a: *common\n"
				      "  b:\n    <<: *common\n";
	refused("through an alias", aliased,
		"[{\"op\": \"replace\", \"path\": \"/models/a/sql\", \"value\": \"b.sql\"}]", "is an alias");
	refused("inside an anchored node", aliased,
		"[{\"op\": \"replace\", \"path\": \"/x/sql\", \"value\": \"b.sql\"}]", "without changing something else");
	refused("a string is no mapping", block,
		"[{\"op\": \"add\", \"path\": \"/project/x\", \"value\": 1}]", "is a string, not a mapping");
	check_put("pipeline.yaml", "version: 1\n---\nproject: p\n");
	char *err = NULL;
	struct sedit *se = sedit_open(rootfd, check_dir, "pipeline.yaml", &err);
	CHECK(!se && err && strstr(err, "pipeline.yaml:2:1:") && strstr(err, "one YAML document"),
	      "a second document is refused where it starts: %s", err ? err : "");
	sedit_free(se);
	free(err);
}

static void
test_fragments(void)
{
	check_put("specs/a.yaml", "# fragment a\nmodels:\n  m1: {sql: m1.sql}\n  m2: {sql: m2.sql}\n");
	check_put("specs/b.yaml", "seeds:\n  s1:\n    csv: s1.csv\n");
	struct sedit *se = open_spec("version: 1\nproject: p\ninclude: [specs/*.yaml]\nmodels:\n  m0:\n    sql: m0.sql\n");
	if (!se)
		return;
	const char *const *files;
	CHECK(sedit_specfiles(se, &files) == 3 && strcmp(files[2], "specs/b.yaml") == 0, "three spec files");
	const char *file = NULL;
	int line = 0;
	CHECK(sedit_exists(se, "/models/m2", &file, &line) && strcmp(file, "specs/a.yaml") == 0 && line == 4,
	      "m2 is at specs/a.yaml:4, not %s:%d", file ? file : "-", line);
	char *err = NULL;
	cJSON *v = cJSON_Parse("{\"sql\": \"m3.sql\"}"), *s = cJSON_CreateString("table");
	/* a new model goes to the file with the most models; near overrides */
	CHECK(sedit_add(se, "/models/m3", v, NULL, &err), "add m3: %s", err ? err : "");
	free(err);
	CHECK(sedit_add(se, "/models/m4", v, "/seeds/s1", &err), "add m4 near s1: %s", err ? err : "");
	free(err);
	CHECK(sedit_replace(se, "/models/m1/sql", s, &err), "replace in a fragment: %s", err ? err : "");
	free(err);
	CHECK(!sedit_add(se, "/models/m5", v, "/seeds/nope", &err) && strstr(err, "near /seeds/nope"),
	      "near names nothing: %s", err ? err : "");
	free(err);
	err = NULL;
	char *a = text_of(se, "specs/a.yaml"), *b = text_of(se, "specs/b.yaml"), *root = text_of(se, "pipeline.yaml");
	CHECK_STR(a, "# fragment a\nmodels:\n  m1: {sql: table}\n  m2: {sql: m2.sql}\n  m3: {sql: m3.sql}\n", "specs/a.yaml");
	CHECK_STR(b, "seeds:\n  s1:\n    csv: s1.csv\n\nmodels:\n  m4:\n    sql: m3.sql\n", "specs/b.yaml");
	CHECK(root == NULL, "the root is untouched");
	free(a), free(b), free(root);
	cJSON_Delete(v);
	cJSON_Delete(s);
	/* files: where dpc may not write */
	static const struct {
		const char *path, *why;
	} bad[] = {
		{"../x.sql", "relative to the project"}, {"/etc/x", "relative to the project"},
		{"data/dbt/models/x.sql", "folder dpc generates"}, {"specs/c.yaml", "would be a spec fragment"},
		{"./pipeline.yaml", "is a spec file"}, {".dpc/x", "dpc's or git's own"},
		{"supabase/migrations/1_x.sql", "Supabase migration"}, {"specs/a.yaml", "is a spec file"},
	};
	for (size_t i = 0; i < LEN(bad); i++) {
		CHECK(!sedit_file(se, bad[i].path, "x", 1, false, &err) && err && strstr(err, bad[i].why),
		      "%s refused (%s): %s", bad[i].path, bad[i].why, err ? err : "(accepted)");
		free(err);
		err = NULL;
	}
	check_put("sql/there.sql", "select 1\n");
	CHECK(!sedit_file(se, "sql/there.sql", "x", 1, false, &err) && strstr(err, "exists"), "no overwrite: %s",
	      err ? err : "");
	free(err);
	sedit_free(se);
	unlink("specs/a.yaml");
}

/* the edit compiled in memory, then written */
static void
test_compile_write(void)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/specs/a.yaml", check_dir), unlink(path);
	snprintf(path, sizeof(path), "%s/specs/b.yaml", check_dir), unlink(path);
	check_put("sql/a.sql", "select 1 as id\n");
	struct sedit *se = open_spec("version: 1\nproject: p\nmodels:\n  a:\n    sql: sql/a.sql  # a\n");
	if (!se)
		return;
	char *err = NULL;
	cJSON *v = cJSON_Parse("{\"sql\": \"sql/b.sql\"}");
	const char *sql = "select id from {{ ref('a') }}\n";
	CHECK(sedit_add(se, "/models/b", v, NULL, &err) && sedit_file(se, "sql/b.sql", sql, strlen(sql), false, &err),
	      "add b: %s", err ? err : "");
	struct compilation c;
	CHECK(sedit_compile(se, &c, NULL), "b compiles in memory (%zu errors)", c.diags.nerrors);
	bool model = false;
	for (size_t i = 0; c.graph && i < c.graph->n; i++)
		model |= strcmp(c.graph->nodes[i].name, "b") == 0 && c.graph->nodes[i].ndeps == 1;
	CHECK(model, "the graph has b, reading a");
	compile_free(&c);
	/* an edit that does not compile: the diagnostic points into it */
	const char *bad = "select id from {{ ref('nope') }}\n";
	CHECK(sedit_file(se, "sql/b.sql", bad, strlen(bad), false, &err), "b again: %s", err ? err : "");
	CHECK(!sedit_compile(se, &c, NULL), "ref('nope') does not compile");
	char *msg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&msg, &len);
	diag_print(&c.diags, f, false, 10);
	fclose(f);
	CHECK(msg && strstr(msg, "sql/b.sql:1:") && strstr(msg, "ref('nope')"), "the diagnostic shows the new file: %s",
	      msg ? msg : "");
	free(msg);
	compile_free(&c);
	char *d = sedit_diff(se);
	CHECK(strstr(d, "+++ b/pipeline.yaml") && strstr(d, "+  b:\n") && strstr(d, "--- /dev/null\n+++ b/sql/b.sql"),
	      "the diff: %s", d);
	free(d);
	/* the write: refused when the spec changed on disk meanwhile */
	CHECK(sedit_file(se, "sql/b.sql", sql, strlen(sql), false, &err), "b: %s", err ? err : "");
	check_put("pipeline.yaml", "version: 1\nproject: p\nmodels:\n  a:\n    sql: sql/a.sql  # changed\n");
	CHECK(!sedit_write(se, &err) && strstr(err, "changed on disk"), "a changed spec is not overwritten: %s",
	      err ? err : "");
	free(err);
	err = NULL;
	snprintf(path, sizeof(path), "%s/sql/b.sql", check_dir);
	CHECK(access(path, F_OK) != 0, "nothing was written");
	sedit_free(se);
	se = open_spec("version: 1\nproject: p\nmodels:\n  a:\n    sql: sql/a.sql  # a\n");
	CHECK(sedit_add(se, "/models/b", v, NULL, &err) && sedit_file(se, "sql/b.sql", sql, strlen(sql), false, &err),
	      "add b: %s", err ? err : "");
	CHECK(sedit_write(se, &err), "written: %s", err ? err : "");
	char *text = NULL;
	size_t n;
	snprintf(path, sizeof(path), "%s/pipeline.yaml", check_dir);
	CHECK(read_file(path, 1 << 20, &text, &n) == 0 &&
		      strcmp(text, "version: 1\nproject: p\nmodels:\n  a:\n    sql: sql/a.sql  # a\n  b:\n    sql: sql/b.sql\n") == 0,
	      "the spec on disk: %s", text ? text : "");
	free(text);
	text = NULL;
	snprintf(path, sizeof(path), "%s/sql/b.sql", check_dir);
	CHECK(read_file(path, 1 << 20, &text, &n) == 0 && strcmp(text, sql) == 0, "the SQL on disk");
	free(text);
	const struct sedit_change *ch;
	CHECK(sedit_changes(se, &ch) == 0, "nothing pending after the write");
	free(err);
	cJSON_Delete(v);
	sedit_free(se);
}

int
main(void)
{
	if (!check_scratch("specedit"))
		return 1;
	rootfd = open(check_dir, O_RDONLY | O_DIRECTORY);
	if (chdir(check_dir) != 0)
		return 1;
	test_block();
	test_crlf();
	test_refusals();
	test_fragments();
	test_compile_write();
	close(rootfd);
	return check_done("specedit");
}
