/* ai_context.c: the slice of the pipeline a dpc ai request is about.
 *
 * An LLM sees a bounded, deterministic description of the part of the graph
 * that matters, never the whole repository: at 10,000 models the whole
 * would not fit, and what does not matter only distracts. The slice is
 *
 *   closest:  the nodes whose names, columns and descriptions share the
 *             most words with the request (or the node asked about), in
 *             detail: their spec entry as written and their SQL;
 *   lineage:  what those read, a few levels up, and what reads them, one
 *             level down, briefly (kind, file, columns, tests, edges);
 *   index:    the names of everything else, as far as the bound allows;
 *
 * after the project's conventions (where each section of the spec is
 * written, each layer's SQL folder, name prefixes and materializations),
 * which a new model should follow. Scores, orders and cuts depend only on
 * the graph and the request, so the same inputs give the same bytes. */
#include "ai.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "ir.h"
#include "specedit.h"
#include "spec.h"
#include "util.h"

#define CLOSEST_MAX 6        /* nodes described in detail for a request */
#define UP_LEVELS 3          /* lineage upstream of the closest nodes */
#define DOWN_LEVELS 1        /* and downstream */
#define SQL_MAX 6000         /* bytes of one node's SQL */
#define SQL_MAX_ALL 3000     /* the same when every model is described */
#define ENTRY_MAX 3000       /* bytes of one node's spec entry */
#define INDEX_SHARE 8        /* the index takes at most 1/8 of the bound */

struct ctx {
	const struct compilation *c;
	const struct graph *g;
	struct strmap texts;   /* path → struct ftext, read once */
	struct ftext **files;  /* the same, owned */
	size_t nfiles, capfiles;
};

/* a file's text, and where each of its lines starts (spec files: a node's
 * entry is found by its line) */
struct ftext {
	char *path, *text;
	size_t len;
	size_t *lines;  /* offsets of line starts; NULL until asked for */
	size_t nlines;
};

/* ---- words ---- */

struct words {
	char **v;
	size_t n, cap;
};

static const char *const stopwords[] = {
	"the", "and", "for", "with", "from", "into", "per", "each", "all", "that", "this", "these", "those",
	"are", "was", "were", "has", "have", "had", "what", "which", "who", "how", "new", "add", "make",
	"create", "show", "give", "get", "list", "want", "need", "please", "should", "would", "could",
	"can", "its", "their", "them", "they", "our", "your", "you", "use", "using", "not", "but", "than",
	"then", "when", "where", "there", "here", "also", "only", "any", "some", "one", "model", "models",
	"pipeline", "data", "dpc", "spec", "table", "tables", "column", "columns", "test", "tests", "file",
	"files", "write", "ignore", "previous", "instructions", "sql", "yaml",
};

