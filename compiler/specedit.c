/* specedit.c: edits to the spec that keep everything they do not touch
 * (see specedit.h).
 *
 * An operation finds the node its path names in the file that holds it,
 * works out the byte edits that make the change (insert, replace, delete
 * at the spans yamldoc.c reports), and makes them. The new text is then
 * parsed again and compared, as data, with the old text's data changed by
 * the same operation in memory: if anything else changed (an alias that
 * shared the node, a layout this file does not foresee) the edit is
 * refused. An edit does what it says and nothing more, or is not made.
 *
 * Where things go, decided from the file itself:
 * - a new entry of a block mapping goes after its last entry, at the
 *   entries' column, with a blank line before it when the entries are
 *   separated by blank lines; a new entry of the root (a new section) goes
 *   at the end of the file;
 * - in flow style ({a: 1}, [a, b]) it goes before the closing bracket, in
 *   flow style; an empty {} under a block key becomes a block mapping;
 * - new values: mappings in block style indented by the file's step (how
 *   far its nested keys sit from their parent's), lists of scalars in flow
 *   style ([a, b]), other lists as block items indented as the file
 *   indents its lists, text with line breaks as a literal block (|);
 *   libyaml's emitter writes every scalar, quoting what a reader would
 *   take for something else;
 * - a file whose lines end in \r\n gets \r\n in what is added.
 * The values' text, and the data a text is checked as, are
 * specedit_value.c's. */
#include "specedit.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "diff.h"
#include "emit.h"

#define SPEC_MAX (16u << 20)      /* as spec.c reads them */
#define FILE_MAX INPUT_MAX_BYTES  /* SQL and Python, as ir.c reads them */

/* one file of the edit: a spec file, or a project file made alongside */
struct sfile {
	char *path;
	char *orig;      /* the bytes read when it joined the edit; NULL: a new file */
	size_t origlen;
	char *text;      /* the bytes now */
	size_t len;
	bool spec;       /* the root spec or a fragment */
	bool crlf;       /* its lines end in \r\n */
	bool replace;    /* a project file that may overwrite the one on disk */
	struct arena a;  /* doc's */
	const struct ynode *doc; /* spec files: text, parsed */
};

struct sedit {
	int rootfd;
	char *root, *specpath;
	struct sfile *f; /* the root spec, the fragments, then project files */
	size_t n, cap, nspec;
	char **include;  /* the include: patterns: a file they match is a fragment */
	size_t ninclude;
	char *dbt, *assets; /* the layout roots */
	const char **specpaths;
	struct sedit_change *changes;
	struct overlay *ov;   /* the changed files, for sedit_compile */
	struct overlays ovs;  /* what the compilation (and its spec) reads them through */
};

/* the collections fragments may hold (spec.c's body keys): an entry of one
 * lives in the file that defines it */
static const char *const bodykeys[] = {"sources", "models", "seeds", "tests", "tables",
				       "embeddings", "assets", "schedules", "sensors"};

static bool
isbody(const char *key)
{
	for (size_t i = 0; i < LEN(bodykeys); i++)
		if (strcmp(key, bodykeys[i]) == 0)
			return true;
	return false;
}

/* ---- the text ---- */

void
sedit_splice_add(struct sedit_splice *sp, size_t off, size_t del, char *ins)
{
	VEC_PUSH(sp->v, sp->n, sp->cap);
	sp->v[sp->n++] = (struct sedit_edit){off, del, ins};
}

void
sedit_splice_free(struct sedit_splice *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		free(sp->v[i].ins);
	free(sp->v);
	sp->v = NULL;
	sp->n = sp->cap = 0;
}

char *
sedit_splice_apply(struct sedit_splice *sp, size_t *len)
{
	/* a stable insertion sort: edits at one offset keep their order, and
	 * an edit holds a handful of them */
	for (size_t i = 1; i < sp->n; i++)
		for (size_t j = i; j > 0 && sp->v[j - 1].off > sp->v[j].off; j--) {
			struct sedit_edit t = sp->v[j];
			sp->v[j] = sp->v[j - 1];
			sp->v[j - 1] = t;
		}
	struct buf b = {0};
	size_t at = 0;
	bool ok = true;
	for (size_t i = 0; ok && i < sp->n; i++) {
		const struct sedit_edit *e = &sp->v[i];
		if (e->off < at || e->off > sp->len || e->del > sp->len - e->off) {
			ok = false;
			break;
		}
		buf_put(&b, sp->text + at, e->off - at);
		for (const char *c = e->ins; *c; c++) {
			if (*c == '\n' && sp->crlf && (c == e->ins || c[-1] != '\r'))
				buf_putc(&b, '\r');
			buf_putc(&b, *c);
		}
		at = e->off + e->del;
	}
	char *out = NULL;
	if (ok) {
		buf_put(&b, sp->text + at, sp->len - at);
		*len = b.len;
		out = buf_take(&b);
	}
	buf_free(&b);
	sedit_splice_free(sp);
	return out;
}

size_t
sedit_column(const char *text, size_t off)
{
	size_t c = 0;
	while (off > c && text[off - c - 1] != '\n')
		c++;
	return c;
}

size_t
sedit_lineend(const char *text, size_t len, size_t pos)
{
	while (pos < len && text[pos] != '\n')
		pos++;
	if (pos > 0 && pos <= len && text[pos - 1] == '\r' && (pos == len || text[pos] == '\n'))
		pos--;
	return pos;
}

/* where the line holding pos starts */
static size_t
linestart(const char *text, size_t pos)
{
	while (pos > 0 && text[pos - 1] != '\n')
		pos--;
	return pos;
}

/* where the line after the one holding pos starts (len at the end) */
static size_t
nextline(const char *text, size_t len, size_t pos)
{
	while (pos < len && text[pos] != '\n')
		pos++;
	return pos < len ? pos + 1 : len;
}

static bool
blank(const char *text, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r')
			return false;
	return true;
}

