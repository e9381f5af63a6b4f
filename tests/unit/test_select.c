/* test_select.c: selections (select.c), parsed on their own and resolved
 * in a compiled project: the terms and their + depths, the errors of the
 * syntax dpc leaves out, what each kind of term picks, and the edges and
 * did-you-means the IR makes of them. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "select.h"
#include "check.h"

/* the terms of text as "method:value:up:down" joined by spaces, or the
 * first error's message */
static void
parsed(const char *text, char *out, size_t size)
{
	struct arena a = {0};
	struct diags d = {0};
	struct selection sel;
	out[0] = '\0';
	if (!sel_parse(&a, &d, NOLOC, text, &sel)) {
		snprintf(out, size, "error: %s", d.n ? d.v[0].msg : "?");
	} else {
		static const char *const methods[] = {"name", "tag", "source"};
		size_t len = 0;
		for (size_t i = 0; i < sel.n && len < size; i++)
			len += (size_t)snprintf(out + len, size - len, "%s%s:%s:%d:%d", i ? " " : "",
						methods[sel.terms[i].method], sel.terms[i].value, sel.terms[i].up,
						sel.terms[i].down);
	}
	diag_free(&d);
	arena_free(&a);
}

static void
test_parse(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"fct", "name:fct:0:0"},
		{"+fct", "name:fct:-1:0"},
		{"fct+", "name:fct:0:-1"},
		{"+fct+", "name:fct:-1:-1"},
		{"2+fct+3", "name:fct:2:3"},
		{"  a\tb\n", "name:a:0:0 name:b:0:0"},
		{"tag:daily+", "tag:daily:0:-1"},
		{"+source:raw", "source:raw:-1:0"},
		{"source:raw.trips", "source:raw.trips:0:0"},
		{"999+a", "name:a:999:0"},
		{"", "error: select is empty"},
		{"   ", "error: select is empty"},
		{"0+a", "error: select '0+a': a depth is a number from 1 to 999"},
		{"a+1000", "error: select 'a+1000': a depth is a number from 1 to 999"},
		{"a,b", "error: select 'a,b': intersections (a,b) are not supported"},
		{"@a", "error: select '@a': '@' (the ancestors of every descendant) is not supported"},
		{"a*", "error: select 'a*': wildcards are not supported"},
		{"a++", "error: select 'a++': '+' goes only before or after a name"},
		{"+", "error: select '+': the term names nothing"},
		{"raw.trips", "error: select 'raw.trips': a source table is written source:raw.trips"},
		{"path:models", "error: select 'path:models': selection method 'path' is not supported"},
		{"tag:a.b", "error: select 'tag:a.b': 'a.b' is not a name"},
		{"source:a.b.c", "error: select 'source:a.b.c': 'a.b.c' is not a source or source.table name"},
		{"9lives", "error: select '9lives': '9lives' is not a name"},
	};
	char got[300];
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		parsed(cases[i].text, got, sizeof(got));
		CHECK(strncmp(got, cases[i].want, strlen(cases[i].want)) == 0, "'%s': want '%s', got '%s'",
		      cases[i].text, cases[i].want, got);
	}
	/* every bad term of one selection is reported */
	struct arena a = {0};
	struct diags d = {0};
	struct selection sel;
	CHECK(!sel_parse(&a, &d, NOLOC, "a,b ok @c 0+d", &sel) && d.nerrors == 3, "three errors: %zu", d.nerrors);
	diag_free(&d);
	arena_free(&a);
}

/* the ids a schedule's selection picked, joined by spaces */
static void
picked(const struct graph *g, const char *schedule, char *out, size_t size)
{
	char id[128];
	snprintf(id, sizeof(id), "schedule.%s", schedule);
	const struct node *n = graph_find(g, id);
	out[0] = '\0';
	size_t len = 0;
	for (size_t i = 0; n && i < n->nselected && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "", g->nodes[n->selected[i]].id);
}

