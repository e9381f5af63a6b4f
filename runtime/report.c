/* report.c: what dpc run says: --explain, a progress line per node as it
 * finishes, the summary, the results in the JSON document, and
 * target/run_results.json in dbt's format (schema v6), so that tools that
 * read dbt's run results read dpc's. Only nodes that executed (or were
 * skipped) are in run_results.json, as in dbt; nodes up to date are not,
 * as dbt leaves out nodes it did not run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "runint.h"

#define LINE_WIDTH 72 /* where the dots of a progress line end */

double
run_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void
run_isotime(char out[32])
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	time_t s = tv.tv_sec;
	gmtime_r(&s, &tm);
	/* 2024-06-03T07:00:37.123456Z */
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	size_t n = strlen(out);
	snprintf(out + n, 32 - n, ".%06ldZ", (long)tv.tv_usec % 1000000);
}

const char *
report_status(enum rstatus s)
{
	switch (s) {
	case RS_UPTODATE: return "up to date";
	case RS_SUCCESS: return "success";
	case RS_ERROR: return "error";
	case RS_SKIPPED: return "skipped";
	case RS_PASS: return "pass";
	case RS_FAIL: return "fail";
	case RS_WARN: return "warn";
	default: return "";
	}
}

void
report_secs(struct buf *b, double s)
{
	buf_printf(b, "%.2fs", s);
}

/* "table fct_daily_rides", "test not_null_x", "freshness raw.trips" */
static void
describe(struct buf *b, const struct rnode *x)
{
	if (x->kind == RK_SOURCE)
		buf_printf(b, "freshness %s", x->label);
	else
		buf_printf(b, "%s %s", x->mat, x->label);
}

void
report_explain(struct runner *r)
{
	if (r->json)
		return;
	for (size_t k = 0; k < r->norder; k++) {
		const struct rnode *x = &r->v[r->order[k]];
		if (!x->why)
			continue;
		struct buf b = {0};
		describe(&b, x);
		printf("dpc: %-40s %s%s\n", b.data, x->run ? "runs: " : x->status == RS_SKIPPED ? "skipped: " : "",
		       x->why);
		buf_free(&b);
	}
}

void
report_line(struct runner *r, struct rnode *x)
{
	if (r->json)
		return;
	static const char *const words[] = {
		[RS_SUCCESS] = "OK", [RS_ERROR] = "ERROR", [RS_SKIPPED] = "SKIP",
		[RS_PASS] = "PASS", [RS_FAIL] = "FAIL", [RS_WARN] = "WARN",
	};
	struct buf b = {0}, tail = {0};
	buf_printf(&b, "%zu of %zu %s ", x->seq, r->nrun, words[x->status] ? words[x->status] : "?");
	describe(&b, x);
	buf_putc(&b, ' ');
	while (b.len < LINE_WIDTH)
		buf_putc(&b, '.');
	switch (x->status) {
	case RS_SUCCESS:
		if (x->kind == RK_MODEL && strcmp(x->mat, "view") == 0)
			buf_puts(&tail, "OK in ");
		else
			buf_printf(&tail, "%lld row%s in ", x->rows, x->rows == 1 ? "" : "s");
		break;
	case RS_FAIL:
	case RS_WARN:
		if (x->kind == RK_TEST)
			buf_printf(&tail, "%s %lld in ", x->status == RS_FAIL ? "FAIL" : "WARN", x->failures);
		else
			buf_puts(&tail, "WARN in ");
		break;
	case RS_PASS: buf_puts(&tail, "PASS in "); break;
	case RS_ERROR: buf_puts(&tail, "ERROR in "); break;
	default: break;
	}
	if (x->status == RS_SKIPPED)
		buf_puts(&tail, "SKIP");
	else
		report_secs(&tail, x->secs);
	printf("%s [%s]\n", b.data, tail.data);
	fflush(stdout);
	buf_free(&b);
	buf_free(&tail);
}

/* the sample of failing rows, as a small table */
static void
printsample(const struct wh_sample *s)
{
	if (!s->ncols || !s->nrows)
		return;
	size_t *w = xcalloc(s->ncols, sizeof(size_t));
	for (size_t i = 0; i < s->ncols; i++) {
		w[i] = strlen(s->cols[i]);
		for (size_t k = 0; k < s->nrows; k++) {
			size_t l = strlen(s->cells[k * s->ncols + i]);
			w[i] = l > w[i] ? l : w[i];
		}
		if (w[i] > 30)
			w[i] = 30;
	}
	for (size_t k = 0; k <= s->nrows; k++) {
		printf("      ");
		for (size_t i = 0; i < s->ncols; i++) {
			const char *v = k ? s->cells[(k - 1) * s->ncols + i] : s->cols[i];
			printf("%s%-*.*s", i ? " | " : "", (int)w[i], (int)w[i], v);
		}
		putchar('\n');
	}
	if (s->count > (long long)s->nrows)
		printf("      (%lld more)\n", s->count - (long long)s->nrows);
	free(w);
}