/* the 1-based line of byte off */
static int
lineof(const char *text, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

/* where n's own text starts, past an anchor or tag in front of it */
static size_t
startof(const char *text, size_t len, const struct ynode *n)
{
	size_t p = n->loc.off;
	while (p < len && (text[p] == '&' || text[p] == '!')) {
		while (p < len && text[p] != ' ' && text[p] != '\n')
			p++;
		while (p < len && text[p] == ' ')
			p++;
	}
	return p;
}

static bool
isflow(const char *text, size_t len, const struct ynode *n)
{
	if (n->kind == Y_SCALAR)
		return false;
	size_t p = startof(text, len, n);
	return p < len && (text[p] == '{' || text[p] == '[');
}

/* an empty plain scalar: nothing is written (`key:` alone) */
static bool
empty(const struct ynode *n)
{
	return n->kind == Y_SCALAR && n->plain && n->slen == 0;
}

/* past the ':' that follows key k (its end when there is none: {a, b}) */
static size_t
colonafter(const char *text, size_t len, const struct ynode *k)
{
	size_t p = k->loc.off + k->loc.len;
	while (p < len && (text[p] == ' ' || text[p] == '\t'))
		p++;
	return p < len && text[p] == ':' ? p + 1 : k->loc.off + k->loc.len;
}

/* past the bracket close, skipping blanks, line breaks, comments and a
 * trailing comma from pos; SIZE_MAX when something else comes first */
static size_t
closeafter(const char *text, size_t len, size_t pos, char close)
{
	while (pos < len) {
		char c = text[pos];
		if (c == close)
			return pos + 1;
		if (c == '#') {
			while (pos < len && text[pos] != '\n')
				pos++;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
			pos++;
		} else {
			return SIZE_MAX;
		}
	}
	return SIZE_MAX;
}

static size_t nodeend(const char *text, size_t len, const struct ynode *n);

/* where the pair k: v ends */
static size_t
pairend(const char *text, size_t len, const struct ynode *k, const struct ynode *v)
{
	if (empty(v))
		return colonafter(text, len, k);
	if (v->loc.off < k->loc.off) {
		/* an alias: its node is the anchored one, elsewhere; the alias
		 * itself is the word after the colon */
		size_t p = colonafter(text, len, k);
		while (p < len && text[p] == ' ')
			p++;
		while (p < len && !strchr(" \t\r\n,]}", text[p]))
			p++;
		return p;
	}
	return nodeend(text, len, v);
}

static size_t
nodeend(const char *text, size_t len, const struct ynode *n)
{
	if (n->kind == Y_SCALAR) {
		if (empty(n))
			return n->loc.off;
		size_t s = startof(text, len, n), e = n->loc.off + n->loc.len;
		if (s >= len || (text[s] != '|' && text[s] != '>'))
			return e;
		/* a block scalar ends after its line breaks: its last line's end,
		 * unless it keeps them (|+), when they are its text: the end of
		 * the last one */
		if ((s + 1 < len && text[s + 1] == '+') || (s + 2 < len && text[s + 2] == '+')) {
			if (e > s && text[e - 1] == '\n')
				e--;
			if (e > s && text[e - 1] == '\r')
				e--;
			return e;
		}
		while (e > s + 1 && strchr(" \t\r\n", text[e - 1]))
			e--;
		return e;
	}
	bool flow = isflow(text, len, n);
	size_t e;
	if (n->n == 0)
		e = startof(text, len, n) + 1;
	else if (n->kind == Y_MAP)
		e = pairend(text, len, n->items[n->n - 2], n->items[n->n - 1]);
	else
		e = nodeend(text, len, n->items[n->n - 1]);
	if (flow) {
		size_t c = closeafter(text, len, e, n->kind == Y_MAP ? '}' : ']');
		if (c != SIZE_MAX)
			e = c;
	}
	return e;
}

size_t
sedit_nodeend(const char *text, size_t len, const struct ynode *n)
{
	return nodeend(text, len, n);
}

/* the offset of the '-' of a block list's item, SIZE_MAX if there is none
 * just before it */
static size_t
dashof(const char *text, const struct ynode *item)
{
	size_t p = item->loc.off;
	while (p > 0 && text[p - 1] == ' ')
		p--;
	return p > 0 && text[p - 1] == '-' ? p - 1 : SIZE_MAX;
}

static void
spaces(struct buf *b, size_t n)
{
	while (n--)
		buf_putc(b, ' ');
}

/* the file's step and list indentation, from its first nested mapping and
 * its first block list under a key; 2 and the step when it has none */
static void
findstyle(const char *text, size_t len, const struct ynode *n, long *step, long *seqin, int depth)
{
	if (n->kind != Y_MAP || isflow(text, len, n) || depth > 16)
		return;
	for (size_t i = 0; i + 1 < n->n && (*step < 0 || *seqin < 0); i += 2) {
		const struct ynode *k = n->items[i], *v = n->items[i + 1];
		if (v->loc.off < k->loc.off || v->kind == Y_SCALAR || !v->n || isflow(text, len, v))
			continue;
		long kc = (long)sedit_column(text, k->loc.off);
		if (v->kind == Y_MAP && *step < 0) {
			long c = (long)sedit_column(text, v->items[0]->loc.off) - kc;
			if (c > 0)
				*step = c;
		} else if (v->kind == Y_SEQ && *seqin < 0) {
			size_t d = dashof(text, v->items[0]);
			if (d != SIZE_MAX && (long)sedit_column(text, d) >= kc)
				*seqin = (long)sedit_column(text, d) - kc;
		}
		if (v->kind == Y_MAP)
			findstyle(text, len, v, step, seqin, depth + 1);
		else
			for (size_t j = 0; j < v->n; j++)
				findstyle(text, len, v->items[j], step, seqin, depth + 1);
	}
}

static struct sedit_style
styleof(const struct sfile *f)
{
	long step = -1, seqin = -1;
	if (f->doc)
		findstyle(f->text, f->len, f->doc, &step, &seqin, 0);
	if (step < 1 || step > 8)
		step = 2;
	if (seqin < 0 || seqin > 8)
		seqin = step;
	return (struct sedit_style){(size_t)step, (size_t)seqin};
}

/* ---- paths ---- */

enum opkind { OP_ADD, OP_REPLACE, OP_REMOVE };

/* a JSON Pointer, unescaped */
struct ptr {
	char **tok;
	size_t n;
};

static void
ptr_free(struct ptr *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->tok[i]);
	free(p->tok);
	*p = (struct ptr){0};
}

static bool
ptr_parse(const char *path, struct ptr *p, char **err)
{
	*p = (struct ptr){0};
	if (!path || (*path && *path != '/')) {
		*err = xasprintf("'%s' is not a JSON Pointer: it starts with '/' (\"/models/fct_orders\")",
				 path ? path : "");
		return false;
	}
	for (const char *s = path; *s == '/';) {
		s++;
		size_t n = strcspn(s, "/");
		struct buf t = {0};
		for (size_t i = 0; i < n; i++) {
			if (s[i] != '~') {
				buf_putc(&t, s[i]);
				continue;
			}
			if (i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
				buf_putc(&t, s[i + 1] == '0' ? '~' : '/');
				i++;
				continue;
			}
			buf_free(&t);
			ptr_free(p);
			*err = xasprintf("'%s': '~' is written ~0 in a JSON Pointer, '/' ~1", path);
			return false;
		}
		p->tok = xreallocarray(p->tok, p->n + 1, sizeof(*p->tok));
		p->tok[p->n++] = buf_take(&t);
		s += n;
	}
	return true;
}

void
sedit_ptr_token(struct buf *b, const char *s)
{
	for (; *s; s++)
		if (*s == '~')
			buf_puts(b, "~0");
		else if (*s == '/')
			buf_puts(b, "~1");
		else
			buf_putc(b, *s);
}

/* the pointer of the first n tokens, for messages; owned */
static char *
ptr_str(const struct ptr *p, size_t n)
{
	struct buf b = {0};
	for (size_t i = 0; i < n && i < p->n; i++) {
		buf_putc(&b, '/');
		sedit_ptr_token(&b, p->tok[i]);
	}
	return b.len ? buf_take(&b) : (buf_free(&b), xstrdup("/"));
}

/* a list index: digits without a leading zero, at most max; "-" is max */
static bool
index_of(const char *tok, size_t max, bool dash, size_t *idx)
{
	if (dash && strcmp(tok, "-") == 0) {
		*idx = max;
		return true;
	}
	if (!*tok || (tok[0] == '0' && tok[1]) || strspn(tok, "0123456789") != strlen(tok) || strlen(tok) > 9)
		return false;
	*idx = (size_t)strtoul(tok, NULL, 10);
	return *idx <= max;
}

static const struct ynode *
field(const struct ynode *map, const char *key, const struct ynode **k)
{
	if (!map || map->kind != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->items[i]->kind == Y_SCALAR && strcmp(map->items[i]->str, key) == 0) {
			if (k)
				*k = map->items[i];
			return map->items[i + 1];
		}
	return NULL;
}

/* how a node sits in its parent */
enum { S_ROOT, S_VALUE, S_ITEM };
struct slot {
	int kind;
	const struct ynode *coll; /* the collection holding it */
	const struct ynode *key;  /* S_VALUE: its key */
	size_t index;             /* S_ITEM: its place */
	bool flow;                /* coll is in flow style, or inside such */
};

