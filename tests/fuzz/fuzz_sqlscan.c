/* fuzz_sqlscan.c: libFuzzer target for the dbt SQL scanner (sqlscan.c).
 *
 * Any bytes must scan without a crash, and the result must keep the
 * promises callers rely on: every span inside the input, every argument
 * inside its call, every string present, finds in text order. A broken
 * promise aborts, which libFuzzer reports as a crash with the input.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Icompiler
 *        tests/fuzz/fuzz_sqlscan.c compiler/sqlscan.c compiler/util.c
 * Seeds: tests/fuzz/corpus/sqlscan/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "sqlscan invariant broken: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan catches any read past the end */
	char *text = malloc(size ? size : 1);
	struct sql_scan sc = {0};

	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	sqlscan(text, size, &sc);

	for (size_t i = 0; i < sc.nfinds; i++) {
		const struct sql_find *f = &sc.finds[i];
		check((size_t)f->off + f->len <= size, "find span outside the input");
		check(f->len >= 3, "find span shorter than a call");
		check((unsigned)f->kind <= SQL_VAR, "find kind");
		check(!f->nargs || f->args, "find arguments missing");
		check(text[f->off + f->len - 1] == ')', "find span does not end at ')'");
		if (i > 0)
			check(f->off > sc.finds[i - 1].off, "finds out of order");
		for (size_t j = 0; j < f->nargs; j++) {
			const struct sql_arg *a = &f->args[j];
			check(a->off >= f->off && (size_t)a->off + a->len <= (size_t)f->off + f->len,
			    "argument span outside its call");
			check(a->value != NULL, "argument value missing");
			check(!a->name || *a->name, "empty argument name");
			if (!a->is_string && !memchr(text + a->off, '\0', a->len))
				check(strlen(a->value) == a->len &&
				    memcmp(a->value, text + a->off, a->len) == 0,
				    "non-string value is not its source text");
		}
		if (f->kind == SQL_REF) {
			size_t npos = 0;
			for (size_t j = 0; j < f->nargs; j++)
				npos += !f->args[j].name;
			check(npos == 1 || npos == 2, "ref recorded with bad arity");
		}
	}
	for (size_t i = 0; i < sc.nproblems; i++) {
		const struct sql_problem *p = &sc.problems[i];
		check((size_t)p->off + p->len <= size, "problem span outside the input");
		check(p->msg && *p->msg, "problem message missing");
		if (i > 0)
			check(p->off >= sc.problems[i - 1].off, "problems out of order");
	}

	sqlscan_free(&sc);
	check(!sc.finds && !sc.problems && !sc.nfinds && !sc.nproblems, "free left data");
	free(text);
	return 0;
}
