/* cmd_log.c: dpc log, the audit log of AI requests (.dpc/ai.db, state.h),
 * newest first */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "state.h"
#include "util.h"

static const char loghelp[] =
	"usage: dpc log [--limit N | --all] [--format json]\n"
	"\n"
	"The audit log of the requests dpc ai made to an LLM in this project\n"
	"(.dpc/ai.db), newest first: when (UTC), who (DPC_ACTOR, else the login\n"
	"name), the command, provider/model, tokens in/out, the first 8 hex digits\n"
	"of the prompt's and the answer's xxh3-128 hashes, the status (ok or the\n"
	"error kind), whether the answer was applied, and the request in short.\n"
	"\n"
	"  --limit N   show the N newest requests (default 20)\n"
	"  --all       show every request\n"
	"  --format json\n"
	"              one document: {command: \"log\", ok, exit_code, total,\n"
	"              entries: [{id, time, actor, command, provider, model,\n"
	"              tokens_in, tokens_out, prompt_hash, response_hash, status,\n"
	"              applied, summary}]} with the hashes whole\n"
	"\n"
	"A project where dpc ai never ran has an empty log (exit 0).\n";

/* a command-line mistake: exit 2, on stderr or as the JSON document */
static int
logerror(const struct opts *o, const char *msg, const char *arg)
{
	if (json(o)) {
		cJSON *doc = newdoc("log");
		char *m = xasprintf("%s '%s'; dpc log --help lists the options", msg, arg);
		cJSON_AddStringToObject(doc, "error", m);
		free(m);
		return finish(doc, 2);
	}
	fprintf(stderr, "dpc log: %s '%s'\n%s", msg, arg, loghelp);
	return 2;
}

static void
isotime(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cJSON *
entryjson(const struct ai_log_entry *e)
{
	char when[32];
	isotime(e->time, when);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "id", (double)e->id);
	cJSON_AddStringToObject(j, "time", when);
	cJSON_AddStringToObject(j, "actor", e->actor);
	cJSON_AddStringToObject(j, "command", e->command);
	cJSON_AddStringToObject(j, "provider", e->provider);
	cJSON_AddStringToObject(j, "model", e->model);
	cJSON_AddNumberToObject(j, "tokens_in", (double)e->tokens_in);
	cJSON_AddNumberToObject(j, "tokens_out", (double)e->tokens_out);
	cJSON_AddStringToObject(j, "prompt_hash", e->prompt_hash);
	cJSON_AddItemToObject(j, "response_hash",
			      e->response_hash[0] ? cJSON_CreateString(e->response_hash) : cJSON_CreateNull());
	cJSON_AddStringToObject(j, "status", e->status);
	cJSON_AddBoolToObject(j, "applied", e->applied);
	cJSON_AddStringToObject(j, "summary", e->summary);
	return j;
}

/* the text table: one line per request, columns as wide as their widest
 * cell; the summary last, as it is */
static void
printtable(const struct ai_log_entry *v, size_t n)
{
	enum { C_TIME, C_ACTOR, C_COMMAND, C_MODEL, C_TOKENS, C_PROMPT, C_RESPONSE, C_STATUS, C_APPLIED, NCOL };
	static const char *const head[NCOL] = {"TIME", "ACTOR", "COMMAND", "MODEL", "TOKENS",
					       "PROMPT", "RESPONSE", "STATUS", "APPLIED"};
	char *cell[NCOL];
	size_t w[NCOL];
	for (int c = 0; c < NCOL; c++)
		w[c] = strlen(head[c]);
	char **cells = xcalloc(n * NCOL, sizeof(*cells));
	for (size_t i = 0; i < n; i++) {
		const struct ai_log_entry *e = &v[i];
		char when[32];
		isotime(e->time, when);
		cell[C_TIME] = xstrdup(when);
		cell[C_ACTOR] = xstrdup(e->actor);
		cell[C_COMMAND] = xstrdup(e->command);
		cell[C_MODEL] = xasprintf("%s/%s", e->provider, e->model);
		cell[C_TOKENS] = xasprintf("%ld/%ld", e->tokens_in, e->tokens_out);
		cell[C_PROMPT] = xasprintf("%.8s", e->prompt_hash[0] ? e->prompt_hash : "-");
		cell[C_RESPONSE] = xasprintf("%.8s", e->response_hash[0] ? e->response_hash : "-");
		cell[C_STATUS] = xstrdup(e->status);
		cell[C_APPLIED] = xstrdup(e->applied ? "yes" : "no");
		for (int c = 0; c < NCOL; c++) {
			cells[i * NCOL + c] = cell[c];
			if (strlen(cell[c]) > w[c])
				w[c] = strlen(cell[c]);
		}
	}
	for (int c = 0; c < NCOL; c++)
		printf("%-*s  ", (int)w[c], head[c]);
	puts("SUMMARY");
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < NCOL; c++)
			printf("%-*s  ", (int)w[c], cells[i * NCOL + c]);
		puts(v[i].summary);
	}
	for (size_t i = 0; i < n * NCOL; i++)
		free(cells[i]);
	free(cells);
}

int
cmd_log(struct opts *o)
{
	size_t limit = 20;
	for (int i = 0; i < o->nrest; i++) {
		const char *a = o->rest[i], *val = NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			if (json(o)) {
				cJSON *doc = newdoc("log");
				cJSON_AddStringToObject(doc, "usage", loghelp);
				return finish(doc, 0);
			}
			fputs(loghelp, stdout);
			return 0;
		} else if (strcmp(a, "--all") == 0) {
			limit = 0;
		} else if (strcmp(a, "--limit") == 0 || strcmp(a, "-n") == 0) {
			if (i + 1 == o->nrest)
				return logerror(o, "a number must follow", a);
			val = o->rest[++i];
		} else if (strncmp(a, "--limit=", 8) == 0) {
			val = a + 8;
		} else {
			return logerror(o, a[0] == '-' ? "unknown option" : "unexpected argument", a);
		}
		if (val) {
			char *end;
			long n = strtol(val, &end, 10);
			if (end == val || *end || n < 1)
				return logerror(o, "--limit takes a whole number of requests, 1 or more, not", val);
			limit = (size_t)n;
		}
	}
	cJSON *doc = json(o) ? newdoc("log") : NULL;
	int rootfd = openroot(o, doc);
	if (rootfd < 0)
		return doc ? finish(doc, 2) : 2;
	close(rootfd);
	char *dir = xasprintf("%s/.dpc", o->dir), *err = NULL;
	struct ai_db db;
	struct ai_log_entry *v = NULL;
	size_t n = 0, total = 0;
	int code = 0;
	if (state_ai_open(&db, dir, false, &err) != 0 || state_ai_entries(&db, limit, &v, &n, &total, &err) != 0) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", err);
		else
			fprintf(stderr, "dpc: %s\n", err);
		free(err);
		code = 1;
	}
	state_ai_close(&db);
	free(dir);
	if (doc) {
		if (code == 0) {
			cJSON_AddNumberToObject(doc, "total", (double)total);
			cJSON *arr = cJSON_AddArrayToObject(doc, "entries");
			for (size_t i = 0; i < n; i++)
				cJSON_AddItemToArray(arr, entryjson(&v[i]));
		}
		state_ai_entries_free(v, n);
		return finish(doc, code);
	}
	if (code == 0 && !n)
		puts("dpc: the AI audit log is empty: dpc ai has made no request in this project");
	else if (code == 0)
		printtable(v, n);
	if (code == 0 && n < total)
		printf("(the newest %zu of %zu requests; --all shows every one)\n", n, total);
	state_ai_entries_free(v, n);
	return code;
}