/* what a path names in one file */
struct target {
	const struct ynode *parent; /* what the last token is looked up in */
	struct slot pslot;          /* where parent sits */
	const struct ynode *node;   /* the node named, NULL when absent */
	struct slot slot;           /* where it sits (or would) */
};

/* resolve p in file f; false with *err when a token before the last names
 * nothing, or the way passes through an alias */
static bool
resolve(const struct sfile *f, const struct ptr *p, struct target *t, char **err)
{
	const char *text = f->text;
	size_t len = f->len;
	const struct ynode *cur = f->doc;
	struct slot s = {.kind = S_ROOT};
	for (size_t i = 0;; i++) {
		bool flow = s.flow || isflow(text, len, cur);
		if (i == p->n) {
			t->node = cur;
			t->slot = s;
			return true;
		}
		const char *tok = p->tok[i];
		struct slot c = {.coll = cur, .flow = flow};
		const struct ynode *next = NULL;
		if (cur->kind == Y_MAP) {
			c.kind = S_VALUE;
			next = field(cur, tok, &c.key);
			if (next && next->loc.off < c.key->loc.off) {
				char *at = ptr_str(p, i + 1);
				*err = xasprintf("%s: %s (line %d) is an alias (*name) of a node defined elsewhere; "
						 "dpc does not edit through aliases", f->path, at,
						 lineof(text, c.key->loc.off));
				free(at);
				return false;
			}
		} else if (cur->kind == Y_SEQ) {
			c.kind = S_ITEM;
			for (size_t k = 0; k < cur->n; k++)
				if (cur->items[k]->loc.off < cur->loc.off) {
					char *at = ptr_str(p, i);
					*err = xasprintf("%s: %s (line %d) holds an alias (*name); dpc does not edit such "
							 "a list", f->path, at, lineof(text, cur->loc.off));
					free(at);
					return false;
				}
			if (index_of(tok, cur->n, i + 1 == p->n, &c.index) && c.index < cur->n)
				next = cur->items[c.index];
		}
		if (i + 1 == p->n) {
			t->parent = cur;
			t->pslot = s;
			t->slot = c;
			t->node = next;
			return true;
		}
		if (!next) {
			char *at = ptr_str(p, i + 1), *in = ptr_str(p, i);
			if (cur->kind == Y_SCALAR)
				*err = xasprintf("%s: there is no %s: %s is %s, not a mapping or a list", f->path, at, in,
						 ykindname(cur));
			else
				*err = xasprintf("%s: there is no %s", f->path, at);
			free(at);
			free(in);
			return false;
		}
		cur = next;
		s = c;
	}
}

/* ---- the files ---- */

static void
dropdoc(struct sfile *f)
{
	arena_free(&f->a);
	f->doc = NULL;
}

/* parse text into a (a fresh arena); NULL with *err (owned) saying where
 * and why when it is not YAML dpc edits */
static const struct ynode *
parse(const char *path, const char *text, size_t len, struct arena *a, char **err)
{
	struct diags d = {0};
	int32_t id = diag_file(&d, path, xstrndup(text, len), len);
	const struct ynode *doc = yaml_load(a, &d, id, text, len);
	if ((!doc || d.nerrors) && d.n) {
		diag_sort(&d);
		unsigned line = 0, col = 0;
		diag_linecol(&d, d.v[0].loc, &line, &col);
		*err = xasprintf("%s:%u:%u: %s", path, line, col, d.v[0].msg);
		doc = NULL;
	} else if (!doc) {
		*err = xasprintf("%s: cannot parse it", path);
	} else if (doc->kind != Y_MAP) {
		*err = xasprintf("%s: a spec file is a mapping of keys, not %s", path, ykindname(doc));
		doc = NULL;
	}
	diag_free(&d);
	return doc;
}

bool
sedit_crlf(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	return nl && nl > text && nl[-1] == '\r';
}

static struct sfile *
addfile(struct sedit *se, const char *path)
{
	VEC_PUSH(se->f, se->n, se->cap);
	struct sfile *f = &se->f[se->n++];
	*f = (struct sfile){.path = xstrdup(path)};
	return f;
}

static const char *
readerr(int e)
{
	return e == EXDEV || e == ELOOP ? "it leads out of the project through a symlink"
	       : e == EFBIG		? "it is too large"
					: strerror(e);
}

/* read spec file path into the edit */
static bool
addspec(struct sedit *se, const char *path, char **err)
{
	for (size_t i = 0; i < se->n; i++)
		if (strcmp(se->f[i].path, path) == 0)
			return true;
	char *text;
	size_t len;
	int e = read_beneath(se->rootfd, path, SPEC_MAX, &text, &len, NULL);
	if (e) {
		*err = xasprintf("cannot read %s: %s", path, readerr(e));
		return false;
	}
	if (memchr(text, '\0', len)) {
		free(text);
		*err = xasprintf("%s is a binary file, not YAML", path);
		return false;
	}
	struct sfile *f = addfile(se, path);
	f->orig = text;
	f->origlen = f->len = len;
	f->text = xstrndup(text, len);
	f->spec = true;
	f->crlf = sedit_crlf(text, len);
	se->nspec = se->n;
	f->doc = parse(path, text, len, &f->a, err);
	return f->doc != NULL;
}

static char *
strfield(const struct ynode *map, const char *key, const char *dflt)
{
	const struct ynode *v = field(map, key, NULL);
	return xstrdup(v && v->kind == Y_SCALAR && !ynull(v) ? v->str : dflt);
}

struct sedit *
sedit_open(int rootfd, const char *root, const char *specpath, char **err)
{
	*err = NULL;
	struct sedit *se = xcalloc(1, sizeof(*se));
	se->rootfd = rootfd;
	se->root = xstrdup(root);
	se->specpath = xstrdup(specpath);
	if (!addspec(se, specpath, err)) {
		sedit_free(se);
		return NULL;
	}
	const struct ynode *doc = se->f[0].doc;
	const struct ynode *layout = field(doc, "layout", NULL);
	se->dbt = strfield(layout, "dbt", "data/dbt");
	se->assets = strfield(layout, "assets", "data/assets");
	/* the fragments, found as spec.c finds them; a pattern it refuses is
	 * left to the compilation to report */
	const struct ynode *inc = field(doc, "include", NULL);
	const struct ynode *const *pats = inc ? (inc->kind == Y_SEQ ? (const struct ynode *const *)inc->items : &inc) : NULL;
	size_t npats = !inc ? 0 : inc->kind == Y_SEQ ? inc->n : 1;
	for (size_t i = 0; i < npats; i++) {
		const struct ynode *pn = pats[i];
		if (pn->kind != Y_SCALAR || ynull(pn) || !*pn->str || pn->str[0] == '/' || strstr(pn->str, ".."))
			continue;
		se->include = xreallocarray(se->include, se->ninclude + 1, sizeof(*se->include));
		se->include[se->ninclude++] = xstrdup(pn->str);
		char *full = xasprintf("%s/%s", root, pn->str);
		glob_t g;
		int rc = glob(full, 0, NULL, &g);
		free(full);
		if (rc != 0)
			continue;
		size_t rootlen = strlen(root) + 1;
		bool ok = true;
		for (size_t j = 0; ok && j < g.gl_pathc; j++)
			ok = addspec(se, g.gl_pathv[j] + rootlen, err);
		globfree(&g);
		if (!ok) {
			sedit_free(se);
			return NULL;
		}
	}
	return se;
}

void
sedit_free(struct sedit *se)
{
	if (!se)
		return;
	for (size_t i = 0; i < se->n; i++) {
		free(se->f[i].path);
		free(se->f[i].orig);
		free(se->f[i].text);
		dropdoc(&se->f[i]);
	}
	free(se->f);
	for (size_t i = 0; i < se->ninclude; i++)
		free(se->include[i]);
	free(se->include);
	free(se->root);
	free(se->specpath);
	free(se->dbt);
	free(se->assets);
	free(se->specpaths);
	free(se->changes);
	free(se->ov);
	free(se);
}

