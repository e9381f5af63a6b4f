/* fuzz_airflow.c: libFuzzer target for the Airflow DAG reader (airflow.c,
 * over pyscan.c and tree-sitter-python).
 *
 * One py_scanner is made per process, as dpc makes one per thread; every
 * input is read with af_read into a fresh struct diags, twice, and each
 * result is checked against the promises of airflow.h: every place inside
 * the input and its line and column the same place as its byte offset,
 * every edge between two tasks of its DAG and none twice, every string
 * present, every diagnostic inside the file. The two reads must give the
 * same DAGs byte for byte (af_dag_json), so nothing depends on memory left
 * over from an earlier input (the seeds unterminated_fstring.py, then
 * after_fstring.py, smallest first, hold tree-sitter-python to that: its
 * external scanner can carry "inside an f-string" into the next file).
 * A broken promise aborts, which libFuzzer reports as a crash with the
 * input; a leak is reported by LeakSanitizer.
 *
 * Build and run: tests/fuzz/run.sh SECONDS (builds every target; this one
 * from pyscan.c, airflow.c, cron.c, diag.c, util.c and the grammar). To see
 * what the reader makes of an input: FUZZ_AIRFLOW_VERBOSE=1
 * build/fuzz/fuzz_airflow FILE
 * Seeds: tests/fuzz/corpus/airflow/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "airflow.h"
#include "diag.h"
#include "pyscan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct py_scanner *scanner;
static int verbose;

static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "airflow invariant broken: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	scanner = py_scanner_new();
	if (!scanner) {
		fprintf(stderr, "fuzz_airflow: the grammar's ABI does not load\n");
		abort();
	}
	verbose = getenv("FUZZ_AIRFLOW_VERBOSE") != NULL;
	return 0;
}

/* line and column (1-based, bytes) of offset off in text */
static void
place(const char *text, uint32_t off, uint32_t *line, uint32_t *col)
{
	uint32_t l = 1, start = 0;
	for (uint32_t i = 0; i < off; i++)
		if (text[i] == '\n')
			l++, start = i + 1;
	*line = l;
	*col = off - start + 1;
}

static void
check_place(const char *text, size_t size, uint32_t off, uint32_t line, uint32_t col,
	    const char *what)
{
	uint32_t l, c;
	check(off <= size, what);
	place(text, off, &l, &c);
	if (l != line || c != col) {
		fprintf(stderr, "%s: offset %u is %u:%u, reported as %u:%u\n", what, off, l, c,
			line, col);
		check(false, what);
	}
}

static bool
known_sched(enum af_sched k)
{
	switch (k) {
	case AF_SCHED_UNSET:
	case AF_SCHED_NONE:
	case AF_SCHED_CRON:
	case AF_SCHED_PRESET:
	case AF_SCHED_TIMEDELTA:
	case AF_SCHED_DATASET:
	case AF_SCHED_ASSET_OR_TIME:
	case AF_SCHED_OTHER:
		return true;
	}
	return false;
}

static void
check_dag(const char *text, size_t size, const struct af_dag *g)
{
	check(g->dag_id != NULL, "DAG without an id");
	check_place(text, size, g->off, g->line, g->col, "DAG place");
	check(known_sched(g->sched_kind), "DAG schedule kind");
	check(g->sched_kind != AF_SCHED_CRON || g->schedule, "cron schedule without its text");
	check(g->catchup >= -1 && g->catchup <= 1, "DAG catchup");
	check(g->retries >= -1, "DAG retries");
	check(!g->ndatasets || g->datasets, "DAG datasets missing");
	for (size_t i = 0; i < g->ndatasets; i++)
		check(g->datasets[i] != NULL, "DAG dataset missing");
	check(!g->ntasks || g->tasks, "DAG tasks missing");
	check(!g->nedges || g->edges, "DAG edges missing");
	for (size_t i = 0; i < g->ntasks; i++) {
		const struct af_task *t = &g->tasks[i];
		check(t->id != NULL, "task without an id"); /* "" when the file says so */
		check(t->operator && *t->operator, "task without an operator");
		check(!t->group || *t->group, "empty group id");
		check_place(text, size, t->off, t->line, t->col, "task place");
		check(t->retries >= -1, "task retries");
		check(!t->nargs || t->args, "task arguments missing");
		for (size_t j = 0; j < t->nargs; j++)
			check(t->args[j].name && t->args[j].value, "task argument missing");
	}
	for (size_t i = 0; i < g->nedges; i++) {
		const struct af_edge *e = &g->edges[i];
		check(e->up < g->ntasks && e->down < g->ntasks, "edge outside its DAG");
		for (size_t j = 0; j < i; j++)
			check(g->edges[j].up != e->up || g->edges[j].down != e->down,
			      "edge recorded twice");
	}
}

