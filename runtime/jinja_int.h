/* jinja_int.h: what the two halves of the Jinja renderer share: the tree
 * jinja_parse.c builds and jinja.c walks, the values its constants hold,
 * and the limits. Private to runtime/jinja*.c; the API is jinja.h. */
#ifndef DPC_JINJA_INT_H
#define DPC_JINJA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jinja.h"
#include "util.h"

/* the limits: each an error at the construct that reaches it */
#define LIM_SRC ((size_t)64 << 20)   /* bytes of a template or macro file */
#define LIM_OUT ((size_t)64 << 20)   /* bytes of the output, or of any one string */
#define LIM_EMIT ((size_t)256 << 20) /* bytes written to every buffer of a render */
#define LIM_MEM ((size_t)512 << 20)  /* arena bytes for the values of a render */
#define LIM_ITER 1000000             /* loop iterations in one render */
#define LIM_LIST 1000000             /* items of one list or dict */
#define LIM_PDEPTH 200               /* nesting while parsing */
#define LIM_DEPTH 1000               /* nesting while evaluating */
#define LIM_MACRO 100                /* macro calls in progress */
#define LIM_REPR 100                 /* nesting of lists printed or compared */
#define LIM_WORK 200000000           /* items compared and bytes scanned in one render */

/* ---- values ---- */

enum vkind {
	V_UNDEF, /* a name nothing defines: prints as "", is falsy */
	V_NONE,
	V_BOOL,
	V_INT,
	V_FLOAT,
	V_STR,
	V_REL,   /* a relation from ref(), source() or this: a string with parts */
	V_LIST,  /* also a tuple */
	V_DICT,  /* also a namespace() */
	V_MACRO,
	V_FUNC,  /* a dbt or Jinja global function: id indexes functions[] */
	V_OBJ,   /* exceptions, builtins, target: id is enum obj */
	V_LOOP,
};

struct val {
	uint8_t k;  /* enum vkind */
	uint8_t id; /* V_FUNC, V_OBJ */
	union {
		bool b;
		int64_t i;
		double f;
		struct {
			const char *p; /* V_UNDEF: the name, NUL-terminated, or NULL */
			size_t n;
		} s;
		struct list *l;
		struct dict *d;
		struct loopst *lp;
		struct {
			const struct macro *m;
			struct scope *sc; /* where it was defined; NULL for a project macro */
		} m;
	} u;
};

/* ---- the tree ---- */

/* a file whose offsets the tree refers to */
struct src {
	const char *text;
	size_t len;
	int file; /* -1: the template */
};

enum ekind {
	E_CONST, E_NAME, E_LIST, E_TUPLE, E_DICT, E_ATTR, E_ITEM, E_SLICE, E_CALL,
	E_FILTER, E_TEST, E_NOT, E_NEG, E_POS, E_BIN, E_CONCAT, E_AND, E_OR, E_CMP,
	E_COND,
};

/* operators, also the lexer's token codes */
enum op {
	O_NONE, O_ADD, O_SUB, O_MUL, O_DIV, O_FLOORDIV, O_MOD, O_POW, O_TILDE,
	O_LPAREN, O_RPAREN, O_LBRACK, O_RBRACK, O_LBRACE, O_RBRACE, O_EQ, O_NE,
	O_LT, O_LE, O_GT, O_GE, O_ASSIGN, O_DOT, O_COLON, O_PIPE, O_COMMA, O_SEMI,
	O_IN, O_NOTIN,
};

#define NOTFOUND 0xff /* a filter, test or function the tables lack */

struct expr {
	uint8_t k;        /* enum ekind */
	uint8_t op;       /* E_BIN: enum op; E_NAME, E_FILTER, E_TEST: index
			   * into its table, or NOTFOUND */
	uint8_t flag;     /* E_TEST: negated (is not) */
	uint32_t off, len; /* the source text it spans */
	const char *name; /* E_NAME, E_ATTR, E_FILTER, E_TEST */
	struct expr *a, *b, *c;
	/* E_LIST, E_TUPLE: items; E_DICT: key, value, key, ...; E_CALL,
	 * E_FILTER, E_TEST: arguments; E_CONCAT, E_CMP: operands; E_SLICE:
	 * start, stop, step (NULL when left out) */
	struct expr **v;
	const char **kw; /* argument names, NULL for a positional one */
	uint8_t *ops;    /* E_CMP: the n - 1 operators */
	uint32_t n;
	struct val val;  /* E_CONST */
};

enum nkind {
	N_DATA, N_OUT, N_IF, N_FOR, N_SET, N_SETATTR, N_SETBLOCK, N_FILTER,
	N_MACRO, N_DO, N_BREAK, N_CONTINUE, N_UNSUP,
};

struct body {
	struct node **v;
	uint32_t n;
};

struct node {
	uint8_t k; /* enum nkind */
	uint32_t off, len; /* N_DATA: the text; otherwise the tag */
	/* N_OUT, N_DO, N_SET*: the value; N_IF: the condition; N_FOR: the
	 * iterable; N_SETBLOCK, N_FILTER: E_FILTER chain whose innermost
	 * input is NULL, or NULL */
	struct expr *e;
	struct expr *cond; /* N_FOR: the `if` that filters items */
	/* N_FOR, N_SET, N_SETBLOCK: targets; N_SETATTR: object, attribute;
	 * N_UNSUP: the tag's name */
	const char **names;
	uint32_t nnames;
	bool unpack; /* N_FOR, N_SET: the targets are a tuple, even of one name */
	struct body body, orelse;
	struct macro *m; /* N_MACRO */
};

struct macro {
	const char *name;
	const char **params;
	struct expr **defaults; /* NULL entries: no default */
	uint32_t nparams;
	bool varargs, kwargs; /* the body names them: extra arguments go there */
	struct body body;
	const struct src *src;
	uint32_t off, len;
};

static inline bool
isws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static inline bool
isalpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool
isdigit_(char c)
{
	return c >= '0' && c <= '9';
}

/* lex and parse src into body, in the arena a (which owns the tree); a
 * syntax error gives false and is added to r when r is not NULL */
bool jinja_parse(const struct src *src, struct arena *a, struct body *body, struct jj_result *r);

/* append an error at src[off, off + len) to r, with its line:col */
void jinja_adderr(struct jj_result *r, const struct src *src, uint32_t off, uint32_t len, bool needs_dbt,
		  const char *msg);

/* the index of a name in jinja.c's tables of functions, filters and tests,
 * or NOTFOUND: the parser resolves them once */
uint8_t jinja_find_function(const char *name);
uint8_t jinja_find_filter(const char *name);
uint8_t jinja_find_test(const char *name);

#endif
