/* test_sqlscan.c: table-driven tests of the dbt SQL scanner (sqlscan.c).
 *
 * Each case is an input text with every find and problem it must give, in
 * order; positions are line:col (1-based, col in bytes) because that is how
 * a reader checks them against the input. A few stress inputs at the end
 * check that pathological text finishes and keeps every span in bounds.
 *
 * Build: cc -std=c11 -D_POSIX_C_SOURCE=200809L -Icompiler tests/unit/test_sqlscan.c compiler/sqlscan.c
 *        compiler/util.c $(pkg-config --cflags --libs libxxhash) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlscan.h"
#include "util.h"
#include "check.h"

#define MAXA 4
#define MAXF 8
#define MAXP 4

struct xarg {
	const char *name;  /* NULL for a positional argument */
	const char *value; /* NULL ends the list */
	bool str;
	const char *span;  /* text the argument's span must cover, or NULL */
};

struct xfind {
	const char *at;    /* line:col of the call's name; NULL ends the list */
	enum sql_call kind;
	const char *span;  /* text from the name to the closing parenthesis */
	struct xarg args[MAXA];
};

struct xprob {
	const char *at;    /* line:col; NULL ends the list */
	bool error;
	const char *msg;   /* must occur in the message */
};

struct tcase {
	const char *name;
	const char *text;
	size_t len;        /* 0 means strlen(text) */
	struct xfind finds[MAXF];
	struct xprob probs[MAXP];
};

/* positional string, keyword string, non-string positional, non-string keyword */
#define S(v) {NULL, v, true, NULL}
#define KS(k, v) {k, v, true, NULL}
#define N(v) {NULL, v, false, NULL}
#define KN(k, v) {k, v, false, NULL}
#define BIN(s) .text = s, .len = sizeof(s) - 1

#define REFWARN "ref() argument is not a string literal; dpc cannot resolve it statically"
#define SRCWARN "source() argument is not a string literal; dpc cannot resolve it statically"

