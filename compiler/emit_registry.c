/* emit_registry.c: data/assets/registry.json, the graph for agents and jq.
 *
 * Runs after the other back ends: besides every node (kind, inputs, the
 * files it produced, where it is defined, its content hash) it lists every
 * generated file with the hash of its bytes. Committed with the rest, that
 * list lets a clean clone tell a hand-edited generated file from a stale
 * one without the state DB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "emit.h"

static int
cmpid(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a, *y = *(const struct node *const *)b;
	return strcmp(x->id, y->id);
}

/* a string member whose key and value outlive the object: each object is
 * printed and deleted at once, so nothing is copied */
static void
addstr(cJSON *o, const char *key, const char *val)
{
	cJSON_AddItemToObjectCS(o, key, cJSON_CreateStringReference(val));
}

/* a line or column number: printed as cJSON prints a whole number, without
 * its round trip through printf("%g") and sscanf, which is most of the
 * registry's time */
static cJSON *
count(unsigned v)
{
	char s[16];
	snprintf(s, sizeof(s), "%u", v);
	return cJSON_CreateRaw(s);
}

/* one JSON object on its own line: small diffs in git, jq-friendly, and the
 * cJSON tree of one node at a time instead of the whole graph's. Printed
 * straight into the registry's buffer when it fits in what is reserved */
static void
putline(struct buf *b, cJSON *o, bool last)
{
	enum { ROOM = 1 << 16 };
	buf_reserve(b, ROOM);
	if (cJSON_PrintPreallocated(o, b->data + b->len, ROOM, false)) {
		b->len += strlen(b->data + b->len);
	} else {
		char *t = cJSON_PrintUnformatted(o);
		buf_puts(b, t);
		cJSON_free(t);
	}
	buf_puts(b, last ? "\n" : ",\n");
	cJSON_Delete(o);
}