size_t
sedit_specfiles(const struct sedit *se, const char *const **paths)
{
	struct sedit *m = (struct sedit *)se; /* a cache of what does not change */
	if (!m->specpaths) {
		m->specpaths = xreallocarray(NULL, se->nspec + 1, sizeof(*m->specpaths));
		for (size_t i = 0; i < se->nspec; i++)
			m->specpaths[i] = se->f[i].path;
	}
	*paths = m->specpaths;
	return se->nspec;
}

/* ---- which file ---- */

/* the entries of section sec in file f */
static size_t
entries(const struct sfile *f, const char *sec)
{
	const struct ynode *s = field(f->doc, sec, NULL);
	return s && s->kind == Y_MAP ? s->n / 2 : 0;
}

/* the file p lives in, or where an entry it names is added: top-level
 * entries of the body sections live in the file that defines them, the
 * rest in the root. SIZE_MAX with *err when none fits. */
static size_t
locate(const struct sedit *se, const struct ptr *p, bool adding, const char *near, char **err)
{
	if (p->n == 0) {
		*err = xstrdup("the path names the whole spec; name a key in it (/models/NAME)");
		return SIZE_MAX;
	}
	const char *sec = p->tok[0];
	if (!isbody(sec) || se->nspec == 1)
		return 0;
	if (p->n == 1) {
		size_t found = SIZE_MAX, count = 0;
		for (size_t i = 0; i < se->nspec; i++)
			if (field(se->f[i].doc, sec, NULL)) {
				if (found == SIZE_MAX)
					found = i;
				count++;
			}
		if (count > 1 && !adding) {
			*err = xasprintf("%s: is written in %zu files (%s and %s among them); edit its entries one by one",
					 sec, count, se->f[found].path, se->f[found == 0 ? 1 : 0].path);
			return SIZE_MAX;
		}
		return found != SIZE_MAX ? found : 0;
	}
	for (size_t i = 0; i < se->nspec; i++)
		if (field(field(se->f[i].doc, sec, NULL), p->tok[1], NULL))
			return i;
	if (!adding || p->n > 2)
		return 0; /* resolve says what is missing */
	if (near && *near) {
		struct ptr np;
		char *e = NULL;
		size_t i = SIZE_MAX;
		if (ptr_parse(near, &np, &e)) {
			i = locate(se, &np, false, NULL, &e);
			if (i != SIZE_MAX && np.n >= 2 && isbody(np.tok[0]) &&
			    !field(field(se->f[i].doc, np.tok[0], NULL), np.tok[1], NULL)) {
				free(e);
				e = xasprintf("there is no %s", near);
				i = SIZE_MAX;
			}
			ptr_free(&np);
		}
		if (i == SIZE_MAX) {
			*err = xasprintf("near %s: %s", near, e ? e : "not found");
			free(e);
			return SIZE_MAX;
		}
		free(e);
		return i;
	}
	size_t best = 0, most = entries(&se->f[0], sec);
	for (size_t i = 1; i < se->nspec; i++)
		if (entries(&se->f[i], sec) > most)
			best = i, most = entries(&se->f[i], sec);
	return best;
}

/* ---- one operation on one file ---- */

struct op {
	struct sedit *se;
	struct sfile *f;
	const char *text;
	size_t len;
	struct sedit_style st;
	struct sedit_splice sp;
	const struct ptr *p;
	char **err;
};

static void
ins(struct op *x, size_t off, size_t del, struct buf *b)
{
	sedit_splice_add(&x->sp, off, del, buf_take(b));
}

/* replace node old, which sits at s, with v */
static bool
replace_at(struct op *x, const struct slot *s, const struct ynode *old, const cJSON *v)
{
	const char *text = x->text;
	size_t len = x->len;
	struct buf b = {0};
	if (s->kind == S_ROOT) {
		*x->err = xstrdup("the whole file cannot be replaced; name a key in it");
		return false;
	}
	if (s->kind == S_VALUE) {
		size_t colon = colonafter(text, len, s->key);
		if (s->flow) {
			size_t start = empty(old) ? colon : old->loc.off, end = pairend(text, len, s->key, old);
			if (empty(old))
				buf_putc(&b, ' ');
			if (!sedit_flowvalue(&b, v, x->err)) {
				buf_free(&b);
				return false;
			}
			ins(x, start, end - start, &b);
			return true;
		}
		if (!sedit_blockvalue(&b, v, sedit_column(text, s->key->loc.off), &x->st, x->err)) {
			buf_free(&b);
			return false;
		}
		size_t end = pairend(text, len, s->key, old);
		if (empty(old) || (old->kind != Y_SCALAR && old->n && !isflow(text, len, old))) {
			/* nothing, or a block collection: the key's line (and any
			 * comment on it) stays, what is below it goes */
			size_t le = sedit_lineend(text, len, colon);
			if (b.len && b.data[0] == '\n') {
				ins(x, le, end > le ? end - le : 0, &b);
			} else {
				ins(x, colon, 0, &b);
				if (end > le)
					sedit_splice_add(&x->sp, le, end - le, xstrdup(""));
			}
			return true;
		}
		ins(x, colon, end - colon, &b);
		return true;
	}
	if (s->flow) {
		if (!sedit_flowvalue(&b, v, x->err)) {
			buf_free(&b);
			return false;
		}
		ins(x, old->loc.off, nodeend(text, len, old) - old->loc.off, &b);
		return true;
	}
	size_t dash = dashof(text, old);
	if (dash == SIZE_MAX || empty(old)) {
		*x->err = xasprintf("%s: item %zu of the list on line %d is not written '- value'; dpc does not edit it",
				    x->f->path, s->index, lineof(text, s->coll->loc.off));
		return false;
	}
	if (!sedit_blockitem(&b, v, sedit_column(text, dash), &x->st, x->err)) {
		buf_free(&b);
		return false;
	}
	ins(x, dash + 1, nodeend(text, len, old) - dash - 1, &b);
	return true;
}

/* where to add lines after an entry that ends at pos, its key at column
 * kc: the end of its line, and of the comment lines below it indented
 * deeper than kc (they go with it) */
static size_t
after(const char *text, size_t len, size_t pos, size_t kc)
{
	pos = sedit_lineend(text, len, pos);
	for (;;) {
		size_t next = nextline(text, len, pos), p = next;
		while (p < len && text[p] == ' ')
			p++;
		if (next >= len || p >= len || text[p] != '#' || p - next <= kc)
			return pos;
		pos = sedit_lineend(text, len, p);
	}
}

/* were the entries of block mapping m written with blank lines between
 * them? (its last key has a blank line above it, comments aside) */
static bool
spaced(const char *text, const struct ynode *m)
{
	if (m->n < 4)
		return false;
	size_t ls = linestart(text, m->items[m->n - 2]->loc.off);
	while (ls > 0) {
		size_t prev = linestart(text, ls - 1);
		if (blank(text, prev, ls - 1))
			return true;
		size_t p = prev;
		while (text[p] == ' ')
			p++;
		if (text[p] != '#')
			return false;
		ls = prev;
	}
	return false;
}

/* is n a flow collection written on one line? */
static bool
onelineflow(const char *text, size_t len, const struct ynode *n)
{
	if (!isflow(text, len, n))
		return false;
	size_t s = startof(text, len, n), e = nodeend(text, len, n);
	return e > s && !memchr(text + s, '\n', e - s);
}

