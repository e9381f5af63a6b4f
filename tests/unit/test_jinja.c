/* test_jinja.c: table-driven tests of the Jinja renderer (runtime/jinja.c).
 *
 * Each case is a template with the exact text it must render to, or the
 * error it must give: a part of the message, its line:col, the file it is
 * in (the template, or one of the macro files below) and whether it needs
 * dbt. Expected texts of the plain-Jinja cases were checked against Jinja2
 * 3.1 configured as dbt configures it; the dbt functions answer from the
 * small host below. Then: macro files that fail to load, input that is not
 * NUL-terminated, and the limits (each an error, never a crash).
 *
 * Build: see tests/run.sh (every tests/unit/test_*.c links the core). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja.h"
#include "util.h"
#include "check.h"

/* ---- the host: what dbt would answer ---- */

struct hostctx {
	char buf[256];
};

static bool
h_ref(void *ctx, const char *package, const char *name, char **out, const char **why)
{
	struct hostctx *h = ctx;
	if (strcmp(name, "no_such_model") == 0)
		return false;
	if (strcmp(name, "disabled") == 0) {
		*why = "ref('disabled'): the model is disabled";
		return false;
	}
	snprintf(h->buf, sizeof(h->buf), "\"%s\".\"%s\"", package ? package : "main", name);
	*out = h->buf;
	return true;
}

static bool
h_source(void *ctx, const char *source, const char *table, char **out, const char **why)
{
	struct hostctx *h = ctx;
	(void)why;
	if (strcmp(source, "raw") != 0)
		return false;
	snprintf(h->buf, sizeof(h->buf), "\"raw\".\"%s\"", table);
	*out = h->buf;
	return true;
}

static bool
h_var(void *ctx, const char *name, char **out)
{
	static const struct {
		const char *name, *json;
	} vars[] = {
		{"n", "3"}, {"f", "2.5"}, {"flag", "true"}, {"nothing", "null"}, {"s", "plain text"},
		{"q", "\"quoted \\\"json\\\" \\u00e9\""}, {"l", "[\"a\", 2, {\"k\": null}]"},
		{"m", "{\"x\": [1, 2], \"y\": \"z\"}"}, {"date", "2024-01-31"}, {"bad", "[1, 2"},
	};
	(void)ctx;
	for (size_t i = 0; i < LEN(vars); i++) {
		if (strcmp(vars[i].name, name) == 0) {
			*out = (char *)vars[i].json;
			return true;
		}
	}
	return false;
}

static const char *
h_env(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "DPC_TEST_SET") == 0 ? "from env" : NULL;
}

/* ---- the project's macro files ---- */

static const char *const macro_paths[] = {"macros/util.sql", "macros/other.sql"};
static const char *const macro_texts[] = {
	/* macros/util.sql */
	"{% macro cents_to_dollars(col, scale=2) -%}\n"
	"    round({{ col }} / 100.0, {{ scale }})\n"
	"{%- endmacro %}\n"
	"\n"
	"{% macro greet(name, greeting='hello', punct='!') %}{{ greeting }} {{ name }}{{ punct }}{% endmacro %}\n"
	"{% macro double(x) %}{{ return(x * 2) }}{% endmacro %}\n"
	"{% macro cols(prefix) %}{% set out = [] %}{% for c in ['a', 'b'] %}{% do out.append(prefix ~ c) %}{% endfor %}"
	"{{ return(out) }}{% endmacro %}\n"
	"{% macro uses_pkg() %}{{ dbt_utils.star('x') }}{% endmacro %}\n"
	"{% macro broken() %}\n"
	"  {{ 1 + 'a' }}\n"
	"{% endmacro %}\n"
	"{% macro fact(n) %}{% if n <= 1 %}{{ return(1) }}{% endif %}{{ return(n * fact(n - 1)) }}{% endmacro %}\n"
	"{% macro forever(n) %}{{ forever(n + 1) }}{% endmacro %}\n"
	"{% macro ref_it(m) %}{{ ref(m) }}{% endmacro %}\n"
	"{% macro sees(x) %}{{ x }}/{{ outer_var }}{% endmacro %}\n"
	"{% test my_test(model) %}select 1{% endtest %}\n"
	"{% materialization custom, default %}{% call statement('main') %}select 1{% endcall %}"
	"{% endmaterialization %}\n",
	/* macros/other.sql */
	"{% macro shout(x) %}{{ x | upper }}{% endmacro %}\n"
	"outside any macro: ignored {{ like_dbt }}\n",
};

/* ---- the cases ---- */

enum { INCR = 1, NOHOST = 2 };

struct tcase {
	const char *name;
	const char *text;
	const char *want; /* the rendered text; NULL when an error is expected */
	const char *err;  /* a part of the error message */
	const char *at;   /* its line:col */
	bool needs_dbt;
	const char *in;   /* its file: NULL for the template, else a macro path */
	unsigned flags;
};

#define OUT(n, t, w) {n, t, w, NULL, NULL, false, NULL, 0}
#define ERR(n, t, e, a) {n, t, NULL, e, a, false, NULL, 0}
#define DBT(n, t, e, a) {n, t, NULL, e, a, true, NULL, 0}