static cJSON *
samplejson(const struct wh_sample *s)
{
	cJSON *j = cJSON_CreateObject();
	cJSON *cols = cJSON_AddArrayToObject(j, "columns");
	for (size_t i = 0; i < s->ncols; i++)
		cJSON_AddItemToArray(cols, cJSON_CreateString(s->cols[i]));
	cJSON *rows = cJSON_AddArrayToObject(j, "rows");
	for (size_t k = 0; k < s->nrows; k++) {
		cJSON *row = cJSON_CreateArray();
		for (size_t i = 0; i < s->ncols; i++)
			cJSON_AddItemToArray(row, cJSON_CreateString(s->cells[k * s->ncols + i]));
		cJSON_AddItemToArray(rows, row);
	}
	return j;
}

static const char *
relname(struct runner *r, const struct rnode *x, struct buf *b)
{
	(void)r;
	if (!x->relname || x->kind == RK_TEST)
		return NULL;
	b->len = 0;
	wh_quote(b, x->relname);
	return b->data;
}

int
report_finish(struct runner *r, cJSON *doc)
{
	size_t count[RS_WARN + 1] = {0}, kinds[4] = {0};
	int code = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct rnode *x = &r->v[i];
		if (!x->run && !x->absent && x->status != RS_UPTODATE)
			continue;
		count[x->status]++;
		if (x->run)
			kinds[x->kind]++;
		if (x->status == RS_ERROR || x->status == RS_FAIL)
			code = 1;
	}
	double elapsed = run_now() - r->t0;
	if (doc) {
		cJSON *res = cJSON_AddArrayToObject(doc, "results");
		struct buf b = {0};
		for (size_t k = 0; k < r->norder; k++) {
			const struct rnode *x = &r->v[r->order[k]];
			if (!x->run && !x->absent && x->status != RS_UPTODATE)
				continue;
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, "unique_id", x->uid);
			cJSON_AddStringToObject(j, "kind", x->kind == RK_SOURCE ? "freshness" : x->kind == RK_SEED ? "seed"
									   : x->kind == RK_MODEL ? "model" : "test");
			cJSON_AddStringToObject(j, "name", x->label);
			cJSON_AddStringToObject(j, "materialized", x->mat);
			const char *rel = relname(r, x, &b);
			cJSON_AddItemToObject(j, "relation_name", rel ? cJSON_CreateString(rel) : cJSON_CreateNull());
			cJSON_AddStringToObject(j, "status", report_status(x->status));
			cJSON_AddBoolToObject(j, "executed", x->run);
			if (x->why)
				cJSON_AddStringToObject(j, "reason", x->why);
			cJSON_AddItemToObject(j, "message", x->message ? cJSON_CreateString(x->message) : cJSON_CreateNull());
			if (x->kind == RK_SEED || (x->kind == RK_MODEL && strcmp(x->mat, "view") != 0))
				cJSON_AddNumberToObject(j, "rows", (double)x->rows);
			if (x->kind == RK_TEST)
				cJSON_AddNumberToObject(j, "failures", (double)x->failures);
			cJSON_AddNumberToObject(j, "execution_time", x->secs);
			if (x->sample.nrows)
				cJSON_AddItemToObject(j, "sample", samplejson(&x->sample));
			cJSON_AddItemToArray(res, j);
		}
		buf_free(&b);
		cJSON *s = cJSON_AddObjectToObject(doc, "run_summary");
		static const char *const keys[] = {"seeds", "models", "tests", "freshness"};
		static const enum rkind kk[] = {RK_SEED, RK_MODEL, RK_TEST, RK_SOURCE};
		for (int i = 0; i < 4; i++)
			cJSON_AddNumberToObject(s, keys[i], (double)kinds[kk[i]]);
		for (int st = RS_UPTODATE; st <= RS_WARN; st++) {
			char key[16];
			snprintf(key, sizeof(key), "%s", report_status((enum rstatus)st));
			for (char *p = key; *p; p++)
				if (*p == ' ')
					*p = '_';
			cJSON_AddNumberToObject(s, key, (double)count[st]);
		}
		cJSON_AddNumberToObject(s, "elapsed_time", elapsed);
		cJSON_AddStringToObject(doc, "run_results", "target/run_results.json");
		cJSON_AddItemToObject(doc, "run_diagnostics", diag_json(&r->diags));
		return code;
	}
	if (r->diags.n)
		diag_print(&r->diags, stderr, r->o->color, 100);
	/* what was skipped before the run, for want of source tables: one line */
	struct buf absent = {0};
	size_t nabsent = 0;
	for (size_t k = 0; k < r->norder; k++) {
		const struct rnode *x = &r->v[r->order[k]];
		if (!x->absent)
			continue;
		nabsent++;
		for (size_t i = 0; i < x->ndeps || (x->kind == RK_SOURCE && i == 0); i++) {
			const struct rnode *d = x->kind == RK_SOURCE ? x : &r->v[x->deps[i]];
			if (d->kind != RK_SOURCE || d->exists)
				continue;
			char *item = xasprintf(" %s,", d->label);
			if (!absent.data || !strstr(absent.data, item))
				buf_puts(&absent, item);
			free(item);
		}
	}
	if (nabsent) {
		absent.data[--absent.len] = '\0';
		printf("dpc: skipped %zu freshness check%s and test%s of source tables not in %s:%s\n", nabsent,
		       nabsent == 1 ? "" : "s", nabsent == 1 ? "" : "s", r->wh.path, absent.data);
	}
	buf_free(&absent);
	size_t bad = count[RS_ERROR] + count[RS_FAIL] + count[RS_WARN] + count[RS_SKIPPED] - nabsent;
	if (bad)
		printf("\n");
	for (size_t k = 0; bad && k < r->norder; k++) {
		const struct rnode *x = &r->v[r->order[k]];
		if (!x->seq || (x->status != RS_ERROR && x->status != RS_FAIL && x->status != RS_WARN &&
				x->status != RS_SKIPPED))
			continue;
		static const char *const w[] = {[RS_ERROR] = "ERROR", [RS_FAIL] = "FAIL", [RS_WARN] = "WARN",
						 [RS_SKIPPED] = "SKIP"};
		printf("%-5s %s: %s\n", w[x->status], x->uid, x->message ? x->message : "");
		printsample(&x->sample);
	}
	struct buf what = {0};
	static const char *const names[][2] = {{"freshness check", "freshness checks"}, {"seed", "seeds"},
					       {"model", "models"}, {"test", "tests"}};
	static const enum rkind show[] = {RK_SEED, RK_MODEL, RK_TEST, RK_SOURCE};
	for (int i = 0; i < 4; i++)
		if (kinds[show[i]])
			buf_printf(&what, "%s%zu %s", what.len ? ", " : "", kinds[show[i]],
				   names[show[i]][kinds[show[i]] != 1]);
	if (!r->nrun) {
		printf("dpc: nothing to run: %zu node%s up to date in %s\n", count[RS_UPTODATE],
		       count[RS_UPTODATE] == 1 ? "" : "s", r->wh.path);
		buf_free(&what);
		return code;
	}
	printf("\ndpc: %s %s in %.2fs", r->o->tests_only ? "tested" : "ran", what.len ? what.data : "nothing",
	       elapsed);
	if (count[RS_UPTODATE])
		printf("; %zu up to date", count[RS_UPTODATE]);
	printf("\nDone. PASS=%zu WARN=%zu ERROR=%zu SKIP=%zu UP_TO_DATE=%zu TOTAL=%zu\n",
	       count[RS_SUCCESS] + count[RS_PASS], count[RS_WARN], count[RS_ERROR] + count[RS_FAIL],
	       count[RS_SKIPPED], count[RS_UPTODATE],
	       count[RS_SUCCESS] + count[RS_PASS] + count[RS_WARN] + count[RS_ERROR] + count[RS_FAIL] +
		       count[RS_SKIPPED] + count[RS_UPTODATE]);
	buf_free(&what);
	return code;
}

