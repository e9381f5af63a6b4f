/* emit_registry.c: data/assets/registry.json, the graph for agents and jq.
 *
 * Runs after the other back ends: besides every node (kind, inputs, the
 * files it produced, where it is defined, its content hash) it lists every
 * generated file with the hash of its bytes. Committed with the rest, that
 * list lets a clean clone tell a hand-edited generated file from a stale
 * one without the state DB. */
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

void
emit_registry(const struct graph *g, struct outset *out)
{
	const struct spec *s = g->spec;
	char hex[33];
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddStringToObject(root, "project", s->project ? s->project : "");
	cJSON_AddStringToObject(root, "generator", "dpc");

	/* outputs per node, in path order */
	outset_sort(out);
	cJSON **produced = xcalloc(g->n + 1, sizeof(*produced));
	for (size_t i = 0; i < out->n; i++) {
		struct node *n = graph_find(g, out->v[i].node);
		size_t k = n ? (size_t)(n - g->nodes) : g->n;
		if (!produced[k])
			produced[k] = cJSON_CreateArray();
		cJSON_AddItemToArray(produced[k], cJSON_CreateString(out->v[i].path));
	}

	const struct node **v = xreallocarray(NULL, g->n + 1, sizeof(*v));
	for (size_t i = 0; i < g->n; i++)
		v[i] = &g->nodes[i];
	qsort(v, g->n, sizeof(*v), cmpid);
	cJSON *nodes = cJSON_AddArrayToObject(root, "nodes");
	for (size_t i = 0; i < g->n; i++) {
		const struct node *n = v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", n->id);
		cJSON_AddStringToObject(o, "kind", node_kindname(n->kind));
		cJSON_AddStringToObject(o, "name", n->name);
		if (n->layer)
			cJSON_AddStringToObject(o, "layer", n->layer);
		if (n->materialized)
			cJSON_AddStringToObject(o, "materialized", n->materialized);
		if (n->test)
			cJSON_AddStringToObject(o, "column", n->column);
		cJSON *at = cJSON_AddObjectToObject(o, "defined_at");
		unsigned line, col;
		cJSON_AddStringToObject(at, "file", node_specfile(g, n));
		if (diag_linecol(g->diags, n->loc, &line, &col)) {
			cJSON_AddNumberToObject(at, "line", line);
			cJSON_AddNumberToObject(at, "column", col);
		}
		if (n->file && !(n->model && n->model->sql.inline_sql) &&
		    !(n->singular && n->singular->sql.inline_sql))
			cJSON_AddStringToObject(o, "file", n->file);
		cJSON *in = cJSON_AddArrayToObject(o, "inputs");
		for (size_t j = 0; j < n->ndeps; j++)
			cJSON_AddItemToArray(in, cJSON_CreateString(g->nodes[n->deps[j].to].id));
		for (size_t j = 0; j < n->nexternal; j++)
			cJSON_AddItemToArray(in, cJSON_CreateString(n->external[j]));
		cJSON *outs = cJSON_AddArrayToObject(o, "outputs");
		(void)outs;
		size_t k = (size_t)(n - g->nodes);
		if (produced[k]) {
			cJSON_ReplaceItemInObject(o, "outputs", produced[k]);
			produced[k] = NULL;
		}
		hash_hex(n->hash, hex);
		cJSON_AddStringToObject(o, "hash", hex);
		cJSON_AddItemToArray(nodes, o);
	}
	free(v);
	for (size_t i = 0; i <= g->n; i++)
		cJSON_Delete(produced[i]);
	free(produced);

	cJSON *files = cJSON_AddArrayToObject(root, "outputs");
	for (size_t i = 0; i < out->n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "path", out->v[i].path);
		cJSON_AddStringToObject(o, "node", out->v[i].node);
		hash_hex(out->v[i].hash, hex);
		cJSON_AddStringToObject(o, "hash", hex);
		cJSON_AddItemToArray(files, o);
	}
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	/* cJSON allocates with malloc (dpc sets no hooks): grow its text in place
	 * for the final newline instead of copying 15 MB at 10,000 models */
	size_t len = strlen(text);
	char *data = xreallocarray(text, len + 2, 1);
	data[len++] = '\n';
	data[len] = '\0';
	outset_add(out, xasprintf("%s/registry.json", s->layout_assets), data, len, "project");
}
