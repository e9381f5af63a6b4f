/* fuzz_jinja.c: libFuzzer target for the Jinja renderer (runtime/jinja.c).
 *
 * The input is loaded as a macro file and then rendered as a model with
 * those macros, so both paths see it: a template that defines macros calls
 * them. Any bytes must render or fail without a crash, within the limits,
 * and the result must keep the promises callers rely on: text or errors,
 * never both; at most one render error; every error placed inside its file
 * with a message; the text NUL-terminated at its length; the same input
 * renders the same way twice. A broken promise aborts, which libFuzzer
 * reports as a crash with the input.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Icompiler -Iruntime
 *        tests/fuzz/fuzz_jinja.c runtime/jinja.c runtime/jinja_parse.c compiler/util.c -lxxhash
 * Seeds: tests/fuzz/corpus/jinja/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "jinja invariant broken: %s\n", what);
		abort();
	}
}

static bool
ref(void *ctx, const char *package, const char *name, char **out, const char **why)
{
	(void)ctx;
	(void)package;
	if (strcmp(name, "missing") == 0) {
		*why = "no such model";
		return false;
	}
	*out = (char *)"\"main\".\"m\"";
	return true;
}

static bool
source(void *ctx, const char *s, const char *t, char **out, const char **why)
{
	(void)ctx;
	(void)t;
	(void)why;
	*out = (char *)"\"raw\".\"t\"";
	return strcmp(s, "missing") != 0;
}

static bool
var(void *ctx, const char *name, char **out)
{
	(void)ctx;
	if (name[0] == 'l')
		*out = (char *)"[1, \"a\", {\"k\": [true, null, 2.5]}]";
	else if (name[0] == 'n')
		*out = (char *)"42";
	else if (name[0] == 's')
		*out = (char *)"\"text\"";
	else
		return false;
	return true;
}

static const char *
env(void *ctx, const char *name)
{
	(void)ctx;
	return name[0] == 'X' ? "value" : NULL;
}

static void
checkresult(const struct jj_result *r, size_t size, bool render)
{
	check(!render || !r->text != !r->nerrors, "text and errors together, or neither");
	check(!render || r->nerrors <= 1, "more than one render error");
	check(!r->text || r->text[r->len] == '\0', "text not NUL-terminated at its length");
	check(!r->text || r->len <= ((size_t)64 << 20), "text over the output limit");
	for (size_t i = 0; i < r->nerrors; i++) {
		const struct jj_error *e = &r->errors[i];
		check(e->msg && *e->msg, "error without a message");
		check((size_t)e->off <= size, "error outside its file");
		check(e->line >= 1 && e->col >= 1, "error without a line:col");
		check(e->file == -1 || e->file == 0, "error in a file that does not exist");
		check(render || e->file == 0, "macro error not in the macro file");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan catches any read past the end */
	char *text = malloc(size ? size : 1);
	const char *path = "macros/fuzz.sql";
	struct jj_host host = {
		.ref = ref, .source = source, .var = var, .env = env, .this_relation = "\"main\".\"cur\"",
		.is_incremental = size % 2 == 1, .target_name = "dev", .target_schema = "main",
	};
	struct jj_result errs, r1, r2;
	struct jj_macros *m;

	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	m = jj_macros_load((const char *const *)&text, &size, &path, 1, &errs);
	checkresult(&errs, size, false);
	check(errs.text == NULL, "macro loading produced text");

	jj_render(text, size, m, &host, &r1);
	checkresult(&r1, size, true);
	/* small inputs twice: the same bytes render the same way */
	if (size < 512) {
		jj_render(text, size, m, &host, &r2);
		check(!r1.text == !r2.text, "a second render differs in success");
		check(!r1.text || (r1.len == r2.len && memcmp(r1.text, r2.text, r1.len) == 0),
		      "a second render gives other text");
		check(!r1.nerrors || strcmp(r1.errors[0].msg, r2.errors[0].msg) == 0,
		      "a second render gives another error");
		jj_result_free(&r2);
	}
	jj_result_free(&r1);
	check(!r1.text && !r1.errors && !r1.nerrors, "free left data");
	jj_result_free(&errs);
	jj_macros_free(m);
	free(text);
	return 0;
}
