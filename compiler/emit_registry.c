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

/* Each node and each output is one JSON object on its own line: small
 * diffs in git, jq-friendly. The lines are written directly, byte for byte
 * as cJSON_PrintUnformatted would print them (registry_each reads them
 * back with cJSON): building and printing a cJSON tree per line was most
 * of the registry's time. */

/* a JSON string as cJSON prints one: the two-character escapes, \u00xx for
 * the other control characters, every other byte as it is; NULL as "" */
static void
jstr(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	buf_putc(b, '"');
	while (s && *s) {
		size_t n = 0;
		while ((unsigned char)s[n] >= 32 && s[n] != '"' && s[n] != '\\')
			n++;
		buf_put(b, s, n);
		s += n;
		if (!*s)
			break;
		unsigned char c = (unsigned char)*s++;
		char e[7] = {'\\', (char)c, 0};
		switch (c) {
		case '"': case '\\': break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		default:
			e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
		}
		buf_puts(b, e);
	}
	buf_putc(b, '"');
}

/* ,"key":"value" (the first member of an object without the comma) */
static void
jkv(struct buf *b, const char *key, const char *val)
{
	if (b->len && b->data[b->len - 1] != '{')
		buf_putc(b, ',');
	jstr(b, key);
	buf_putc(b, ':');
	jstr(b, val);
}

/* the end of a line's object */
static void
jend(struct buf *b, bool last)
{
	buf_puts(b, last ? "}\n" : "},\n");
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
		buf_putc(b, '{');
		jkv(b, "id", n->id);
		jkv(b, "kind", node_kindname(n->kind));
		jkv(b, "name", n->name);
		if (n->layer)
			jkv(b, "layer", n->layer);
		if (n->materialized)
			jkv(b, "materialized", n->materialized);
		if (n->apptable)
			jkv(b, "schema", n->apptable->schema);
		else if (n->embedding && n->embedding->schema)
			jkv(b, "schema", n->embedding->schema);
		if (n->schedule && n->schedule->cron)
			jkv(b, "cron", n->schedule->cron);
		if (n->test) {
			if (n->column) /* row_count has none */
				jkv(b, "column", n->column);
			jkv(b, "tests", g->nodes[n->tested].id);
		}
		buf_puts(b, ",\"defined_at\":{");
		jkv(b, "file", node_specfile(g, n));
		if (n->line)
			buf_printf(b, ",\"line\":%u,\"column\":%u", n->line, n->col);
		buf_putc(b, '}');
		if (n->file && !(n->model && n->model->sql.inline_sql) &&
		    !(n->singular && n->singular->sql.inline_sql))
			jkv(b, "file", n->file);
		buf_puts(b, ",\"inputs\":[");
		for (size_t j = 0; j < n->ndeps + n->nexternal; j++) {
			if (j)
				buf_putc(b, ',');
			jstr(b, j < n->ndeps ? g->nodes[n->deps[j].to].id : n->external[j - n->ndeps]);
		}
		buf_puts(b, "],\"outputs\":[");
		for (size_t j = first[n - g->nodes]; j != SIZE_MAX; j = next[j]) {
			if (j != first[n - g->nodes])
				buf_putc(b, ',');
			jstr(b, ov[j]->path);
		}
		buf_putc(b, ']');
		hash_hex(n->hash, hex);
		jkv(b, "hash", hex);
		jend(b, i + 1 == g->n);
		ostream_flush(&os);
	}
	free(v);
	free(first);
	free(next);
	free(last);

	/* every generated file with the hash of its bytes */
	buf_puts(b, "],\n\"outputs\":[\n");
	for (size_t i = 0; i < nov; i++) {
		buf_putc(b, '{');
		jkv(b, "path", ov[i]->path);
		jkv(b, "node", ov[i]->node);
		hash_hex(ov[i]->hash, hex);
		jkv(b, "hash", hex);
		jend(b, i + 1 == nov);
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