static const struct tcase cases[] = {
	/* text and whitespace, as dbt configures Jinja */
	OUT("plain text", "select 1 from t", "select 1 from t"),
	OUT("one trailing newline dropped", "select 1\n", "select 1"),
	OUT("second trailing newline kept", "select 1\n\n", "select 1\n"),
	OUT("empty template", "", ""),
	OUT("crlf becomes lf", "a\r\nb\rc\r\n", "a\nb\nc"),
	OUT("blocks keep their newlines", "a\n{% if true %}\nb\n{% endif %}\nc", "a\n\nb\n\nc"),
	OUT("{%- strips before", "a  \n  {%- if true %}b{% endif %}", "ab"),
	OUT("-%} strips after", "{% if true -%}  \n  b{% endif %}", "b"),
	OUT("{{- -}}", "a  {{- 'b' -}}  c", "abc"),
	OUT("{#- -#}", "a {#- c -#} b {# c #} d", "ab  d"),
	OUT("strip across a block", "a  {%- if true -%}  b  {%- endif -%}  c", "abc"),
	OUT("loop with -%} and {%-", "{% for i in [1, 2] -%}\n  {{ i }}\n{%- endfor %}", "12"),
	OUT("columns one per line", "select\n{%- for c in ['a', 'b'] %}\n  {{ c }}{% if not loop.last %},{% endif %}\n{%- endfor %}\nfrom t",
	    "select\n  a,\n  b\nfrom t"),
	OUT("+%} changes nothing", "{% if true +%}\nx{%+ endif %}", "\nx"),
	OUT("comment", "a{# {{ not this }} %} #}b", "ab"),
	OUT("raw", "{% raw %}{{ x }}{% if %}{% endraw %}", "{{ x }}{% if %}"),
	OUT("raw with whitespace control", "a {%- raw -%}  {{ x }}  {%- endraw -%} b", "a{{ x }}b"),
	OUT("delimiters inside strings", "{{ '}}' ~ \"%}\" ~ '{{' }}", "}}%}{{"),
	OUT("dict literal closes with }}", "{{ {'a': {'b': 1}} }}", "{'a': {'b': 1}}"),
	OUT("tight tags", "{%if true%}{{1+1}}{%endif%}", "2"),

	/* literals and how values print (Python's str and repr) */
	OUT("ints", "{{ 1 }} {{ -1 }} {{ 1_000 }} {{ 9223372036854775807 }}", "1 -1 1000 9223372036854775807"),
	OUT("floats", "{{ 1.0 }} {{ 1.5 }} {{ 100.0 }} {{ 0.1 + 0.2 }} {{ 1e15 }} {{ 1e16 }} {{ 1.23e-4 }} {{ 1.23e-5 }}",
	    "1.0 1.5 100.0 0.30000000000000004 1000000000000000.0 1e+16 0.000123 1.23e-05"),
	OUT("more floats", "{{ 1e22 }} {{ -0.0 }} {{ 1 / 3 }} {{ 5e-324 }} {{ 1.0e308 * 10 }}",
	    "1e+22 -0.0 0.3333333333333333 5e-324 inf"),
	OUT("booleans and none", "{{ true }} {{ True }} {{ false }} {{ False }} {{ none }} {{ None }}",
	    "True True False False None None"),
	OUT("lists and tuples", "{{ [1, 'a', none, true, 1.5] }} {{ (1, 2) }} {{ (1,) }} {{ () }} {{ [] }}",
	    "[1, 'a', None, True, 1.5] (1, 2) (1,) () []"),
	OUT("dicts keep order", "{{ {'b': 1, 'a': [2], 3: none} }} {{ {} }}", "{'b': 1, 'a': [2], 3: None} {}"),
	OUT("repr quotes", "{{ [\"it's\", 'say \"hi\"', \"both ' \\\"\", 'a\\nb\\\\'] }}",
	    "[\"it's\", 'say \"hi\"', 'both \\' \"', 'a\\nb\\\\']"),
	OUT("string escapes", "{{ 'tab\\there' }}|{{ \"\\x41\\u00e9\" }}|{{ '\\d+' }}|{{ 'a' 'b' }}", "tab\there|Aé|\\d+|ab"),
	OUT("undefined prints nothing", "[{{ nothing_here }}]", "[]"),

	/* operators */
	OUT("arithmetic", "{{ 1 + 2 * 3 }} {{ 7 / 2 }} {{ 10 / 5 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }}",
	    "7 3.5 2.0 3 -4 2 -2 1024"),
	OUT("float arithmetic", "{{ 7.5 % 2 }} {{ -7.5 // 2 }} {{ 2 ** -1 }} {{ 2.0 ** 3 }} {{ 1 + true }}", "1.5 -4.0 0.5 8.0 2"),
	OUT("precedence", "{{ 10 - 3 - 2 }} {{ 2 * 3 % 4 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ 1 - -1 }}", "5 2 64 4 2"),
	OUT("string and list operators", "{{ 'a' + 'b' }} {{ 'ab' * 3 }} {{ 3 * 'ab' }} {{ [1] * 3 }} {{ [1, 2] + [3] }} [{{ 'x' * -1 }}]",
	    "ab ababab ababab [1, 1, 1] [1, 2, 3] []"),
	OUT("~ joins anything", "{{ 'a' ~ 1 ~ none ~ true ~ 1.5 ~ [1] ~ nothing_here }}", "a1NoneTrue1.5[1]"),
	OUT("~ around quotes", "{% set x = 'v' %}{{ \"'\" ~ x ~ \"'\" }}", "'v'"),
	OUT("~ binds tighter than +", "{{ 'a' ~ 'b' | upper }} {{ ('a' ~ 1) + 'c' }}", "aB a1c"),
	OUT("comparisons", "{{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 1 < 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}",
	    "True True True True True True False"),
	OUT("equality of containers", "{{ [1, 2] == [1, 2] }} {{ (1, 2) == [1, 2] }} {{ {'a': 1} == {'a': 1} }} {{ 1 == true }} {{ none == none }}",
	    "True False True True True"),
	OUT("in and not in", "{{ 'b' in 'abc' }} {{ 1 in [1, 2] }} {{ 'a' in {'a': 1} }} {{ 'z' not in 'abc' }} {{ 3 not in [1, 2] }}",
	    "True True True True True"),
	OUT("and or not return operands", "{{ not 1 }} {{ not '' }} {{ 1 and 2 }} {{ 0 and 2 }} {{ 0 or 'x' }} {{ '' or [] }} {{ not 1 == 2 }}",
	    "False True 2 0 x [] True"),
	OUT("conditional expression", "{{ 1 if true }}|{{ 1 if false }}|{{ 'a' if 0 else 'b' if 1 else 'c' }}", "1||b"),
	OUT("subscripts and slices", "{{ 'abcdef'[1] }} {{ 'abcdef'[-1] }} {{ 'abcdef'[1:3] }} {{ 'abcdef'[::-1] }} {{ 'abcdef'[::2] }} {{ [1, 2, 3, 4][1:] }} {{ [1, 2, 3, 4][:-1] }} [{{ [1][5] }}]",
	    "b f bc fedcba ace [2, 3, 4] [1, 2, 3] []"),
	OUT("attribute and item access", "{{ {'a': {'b': 1}}.a.b }} {{ {'a': {'b': 1}}['a']['b'] }} [{{ {'a': 1}.z }}] {{ [[1, 2]][0][1] }}",
	    "1 1 [] 2"),
	OUT("utf-8 by character", "{{ 'héllo' | length }} {{ 'héllo'[1] }} {{ 'héllo'[:2] }} {{ 'hé' | reverse }}", "5 é hé éh"),

	/* filters */
	OUT("case filters", "{{ 'Hello World' | lower }} {{ 'hello' | upper }} {{ 'hello world' | title }} {{ 'hELLO' | capitalize }}",
	    "hello world HELLO Hello World Hello"),
	OUT("case beyond ascii", "{{ 'é' | upper }}{{ 'ÉA' | lower }}{{ 'ПРИВЕТ' | lower }}{{ 'łódź' | upper }}", "ÉéaприветŁÓDŹ"),
	OUT("trim", "[{{ '  x  ' | trim }}] [{{ 'xxaxx' | trim('x') }}]", "[x] [a]"),
	OUT("replace", "{{ 'aaa' | replace('a', 'b') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ 'abc' | replace('', '-') }} {{ 'A-B' | lower | replace('-', '_') }}",
	    "bbb bba -a-b-c- a_b"),
	OUT("join", "{{ [1, 2, 3] | join(', ') }} {{ ['a', 'b'] | join }} {{ 'abc' | join('-') }} {{ [{'n': 'x'}, {'n': 'y'}] | join(',', attribute='n') }}",
	    "1, 2, 3 ab a-b-c x,y"),
	OUT("default", "{{ x | default('d') }} {{ none | default('d') }} {{ '' | default('d', true) }} {{ 0 | d('z', boolean=true) }} [{{ y | default }}]",
	    "d None d z []"),
	OUT("length and count", "{{ [1, 2, 3] | length }} {{ {'a': 1} | length }} {{ 'abc' | count }} {{ nothing | length }}", "3 1 3 0"),
	OUT("list", "{{ 'abc' | list }} {{ {'a': 1, 'b': 2} | list }} {{ (1, 2) | list }} {{ range(3) | list }}",
	    "['a', 'b', 'c'] ['a', 'b'] [1, 2] [0, 1, 2]"),
	OUT("int", "{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 4.9 | int }} {{ '0x1A' | int(0, 16) }} {{ true | int }} {{ ' -12 ' | int }}",
	    "42 4 0 7 4 26 1 -12"),
	OUT("float and string", "{{ '1.5' | float }} {{ 'x' | float }} {{ 3 | float }} {{ 1 | string ~ 'x' }} {{ [1] | string }}",
	    "1.5 0.0 3.0 1x [1]"),
	OUT("first and last", "{{ [3, 1, 2] | first }} {{ [3, 1, 2] | last }} {{ 'abc' | first }} [{{ [] | first }}]", "3 2 a []"),
	OUT("sort", "{{ [3, 1, 2] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} {{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}",
	    "[1, 2, 3] [3, 2, 1] ['A', 'b', 'c'] ['A', 'b', 'c']"),
	OUT("sort by attribute", "{{ [{'n': 'a', 'v': 2}, {'n': 'b', 'v': 1}] | sort(attribute='v') | map(attribute='n') | join }}", "ba"),
	OUT("unique and reverse", "{{ [1, 2, 1, 3] | unique | list }} {{ ['a', 'A', 'b'] | unique | list }} {{ [1, 2, 3] | reverse | list }} {{ 'abc' | reverse }}",
	    "[1, 2, 3] ['a', 'b'] [3, 2, 1] cba"),
	OUT("numbers", "{{ -3 | abs }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 2.1 | round(method='ceil') }} {{ 2.9 | round(0, 'floor') }} {{ 5 | round }}",
	    "3 2.0 4.0 2.67 3.0 2.0 5"),
	OUT("sum min max", "{{ [1, 2, 3] | sum }} {{ [1.5, 2] | sum }} {{ [3, 1, 2] | min }} {{ [3, 1, 2] | max }} {{ ['b', 'A'] | max }}",
	    "6 3.5 1 3 b"),
	OUT("map", "{{ ['a', 'b'] | map('upper') | list }} {{ [1, 2] | map('string') | join('+') }} {{ [{'a': 1}, {}] | map(attribute='a', default=0) | list }}",
	    "['A', 'B'] 1+2 [1, 0]"),
	OUT("items and dbt's text filters", "{{ {'a': 1} | items | list }} {{ '3' | as_number }} {{ 'x' | as_text }} {{ true | as_bool }} {{ 'y' | safe }}",
	    "[('a', 1)] 3 x True y"),
	OUT("filter chain", "{{ ['x', 'y'] | join(', ') | upper }}", "X, Y"),

	/* tests */
	OUT("is defined / is none", "{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ 1 is none }} {{ x is not defined }} {{ none is not none }}",
	    "False True True False True False"),
	OUT("number tests", "{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 1 is number }} {{ 1.0 is float }} {{ 1 is integer }}",
	    "True True True False True True True"),
	OUT("kind tests", "{{ 'a' is string }} {{ {} is mapping }} {{ [] is sequence }} {{ [1] is iterable }} {{ true is boolean }} {{ 'abc' is lower }} {{ 'ABC' is upper }}",
	    "True True True True True True True"),
	OUT("comparison tests", "{{ 1 is eq 1 }} {{ 1 is ne 2 }} {{ 1 is lt 2 }} {{ 2 is ge 2 }} {{ 3 is gt 2 }} {{ 3 is le 2 }} {{ 'x' is in 'xyz' }}",
	    "True True True True True False True"),

	/* methods */
	OUT("string methods", "{{ 'abc'.upper() }} {{ 'ABC'.lower() }} [{{ '  a '.strip() }}] {{ 'xax'.strip('x') }} [{{ '  a '.lstrip() }}] [{{ '  a '.rstrip() }}] {{ 'aXbX'.replace('X', '-') }}",
	    "ABC abc [a] a [a ] [  a] a-b-"),
	OUT("split", "{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ ''.split(',') }} {{ ''.split() }} {{ ' a  b  c '.split(none, 1) }}",
	    "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] [''] [] ['a', 'b  c ']"),
	OUT("more string methods", "{{ 'abc'.startswith('a') }} {{ 'abc'.endswith(('x', 'c')) }} {{ ', '.join(['a', 'b']) }} {{ 'hello world'.title() }} {{ 'banana'.count('a') }} {{ 'banana'.find('n') }}",
	    "True True a, b Hello World 3 2"),
	OUT("format", "{{ '{} and {}'.format(1, 'b') }} {{ '{0}{0}'.format('x') }} {{ '{a}-{b}'.format(a=1, b=2) }} {{ '{{x}}'.format() }}",
	    "1 and b xx 1-2 {x}"),
	OUT("list methods", "{% set l = [1] %}{% do l.append(2) %}{% do l.extend([3, 4]) %}{{ l }} {{ l.pop() }} {{ l }} {% do l.insert(0, 0) %}{{ l }} {{ l.index(2) }} {{ l.count(1) }} {% do l.remove(0) %}{{ l }}",
	    "[1, 2, 3, 4] 4 [1, 2, 3] [0, 1, 2, 3] 2 1 [1, 2, 3]"),
	OUT("dict methods", "{% set d = {'a': 1} %}{% do d.update({'b': 2}) %}{% do d.update(c=3) %}{{ d }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }} {{ d.pop('a') }} {{ d }}",
	    "{'a': 1, 'b': 2, 'c': 3} ['a', 'b', 'c'] [1, 2, 3] 1 None 0 1 {'b': 2, 'c': 3}"),
	OUT("append prints None", "{% set l = [] %}{{ l.append(1) }}{{ l }}", "None[1]"),

	/* set */
	OUT("set", "{% set x = 1 %}{% set y = x + 1 %}{{ x }}{{ y }}", "12"),
	OUT("set unpacks", "{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set t = 1, 2 %}{{ t }}", "12 (1, 2)"),
	OUT("block set", "{% set x %}block {{ 1 + 1 }}{% endset %}[{{ x }}]", "[block 2]"),
	OUT("block set with a filter", "{% set x | upper | replace('O', '0') %}shout{% endset %}{{ x }}", "SH0UT"),
	OUT("namespace", "{% set ns = namespace(found=false, n=0) %}{% for i in [1, 2, 3] %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.found }} {{ ns.n }}",
	    "True 6"),
	OUT("dict()", "{{ dict(a=1, b='x') }}", "{'a': 1, 'b': 'x'}"),
	OUT("if does not scope", "{% set x = 5 %}{% if true %}{% set x = 6 %}{% endif %}{{ x }}", "6"),

	/* for */
	OUT("dbt pivot",
	    "{% set methods = ['a','b'] %}{% for m in methods %}sum(case when x = '{{ m }}' then 1 end) as {{ m }}{% if not loop.last %},{% endif %}{% endfor %}",
	    "sum(case when x = 'a' then 1 end) as a,sum(case when x = 'b' then 1 end) as b"),
	OUT("loop variables", "{% for i in [1, 2, 3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }};{% endfor %}",
	    "10TrueFalse332;21FalseFalse321;32FalseTrue310;"),
	OUT("loop.cycle, previtem, nextitem", "{% for i in [1, 2, 3] %}{{ loop.cycle('o', 'e') }}{{ loop.previtem }}-{{ loop.nextitem }} {% endfor %}",
	    "o-2 e1-3 o2- "),
	OUT("for else", "{% for i in [] %}x{% else %}empty{% endfor %} {% for i in [1] %}x{% else %}empty{% endfor %}", "empty x"),
	OUT("for if", "{% for i in [1, 2, 3, 4] if i is even %}{{ i }}{{ loop.length }}{% endfor %}", "2242"),
	OUT("break and continue", "{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}",
	    "02"),
	OUT("one-name tuple target", "{% for (a,) in [(1,), [2]] %}{{ a }}{% endfor %}{% set (b,) = [3] %}{{ b }}", "123"),
	OUT("tuple unpacking", "{% for a, b in [(1, 2), (3, 4)] %}{{ a }}{{ b }}{% endfor %} {% for k, v in {'x': 1, 'y': 2}.items() %}{{ k }}={{ v }};{% endfor %}",
	    "1234 x=1;y=2;"),
	OUT("over dicts and strings", "{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %} {% for c in 'ab' %}{{ c }}.{% endfor %} {% for i in nothing %}x{% endfor %}",
	    "xy a.b. "),
	OUT("range", "{% for i in range(3) %}{{ i }}{% endfor %} {% for i in range(1, 4) %}{{ i }}{% endfor %} {% for i in range(10, 0, -3) %}{{ i }},{% endfor %} {{ range(5, 2) | list }}",
	    "012 123 10,7,4,1, []"),
	OUT("nested loops", "{% for i in [1, 2] %}{{ loop.index }}{% for j in [1] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}",
	    "111212"),
	OUT("loop scope", "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% set y = 3 %}{% endfor %}{{ x }} {{ y is defined }}",
	    "1 False"),
	OUT("loop walks a copy", "{% set l = [1, 2] %}{% for i in l %}{% do l.append(i) %}{% endfor %}{{ l }}", "[1, 2, 1, 2]"),

	/* if */
	OUT("if elif else", "{% if 1 %}a{% elif 2 %}b{% else %}c{% endif %}{% if 0 %}a{% elif 2 %}b{% else %}c{% endif %}{% if 0 %}a{% elif 0 %}b{% else %}c{% endif %}{% if 0 %}a{% endif %}",
	    "abc"),
	OUT("truthiness", "{% for v in [0, 1, '', 'x', [], [0], {}, none, 0.0] %}{{ 'T' if v else 'F' }}{% endfor %}", "FTFTFTFFF"),

	/* macros in the template */
	OUT("macro defaults and keyword arguments", "{% macro m(a, b=2, c='x') %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 3) }} {{ m(1, c='z') }} {{ m(a=5) }} [{{ m() }}]",
	    "12x 13x 12z 52x [2x]"),
	OUT("macro varargs and kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}", "1(2,){'k': 3}"),
	OUT("macro calls a later macro", "{% macro outer() %}<{{ inner() }}>{% endmacro %}{% macro inner() %}in{% endmacro %}{{ outer() }}", "<in>"),
	OUT("macro recursion", "{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(3) }}", "321"),
	OUT("macro sees the template's variables", "{% set g = 'global' %}{% macro m() %}{{ g }}{% endmacro %}{{ m() }}", "global"),
	OUT("macro output is a string", "{% macro m(x) %}{{ x | upper }}{% endmacro %}{% set v = m('a') %}{{ v ~ v }}", "AA"),
	OUT("macro scope", "{% macro f() %}{% set z = 1 %}{% endmacro %}{{ f() }}{{ z is defined }}", "False"),
	OUT("return()", "{% macro m(a) %}{{ return(a * 2) }}ignored{% endmacro %}{{ m(21) }} {{ m(1) + 1 }}", "42 3"),
	OUT("return() stops the macro", "{% macro m() %}{% for i in [1, 2] %}{% if i == 2 %}{{ return(i) }}{% endif %}{% endfor %}{{ return(0) }}{% endmacro %}{{ m() }}",
	    "2"),
	OUT("macro made in a loop", "{% set fs = [] %}{% for i in [1, 2] %}{% macro f() %}{{ i }}{% endmacro %}{% do fs.append(f) %}{% endfor %}{{ fs[0]() }}{{ fs[1]() }}",
	    "12"),

	/* macros from the project's macros/ */
	OUT("project macro with defaults", "select {{ cents_to_dollars('amount') }}, {{ cents_to_dollars('fee', scale=4) }}",
	    "select round(amount / 100.0, 2), round(fee / 100.0, 4)"),
	OUT("project macro keyword arguments", "{{ greet('ann') }} {{ greet('bob', punct='?') }} {{ greet(greeting='hi', name='cy') }}",
	    "hello ann! hello bob? hi cy!"),
	OUT("project macros return values", "{{ double(4) + 1 }} {{ cols('x_') }} {{ fact(5) }} {{ shout('a') }}", "9 ['x_a', 'x_b'] 120 A"),
	OUT("project macro calls ref", "{{ ref_it('orders') }}", "\"main\".\"orders\""),
	OUT("project macros do not see the model's variables", "{% set outer_var = 'v' %}{{ sees(1) }}", "1/"),
	OUT("a model's macro overrides nothing outside", "{% macro shout(x) %}quiet{% endmacro %}{{ shout('a') }}", "quiet"),

	/* dbt */
	OUT("ref and source", "select * from {{ ref('orders') }} join {{ ref('pkg', 'm') }} using (id) join {{ source('raw', 'events') }}",
	    "select * from \"main\".\"orders\" join \"pkg\".\"m\" using (id) join \"raw\".\"events\""),
	OUT("relation parts", "{{ ref('orders').identifier }} {{ ref('orders').schema }} {{ ref('orders').database }} {{ source('raw', 'e').name }}",
	    "orders main None e"),
	OUT("this", "{{ this }} {{ this.schema }}.{{ this.identifier }} {{ this.name }} {{ this.render() }}",
	    "\"main\".\"cur\" main.cur cur \"main\".\"cur\""),
	OUT("config renders nothing", "{{ config(materialized='incremental', unique_key=['a', 'b']) }}\nselect 1", "\nselect 1"),
	OUT("var", "{{ var('n') + 1 }} {{ var('f') * 2 }} {{ var('flag') }} {{ var('nothing') }} {{ var('s') }} {{ var('q') }}",
	    "4 5.0 True None plain text quoted \"json\" é"),
	OUT("var lists, maps and plain text", "{{ var('l') }} {{ var('l')[2].k }} {{ var('m').x | sum }} {{ var('m')['y'] }} {{ var('date') }} {{ var('bad') }}",
	    "['a', 2, {'k': None}] None 3 z 2024-01-31 [1, 2"),
	OUT("var defaults", "{{ var('unset', 'dflt') }} {{ var('unset', default=[1]) }} {{ var('n', 0) }}", "dflt [1] 3"),
	OUT("env_var", "{{ env_var('DPC_TEST_SET') }} {{ env_var('DPC_TEST_UNSET', 'dflt') }} {{ env_var('DPC_TEST_UNSET', default=5) }}",
	    "from env dflt 5"),
	OUT("is_incremental false", "{% if is_incremental() %}where x > (select max(x) from {{ this }}){% endif %}", ""),
	{"is_incremental true", "{% if is_incremental() %}where x > (select max(x) from {{ this }}){% endif %}",
	 "where x > (select max(x) from \"main\".\"cur\")", NULL, NULL, false, NULL, INCR},
	OUT("target and execute", "{{ target.name }} {{ target.schema }} {{ target.type }} {% if execute %}yes{% endif %}", "dev main sqlite yes"),
	OUT("log and builtins", "{{ log('hi', info=true) }}{{ builtins.ref('o') }}", "\"main\".\"o\""),
	OUT("a typical incremental model",
	    "{{ config(materialized='incremental', unique_key='ride_date') }}\n\n"
	    "select date(started_at) as ride_date, count(*) as rides\n"
	    "from {{ ref('stg_trips') }}\n"
	    "{% if is_incremental() %}\n"
	    "where started_at > (select max(ride_date) from {{ this }})\n"
	    "{% endif %}\n"
	    "group by 1\n",
	    "\n\nselect date(started_at) as ride_date, count(*) as rides\nfrom \"main\".\"stg_trips\"\n\ngroup by 1"),

	/* what needs dbt, at its place */
	DBT("package macro", "select\n  {{ dbt_utils.star(ref('orders')) }}\nfrom t", "'dbt_utils.star' needs dbt", "2:6"),
	DBT("adapter.dispatch", "{{ adapter.dispatch('x')() }}", "'adapter.dispatch' needs dbt", "1:4"),
	DBT("run_query", "{% set r = run_query('select 1') %}", "'run_query' needs dbt", "1:12"),
	DBT("unknown macro", "{{ some_package_macro(1) }}", "'some_package_macro' needs dbt", "1:4"),
	DBT("call block", "a\n{% call statement('x') %}select 1{% endcall %}", "{% call %} needs dbt", "2:4"),
	DBT("include", "{% include 'x.sql' %}", "{% include %} needs dbt", "1:4"),
	DBT("unknown filter", "{{ 'x' | wordwrap(3) }}", "filter 'wordwrap' needs dbt", "1:10"),
	DBT("unknown test", "{{ 1 is escaped }}", "test 'escaped' needs dbt", "1:9"),
	DBT("unknown string method", "{{ 'x'.zfill(3) }}", "'x'.zfill()' needs dbt", "1:4"),
	DBT("relation method", "{{ this.include(database=false) }}", "'this.include' needs dbt", "1:4"),
	DBT("modules", "{{ modules.datetime.date.today() }}", "'modules.datetime' needs dbt", "1:4"),
	DBT("string % formatting", "{{ '%s' % 1 }}", "'%' string formatting needs dbt", "1:4"),
	DBT("versioned ref", "{{ ref('m', v=2) }}", "versioned ref() needs dbt", "1:4"),
	{"package macro inside a project macro", "{{ uses_pkg() }}", NULL, "'dbt_utils.star' needs dbt", "8:26", true,
	 "macros/util.sql", 0},
	{"ref without a host", "{{ ref('m') }}", NULL, "ref() needs dbt", "1:4", true, NULL, NOHOST},
	{"this without a host", "{{ this }}", NULL, "'this' needs dbt", "1:4", true, NULL, NOHOST},
	{"target without a host", "{{ target.name }}", NULL, "'target.name' needs dbt", "1:4", true, NULL, NOHOST},
	OUT("what needs dbt in a branch not taken", "{% if false %}{{ dbt_utils.star(x) }}{% call y() %}{% endcall %}{% endif %}ok", "ok"),

	/* errors in the template, at their place */
	ERR("unclosed {{", "a\n{{ x", "unclosed {{: expected '}}'", "2:1"),
	ERR("unclosed block", "{% for x in y %}\n{{ x }}", "{% for %} is never closed: expected {% endfor %}", "1:4"),
	ERR("unclosed if", "{% if x %}a{% else %}b", "{% if %} is never closed: expected {% endif %}", "1:4"),
	ERR("stray end tag", "a {% endif %}", "unexpected {% endif %}", "1:6"),
	ERR("wrong end tag", "{% for x in y %}{% endif %}", "unexpected {% endif %}: expected {% endfor %}", "1:20"),
	ERR("unknown tag", "{% frobnicate %}", "unknown tag 'frobnicate'", "1:4"),
	ERR("unterminated string", "{{ 'abc }}", "unterminated string", "1:4"),
	ERR("missing expression", "{{ }}", "expected an expression, got '}}'", "1:4"),
	ERR("bad token", "{{ 1 + }}", "expected an expression, got '}}'", "1:8"),
	ERR("two expressions", "{{ a b }}", "expected '}}', got 'b'", "1:6"),
	ERR("unexpected character", "{{ a ! b }}", "unexpected character '!'", "1:6"),
	ERR("unclosed comment", "x {# never", "unclosed comment", "1:3"),
	ERR("unclosed raw", "{% raw %}x", "{% raw %} is never closed", "1:1"),
	ERR("break outside a loop", "{% break %}", "{% break %} outside a loop", "1:4"),
	ERR("positional after keyword", "{{ f(a=1, 2) }}", "positional argument follows keyword argument", "1:11"),
	ERR("default before plain parameter", "{% macro m(a=1, b) %}{% endmacro %}", "parameter without a default follows one with a default", "1:17"),
	ERR("syntax error in a branch not taken", "{% if false %}{{ 1 + }}{% endif %}", "expected an expression", "1:22"),
	ERR("bad escape", "{{ '\\x4' }}", "bad \\x escape", "1:5"),
	ERR("integer literal too large", "{{ 99999999999999999999 }}", "integer literal too large", "1:4"),

	/* errors while rendering */
	ERR("str + int", "{{ 'a' + 1 }}", "unsupported operand types for +: 'str' and 'int'", "1:4"),
	ERR("undefined in arithmetic", "{{ nope + 1 }}", "'nope' is undefined", "1:4"),
	ERR("columns count characters", "-- é\né {{ 1 + 'a' }}", "unsupported operand types", "2:6"),
	ERR("division by zero", "\n  {{ 1 / 0 }}", "division by zero", "2:6"),
	ERR("integer overflow", "{{ 9223372036854775807 + 1 }}", "integer overflow", "1:4"),
	ERR("no such model", "{{ ref('no_such_model') }}", "ref('no_such_model'): no such model", "1:4"),
	ERR("the host says why", "{{ ref('disabled') }}", "the model is disabled", "1:4"),
	ERR("no such source", "{{ source('other', 't') }}", "source('other', 't'): no such source table", "1:4"),
	ERR("ref of a number", "{{ ref(1) }}", "ref(): arguments must be strings, not int", "1:4"),
	ERR("var unset", "{{ var('unset') }}", "var('unset') is not set", "1:4"),
	ERR("env_var unset", "{{ env_var('DPC_TEST_UNSET') }}", "env_var('DPC_TEST_UNSET'): the environment variable is not set", "1:4"),
	ERR("return outside a macro", "{{ return(1) }}", "return() outside a macro", "1:4"),
	ERR("too many macro arguments", "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", "macro 'm' takes 1 argument, 2 given", "1:34"),
	ERR("unknown keyword argument", "{% macro m(a) %}{% endmacro %}{{ m(b=1) }}", "macro 'm' has no parameter 'b'", "1:34"),
	ERR("two values for a parameter", "{% macro m(a) %}{% endmacro %}{{ m(1, a=2) }}", "macro 'm' got two values for 'a'", "1:34"),
	ERR("too many filter arguments", "{{ 'x' | upper(1) }}", "upper takes at most 1 argument", "1:10"),
	ERR("not callable", "{% set x = 1 %}{{ x() }}", "'int' object is not callable", "1:19"),
	ERR("unpacking", "{% for a, b in [1] %}{% endfor %}", "cannot unpack int into 2 names", "1:16"),
	ERR("unpacking count", "{% set a, b = [1, 2, 3] %}", "too many: 2 values to unpack, got 3", "1:15"),
	ERR("set attribute of a dict", "{% set d = {} %}{% set d.x = 1 %}", "only a namespace() takes attributes", "1:20"),
	ERR("raise_compiler_error", "{% if true %}{{ exceptions.raise_compiler_error('bad input: ' ~ 3) }}{% endif %}", "bad input: 3", "1:17"),
	ERR("compare str and int", "{{ 'a' < 1 }}", "cannot compare str with int", "1:4"),
	ERR("loop outside a loop", "{{ loop.index }}", "'loop' is defined only inside {% for %}", "1:4"),
	ERR("tuples do not change", "{% set t = (1,) %}{% do t.append(2) %}", "a tuple cannot be changed", "1:25"),
	ERR("undefined string argument", "{{ 'x'.strip(nope) }}", "argument 2 is undefined: nope", "1:4"),
	ERR("a list as a dict key", "{{ {[1]: 2} }}", "a dict key cannot be list", "1:4"),
	ERR("one-name tuple target", "{% for (a,) in [(1, 2)] %}{% endfor %}", "too many: 1 values to unpack, got 2", "1:16"),
	ERR("trailing comma without parentheses", "{% for a, in [1] %}{% endfor %}", "expected 'in', got '['", "1:14"),
	ERR("range step zero", "{{ range(1, 2, 0) }}", "range() step must not be zero", "1:4"),
	{"error in a project macro", "{{ broken() }}", NULL, "unsupported operand types for +", "10:6", false, "macros/util.sql", 0},
	{"endless recursion", "{{ forever(0) }}", NULL, "macro calls nested more than 100 deep", "13:26", false, "macros/util.sql", 0},
	ERR("macro with no name", "{% macro (a) %}{% endmacro %}", "expected a macro name", "1:10"),

	/* the limits */
	ERR("loop iterations", "{% for i in range(1000000) %}{% for j in range(2) %}{% endfor %}{% endfor %}", "more than 1000000 loop iterations", "1:33"),
	ERR("output size", "{% for i in range(100) %}{{ 'x' * 1000000 }}{% endfor %}", "rendered text larger than 64 MiB", "1:29"),
	ERR("string size", "{{ 'xx' * 40000000 }}", "a string larger than 64 MiB", "1:4"),
	ERR("list size", "{{ [1, 2] * 600000 }}", "a list longer than 1000000 items", "1:4"),
	ERR("range size", "{{ range(2000000) }}", "range() of more than 1000000 items", "1:4"),
	ERR("recursion of template macros", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "nested more than", "1:19"),
};

