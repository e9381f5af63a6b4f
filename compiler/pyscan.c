/* pyscan.c: Python facts through tree-sitter-python queries (see pyscan.h).
 *
 * One query holds a pattern per kind of fact; a single pass of a query
 * cursor over the tree yields every match, and each match's pattern index
 * says which fact it is. Facts are then kept in source order. */
#include <stdlib.h>
#include <string.h>

#include "pyscan.h"
#include "util.h"

/* the generated parser, compiled from the npm package (tools/fetch-grammar.sh) */
const TSLanguage *tree_sitter_python(void);

enum { Q_IMPORT, Q_IMPORT_AS, Q_FROM, Q_FROM_AS, Q_FROM_STAR, Q_DEF, Q_CALL, Q_ASSIGN, Q_DEPOP,
       Q_WITH };

/* the patterns, in the order of the enum above: a match's pattern index is
 * the fact it records */
static const char queries[] =
	"(import_statement name: (dotted_name) @module) @stmt\n"
	"(import_statement name: (aliased_import name: (dotted_name) @module"
	" alias: (identifier) @alias)) @stmt\n"
	"(import_from_statement module_name: (_) @module name: (dotted_name) @name) @stmt\n"
	"(import_from_statement module_name: (_) @module name: (aliased_import"
	" name: (dotted_name) @name alias: (identifier) @alias)) @stmt\n"
	"(import_from_statement module_name: (_) @module (wildcard_import)) @stmt\n"
	"(decorated_definition definition: (function_definition name: (identifier) @name) @func)"
	" @stmt\n"
	"(call function: (_) @func arguments: (_) @args) @stmt\n"
	"(assignment left: (_) @left right: (_) @right) @stmt\n"
	"(binary_operator left: (_) @left operator: [\">>\" \"<<\"] @op right: (_) @right) @stmt\n"
	"(with_statement body: (block) @body) @stmt\n";

enum { C_STMT, C_MODULE, C_ALIAS, C_NAME, C_FUNC, C_ARGS, C_LEFT, C_RIGHT, C_OP, C_BODY, NCAPS };
static const char *const capnames[NCAPS] = {"stmt", "module", "alias", "name", "func",
					    "args", "left", "right", "op", "body"};

struct py_scanner {
	TSParser *parser;
	TSQuery *query;
	TSQueryCursor *cursor;
	uint8_t capmap[64]; /* query capture id → C_* */
};

struct py_scanner *py_scanner_new(void)
{
	const TSLanguage *lang = tree_sitter_python();
	uint32_t v = ts_language_version(lang);
	if (v < TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION || v > TREE_SITTER_LANGUAGE_VERSION)
		return NULL;
	struct py_scanner *s = xcalloc(1, sizeof *s);
	s->parser = ts_parser_new();
	ts_parser_set_language(s->parser, lang);
	uint32_t erroff;
	TSQueryError err;
	s->query = ts_query_new(lang, queries, (uint32_t)strlen(queries), &erroff, &err);
	if (!s->query) {
		/* the patterns are fixed: failing here means a grammar that
		 * renamed a node or field, which the build pins against */
		ts_parser_delete(s->parser);
		free(s);
		return NULL;
	}
	uint32_t ncap = ts_query_capture_count(s->query);
	for (uint32_t i = 0; i < ncap && i < LEN(s->capmap); i++) {
		uint32_t n;
		const char *name = ts_query_capture_name_for_id(s->query, i, &n);
		for (uint8_t c = 0; c < NCAPS; c++)
			if (strlen(capnames[c]) == n && memcmp(capnames[c], name, n) == 0)
				s->capmap[i] = c;
	}
	s->cursor = ts_query_cursor_new();
	return s;
}

void py_scanner_free(struct py_scanner *s)
{
	if (!s)
		return;
	ts_query_cursor_delete(s->cursor);
	ts_query_delete(s->query);
	ts_parser_delete(s->parser);
	free(s);
}