/* add v as entry tok of the node t->parent */
static bool
plan_add(struct op *x, const struct target *t, const char *tok, const cJSON *v)
{
	const char *text = x->text;
	size_t len = x->len;
	const struct ynode *P = t->parent;
	struct buf b = {0};
	if (P->kind == Y_SCALAR) {
		char *at = ptr_str(x->p, x->p->n - 1);
		size_t idx;
		if (!ynull(P)) {
			*x->err = xasprintf("%s: %s is %s, not a mapping or a list", x->f->path, at, ykindname(P));
			free(at);
			return false;
		}
		/* null: an empty collection of the kind the token asks for */
		bool list = index_of(tok, 0, true, &idx);
		cJSON *coll = list ? cJSON_CreateArray() : cJSON_CreateObject();
		if (list)
			cJSON_AddItemToArray(coll, cJSON_Duplicate(v, true));
		else
			cJSON_AddItemToObject(coll, tok, cJSON_Duplicate(v, true));
		free(at);
		bool ok = replace_at(x, &t->pslot, P, coll);
		cJSON_Delete(coll);
		return ok;
	}
	if (P->kind == Y_MAP) {
		const struct ynode *k = NULL;
		if (field(P, tok, &k)) {
			char *at = ptr_str(x->p, x->p->n);
			*x->err = xasprintf("%s is already defined at %s:%d", at, x->f->path, lineof(text, k->loc.off));
			free(at);
			return false;
		}
		if (isflow(text, len, P) && !P->n && !t->pslot.flow && t->pslot.kind == S_VALUE) {
			/* `key: {}` becomes a block mapping */
			cJSON *coll = cJSON_CreateObject();
			cJSON_AddItemToObject(coll, tok, cJSON_Duplicate(v, true));
			bool ok = replace_at(x, &t->pslot, P, coll);
			cJSON_Delete(coll);
			return ok;
		}
		if (isflow(text, len, P)) {
			bool first = !P->n;
			if (!first)
				buf_puts(&b, ", ");
			if (!sedit_keytext(&b, tok, x->err) || (buf_puts(&b, ": "), !sedit_flowvalue(&b, v, x->err))) {
				buf_free(&b);
				return false;
			}
			size_t at = first ? startof(text, len, P) + 1 : pairend(text, len, P->items[P->n - 2], P->items[P->n - 1]);
			ins(x, at, 0, &b);
			return true;
		}
		if (t->pslot.kind == S_ROOT) {
			/* a new section: at the end of the file, after a blank line */
			size_t end = len && text[len - 1] == '\n' ? len - 1 : len;
			if (end == len && len)
				buf_putc(&b, '\n');
			if (len && !blank(text, linestart(text, end), end))
				buf_putc(&b, '\n');
			if (!sedit_keytext(&b, tok, x->err) || (buf_putc(&b, ':'), !sedit_blockvalue(&b, v, 0, &x->st, x->err))) {
				buf_free(&b);
				return false;
			}
			buf_putc(&b, '\n');
			ins(x, len, 0, &b);
			return true;
		}
		size_t kc = sedit_column(text, P->items[0]->loc.off);
		buf_putc(&b, '\n');
		if (spaced(text, P))
			buf_putc(&b, '\n');
		spaces(&b, kc);
		/* like its siblings: `name: {a: 1}` after entries written so */
		bool oneline = onelineflow(text, len, P->items[P->n - 1]) && cJSON_IsObject(v) && sedit_flowable_map(v);
		bool ok = sedit_keytext(&b, tok, x->err);
		buf_puts(&b, oneline ? ": " : ":");
		if (!ok || !(oneline ? sedit_flowvalue(&b, v, x->err) : sedit_blockvalue(&b, v, kc, &x->st, x->err))) {
			buf_free(&b);
			return false;
		}
		ins(x, after(text, len, nodeend(text, len, P), kc), 0, &b);
		return true;
	}
	size_t idx;
	if (!index_of(tok, P->n, true, &idx)) {
		char *at = ptr_str(x->p, x->p->n - 1);
		*x->err = xasprintf("%s: '%s' is not an index of the list %s (0 to %zu, or - to append)", x->f->path, tok,
				    at, P->n);
		free(at);
		return false;
	}
	if (isflow(text, len, P)) {
		if (P->n && idx == P->n)
			buf_puts(&b, ", ");
		if (!sedit_flowvalue(&b, v, x->err)) {
			buf_free(&b);
			return false;
		}
		if (idx < P->n)
			buf_puts(&b, ", ");
		size_t at = !P->n ? startof(text, len, P) + 1
			    : idx == P->n ? nodeend(text, len, P->items[P->n - 1])
					  : P->items[idx]->loc.off;
		ins(x, at, 0, &b);
		return true;
	}
	size_t dash = dashof(text, P->items[idx < P->n ? idx : 0]);
	if (dash == SIZE_MAX || !blank(text, linestart(text, dash), dash)) {
		*x->err = xasprintf("%s: the list on line %d is not written one '- item' per line; dpc does not edit it",
				    x->f->path, lineof(text, P->loc.off));
		return false;
	}
	size_t dc = sedit_column(text, dash);
	if (idx == P->n)
		buf_putc(&b, '\n');
	spaces(&b, dc);
	buf_putc(&b, '-');
	if (!sedit_blockitem(&b, v, dc, &x->st, x->err)) {
		buf_free(&b);
		return false;
	}
	if (idx < P->n)
		buf_putc(&b, '\n');
	size_t at = idx == P->n ? sedit_lineend(text, len, nodeend(text, len, P)) : linestart(text, dash);
	/* before an item, above the comment lines that lead into it */
	while (idx < P->n && idx > 0 && at > 0) {
		size_t prev = linestart(text, at - 1), p = prev;
		while (p < at && text[p] == ' ')
			p++;
		if (text[p] != '#' || p - prev != dc)
			break;
		at = prev;
	}
	ins(x, at, 0, &b);
	return true;
}

/* remove the node t names */
static bool
plan_remove(struct op *x, const struct target *t)
{
	const char *text = x->text;
	size_t len = x->len;
	const struct ynode *P = t->parent, *T = t->node;
	bool map = P->kind == Y_MAP;
	size_t count = map ? P->n / 2 : P->n;
	size_t i = map ? 0 : t->slot.index;
	if (map)
		while (P->items[2 * i] != t->slot.key)
			i++;
	/* where item j starts and ends */
#define START(j) (map ? P->items[2 * (j)]->loc.off : P->items[j]->loc.off)
#define END(j) (map ? pairend(text, len, P->items[2 * (j)], P->items[2 * (j) + 1]) : nodeend(text, len, P->items[j]))
	if (isflow(text, len, P)) {
		size_t from, to;
		if (count == 1)
			from = START(0), to = END(0);
		else if (i + 1 < count)
			from = START(i), to = START(i + 1);
		else
			from = END(i - 1), to = END(i);
		sedit_splice_add(&x->sp, from, to - from, xstrdup(""));
		return true;
	}
	if (count == 1 && t->pslot.kind != S_ROOT) {
		/* the last entry: the collection stays, empty */
		cJSON *e = map ? cJSON_CreateObject() : cJSON_CreateArray();
		bool ok = replace_at(x, &t->pslot, P, e);
		cJSON_Delete(e);
		return ok;
	}
	size_t first = map ? t->slot.key->loc.off : dashof(text, T);
	if (first == SIZE_MAX || (!map && empty(T)) || !blank(text, linestart(text, first), first)) {
		char *at = ptr_str(x->p, x->p->n);
		*x->err = xasprintf("%s: %s shares its line with something else (a list item's '-'); replace the "
				    "item it is in instead", x->f->path, at);
		free(at);
		return false;
	}
	size_t from = linestart(text, first), to = nextline(text, len, END(i));
	sedit_splice_add(&x->sp, from, to - from, xstrdup(""));
	return true;
#undef START
#undef END
}