/* a word as matching compares it: lower case, a plural made singular */
static char *
stem(const char *s, size_t n)
{
	char *w = xstrndup(s, n);
	for (char *p = w; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	size_t len = strlen(w);
	if (len > 4 && strcmp(w + len - 3, "ies") == 0)
		strcpy(w + len - 3, "y");
	else if (len > 3 && w[len - 1] == 's' && w[len - 2] != 's')
		w[len - 1] = '\0';
	return w;
}

static bool
isword(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (unsigned char)c >= 0x80;
}

/* split s into words (at anything but letters and digits, '_' included),
 * skipping words of fewer than 3 bytes and, with stop, the common ones */
static void
split(struct words *w, const char *s, bool stop)
{
	for (const char *p = s; p && *p;) {
		while (*p && !isword(*p))
			p++;
		const char *q = p;
		while (*q && isword(*q))
			q++;
		if (q - p >= 3) {
			char *x = stem(p, (size_t)(q - p));
			bool skip = false;
			for (size_t i = 0; stop && i < LEN(stopwords) && !skip; i++)
				skip = strcmp(stopwords[i], x) == 0;
			for (size_t i = 0; i < w->n && !skip; i++)
				skip = strcmp(w->v[i], x) == 0; /* each word once */
			if (skip) {
				free(x);
			} else {
				VEC_PUSH(w->v, w->n, w->cap);
				w->v[w->n++] = x;
			}
		}
		p = q;
	}
}

static void
words_free(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	*w = (struct words){0};
}

/* ---- what a node says about itself ---- */

struct colref {
	const char *name, *type, *description;
};

/* the node's columns as the spec declares them; *n their number */
static size_t
columns(const struct node *nd, struct colref *out, size_t max)
{
	size_t n = 0;
	const struct spec_column *cv = NULL;
	size_t cn = 0;
	if (nd->model)
		cv = nd->model->columns, cn = nd->model->ncolumns;
	else if (nd->seed)
		cv = nd->seed->columns, cn = nd->seed->ncolumns;
	else if (nd->kind == N_SOURCE && nd->table)
		cv = nd->table->columns, cn = nd->table->ncolumns;
	for (size_t i = 0; i < cn && n < max; i++)
		out[n++] = (struct colref){cv[i].name, cv[i].type, cv[i].description};
	if (nd->apptable)
		for (size_t i = 0; i < nd->apptable->ncolumns && n < max; i++)
			out[n++] = (struct colref){nd->apptable->columns[i].name, nd->apptable->columns[i].type,
						   nd->apptable->columns[i].description};
	return n;
}

static size_t
ncolumns(const struct node *nd)
{
	if (nd->model)
		return nd->model->ncolumns;
	if (nd->seed)
		return nd->seed->ncolumns;
	if (nd->kind == N_SOURCE && nd->table)
		return nd->table->ncolumns;
	if (nd->apptable)
		return nd->apptable->ncolumns;
	return 0;
}

static const char *
description(const struct node *nd)
{
	if (nd->model)
		return nd->model->description;
	if (nd->seed)
		return nd->seed->description;
	if (nd->kind == N_SOURCE && nd->table)
		return nd->table->description ? nd->table->description : nd->source->description;
	if (nd->apptable)
		return nd->apptable->description;
	if (nd->embedding)
		return nd->embedding->description;
	if (nd->asset)
		return nd->asset->description;
	if (nd->singular)
		return nd->singular->description;
	if (nd->schedule)
		return nd->schedule->description;
	if (nd->sensor)
		return nd->sensor->description;
	return NULL;
}

/* a generic test, or an Airflow task: described with its owner, never on its own */
static bool
attached(const struct node *nd)
{
	return (nd->kind == N_TEST && !nd->singular) || nd->kind == N_AIRFLOW_TASK;
}

/* how well the node matches the request's words: a word that is one of
 * the node's name parts counts most, a column's next, a description's least */
static long
score(const struct node *nd, const struct words *req)
{
	struct words name = {0}, cols = {0}, desc = {0};
	split(&name, nd->name, false);
	if (nd->kind == N_SOURCE && nd->source)
		split(&name, nd->source->name, false);
	size_t nc = ncolumns(nd);
	struct colref *cv = xcalloc(nc + 1, sizeof(*cv));
	nc = columns(nd, cv, nc);
	for (size_t i = 0; i < nc; i++)
		split(&cols, cv[i].name, false);
	free(cv);
	split(&desc, description(nd), true);
	long total = 0;
	for (size_t i = 0; i < req->n; i++) {
		const char *w = req->v[i];
		size_t wl = strlen(w);
		int best = 0;
		for (size_t k = 0; k < name.n && best < 6; k++) {
			size_t tl = strlen(name.v[k]);
			if (strcmp(name.v[k], w) == 0)
				best = 6;
			else if (wl >= 4 && tl >= 4 && strncmp(name.v[k], w, wl < tl ? wl : tl) == 0)
				best = best > 3 ? best : 3;
		}
		for (size_t k = 0; k < cols.n && best < 2; k++)
			if (strcmp(cols.v[k], w) == 0)
				best = 2;
		for (size_t k = 0; k < desc.n && best < 1; k++)
			if (strcmp(desc.v[k], w) == 0)
				best = 1;
		total += best;
	}
	words_free(&name);
	words_free(&cols);
	words_free(&desc);
	return total;
}

/* ---- text of the project ---- */

/* a spec file or SQL file, read once ("" if unreadable) */
static struct ftext *
filetext(struct ctx *x, const char *path)
{
	struct ftext *f = strmap_get(&x->texts, path);
	if (f)
		return f;
	f = xcalloc(1, sizeof(*f));
	if (read_beneath(x->c->rootfd, path, INPUT_MAX_BYTES, &f->text, &f->len, NULL) != 0) {
		f->text = xstrdup("");
		f->len = 0;
	}
	f->path = xstrdup(path);
	VEC_PUSH(x->files, x->nfiles, x->capfiles);
	x->files[x->nfiles++] = f;
	strmap_put(&x->texts, f->path, f);
	return f;
}

/* where line (1-based) of f starts, or f->len when it has fewer lines */
static size_t
linestart(struct ftext *f, unsigned line)
{
	if (!f->lines) {
		size_t cap = 64;
		f->lines = xreallocarray(NULL, cap, sizeof(size_t));
		f->lines[f->nlines++] = 0;
		for (const char *p = f->text, *end = f->text + f->len; (p = memchr(p, '\n', (size_t)(end - p))); p++) {
			VEC_PUSH(f->lines, f->nlines, cap);
			f->lines[f->nlines++] = (size_t)(p + 1 - f->text);
		}
	}
	return line >= 1 && line <= f->nlines ? f->lines[line - 1] : f->len;
}

/* text indented by four spaces, cut at max bytes (at a line's end when
 * one is near) with a marker saying how much was left out */
static void
block(struct buf *b, const char *text, size_t len, size_t max)
{
	size_t n = len;
	if (n > max) {
		n = max;
		for (size_t k = max; k > max / 2; k--)
			if (text[k - 1] == '\n') {
				n = k;
				break;
			}
		/* never cut a UTF-8 sequence in two */
		while (n && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	const char *p = text, *end = text + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		buf_puts(b, "    ");
		buf_put(b, p, (size_t)(e - p));
		buf_putc(b, '\n');
		p = nl ? nl + 1 : end;
	}
	if (n < len)
		buf_printf(b, "    ... (%zu more bytes not shown)\n", len - n);
}

static size_t
indentof(const char *p, const char *end)
{
	size_t i = 0;
	while (p + i < end && p[i] == ' ')
		i++;
	return i;
}

/* the node's entry in the spec as written: its key's line and every line
 * below it that is indented deeper (blank lines and comments included,
 * trailing ones not) */
static void
specentry(struct ctx *x, struct buf *b, const struct node *nd)
{
	if (!nd->line)
		return;
	struct ftext *f = filetext(x, node_specfile(x->g, nd));
	const char *end = f->text + f->len, *p = f->text + linestart(f, nd->line);
	if (p >= end)
		return;
	const char *start = p;
	size_t ind = indentof(p, end);
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *stop = nl ? nl + 1 : end, *q = stop;
	while (q < end) {
		const char *qe = memchr(q, '\n', (size_t)(end - q));
		qe = qe ? qe + 1 : end;
		size_t qi = indentof(q, qe);
		bool blank = q + qi >= qe || q[qi] == '\n' || q[qi] == '\r' || q[qi] == '#';
		if (!blank && qi <= ind)
			break;
		if (!blank)
			stop = qe;
		q = qe;
	}
	buf_printf(b, "spec entry (%s, line %u):\n", node_specfile(x->g, nd), nd->line);
	block(b, start, (size_t)(stop - start), ENTRY_MAX);
}

/* the SQL of a model or singular test: its file's, or the inline text */
static void
sqltext(struct ctx *x, struct buf *b, const struct node *nd, size_t max)
{
	const struct spec_sql *s = nd->model ? &nd->model->sql : nd->singular ? &nd->singular->sql : NULL;
	const char *text = NULL;
	if (s && s->inline_sql)
		text = s->inline_sql;
	else if (s && s->path)
		text = filetext(x, s->path)->text;
	else if (nd->asset && nd->asset->python)
		text = filetext(x, nd->asset->python)->text;
	if (!text || !*text)
		return;
	buf_printf(b, "%s:\n", nd->asset ? "python" : "sql");
	block(b, text, strlen(text), max);
}

static const char *const testnames[] = {"unique", "not_null", "accepted_values", "relationships", "row_count"};

/* the tests on the node: generic ones with what they test, singular ones
 * by name */
static void
tests(struct ctx *x, struct buf *b, size_t idx)
{
	const struct node *nd = &x->g->nodes[idx];
	size_t n = 0;
	for (size_t j = 0; j < nd->nusers; j++) {
		const struct node *t = &x->g->nodes[nd->users[j]];
		if (t->kind != N_TEST)
			continue;
		buf_puts(b, n++ ? ", " : "tests: ");
		if (t->singular) {
			buf_printf(b, "%s (a singular test)", t->name);
		} else if (t->test && t->tested == idx) {
			buf_puts(b, testnames[t->test->kind]);
			if (t->column)
				buf_printf(b, "(%s)", t->column);
			if (t->test->kind == T_RELATIONSHIPS)
				buf_printf(b, " to %s.%s", t->test->to, t->test->field);
		} else {
			/* a relationships test elsewhere that points here */
			buf_printf(b, "%s (on %s, pointing here)", t->name, x->g->nodes[t->tested].id);
		}
	}
	if (n)
		buf_putc(b, '\n');
}

/* the edges, by id, leaving out generic tests (listed under tests:) */
static void
edges(struct ctx *x, struct buf *b, const char *label, const size_t *idx, size_t n, bool deps)
{
	size_t k = 0;
	for (size_t j = 0; j < n; j++) {
		const struct node *o = &x->g->nodes[idx[j]];
		if (!deps && o->kind == N_TEST)
			continue;
		if (k == 12) {
			buf_printf(b, ", ... (%zu in all)", n);
			break;
		}
		buf_printf(b, "%s%s", k++ ? ", " : label, o->id);
	}
	if (k)
		buf_putc(b, '\n');
}

static void
columnline(struct buf *b, const struct node *nd, bool descriptions)
{
	size_t nc = ncolumns(nd);
	if (!nc)
		return;
	struct colref *cv = xcalloc(nc, sizeof(*cv));
	nc = columns(nd, cv, nc);
	buf_puts(b, "columns: ");
	for (size_t i = 0; i < nc; i++) {
		if (i == 40) {
			buf_printf(b, ", ... (%zu in all)", nc);
			break;
		}
		buf_printf(b, "%s%s", i ? ", " : "", cv[i].name);
		if (cv[i].type)
			buf_printf(b, " %s", cv[i].type);
		if (descriptions && cv[i].description)
			buf_printf(b, " (%.120s)", cv[i].description);
	}
	buf_putc(b, '\n');
	free(cv);
}

/* what every description of a node starts with */
static void
heading(struct ctx *x, struct buf *b, const struct node *nd)
{
	buf_printf(b, "### %s\nkind: %s", nd->id, node_kindname(nd->kind));
	if (nd->layer)
		buf_printf(b, "; layer: %s", nd->layer);
	if (nd->materialized)
		buf_printf(b, "; materialized: %s", nd->materialized);
	if ((nd->model && nd->model->sql.inline_sql) || (nd->singular && nd->singular->sql.inline_sql))
		buf_puts(b, "; sql: inline (in its spec entry)");
	else if (nd->file)
		buf_printf(b, "; file: %s", nd->file);
	buf_putc(b, '\n');
	char *ptr = ai_node_pointer(nd);
	if (ptr)
		buf_printf(b, "defined in: %s line %u (JSON Pointer %s)\n", node_specfile(x->g, nd), nd->line, ptr);
	free(ptr);
	const char *d = description(nd);
	if (d)
		buf_printf(b, "description: %.400s\n", d);
	size_t idx = (size_t)(nd - x->g->nodes);
	size_t *deps = xcalloc(nd->ndeps + 1, sizeof(*deps));
	for (size_t j = 0; j < nd->ndeps; j++)
		deps[j] = nd->deps[j].to;
	edges(x, b, "reads: ", deps, nd->ndeps, true);
	free(deps);
	edges(x, b, "read by: ", nd->users, nd->nusers, false);
	tests(x, b, idx);
}

static void
detailed(struct ctx *x, struct buf *b, const struct node *nd, size_t sqlmax)
{
	heading(x, b, nd);
	columnline(b, nd, true);
	size_t before = b->len;
	specentry(x, b, nd);
	/* inline SQL is in the entry already, unless there was none to show */
	const struct spec_sql *s = nd->model ? &nd->model->sql : nd->singular ? &nd->singular->sql : NULL;
	if (!(s && s->inline_sql && b->len > before))
		sqltext(x, b, nd, sqlmax);
	buf_putc(b, '\n');
}

static void
brief(struct ctx *x, struct buf *b, const struct node *nd)
{
	heading(x, b, nd);
	columnline(b, nd, false);
	buf_putc(b, '\n');
}

/* ---- conventions ---- */

struct tally {
	const char *key;
	size_t n;
};

static void
count(struct tally **v, size_t *n, size_t *cap, const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].key, key) == 0) {
			(*v)[i].n++;
			return;
		}
	VEC_PUSH(*v, *n, *cap);
	(*v)[(*n)++] = (struct tally){key, 1};
}

