/* yamldoc.c: libyaml events → a located node tree (see yamldoc.h). */
#include "yamldoc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* libyaml reports marks as line and column in characters; dpc keeps byte
 * offsets. Marks arrive in increasing order, so a cursor that only moves
 * forward converts them in linear time overall. */
struct cursor {
	const char *text;
	size_t len;
	size_t off, line, col;
};

static uint32_t
markoff(struct cursor *c, yaml_mark_t m)
{
	if (m.line < c->line || (m.line == c->line && m.column < c->col))
		c->off = c->line = c->col = 0;
	while (c->off < c->len && (c->line < m.line || (c->line == m.line && c->col < m.column))) {
		unsigned char ch = (unsigned char)c->text[c->off++];
		if (ch == '\n') {
			c->line++;
			c->col = 0;
		} else if ((ch & 0xC0) != 0x80) {
			/* count a character at its lead byte; continuation bytes follow it */
			while (c->off < c->len && ((unsigned char)c->text[c->off] & 0xC0) == 0x80)
				c->off++;
			c->col++;
		}
	}
	return (uint32_t)c->off;
}

/* an open collection while building */
struct frame {
	struct ynode *node;
	struct ynode **items;
	size_t n, cap;
	size_t size; /* expanded size so far, this node included */
	struct strmap keys; /* maps: each key's first node, to find duplicates */
};

struct anchor {
	char *name;
	struct ynode *node;
	size_t size;
};

struct loader {
	struct arena *a;
	struct diags *d;
	int32_t file;
	struct cursor cur;
	struct frame *stack;
	size_t depth, capstack;
	struct anchor *anchors;
	size_t nanchors, capanchors;
	size_t total; /* nodes in the document with aliases expanded */
	struct ynode *root;
	bool failed;
};

static struct loc
at(struct loader *l, yaml_mark_t start, yaml_mark_t end)
{
	uint32_t s = markoff(&l->cur, start), e = markoff(&l->cur, end);
	return (struct loc){l->file, s, e > s ? e - s : 1};
}

static void
addanchor(struct loader *l, const yaml_char_t *name, struct ynode *n, size_t size)
{
	if (!name)
		return;
	/* a later anchor of the same name shadows the earlier one, as in YAML */
	VEC_PUSH(l->anchors, l->nanchors, l->capanchors);
	l->anchors[l->nanchors++] = (struct anchor){xstrdup((const char *)name), n, size};
}

/* attach a finished node (of expanded size) to the open collection */
static void
attach(struct loader *l, struct ynode *n, size_t size)
{
	if (l->depth == 0) {
		l->root = n;
		return;
	}
	struct frame *f = &l->stack[l->depth - 1];
	VEC_PUSH(f->items, f->n, f->cap);
	f->items[f->n++] = n;
	f->size += size;
	if (f->node->kind == Y_MAP && f->n % 2 == 0) {
		/* a duplicate key: libyaml accepts it, a spec must not */
		struct ynode *k = f->items[f->n - 2];
		if (k->kind != Y_SCALAR) {
			diag_add(l->d, SEV_ERROR, k->loc, "mapping keys must be plain strings");
			l->failed = true;
			return;
		}
		/* a map, not a scan of the earlier keys: 100,000 keys must stay cheap */
		struct ynode *o = strmap_get(&f->keys, k->str);
		if (o) {
			struct diag *g = diag_add(l->d, SEV_ERROR, k->loc, "duplicate key '%s'", k->str);
			diag_note(g, o->loc, "'%s' first defined here", o->str);
			l->failed = true;
		} else {
			strmap_put(&f->keys, k->str, k);
		}
	}
}

static bool
over(struct loader *l, size_t add, struct loc loc)
{
	l->total += add;
	if (l->total <= YAML_MAX_NODES)
		return false;
	diag_add(l->d, SEV_ERROR, loc,
		 "document too large: more than %d nodes once aliases are expanded "
		 "(an alias bomb?)", YAML_MAX_NODES);
	l->failed = true;
	return true;
}