/* ---- running them ---- */

static struct jj_macros *macros;

static void
failf(const char *name, const char *fmt, const char *a, const char *b)
{
	printf("FAIL %s: ", name);
	printf(fmt, a, b);
	printf("\n");
	nfail++;
}

/* check that r holds exactly one error like the case wants */
static bool
checkerr(const char *name, const struct jj_result *r, const char *err, const char *at, bool needs_dbt, const char *in)
{
	char got[32];
	if (r->text) {
		failf(name, "rendered '%s' where error '%s' was wanted", r->text, err);
		return false;
	}
	if (r->nerrors != 1) {
		snprintf(got, sizeof(got), "%zu", r->nerrors);
		failf(name, "%s errors, wanted 1 (%s)", got, err);
		return false;
	}
	const struct jj_error *e = &r->errors[0];
	const char *file = e->file < 0 ? "the template" : (size_t)e->file < LEN(macro_paths) ? macro_paths[e->file] : "?";
	snprintf(got, sizeof(got), "%u:%u", e->line, e->col);
	if (!strstr(e->msg, err)) {
		failf(name, "message '%s' lacks '%s'", e->msg, err);
		return false;
	}
	if (strcmp(got, at) != 0) {
		failf(name, "error at %s, wanted %s", got, at);
		return false;
	}
	if (e->needs_dbt != needs_dbt) {
		failf(name, "needs_dbt is %s for '%s'", e->needs_dbt ? "true" : "false", e->msg);
		return false;
	}
	if (strcmp(file, in ? in : "the template") != 0) {
		failf(name, "error in %s, wanted %s", file, in ? in : "the template");
		return false;
	}
	return true;
}

