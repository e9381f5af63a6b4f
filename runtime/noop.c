/* noop.c: the no-op run (run.h). A run that leaves every node up to date
 * writes down in the warehouse (_dpc_meta 'complete') what it saw; the
 * next run whose build found no input changed compares that with the
 * warehouse and the files it names, and stops there, without compiling
 * the spec. */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "dbutil.h"
#include "runint.h"

static char *
varsdigest(const char *vars)
{
	char hex[33];
	hash_hex(hash_bytes(vars ? vars : "", vars ? strlen(vars) : 0), hex);
	return xstrdup(hex);
}

static void
stampline(struct buf *b, int rootfd, const char *path)
{
	struct fstamp s = input_stamp(rootfd, path, NULL);
	if (s.exists)
		buf_printf(b, "stamp %lld %lld %lld %s\n", (long long)s.size, (long long)s.mtime_ns, (long long)s.ino,
			   path);
	else
		buf_printf(b, "stamp - - - %s\n", path);
}

/* Everything the no-op check compares, as lines: the dpc, the inputs the
 * build read (the state DB's digest), --vars, the warehouse's schema, the
 * macro files and folders (stamps), and the rows of every source table
 * read. NULL when a run cannot be vouched for without compiling: a node
 * not as its last build left it, a freshness check (it depends on the
 * clock), env_var() in any SQL (the environment is not an input). */
char *
noop_record(struct runner *r, struct state *st, const struct macroset *ms)
{
	if (r->o->select || r->o->exclude || r->o->tests_only)
		return NULL;
	struct buf b = {0};
	char *spec = state_meta(st, "spec");
	char *vars = varsdigest(r->o->vars);
	char hex[33];
	hash_hex(wh_schema_hash(&r->wh), hex);
	buf_printf(&b, "dpc %s\ninputs %s\nvars %s\nschema %s\n", dpc_build_id, spec ? spec : "-", vars, hex);
	free(spec);
	free(vars);
	stampline(&b, r->o->rootfd, "macros");
	for (size_t i = 0; i < ms->n; i++)
		stampline(&b, r->o->rootfd, ms->paths[i]);
	size_t count = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct rnode *x = &r->v[i];
		/* skipped without running (no source table) is a fact of the schema */
		if (x->run && x->status != RS_SUCCESS && x->status != RS_PASS)
			goto no;
		if (x->kind == RK_SOURCE && x->run)
			goto no;
		if (x->text && strstr(x->text, "env_var"))
			goto no;
		if (x->kind == RK_SOURCE && x->planned && x->exists) {
			hash_hex(x->version, hex);
			buf_printf(&b, "source %s %s\n", hex, x->relname);
		}
		count += x->run || x->absent || x->status == RS_UPTODATE;
	}
	buf_printf(&b, "nodes %zu\n", count);
	return buf_take(&b);
no:
	buf_free(&b);
	return NULL;
}