static cJSON *
timing(const char *name, const char *a, const char *b)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "name", name);
	cJSON_AddItemToObject(t, "started_at", a[0] ? cJSON_CreateString(a) : cJSON_CreateNull());
	cJSON_AddItemToObject(t, "completed_at", b[0] ? cJSON_CreateString(b) : cJSON_CreateNull());
	return t;
}

static cJSON *
result(struct runner *r, const struct rnode *x, struct buf *b)
{
	cJSON *j = cJSON_CreateObject();
	const char *st = report_status(x->status);
	cJSON_AddStringToObject(j, "status", st);
	cJSON *t = cJSON_AddArrayToObject(j, "timing");
	if (x->started[0]) {
		cJSON_AddItemToArray(t, timing("compile", x->started, x->started));
		cJSON_AddItemToArray(t, timing("execute", x->started, x->completed));
	}
	cJSON_AddStringToObject(j, "thread_id", "Thread-1");
	cJSON_AddNumberToObject(j, "execution_time", x->secs);
	cJSON *ar = cJSON_AddObjectToObject(j, "adapter_response");
	if (x->status == RS_SUCCESS) {
		bool view = x->kind == RK_MODEL && strcmp(x->mat, "view") == 0;
		char *m = view ? xstrdup("OK") : xasprintf("%s %lld", x->kind == RK_SEED ? "INSERT" : "SELECT", x->rows);
		cJSON_AddStringToObject(ar, "_message", m);
		cJSON_AddStringToObject(ar, "code", view ? "OK" : x->kind == RK_SEED ? "INSERT" : "SELECT");
		if (!view)
			cJSON_AddNumberToObject(ar, "rows_affected", (double)x->rows);
		free(m);
	}
	cJSON_AddItemToObject(j, "message",
			      x->message ? cJSON_CreateString(x->message)
					 : x->status == RS_SUCCESS ? cJSON_CreateString(cJSON_GetStringValue(
								       cJSON_GetObjectItem(ar, "_message")))
								   : cJSON_CreateNull());
	cJSON_AddItemToObject(j, "failures",
			      x->kind == RK_TEST && x->status != RS_SKIPPED && x->status != RS_ERROR
				      ? cJSON_CreateNumber((double)x->failures)
				      : cJSON_CreateNull());
	cJSON_AddStringToObject(j, "unique_id", x->uid);
	bool code = x->sql && (x->kind == RK_MODEL || x->kind == RK_TEST);
	cJSON_AddItemToObject(j, "compiled", code ? cJSON_CreateTrue() : cJSON_CreateNull());
	cJSON_AddItemToObject(j, "compiled_code", code ? cJSON_CreateString(x->sql) : cJSON_CreateNull());
	const char *rel = relname(r, x, b);
	cJSON_AddItemToObject(j, "relation_name", rel ? cJSON_CreateString(rel) : cJSON_CreateNull());
	return j;
}

