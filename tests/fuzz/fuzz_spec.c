/* fuzz_spec.c: libFuzzer target for the spec front end: yamldoc.c (YAML to
 * a located tree), spec.c and spec_app.c (tree to spec AST), ir.c and
 * select.c (spec to graph).
 *
 * Each input is parsed twice. First yaml_load reads a copy of exactly its
 * bytes (no NUL after them, so ASan sees any read past the end) and the
 * tree is checked against the promises of yamldoc.h. Then the bytes become
 * pipeline.yaml in a project folder made once per process, and spec_load
 * and graph_build run on it as dpc runs them. The folder also holds SQL,
 * CSV and fragment files that inputs can name (see fixtures[]), so file
 * reading, include globs, symlink and binary-file refusals are reached too.
 * Every diagnostic's place must be inside its file, every edge inside the
 * graph, and all memory must be freed: a broken promise aborts, and a leak
 * is reported by LeakSanitizer, which libFuzzer runs after each input.
 *
 * Build and run: tests/fuzz/run.sh SECONDS; to see what dpc says about an
 * input: FUZZ_SPEC_VERBOSE=1 build/fuzz/fuzz_spec FILE
 * Seeds: tests/fuzz/corpus/spec/ */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "ir.h"
#include "spec.h"
#include "util.h"
#include "yamldoc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* files of the project folder, named by the seeds; a target starting with
 * '@' makes a symlink to the rest */
static const struct {
	const char *path, *text;
	size_t len; /* 0: strlen(text) */
} fixtures[] = {
	{"sql/stg_orders.sql",
	 "select order_id, customer_id, amount_cents / 100.0 as amount\n"
	 "from {{ source('shop', 'orders') }}\n", 0},
	{"sql/stg_customers.sql",
	 "select * from {{ ref('raw_customers') }}\n"
	 "where signed_up_at >= '{{ var(\"first_day\") }}'\n", 0},
	{"sql/fct_orders.sql",
	 "{{ config(materialized='table') }}\n"
	 "select o.*, c.country from {{ ref('stg_orders') }} o\n"
	 "join {{ ref('stg_customers') }} c using (customer_id)\n"
	 "left join {{ ref('utils', 'calendar') }} d on d.day = o.ordered_at\n", 0},
	{"sql/cycle.sql", "select * from {{ ref('fct_orders') }} -- {{ ref(x) }}\n", 0},
	{"sql/assert_positive.sql", "select * from {{ ref('fct_orders') }} where amount < 0\n", 0},
	{"sql/binary.sql", "select\0 1", 9},
	{"sql/latin1.sql", "select 'caf\xe9'\n", 0},
	{"sql/outside.sql", "@/etc/hostname", 0},
	{"seeds/raw_orders.csv", "order_id,customer_id,ordered_at,amount_cents\n1,1,2024-01-01,1250\n", 0},
	{"seeds/raw_customers.csv", "\"customer_id\";signed_up_at;country\r\n1;2024-01-01;NL\r\n", 0},
	{"seeds/empty.csv", "", 0},
	{"specs/sources.yaml",
	 "sources:\n  shop:\n    schema: shop_raw\n    tables:\n      orders:\n"
	 "        columns:\n          order_id: {tests: [unique, not_null]}\n", 0},
	{"specs/models.yaml",
	 "models:\n  stg_orders:\n    sql: sql/stg_orders.sql\n"
	 "seeds:\n  raw_orders: {csv: seeds/raw_orders.csv}\n", 0},
	{"specs/bad.yaml", "models: [\n", 0},
	{"specs/binary.yaml", "models:\0\n", 9},
	{"specs/escape.yaml", "@../../../etc/hostname", 0},
	{"py/jobs.py", "from .x import load\n\ndef fetch(context):\n    pass\n\nclass Digest:\n    pass\n", 0},
	{"specs/app.yaml",
	 "tables:\n  notes:\n    columns:\n      id: {type: bigint, identity: true, primary_key: true}\n"
	 "      body: text\nembeddings:\n  note_vectors: {from: notes, text: body, dimensions: 3}\n"
	 "sensors:\n  new_notes: {on: notes, select: \"note_vectors+\"}\n", 0},
};

