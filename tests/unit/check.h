/* check.h: what every unit test shares: the pass and fail counts, CHECK
 * and CHECK_STR, a scratch folder for tests that compile a project, and
 * check_done() that prints the counts and gives the exit status.
 *
 * Header-only: a unit test is one program (tests/run.sh links each
 * tests/unit/test_*.c alone with the core), so the counters are static, one
 * pair per program. */
#ifndef DPC_TEST_CHECK_H
#define DPC_TEST_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int npass, nfail;

/* count cond; when it is false print "FAIL file:line: cond: " and the
 * printf-style message */
#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (cond) {                                                    \
			npass++;                                               \
		} else {                                                       \
			nfail++;                                               \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                   \
			putchar('\n');                                         \
		}                                                              \
	} while (0)

/* true when a and b are the same string, or both NULL */
static inline bool
check_streq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* count got == want as strings (NULL matches only NULL); on failure print
 * what, then both texts whole (they may be many lines) */
#define CHECK_STR(got, want, what)                                                          \
	CHECK(check_streq((got), (want)), "%s:\n--- want\n%s\n--- got\n%s", (what),            \
	      (want) ? (want) : "(null)", (got) ? (got) : "(null)")

/* count a check whose failure the caller has printed itself */
static inline void
check_count(bool ok)
{
	if (ok)
		npass++;
	else
		nfail++;
}

/* the scratch folder's path once check_scratch() has made it; else "" */
static char check_dir[64];

/* make the scratch folder /tmp/dpc-<name>-XXXXXX; false if it cannot */
static inline bool
check_scratch(const char *name)
{
	snprintf(check_dir, sizeof(check_dir), "/tmp/dpc-%s-XXXXXX", name);
	if (!mkdtemp(check_dir)) {
		printf("FAIL cannot make %s\n", check_dir);
		check_dir[0] = '\0';
		return false;
	}
	return true;
}

/* write text to name in the scratch folder, making name's folder (one
 * level) first */
static inline void
check_put(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", check_dir, name);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	mkdir(path, 0777);
	*slash = '/';
	FILE *f = fopen(path, "w");
	if (!f) {
		printf("FAIL cannot write %s\n", path);
		nfail++;
		return;
	}
	fputs(text, f);
	fclose(f);
}

/* remove the scratch folder, if any; print "name: N passed, M failed"; the
 * exit status: 0 when nothing failed, 1 otherwise */
static inline int
check_done(const char *name)
{
	if (check_dir[0]) {
		char cmd[96];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", check_dir);
		if (system(cmd) != 0) {
			printf("FAIL cannot remove %s\n", check_dir);
			nfail++;
		}
	}
	printf("%s: %d passed, %d failed\n", name, npass, nfail);
	return nfail != 0;
}

#endif