/* the named children of a node of the given type, e.g. a with_clause's items */
static void named_children(TSNode n, const char *type, TSNode **v, size_t *nv)
{
	size_t cap = 0;
	*v = NULL;
	*nv = 0;
	uint32_t k = ts_node_named_child_count(n);
	for (uint32_t i = 0; i < k; i++) {
		TSNode c = ts_node_named_child(n, i);
		if (type && strcmp(ts_node_type(c), type) != 0)
			continue;
		VEC_PUSH(*v, *nv, cap);
		(*v)[(*nv)++] = c;
	}
}

static void add_call(struct py_file *f, size_t *cap, TSNode stmt, TSNode func, TSNode args)
{
	VEC_PUSH(f->calls, f->ncalls, *cap);
	struct py_call *c = &f->calls[f->ncalls++];
	memset(c, 0, sizeof *c);
	c->node = stmt;
	c->func = func;
	/* a generator argument f(x for x in y) is one positional argument */
	if (strcmp(ts_node_type(args), "argument_list") != 0) {
		c->args = xmalloc(sizeof *c->args);
		c->args[0] = args;
		c->nargs = 1;
		return;
	}
	size_t acap = 0, kcap = 0;
	uint32_t k = ts_node_named_child_count(args);
	for (uint32_t i = 0; i < k; i++) {
		TSNode a = ts_node_named_child(args, i);
		const char *type = ts_node_type(a);
		if (strcmp(type, "comment") == 0)
			continue;
		if (strcmp(type, "keyword_argument") == 0) {
			VEC_PUSH(c->kwargs, c->nkwargs, kcap);
			c->kwargs[c->nkwargs++] = (struct py_kwarg){
				ts_node_child_by_field_name(a, "name", 4),
				ts_node_child_by_field_name(a, "value", 5)};
		} else {
			VEC_PUSH(c->args, c->nargs, acap);
			c->args[c->nargs++] = a;
		}
	}
}

static void add_with(struct py_file *f, size_t *cap, TSNode stmt, TSNode body)
{
	VEC_PUSH(f->withs, f->nwiths, *cap);
	struct py_with *w = &f->withs[f->nwiths++];
	w->node = stmt;
	w->body = body;
	w->items = NULL;
	w->nitems = 0;
	size_t icap = 0;
	uint32_t k = ts_node_named_child_count(stmt);
	for (uint32_t i = 0; i < k; i++) {
		TSNode clause = ts_node_named_child(stmt, i);
		if (strcmp(ts_node_type(clause), "with_clause") != 0)
			continue;
		uint32_t m = ts_node_named_child_count(clause);
		for (uint32_t j = 0; j < m; j++) {
			TSNode item = ts_node_named_child(clause, j);
			if (strcmp(ts_node_type(item), "with_item") != 0)
				continue;
			TSNode v = ts_node_child_by_field_name(item, "value", 5);
			if (ts_node_is_null(v))
				continue;
			VEC_PUSH(w->items, w->nitems, icap);
			w->items[w->nitems++] = v;
		}
	}
}

/* source order: by start byte, an enclosing node before those that start
 * with it */
static int cmp_span(TSNode x, TSNode y)
{
	uint32_t xs = ts_node_start_byte(x), ys = ts_node_start_byte(y);
	if (xs != ys)
		return xs < ys ? -1 : 1;
	uint32_t xe = ts_node_end_byte(x), ye = ts_node_end_byte(y);
	return xe > ye ? -1 : xe < ye;
}

static int cmp_call(const void *a, const void *b)
{
	return cmp_span(((const struct py_call *)a)->node, ((const struct py_call *)b)->node);
}

static int cmp_depop(const void *a, const void *b)
{
	return cmp_span(((const struct py_depop *)a)->node, ((const struct py_depop *)b)->node);
}

/* the first ERROR or MISSING node in source order, found without recursion:
 * a syntax error deep inside 100,000 parentheses must not exhaust the stack */
static bool find_error_iter(TSNode root, TSNode *out)
{
	TSTreeCursor c = ts_tree_cursor_new(root);
	bool found = false;
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		if (ts_node_is_missing(n) || strcmp(ts_node_type(n), "ERROR") == 0) {
			*out = n;
			found = true;
			break;
		}
		if (ts_node_has_error(n) && ts_tree_cursor_goto_first_child(&c))
			continue;
		while (!ts_tree_cursor_goto_next_sibling(&c))
			if (!ts_tree_cursor_goto_parent(&c))
				goto done;
	}