/* the most common key (the first seen on a tie) */
static const char *
most(const struct tally *v, size_t n)
{
	const struct tally *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (!best || v[i].n > best->n)
			best = &v[i];
	return best ? best->key : NULL;
}

static void
conventions(struct ctx *x, struct buf *b)
{
	const struct graph *g = x->g;
	const struct spec *s = g->spec;
	buf_printf(b, "project: %s\nwarehouse: %s\nspec files:", s->project ? s->project : "?",
		   s->warehouse.type ? s->warehouse.type : "?");
	for (size_t i = 0; i < s->nfiles && i < 20; i++)
		buf_printf(b, " %s", s->files[i]);
	if (s->nfiles > 20)
		buf_printf(b, " ... (%zu in all)", s->nfiles);
	size_t nsrc = 0;
	for (size_t i = 0; i < s->nsources; i++)
		nsrc += s->sources[i].ntables;
	buf_printf(b, "\ncounts: models %zu, source tables %zu, seeds %zu, singular tests %zu, Supabase tables %zu, "
		      "assets %zu\n",
		   s->nmodels, nsrc, s->nseeds, s->ntests, s->napptables, s->nassets);
	/* where each kind of entry is written */
	static const enum node_kind kinds[] = {N_SOURCE, N_SEED, N_MODEL, N_TABLE, N_ASSET};
	for (size_t k = 0; k < LEN(kinds); k++) {
		struct tally *v = NULL;
		size_t n = 0, cap = 0;
		for (size_t i = 0; i < g->n; i++)
			if (g->nodes[i].kind == kinds[k])
				count(&v, &n, &cap, node_specfile(g, &g->nodes[i]));
		if (n)
			buf_printf(b, "%s entries are written in: %s%s\n", node_kindname(kinds[k]), most(v, n),
				   n > 1 ? " (mostly; others elsewhere)" : "");
		free(v);
	}
	/* per layer: how many models, their SQL folder, prefixes, materializations */
	struct tally *layers = NULL;
	size_t nl = 0, capl = 0;
	for (size_t i = 0; i < s->nmodels; i++)
		count(&layers, &nl, &capl, s->models[i].layer ? s->models[i].layer : "marts");
	for (size_t l = 0; l < nl && l < 20; l++) {
		struct tally *dirs = NULL, *pre = NULL, *mat = NULL;
		size_t nd = 0, capd = 0, np = 0, capp = 0, nm = 0, capm = 0, inl = 0;
		struct arena a = {0};
		for (size_t i = 0; i < s->nmodels; i++) {
			const struct spec_model *m = &s->models[i];
			if (strcmp(m->layer ? m->layer : "marts", layers[l].key) != 0)
				continue;
			if (m->sql.path) {
				const char *slash = strrchr(m->sql.path, '/');
				count(&dirs, &nd, &capd,
				      slash ? arena_strndup(&a, m->sql.path, (size_t)(slash - m->sql.path + 1)) : "./");
			} else {
				inl++;
			}
			const char *us = strchr(m->name, '_');
			count(&pre, &np, &capp, us ? arena_strndup(&a, m->name, (size_t)(us - m->name + 1)) : "(none)");
			count(&mat, &nm, &capm, m->materialized ? m->materialized : "view");
		}
		buf_printf(b, "layer %s: %zu models", layers[l].key, layers[l].n);
		if (nd)
			buf_printf(b, ", SQL files in %s", most(dirs, nd));
		if (inl)
			buf_printf(b, ", %zu with inline SQL", inl);
		buf_printf(b, ", names %s*, mostly materialized %s\n", most(pre, np), most(mat, nm));
		free(dirs), free(pre), free(mat);
		arena_free(&a);
	}
	free(layers);
	buf_putc(b, '\n');
}