/* what an operation does to the data: the same change on the JSON of the
 * file, to hold the text's result against */
static bool
jsonop(cJSON *doc, enum opkind op, const struct ptr *p, const cJSON *v)
{
	cJSON *cur = doc;
	for (size_t i = 0; i + 1 < p->n; i++) {
		cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(p->tok[i]))
					 : cJSON_GetObjectItemCaseSensitive(cur, p->tok[i]);
		if (!cur)
			return false;
	}
	const char *tok = p->tok[p->n - 1];
	size_t idx;
	if (cJSON_IsNull(cur) && op == OP_ADD) {
		/* a null becomes the collection the token asks for */
		cJSON *coll = index_of(tok, 0, true, &idx) ? cJSON_CreateArray() : cJSON_CreateObject();
		cur->type = coll->type;
		cJSON_Delete(coll);
	}
	cJSON *nv = v ? cJSON_Duplicate(v, true) : NULL;
	if (cJSON_IsObject(cur)) {
		if (op == OP_ADD)
			cJSON_AddItemToObject(cur, tok, nv);
		else if (op == OP_REPLACE)
			cJSON_ReplaceItemInObjectCaseSensitive(cur, tok, nv);
		else
			cJSON_DeleteItemFromObjectCaseSensitive(cur, tok);
		return true;
	}
	if (!cJSON_IsArray(cur) || !index_of(tok, (size_t)cJSON_GetArraySize(cur), op == OP_ADD, &idx)) {
		cJSON_Delete(nv);
		return false;
	}
	if (op == OP_ADD && idx == (size_t)cJSON_GetArraySize(cur))
		cJSON_AddItemToArray(cur, nv);
	else if (op == OP_ADD) {
		/* by hand: cJSON 1.7.15's cJSON_InsertItemInArray drops the item */
		cJSON *rest = cJSON_CreateArray();
		while ((size_t)cJSON_GetArraySize(cur) > idx)
			cJSON_AddItemToArray(rest, cJSON_DetachItemFromArray(cur, (int)idx));
		cJSON_AddItemToArray(cur, nv);
		while (rest->child)
			cJSON_AddItemToArray(cur, cJSON_DetachItemFromArray(rest, 0));
		cJSON_Delete(rest);
	}
	else if (op == OP_REPLACE)
		cJSON_ReplaceItemInArray(cur, (int)idx, nv);
	else
		cJSON_DeleteItemFromArray(cur, (int)idx);
	return true;
}

/* make the planned edits, parse the result, and keep it only if its data
 * is the old data with the operation made */
static bool
commit(struct op *x, enum opkind kind, const cJSON *v)
{
	struct sfile *f = x->f;
	size_t nlen = 0;
	char *ntext = sedit_splice_apply(&x->sp, &nlen);
	char *at = ptr_str(x->p, x->p->n);
	bool ok = false;
	struct arena a = {0};
	char *perr = NULL;
	cJSON *want = sedit_tojson(f->doc), *got = NULL;
	const struct ynode *doc = NULL;
	if (!ntext || !jsonop(want, kind, x->p, v)) {
		*x->err = xasprintf("%s: cannot edit %s there (a bug in dpc: the edit does not fit the text)", f->path, at);
		goto out;
	}
	doc = parse(f->path, ntext, nlen, &a, &perr);
	if (doc)
		got = sedit_tojson(doc);
	if (!doc) {
		*x->err = xasprintf("%s: dpc cannot edit %s there: the file would not parse (%s); edit it by hand",
				    f->path, at, perr);
		goto out;
	}
	if (!cJSON_Compare(want, got, true)) {
		*x->err = xasprintf("%s: dpc cannot edit %s there without changing something else (an alias or "
				    "anchor shares what it touches, or the text is laid out in a way dpc does not "
				    "foresee); edit it by hand", f->path, at);
		goto out;
	}
	free(f->text);
	f->text = ntext;
	f->len = nlen;
	ntext = NULL;
	dropdoc(f);
	f->a = a;
	a = (struct arena){0};
	f->doc = doc;
	ok = true;
out:
	free(perr);
	free(ntext);
	free(at);
	arena_free(&a);
	cJSON_Delete(want);
	cJSON_Delete(got);
	return ok;
}

static void
changed(struct sedit *se)
{
	free(se->changes);
	se->changes = NULL;
}

static bool
operate(struct sedit *se, enum opkind kind, const char *path, const cJSON *v, const char *near, char **err)
{
	*err = NULL;
	struct ptr p;
	if (!ptr_parse(path, &p, err))
		return false;
	bool ok = false;
	cJSON *wrap = NULL;
	size_t fi = locate(se, &p, kind == OP_ADD, near, err);
	if (fi == SIZE_MAX)
		goto out;
	if (p.n == 0) {
		*err = xstrdup("the path names the whole spec; name a key in it (/models/NAME)");
		goto out;
	}
	struct sfile *f = &se->f[fi];
	if (kind == OP_ADD && p.n == 2 && !field(f->doc, p.tok[0], NULL)) {
		/* a top-level entry for a file without the section: the section,
		 * holding the entry */
		wrap = cJSON_CreateObject();
		cJSON_AddItemToObject(wrap, p.tok[1], cJSON_Duplicate(v, true));
		v = wrap;
		free(p.tok[--p.n]);
	}
	struct op x = {se, f, f->text, f->len, styleof(f), {f->text, f->len, f->crlf, NULL, 0, 0}, &p, err};
	struct target t;
	if (!resolve(f, &p, &t, err))
		goto out;
	if (kind != OP_ADD && !t.node) {
		char *at = ptr_str(&p, p.n);
		*err = xasprintf("there is no %s in the spec", at);
		free(at);
		goto out;
	}
	if (t.node && t.slot.kind == S_VALUE && t.node->loc.off < t.slot.key->loc.off) {
		char *at = ptr_str(&p, p.n);
		*err = xasprintf("%s: %s (line %d) is an alias (*name) of a node defined elsewhere; dpc does not edit "
				 "through aliases", f->path, at, lineof(f->text, t.slot.key->loc.off));
		free(at);
		goto out;
	}
	bool planned = kind == OP_ADD	     ? plan_add(&x, &t, p.tok[p.n - 1], v)
		       : kind == OP_REPLACE ? replace_at(&x, &t.slot, t.node, v)
					    : plan_remove(&x, &t);
	ok = planned && commit(&x, kind, v);
	sedit_splice_free(&x.sp);
	if (ok)
		changed(se);
out:
	cJSON_Delete(wrap);
	ptr_free(&p);
	return ok;
}

bool
sedit_add(struct sedit *se, const char *path, const cJSON *value, const char *near, char **err)
{
	if (!value) {
		*err = xasprintf("add %s: no value", path);
		return false;
	}
	return operate(se, OP_ADD, path, value, near, err);
}

bool
sedit_replace(struct sedit *se, const char *path, const cJSON *value, char **err)
{
	if (!value) {
		*err = xasprintf("replace %s: no value", path);
		return false;
	}
	return operate(se, OP_REPLACE, path, value, NULL, err);
}

bool
sedit_remove(struct sedit *se, const char *path, char **err)
{
	return operate(se, OP_REMOVE, path, NULL, NULL, err);
}

/* the node at path: its file and target; false when absent */
static bool
find(const struct sedit *se, const char *path, size_t *fi, struct target *t)
{
	struct ptr p;
	char *err = NULL;
	bool ok = false;
	if (ptr_parse(path, &p, &err)) {
		*fi = locate(se, &p, false, NULL, &err);
		ok = *fi != SIZE_MAX && resolve(&se->f[*fi], &p, t, &err) && t->node;
	}
	free(err);
	ptr_free(&p);
	return ok;
}