done:
	ts_tree_cursor_delete(&c);
	return found;
}

bool py_parse(struct py_scanner *s, const char *text, size_t len, struct py_file *out)
{
	memset(out, 0, sizeof *out);
	out->text = text;
	out->len = len;
	if (len > UINT32_MAX)
		return false;
	/* setting the language again gives the grammar's external scanner a
	 * fresh state: tree-sitter-python 0.23's scanner keeps its "inside an
	 * f-string" flag across parses, so a file ending in an unterminated
	 * f-string would change how the next file parses */
	ts_parser_set_language(s->parser, tree_sitter_python());
	out->tree = ts_parser_parse_string(s->parser, NULL, text, (uint32_t)len);
	if (!out->tree)
		return false;
	out->root = ts_tree_root_node(out->tree);
	out->has_error = ts_node_has_error(out->root) && find_error_iter(out->root, &out->first_error);
	return true;
}

/* true when the tree nests deeper than limit, found without recursion */
static bool deeper_than(TSNode root, unsigned limit)
{
	TSTreeCursor c = ts_tree_cursor_new(root);
	unsigned depth = 0;
	bool deep = false;
	for (;;) {
		if (ts_tree_cursor_goto_first_child(&c)) {
			if (++depth > limit) {
				deep = true;
				break;
			}
			continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&c)) {
			if (!ts_tree_cursor_goto_parent(&c))
				goto done;
			depth--;
		}
	}
done:
	ts_tree_cursor_delete(&c);
	return deep;
}

bool py_scan(struct py_scanner *s, const char *text, size_t len, struct py_file *out)
{
	if (!py_parse(s, text, len, out))
		return false;
	/* libtree-sitter 0.20's query cursor keeps a state per open nesting
	 * level: a chain of 20,000 >> takes minutes and a 50,000-term sum
	 * crashes it. No real source nests anywhere near this deep. */
	if (deeper_than(out->root, PY_MAX_DEPTH)) {
		out->too_deep = true;
		return true;
	}

	size_t caps[6] = {0};
	TSQueryMatch m;
	ts_query_cursor_exec(s->cursor, s->query, out->root);
	while (ts_query_cursor_next_match(s->cursor, &m)) {
		TSNode cap[NCAPS];
		for (int i = 0; i < NCAPS; i++)
			cap[i] = (TSNode){{0}, NULL, NULL};
		for (uint16_t i = 0; i < m.capture_count; i++) {
			uint32_t id = m.captures[i].index;
			if (id < LEN(s->capmap))
				cap[s->capmap[id]] = m.captures[i].node;
		}
		switch (m.pattern_index) {
		case Q_IMPORT:
		case Q_IMPORT_AS:
		case Q_FROM:
		case Q_FROM_AS:
		case Q_FROM_STAR:
			VEC_PUSH(out->imports, out->nimports, caps[0]);
			out->imports[out->nimports++] = (struct py_import){
				cap[C_STMT], cap[C_MODULE], cap[C_NAME], cap[C_ALIAS],
				m.pattern_index == Q_FROM_STAR};
			break;
		case Q_DEF: {
			VEC_PUSH(out->defs, out->ndefs, caps[1]);
			struct py_def *d = &out->defs[out->ndefs++];
			d->node = cap[C_STMT];
			d->func = cap[C_FUNC];
			d->name = cap[C_NAME];
			named_children(d->node, "decorator", &d->decorators, &d->ndecorators);
			/* keep each decorator's expression, not the "@" line */
			for (size_t i = 0; i < d->ndecorators; i++)
				if (ts_node_named_child_count(d->decorators[i]) > 0)
					d->decorators[i] = ts_node_named_child(d->decorators[i], 0);
			break;
		}
		case Q_CALL:
			add_call(out, &caps[2], cap[C_STMT], cap[C_FUNC], cap[C_ARGS]);
			break;
		case Q_ASSIGN:
			VEC_PUSH(out->assigns, out->nassigns, caps[3]);
			out->assigns[out->nassigns++] =
				(struct py_assign){cap[C_STMT], cap[C_LEFT], cap[C_RIGHT]};
			break;
		case Q_DEPOP:
			VEC_PUSH(out->depops, out->ndepops, caps[4]);
			out->depops[out->ndepops++] = (struct py_depop){
				cap[C_STMT], cap[C_LEFT], cap[C_RIGHT],
				py_text_is(out, cap[C_OP], ">>")};
			break;
		case Q_WITH:
			add_with(out, &caps[5], cap[C_STMT], cap[C_BODY]);
			break;
		}
	}
	/* the cursor yields a match when its last capture is seen, so an
	 * inner a >> b can come before the (a >> b) >> c around it: sort into
	 * source order, which py_call_at relies on */
	if (out->ncalls)
		qsort(out->calls, out->ncalls, sizeof *out->calls, cmp_call);
	if (out->ndepops)
		qsort(out->depops, out->ndepops, sizeof *out->depops, cmp_depop);
	return true;
}