/* every DAG of a read as af_dag_json text, one per line; owned by the caller */
static char *
dags_json(const struct af_file *f)
{
	size_t len = 0, cap = 256;
	char *all = malloc(cap);
	check(all != NULL, "out of memory");
	all[0] = '\0';
	for (size_t i = 0; i < f->ndags; i++) {
		cJSON *j = af_dag_json(&f->dags[i], "dag.py");
		check(j != NULL, "af_dag_json gave nothing");
		char *s = cJSON_PrintUnformatted(j);
		check(s != NULL, "af_dag_json gave no printable JSON");
		cJSON *back = cJSON_Parse(s);
		check(back != NULL, "af_dag_json's JSON does not parse back");
		check(cJSON_IsObject(back), "af_dag_json did not give an object");
		cJSON_Delete(back);
		size_t n = strlen(s);
		if (len + n + 2 > cap) {
			while (len + n + 2 > cap)
				cap *= 2;
			all = realloc(all, cap);
			check(all != NULL, "out of memory");
		}
		memcpy(all + len, s, n);
		len += n;
		all[len++] = '\n';
		all[len] = '\0';
		cJSON_free(s);
		cJSON_Delete(j);
	}
	return all;
}

/* read the input once: returns its DAGs as JSON text; show: print them and
 * the diagnostics (FUZZ_AIRFLOW_VERBOSE) */
static char *
read_once(const char *text, size_t size, bool show)
{
	struct diags d = {0};
	struct af_file f;
	char *copy = malloc(size + 1);
	check(copy != NULL, "out of memory");
	memcpy(copy, text, size);
	copy[size] = '\0';
	int32_t file = diag_file(&d, "dag.py", copy, size); /* d owns the copy */

	memset(&f, 0xA5, sizeof f); /* af_read must set every field */
	af_read(scanner, &d, file, text, size, &f);

	check(!f.ndags || f.dags, "DAGs missing");
	for (size_t i = 0; i < f.ndags; i++)
		check_dag(text, size, &f.dags[i]);
	for (size_t i = 0; i < d.n; i++) {
		const struct diag *g = &d.v[i];
		unsigned line, col;
		check(g->msg && *g->msg, "diagnostic without a message");
		check(g->loc.file == file || g->loc.file == -1, "diagnostic in another file");
		if (g->loc.file == file) {
			check((size_t)g->loc.off + g->loc.len <= size + 1, "diagnostic outside the input");
			check(diag_linecol(&d, g->loc, &line, &col), "diagnostic without a place");
		}
	}
	char *json = dags_json(&f);
	if (show) {
		fputs(json, stdout);
		diag_sort(&d);
		diag_print(&d, stdout, false, 0);
	}
	af_file_free(&f);
	diag_free(&d);
	return json;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan catches any read past the end */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	(void)af_maybe_dag(text, size);
	char *first = read_once(text, size, verbose);
	char *second = read_once(text, size, false);
	if (strcmp(first, second) != 0) {
		fprintf(stderr, "first read:\n%s\nsecond read:\n%s\n", first, second);
		check(false, "two reads of one input differ");
	}
	free(first);
	free(second);
	free(text);
	return 0;
}
