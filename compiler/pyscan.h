/* pyscan.h: read Python source with tree-sitter-python and record the facts
 * the readers of existing code need (analyze, the Airflow reader): imports,
 * decorated functions, calls with their keyword arguments, assignments, the
 * dependency operators >> and <<, and with-blocks.
 *
 * Facts are found by tree-sitter queries, not by regular expressions, so a
 * call inside a string or a comment is never one. Each fact keeps its syntax
 * node (and so its byte span); line and column come from the node when a
 * caller reports something. A fact's nodes belong to the py_file's tree and
 * live until py_file_free.
 *
 * A py_scanner holds a parser and the compiled queries: make one per thread
 * and reuse it for every file. */
#ifndef DPC_PYSCAN_H
#define DPC_PYSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tree_sitter/api.h>

/* import a.b / import a.b as c / from a.b import c / from a.b import c as d */
struct py_import {
	TSNode node;        /* the import statement */
	TSNode module;      /* dotted_name or relative_import */
	TSNode name;        /* the imported name of a from-import; null node otherwise */
	TSNode alias;       /* the "as" identifier, or a null node */
	bool wildcard;      /* from m import * */
};

/* a function definition with at least one decorator */
struct py_def {
	TSNode node;        /* the decorated_definition */
	TSNode func;        /* its function_definition */
	TSNode name;        /* the function's name */
	TSNode *decorators; /* each decorator's expression (a name, attribute or call) */
	size_t ndecorators;
};

struct py_kwarg {
	TSNode name, value;
};

/* f(a, b, k=v): every call in the file, innermost calls too */
struct py_call {
	TSNode node;        /* the call */
	TSNode func;        /* the expression called: name, attribute, call, ... */
	TSNode *args;       /* positional arguments, in order (splats included) */
	size_t nargs;
	struct py_kwarg *kwargs;
	size_t nkwargs;
};

/* left = right (also a = b = c as two facts; augmented assignments are not
 * recorded) */
struct py_assign {
	TSNode node, left, right;
};

/* left >> right or left << right */
struct py_depop {
	TSNode node, left, right;
	bool rshift;        /* >> (left runs first), or << (right runs first) */
};

/* with A as a, B: the statement and its items' value expressions */
struct py_with {
	TSNode node, body;
	TSNode *items;      /* each with_item's value (an as_pattern when aliased) */
	size_t nitems;
};

struct py_file {
	const char *text;   /* borrowed: must outlive the py_file */
	size_t len;
	TSTree *tree;
	TSNode root;
	bool has_error;     /* the tree holds ERROR or MISSING nodes */
	bool too_deep;      /* py_scan: the tree nests deeper than PY_MAX_DEPTH, so
			       no fact was recorded (the caller says so) */
	TSNode first_error; /* the first of them, when has_error */

	struct py_import *imports;
	size_t nimports;
	struct py_def *defs;
	size_t ndefs;
	struct py_call *calls;
	size_t ncalls;
	struct py_assign *assigns;
	size_t nassigns;
	struct py_depop *depops;
	size_t ndepops;
	struct py_with *withs;
	size_t nwiths;
};

struct py_scanner;

/* the deepest syntax tree py_scan records facts of */
#define PY_MAX_DEPTH 1000

/* a parser with the queries compiled; NULL if the grammar's ABI is not one
 * this libtree-sitter loads */
struct py_scanner *py_scanner_new(void);
void py_scanner_free(struct py_scanner *s);

/* parse len bytes of text (need not end in NUL) and record its facts into
 * out, which the caller zero-initialises. text must outlive out. Returns
 * false when tree-sitter gave no tree at all (out is then empty); a file with
 * syntax errors still gives a tree and true, with has_error set. */
bool py_scan(struct py_scanner *s, const char *text, size_t len, struct py_file *out);
/* parse only, like py_scan without the facts (tree, root, has_error and
 * first_error are set): for readers that walk the tree themselves, such as
 * the Airflow reader; the queries cost time on long >> chains */
bool py_parse(struct py_scanner *s, const char *text, size_t len, struct py_file *out);
void py_file_free(struct py_file *f);

/* the source text of a node: a pointer into f->text and its length */
const char *py_text(const struct py_file *f, TSNode n, size_t *len);
/* true when the node's text is exactly s */
bool py_text_is(const struct py_file *f, TSNode n, const char *s);
/* the node's text as a new string; owned by the caller */
char *py_strdup(const struct py_file *f, TSNode n);

/* the dotted name an identifier or attribute chain spells ("a", "a.b.c"),
 * as a new string; NULL for any other expression */
char *py_dotted(const struct py_file *f, TSNode n);

/* the value of a string literal (implicit concatenation included, escapes
 * decoded unless raw), as a new string; NULL when n is not a string or holds
 * an interpolation (an f-string with {...}) */
char *py_string(const struct py_file *f, TSNode n);

struct buf;
/* writes the text of one f-string interpolation node ({expr}) into b;
 * false when it cannot */
typedef bool py_interp_fn(void *ctx, TSNode interpolation, struct buf *b);
/* py_string, with each interpolation written by interp (the Airflow reader
 * evaluates f"{table}_load" inside an unrolled loop); NULL when n is not a
 * string or interp returns false; owned by the caller */
char *py_fstring(const struct py_file *f, TSNode n, py_interp_fn *interp, void *ctx);

/* the keyword argument named name in a call, or a null node */
TSNode py_kwarg(const struct py_file *f, const struct py_call *c, const char *name);

/* the call fact for a call node, or NULL (binary search over the facts) */
const struct py_call *py_call_at(const struct py_file *f, TSNode call);

/* 1-based line and column (in bytes) of a node's start */
void py_linecol(TSNode n, uint32_t *line, uint32_t *col);

#endif