static bool
runcase(const struct tcase *c)
{
	struct hostctx hc;
	struct jj_host host = {
		.ctx = &hc, .ref = h_ref, .source = h_source, .var = h_var, .env = h_env,
		.this_relation = "\"main\".\"cur\"", .is_incremental = (c->flags & INCR) != 0,
		.target_name = "dev", .target_schema = "main", .target_type = "sqlite",
	};
	struct jj_result r;
	size_t len = strlen(c->text);
	/* an exact copy without a NUL after it: ASan catches any read past it */
	char *text = xmalloc(len ? len : 1);
	bool ok = true;

	memcpy(text, c->text, len);
	jj_render(text, len, macros, (c->flags & NOHOST) ? NULL : &host, &r);
	if (c->want) {
		if (!r.text) {
			failf(c->name, "error '%s', wanted '%s'", r.nerrors ? r.errors[0].msg : "(none)", c->want);
			ok = false;
		} else if (strcmp(r.text, c->want) != 0 || r.len != strlen(c->want) || r.nerrors) {
			failf(c->name, "rendered '%s', wanted '%s'", r.text, c->want);
			ok = false;
		}
	} else {
		ok = checkerr(c->name, &r, c->err, c->at, c->needs_dbt, c->in);
	}
	jj_result_free(&r);
	free(text);
	return ok;
}