static bool
noop_check(struct state *st, const struct run_options *o, sqlite3 *db, const char *rec, size_t *nodes,
	   char **why)
{
	char *spec = state_meta(st, "spec");
	char *vars = varsdigest(o->vars);
	struct wh w = {.db = db};
	char schema[33];
	hash_hex(wh_schema_hash(&w), schema);
	bool ok = true;
	const char *p = rec;
	while (ok && *p) {
		const char *e = strchr(p, '\n');
		if (!e)
			break;
		char *line = xstrndup(p, (size_t)(e - p));
		char *sp = strchr(line, ' ');
		const char *val = sp ? sp + 1 : "";
		if (sp)
			*sp = '\0';
		if (strcmp(line, "dpc") == 0) {
			if (strcmp(val, dpc_build_id) != 0)
				ok = false, *why = xstrdup("the last run was made by another dpc");
		} else if (strcmp(line, "inputs") == 0) {
			if (!spec || strcmp(val, spec) != 0)
				ok = false, *why = xstrdup("the inputs changed since the last complete run");
		} else if (strcmp(line, "vars") == 0) {
			if (strcmp(val, vars) != 0)
				ok = false, *why = xstrdup("--vars differs from the last complete run's");
		} else if (strcmp(line, "schema") == 0) {
			if (strcmp(val, schema) != 0)
				ok = false, *why = xstrdup("the warehouse's relations changed since the last complete run");
		} else if (strcmp(line, "stamp") == 0) {
			/* "<size> <mtime> <ino> <path>" or "- - - <path>" */
			const char *path = val;
			for (int k = 0; k < 3 && path; k++)
				path = strchr(path, ' ') ? strchr(path, ' ') + 1 : NULL;
			struct buf b = {0};
			if (path)
				stampline(&b, o->rootfd, path);
			if (!path || strncmp(b.data + 6, val, strlen(val)) != 0 || b.data[6 + strlen(val)] != '\n')
				ok = false, *why = xasprintf("%s changed since the last complete run", path ? path : "a macro");
			buf_free(&b);
		} else if (strcmp(line, "source") == 0) {
			const char *name = strchr(val, ' ');
			char hex[33] = "";
			if (name)
				hash_hex(wh_content_hash(&w, name + 1), hex);
			if (!name || strncmp(hex, val, 32) != 0)
				ok = false, *why = xasprintf("source table %s changed since the last complete run", name ? name + 1 : "?");
		} else if (strcmp(line, "nodes") == 0) {
			*nodes = (size_t)strtoull(val, NULL, 10);
		}
		free(line);
		p = e + 1;
	}
	free(spec);
	free(vars);
	return ok;
}

bool
run_noop(struct state *st, const struct run_options *o, cJSON *doc, int *code, char **why)
{
	*why = NULL;
	if (o->select || o->exclude || o->full_refresh || o->tests_only) {
		*why = xstrdup("a run with --select, --exclude or --full-refresh, or dpc test, is always planned");
		return false;
	}
	char *path = state_meta(st, "run.warehouse");
	if (!path) {
		*why = xstrdup("no run recorded in the state DB");
		return false;
	}
	double t0 = run_now();
	char *full = xasprintf("%s/%s", o->root, path);
	sqlite3 *db = NULL;
	bool ok = sqlite3_open_v2(full, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK;
	free(full);
	char *rec = NULL;
	if (ok) {
		sqlite3_busy_timeout(db, 5000);
		rec = db_text(db, "SELECT value FROM _dpc_meta WHERE key = 'complete'", NULL);
	}
	size_t nodes = 0;
	if (!rec)
		*why = xstrdup("the warehouse records no complete run");
	else
		ok = noop_check(st, o, db, rec, &nodes, why);
	free(rec);
	sqlite3_close(db);
	if (!ok || *why) {
		free(path);
		return false;
	}
	if (doc) {
		/* the build's part of the document: it had nothing to do either */
		cJSON_AddBoolToObject(doc, "noop", true);
		cJSON_AddItemToObject(doc, "diagnostics", cJSON_CreateArray());
		cJSON_AddItemToObject(doc, "plan", cJSON_CreateArray());
		cJSON_AddStringToObject(doc, "warehouse", path);
		cJSON_AddBoolToObject(doc, "run_noop", true);
		cJSON_AddItemToObject(doc, "results", cJSON_CreateArray());
		cJSON *s = cJSON_AddObjectToObject(doc, "run_summary");
		cJSON_AddNumberToObject(s, "up_to_date", (double)nodes);
	} else {
		printf("dpc: nothing to run: %zu node%s up to date in %s (no input, var or source table changed since "
		       "the last complete run)\n",
		       nodes, nodes == 1 ? "" : "s", path);
	}
	free(path);
	char *err = NULL;
	*code = 0;
	if (report_results_file(o, NULL, run_now() - t0, &err) != 0) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", err);
		else
			fprintf(stderr, "dpc: %s\n", err);
		free(err);
		*code = 1;
	}
	return true;
}