static void
test_resolve(void)
{
	check_put("pipeline.yaml",
	    "version: 1\nproject: p\n"
	    "sources: {raw: {tags: [ingest], tables: {trips: {}, stations: {}}}}\n"
	    "tables:\n"
	    "  notes: {columns: {id: {type: bigint, identity: true, primary_key: true}, body: text}}\n"
	    "embeddings: {note_vectors: {from: notes, text: body, dimensions: 3}}\n"
	    "models:\n"
	    "  stg_trips: {sql: \"select * from {{ source('raw', 'trips') }}\", tags: [daily],\n"
	    "              columns: {id: {tests: [unique]}}}\n"
	    "  stg_notes: {sql: \"select * from {{ source('app', 'notes') }}\"}\n"
	    "  int_trips: {sql: \"select * from {{ ref('stg_trips') }}\"}\n"
	    "  fct_trips: {sql: \"select * from {{ ref('int_trips') }} join {{ ref('stg_notes') }} on true\"}\n"
	    "assets:\n"
	    "  export: {python: job.py, deps: [fct_trips, note_vectors]}\n"
	    "schedules:\n"
	    "  up: {cron: '@daily', select: '+fct_trips'}\n"
	    "  up1: {cron: '@daily', select: '1+fct_trips'}\n"
	    "  down: {cron: '@daily', select: 'stg_trips+'}\n"
	    "  down1: {cron: '@daily', select: 'stg_trips+1'}\n"
	    "  tags: {cron: '@daily', select: 'tag:daily tag:ingest'}\n"
	    "  src: {cron: '@daily', select: 'source:app'}\n"
	    "  srctable: {cron: '@daily', select: 'source:raw.stations note_vectors+'}\n"
	    "sensors:\n"
	    "  notes_in: {on: notes, select: 'export'}\n");
	check_put("job.py", "def export(context):\n    pass\n");
	struct compilation c;
	int fd = open(check_dir, O_RDONLY | O_DIRECTORY);
	bool ok = compile_run(&c, check_dir, fd, "pipeline.yaml");
	CHECK(ok, "compiles: %s", c.diags.n ? c.diags.v[0].msg : "");
	/* in node order: sources, seeds, models, tests, then tables and the rest */
	static const struct {
		const char *schedule, *want;
	} cases[] = {
		{"up", "source.raw.trips model.stg_trips model.stg_notes model.int_trips model.fct_trips table.notes"},
		{"up1", "model.stg_notes model.int_trips model.fct_trips"},
		/* tests on stg_trips are downstream but never picked */
		{"down", "model.stg_trips model.int_trips model.fct_trips asset.export"},
		{"down1", "model.stg_trips model.int_trips"},
		{"tags", "source.raw.trips source.raw.stations model.stg_trips"},
		{"src", "table.notes embedding.note_vectors"},
		{"srctable", "source.raw.stations embedding.note_vectors asset.export"},
	};
	char got[400];
	for (size_t i = 0; ok && i < sizeof(cases) / sizeof(*cases); i++) {
		picked(c.graph, cases[i].schedule, got, sizeof(got));
		CHECK(strcmp(got, cases[i].want) == 0, "%s: want '%s', got '%s'", cases[i].schedule, cases[i].want,
		      got);
	}
	/* a schedule's edges are what it picked; a sensor's also what it watches */
	const struct node *up = ok ? graph_find(c.graph, "schedule.up") : NULL;
	CHECK(up && up->ndeps == up->nselected, "schedule edges: %zu of %zu", up ? up->ndeps : 0,
	      up ? up->nselected : 0);
	const struct node *sn = ok ? graph_find(c.graph, "sensor.notes_in") : NULL;
	CHECK(sn && sn->ndeps == 2 && strcmp(c.graph->nodes[sn->from].id, "table.notes") == 0 && sn->cursor &&
		      strcmp(sn->cursor, "id") == 0,
	      "sensor: watches table.notes by id");
	const struct node *e = ok ? graph_find(c.graph, "embedding.note_vectors") : NULL;
	CHECK(e && strcmp(c.graph->nodes[e->from].id, "table.notes") == 0 && e->embedding->key_column &&
		      strcmp(e->embedding->key_type, "bigint") == 0 &&
		      strcmp(e->embedding->vector_type, "extensions.vector(3)") == 0,
	      "embedding: from table.notes, key id bigint, vector(3)");
	CHECK(ok && graph_find(c.graph, "source.app.notes") == graph_find(c.graph, "table.notes"),
	      "source.app.notes finds the table");
	compile_free(&c);

	/* unknown names: each a diagnostic with its did-you-mean */
	check_put("pipeline.yaml", "version: 1\nproject: p\n"
				   "sources: {raw: {tables: {trips: {}}}}\n"
				   "models: {stg_trips: {sql: \"select * from {{ source('raw', 'trips') }}\", tags: [daily]}}\n"
				   "schedules:\n"
				   "  a: {cron: '@daily', select: '+stg_trip tag:dayly source:rwa source:raw.trip trips'}\n");
	ok = compile_run(&c, check_dir, fd, "pipeline.yaml");
	static const char *const hints[] = {"stg_trips", "daily", "raw", "source:raw.trips", "source:raw.trips"};
	CHECK(!ok && c.diags.nerrors == 5, "five errors: %zu", c.diags.nerrors);
	for (size_t i = 0; i < c.diags.n && i < 5; i++)
		CHECK(c.diags.v[i].hint && strcmp(c.diags.v[i].hint, hints[i]) == 0, "hint %zu: want %s, got %s", i,
		      hints[i], c.diags.v[i].hint ? c.diags.v[i].hint : "none");
	compile_free(&c);
	close(fd);
}

int
main(void)
{
	if (!check_scratch("select"))
		return 1;
	test_parse();
	test_resolve();
	return check_done("select");
}
