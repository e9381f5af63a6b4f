/* ir.c: spec AST + the SQL and CSV files it names → one checked graph
 * (see ir.h). The SQL is scanned by sqlscan.c; this file resolves what the
 * scanner found against the spec's names. */
#include "ir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sqlscan.h"

struct builder {
	struct arena *a;
	struct diags *d;
	int rootfd;
	struct graph *g;
	size_t cap;
	/* name tables for resolution and did-you-mean */
	struct strmap refs;    /* model or seed name → node index + 1 */
	struct strmap vars;
	const char **refnames;
	size_t nrefnames;
};

static size_t
addnode(struct builder *b, enum node_kind kind, const char *id, const char *name, struct loc loc)
{
	struct graph *g = b->g;
	VEC_PUSH(g->nodes, g->n, b->cap);
	struct node *n = &g->nodes[g->n];
	*n = (struct node){.kind = kind, .id = id, .name = name, .loc = loc};
	return g->n++;
}

bool
ir_istext(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0)
			return false;
		size_t k = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
		if (k == 9 || i + k >= n + (k == 0))
			return k == 0;
		for (size_t j = 1; j <= k; j++)
			if (((unsigned char)s[i + j] & 0xC0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

/* read a file named in the spec; returns its diag file index or -1 */
static int32_t
readinput(struct builder *b, const char *path, struct loc from, const char *what)
{
	char *text;
	size_t len;
	int64_t stamp[3];
	int e = read_beneath(b->rootfd, path, INPUT_MAX_BYTES, &text, &len, stamp);
	if (e) {
		if (e == ENOENT)
			diag_add(b->d, SEV_ERROR, from, "%s file '%s' does not exist", what, path);
		else if (e == EXDEV || e == ELOOP)
			diag_add(b->d, SEV_ERROR, from, "%s file '%s' leads out of the project through a symlink",
				 what, path);
		else if (e == EFBIG)
			diag_add(b->d, SEV_ERROR, from, "%s file '%s' is larger than %u MiB", what, path,
				 INPUT_MAX_BYTES >> 20);
		else
			diag_add(b->d, SEV_ERROR, from, "cannot read %s file '%s': %s", what, path, strerror(e));
		return -1;
	}
	if (!ir_istext(text, len)) {
		diag_add(b->d, SEV_ERROR, from, "%s file '%s' is not UTF-8 text (a binary file?)", what, path);
		free(text);
		return -1;
	}
	int32_t f = diag_file(b->d, path, text, len);
	memcpy(b->d->files[f].stamp, stamp, sizeof(stamp));
	return f;
}

static const char *
argstr(const struct sql_find *f, size_t i)
{
	return i < f->nargs && f->args[i].is_string && !f->args[i].name ? f->args[i].value : NULL;
}

static size_t
positional(const struct sql_find *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nargs; i++)
		n += f->args[i].name == NULL;
	return n;
}

static void
adddep(struct builder *b, size_t from, size_t to, struct loc loc)
{
	struct node *n = &b->g->nodes[from];
	n->deps = xreallocarray(n->deps, n->ndeps + 1, sizeof(*n->deps));
	n->deps[n->ndeps++] = (struct edge){to, loc};
}

static void
addexternal(struct builder *b, size_t from, const char *pkg, const char *model)
{
	struct node *n = &b->g->nodes[from];
	n->external = xreallocarray(n->external, n->nexternal + 1, sizeof(*n->external));
	n->external[n->nexternal++] = arena_printf(b->a, "%s.%s", pkg, model);
}

static const char *
findbytes(const char *hay, size_t n, const char *needle, size_t k)
{
	if (k == 0)
		return hay;
	for (size_t i = 0; i + k <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

/* Where byte off of inline SQL stands in the spec file. The value's lines
 * are looked for, in order, inside the scalar's span: a plain or quoted
 * one-liner and a literal block (|) are found verbatim, past quotes and
 * indentation. A value that is not in the file as written (escapes, a
 * folded block) is reported at the start of the sql: value. */
static struct loc
inlineloc(const struct diags *d, struct loc specloc, const char *value, uint32_t off, uint32_t len)
{
	const struct srcfile *f = specloc.file >= 0 ? &d->files[specloc.file] : NULL;
	if (!f || !f->text || specloc.off > f->len)
		return specloc;
	size_t end = specloc.off + (size_t)specloc.len;
	if (end > f->len)
		end = f->len;
	size_t pos = specloc.off;
	for (const char *line = value;;) {
		const char *nl = strchr(line, '\n');
		size_t k = nl ? (size_t)(nl - line) : strlen(line);
		const char *at = findbytes(f->text + pos, end - pos, line, k);
		if (!at)
			return specloc;
		size_t lo = (size_t)(line - value);
		if (off >= lo && (off <= lo + k || !nl)) {
			uint32_t o = (uint32_t)(at - f->text) + (off - (uint32_t)lo);
			uint32_t l = off - lo + len <= k ? len : (uint32_t)(k - (off - lo));
			return (struct loc){specloc.file, o, l ? l : 1};
		}
		pos = (size_t)(at - f->text) + k;
		if (!nl)
			return specloc;
		line = nl + 1;
	}
}

/* a location inside the SQL: exact for files, mapped into the spec for inline SQL */
static struct loc
sqlloc(const struct diags *d, int32_t file, const struct spec_sql *sql, uint32_t off, uint32_t len)
{
	if (sql->path)
		return (struct loc){file, off, len ? len : 1};
	return inlineloc(d, sql->loc, sql->inline_sql, off, len);
}

static void
resolveref(struct builder *b, size_t idx, const struct sql_find *f, struct loc loc)
{
	const struct spec *s = b->g->spec;
	size_t np = positional(f);
	if (np < 1 || np > 2)
		return; /* the scanner reported it */
	const char *pkg = np == 2 ? argstr(f, 0) : NULL, *name = argstr(f, np - 1);
	if (!name || (np == 2 && !pkg))
		return; /* not a literal: the scanner warned */
	if (pkg && (!s->project || strcmp(pkg, s->project) != 0)) {
		for (size_t i = 0; i < s->npackages; i++) {
			if (strcmp(s->packages[i].name, pkg) == 0) {
				addexternal(b, idx, pkg, name);
				return;
			}
		}
		const char **names = xreallocarray(NULL, s->npackages + 1, sizeof(char *));
		size_t n = 0;
		for (size_t i = 0; i < s->npackages; i++)
			names[n++] = s->packages[i].name;
		if (s->project)
			names[n++] = s->project;
		struct diag *g = diag_add(b->d, SEV_ERROR, loc,
					  "ref to package '%s', which is not this project and not in packages:", pkg);
		diag_hint(g, did_you_mean(pkg, names, n));
		free(names);
		return;
	}
	uintptr_t to = (uintptr_t)strmap_get(&b->refs, name);
	if (!to) {
		struct diag *g = diag_add(b->d, SEV_ERROR, loc, "ref to unknown model or seed '%s'", name);
		diag_hint(g, did_you_mean(name, b->refnames, b->nrefnames));
		return;
	}
	adddep(b, idx, to - 1, loc);
}

static void
resolvesource(struct builder *b, size_t idx, const struct sql_find *f, struct loc loc)
{
	const struct spec *s = b->g->spec;
	const char *src = argstr(f, 0), *tab = argstr(f, 1);
	if (positional(f) != 2 || !src || !tab)
		return;
	const struct spec_source *found = NULL;
	const char **names = xreallocarray(NULL, s->nsources + 1, sizeof(char *));
	for (size_t i = 0; i < s->nsources; i++) {
		names[i] = s->sources[i].name;
		if (strcmp(names[i], src) == 0)
			found = &s->sources[i];
	}
	if (!found) {
		struct diag *g = diag_add(b->d, SEV_ERROR, loc, "source '%s' is not defined in sources:", src);
		diag_hint(g, did_you_mean(src, names, s->nsources));
		free(names);
		return;
	}
	free(names);
	char *id = xasprintf("source.%s.%s", src, tab);
	struct node *n = graph_find(b->g, id);
	free(id);
	if (!n) {
		names = xreallocarray(NULL, found->ntables + 1, sizeof(char *));
		for (size_t i = 0; i < found->ntables; i++)
			names[i] = found->tables[i].name;
		struct diag *g = diag_add(b->d, SEV_ERROR, loc, "source '%s' has no table '%s'", src, tab);
		diag_hint(g, did_you_mean(tab, names, found->ntables));
		free(names);
		return;
	}
	adddep(b, idx, (size_t)(n - b->g->nodes), loc);
}

static void
checkvar(struct builder *b, const struct sql_find *f, struct loc loc)
{
	const char *name = argstr(f, 0);
	if (!name || strmap_get(&b->vars, name) || positional(f) >= 2)
		return;
	const struct spec *s = b->g->spec;
	const char **names = xreallocarray(NULL, s->nvars + 1, sizeof(char *));
	for (size_t i = 0; i < s->nvars; i++)
		names[i] = s->vars[i].name;
	struct diag *g = diag_add(b->d, SEV_ERROR, loc,
				  "var '%s' is not defined in vars: and has no default", name);
	diag_hint(g, did_you_mean(name, names, s->nvars));
	free(names);
}

/* a config(materialized=...) in the SQL must agree with the spec */
static void
checkconfig(struct builder *b, struct node *n, const struct sql_find *f, struct loc loc)
{
	for (size_t i = 0; i < f->nargs; i++) {
		const struct sql_arg *a = &f->args[i];
		if (!a->name || strcmp(a->name, "materialized") != 0 || !a->is_string || !n->model)
			continue;
		const struct spec_model *m = n->model;
		if (m->materialized_set && strcmp(m->materialized, a->value) != 0) {
			struct diag *g = diag_add(b->d, SEV_ERROR, loc,
						  "config() in the SQL says materialized='%s' but the spec says '%s'",
						  a->value, m->materialized);
			diag_note(g, m->loc, "model '%s' is defined here", m->name);
			continue;
		}
		n->materialized = ir_materialized(n->materialized, f);
	}
}

const char *
ir_materialized(const char *current, const struct sql_find *config)
{
	static const char *const valid[] = {"view", "table", "incremental", "ephemeral"};
	for (size_t i = 0; i < config->nargs; i++) {
		const struct sql_arg *a = &config->args[i];
		if (!a->name || strcmp(a->name, "materialized") != 0 || !a->is_string)
			continue;
		for (size_t k = 0; k < LEN(valid); k++)
			if (strcmp(valid[k], a->value) == 0)
				current = valid[k];
	}
	return current;
}

struct hash
ir_facts(const struct sql_scan *sc)
{
	struct hasher h;
	hasher_init(&h);
	for (size_t i = 0; i < sc->nfinds; i++) {
		const struct sql_find *f = &sc->finds[i];
		hasher_add(&h, &f->kind, sizeof(f->kind));
		hasher_add(&h, &f->nargs, sizeof(f->nargs));
		for (size_t j = 0; j < f->nargs; j++) {
			const struct sql_arg *a = &f->args[j];
			hasher_str(&h, a->name ? a->name : "");
			hasher_str(&h, a->value ? a->value : "");
			hasher_add(&h, &a->is_string, sizeof(a->is_string));
			hasher_add(&h, &(bool){a->name != NULL}, sizeof(bool));
		}
	}
	return hasher_done(&h);
}

/* read and scan the SQL of a model or singular test; resolve what it reads */
static void
scansql(struct builder *b, size_t idx, const struct spec_sql *sql, const char *what)
{
	struct node *n = &b->g->nodes[idx];
	int32_t file;
	bool inlined = sql->path == NULL;
	if (inlined) {
		if (!sql->inline_sql)
			return;
		file = sql->loc.file;
		n->text = sql->inline_sql;
		n->textlen = strlen(sql->inline_sql);
		n->file = b->d->files[file].path;
	} else {
		file = readinput(b, sql->path, sql->loc, what);
		if (file < 0)
			return;
		n = &b->g->nodes[idx];
		n->text = b->d->files[file].text;
		n->textlen = b->d->files[file].len;
		n->file = sql->path;
	}
	struct sql_scan sc = {0};
	sqlscan(n->text, n->textlen, &sc);
	/* what the SQL says besides its text; a file with problems has none
	 * recorded, so that the quick rebuild never skips its diagnostics */
	if (!inlined && !sc.nproblems) {
		n->facts = ir_facts(&sc);
		n->has_facts = true;
	}
	for (size_t i = 0; i < sc.nproblems; i++) {
		const struct sql_problem *p = &sc.problems[i];
		diag_add(b->d, p->error ? SEV_ERROR : SEV_WARNING,
			 sqlloc(b->d, file, sql, p->off, p->len), "%s", p->msg);
	}
	for (size_t i = 0; i < sc.nfinds; i++) {
		const struct sql_find *f = &sc.finds[i];
		struct loc loc = sqlloc(b->d, file, sql, f->off, f->len);
		switch (f->kind) {
		case SQL_REF:
			resolveref(b, idx, f, loc);
			break;
		case SQL_SOURCE:
			resolvesource(b, idx, f, loc);
			break;
		case SQL_VAR:
			checkvar(b, f, loc);
			break;
		case SQL_CONFIG:
			checkconfig(b, &b->g->nodes[idx], f, loc);
			break;
		}
	}
	sqlscan_free(&sc);
}

/* the CSV's header names, to check the columns the spec declares */
static void
checkcsv(struct builder *b, const struct spec_seed *sd, int32_t file)
{
	const struct srcfile *f = &b->d->files[file];
	char delim = sd->delimiter ? sd->delimiter[0] : ',';
	size_t end = 0;
	while (end < f->len && f->text[end] != '\n')
		end++;
	if (f->len == 0) {
		diag_add(b->d, SEV_ERROR, sd->csv_loc, "seed file '%s' is empty; it needs a header line", sd->csv);
		return;
	}
	for (size_t i = 0; i < sd->ncolumns; i++) {
		const char *col = sd->columns[i].name;
		size_t cl = strlen(col);
		bool found = false;
		for (size_t s = 0; s < end && !found;) {
			size_t e = s;
			while (e < end && f->text[e] != delim && f->text[e] != '\r')
				e++;
			const char *p = f->text + s;
			size_t l = e - s;
			if (l >= 2 && p[0] == '"' && p[l - 1] == '"')
				p++, l -= 2;
			found = l == cl && memcmp(p, col, cl) == 0;
			s = e + 1;
		}
		if (!found)
			diag_add(b->d, SEV_ERROR, sd->columns[i].loc,
				 "column '%s' is not in the header of '%s'", col, sd->csv);
	}
}

/* generic tests become nodes of their own, named as dbt names them */
static void
addtests(struct builder *b, size_t owner, const char *column, const struct spec_test *tests,
	 size_t ntests, struct strmap *testids)
{
	static const char *const kinds[] = {"unique", "not_null", "accepted_values", "relationships"};
	for (size_t i = 0; i < ntests; i++) {
		const struct spec_test *t = &tests[i];
		const char *col = column ? column : t->column;
		if (!col)
			continue;
		struct node *o = &b->g->nodes[owner];
		struct buf name = {0};
		buf_printf(&name, "%s_%s_", kinds[t->kind], o->kind == N_SOURCE ? o->id + 7 : o->name);
		for (const char *p = col; *p; p++) {
			bool keep = is_ident((char[]){*p, 0}) || (*p >= '0' && *p <= '9');
			if (keep || name.data[name.len - 1] != '_')
				buf_putc(&name, keep ? *p : '_');
		}
		for (char *p = name.data; *p; p++)
			if (*p == '.')
				*p = '_';
		const char *base = arena_strdup(b->a, name.data);
		buf_free(&name);
		const char *nm = base;
		for (int k = 2; strmap_get(testids, nm); k++)
			nm = arena_printf(b->a, "%s_%d", base, k);
		const char *id = arena_printf(b->a, "test.%s", nm);
		size_t idx = addnode(b, N_TEST, id, arena_strdup(b->a, nm), t->loc);
		strmap_put(testids, nm, (void *)1);
		strmap_put(&b->g->byid, id, (void *)(uintptr_t)(idx + 1));
		struct node *n = &b->g->nodes[idx];
		n->test = t;
		n->tested = owner;
		n->column = col;
		adddep(b, idx, owner, t->loc);
		if (t->kind != T_RELATIONSHIPS)
			continue;
		/* the target: a model or seed, or source.table */
		const char *dot = strchr(t->to, '.');
		size_t to = 0;
		if (dot) {
			char *tid = xasprintf("source.%s", t->to);
			struct node *tn = graph_find(b->g, tid);
			free(tid);
			to = tn ? (size_t)(tn - b->g->nodes) + 1 : 0;
		} else {
			to = (uintptr_t)strmap_get(&b->refs, t->to);
		}
		if (!to) {
			struct diag *g = diag_add(b->d, SEV_ERROR, t->to_loc,
						  "relationships target '%s' is not a model, seed or source table", t->to);
			if (!dot)
				diag_hint(g, did_you_mean(t->to, b->refnames, b->nrefnames));
			continue;
		}
		adddep(b, idx, to - 1, t->to_loc);
	}
}

static int
cmpedge(const void *pa, const void *pb)
{
	const struct edge *a = pa, *b = pb;
	return a->to < b->to ? -1 : a->to > b->to;
}

/* sort edges, drop repeats (keeping the first place), and fill users */
static void
finishedges(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct node *n = &g->nodes[i];
		if (n->ndeps > 1)
			qsort(n->deps, n->ndeps, sizeof(*n->deps), cmpedge); /* qsort is not stable; fine: */
		size_t k = 0;
		for (size_t j = 0; j < n->ndeps; j++)
			if (k == 0 || n->deps[k - 1].to != n->deps[j].to)
				n->deps[k++] = n->deps[j];
		n->ndeps = k;
		for (size_t j = 0; j < k; j++)
			g->nodes[n->deps[j].to].nusers++;
	}
	for (size_t i = 0; i < g->n; i++) {
		g->nodes[i].users = xreallocarray(NULL, g->nodes[i].nusers, sizeof(size_t));
		g->nodes[i].nusers = 0;
	}
	for (size_t i = 0; i < g->n; i++)
		for (size_t j = 0; j < g->nodes[i].ndeps; j++) {
			struct node *u = &g->nodes[g->nodes[i].deps[j].to];
			u->users[u->nusers++] = i;
		}
}

/* Report every cycle once, with its whole path. An iterative depth-first
 * search: 10,000-model chains must not overflow the C stack. */
static void
findcycles(struct builder *b)
{
	struct graph *g = b->g;
	enum { WHITE, GREY, BLACK };
	unsigned char *color = xcalloc(g->n, 1);
	size_t *stack = xreallocarray(NULL, g->n + 1, sizeof(size_t));
	size_t *next = xcalloc(g->n, sizeof(size_t)); /* next edge to follow per node */
	for (size_t root = 0; root < g->n; root++) {
		if (color[root] != WHITE)
			continue;
		size_t sp = 0;
		stack[sp++] = root;
		color[root] = GREY;
		while (sp) {
			size_t v = stack[sp - 1];
			struct node *n = &g->nodes[v];
			if (next[v] == n->ndeps) {
				color[v] = BLACK;
				sp--;
				continue;
			}
			const struct edge *e = &n->deps[next[v]++];
			if (color[e->to] == WHITE) {
				color[e->to] = GREY;
				stack[sp++] = e->to;
			} else if (color[e->to] == GREY) {
				size_t start = sp;
				while (stack[start - 1] != e->to)
					start--;
				struct buf path = {0};
				for (size_t i = start - 1; i < sp; i++)
					buf_printf(&path, "%s -> ", g->nodes[stack[i]].name);
				buf_puts(&path, g->nodes[e->to].name);
				diag_add(b->d, SEV_ERROR, e->loc, "dependency cycle: %s", path.data);
				buf_free(&path);
			}
		}
	}
	free(color);
	free(stack);
	free(next);
}

static struct hash
contenthash(struct hash spec, const char *text, size_t len, const char *extra)
{
	struct hasher h;
	hasher_init(&h);
	hasher_add(&h, &spec, sizeof(spec));
	hasher_add(&h, text ? text : "", text ? len : 0);
	hasher_str(&h, extra);
	return hasher_done(&h);
}

struct hash
ir_model_hash(struct hash spec, const char *text, size_t len, const char *materialized)
{
	return contenthash(spec, text, len, materialized);
}

struct hash
ir_test_hash(struct hash owner, const char *id)
{
	return contenthash(owner, id, strlen(id), NULL);
}

struct graph *
graph_build(struct arena *a, struct diags *d, int rootfd, struct spec *s)
{
	struct graph *g = arena_alloc(a, sizeof(*g));
	struct builder b = {.a = a, .d = d, .rootfd = rootfd, .g = g};
	g->spec = s;
	g->diags = d;

	/* source tables first, then seeds and models: the order of the spec */
	for (size_t i = 0; i < s->nsources; i++) {
		const struct spec_source *src = &s->sources[i];
		for (size_t j = 0; j < src->ntables; j++) {
			const struct spec_table *t = &src->tables[j];
			const char *id = arena_printf(a, "source.%s.%s", src->name, t->name);
			size_t idx = addnode(&b, N_SOURCE, id, t->name, t->loc);
			g->nodes[idx].source = src;
			g->nodes[idx].table = t;
			g->nodes[idx].hash = src->hash;
			strmap_put(&g->byid, id, (void *)(uintptr_t)(idx + 1));
		}
	}
	size_t nrefs = s->nseeds + s->nmodels;
	b.refnames = xreallocarray(NULL, nrefs + 1, sizeof(char *));
	for (size_t i = 0; i < s->nseeds; i++) {
		const struct spec_seed *sd = &s->seeds[i];
		const char *id = arena_printf(a, "seed.%s", sd->name);
		size_t idx = addnode(&b, N_SEED, id, sd->name, sd->loc);
		g->nodes[idx].seed = sd;
		strmap_put(&g->byid, id, (void *)(uintptr_t)(idx + 1));
		strmap_put(&b.refs, sd->name, (void *)(uintptr_t)(idx + 1));
		b.refnames[b.nrefnames++] = sd->name;
	}
	for (size_t i = 0; i < s->nmodels; i++) {
		const struct spec_model *m = &s->models[i];
		const char *id = arena_printf(a, "model.%s", m->name);
		size_t idx = addnode(&b, N_MODEL, id, m->name, m->loc);
		g->nodes[idx].model = m;
		g->nodes[idx].layer = m->layer;
		g->nodes[idx].materialized = m->materialized;
		strmap_put(&g->byid, id, (void *)(uintptr_t)(idx + 1));
		strmap_put(&b.refs, m->name, (void *)(uintptr_t)(idx + 1));
		b.refnames[b.nrefnames++] = m->name;
	}
	for (size_t i = 0; i < s->nvars; i++)
		strmap_put(&b.vars, s->vars[i].name, (void *)1);
	for (size_t i = 0; i < s->ntests; i++) {
		const struct spec_singular *t = &s->tests[i];
		const char *id = arena_printf(a, "test.%s", t->name);
		size_t idx = addnode(&b, N_TEST, id, t->name, t->loc);
		g->nodes[idx].singular = t;
		strmap_put(&g->byid, id, (void *)(uintptr_t)(idx + 1));
	}

	/* read the files: SQL is scanned for what it reads, CSV checked */
	size_t nbase = g->n;
	for (size_t i = 0; i < nbase; i++) {
		struct node *n = &g->nodes[i];
		if (n->model) {
			scansql(&b, i, &n->model->sql, "SQL");
			n = &g->nodes[i];
			n->hash = ir_model_hash(n->model->hash, n->text, n->textlen, n->materialized);
		} else if (n->singular) {
			scansql(&b, i, &n->singular->sql, "SQL");
			n = &g->nodes[i];
			n->hash = contenthash(n->singular->hash, n->text, n->textlen, NULL);
		} else if (n->seed && n->seed->csv) {
			int32_t f = readinput(&b, n->seed->csv, n->seed->csv_loc, "CSV");
			n = &g->nodes[i];
			if (f >= 0) {
				n->file = n->seed->csv;
				n->text = d->files[f].text;
				n->textlen = d->files[f].len;
				checkcsv(&b, n->seed, f);
			}
			n->hash = contenthash(n->seed->hash, n->text, n->textlen, NULL);
		}
	}

	/* generic tests on columns and at model level */
	struct strmap testids = {0};
	for (size_t i = 0; i < s->ntests; i++)
		strmap_put(&testids, s->tests[i].name, (void *)1);
	for (size_t i = 0; i < nbase; i++) {
		const struct node *n = &g->nodes[i];
		const struct spec_column *cols = NULL;
		size_t ncols = 0;
		const struct spec_test *tests = NULL;
		size_t ntests = 0;
		if (n->model) {
			cols = n->model->columns, ncols = n->model->ncolumns;
			tests = n->model->tests, ntests = n->model->ntests;
		} else if (n->seed) {
			cols = n->seed->columns, ncols = n->seed->ncolumns;
		} else if (n->table) {
			cols = n->table->columns, ncols = n->table->ncolumns;
			tests = n->table->tests, ntests = n->table->ntests;
		}
		for (size_t j = 0; j < ncols; j++)
			addtests(&b, i, cols[j].name, cols[j].tests, cols[j].ntests, &testids);
		addtests(&b, i, NULL, tests, ntests, &testids);
	}
	for (size_t i = nbase; i < g->n; i++)
		g->nodes[i].hash = ir_test_hash(g->nodes[g->nodes[i].tested].hash, g->nodes[i].id);
	strmap_free(&testids);

	finishedges(g);
	findcycles(&b);
	strmap_free(&b.refs);
	strmap_free(&b.vars);
	free(b.refnames);
	return g;
}

struct node *
graph_find(const struct graph *g, const char *id)
{
	uintptr_t i = (uintptr_t)strmap_get(&g->byid, id);
	return i ? &g->nodes[i - 1] : NULL;
}

void
graph_downstream(const struct graph *g, bool *mark)
{
	size_t *queue = xreallocarray(NULL, g->n + 1, sizeof(size_t)), head = 0, tail = 0;
	for (size_t i = 0; i < g->n; i++)
		if (mark[i])
			queue[tail++] = i;
	while (head < tail) {
		const struct node *n = &g->nodes[queue[head++]];
		for (size_t j = 0; j < n->nusers; j++)
			if (!mark[n->users[j]]) {
				mark[n->users[j]] = true;
				queue[tail++] = n->users[j];
			}
	}
	free(queue);
}

void
graph_free(struct graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		free(g->nodes[i].deps);
		free(g->nodes[i].users);
		free(g->nodes[i].external);
	}
	free(g->nodes);
	strmap_free(&g->byid);
}

const char *
node_specfile(const struct graph *g, const struct node *n)
{
	if (n->loc.file < 0 || (size_t)n->loc.file >= g->diags->nfiles)
		return g->spec->nfiles ? g->spec->files[0] : "pipeline.yaml";
	return g->diags->files[n->loc.file].path;
}

const char *
node_kindname(enum node_kind k)
{
	static const char *const names[] = {"source", "seed", "model", "test"};
	return names[k];
}
