/* ir.c: spec AST + the SQL and CSV files it names → one checked graph
 * (see ir.h). The SQL is scanned by sqlscan.c; this file resolves what the
 * scanner found against the spec's names. */
#include "ir.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "airflow.h"
#include "select.h"
#include "sqlscan.h"

/* The files graph_build reads, read ahead on a second thread: the reading
 * (system calls) overlaps the scanning, and the texts come from that
 * thread's own malloc arena, which returns to the system whole once they
 * are released, instead of leaving holes between what stays. */
struct prefetch {
	struct pfile {
		const char *path;
		char *text;
		size_t len;
		int64_t stamp[3];
		int err;
	} *v;
	size_t n, next;     /* files; the next one the builder takes */
	size_t ready;       /* read so far */
	bool stop;          /* the builder is done: read no more */
	bool full;          /* the reader waits for room */
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;  /* the builder: a file is read */
	pthread_cond_t room;  /* the reader: the builder took one */
};

/* files read ahead of the builder, at most: enough to keep it fed, and no
 * more texts in memory than that when a fresh build drops each model's SQL
 * once its file is made (graph_build_hooked) */
#define PREFETCH_AHEAD 512

struct builder {
	struct arena *a;
	struct diags *d;
	int rootfd;
	struct graph *g;
	size_t cap;
	struct prefetch *pf; /* NULL: files are read when needed */
	const struct overlays *ov; /* files read from memory (spec_load_overlay), or NULL */
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
	int e;
	struct prefetch *pf = b->pf;
	const struct overlay *o = b->ov ? overlay_find(b->ov, path) : NULL;
	if (o) { /* an edit not written yet: no stamp, it is no input on disk */
		memset(stamp, 0, sizeof(stamp));
		e = o->len > INPUT_MAX_BYTES ? EFBIG : 0;
		text = e ? NULL : xstrndup(o->text, o->len);
		len = o->len;
	} else if (pf && pf->next < pf->n && strcmp(pf->v[pf->next].path, path) == 0) {
		struct pfile *p = &pf->v[pf->next];
		pthread_mutex_lock(&pf->lock);
		while (pf->ready <= pf->next)
			pthread_cond_wait(&pf->cond, &pf->lock);
		pf->next++;
		if (pf->full && pf->ready - pf->next <= PREFETCH_AHEAD / 2) {
			pf->full = false; /* wake it when half the window is free, not per file */
			pthread_cond_signal(&pf->room);
		}
		pthread_mutex_unlock(&pf->lock);
		e = p->err, text = p->text, len = p->len;
		memcpy(stamp, p->stamp, sizeof(stamp));
		p->text = NULL;
	} else {
		e = read_beneath(b->rootfd, path, INPUT_MAX_BYTES, &text, &len, stamp);
	}
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
	const struct node *other = to ? NULL : graph_byname(b->g, name);
	if (other && (other->kind == N_TABLE || other->kind == N_EMBEDDING)) {
		const char *src = other->apptable ? other->apptable->source : other->embedding->source;
		diag_add(b->d, SEV_ERROR, loc, "'%s' is %s, a dbt source: write {{ source('%s', '%s') }}",
			 name, other->apptable ? "a table" : "an embedding", src ? src : "?", name);
		return;
	}
	if (other) {
		diag_add(b->d, SEV_ERROR, loc, "'%s' is an %s; ref() takes a model or seed", name,
			 node_kindname(other->kind)); /* an asset: the one other kind with a name */
		return;
	}
	if (!to) {
		struct diag *g = diag_add(b->d, SEV_ERROR, loc, "ref to unknown model or seed '%s'", name);
		diag_hint(g, did_you_mean(name, b->refnames, b->nrefnames));
		return;
	}
	adddep(b, idx, to - 1, loc);
}

/* source(src, tab) where src is the dbt source of tables: (supabase.source
 * or a table's schema); false when src is not one */
static bool
appsource(struct builder *b, size_t idx, const char *src, const char *tab, struct loc loc)
{
	const struct spec *s = b->g->spec;
	const char **names = xreallocarray(NULL, s->napptables + s->nembeddings + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < s->napptables; i++)
		if (strcmp(s->apptables[i].source, src) == 0)
			names[n++] = s->apptables[i].name;
	for (size_t i = 0; i < s->nembeddings; i++)
		if (s->embeddings[i].source && strcmp(s->embeddings[i].source, src) == 0)
			names[n++] = s->embeddings[i].name;
	if (!n) {
		free(names);
		return false;
	}
	char *id = xasprintf("source.%s.%s", src, tab);
	struct node *t = graph_find(b->g, id);
	free(id);
	if (t) {
		adddep(b, idx, (size_t)(t - b->g->nodes), loc);
	} else {
		struct diag *g = diag_add(b->d, SEV_ERROR, loc,
					  "source '%s' (of tables: and embeddings:) has no table '%s'", src, tab);
		diag_hint(g, did_you_mean(tab, names, n));
	}
	free(names);
	return true;
}