static cJSON *
words(const char *text)
{
	cJSON *a = cJSON_CreateArray();
	for (const char *p = text; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		const char *e = p;
		while (*e && *e != ' ' && *e != '\t' && *e != '\n')
			e++;
		if (e > p) {
			char *w = xstrndup(p, (size_t)(e - p));
			cJSON_AddItemToArray(a, cJSON_CreateString(w));
			free(w);
		}
		p = e;
	}
	return a;
}

int
report_results_file(const struct run_options *o, struct runner *r, double elapsed, char **err)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *meta = cJSON_AddObjectToObject(doc, "metadata");
	cJSON_AddStringToObject(meta, "dbt_schema_version", "https://schemas.getdbt.com/dbt/run-results/v6.json");
	char *ver = xasprintf("dpc-%s", dpc_version);
	cJSON_AddStringToObject(meta, "dbt_version", ver);
	free(ver);
	char now[32];
	run_isotime(now);
	cJSON_AddStringToObject(meta, "generated_at", now);
	if (r)
		cJSON_AddStringToObject(meta, "invocation_id", r->invocation);
	else
		cJSON_AddNullToObject(meta, "invocation_id");
	cJSON_AddObjectToObject(meta, "env");
	cJSON *res = cJSON_AddArrayToObject(doc, "results");
	struct buf b = {0};
	for (size_t k = 0; r && k < r->norder; k++) {
		const struct rnode *x = &r->v[r->order[k]];
		if (x->run || x->absent)
			cJSON_AddItemToArray(res, result(r, x, &b));
	}
	buf_free(&b);
	cJSON_AddNumberToObject(doc, "elapsed_time", elapsed);
	cJSON *args = cJSON_AddObjectToObject(doc, "args");
	cJSON_AddStringToObject(args, "which", o->tests_only ? "test" : "run");
	if (o->select)
		cJSON_AddItemToObject(args, "select", words(o->select));
	if (o->exclude)
		cJSON_AddItemToObject(args, "exclude", words(o->exclude));
	cJSON_AddBoolToObject(args, "full_refresh", o->full_refresh);
	cJSON_AddBoolToObject(args, "fail_fast", o->fail_fast);
	if (o->vars)
		cJSON_AddStringToObject(args, "vars", o->vars);
	char *text = cJSON_PrintUnformatted(doc); /* one line, as dbt writes it */
	cJSON_Delete(doc);
	int rc = -1;
	mkdirat(o->rootfd, "target", 0777);
	int fd = openat(o->rootfd, "target/.run_results.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		*err = xasprintf("cannot write target/run_results.json: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
	} else if (close(fd) != 0 ||
		   renameat(o->rootfd, "target/.run_results.json.tmp", o->rootfd, "target/run_results.json") != 0) {
		*err = xasprintf("cannot write target/run_results.json: %s", strerror(errno));
	} else {
		rc = 0;
	}
	cJSON_free(text);
	return rc;
}