static char root[64];
static int rootfd = -1;
static int specfd = -1; /* pipeline.yaml, kept open: see setspec */
static FILE *devnull;
static bool verbose; /* FUZZ_SPEC_VERBOSE=1: print diagnostics, to triage an input */

static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "spec front end invariant broken: %s\n", what);
		abort();
	}
}

static void
cleanup(void)
{
	char path[256];
	const char *dirs[] = {"sql", "seeds", "specs", "py", ""};
	for (size_t i = 0; i < LEN(fixtures); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, fixtures[i].path);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/pipeline.yaml", root);
	unlink(path);
	for (size_t i = 0; i < LEN(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		rmdir(path);
	}
	if (specfd >= 0)
		close(specfd);
	if (rootfd >= 0)
		close(rootfd);
	if (devnull)
		fclose(devnull);
}

static void
put(const char *rel, const char *text, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	check(fd >= 0, "cannot create a file in the project folder");
	while (len) {
		ssize_t w = write(fd, text, len);
		check(w > 0 || errno == EINTR, "cannot write a file in the project folder");
		if (w > 0)
			text += w, len -= (size_t)w;
	}
	close(fd);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *tmp = getenv("TMPDIR");
	snprintf(root, sizeof(root), "%s/fuzz_spec.XXXXXX",
		 tmp && *tmp && strlen(tmp) < sizeof(root) - 20 ? tmp : "/tmp");
	check(mkdtemp(root) != NULL, "cannot make the project folder");
	atexit(cleanup);
	const char *dirs[] = {"sql", "seeds", "specs", "py"};
	for (size_t i = 0; i < LEN(dirs); i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		check(mkdir(path, 0755) == 0, "cannot make a folder in the project folder");
	}
	for (size_t i = 0; i < LEN(fixtures); i++) {
		const char *t = fixtures[i].text;
		if (t[0] == '@') {
			char path[256];
			snprintf(path, sizeof(path), "%s/%s", root, fixtures[i].path);
			check(symlink(t + 1, path) == 0, "cannot make a symlink");
			continue;
		}
		put(fixtures[i].path, t, fixtures[i].len ? fixtures[i].len : strlen(t));
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	check(rootfd >= 0, "cannot open the project folder");
	char path[256];
	snprintf(path, sizeof(path), "%s/pipeline.yaml", root);
	specfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	check(specfd >= 0, "cannot create pipeline.yaml");
	devnull = fopen("/dev/null", "w");
	check(devnull != NULL, "cannot open /dev/null");
	verbose = getenv("FUZZ_SPEC_VERBOSE") && *getenv("FUZZ_SPEC_VERBOSE") == '1';
	return 0;
}

/* Replace pipeline.yaml's bytes in place. Writing through one descriptor
 * that stays open is many times faster than a new file per input: ext4
 * flushes a file truncated to zero when it is closed. */
static void
setspec(const uint8_t *data, size_t size)
{
	size_t done = 0;
	while (done < size) {
		ssize_t w = pwrite(specfd, data + done, size - done, (off_t)done);
		check(w > 0 || errno == EINTR, "cannot write pipeline.yaml");
		if (w > 0)
			done += (size_t)w;
	}
	check(ftruncate(specfd, (off_t)size) == 0, "cannot truncate pipeline.yaml");
}

/* the promises of yamldoc.h, over at most *budget nodes (aliases share
 * nodes, so the expanded tree can be far larger than the input) */
static void
checktree(const struct ynode *n, int32_t file, size_t size, size_t *budget)
{
	if (*budget == 0)
		return;
	(*budget)--;
	check(n != NULL, "missing node");
	check(n->kind == Y_SCALAR || n->kind == Y_SEQ || n->kind == Y_MAP, "node kind");
	check(n->loc.file == file, "node in another file");
	check(n->loc.off <= size, "node starts past the end of the input");
	check(n->loc.len >= 1, "empty node span");
	if (n->kind == Y_SCALAR) {
		check(n->str != NULL, "scalar without a value");
		check(strlen(n->str) == n->slen, "scalar length");
		check(n->n == 0, "scalar with items");
		return;
	}
	check(!n->n || n->items, "collection items missing");
	if (n->kind == Y_MAP) {
		check(n->n % 2 == 0, "mapping with an odd number of items");
		for (size_t i = 0; i < n->n; i += 2) {
			check(n->items[i] && n->items[i]->kind == Y_SCALAR, "mapping key is not a scalar");
			/* duplicate keys are errors, never in a tree (quadratic: small maps) */
			for (size_t j = 0; j < i && n->n <= 128; j += 2)
				check(strcmp(n->items[i]->str, n->items[j]->str) != 0,
				      "duplicate key in a loaded mapping");
		}
	}
	for (size_t i = 0; i < n->n; i++)
		checktree(n->items[i], file, size, budget);
}

static void
checkloc(const struct diags *d, struct loc loc, const char *what)
{
	if (loc.file < 0)
		return;
	check((size_t)loc.file < d->nfiles, what);
	const struct srcfile *f = &d->files[loc.file];
	if (f->text)
		check(loc.off <= f->len, what);
}

static void
checkdiags(const struct diags *d)
{
	size_t nerr = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		check(g->msg && *g->msg, "diagnostic without a message");
		check(g->sev <= SEV_ERROR, "diagnostic severity");
		checkloc(d, g->loc, "diagnostic placed outside its file");
		if (g->note)
			checkloc(d, g->note_loc, "diagnostic note placed outside its file");
		nerr += g->sev == SEV_ERROR;
	}
	check(nerr == d->nerrors, "error count");
}

static void
checkgraph(const struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct node *n = &g->nodes[i];
		check(n->id && n->name, "node without a name");
		check(graph_find(g, n->id) == n, "node ids are not unique");
		for (size_t j = 0; j < n->ndeps; j++) {
			check(n->deps[j].to < g->n, "edge outside the graph");
			check(j == 0 || n->deps[j - 1].to < n->deps[j].to, "edges not sorted and unique");
		}
		for (size_t j = 0; j < n->nusers; j++)
			check(n->users[j] < g->n, "user outside the graph");
		check(!n->text || strlen(n->text) <= n->textlen, "node text length");
		for (size_t j = 0; j < n->nselected; j++)
			check(n->selected[j] < g->n && (j == 0 || n->selected[j - 1] < n->selected[j]),
			      "selection outside the graph or not sorted");
		if (n->embedding || n->sensor)
			check(n->from == SIZE_MAX || n->from < g->n, "from outside the graph");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_MAX_BYTES)
		return 0;

	/* 1: the YAML loader on exactly the input's bytes */
	{
		struct arena a = {0};
		struct diags d = {0};
		char *text = malloc(size ? size : 1);
		check(text != NULL, "out of memory");
		if (size)
			memcpy(text, data, size);
		int32_t f = diag_file(&d, "input.yaml", xstrndup((const char *)data, size), size);
		const struct ynode *doc = yaml_load(&a, &d, f, text, size);
		if (doc) {
			size_t budget = 100000;
			check(doc->kind == Y_MAP || doc->kind == Y_SEQ || !ynull(doc),
			      "an empty document must load as an empty map");
			checktree(doc, f, size, &budget);
		} else {
			check(d.nerrors > 0, "yaml_load failed without an error");
		}
		checkdiags(&d);
		free(text);
		diag_free(&d);
		arena_free(&a);
	}

	/* 2: the whole front end on the input as pipeline.yaml */
	setspec(data, size);
	struct arena a = {0};
	struct diags d = {.root = root};
	struct spec *s = spec_load(&a, &d, root, "pipeline.yaml");
	if (s) {
		check(s->nfiles >= 1 && strcmp(s->files[0], "pipeline.yaml") == 0,
		      "the root file is not the first spec file");
		for (size_t i = 0; i < s->nmodels; i++)
			check(is_ident(s->models[i].name), "model with a bad name");
		for (size_t i = 0; i < s->nseeds; i++)
			check(is_ident(s->seeds[i].name), "seed with a bad name");
		struct graph *g = graph_build(&a, &d, rootfd, s);
		check(g != NULL, "graph_build returned nothing");
		checkgraph(g);
		graph_free(g);
	} else {
		check(d.nerrors > 0, "spec_load failed without an error");
	}
	checkdiags(&d);
	diag_sort(&d);
	diag_print(&d, verbose ? stderr : devnull, !verbose, 0);
	diag_free(&d);
	arena_free(&a);
	return 0;
}