bool
sedit_exists(const struct sedit *se, const char *path, const char **file, int *line)
{
	size_t fi;
	struct target t;
	if (!find(se, path, &fi, &t))
		return false;
	const struct sfile *f = &se->f[fi];
	if (file)
		*file = f->path;
	if (line)
		*line = lineof(f->text, t.slot.kind == S_VALUE ? t.slot.key->loc.off
					: t.slot.kind == S_ITEM ? t.node->loc.off : 0);
	return true;
}

cJSON *
sedit_get(const struct sedit *se, const char *path)
{
	size_t fi;
	struct target t;
	return find(se, path, &fi, &t) ? sedit_tojson(t.node) : NULL;
}

cJSON *
sedit_get_in(const struct sedit *se, size_t i, const char *path)
{
	struct ptr p;
	struct target t;
	char *err = NULL;
	cJSON *v = NULL;
	if (i < se->nspec && ptr_parse(path, &p, &err)) {
		if (resolve(&se->f[i], &p, &t, &err) && t.node)
			v = sedit_tojson(t.node);
		ptr_free(&p);
	}
	free(err);
	return v;
}

bool
sedit_patch(struct sedit *se, const cJSON *patch, char **err)
{
	*err = NULL;
	if (!cJSON_IsArray(patch)) {
		*err = xstrdup("a JSON Patch is a list of operations");
		return false;
	}
	/* all or nothing: the spec files' texts as they were */
	struct saved {
		char *text;
		size_t len;
	} *saved = xcalloc(se->nspec, sizeof(*saved));
	for (size_t i = 0; i < se->nspec; i++)
		saved[i] = (struct saved){xstrndup(se->f[i].text, se->f[i].len), se->f[i].len};
	bool ok = true;
	size_t k = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, patch)
	{
		const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "op"));
		const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "path"));
		const char *near = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "near"));
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(o, "value");
		char *e = NULL;
		if (!op || !path)
			e = xstrdup("an operation needs \"op\" and \"path\"");
		else if (strcmp(op, "add") == 0)
			ok = sedit_add(se, path, value, near, &e);
		else if (strcmp(op, "replace") == 0)
			ok = sedit_replace(se, path, value, &e);
		else if (strcmp(op, "remove") == 0)
			ok = sedit_remove(se, path, &e);
		else if (strcmp(op, "test") == 0) {
			cJSON *got = sedit_get(se, path);
			ok = got && value && cJSON_Compare(got, value, true);
			if (!ok)
				e = xasprintf("%s is %s", path, got ? "not the value the test names" : "not in the spec");
			cJSON_Delete(got);
		} else
			e = xasprintf("op '%s' is not one dpc makes (add, replace, remove, test)", op);
		if (e) {
			*err = xasprintf("patch operation %zu (%s %s): %s", k, op ? op : "?", path ? path : "?", e);
			free(e);
			ok = false;
			break;
		}
		k++;
	}
	for (size_t i = 0; i < se->nspec; i++) {
		struct sfile *f = &se->f[i];
		if (!ok && (f->len != saved[i].len || memcmp(f->text, saved[i].text, f->len) != 0)) {
			free(f->text);
			f->text = saved[i].text;
			f->len = saved[i].len;
			dropdoc(f);
			char *e = NULL;
			f->doc = parse(f->path, f->text, f->len, &f->a, &e);
			free(e);
		} else {
			free(saved[i].text);
		}
	}
	free(saved);
	changed(se);
	return ok;
}

/* ---- project files ---- */

/* is path (normalised) dir or inside it? */
static bool
within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return n && strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* path without "./" parts and doubled slashes; NULL when it is empty,
 * absolute, or leads out with ".." */
static char *
normpath(const char *path)
{
	if (!*path || *path == '/')
		return NULL;
	struct buf b = {0};
	for (const char *s = path; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			buf_free(&b);
			return NULL;
		}
		if (n && !(n == 1 && s[0] == '.')) {
			if (b.len)
				buf_putc(&b, '/');
			buf_put(&b, s, n);
		}
		s += n;
		s += *s == '/';
	}
	return b.len ? buf_take(&b) : NULL;
}

bool
sedit_file(struct sedit *se, const char *path, const char *text, size_t len, bool replace, char **err)
{
	*err = NULL;
	char *p = normpath(path);
	if (!p) {
		*err = xasprintf("%s: a project file's path is relative to the project, without '..'", path);
		return false;
	}
	struct spec lay = {.layout_dbt = se->dbt, .layout_assets = se->assets};
	char *dg = dagster_root(&lay);
	const char *why = NULL;
	if (within(p, ".dpc") || within(p, ".git"))
		why = "is dpc's or git's own";
	else if (within(p, se->dbt) || within(p, se->assets) || within(p, dg))
		why = "is inside a folder dpc generates";
	else if (within(p, "supabase/migrations"))
		why = "is a Supabase migration: dpc writes those from tables:";
	for (size_t i = 0; !why && i < emit_nfixed; i++)
		if (strcmp(p, emit_fixed[i]) == 0)
			why = "is a file dpc generates";
	for (size_t i = 0; !why && i < se->nspec; i++) {
		char *q = normpath(se->f[i].path);
		if (q && strcmp(p, q) == 0)
			why = "is a spec file: edit it with a spec operation";
		free(q);
	}
	for (size_t i = 0; !why && i < se->ninclude; i++) {
		char *q = normpath(se->include[i]);
		if (q && fnmatch(q, p, FNM_PATHNAME | FNM_PERIOD) == 0)
			why = "would be a spec fragment (include: matches it)";
		free(q);
	}
	free(dg);
	if (!why && memchr(text, '\0', len))
		why = "would be a binary file";
	if (!why && len > FILE_MAX)
		why = "would be too large";
	if (why) {
		*err = xasprintf("%s %s", p, why);
		free(p);
		return false;
	}
	/* what is on disk now: a new file must not exist, a replaced one is read */
	char *old = NULL;
	size_t oldlen = 0;
	int e = read_beneath(se->rootfd, p, FILE_MAX, &old, &oldlen, NULL);
	if (e == 0 && !replace) {
		*err = xasprintf("%s exists; dpc does not overwrite it", p);
	} else if (e && e != ENOENT) {
		*err = xasprintf("%s: %s", p, readerr(e));
	}
	if (*err) {
		free(old);
		free(p);
		return false;
	}
	struct sfile *f = NULL;
	for (size_t i = se->nspec; i < se->n; i++)
		if (strcmp(se->f[i].path, p) == 0)
			f = &se->f[i];
	if (f) {
		free(f->text);
		free(f->orig);
	} else {
		f = addfile(se, p);
	}
	free(p);
	f->orig = old;
	f->origlen = oldlen;
	f->text = xstrndup(text, len);
	f->len = len;
	f->replace = replace;
	changed(se);
	return true;
}

/* ---- compiling, showing, writing ---- */

static bool
differs(const struct sfile *f)
{
	return !f->orig || f->len != f->origlen || memcmp(f->text, f->orig, f->len) != 0;
}