static void
resolvesource(struct builder *b, size_t idx, const struct sql_find *f, struct loc loc)
{
	const struct spec *s = b->g->spec;
	const char *src = argstr(f, 0), *tab = argstr(f, 1);
	if (positional(f) != 2 || !src || !tab)
		return;
	const struct spec_source *found = NULL;
	const char **names = xreallocarray(NULL, s->nsources + s->napptables + 1, sizeof(char *));
	for (size_t i = 0; i < s->nsources; i++) {
		names[i] = s->sources[i].name;
		if (strcmp(names[i], src) == 0)
			found = &s->sources[i];
	}
	if (!found && appsource(b, idx, src, tab, loc)) {
		free(names);
		return;
	}
	if (!found) {
		size_t n = s->nsources;
		for (size_t i = 0; i < s->napptables; i++)
			names[n++] = s->apptables[i].source;
		struct diag *g = diag_add(b->d, SEV_ERROR, loc, "source '%s' is not defined in sources:", src);
		diag_hint(g, did_you_mean(src, names, n));
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
	static const char *const kinds[] = {"unique", "not_null", "accepted_values", "relationships", "row_count"};
	for (size_t i = 0; i < ntests; i++) {
		const struct spec_test *t = &tests[i];
		const char *col = column ? column : t->column;
		if (!col && t->kind != T_ROW_COUNT) /* row_count tests the whole relation */
			continue;
		struct node *o = &b->g->nodes[owner];
		struct buf name = {0};
		buf_printf(&name, "%s_%s%s", kinds[t->kind], o->kind == N_SOURCE ? o->id + 7 : o->name, col ? "_" : "");
		for (const char *p = col ? col : ""; *p; p++) {
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

/* sort edges, drop repeats (keeping the first place), and fill users;
 * again after more edges were added */
static void
finishedges(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->nodes[i].users);
		g->nodes[i].users = NULL;
		g->nodes[i].nusers = 0;
	}
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

/* tables:, embeddings:, assets:, schedules: and sensors: */

static struct hash
combine(struct hash a, struct hash b)
{
	return contenthash(a, (const char *)&b, sizeof(b), NULL);
}

/* register a node under its name too (models, seeds, tables, embeddings,
 * assets: what selections and asset deps name) */
static void
byname(struct builder *b, size_t idx)
{
	strmap_put(&b->g->byname, b->g->nodes[idx].name, (void *)(uintptr_t)(idx + 1));
}

static size_t
addnamed(struct builder *b, enum node_kind kind, const char *prefix, const char *name, struct loc loc)
{
	const char *id = arena_printf(b->a, "%s.%s", prefix, name);
	size_t idx = addnode(b, kind, id, name, loc);
	strmap_put(&b->g->byid, id, (void *)(uintptr_t)(idx + 1));
	return idx;
}

/* the id source() finds a table or an embedding by: source.<src>.<name>.
 * A source of sources: with that name was reported by the front end; it
 * keeps the id */
static void
alias(struct builder *b, size_t idx, const char *src, const char *name)
{
	if (!src)
		return;
	const char *id = arena_printf(b->a, "source.%s.%s", src, name);
	if (!graph_find(b->g, id))
		strmap_put(&b->g->byid, id, (void *)(uintptr_t)(idx + 1));
}

static void
addappnodes(struct builder *b)
{
	struct graph *g = b->g;
	const struct spec *s = g->spec;
	for (size_t i = 0; i < s->napptables; i++) {
		const struct spec_apptable *t = &s->apptables[i];
		size_t idx = addnamed(b, N_TABLE, "table", t->name, t->loc);
		g->nodes[idx].apptable = t;
		g->nodes[idx].hash = contenthash(t->hash, t->schema, strlen(t->schema), t->source);
		alias(b, idx, t->source, t->name);
		byname(b, idx);
	}
	for (size_t i = 0; i < s->nembeddings; i++) {
		const struct spec_embedding *e = &s->embeddings[i];
		size_t idx = addnamed(b, N_EMBEDDING, "embedding", e->name, e->loc);
		struct node *n = &g->nodes[idx];
		n->embedding = e;
		n->from = SIZE_MAX;
		/* the vector table follows its table: the key's type, the schema;
		 * or its model's entry (the key's type), and runs after the model */
		const struct node *t = e->table ? graph_byname(g, e->table->name)
				       : e->model ? graph_byname(g, e->model->name) : NULL;
		n->hash = t ? combine(e->hash, t->hash) : e->hash;
		if (t && e->model) {
			/* where the vectors go, and the relation they are read from */
			const char *where = arena_printf(b->a, "%s.%s %s.%s", e->schema, e->source,
							 s->warehouse.schema, e->model->alias ? e->model->alias : "");
			n->hash = contenthash(combine(e->hash, e->model->hash), where, strlen(where),
					      e->model->schema);
		}
		if (t) {
			n->from = (size_t)(t - g->nodes);
			adddep(b, idx, n->from, e->from_loc);
		}
		alias(b, idx, e->source, e->name);
		byname(b, idx);
	}
	for (size_t i = 0; i < s->nassets; i++) {
		const struct spec_asset *as = &s->assets[i];
		size_t idx = addnamed(b, N_ASSET, "asset", as->name, as->loc);
		g->nodes[idx].asset = as;
		g->nodes[idx].hash = as->hash;
		byname(b, idx);
	}
	for (size_t i = 0; i < s->nschedules; i++) {
		size_t idx = addnamed(b, N_SCHEDULE, "schedule", s->schedules[i].name, s->schedules[i].loc);
		g->nodes[idx].schedule = &s->schedules[i];
	}
	for (size_t i = 0; i < s->nsensors; i++) {
		size_t idx = addnamed(b, N_SENSOR, "sensor", s->sensors[i].name, s->sensors[i].loc);
		g->nodes[idx].sensor = &s->sensors[i];
		g->nodes[idx].from = SIZE_MAX;
	}
}

/* is word at text[i] a whole word? */
static bool
wordat(const char *text, size_t len, size_t i, const char *word)
{
	size_t k = strlen(word);
	if (i + k > len || memcmp(text + i, word, k) != 0)
		return false;
	char before = i ? text[i - 1] : ' ', after = i + k < len ? text[i + k] : ' ';
	return !is_ident((char[]){before, 0}) && !(before >= '0' && before <= '9') &&
	       !is_ident((char[]){after, 0}) && !(after >= '0' && after <= '9');
}

/* Does the Python source define name at module level: def, async def,
 * class, an assignment, or an import that names it? A line-based look (no
 * parser): enough for the function an asset calls. The names defined with
 * def go to defs (arena), for a did-you-mean. */
static bool
pydefines(struct builder *b, const char *text, size_t len, const char *name, const char ***defs,
	  size_t *ndefs)
{
	static const char *const starts[] = {"def ", "async def ", "class "};
	size_t cap = 0;
	*defs = NULL;
	*ndefs = 0;
	bool found = false;
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		const char *line = text + i;
		size_t n = e - i;
		for (size_t k = 0; k < LEN(starts); k++) {
			size_t sl = strlen(starts[k]);
			if (n <= sl || memcmp(line, starts[k], sl) != 0)
				continue;
			size_t w = sl;
			while (w < n && line[w] == ' ')
				w++;
			size_t ws = w;
			while (w < n && (is_ident((char[]){line[w], 0}) || (line[w] >= '0' && line[w] <= '9')))
				w++;
			if (w == ws)
				continue;
			char *def = arena_strndup(b->a, line + ws, w - ws);
			found |= strcmp(def, name) == 0;
			if (*ndefs == cap) {
				cap = cap ? cap * 2 : 8;
				const char **nv = arena_array(b->a, cap, sizeof(*nv));
				if (*ndefs)
					memcpy(nv, *defs, *ndefs * sizeof(*nv));
				*defs = nv;
			}
			(*defs)[(*ndefs)++] = def;
		}
		if (n && wordat(line, n, 0, name)) {
			/* name = ..., name: type = ... */
			size_t w = strlen(name);
			while (w < n && line[w] == ' ')
				w++;
			found |= w < n && (line[w] == ':' || (line[w] == '=' && (w + 1 == n || line[w + 1] != '=')));
		}
		if ((n > 7 && memcmp(line, "import ", 7) == 0) || (n > 5 && memcmp(line, "from ", 5) == 0)) {
			const char *imp = findbytes(line, n, " import ", 8);
			size_t from = imp ? (size_t)(imp - line) + 8 : 7;
			for (size_t k = from; k < n && !found; k++)
				found = wordat(line, n, k, name);
		}
		i = e + 1;
	}
	return found;
}

static void
readpython(struct builder *b, size_t idx)
{
	const struct spec_asset *as = b->g->nodes[idx].asset;
	int32_t f = readinput(b, as->python, as->python_loc, "Python");
	struct node *n = &b->g->nodes[idx];
	if (f < 0)
		return;
	n->file = as->python;
	n->text = b->d->files[f].text;
	n->textlen = b->d->files[f].len;
	n->hash = contenthash(as->hash, n->text, n->textlen, NULL);
	const char **defs;
	size_t ndefs;
	if (!pydefines(b, n->text, n->textlen, as->function, &defs, &ndefs)) {
		struct diag *g = diag_add(b->d, SEV_ERROR, as->function_loc,
					  "%s '%s' is not defined in %s (no def, class, assignment or import of it)",
					  as->function == as->name ? "the asset's function" : "function",
					  as->function, as->python);
		diag_hint(g, did_you_mean(as->function, defs, ndefs));
	}
}

/* the names of nodes of the kinds in mask (bits of enum node_kind), for a
 * did-you-mean; owned by the caller */
static const char **
namesof(const struct graph *g, unsigned mask, bool ids, size_t *count)
{
	const char **v = xreallocarray(NULL, g->n + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++)
		if (mask & (1u << g->nodes[i].kind))
			v[n++] = ids ? g->nodes[i].id : g->nodes[i].name;
	*count = n;
	return v;
}

#define NAMED ((1u << N_SEED) | (1u << N_MODEL) | (1u << N_TABLE) | (1u << N_EMBEDDING) | (1u << N_ASSET))

/* a source table written src.table (asset deps) or source:src.table
 * (sensors); NULL when there is none (reported at loc) */
static struct node *
findsourcetable(struct builder *b, const char *dotted, struct loc loc, const char *what)
{
	char *id = xasprintf("source.%s", dotted);
	struct node *n = graph_find(b->g, id);
	free(id);
	if (n)
		return n;
	/* every source table as src.table, app tables included */
	const struct spec *s = b->g->spec;
	size_t cap = b->g->n + 1, count = 0;
	const char **v = xreallocarray(NULL, cap, sizeof(*v));
	for (size_t i = 0; i < b->g->n; i++)
		if (b->g->nodes[i].kind == N_SOURCE)
			v[count++] = b->g->nodes[i].id + 7;
	char **own = xreallocarray(NULL, s->napptables + 1, sizeof(*own));
	for (size_t i = 0; i < s->napptables; i++)
		v[count++] = own[i] = xasprintf("%s.%s", s->apptables[i].source, s->apptables[i].name);
	struct diag *g = diag_add(b->d, SEV_ERROR, loc, "%s: there is no source table '%s'", what, dotted);
	diag_hint(g, did_you_mean(dotted, v, count));
	for (size_t i = 0; i < s->napptables; i++)
		free(own[i]);
	free(own);
	free(v);
	return NULL;
}

/* an unknown name (at loc): a did-you-mean among the kinds in mask, or
 * the source table it may mean */
static void
unknownname(struct builder *b, const char *name, unsigned mask, struct loc loc, const char *fmt)
{
	size_t n;
	const char **v = namesof(b->g, mask, false, &n);
	struct diag *g = diag_add(b->d, SEV_ERROR, loc, fmt, name);
	const char *hint = did_you_mean(name, v, n);
	free(v);
	if (hint) {
		diag_hint(g, hint);
		return;
	}
	for (size_t i = 0; i < b->g->n; i++)
		if (b->g->nodes[i].kind == N_SOURCE && strcmp(b->g->nodes[i].name, name) == 0) {
			diag_hint(g, b->g->nodes[i].id + 7);
			return;
		}
}

static void
resolveassetdeps(struct builder *b, size_t idx)
{
	const struct spec_asset *as = b->g->nodes[idx].asset;
	for (size_t i = 0; i < as->ndeps; i++) {
		const char *dep = as->deps[i];
		struct loc loc = as->deps_loc[i];
		struct node *t;
		if (strchr(dep, '.')) {
			t = findsourcetable(b, dep, loc, "asset dep");
		} else if (!(t = graph_byname(b->g, dep))) {
			unknownname(b, dep, NAMED, loc,
				    "asset dep: no model, seed, table, embedding or asset is named '%s'");
		} else if (t == &b->g->nodes[idx]) {
			diag_add(b->d, SEV_ERROR, loc, "asset '%s' depends on itself", dep);
			t = NULL;
		}
		if (t)
			adddep(b, idx, (size_t)(t - b->g->nodes), loc);
	}
}

/* the column a sensor's cursor defaults to, or NULL */
static const char *
defaultcursor(const struct node *t)
{
	if (t->apptable) {
		const struct spec_apptable *at = t->apptable;
		for (size_t i = 0; i < at->ncolumns; i++)
			if (at->columns[i].identity)
				return at->columns[i].name;
		if (at->nprimary_key == 1)
			for (size_t i = 0; i < at->ncolumns; i++)
				if (at->columns[i].primary_key &&
				    spec_type_family(at->columns[i].type) == SQL_INTEGER)
					return at->columns[i].name;
		for (size_t i = 0; i < at->ncolumns; i++)
			if (spec_type_family(at->columns[i].type) == SQL_TIME)
				return at->columns[i].name;
		return NULL;
	}
	const struct spec_freshness *f = &t->table->freshness;
	if (!f->set)
		f = &t->source->freshness;
	return f->set && !f->disabled ? f->field : NULL;
}

static void
resolvesensor(struct builder *b, size_t idx)
{
	const struct spec_sensor *sn = b->g->nodes[idx].sensor;
	if (!sn->on)
		return;
	struct node *t;
	if (strncmp(sn->on, "source:", 7) == 0) {
		t = findsourcetable(b, sn->on + 7, sn->on_loc, "sensor on");
	} else if (!(t = graph_byname(b->g, sn->on))) {
		unknownname(b, sn->on, 1u << N_TABLE, sn->on_loc, "sensor on: there is no table '%s' in tables:");
	}
	if (t && t->kind != N_TABLE && t->kind != N_SOURCE) {
		diag_add(b->d, SEV_ERROR, sn->on_loc,
			 "sensor on: '%s' is %s %s; a sensor watches a table of tables: or a source table "
			 "(source:src.table)", sn->on, t->kind == N_EMBEDDING || t->kind == N_ASSET ? "an" : "a",
			 node_kindname(t->kind));
		t = NULL;
	}
	if (!t)
		return;
	size_t ti = (size_t)(t - b->g->nodes);
	adddep(b, idx, ti, sn->on_loc);
	struct node *n = &b->g->nodes[idx];
	n->from = ti;
	if (!sn->cursor) {
		n->cursor = defaultcursor(t);
		if (!n->cursor)
			diag_add(b->d, SEV_ERROR, sn->loc, "sensor '%s' needs cursor: '%s' has no %s to default to",
				 sn->name, sn->on,
				 t->kind == N_SOURCE ? "freshness field"
						     : "identity column, integer primary key or timestamp column");
		return;
	}
	n->cursor = sn->cursor;
	const char *type = NULL;
	bool found = t->kind == N_SOURCE && t->table->ncolumns == 0; /* no columns declared: trusted */
	const char **names = xreallocarray(NULL, 1 + (t->apptable ? t->apptable->ncolumns : t->table->ncolumns),
					   sizeof(*names));
	size_t nn = 0;
	if (t->apptable)
		for (size_t i = 0; i < t->apptable->ncolumns; i++) {
			names[nn++] = t->apptable->columns[i].name;
			if (strcmp(names[nn - 1], sn->cursor) == 0)
				found = true, type = t->apptable->columns[i].type;
		}
	else
		for (size_t i = 0; i < t->table->ncolumns; i++) {
			names[nn++] = t->table->columns[i].name;
			if (strcmp(names[nn - 1], sn->cursor) == 0)
				found = true, type = t->table->columns[i].type;
		}
	if (!found) {
		struct diag *g = diag_add(b->d, SEV_ERROR, sn->cursor_loc, "sensor cursor: '%s' has no column '%s'",
					  sn->on, sn->cursor);
		diag_hint(g, did_you_mean(sn->cursor, names, nn));
	} else if (type && spec_type_family(type) == SQL_UUID) {
		diag_add(b->d, SEV_WARNING, sn->cursor_loc,
			 "sensor cursor '%s' is a uuid: its values do not grow, so new rows can be missed",
			 sn->cursor);
	}
	free(names);
}

/* the selections of schedules and sensors, once every other edge is in:
 * each picked node becomes an edge too */
static void
resolveselections(struct builder *b)
{
	struct graph *g = b->g;
	for (size_t i = 0; i < g->n; i++) {
		struct node *n = &g->nodes[i];
		const char *text = n->schedule ? n->schedule->select : n->sensor ? n->sensor->select : NULL;
		struct loc loc = n->schedule ? n->schedule->select_loc : n->sensor ? n->sensor->select_loc : NOLOC;
		struct hash spec = n->schedule ? n->schedule->hash : n->sensor ? n->sensor->hash : n->hash;
		if (!text)
			continue;
		struct selection sel;
		if (sel_parse(b->a, b->d, loc, text, &sel))
			n->selected = sel_resolve(b->a, b->d, g, &sel, loc, text, &n->nselected);
		/* what it runs is part of what it is: the ids it picked */
		struct hasher h;
		hasher_init(&h);
		hasher_add(&h, &spec, sizeof(spec));
		for (size_t j = 0; j < n->nselected; j++) {
			hasher_str(&h, g->nodes[n->selected[j]].id);
			adddep(b, i, n->selected[j], loc);
		}
		g->nodes[i].hash = hasher_done(&h);
	}
}

/* airflow: each DAG's file is read (an input of the build, like a model's
 * SQL) and interpreted by the Airflow reader; the DAG and its tasks become
 * nodes, the task edges edges */

/* an Airflow id ([A-Za-z0-9_.-]) as a Python name: '.' (a task group's
 * separator) becomes "__", '-' '_', and a leading digit gets a '_' */
static const char *
afpyname(struct arena *a, const char *id)
{
	struct buf b = {0};
	if (*id >= '0' && *id <= '9')
		buf_putc(&b, '_');
	for (const char *p = id; *p; p++)
		buf_puts(&b, *p == '.' ? "__" : *p == '-' ? "_" : (char[]){*p, 0});
	const char *s = arena_strdup(a, b.data ? b.data : "_");
	buf_free(&b);
	return s;
}

/* the index of the task id in dag, or SIZE_MAX */
static size_t
aftaskof(const struct af_dag *dag, const char *id)
{
	for (size_t i = 0; i < dag->ntasks; i++)
		if (strcmp(dag->tasks[i].id, id) == 0)
			return i;
	return SIZE_MAX;
}

/* the DAG node of entry e, its tasks and edges, once its file is read */
static void
addafdag(struct builder *b, size_t di, const struct af_dag *dag, int32_t file)
{
	struct graph *g = b->g;
	const struct spec_airflow_dag *e = g->nodes[di].airflow;
	const char *pydag = g->nodes[di].pyname;
	g->nodes[di].afdag = dag;
	size_t first = g->n;
	struct strmap keys = {0};
	for (size_t t = 0; t < dag->ntasks; t++) {
		const struct af_task *at = &dag->tasks[t];
		const char *id = arena_printf(b->a, "airflow_task.%s/%s", e->dag_id, at->id);
		struct loc loc = {file, at->off, 1};
		size_t ti = addnode(b, N_AIRFLOW_TASK, id, arena_strdup(b->a, at->id), loc);
		struct node *n = &g->nodes[ti];
		strmap_put(&g->byid, id, (void *)(uintptr_t)(ti + 1));
		n->airflow = e;
		n->afdag = dag;
		n->aftask = at;
		n->pyname = pydag;
		n->file = e->file;
		n->assetkey = arena_printf(b->a, "airflow/%s/%s", pydag, afpyname(b->a, at->id));
		n->hash = contenthash(g->nodes[di].hash, at->id, strlen(at->id), NULL);
		uintptr_t other = (uintptr_t)strmap_get(&keys, n->assetkey);
		if (other) {
			struct diag *dg = diag_add(b->d, SEV_ERROR, loc,
						   "tasks '%s' and '%s' of DAG '%s' would have one Dagster asset key, %s",
						   dag->tasks[other - 1].id, at->id, e->dag_id, n->assetkey);
			diag_note(dg, e->loc, "DAG '%s' is migrated here", e->dag_id);
		} else {
			strmap_put(&keys, n->assetkey, (void *)(uintptr_t)(t + 1));
		}
		adddep(b, di, ti, e->loc);
	}
	strmap_free(&keys);
	for (size_t k = 0; k < dag->nedges; k++) {
		const struct af_edge *ed = &dag->edges[k];
		if (ed->up < dag->ntasks && ed->down < dag->ntasks)
			adddep(b, first + ed->down, first + ed->up, g->nodes[first + ed->down].loc);
	}
	/* the tasks the spec hands to Dagster exist */
	const char **names = xreallocarray(NULL, dag->ntasks + 1, sizeof(*names));
	for (size_t t = 0; t < dag->ntasks; t++)
		names[t] = dag->tasks[t].id;
	for (size_t i = 0; i < e->nproxied; i++)
		if (aftaskof(dag, e->proxied[i]) == SIZE_MAX) {
			struct diag *dg = diag_add(b->d, SEV_ERROR, e->proxied_loc[i],
						   "proxied: DAG '%s' in %s has no task '%s'", e->dag_id, e->file,
						   e->proxied[i]);
			diag_hint(dg, did_you_mean(e->proxied[i], names, dag->ntasks));
		}
	free(names);
}

static void
addairflow(struct builder *b)
{
	struct graph *g = b->g;
	const struct spec_airflow *af = &g->spec->airflow;
	if (!af->ndags)
		return;
	struct py_scanner *ps = NULL;
	bool noscanner = false;
	struct strmap files = {0}; /* path → afiles index + 1, or (uintptr_t)-1 unreadable */
	struct strmap pynames = {0};
	g->afiles = xcalloc(af->ndags, sizeof(*g->afiles));
	for (size_t i = 0; i < af->ndags; i++) {
		const struct spec_airflow_dag *e = &af->dags[i];
		size_t di = addnamed(b, N_AIRFLOW_DAG, "airflow_dag", e->dag_id, e->loc);
		struct node *n = &g->nodes[di];
		n->airflow = e;
		n->hash = e->hash;
		n->pyname = afpyname(b->a, e->dag_id);
		uintptr_t same = (uintptr_t)strmap_get(&pynames, n->pyname);
		if (same) {
			const struct spec_airflow_dag *o = &af->dags[same - 1];
			struct diag *dg = diag_add(b->d, SEV_ERROR, e->loc,
						   "DAGs '%s' and '%s' would have one Python name, %s; Dagster needs "
						   "them apart", o->dag_id, e->dag_id, n->pyname);
			diag_note(dg, o->loc, "'%s' is here", o->dag_id);
		} else {
			strmap_put(&pynames, n->pyname, (void *)(uintptr_t)(i + 1));
		}
		/* a migrated DAG's schedule is a Dagster schedule named airflow_<dag> */
		char *sched = xasprintf("schedule.airflow_%s", n->pyname);
		const struct node *sn = e->stage == STAGE_MIGRATED ? graph_find(g, sched) : NULL;
		if (sn) {
			struct diag *dg = diag_add(b->d, SEV_ERROR, e->stage_loc,
						   "migrated DAG '%s' gets the Dagster schedule %s, a name the spec's "
						   "schedule has", e->dag_id, sched + 9);
			diag_note(dg, sn->loc, "schedule '%s' is here", sn->name);
		}
		free(sched);
		if (!e->file)
			continue;
		uintptr_t k = (uintptr_t)strmap_get(&files, e->file);
		int32_t f = -1;
		if (!k) {
			f = readinput(b, e->file, e->file_loc, "DAG");
			if (f >= 0 && !ps && !noscanner && !(ps = py_scanner_new())) {
				diag_add(b->d, SEV_ERROR, e->file_loc,
					 "cannot read Python: this dpc's tree-sitter grammar does not load");
				noscanner = true;
			}
			if (f < 0 || !ps) {
				strmap_put(&files, e->file, (void *)(uintptr_t)-1);
				continue;
			}
			af_read(ps, b->d, f, b->d->files[f].text, b->d->files[f].len, &g->afiles[g->nafiles]);
			k = ++g->nafiles;
			strmap_put(&files, e->file, (void *)k);
		}
		if (k == (uintptr_t)-1)
			continue;
		f = (int32_t)(uintptr_t)strmap_get(&b->d->index, e->file) - 1;
		const struct af_file *file = &g->afiles[k - 1];
		n = &g->nodes[di];
		n->file = e->file;
		n->hash = combine(e->hash, b->d->files[f].hash);
		const struct af_dag *dag = NULL;
		for (size_t j = 0; j < file->ndags && !dag; j++)
			if (strcmp(file->dags[j].dag_id, e->dag_id) == 0)
				dag = &file->dags[j];
		if (!dag) {
			const char **ids = xreallocarray(NULL, file->ndags + 1, sizeof(*ids));
			for (size_t j = 0; j < file->ndags; j++)
				ids[j] = file->dags[j].dag_id;
			struct diag *dg = file->ndags
				? diag_add(b->d, SEV_ERROR, e->loc, "%s defines no DAG '%s'", e->file, e->dag_id)
				: diag_add(b->d, SEV_ERROR, e->loc,
					   "%s defines no DAG that dpc can read (with DAG(...), DAG(...) as a "
					   "variable, or @dag)", e->file);
			diag_hint(dg, did_you_mean(e->dag_id, ids, file->ndags));
			free(ids);
			continue;
		}
		addafdag(b, di, dag, f);
	}
	strmap_free(&files);
	strmap_free(&pynames);
	py_scanner_free(ps);
}

static void *
prefetchloop(void *arg)
{
	struct builder *b = arg;
	struct prefetch *pf = b->pf;
	for (size_t i = 0; i < pf->n; i++) {
		pthread_mutex_lock(&pf->lock);
		while (!pf->stop && i >= pf->next + PREFETCH_AHEAD) {
			pf->full = true;
			pthread_cond_wait(&pf->room, &pf->lock);
		}
		bool stop = pf->stop;
		pthread_mutex_unlock(&pf->lock);
		if (stop)
			break;
		struct pfile *p = &pf->v[i];
		p->err = read_beneath(b->rootfd, p->path, INPUT_MAX_BYTES, &p->text, &p->len, p->stamp);
		pthread_mutex_lock(&pf->lock);
		pf->ready = i + 1;
		pthread_cond_signal(&pf->cond);
		pthread_mutex_unlock(&pf->lock);
	}
	return NULL;
}

/* the file node i reads, in the order the read loop asks for them */
static const char *
fileof(const struct node *n)
{
	if (n->model)
		return n->model->sql.path;
	if (n->singular)
		return n->singular->sql.path;
	if (n->seed)
		return n->seed->csv;
	if (n->asset)
		return n->asset->python;
	return NULL;
}

static void
prefetch_start(struct builder *b, size_t nbase)
{
	struct prefetch *pf = xcalloc(1, sizeof(*pf));
	pf->v = xcalloc(nbase + 1, sizeof(*pf->v));
	for (size_t i = 0; i < nbase; i++) {
		const char *path = fileof(&b->g->nodes[i]);
		if (path)
			pf->v[pf->n++].path = path;
	}
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->cond, NULL);
	pthread_cond_init(&pf->room, NULL);
	b->pf = pf;
	if (pf->n < 64 || pthread_create(&pf->th, NULL, prefetchloop, b) != 0) {
		/* few files, or no thread: read them as they are needed */
		pthread_mutex_destroy(&pf->lock);
		pthread_cond_destroy(&pf->cond);
		pthread_cond_destroy(&pf->room);
		free(pf->v);
		free(pf);
		b->pf = NULL;
	}
}

static void
prefetch_stop(struct builder *b)
{
	struct prefetch *pf = b->pf;
	if (!pf)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->stop = true;
	pthread_cond_signal(&pf->room);
	pthread_mutex_unlock(&pf->lock);
	pthread_join(pf->th, NULL);
	for (size_t i = 0; i < pf->n; i++)
		free(pf->v[i].text); /* read but never asked for */
	pthread_mutex_destroy(&pf->lock);
	pthread_cond_destroy(&pf->cond);
	pthread_cond_destroy(&pf->room);
	free(pf->v);
	free(pf);
	b->pf = NULL;
}

static size_t
coltests(const struct spec_column *c, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += c[i].ntests;
	return k;
}

/* how many nodes the spec makes: a guess that is exact for what it counts
 * (more nodes only grow the array) */
static size_t
countnodes(const struct spec *s)
{
	size_t n = s->nseeds + s->nmodels + s->ntests + s->napptables + s->nembeddings + s->nassets +
		   s->nschedules + s->nsensors + 1;
	for (size_t i = 0; i < s->nsources; i++)
		for (size_t j = 0; j < s->sources[i].ntables; j++) {
			const struct spec_table *t = &s->sources[i].tables[j];
			n += 1 + t->ntests + coltests(t->columns, t->ncolumns);
		}
	for (size_t i = 0; i < s->nseeds; i++)
		n += coltests(s->seeds[i].columns, s->seeds[i].ncolumns);
	for (size_t i = 0; i < s->nmodels; i++)
		n += s->models[i].ntests + coltests(s->models[i].columns, s->models[i].ncolumns);
	return n;
}

struct graph *
graph_build(struct arena *a, struct diags *d, int rootfd, struct spec *s)
{
	return graph_build_hooked(a, d, rootfd, s, NULL, NULL);
}

struct graph *
graph_build_hooked(struct arena *a, struct diags *d, int rootfd, struct spec *s,
		   bool (*model)(void *arg, const struct graph *g, const struct node *n), void *arg)
{
	struct graph *g = arena_alloc(a, sizeof(*g));
	struct builder b = {.a = a, .d = d, .rootfd = rootfd, .g = g, .ov = s->overlay};
	g->spec = s;
	g->diags = d;
	/* the node array at its final size: grown by doubling, it would hold
	 * up to twice the memory at 10,000 models */
	b.cap = countnodes(s);
	g->nodes = xreallocarray(NULL, b.cap, sizeof(*g->nodes));

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
		byname(&b, idx);
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
		byname(&b, idx);
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
	addappnodes(&b);

	/* read the files: SQL is scanned for what it reads, CSV checked */
	size_t nbase = g->n;
	if (!b.ov) /* the files in memory come in no order the thread could follow */
		prefetch_start(&b, nbase);
	for (size_t i = 0; i < nbase; i++) {
		struct node *n = &g->nodes[i];
		if (n->model) {
			scansql(&b, i, &n->model->sql, "SQL");
			n = &g->nodes[i];
			n->hash = ir_model_hash(n->model->hash, n->text, n->textlen, n->materialized);
			if (model && model(arg, g, n) && n->file && !n->model->sql.inline_sql) {
				/* its file is made: the SQL need not stay in memory
				 * (a second model of the same file reads it again) */
				diag_release_file(d, n->file);
				n->text = NULL;
			}
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
		} else if (n->asset && n->asset->python) {
			readpython(&b, i);
		}
	}

	prefetch_stop(&b);

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
	addairflow(&b);
	for (size_t i = 0; i < nbase; i++) {
		if (g->nodes[i].asset)
			resolveassetdeps(&b, i);
		else if (g->nodes[i].sensor)
			resolvesensor(&b, i);
	}

	/* line and column of every definition, now that the spec's text is
	 * loaded: the registry needs them after it is released */
	for (size_t i = 0; i < g->n; i++)
		if (!diag_linecol(d, g->nodes[i].loc, &g->nodes[i].line, &g->nodes[i].col))
			g->nodes[i].line = g->nodes[i].col = 0;
	finishedges(g);
	/* selections walk the edges above; theirs come after, so edges again */
	if (s->nschedules || s->nsensors) {
		resolveselections(&b);
		finishedges(g);
	}
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
	for (size_t i = 0; i < g->nafiles; i++)
		af_file_free(&g->afiles[i]);
	free(g->afiles);
	strmap_free(&g->byid);
	strmap_free(&g->byname);
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
	static const char *const names[] = {"source", "seed", "model", "test", "table", "embedding",
					    "asset", "schedule", "sensor", "airflow_dag", "airflow_task"};
	return (size_t)k < LEN(names) ? names[k] : "?";
}

const struct node_style *
node_style(enum node_kind k)
{
	static const struct node_style styles[] = {
		[N_SOURCE] = {"[(", ")]", "cylinder"},
		[N_SEED] = {"[/", "/]", "note"},
		[N_MODEL] = {"[", "]", "box"},
		[N_TEST] = {"{{", "}}", "diamond"},
		[N_TABLE] = {"[(", ")]", "cylinder"},
		[N_EMBEDDING] = {"[[", "]]", "box3d"},
		[N_ASSET] = {"([", "])", "component"},
		[N_SCHEDULE] = {"((", "))", "circle"},
		[N_SENSOR] = {">", "]", "cds"},
		[N_AIRFLOW_DAG] = {"{", "}", "folder"},
		[N_AIRFLOW_TASK] = {"[/", "\\]", "parallelogram"},
	};
	return &styles[(size_t)k < LEN(styles) ? k : N_MODEL];
}

struct node *
graph_byname(const struct graph *g, const char *name)
{
	uintptr_t i = (uintptr_t)strmap_get(&g->byname, name);
	return i ? &g->nodes[i - 1] : NULL;
}