/* macro files that do not load: each error names its file; the other
 * files' macros stay */
static void
test_macro_errors(void)
{
	static const char *const paths[] = {"macros/a.sql", "macros/b.sql", "macros/c.sql"};
	static const char *const texts[] = {
		"{% macro one() %}1{% endmacro %}",
		"\n{% macro two() %}{{ 1 + }}{% endmacro %}",
		"{% macro three() %}3{% endmacro %}\n{% macro one() %}again{% endmacro %}",
	};
	size_t lens[3];
	struct jj_result errs, r;
	struct jj_macros *m;
	bool ok = true;

	for (size_t i = 0; i < 3; i++)
		lens[i] = strlen(texts[i]);
	m = jj_macros_load((const char *const *)texts, lens, paths, 3, &errs);
	if (errs.nerrors != 2 || errs.errors[0].file != 1 || errs.errors[0].line != 2 || errs.errors[0].col != 25 ||
	    !strstr(errs.errors[0].msg, "expected an expression") || errs.errors[1].file != 2 ||
	    errs.errors[1].line != 2 || errs.errors[1].col != 4 || !strstr(errs.errors[1].msg, "macro 'one' is defined twice") ||
	    !strstr(errs.errors[1].msg, "macros/a.sql")) {
		failf("macro files with errors", "%s%s", errs.nerrors ? errs.errors[0].msg : "no errors", "");
		ok = false;
	}
	/* a.sql loaded; b.sql and c.sql (with its clash) did not */
	jj_render("{{ one() }}", 11, m, NULL, &r);
	if (!r.text || strcmp(r.text, "1") != 0) {
		failf("macro files with errors", "one() rendered %s%s", r.text ? r.text : r.errors[0].msg, "");
		ok = false;
	}
	jj_result_free(&r);
	jj_render("{{ three() }}", 13, m, NULL, &r);
	if (r.text || r.nerrors != 1 || !r.errors[0].needs_dbt) {
		failf("macro files with errors", "three() from a file with errors %s%s", r.text ? "rendered" : "failed badly", "");
		ok = false;
	}
	jj_result_free(&r);
	jj_result_free(&errs);
	jj_macros_free(m);
	if (ok)
		npass++;

	/* no files, NULL errs, NULL macros */
	m = jj_macros_load(NULL, NULL, NULL, 0, NULL);
	jj_render("x", 1, m, NULL, &r);
	if (!r.text || strcmp(r.text, "x") != 0) {
		failf("no macro files", "%s%s", "render failed", "");
	} else {
		npass++;
	}
	jj_result_free(&r);
	jj_macros_free(m);
	jj_macros_free(NULL);
}