void py_file_free(struct py_file *f)
{
	for (size_t i = 0; i < f->ndefs; i++)
		free(f->defs[i].decorators);
	for (size_t i = 0; i < f->ncalls; i++) {
		free(f->calls[i].args);
		free(f->calls[i].kwargs);
	}
	for (size_t i = 0; i < f->nwiths; i++)
		free(f->withs[i].items);
	free(f->imports);
	free(f->defs);
	free(f->calls);
	free(f->assigns);
	free(f->depops);
	free(f->withs);
	if (f->tree)
		ts_tree_delete(f->tree);
	memset(f, 0, sizeof *f);
}

const char *py_text(const struct py_file *f, TSNode n, size_t *len)
{
	if (ts_node_is_null(n)) {
		*len = 0;
		return "";
	}
	uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
	if (b > f->len)
		b = (uint32_t)f->len;
	if (a > b)
		a = b;
	*len = b - a;
	return f->text + a;
}

bool py_text_is(const struct py_file *f, TSNode n, const char *s)
{
	size_t len;
	const char *t = py_text(f, n, &len);
	return !ts_node_is_null(n) && strlen(s) == len && memcmp(t, s, len) == 0;
}

char *py_strdup(const struct py_file *f, TSNode n)
{
	size_t len;
	const char *t = py_text(f, n, &len);
	return xstrndup(t, len);
}

static bool dotted_into(const struct py_file *f, TSNode n, struct buf *b, int depth)
{
	if (ts_node_is_null(n) || depth > 64)
		return false;
	const char *type = ts_node_type(n);
	if (strcmp(type, "identifier") == 0) {
		size_t len;
		const char *t = py_text(f, n, &len);
		buf_put(b, t, len);
		return true;
	}
	if (strcmp(type, "attribute") == 0) {
		if (!dotted_into(f, ts_node_child_by_field_name(n, "object", 6), b, depth + 1))
			return false;
		buf_putc(b, '.');
		return dotted_into(f, ts_node_child_by_field_name(n, "attribute", 9), b, depth + 1);
	}
	return false;
}

char *py_dotted(const struct py_file *f, TSNode n)
{
	struct buf b = {0};
	if (!dotted_into(f, n, &b, 0)) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* append a code point as UTF-8 */
static void put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		buf_put(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		buf_put(b, u, 3);
	} else if (cp < 0x110000) {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		buf_put(b, u, 4);
	}
}

/* decode one escape sequence's text (starting at the backslash) */
static void put_escape(struct buf *b, const char *t, size_t len)
{
	if (len < 2) {
		buf_put(b, t, len);
		return;
	}
	char c = t[1];
	static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
	for (size_t i = 0; i + 1 < sizeof simple; i += 2)
		if (simple[i] == c) {
			buf_putc(b, simple[i + 1]);
			return;
		}
	if (c == '\n')
		return; /* a line continuation */
	unsigned long cp = 0;
	size_t i = 1;
	if (c == 'x' || c == 'u' || c == 'U') {
		for (i = 2; i < len; i++) {
			int h = hexval(t[i]);
			if (h < 0)
				break;
			cp = cp * 16 + (unsigned long)h;
		}
		put_utf8(b, cp);
		return;
	}
	if (c >= '0' && c <= '7') {
		for (i = 1; i < len && i < 4 && t[i] >= '0' && t[i] <= '7'; i++)
			cp = cp * 8 + (unsigned long)(t[i] - '0');
		put_utf8(b, cp);
		return;
	}
	buf_put(b, t, len); /* \N{...} and unknown escapes stay as written */
}