static const struct tcase cases[] = {
	{"ref single quotes", "select * from {{ ref('orders') }}",
	 .finds = {{"1:18", SQL_REF, "ref('orders')", {{NULL, "orders", true, "'orders'"}}}}},
	{"ref double quotes", "select *\nfrom {{ ref(\"orders\") }}",
	 .finds = {{"2:9", SQL_REF, "ref(\"orders\")", {S("orders")}}}},
	{"ref with package", "{{ ref('pkg', 'm') }}",
	 .finds = {{"1:4", SQL_REF, "ref('pkg', 'm')", {S("pkg"), {NULL, "m", true, "'m'"}}}}},
	{"ref with version keyword", "{{ ref('m', v=2) }} {{ ref('p', 'm', version = '3') }}",
	 .finds = {{"1:4", SQL_REF, "ref('m', v=2)", {S("m"), {"v", "2", false, "2"}}},
		   {"1:24", SQL_REF, NULL, {S("p"), S("m"), KS("version", "3")}}}},
	{"source", "select id from {{ source('raw', 'orders') }} o",
	 .finds = {{"1:19", SQL_SOURCE, "source('raw', 'orders')", {S("raw"), S("orders")}}}},
	{"config keyword values",
	 "{{ config(materialized='table', unique_key=['a','b'], tags=[\"x\"]) }}\nselect 1",
	 .finds = {{"1:4", SQL_CONFIG, NULL,
		    {KS("materialized", "table"), {"unique_key", "['a','b']", false, "['a','b']"},
		     KN("tags", "[\"x\"]")}}}},
	{"config over several lines",
	 "{{\n  config(\n    materialized = 'incremental',\n    enabled = true ,\n"
	 "    post_hook = [ \"grant select on {{ this }} to r\" ],\n  )\n}}",
	 .finds = {{"2:3", SQL_CONFIG, NULL,
		    {KS("materialized", "incremental"), KN("enabled", "true"),
		     KN("post_hook", "[ \"grant select on {{ this }} to r\" ]")}}}},
	{"config with no arguments and positional dict", "{{ config() }}{{ config({'a': 1}) }}",
	 .finds = {{"1:4", SQL_CONFIG, "config()", {{0}}},
		   {"1:18", SQL_CONFIG, NULL, {N("{'a': 1}")}}}},
	{"var", "where d > '{{ var(\"start\") }}' and {{ var('x', 'default') }}",
	 .finds = {{"1:15", SQL_VAR, NULL, {S("start")}},
		   {"1:39", SQL_VAR, "var('x', 'default')", {S("x"), S("default")}}}},
	{"var with non-string default", "{{ var('limit', 100) }}{{ var('on', default=false) }}",
	 .finds = {{"1:4", SQL_VAR, NULL, {S("limit"), N("100")}},
		   {"1:27", SQL_VAR, NULL, {S("on"), KN("default", "false")}}}},
	{"call in a statement block", "{% set t = ref('a') %}\nselect * from {{ t }}",
	 .finds = {{"1:12", SQL_REF, "ref('a')", {S("a")}}}},
	{"several calls in one block",
	 "{{ ref('a') ~ ref(\"b\") }}\n{% set xs = [ref('c'), source('s', 't'), var('v')] %}",
	 .finds = {{"1:4", SQL_REF, NULL, {S("a")}}, {"1:15", SQL_REF, NULL, {S("b")}},
		   {"2:14", SQL_REF, NULL, {S("c")}}, {"2:24", SQL_SOURCE, NULL, {S("s"), S("t")}},
		   {"2:42", SQL_VAR, NULL, {S("v")}}}},
	{"whitespace control", "a\n{{- ref('a') -}}\n{%- set b = ref('b') -%}\n{%+ set c = ref('c') +%}",
	 .finds = {{"2:5", SQL_REF, NULL, {S("a")}}, {"3:13", SQL_REF, NULL, {S("b")}},
		   {"4:13", SQL_REF, NULL, {S("c")}}}},
	{"names must be whole words",
	 "{{ my_ref('a') }}{{ x.ref('b') }}{{ refs('c') }}{{ ref2('d') }}{{ éref('e') }}"
	 "{{ sourcex('s','t') }}{{ 2ref('f') }}{{ ref }}{{ ref['x'] }}", .len = 0},
	{"space and newline before the parenthesis", "{{ ref ('a') }}\n{{ source\n  ('s', 't') }}",
	 .finds = {{"1:4", SQL_REF, "ref ('a')", {S("a")}},
		   {"2:4", SQL_SOURCE, "source\n  ('s', 't')", {S("s"), S("t")}}}},
	{"builtins.ref is dbt's ref", "{{ builtins.ref('a') }}{{ x.builtins.ref('b') }}",
	 .finds = {{"1:13", SQL_REF, "ref('a')", {S("a")}}}},
	{"macro definition is not a call",
	 "{% macro ref(model_name) %}{{ return(builtins.ref(model_name)) }}{% endmacro %}",
	 .finds = {{"1:47", SQL_REF, NULL, {N("model_name")}}},
	 .probs = {{"1:51", false, REFWARN}}},
	{"jinja comment hides calls", "{# {{ ref('a') }} #}{{ ref('b') }}{#- ref('c') -#}",
	 .finds = {{"1:24", SQL_REF, NULL, {S("b")}}}},
	{"sql line comment does not hide jinja", "-- {{ ref('a') }}\nselect 1 -- ref('x') is not jinja",
	 .finds = {{"1:7", SQL_REF, NULL, {S("a")}}}},
	{"sql block comment does not hide jinja", "/* old: {{ ref('a') }} */ select /* { */ 1",
	 .finds = {{"1:12", SQL_REF, NULL, {S("a")}}}},
	{"sql string does not hide jinja", "select '{{ ref(\"a\") }}' as s, 'it''s {{ var(\"v\") }}'",
	 .finds = {{"1:12", SQL_REF, NULL, {S("a")}}, {"1:41", SQL_VAR, NULL, {S("v")}}}},
	{"apostrophes and quotes in sql do not confuse",
	 "-- don't do this\nselect \"it's\" from {{ ref('a') }} where x = 'a\"b' -- it's\n"
	 "and y = '{{ ref(\"b\") }}'",
	 .finds = {{"2:23", SQL_REF, NULL, {S("a")}}, {"3:13", SQL_REF, NULL, {S("b")}}}},
	{"lone braces and bare calls in sql are nothing",
	 "select regexp_like(x, '[0-9]{3}'), '{', \"{\" , ref('a') from t {ref('b')} { { ref('c') } }", .len = 0},
	{"dollar quotes and quoted identifiers",
	 "select $$ it's {{ ref('a') }} $$, $tag$ \" {{ ref('b') }} $tag$, \"we{ird\" from {{ ref('c') }}",
	 .finds = {{"1:19", SQL_REF, NULL, {S("a")}}, {"1:46", SQL_REF, NULL, {S("b")}},
		   {"1:82", SQL_REF, NULL, {S("c")}}}},
	{"closing delimiters inside string literals", "{{ ref('a}}b') }} {% set x = \"%}\" ~ ref('c') %}",
	 .finds = {{"1:4", SQL_REF, NULL, {S("a}}b")}}, {"1:37", SQL_REF, NULL, {S("c")}}}},
	{"escapes in string literals",
	 "{{ ref('it\\'s') }}{{ ref(\"a\\\"b\") }}{{ var('caf\\u00e9\\t\\x41\\\\') }}{{ var('\\q') }}",
	 .finds = {{"1:4", SQL_REF, NULL, {S("it's")}}, {"1:22", SQL_REF, NULL, {S("a\"b")}},
		   {"1:39", SQL_VAR, NULL, {S("caf\xc3\xa9\tA\\")}}, {"1:69", SQL_VAR, NULL, {S("\\q")}}}},
	{"dict literal closes with braces", "{% set d = {'a': {'b': ref('x')}} %}{{ {'k': ref('y')}}}",
	 .finds = {{"1:24", SQL_REF, NULL, {S("x")}}, {"1:46", SQL_REF, NULL, {S("y")}}}},
	{"raw blocks hide calls",
	 "{% raw %}{{ ref('a') }}{% endraw %}{{ ref('b') }}{%- raw -%} {{ ref('c') }} {%+ endraw +%}"
	 "{% rawx %}{{ ref('d') }}",
	 .finds = {{"1:39", SQL_REF, NULL, {S("b")}}, {"1:104", SQL_REF, NULL, {S("d")}}}},
	{"ref of a variable warns", "{{ ref(model_name) }}",
	 .finds = {{"1:4", SQL_REF, NULL, {{NULL, "model_name", false, "model_name"}}}},
	 .probs = {{"1:8", false, REFWARN}}},
	{"ref in a loop warns",
	 "{% for m in ['a', 'b'] %}\nselect * from {{ ref(m ~ '_x') }}\n{% endfor %}",
	 .finds = {{"2:18", SQL_REF, NULL, {N("m ~ '_x'")}}},
	 .probs = {{"2:22", false, REFWARN}}},
	{"source with a var argument warns",
	 "{{ source(var('src'), 't') }}",
	 .finds = {{"1:4", SQL_SOURCE, NULL, {N("var('src')"), S("t")}}, {"1:11", SQL_VAR, NULL, {S("src")}}},
	 .probs = {{"1:11", false, SRCWARN}}},
	{"ref with no arguments", "{{ ref() }} {{ ref(v=2) }}",
	 .probs = {{"1:4", true, "ref() takes a model name"}, {"1:16", true, "not 0 positional"}}},
	{"ref with three arguments", "{{ ref('a', 'b', 'c') }}",
	 .probs = {{"1:4", true, "not 3 positional arguments"}}},
	{"source with wrong arity", "{{ source('s') }}\n{{ source('a', 'b', 'c') }}",
	 .probs = {{"1:4", true, "source() takes a source name and a table name, not 1 positional argument"},
		   {"2:4", true, "not 3 positional"}}},
	{"var with wrong arity", "{{ var() }}{{ var('a', 'b', 'c') }}",
	 .probs = {{"1:4", true, "var() takes"}, {"1:15", true, "not 3 arguments"}}},
	{"trailing comma and empty argument", "{{ ref('a',) }}{{ ref(,) }}{{ ref('a',,'b') }}{{ ref(v=) }}",
	 .finds = {{"1:4", SQL_REF, "ref('a',)", {S("a")}}},
	 .probs = {{"1:23", true, "empty argument in ref() call"}, {"1:39", true, "empty argument"},
		   {"1:56", true, "empty argument"}}},
	{"== is not a keyword argument", "{{ ref(a == 'b') }}",
	 .finds = {{"1:4", SQL_REF, NULL, {N("a == 'b'")}}},
	 .probs = {{"1:8", false, REFWARN}}},
	{"unterminated expression stops the scan", "select {{ ref('a') \nfrom {{ ref('b') }}",
	 .probs = {{"1:8", true, "unterminated Jinja expression"}}},
	{"unterminated statement", "{{ ref('a') }}\n{%- if x \n",
	 .finds = {{"1:4", SQL_REF, NULL, {S("a")}}},
	 .probs = {{"2:1", true, "unterminated Jinja statement"}}},
	{"unterminated comment", "{{ ref('a') }} {# {{ ref('b') }} #",
	 .finds = {{"1:4", SQL_REF, NULL, {S("a")}}},
	 .probs = {{"1:16", true, "unterminated Jinja comment"}}},
	{"unterminated raw", "{% raw %} {{ ref('a') }}",
	 .probs = {{"1:1", true, "unterminated raw block"}}},
	{"unterminated call parenthesis", "{{ ref('a' }} {{ source('s', 't' ~ x }} {{ ref('b') }}",
	 .finds = {{"1:44", SQL_REF, NULL, {S("b")}}},
	 .probs = {{"1:4", true, "unterminated parenthesis in ref() call"},
		   {"1:18", true, "unterminated parenthesis in source() call"}}},
	{"unterminated string literal in a block", "{{ ref('a) }} select 1",
	 .probs = {{"1:8", true, "unterminated string literal"}}},
	{"every block with an unterminated string reports it", "{{ x('a) }} {{ ref(\\'b\\') }}",
	 .probs = {{"1:6", true, "unterminated string literal"}, {"1:21", true, "unterminated string"}}},
	{"unbalanced brackets", "{{ config(x={'a': 1) }}{{ ref('b')] }}\n{{ ref('c') }}",
	 .finds = {{"2:4", SQL_REF, NULL, {S("c")}}},
	 .probs = {{"1:20", true, "unbalanced brackets"}, {"1:35", true, "unbalanced brackets"}}},
	{"nested calls", "{{ config(enabled=var('on', true), alias=var('a')) }}",
	 .finds = {{"1:4", SQL_CONFIG, NULL, {KN("enabled", "var('on', true)"), KN("alias", "var('a')")}},
		   {"1:19", SQL_VAR, NULL, {S("on"), N("true")}}, {"1:42", SQL_VAR, NULL, {S("a")}}}},
	{"calls nested too deep",
	 "{{ var(var(var(var(var(var(var(var(var('x'))))))))) }}",
	 .finds = {{"1:4", SQL_VAR, NULL, {N("var(var(var(var(var(var(var(var('x'))))))))")}},
		   {"1:8", SQL_VAR, NULL, {{0}}}, {"1:12", SQL_VAR, NULL, {{0}}},
		   {"1:16", SQL_VAR, NULL, {{0}}}, {"1:20", SQL_VAR, NULL, {{0}}},
		   {"1:24", SQL_VAR, NULL, {{0}}}, {"1:28", SQL_VAR, NULL, {{0}}}, {"1:32", SQL_VAR, NULL, {N("var('x')")}}},
	 .probs = {{"1:36", true, "nested more than 8 deep"}}},
	{"nul bytes and invalid utf-8 around a call", BIN("\0\xff\xfe{{ ref('a') }}\x80{\0{{ ref(\"b\") }}"),
	 .finds = {{"1:7", SQL_REF, NULL, {S("a")}}, {"1:24", SQL_REF, NULL, {S("b")}}}},
	{"nul byte inside a literal", BIN("{{ ref('a\0b') }}{{ ref('c\\0') }}"),
	 .finds = {{"1:4", SQL_REF, NULL, {N("'a")}}, {"1:20", SQL_REF, NULL, {N("'c\\0'")}}},
	 .probs = {{"1:8", false, REFWARN}, {"1:24", false, REFWARN}}},
	{"jinja comment opener inside a sql string", "select '{#' as a, '#}' as b from {{ ref('a') }}",
	 .finds = {{"1:37", SQL_REF, NULL, {S("a")}}}},
	{"nested blocks are not real blocks", "{{ ref('a') {{ ref('b') }}",
	 .probs = {{"1:1", true, "unterminated Jinja expression"}}},
	{"empty input", "", .len = 0},
	{"lone brace at the end", "select {", .len = 0},
	{"opener at the very end", "select {{", .probs = {{"1:8", true, "unterminated"}}},
	{"crlf lines", "select 1\r\nfrom {{ ref('a') }}\r\n{{ var('x\r\ny') }}",
	 .finds = {{"2:9", SQL_REF, NULL, {S("a")}}, {"3:4", SQL_VAR, NULL, {S("x\ny")}}}},
	{"keyword name followed by string argument", "{{ ref(package='p', 'm') }}",
	 .finds = {{"1:4", SQL_REF, NULL, {KS("package", "p"), S("m")}}}},
	{"attribute access and filters around calls", "{{ ref('a').identifier | upper }}{{ (ref('b')) }}",
	 .finds = {{"1:4", SQL_REF, NULL, {S("a")}}, {"1:38", SQL_REF, NULL, {S("b")}}}},
};

