/* test_csv.c: the seed CSV reader (runtime/csv.c): files that must read
 * into given rows, files that must fail with a given message, and the
 * column types inferred. Each case is one line of a table; a cell is shown
 * as its text, or ~ for NULL, and rows are separated by '/'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "util.h"
#include "check.h"

/* the cells as "a|b/c|~" */
static char *
show(const struct csv *c)
{
	struct buf b = {0};
	buf_puts(&b, "");
	for (size_t i = 0; i < c->ncols; i++)
		buf_printf(&b, "%s%s", i ? "|" : "", c->head[i].s);
	for (size_t r = 0; r < c->nrows; r++) {
		buf_putc(&b, '/');
		for (size_t i = 0; i < c->ncols; i++) {
			const struct csv_field *f = &c->cells[r * c->ncols + i];
			buf_printf(&b, "%s%s", i ? "|" : "", f->s ? f->s : "~");
		}
	}
	return buf_take(&b);
}

static void
test_good(void)
{
	static const struct {
		const char *in, *want;
		char delim;
	} cases[] = {
		{"a,b\n1,2\n", "a|b/1|2", ','},
		{"a,b\n1,2", "a|b/1|2", ','},                      /* no final newline */
		{"a,b\r\n1,2\r\n", "a|b/1|2", ','},                /* CRLF */
		{"\xef\xbb\xbf" "a,b\n1,2\n", "a|b/1|2", ','},     /* byte order mark */
		{"a,b\n,\n", "a|b/~|~", ','},                      /* empty is NULL */
		{"a,b\n\"\",x\n", "a|b/|x", ','},                  /* "" is the empty string */
		{"a,b\n\"x, y\",2\n", "a|b/x, y|2", ','},          /* the delimiter quoted */
		{"a,b\n\"say \"\"hi\"\"\",2\n", "a|b/say \"hi\"|2", ','},
		{"a,b\n\"one\ntwo\",2\n", "a|b/one\ntwo|2", ','},  /* a line break quoted */
		{"a,b\n\"one\r\ntwo\",2\n", "a|b/one\r\ntwo|2", ','},
		{"a,b\n1,2\n\n3,4\n\n", "a|b/1|2/3|4", ','},       /* blank lines skipped */
		{"a;b\n1;x,y\n", "a|b/1|x,y", ';'},
		{"a\tb\n1\t\n", "a|b/1|~", '\t'},
		{"a,b\nx\"y,2\n", "a|b/x\"y|2", ','},              /* a quote inside an unquoted field */
		{"a\n", "a", ','},                                 /* a header alone */
		{"\"a,1\",b\n1,2\n", "a,1|b/1|2", ','},            /* a quoted column name */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct csv c;
		char *err = NULL;
		int rc = csv_parse(cases[i].in, strlen(cases[i].in), cases[i].delim, &c, &err);
		CHECK(rc == 0, "case %zu reads: %s", i, err ? err : "");
		if (rc == 0) {
			char *got = show(&c);
			CHECK(strcmp(got, cases[i].want) == 0, "case %zu: got '%s', want '%s'", i, got, cases[i].want);
			free(got);
		}
		free(err);
		csv_free(&c);
	}
}

static void
test_bad(void)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{"", "the file is empty; its first line names the columns"},
		{"\n\n", "the file is empty; its first line names the columns"},
		{"a,b\n1,2,3\n", "line 2: 3 fields, but the header names 2 columns"},
		{"a,b\n1\n", "line 2: 1 field, but the header names 2 columns"},
		{"a,b\n\"1,2\n", "line 2: a quoted field is never closed"},
		{"a,b\n\"1\"x,2\n", "line 2: characters after a closing quote (a quote inside a quoted field is written \"\")"},
		{"a,b\n\"x\ny\",2\n3\n", "line 4: 1 field, but the header names 2 columns"},
		{"a,,b\n1,2,3\n", "column 2 of the header has no name"},
		{"a,b,a\n1,2,3\n", "the header names column 'a' twice"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct csv c;
		char *err = NULL;
		int rc = csv_parse(cases[i].in, strlen(cases[i].in), ',', &c, &err);
		CHECK(rc == -1 && err && strcmp(err, cases[i].msg) == 0, "case %zu: got '%s', want '%s'", i,
		      err ? err : "(no error)", cases[i].msg);
		free(err);
		csv_free(&c);
	}
}

static void
test_infer(void)
{
	static const struct {
		const char *values, *want; /* one column; values separated by '\n' */
	} cases[] = {
		{"1\n-2\n30", "INTEGER"},
		{"1\n2.5\n-3e2", "REAL"},
		{"1\n\n2", "INTEGER"},   /* NULLs do not count */
		{"\n\n", "TEXT"},        /* only NULLs */
		{"007\n8", "TEXT"},      /* a leading zero: a code */
		{"0\n0.5\n10", "REAL"},
		{"00.5", "TEXT"},
		{"1\nx", "TEXT"},
		{"1.\n.5", "REAL"},
		{"1e\n2", "TEXT"},
		{"12345678901234567890", "TEXT"}, /* more digits than INTEGER or REAL keep */
		{"123456789012345678", "INTEGER"},
		{"2024-01-01", "TEXT"},
		{"\"\"", "TEXT"},       /* an empty string is not a number */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *text = xasprintf("v\n%s\n", cases[i].values);
		struct csv c;
		char *err = NULL;
		int rc = csv_parse(text, strlen(text), ',', &c, &err);
		CHECK(rc == 0, "infer case %zu reads: %s", i, err ? err : "");
		if (rc == 0)
			CHECK(strcmp(csv_infer(&c, 0), cases[i].want) == 0, "infer case %zu ('%s'): got %s, want %s", i,
			      cases[i].values, csv_infer(&c, 0), cases[i].want);
		free(err);
		free(text);
		csv_free(&c);
	}
}

int
main(void)
{
	test_good();
	test_bad();
	test_infer();
	return check_done("csv");
}