static bool string_into(const struct py_file *f, TSNode n, struct buf *b, py_interp_fn *interp,
			void *ctx)
{
	bool raw = false;
	uint32_t k = ts_node_child_count(n);
	for (uint32_t i = 0; i < k; i++) {
		TSNode c = ts_node_child(n, i);
		const char *type = ts_node_type(c);
		size_t len;
		const char *t = py_text(f, c, &len);
		if (strcmp(type, "string_start") == 0) {
			for (size_t j = 0; j < len && t[j] != '\'' && t[j] != '"'; j++) {
				if (t[j] == 'r' || t[j] == 'R')
					raw = true;
				if (t[j] == 'b' || t[j] == 'B')
					return false; /* bytes are not text */
			}
		} else if (strcmp(type, "interpolation") == 0) {
			if (!interp || !interp(ctx, c, b))
				return false;
		} else if (strcmp(type, "string_content") == 0) {
			/* the content with its escape_sequence children decoded */
			uint32_t pos = ts_node_start_byte(c);
			uint32_t m = ts_node_named_child_count(c);
			for (uint32_t j = 0; j < m; j++) {
				TSNode e = ts_node_named_child(c, j);
				if (strcmp(ts_node_type(e), "escape_sequence") != 0 &&
				    strcmp(ts_node_type(e), "escape_interpolation") != 0)
					continue;
				uint32_t a = ts_node_start_byte(e), z = ts_node_end_byte(e);
				buf_put(b, f->text + pos, a - pos);
				if (raw)
					buf_put(b, f->text + a, z - a);
				else if (strcmp(ts_node_type(e), "escape_interpolation") == 0)
					buf_putc(b, f->text[a]); /* {{ or }} */
				else
					put_escape(b, f->text + a, z - a);
				pos = z;
			}
			buf_put(b, f->text + pos, ts_node_end_byte(c) - pos);
		}
	}
	return true;
}

char *py_string(const struct py_file *f, TSNode n)
{
	return py_fstring(f, n, NULL, NULL);
}

char *py_fstring(const struct py_file *f, TSNode n, py_interp_fn *interp, void *ctx)
{
	if (ts_node_is_null(n))
		return NULL;
	const char *type = ts_node_type(n);
	struct buf b = {0};
	buf_puts(&b, "");
	bool ok = true;
	if (strcmp(type, "string") == 0) {
		ok = string_into(f, n, &b, interp, ctx);
	} else if (strcmp(type, "concatenated_string") == 0) {
		uint32_t k = ts_node_named_child_count(n);
		for (uint32_t i = 0; i < k && ok; i++) {
			TSNode c = ts_node_named_child(n, i);
			if (strcmp(ts_node_type(c), "string") == 0)
				ok = string_into(f, c, &b, interp, ctx);
		}
	} else {
		ok = false;
	}
	if (!ok) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

TSNode py_kwarg(const struct py_file *f, const struct py_call *c, const char *name)
{
	for (size_t i = 0; i < c->nkwargs; i++)
		if (py_text_is(f, c->kwargs[i].name, name))
			return c->kwargs[i].value;
	return (TSNode){{0}, NULL, NULL};
}

const struct py_call *py_call_at(const struct py_file *f, TSNode call)
{
	/* the query cursor yields calls in order of their start byte, an
	 * enclosing call before those inside it; equal starts (f(a)(b)) are
	 * told apart by the node itself */
	uint32_t start = ts_node_start_byte(call);
	size_t lo = 0, hi = f->ncalls;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ts_node_start_byte(f->calls[mid].node) < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < f->ncalls && ts_node_start_byte(f->calls[i].node) == start; i++)
		if (ts_node_eq(f->calls[i].node, call))
			return &f->calls[i];
	return NULL;
}

void py_linecol(TSNode n, uint32_t *line, uint32_t *col)
{
	TSPoint p = ts_node_start_point(n);
	*line = p.row + 1;
	*col = p.column + 1;
}
