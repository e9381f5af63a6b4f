/* fuzz_specedit.c: libFuzzer target for the spec edits (specedit.c,
 * specedit_value.c): the byte-level splicing that dpc new, migrate airflow
 * and dpc ai make into a user's YAML.
 *
 * An input is a spec, then a NUL byte, then a JSON Patch; with no NUL, the
 * whole input is the spec and a fixed list of patches is tried on it, one
 * at a time. The spec becomes pipeline.yaml in a folder made once per
 * process; sedit_open reads it, the patch is applied, and the promises of
 * specedit.h are checked: a refused patch leaves no change; an accepted one
 * gives text that parses as YAML again, with the value at each path added
 * or replaced equal to the patch's, and a diff that is not empty when
 * something changed. A broken promise aborts; LeakSanitizer reports leaks.
 *
 * Build and run: tests/fuzz/run.sh SECONDS (FUZZ_TARGETS=specedit)
 * Seeds: tests/fuzz/corpus/specedit/ */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "diag.h"
#include "specedit.h"
#include "util.h"
#include "yamldoc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/dpc-fuzz-specedit.XXXXXX";
static int dirfd_ = -1;

/* what is tried on a spec given without a patch */
static const char *const patches[] = {
	"[{\"op\": \"add\", \"path\": \"/models/fz_new\", \"value\": {\"sql\": \"select 1\", "
	"\"materialized\": \"table\", \"description\": \"a: b # c\"}}]",
	"[{\"op\": \"add\", \"path\": \"/sources/fz_src\", \"value\": {\"schema\": \"raw\", "
	"\"tables\": {\"t\": {\"columns\": {\"id\": {\"tests\": [\"unique\"]}}}}}}]",
	"[{\"op\": \"add\", \"path\": \"/models/stg_a/columns/id/tests/-\", \"value\": \"not_null\"}]",
	"[{\"op\": \"replace\", \"path\": \"/project\", \"value\": \"fz\"}]",
	"[{\"op\": \"remove\", \"path\": \"/models/stg_a\"}]",
	"[{\"op\": \"add\", \"path\": \"/vars/fz\", \"value\": [1, \"two\", null, true, {\"k\": \"multi\\nline\"}]}]",
	"[{\"op\": \"add\", \"path\": \"/seeds/fz_seed\", \"value\": {\"csv\": \"seeds/x.csv\"}, \"near\": \"/seeds\"}]",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir) || (dirfd_ = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
		perror("fuzz_specedit: a scratch folder");
		abort();
	}
	return 0;
}

static void
invariant(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_specedit: invariant broken: %s\n", what);
		abort();
	}
}

/* the JSON of an accepted patch's operations must be at their paths now */
static void
check_applied(const struct sedit *se, const cJSON *patch)
{
	const cJSON *op;
	cJSON_ArrayForEach(op, patch) {
		const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "op"));
		const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "path"));
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
		if (!kind || !path || !value || (strcmp(kind, "add") && strcmp(kind, "replace")))
			continue;
		size_t n = strlen(path);
		if (n >= 2 && strcmp(path + n - 2, "/-") == 0)
			continue; /* appended: its index is not in the path */
		if (patch->child->next)
			continue; /* a later operation may have changed it again */
		cJSON *got = sedit_get(se, path);
		invariant(got != NULL, "an added or replaced path is not there");
		/* YAML reads some strings back as other scalars (the edit quotes
		 * them); compare containers and strings only */
		if (cJSON_IsString(value) || cJSON_IsObject(value) || cJSON_IsArray(value))
			invariant(cJSON_Compare(got, value, true), "the value at the path is not the patch's");
		cJSON_Delete(got);
	}
}

static void
one(const char *spec, size_t len, const char *patchtext)
{
	int fd = openat(dirfd_, "pipeline.yaml", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	invariant(fd >= 0, "pipeline.yaml cannot be written");
	invariant(write(fd, spec, len) == (ssize_t)len, "pipeline.yaml cannot be written");
	close(fd);
	char *err = NULL;
	struct sedit *se = sedit_open(dirfd_, dir, "pipeline.yaml", &err);
	if (!se) {
		invariant(err && *err, "sedit_open failed without a message");
		free(err);
		return;
	}
	cJSON *patch = cJSON_Parse(patchtext);
	if (patch && cJSON_IsArray(patch)) {
		bool ok = sedit_patch(se, patch, &err);
		const struct sedit_change *ch;
		size_t nch = sedit_changes(se, &ch);
		if (!ok) {
			invariant(err && *err, "a refused patch without a message");
			invariant(nch == 0, "a refused patch left changes");
		} else {
			for (size_t i = 0; i < nch; i++) {
				/* the new text is YAML again */
				struct arena a = {0};
				struct diags d = {0};
				int32_t f = diag_file(&d, ch[i].path, NULL, 0);
				const struct ynode *doc = yaml_load(&a, &d, f, ch[i].text, ch[i].len);
				invariant(doc && d.nerrors == 0, "an accepted edit does not parse again");
				diag_free(&d);
				arena_free(&a);
			}
			char *diff = sedit_diff(se);
			invariant(nch == 0 || (diff && *diff), "changes with no diff");
			free(diff);
			check_applied(se, patch);
		}
		free(err);
	}
	cJSON_Delete(patch);
	sedit_free(se);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	if (nul) {
		char *patch = xstrndup(nul + 1, size - (size_t)(nul - text) - 1);
		one(text, (size_t)(nul - text), patch);
		free(patch);
	} else {
		for (size_t i = 0; i < LEN(patches); i++)
			one(text, size, patches[i]);
	}
	return 0;
}