/* ---- the slice ---- */

struct scored {
	size_t idx;
	long score;
};

static int
byscore(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* mark what lies within levels of the marked nodes (up: what they read;
 * down: what reads them), never through a generic test */
static void
walk(const struct graph *g, unsigned char *mark, unsigned char bit, int levels, bool up)
{
	size_t *frontier = xcalloc(g->n + 1, sizeof(size_t)), *next = xcalloc(g->n + 1, sizeof(size_t));
	size_t nf = 0;
	for (size_t i = 0; i < g->n; i++)
		if (mark[i] & 1)
			frontier[nf++] = i;
	for (int l = 0; l < levels && nf; l++) {
		size_t nn = 0;
		for (size_t k = 0; k < nf; k++) {
			const struct node *nd = &g->nodes[frontier[k]];
			size_t m = up ? nd->ndeps : nd->nusers;
			for (size_t j = 0; j < m; j++) {
				size_t o = up ? nd->deps[j].to : nd->users[j];
				if (attached(&g->nodes[o]) || (mark[o] & (1 | bit)))
					continue;
				mark[o] |= bit;
				next[nn++] = o;
			}
		}
		memcpy(frontier, next, nn * sizeof(size_t));
		nf = nn;
	}
	free(frontier);
	free(next);
}

static void
keep(char ***v, size_t *n, const char *id)
{
	*v = xreallocarray(*v, *n + 1, sizeof(char *));
	(*v)[(*n)++] = xstrdup(id);
}

void
ai_context_build(struct ai_context *out, const struct compilation *c, const struct ai_context_opts *o)
{
	*out = (struct ai_context){0};
	struct ctx x = {.c = c, .g = c->graph};
	const struct graph *g = c->graph;
	size_t max = o->max_bytes ? o->max_bytes : AI_CONTEXT_MAX;
	struct buf b = {0};
	conventions(&x, &b);

	/* the closest nodes: mark bit 1 */
	unsigned char *mark = xcalloc(g->n + 1, 1);
	struct scored *sv = xcalloc(g->n + 1, sizeof(*sv));
	size_t ns = 0;
	if (o->focus) {
		sv[ns++] = (struct scored){(size_t)(o->focus - g->nodes), 1};
	} else if (o->all_models) {
		for (size_t i = 0; i < g->n; i++)
			if (g->nodes[i].kind == N_MODEL)
				sv[ns++] = (struct scored){i, 1};
	} else if (o->request) {
		struct words req = {0};
		split(&req, o->request, true);
		for (size_t i = 0; i < g->n && req.n; i++) {
			if (attached(&g->nodes[i]))
				continue;
			long s = score(&g->nodes[i], &req);
			if (s > 0)
				sv[ns++] = (struct scored){i, s};
		}
		words_free(&req);
		qsort(sv, ns, sizeof(*sv), byscore);
		if (ns > CLOSEST_MAX)
			ns = CLOSEST_MAX;
	}
	for (size_t i = 0; i < ns; i++)
		mark[sv[i].idx] |= 1;
	if (ns) {
		walk(g, mark, 2, o->focus ? UP_LEVELS : o->all_models ? 0 : UP_LEVELS, true);
		walk(g, mark, 4, o->focus ? 2 : DOWN_LEVELS, false);
	} else {
		/* nothing matched: what a new model could read */
		for (size_t i = 0; i < g->n; i++)
			if (g->nodes[i].kind == N_SOURCE || g->nodes[i].kind == N_SEED || g->nodes[i].kind == N_TABLE)
				mark[i] |= 2;
	}

	bool *described = xcalloc(g->n + 1, sizeof(bool));
	if (ns) {
		buf_puts(&b, o->focus ? "## The node\n\n" : o->all_models ? "## The models\n\n"
										 : "## Closest to the request\n\n");
		for (size_t i = 0; i < ns; i++) {
			if (i && b.len >= max) {
				/* full: the rest are counted, not read */
				out->omitted += ns - i;
				break;
			}
			struct buf nb = {0};
			detailed(&x, &nb, &g->nodes[sv[i].idx], o->all_models ? SQL_MAX_ALL : SQL_MAX);
			/* the first always fits: a focus that cannot be shown is no context */
			if (i && b.len + nb.len > max) {
				out->omitted++;
			} else {
				buf_put(&b, nb.data, nb.len);
				described[sv[i].idx] = true;
				keep(&out->closest, &out->nclosest, g->nodes[sv[i].idx].id);
			}
			buf_free(&nb);
		}
	}
	bool header = false;
	for (size_t i = 0; i < g->n; i++) {
		if (!(mark[i] & 6) || described[i])
			continue;
		struct buf nb = {0};
		brief(&x, &nb, &g->nodes[i]);
		if (!header) {
			buf_puts(&b, ns ? "## Lineage\n\n" : "## Sources and seeds\n\n");
			header = true;
		}
		if (b.len + nb.len > max) {
			out->omitted++;
		} else {
			buf_put(&b, nb.data, nb.len);
			described[i] = true;
		}
		buf_free(&nb);
	}
	/* the other names, so that the answer neither invents nor duplicates one */
	size_t budget = max / INDEX_SHARE, used = 0, rest = 0, start = b.len;
	for (size_t i = 0; i < g->n; i++) {
		const struct node *nd = &g->nodes[i];
		if (described[i] || attached(nd))
			continue;
		if (b.len + strlen(nd->id) + 2 > max || used + strlen(nd->id) + 2 > budget) {
			rest++;
			continue;
		}
		if (b.len == start)
			buf_puts(&b, "## Other nodes (names only)\n\n");
		used += strlen(nd->id) + 2;
		buf_printf(&b, "%s\n", nd->id);
	}
	if (rest)
		buf_printf(&b, "... and %zu more\n", rest);
	if (out->omitted)
		buf_printf(&b, "(%zu more nodes of this slice are left out to keep it short)\n", out->omitted);

	for (size_t i = 0; i < g->n; i++)
		if (described[i])
			keep(&out->nodes, &out->nnodes, g->nodes[i].id);
	while (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	out->text = buf_take(&b);
	free(described);
	free(sv);
	free(mark);
	for (size_t i = 0; i < x.nfiles; i++) {
		free(x.files[i]->path);
		free(x.files[i]->text);
		free(x.files[i]->lines);
		free(x.files[i]);
	}
	free(x.files);
	strmap_free(&x.texts);
}

void
ai_context_free(struct ai_context *x)
{
	for (size_t i = 0; i < x->nnodes; i++)
		free(x->nodes[i]);
	for (size_t i = 0; i < x->nclosest; i++)
		free(x->closest[i]);
	free(x->nodes);
	free(x->closest);
	free(x->text);
	*x = (struct ai_context){0};
}

/* "/" and a JSON Pointer token: '~' and '/' escaped (RFC 6901) */
static void
token(struct buf *b, const char *s)
{
	buf_putc(b, '/');
	sedit_ptr_token(b, s);
}

char *
ai_node_pointer(const struct node *n)
{
	struct buf b = {0};
	const char *section = NULL;
	switch (n->kind) {
	case N_SOURCE:
		token(&b, "sources");
		token(&b, n->source->name);
		token(&b, "tables");
		token(&b, n->name);
		return buf_take(&b);
	case N_SEED: section = "seeds"; break;
	case N_MODEL: section = "models"; break;
	case N_TEST: section = n->singular ? "tests" : NULL; break;
	case N_TABLE: section = "tables"; break;
	case N_EMBEDDING: section = "embeddings"; break;
	case N_ASSET: section = "assets"; break;
	case N_SCHEDULE: section = "schedules"; break;
	case N_SENSOR: section = "sensors"; break;
	case N_AIRFLOW_DAG:
		if (!n->airflow)
			return NULL;
		token(&b, "airflow");
		token(&b, "dags");
		token(&b, n->airflow->dag_id);
		return buf_take(&b);
	default: break;
	}
	if (!section)
		return NULL;
	token(&b, section);
	token(&b, n->name);
	return buf_take(&b);
}
