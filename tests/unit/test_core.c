/* test_core.c: the phases on their own, in one process: YAML with
 * locations and limits, the spec front end, the graph's checks, the back
 * ends' determinism (two compilations in one process, no shared state), the
 * plan, and the unified diff. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "compile.h"
#include "diff.h"
#include "yamldoc.h"
#include "check.h"

/* the first error's text, or "" */
static const char *
firsterr(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].sev == SEV_ERROR)
			return d->v[i].msg;
	return "";
}

static void
test_yaml(void)
{
	struct arena a = {0};
	struct diags d = {0};
	const char *text = "a: 1\nb:\n  - x\n  - 'y'\n";
	int32_t f = diag_file(&d, "t.yaml", strdup(text), strlen(text));
	struct ynode *n = yaml_load(&a, &d, f, d.files[f].text, strlen(text));
	CHECK(n && n->kind == Y_MAP && n->n == 4, "a map of two pairs");
	unsigned line = 0, col = 0;
	CHECK(n && diag_linecol(&d, n->items[3]->items[1]->loc, &line, &col) && line == 4 && col == 5,
	      "'y' is at 4:5, got %u:%u", line, col);
	CHECK(n && !n->items[3]->items[1]->plain && n->items[1]->plain, "quoting is kept");

	const char *dup = "a: 1\na: 2\n";
	f = diag_file(&d, "dup.yaml", strdup(dup), strlen(dup));
	CHECK(!yaml_load(&a, &d, f, d.files[f].text, strlen(dup)), "duplicate keys fail");
	CHECK(strstr(firsterr(&d), "duplicate key 'a'"), "got: %s", firsterr(&d));

	/* 10^7 nodes once expanded: refused without expanding */
	struct buf b = {0};
	buf_puts(&b, "a: &a [x,x,x,x,x,x,x,x,x,x]\n");
	for (char c = 'b'; c <= 'h'; c++)
		buf_printf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1, c - 1, c - 1,
			   c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	size_t blen = b.len;
	f = diag_file(&d, "bomb.yaml", buf_take(&b), blen);
	CHECK(!yaml_load(&a, &d, f, d.files[f].text, blen), "alias bomb refused");
	diag_free(&d);
	arena_free(&a);
}

static void
test_didyoumean(void)
{
	static const char *const keys[] = {"materialized", "columns", "description", "tags"};
	CHECK(did_you_mean("materialised", keys, 4) && strcmp(did_you_mean("materialised", keys, 4), "materialized") == 0, "materialised");
	CHECK(did_you_mean("colums", keys, 4) && strcmp(did_you_mean("colums", keys, 4), "columns") == 0, "colums");
	CHECK(did_you_mean("zzzzzz", keys, 4) == NULL, "no wild guesses");
	CHECK(edit_distance("ab", "ba", 3) == 1, "a transposition costs one");
}

static bool
compile_dir(struct compilation *c, int *fd)
{
	*fd = open(check_dir, O_RDONLY | O_DIRECTORY);
	return compile_run(c, check_dir, *fd, "pipeline.yaml");
}

static void
test_compile(void)
{
	check_put("pipeline.yaml",
	    "version: 1\nproject: shop\n"
	    "seeds: {raw: {csv: seeds/raw.csv}}\n"
	    "models:\n"
	    "  stg_a: {sql: sql/stg_a.sql, columns: {id: {tests: [unique, not_null]}}}\n"
	    "  fct_b: {sql: \"select * from {{ ref('stg_a') }}\", materialized: table, tags: [daily]}\n");
	check_put("sql/stg_a.sql", "select id from {{ ref('raw') }}\n");
	check_put("seeds/raw.csv", "id\n1\n2\n");
	struct compilation c1, c2;
	int fd1, fd2;
	bool ok1 = compile_dir(&c1, &fd1), ok2 = compile_dir(&c2, &fd2);
	CHECK(ok1 && ok2, "compiles: %s", firsterr(&c1.diags));
	CHECK(c1.out.n == c2.out.n && c1.out.n > 5, "same outputs twice: %zu, %zu", c1.out.n, c2.out.n);
	for (size_t i = 0; i < c1.out.n && i < c2.out.n; i++)
		CHECK(strcmp(c1.out.v[i].path, c2.out.v[i].path) == 0 && hash_eq(c1.out.v[i].hash, c2.out.v[i].hash),
		      "byte-identical %s", c1.out.v[i].path);
	struct node *b = ok1 ? graph_find(c1.graph, "model.fct_b") : NULL;
	CHECK(b && b->ndeps == 1 && strcmp(c1.graph->nodes[b->deps[0].to].id, "model.stg_a") == 0, "fct_b reads stg_a");
	struct node *a = ok1 ? graph_find(c1.graph, "model.stg_a") : NULL;
	CHECK(a && strcmp(a->layer, "staging") == 0 && a->nusers >= 3, "stg_a: staging, read by fct_b and two tests");
	CHECK(ok1 && graph_find(c1.graph, "test.unique_stg_a_id"), "generic tests are nodes");
	/* the plan against an empty folder: everything is added */
	if (ok1) {
		struct plan p;
		plan_make(&p, &c1, NULL);
		CHECK(p.count[A_ADD] == c1.out.n && p.count[A_DRIFT] == 0, "all added: %zu of %zu", p.count[A_ADD], c1.out.n);
		plan_free(&p);
	}
	compile_free(&c1);
	compile_free(&c2);
	close(fd1);
	close(fd2);

	/* a cycle and an unknown ref, both reported, with the path */
	check_put("pipeline.yaml", "version: 1\nproject: shop\nmodels:\n"
				   "  a: {sql: \"select * from {{ ref('b') }}\"}\n"
				   "  b: {sql: \"select * from {{ ref('a') }} join {{ ref('ordrs') }}\"}\n"
				   "  orders: {sql: \"select 1\"}\n");
	CHECK(!compile_dir(&c1, &fd1), "errors");
	bool cyc = false, unk = false;
	for (size_t i = 0; i < c1.diags.n; i++) {
		cyc |= strstr(c1.diags.v[i].msg, "dependency cycle: a -> b -> a") != NULL;
		unk |= strstr(c1.diags.v[i].msg, "unknown model or seed 'ordrs'") && c1.diags.v[i].hint &&
		       strcmp(c1.diags.v[i].hint, "orders") == 0;
	}
	CHECK(cyc && unk, "cycle %d, unknown ref with hint %d", cyc, unk);
	compile_free(&c1);
	close(fd1);
}

static void
test_diff(void)
{
	const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", *b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n";
	struct buf out = {0};
	diff_unified(&out, "a", a, strlen(a), "b", b, strlen(b));
	const char *want = "--- a\n+++ b\n@@ -2,9 +2,10 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n 10\n+11\n";
	CHECK(out.data && strcmp(out.data, want) == 0, "diff:\n%s", out.data);
	buf_free(&out);
}

int
main(void)
{
	if (!check_scratch("core"))
		return 1;
	test_yaml();
	test_didyoumean();
	test_compile();
	test_diff();
	return check_done("core");
}