bool
sedit_compile(struct sedit *se, struct compilation *c, const struct compile_options *opts)
{
	struct compile_options co = {0};
	if (opts)
		co = *opts;
	free(se->ov);
	se->ov = xreallocarray(NULL, se->n + 1, sizeof(*se->ov));
	size_t n = 0;
	for (size_t i = 0; i < se->n; i++)
		if (differs(&se->f[i]))
			se->ov[n++] = (struct overlay){se->f[i].path, se->f[i].text, se->f[i].len};
	se->ovs = (struct overlays){se->ov, n};
	co.overlay = &se->ovs;
	bool ok = compile_run_with(c, se->root, se->rootfd, se->specpath, &co, NULL);
	/* the edited files' texts for the diagnostics, which would read the
	 * files on disk once the compilation let them go */
	for (size_t i = 0; i < c->diags.nfiles; i++) {
		struct srcfile *sf = &c->diags.files[i];
		const struct overlay *o = sf->text ? NULL : overlay_find(&se->ovs, sf->path);
		if (o) {
			free(sf->lines);
			sf->lines = NULL;
			sf->nlines = 0;
			sf->text = xstrndup(o->text, o->len);
			sf->len = o->len;
		}
	}
	/* a new file where a back end writes one would be overwritten, or stop
	 * the next build as drift */
	for (size_t i = se->nspec; ok && i < se->n; i++) {
		const struct sfile *f = &se->f[i];
		for (size_t k = 0; k < c->out.n; k++)
			if (!c->out.v[k].yields && strcmp(c->out.v[k].path, f->path) == 0) {
				diag_add(&c->diags, SEV_ERROR, NOLOC, "%s is a file dpc generates (for %s); edit the spec "
					 "instead", f->path, c->out.v[k].node ? c->out.v[k].node : "the project");
				ok = false;
			}
	}
	return ok;
}

static int
cmpchange(const void *a, const void *b)
{
	return strcmp(((const struct sedit_change *)a)->path, ((const struct sedit_change *)b)->path);
}

size_t
sedit_changes(const struct sedit *se, const struct sedit_change **v)
{
	struct sedit *m = (struct sedit *)se; /* the array is a cache of the files */
	free(m->changes);
	m->changes = xreallocarray(NULL, se->n + 1, sizeof(*m->changes));
	size_t n = 0;
	for (size_t i = 0; i < se->n; i++) {
		const struct sfile *f = &se->f[i];
		if (differs(f))
			m->changes[n++] = (struct sedit_change){f->path, f->orig, f->origlen, f->text, f->len};
	}
	qsort(m->changes, n, sizeof(*m->changes), cmpchange);
	*v = m->changes;
	return n;
}

char *
sedit_diff(const struct sedit *se)
{
	const struct sedit_change *v;
	size_t n = sedit_changes(se, &v);
	struct buf b = {0};
	for (size_t i = 0; i < n; i++) {
		char *la = xasprintf("a/%s", v[i].path), *lb = xasprintf("b/%s", v[i].path);
		diff_unified(&b, v[i].old ? la : "/dev/null", v[i].old ? v[i].old : "", v[i].oldlen, lb, v[i].text,
			     v[i].len);
		free(la);
		free(lb);
	}
	return buf_take(&b);
}

/* make the folders above path (each checked to stay in the project) */
static int
mkparents(int rootfd, const char *path)
{
	char *p = xstrdup(path);
	int e = 0;
	for (char *s = strchr(p, '/'); s && !e; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(rootfd, p, 0777) != 0 && errno != EEXIST)
			e = errno;
		int fd = e ? -1 : open_beneath(rootfd, p, O_RDONLY | O_DIRECTORY, 0);
		if (!e && fd < 0)
			e = errno;
		if (fd >= 0)
			close(fd);
		*s = '/';
	}
	free(p);
	return e;
}

/* write text to a new temporary file beside path, with mode (-1: what
 * the umask leaves of rw-rw-rw-); its name (owned), or NULL with *e */
static char *
writetemp(int rootfd, const char *path, const char *text, size_t len, int mode, int *e)
{
	char *tmp = xasprintf("%s.dpc-new-%ld", path, (long)getpid());
	int fd = open_beneath(rootfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
	*e = fd < 0 ? errno : 0;
	if (!*e && writeall(fd, text, len) != 0)
		*e = errno;
	if (fd >= 0) {
		if (!*e && !getenv("DPC_NO_SYNC") && fsync(fd) != 0)
			*e = errno;
		if (!*e && mode >= 0 && fchmod(fd, (mode_t)mode) != 0)
			*e = errno;
		if (close(fd) != 0 && !*e)
			*e = errno;
		if (*e)
			unlinkat(rootfd, tmp, 0);
	}
	if (*e) {
		free(tmp);
		return NULL;
	}
	return tmp;
}

bool
sedit_write(struct sedit *se, char **err)
{
	*err = NULL;
	const struct sedit_change *v;
	size_t n = sedit_changes(se, &v);
	char **tmps = xcalloc(n + 1, sizeof(*tmps));
	bool ok = true;
	/* first: nothing changed under us, and every new text is on disk
	 * beside its file */
	for (size_t i = 0; ok && i < n; i++) {
		char *now = NULL;
		size_t nowlen = 0;
		int e = read_beneath(se->rootfd, v[i].path, SPEC_MAX > FILE_MAX ? SPEC_MAX : FILE_MAX, &now, &nowlen, NULL);
		struct stat lst;
		if (v[i].old && (e || nowlen != v[i].oldlen || memcmp(now, v[i].old, nowlen) != 0))
			*err = xasprintf("%s changed on disk while dpc edited it; nothing was written", v[i].path);
		else if (v[i].old && fstatat(se->rootfd, v[i].path, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode))
			*err = xasprintf("%s is a symbolic link, which a rename would replace; edit the file it points "
					 "to, or write the change by hand; nothing was written", v[i].path);
		else if (!v[i].old && e != ENOENT)
			*err = xasprintf("%s %s; nothing was written", v[i].path,
					 e ? readerr(e) : "appeared on disk while dpc edited the project");
		free(now);
		int mode = -1;
		struct stat st;
		if (!*err && v[i].old) {
			int fd = open_beneath(se->rootfd, v[i].path, O_RDONLY, 0);
			if (fd >= 0 && fstat(fd, &st) == 0)
				mode = (int)(st.st_mode & 07777);
			if (fd >= 0)
				close(fd);
		} else if (!*err) {
			if ((e = mkparents(se->rootfd, v[i].path)) != 0)
				*err = xasprintf("cannot make the folder of %s: %s; nothing was written", v[i].path,
						 readerr(e));
		}
		if (!*err && !(tmps[i] = writetemp(se->rootfd, v[i].path, v[i].text, v[i].len, mode, &e)))
			*err = xasprintf("cannot write %s: %s; nothing was written", v[i].path, readerr(e));
		ok = !*err;
	}
	/* then each in place: a rename over an existing file, a link (which
	 * refuses to replace anything) for a new one */
	for (size_t i = 0; ok && i < n; i++) {
		int r = v[i].old ? renameat(se->rootfd, tmps[i], se->rootfd, v[i].path)
				 : linkat(se->rootfd, tmps[i], se->rootfd, v[i].path, 0);
		if (r != 0) {
			int e = errno;
			*err = xasprintf("cannot write %s: %s%s", v[i].path,
					 e == EEXIST ? "it appeared on disk while dpc edited the project" : strerror(e),
					 i ? " (the files before it were written)" : "; nothing was written");
			ok = false;
		}
		if (!v[i].old || r != 0)
			unlinkat(se->rootfd, tmps[i], 0);
		free(tmps[i]);
		tmps[i] = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (tmps[i]) {
			unlinkat(se->rootfd, tmps[i], 0);
			free(tmps[i]);
		}
	}
	free(tmps);
	if (ok) {
		/* written: what is on disk is the edit's starting point now */
		for (size_t i = 0; i < se->n; i++) {
			struct sfile *f = &se->f[i];
			free(f->orig);
			f->orig = xstrndup(f->text, f->len);
			f->origlen = f->len;
		}
		changed(se);
	}
	return ok;
}
