/* sqlscan.h: find the Jinja calls in dbt-style SQL that give a model its
 * dependencies and settings: {{ ref(...) }}, {{ source(...) }},
 * {{ config(...) }} and {{ var(...) }}.
 *
 * The scanner is not a Jinja interpreter. Inside {{ }} and {% %} blocks it
 * finds calls of those four names wherever they appear (so
 * {% set x = ref('a') %} counts too). It follows dbt, which renders Jinja
 * before any SQL is parsed: SQL comments, string literals, "..." identifiers
 * and $tag$...$tag$ bodies are plain template text to Jinja, so a
 * {{ ref('x') }} inside them is still rendered, is still a dependency, and is
 * found; only Jinja comments {# ... #} and {% raw %} sections hide calls.
 * Every finding keeps its byte span in the text so the caller can report at
 * file:line:col.
 *
 * A call with an error problem (wrong number of arguments, unclosed
 * parenthesis, ...) is not recorded as a find; one with only a warning (a
 * ref whose argument is not a string literal) is, with is_string false. */
#ifndef DPC_SQLSCAN_H
#define DPC_SQLSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sql_call { SQL_REF, SQL_SOURCE, SQL_CONFIG, SQL_VAR };

struct sql_arg {
	char *name;      /* keyword name for name=value, NULL when positional */
	char *value;     /* a string literal's contents, unquoted and unescaped;
			    otherwise the argument's source text, trimmed */
	bool is_string;  /* value was one string literal */
	uint32_t off, len; /* span of the argument's value in the text */
};

struct sql_find {
	enum sql_call kind;
	uint32_t off, len;   /* span from the call's name to its closing parenthesis */
	struct sql_arg *args;
	size_t nargs;
};

/* something the scanner could not read: an unterminated {{, a ref with a
 * non-literal argument, ... The caller turns these into diagnostics. */
struct sql_problem {
	bool error;          /* error, or a warning */
	uint32_t off, len;
	char *msg;           /* owned by the scan */
};

struct sql_scan {
	struct sql_find *finds;
	size_t nfinds;
	struct sql_problem *problems;
	size_t nproblems;
};

/* scan len bytes of text (need not be NUL-terminated; may contain any bytes)
 * into out, which the caller zero-initialises; never fails, never reads past
 * len. Free the result with sqlscan_free. */
void sqlscan(const char *text, size_t len, struct sql_scan *out);
void sqlscan_free(struct sql_scan *s);

#endif