static void
linecol(const char *text, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static bool
at(const char *text, size_t off, const char *want, char got[32])
{
	unsigned l, c;

	linecol(text, off, &l, &c);
	snprintf(got, 32, "%u:%u", l, c);
	return strcmp(got, want) == 0;
}

static bool
spanis(const char *text, uint32_t off, uint32_t len, const char *want)
{
	return strlen(want) == len && memcmp(text + off, want, len) == 0;
}

/* the invariants every scan keeps, whatever the input */
static bool
inbounds(const struct sql_scan *sc, size_t len)
{
	for (size_t i = 0; i < sc->nfinds; i++) {
		const struct sql_find *f = &sc->finds[i];
		if ((size_t)f->off + f->len > len || (f->nargs && !f->args))
			return false;
		for (size_t j = 0; j < f->nargs; j++)
			if ((size_t)f->args[j].off + f->args[j].len > len ||
			    f->args[j].off < f->off || f->args[j].off + f->args[j].len > f->off + f->len ||
			    !f->args[j].value)
				return false;
	}
	for (size_t i = 0; i < sc->nproblems; i++)
		if ((size_t)sc->problems[i].off + sc->problems[i].len > len || !sc->problems[i].msg)
			return false;
	return true;
}

static const char *const kindname[] = {"ref", "source", "config", "var"};

static bool
checkfind(const struct tcase *tc, size_t len, size_t k, const struct sql_find *f)
{
	const struct xfind *x = &tc->finds[k];
	char got[32];
	size_t nx = 0;
	bool ok = true;

	while (nx < MAXA && x->args[nx].value)
		nx++;
	if (f->kind != x->kind || !at(tc->text, f->off, x->at, got)) {
		printf("FAIL %s: find %zu is %s at %s, want %s at %s\n", tc->name, k,
		    kindname[f->kind], got, kindname[x->kind], x->at);
		return false;
	}
	if (x->span && !spanis(tc->text, f->off, f->len, x->span)) {
		printf("FAIL %s: find %zu spans \"%.*s\", want \"%s\"\n", tc->name, k,
		    (int)f->len, tc->text + f->off, x->span);
		ok = false;
	}
	if (f->nargs != nx && (x->args[0].value || x->span)) {
		printf("FAIL %s: find %zu has %zu arguments, want %zu\n", tc->name, k, f->nargs, nx);
		return false;
	}
	for (size_t j = 0; j < nx && j < f->nargs; j++) {
		const struct xarg *xa = &x->args[j];
		const struct sql_arg *a = &f->args[j];
		bool nameok = xa->name ? a->name && strcmp(a->name, xa->name) == 0 : !a->name;
		if (!nameok || strcmp(a->value, xa->value) != 0 || a->is_string != xa->str) {
			printf("FAIL %s: find %zu arg %zu is %s%s%s \"%s\", want %s%s%s \"%s\"\n",
			    tc->name, k, j, a->name ? a->name : "", a->name ? "=" : "",
			    a->is_string ? "string" : "text", a->value, xa->name ? xa->name : "",
			    xa->name ? "=" : "", xa->str ? "string" : "text", xa->value);
			ok = false;
		}
		if (xa->span && !spanis(tc->text, a->off, a->len, xa->span)) {
			printf("FAIL %s: find %zu arg %zu spans \"%.*s\", want \"%s\"\n", tc->name, k,
			    j, (int)a->len, tc->text + a->off, xa->span);
			ok = false;
		}
		/* a non-string value is its source text, so the span must agree */
		if (!a->is_string && !spanis(tc->text, a->off, a->len, a->value) &&
		    !memchr(tc->text + a->off, '\0', a->len)) {
			printf("FAIL %s: find %zu arg %zu value \"%s\" is not its span\n", tc->name,
			    k, j, a->value);
			ok = false;
		}
	}
	(void)len;
	return ok;
}

static bool
runcase(const struct tcase *tc)
{
	size_t len = tc->len ? tc->len : strlen(tc->text);
	struct sql_scan sc = {0};
	size_t nf = 0, np = 0;
	bool ok = true;
	char got[32];

	while (nf < MAXF && tc->finds[nf].at)
		nf++;
	while (np < MAXP && tc->probs[np].at)
		np++;
	sqlscan(tc->text, len, &sc);
	if (!inbounds(&sc, len)) {
		printf("FAIL %s: a span lies outside the input\n", tc->name);
		ok = false;
	}
	if (sc.nfinds != nf) {
		printf("FAIL %s: %zu finds, want %zu\n", tc->name, sc.nfinds, nf);
		for (size_t i = 0; i < sc.nfinds; i++) {
			at(tc->text, sc.finds[i].off, "", got);
			printf("    got %s at %s: %.*s\n", kindname[sc.finds[i].kind], got,
			    (int)sc.finds[i].len, tc->text + sc.finds[i].off);
		}
		ok = false;
	}
	for (size_t i = 0; i < nf && i < sc.nfinds; i++)
		ok &= checkfind(tc, len, i, &sc.finds[i]);
	if (sc.nproblems != np) {
		printf("FAIL %s: %zu problems, want %zu\n", tc->name, sc.nproblems, np);
		ok = false;
	}
	for (size_t i = 0; i < sc.nproblems; i++) {
		const struct sql_problem *p = &sc.problems[i];
		bool match = i < np && p->error == tc->probs[i].error &&
		    at(tc->text, p->off, tc->probs[i].at, got) && strstr(p->msg, tc->probs[i].msg);
		if (!match) {
			at(tc->text, p->off, "", got);
			printf("FAIL %s: problem %zu is %s at %s \"%s\"", tc->name, i,
			    p->error ? "error" : "warning", got, p->msg);
			if (i < np)
				printf(", want %s at %s \"%s\"", tc->probs[i].error ? "error" : "warning",
				    tc->probs[i].at, tc->probs[i].msg);
			printf("\n");
			ok = false;
		}
	}
	sqlscan_free(&sc);
	if (sc.finds || sc.problems || sc.nfinds || sc.nproblems) {
		printf("FAIL %s: sqlscan_free left the result non-empty\n", tc->name);
		ok = false;
	}
	return ok;
}

/* Pathological inputs: head, unit1 repeated, mid, unit2 repeated, tail.
 * Each must finish with every span in bounds, and in linear time: a scanner
 * that rescans would take minutes on these. */
struct stresscase {
	const char *name, *head, *unit1, *mid, *unit2, *tail;
	size_t finds, problems;
};

static const struct stresscase stresses[] = {
	{"many refs", "", "{{ ref('a') }}\n", "", "", "", 200000, 0},
	{"many expression openers", "", "{{ ", "", "", "", 0, 1},
	{"many comment openers", "", "{# ", "", "", "", 0, 1},
	{"many statement openers", "", "{% ", "", "", "", 0, 1},
	{"many raw openers", "", "{% raw %}", "", "", "", 0, 1},
	{"many endraw lookalikes", "{% raw %}", "{% endraw x", "", "", "", 0, 1},
	{"escaped quotes in a block", "{{ '", "\\'", "", "", "", 0, 2},
	{"unclosed calls", "{{ ", "ref(", "", "", " }}", 0, 200000},
	{"deep calls", "{{ ", "ref(", "'a'", ")", " }}", 8, 9},
	{"deep brackets", "{{ ", "[", "ref('a')", "]", " }}", 1, 0},
	{"deep braces", "{{ ", "{", "ref('a')", "}", " }}", 1, 0},
	{"stray closers", "{{ (((", ")", "", "", " }}", 0, 1},
	{"many arguments", "{{ config(", "'a', ", "", "", ") }}", 1, 0},
	{"long sql", "", "select a, '{', \"}\" -- it's {\n", "{{ ref('a') }}", "/* { */", "", 1, 0},
};

static bool
stress(const struct stresscase *st, size_t reps)
{
	struct buf b = {0};
	struct sql_scan sc = {0};
	bool ok = true;

	buf_puts(&b, st->head);
	for (size_t i = 0; i < reps; i++)
		buf_puts(&b, st->unit1);
	buf_puts(&b, st->mid);
	for (size_t i = 0; *st->unit2 && i < reps; i++)
		buf_puts(&b, st->unit2);
	buf_puts(&b, st->tail);
	sqlscan(b.data, b.len, &sc);
	if (!inbounds(&sc, b.len)) {
		printf("FAIL stress %s: a span lies outside the input\n", st->name);
		ok = false;
	}
	if (sc.nfinds != st->finds || sc.nproblems != st->problems) {
		printf("FAIL stress %s: %zu finds and %zu problems, want %zu and %zu\n", st->name,
		    sc.nfinds, sc.nproblems, st->finds, st->problems);
		ok = false;
	}
	sqlscan_free(&sc);
	buf_free(&b);
	return ok;
}

int
main(void)
{
	for (size_t i = 0; i < LEN(cases); i++)
		check_count(runcase(&cases[i]));
	for (size_t i = 0; i < LEN(stresses); i++)
		check_count(stress(&stresses[i], 200000));
	return check_done("sqlscan");
}