static bool
event(struct loader *l, yaml_event_t *ev)
{
	struct ynode *n;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = arena_alloc(l->a, sizeof(*n));
		n->kind = Y_SCALAR;
		n->loc = at(l, ev->start_mark, ev->end_mark);
		n->str = arena_strndup(l->a, (const char *)ev->data.scalar.value,
				       ev->data.scalar.length);
		n->slen = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (strlen(n->str) != n->slen) {
			diag_add(l->d, SEV_ERROR, n->loc, "string contains a NUL character");
			l->failed = true;
		}
		if (over(l, 1, n->loc))
			return false;
		addanchor(l, ev->data.scalar.anchor, n, 1);
		attach(l, n, 1);
		return true;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = arena_alloc(l->a, sizeof(*n));
		n->kind = ev->type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ;
		n->loc = at(l, ev->start_mark, ev->end_mark);
		if (l->depth >= YAML_MAX_DEPTH) {
			diag_add(l->d, SEV_ERROR, n->loc, "nesting deeper than %d levels",
				 YAML_MAX_DEPTH);
			l->failed = true;
			return false;
		}
		if (over(l, 1, n->loc))
			return false;
		VEC_PUSH(l->stack, l->depth, l->capstack);
		l->stack[l->depth++] = (struct frame){.node = n, .size = 1};
		{
			/* remember the anchor now, resolve it when the collection ends */
			const yaml_char_t *anc = ev->type == YAML_MAPPING_START_EVENT
						       ? ev->data.mapping_start.anchor
						       : ev->data.sequence_start.anchor;
			n->str = anc ? arena_strdup(l->a, (const char *)anc) : NULL;
		}
		return true;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame f = l->stack[--l->depth];
		n = f.node;
		n->n = f.n;
		n->items = arena_array(l->a, f.n, sizeof(*n->items));
		if (f.n)
			memcpy(n->items, f.items, f.n * sizeof(*n->items));
		free(f.items);
		strmap_free(&f.keys);
		const char *anc = n->str;
		n->str = NULL;
		if (anc)
			addanchor(l, (const yaml_char_t *)anc, n, f.size);
		attach(l, n, f.size);
		return true;
	}
	case YAML_ALIAS_EVENT: {
		struct loc loc = at(l, ev->start_mark, ev->end_mark);
		const char *name = (const char *)ev->data.alias.anchor;
		for (size_t i = l->nanchors; i-- > 0;) {
			if (strcmp(l->anchors[i].name, name) == 0) {
				if (over(l, l->anchors[i].size, loc))
					return false;
				attach(l, l->anchors[i].node, l->anchors[i].size);
				return true;
			}
		}
		/* libyaml rejects unknown anchors itself; an anchor still open is a cycle */
		diag_add(l->d, SEV_ERROR, loc, "alias '*%s' refers to a node that contains it",
			 name);
		l->failed = true;
		return false;
	}
	default:
		return true;
	}
}

struct ynode *
yaml_load(struct arena *a, struct diags *d, int32_t file, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct loader l = {.a = a, .d = d, .file = file, .cur = {text, len, 0, 0, 0}};
	int docs = 0;

	if (!yaml_parser_initialize(&p)) {
		diag_add(d, SEV_ERROR, (struct loc){file, 0, 1}, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			struct loc loc = {file, markoff(&l.cur, p.problem_mark), 1};
			if (p.context)
				diag_add(d, SEV_ERROR, loc, "invalid YAML: %s %s", p.problem, p.context);
			else
				diag_add(d, SEV_ERROR, loc, "invalid YAML: %s",
					 p.problem ? p.problem : "cannot parse");
			l.failed = true;
			break;
		}
		yaml_event_type_t type = ev.type;
		if (type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			diag_add(d, SEV_ERROR, at(&l, ev.start_mark, ev.end_mark),
				 "a spec file holds one YAML document; found a second one");
			l.failed = true;
			yaml_event_delete(&ev);
			break;
		}
		bool ok = event(&l, &ev);
		yaml_event_delete(&ev);
		if (!ok || type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	for (size_t i = 0; i < l.depth; i++) {
		free(l.stack[i].items);
		strmap_free(&l.stack[i].keys);
	}
	free(l.stack);
	for (size_t i = 0; i < l.nanchors; i++)
		free(l.anchors[i].name);
	free(l.anchors);
	if (l.failed)
		return NULL;
	if (!l.root || ynull(l.root)) {
		struct ynode *n = arena_alloc(a, sizeof(*n));
		n->kind = Y_MAP;
		n->loc = (struct loc){file, 0, 1};
		return n;
	}
	return l.root;
}

bool
ynull(const struct ynode *n)
{
	return n->kind == Y_SCALAR && n->plain &&
	       (n->slen == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
		strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
}

bool
ybool(const struct ynode *n, bool *out)
{
	static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False", "FALSE"};
	if (n->kind != Y_SCALAR || !n->plain)
		return false;
	for (size_t i = 0; i < LEN(t); i++) {
		if (strcmp(n->str, t[i]) == 0)
			return *out = true, true;
		if (strcmp(n->str, f[i]) == 0)
			return *out = false, true;
	}
	return false;
}

bool
yint(const struct ynode *n, long long *out)
{
	if (n->kind != Y_SCALAR || !n->plain || n->slen == 0)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(n->str, &end, 10);
	if (errno || *end || n->str[0] == ' ')
		return false;
	*out = v;
	return true;
}

const char *
ykindname(const struct ynode *n)
{
	bool b;
	long long i;
	if (n->kind == Y_MAP)
		return "a mapping";
	if (n->kind == Y_SEQ)
		return "a list";
	if (ynull(n))
		return "null";
	if (ybool(n, &b))
		return "a boolean";
	if (yint(n, &i))
		return "a number";
	return "a string";
}
