/* test_pyscan.c: the Python facts (pyscan.c): imports with aliases,
 * decorated functions, calls with positional and keyword arguments in source
 * order, assignments, >> and <<, with-blocks, string literal values, dotted
 * names, and syntax errors found at their place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyscan.h"
#include "check.h"

/* compare a new string with want, then free it (NULL matches NULL) */
static bool
same(char *got, const char *want)
{
	bool ok = (!got && !want) || (got && want && strcmp(got, want) == 0);
	if (!ok)
		printf("     got '%s', want '%s'\n", got ? got : "(null)", want ? want : "(null)");
	free(got);
	return ok;
}

static const char dagfile[] =
	"import os\n"
	"import pendulum as pdl\n"
	"from airflow import DAG\n"
	"from airflow.operators.bash import BashOperator as Bash, EmptyOperator\n"
	"from .helpers import *\n"
	"# a comment with a call(that, is=not) one\n"
	"with DAG('etl', schedule='@daily', default_args={'retries': 2}) as dag:\n"
	"    a = Bash(task_id='a', bash_command=\"echo 'hi'\\n\")\n"
	"    b = EmptyOperator(task_id=f'b_{os.sep}')\n"
	"    a >> b << c\n"
	"\n"
	"@dag(schedule=None)\n"
	"@other\n"
	"def flow():\n"
	"    x = y = load('x' 'y', r'\\d')\n"
	"    return x\n";

static void
test_facts(struct py_scanner *s)
{
	struct py_file f = {0};
	CHECK(py_scan(s, dagfile, strlen(dagfile), &f), "parses");
	CHECK(!f.has_error, "no syntax error");

	CHECK(f.nimports == 6, "imports: %zu", f.nimports);
	if (f.nimports == 6) {
		CHECK(py_text_is(&f, f.imports[0].module, "os"), "import os");
		CHECK(py_text_is(&f, f.imports[1].alias, "pdl"), "import ... as pdl");
		CHECK(py_text_is(&f, f.imports[2].module, "airflow") &&
			      py_text_is(&f, f.imports[2].name, "DAG"),
		      "from airflow import DAG");
		CHECK(py_text_is(&f, f.imports[3].name, "airflow.operators.bash") == false &&
			      py_text_is(&f, f.imports[3].name, "BashOperator") &&
			      py_text_is(&f, f.imports[3].alias, "Bash"),
		      "from-import with alias");
		CHECK(py_text_is(&f, f.imports[4].name, "EmptyOperator") &&
			      ts_node_is_null(f.imports[4].alias),
		      "second name of a from-import");
		CHECK(f.imports[5].wildcard && py_text_is(&f, f.imports[5].module, ".helpers"),
		      "relative wildcard import");
	}

	CHECK(f.ndefs == 1, "decorated defs: %zu", f.ndefs);
	if (f.ndefs == 1) {
		CHECK(py_text_is(&f, f.defs[0].name, "flow"), "def name");
		CHECK(f.defs[0].ndecorators == 2, "two decorators");
		if (f.defs[0].ndecorators == 2) {
			CHECK(strcmp(ts_node_type(f.defs[0].decorators[0]), "call") == 0,
			      "@dag(...) is a call");
			CHECK(same(py_dotted(&f, f.defs[0].decorators[1]), "other"), "@other");
		}
	}

	/* DAG, Bash, EmptyOperator, os.sep is no call, load: in source order */
	CHECK(f.ncalls == 5, "calls: %zu", f.ncalls);
	if (f.ncalls == 5) {
		CHECK(same(py_dotted(&f, f.calls[0].func), "DAG"), "first call");
		CHECK(f.calls[0].nargs == 1 && f.calls[0].nkwargs == 2, "DAG's arguments");
		CHECK(same(py_string(&f, f.calls[0].args[0]), "etl"), "dag id");
		CHECK(same(py_string(&f, py_kwarg(&f, &f.calls[0], "schedule")), "@daily"),
		      "schedule kwarg");
		CHECK(ts_node_is_null(py_kwarg(&f, &f.calls[0], "catchup")), "absent kwarg");
		CHECK(same(py_dotted(&f, f.calls[1].func), "Bash"), "second call");
		CHECK(same(py_string(&f, py_kwarg(&f, &f.calls[1], "bash_command")),
			   "echo 'hi'\n"),
		      "escapes decoded");
		CHECK(same(py_string(&f, py_kwarg(&f, &f.calls[2], "task_id")), NULL),
		      "an f-string with a field has no static value");
		CHECK(same(py_dotted(&f, f.calls[3].func), "dag"), "decorator call");
		CHECK(same(py_string(&f, f.calls[4].args[0]), "xy"), "implicit concatenation");
		CHECK(same(py_string(&f, f.calls[4].args[1]), "\\d"), "raw string");
		CHECK(py_call_at(&f, f.calls[2].node) == &f.calls[2], "py_call_at finds a call");
		CHECK(py_call_at(&f, f.root) == NULL, "py_call_at of a non-call");
	}

	/* dag is the with's alias, not an assignment; a, b, x = y = ..., y = ... */
	CHECK(f.nassigns == 4, "assignments: %zu", f.nassigns);
	CHECK(f.ndepops == 2, "dependency operators: %zu", f.ndepops);
	if (f.ndepops == 2) {
		/* a >> b << c parses as (a >> b) << c */
		CHECK(!f.depops[0].rshift && py_text_is(&f, f.depops[0].right, "c"),
		      "the outer operator is <<");
		CHECK(f.depops[1].rshift && py_text_is(&f, f.depops[1].left, "a"), "inner >>");
	}
	CHECK(f.nwiths == 1 && f.withs[0].nitems == 1, "one with-block, one item");
	if (f.nwiths == 1 && f.withs[0].nitems == 1)
		CHECK(strcmp(ts_node_type(f.withs[0].items[0]), "as_pattern") == 0,
		      "the item is an as_pattern");
	uint32_t line, col;
	if (f.ncalls >= 2) {
		py_linecol(f.calls[1].node, &line, &col);
		CHECK(line == 8 && col == 9, "Bash(...) at 8:9, got %u:%u", line, col);
	}
	py_file_free(&f);
}