void
emit_registry(const struct graph *g, struct outset *out)
{
	const struct spec *s = g->spec;
	char hex[33];
	struct ostream os;
	ostream_begin(&os, out, xasprintf("%s/registry.json", s->layout_assets), "project");
	struct buf *b = &os.b;
	cJSON *head = cJSON_CreateObject();
	cJSON_AddNumberToObject(head, "version", 1);
	cJSON_AddStringToObject(head, "project", s->project ? s->project : "");
	cJSON_AddStringToObject(head, "generator", "dpc");
	char *t = cJSON_PrintUnformatted(head);
	cJSON_Delete(head);
	buf_put(b, t, strlen(t) - 1); /* without its closing brace */
	cJSON_free(t);
	buf_puts(b, ",\n\"nodes\":[\n");

	/* outputs per node, in path order; sorted through pointers, since the
	 * set may be being written out on another thread (a fresh build) */
	const struct output **ov = outset_sorted(out);
	/* files written once belong to the user from then on: not listed */
	size_t nov = 0;
	for (size_t i = 0; i < out->n; i++)
		if (!ov[i]->once)
			ov[nov++] = ov[i];
	size_t *first = xreallocarray(NULL, g->n + 1, sizeof(size_t)); /* a chain per node */
	size_t *next = xreallocarray(NULL, nov + 1, sizeof(size_t));
	size_t *last = xreallocarray(NULL, g->n + 1, sizeof(size_t));
	for (size_t i = 0; i <= g->n; i++)
		first[i] = last[i] = SIZE_MAX;
	for (size_t i = 0; i < nov; i++) {
		struct node *n = graph_find(g, ov[i]->node);
		size_t k = n ? (size_t)(n - g->nodes) : g->n;
		next[i] = SIZE_MAX;
		if (first[k] == SIZE_MAX)
			first[k] = i;
		else
			next[last[k]] = i;
		last[k] = i;
	}

	const struct node **v = xreallocarray(NULL, g->n + 1, sizeof(*v));
	for (size_t i = 0; i < g->n; i++)
		v[i] = &g->nodes[i];
	qsort(v, g->n, sizeof(*v), cmpid);
	for (size_t i = 0; i < g->n; i++) {
		const struct node *n = v[i];
		cJSON *o = cJSON_CreateObject();
		addstr(o, "id", n->id);
		addstr(o, "kind", node_kindname(n->kind));
		addstr(o, "name", n->name);
		if (n->layer)
			addstr(o, "layer", n->layer);
		if (n->materialized)
			addstr(o, "materialized", n->materialized);
		if (n->apptable)
			addstr(o, "schema", n->apptable->schema);
		else if (n->embedding && n->embedding->schema)
			addstr(o, "schema", n->embedding->schema);
		if (n->schedule && n->schedule->cron)
			addstr(o, "cron", n->schedule->cron);
		if (n->test) {
			addstr(o, "column", n->column);
			addstr(o, "tests", g->nodes[n->tested].id);
		}
		cJSON *at = cJSON_CreateObject();
		cJSON_AddItemToObjectCS(o, "defined_at", at);
		unsigned line, col;
		addstr(at, "file", node_specfile(g, n));
		if ((line = n->line) != 0) {
			col = n->col;
			cJSON_AddItemToObjectCS(at, "line", count(line));
			cJSON_AddItemToObjectCS(at, "column", count(col));
		}
		if (n->file && !(n->model && n->model->sql.inline_sql) &&
		    !(n->singular && n->singular->sql.inline_sql))
			addstr(o, "file", n->file);
		cJSON *in = cJSON_CreateArray();
		cJSON_AddItemToObjectCS(o, "inputs", in);
		for (size_t j = 0; j < n->ndeps; j++)
			cJSON_AddItemToArray(in, cJSON_CreateStringReference(g->nodes[n->deps[j].to].id));
		for (size_t j = 0; j < n->nexternal; j++)
			cJSON_AddItemToArray(in, cJSON_CreateStringReference(n->external[j]));
		cJSON *outs = cJSON_CreateArray();
		cJSON_AddItemToObjectCS(o, "outputs", outs);
		for (size_t j = first[n - g->nodes]; j != SIZE_MAX; j = next[j])
			cJSON_AddItemToArray(outs, cJSON_CreateStringReference(ov[j]->path));
		hash_hex(n->hash, hex);
		addstr(o, "hash", hex);
		putline(b, o, i + 1 == g->n);
		ostream_flush(&os);
	}
	free(v);
	free(first);
	free(next);
	free(last);

	/* every generated file with the hash of its bytes */
	buf_puts(b, "],\n\"outputs\":[\n");
	for (size_t i = 0; i < nov; i++) {
		cJSON *o = cJSON_CreateObject();
		addstr(o, "path", ov[i]->path);
		addstr(o, "node", ov[i]->node);
		hash_hex(ov[i]->hash, hex);
		addstr(o, "hash", hex);
		putline(b, o, i + 1 == nov);
		ostream_flush(&os);
	}
	buf_puts(b, "]}\n");
	free(ov);
	ostream_end(&os);
}

bool
registry_each(const char *text, size_t len, const char *section,
	      void (*each)(cJSON *obj, void *arg), void *arg)
{
	const char *nl = memchr(text, '\n', len);
	if (!nl)
		return false;
	/* the first line is the head object, less its closing brace, and a comma */
	int hl = (int)(nl - text);
	if (hl && text[hl - 1] == ',')
		hl--;
	char *headtext = xasprintf("%.*s}", hl, text);
	cJSON *head = cJSON_Parse(headtext);
	free(headtext);
	const char *gen = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(head, "generator"));
	bool ours = gen && strcmp(gen, "dpc") == 0;
	cJSON_Delete(head);
	if (!ours)
		return false;
	char *marker = xasprintf("\"%s\":[", section);
	bool in = false;
	for (const char *p = nl + 1; p < text + len;) {
		const char *e = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(text + len - p);
		if (!in) {
			in = n >= strlen(marker) && memcmp(p + n - strlen(marker), marker, strlen(marker)) == 0;
		} else if (n && p[0] == '{') {
			size_t k = n - (p[n - 1] == ',');
			cJSON *o = cJSON_ParseWithLength(p, k);
			if (o)
				each(o, arg);
			cJSON_Delete(o);
		} else {
			break;
		}
		p += n + 1;
	}
	free(marker);
	return true;
}