/* text past len is never read, and a NUL inside the text is text */
static void
test_lengths(void)
{
	struct jj_result r;
	const char text[] = "{{ 1 }}{{ 2 }}";
	jj_render(text, 7, NULL, NULL, &r);
	if (!r.text || strcmp(r.text, "1") != 0)
		failf("length is respected", "rendered %s%s", r.text ? r.text : "nothing", "");
	else
		npass++;
	jj_result_free(&r);
	jj_render("a\0b{{ 'c' }}", 12, NULL, NULL, &r);
	if (!r.text || r.len != 4 || memcmp(r.text, "a\0bc", 4) != 0)
		failf("NUL in the text", "rendered %s%s", r.text ? r.text : "nothing", "");
	else
		npass++;
	jj_result_free(&r);
	/* every prefix of a template: errors or text, never a crash */
	const char *t = "{% macro m(a, b=[1, {'k': (2,)}]) -%} {{ a ~ b | join(',') }} {%- endmacro %}"
			"{# c #}{% for x in 'ab' if x %}{% raw %}r{% endraw %}{{ m(x, b='z') }}{% endfor %}";
	size_t n = strlen(t), bad = 0;
	for (size_t i = 0; i <= n; i++) {
		char *p = xmalloc(i ? i : 1);
		memcpy(p, t, i);
		jj_render(p, i, NULL, NULL, &r);
		if (!r.text == !r.nerrors || (r.nerrors && r.errors[0].off > i))
			bad++;
		jj_result_free(&r);
		free(p);
	}
	if (bad || (jj_render(t, n, NULL, NULL, &r), !r.text || strcmp(r.text, "razrbz") != 0))
		failf("every prefix", "%s%s", bad ? "a prefix broke a promise" : "the whole template rendered wrong", "");
	else
		npass++;
	jj_result_free(&r);
}