static void
test_errors(struct py_scanner *s)
{
	static const char bad[] = "def f(:\n    pass\nx = call(\n";
	struct py_file f = {0};
	CHECK(py_scan(s, bad, strlen(bad), &f), "a broken file still gives a tree");
	CHECK(f.has_error, "syntax errors are flagged");
	uint32_t line, col;
	py_linecol(f.first_error, &line, &col);
	CHECK(line == 1, "the first error is on line 1, got %u", line);
	py_file_free(&f);

	static const char bin[] = "\x00\xff\xfe import \x01";
	CHECK(py_scan(s, bin, sizeof bin - 1, &f), "binary bytes parse into something");
	py_file_free(&f);

	CHECK(py_scan(s, "", 0, &f) && f.ncalls == 0 && !f.has_error, "an empty file");
	py_file_free(&f);

	/* a chain nested deeper than PY_MAX_DEPTH gives no facts, quickly */
	size_t n = 3 * PY_MAX_DEPTH;
	char *deep = malloc(4 + n * 5 + 2);
	size_t k = 0;
	memcpy(deep, "x = a", 5);
	k = 5;
	for (size_t i = 0; i < n; i++) {
		memcpy(deep + k, " >> a", 5);
		k += 5;
	}
	deep[k++] = '\n';
	CHECK(py_scan(s, deep, k, &f) && f.too_deep && f.ndepops == 0,
	      "a %zu-term chain is too deep", n);
	py_file_free(&f);
	CHECK(py_scan(s, deep, 5 + 5 * 10, &f) && !f.too_deep && f.ndepops == 10,
	      "a 10-term chain is read: %zu", f.ndepops);
	py_file_free(&f);
	free(deep);

	/* a file that ends inside an f-string must not change how the next
	 * file parses (the grammar's scanner state is reset per parse) */
	static const char open_fstring[] = "x = f\"\"\"abc {y}\n";
	static const char next[] = "def f():\n    pass\nx = 1\n";
	CHECK(py_scan(s, open_fstring, strlen(open_fstring), &f), "an unterminated f-string");
	py_file_free(&f);
	CHECK(py_scan(s, next, strlen(next), &f) && !f.has_error, "the next file parses cleanly");
	CHECK(f.nassigns == 1 && ts_node_eq(ts_node_parent(f.assigns[0].node),
					    ts_node_named_child(f.root, 1)),
	      "x = 1 is a statement of the module, not of f()");
	py_file_free(&f);
}

int
main(void)
{
	struct py_scanner *s = py_scanner_new();
	CHECK(s != NULL, "the grammar loads");
	if (!s)
		return 1;
	test_facts(s);
	test_errors(s);
	py_scanner_free(s);
	return check_done("pyscan");
}