/* deep nesting is an error, not a stack overflow */
static void
test_depth(void)
{
	struct jj_result r;
	struct buf b = {0};
	buf_puts(&b, "{{ ");
	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "(");
	buf_puts(&b, "1");
	for (int i = 0; i < 5000; i++)
		buf_puts(&b, ")");
	buf_puts(&b, " }}");
	jj_render(b.data, b.len, NULL, NULL, &r);
	if (r.text || r.nerrors != 1 || !strstr(r.errors[0].msg, "nested too deeply"))
		failf("deep parentheses", "%s%s", r.text ? "rendered" : r.errors[0].msg, "");
	else
		npass++;
	jj_result_free(&r);
	buf_free(&b);

	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "{% if true %}");
	jj_render(b.data, b.len, NULL, NULL, &r);
	if (r.text || r.nerrors != 1 || !strstr(r.errors[0].msg, "nested too deeply"))
		failf("deep blocks", "%s%s", r.text ? "rendered" : r.errors[0].msg, "");
	else
		npass++;
	jj_result_free(&r);
	buf_free(&b);

	/* a long chain is not deep to the parser, but is to the evaluator */
	buf_puts(&b, "{{ 1");
	for (int i = 0; i < 20000; i++)
		buf_puts(&b, " + 1");
	buf_puts(&b, " }}");
	jj_render(b.data, b.len, NULL, NULL, &r);
	if (r.text || r.nerrors != 1 || !strstr(r.errors[0].msg, "nested more than"))
		failf("long chain", "%s%s", r.text ? r.text : r.errors[0].msg, "");
	else
		npass++;
	jj_result_free(&r);
	buf_free(&b);

	/* a list that holds itself prints as an error, not forever */
	jj_render("{% set l = [] %}{% do l.append(l) %}{{ l }}", 43, NULL, NULL, &r);
	if (r.text || r.nerrors != 1 || !strstr(r.errors[0].msg, "nested too deeply"))
		failf("self-containing list", "%s%s", r.text ? r.text : r.errors[0].msg, "");
	else
		npass++;
	jj_result_free(&r);
}

int
main(void)
{
	size_t lens[LEN(macro_texts)];
	struct jj_result errs;

	for (size_t i = 0; i < LEN(macro_texts); i++)
		lens[i] = strlen(macro_texts[i]);
	macros = jj_macros_load(macro_texts, lens, macro_paths, LEN(macro_texts), &errs);
	if (errs.nerrors) {
		printf("FAIL the test's macro files: %u:%u %s\n", errs.errors[0].line, errs.errors[0].col, errs.errors[0].msg);
		nfail++;
	}
	jj_result_free(&errs);

	for (size_t i = 0; i < LEN(cases); i++)
		if (runcase(&cases[i]))
			npass++;
	test_macro_errors();
	test_lengths();
	test_depth();
	jj_macros_free(macros);
	return check_done("jinja");
}
