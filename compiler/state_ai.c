/* state_ai.c: the AI audit log and the LLM circuit breaker (state.h).
 *
 * On-disk format, .dpc/ai.db (SQLite, WAL journal), beside state.db:
 *
 *   PRAGMA user_version = AI_VERSION
 *   requests(id INTEGER PRIMARY KEY, time, actor, command, provider, model,
 *            prompt_hash, response_hash, tokens_in, tokens_out, status,
 *            applied, summary)
 *       one row per LLM request dpc ai made: time in unix seconds; actor
 *       DPC_ACTOR or the login name; command generate, explain or
 *       refactor; the xxh3-128 hex of what was sent and of the answer's
 *       text ('' when there was none); status 'ok' or the error kind
 *       (llm_status_name); applied 1 once the answer's patch was written;
 *       summary the request in short (80 characters, never a key)
 *   breakers(endpoint TEXT PRIMARY KEY, failures, opened_at)
 *       per provider and base URL: consecutive failed calls, and when the
 *       breaker opened (unix seconds; 0 while closed)
 *
 * Unlike state.db this file is a memory, not a cache: nothing rebuilds it,
 * so it is never thrown away. A file of an older AI_VERSION would be
 * migrated in place; one of a newer version is left alone (an error). */
#include "state.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "llm.h"

#define AI_VERSION 1
#define STR(x) #x
#define XSTR(x) STR(x)

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS requests(id INTEGER PRIMARY KEY, time INTEGER, actor TEXT,"
	" command TEXT, provider TEXT, model TEXT, prompt_hash TEXT, response_hash TEXT,"
	" tokens_in INTEGER, tokens_out INTEGER, status TEXT, applied INTEGER, summary TEXT);"
	"CREATE TABLE IF NOT EXISTS breakers(endpoint TEXT PRIMARY KEY, failures INTEGER,"
	" opened_at INTEGER) WITHOUT ROWID;"
	"PRAGMA user_version=" XSTR(AI_VERSION) ";";

const char *
state_actor(void)
{
	static const char *const vars[] = {"DPC_ACTOR", "LOGNAME", "USER"};
	for (size_t i = 0; i < LEN(vars); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return v;
	}
	struct passwd *pw = getpwuid(geteuid());
	return pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "unknown";
}

static int
userversion(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
state_ai_open(struct ai_db *a, const char *dir, bool create, char **err)
{
	*a = (struct ai_db){0};
	char *path = xasprintf("%s/ai.db", dir);
	struct stat sb;
	if (!create && stat(path, &sb) != 0) {
		free(path);
		return 0; /* no log yet: an empty one */
	}
	if (create && mkdir(dir, 0777) != 0 && errno != EEXIST) {
		*err = xasprintf("cannot create %s: %s", dir, strerror(errno));
		free(path);
		return -1;
	}
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &a->db, flags, NULL) != SQLITE_OK) {
		*err = xasprintf("cannot open %s: %s", path, sqlite3_errmsg(a->db));
		goto fail;
	}
	sqlite3_busy_timeout(a->db, 5000);
	int v = userversion(a->db);
	if (v > AI_VERSION) {
		*err = xasprintf("%s was written by a newer dpc (format %d; this dpc reads %d)", path, v,
				 AI_VERSION);
		goto fail;
	}
	char *msg = NULL;
	if (v < AI_VERSION && create && sqlite3_exec(a->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		*err = xasprintf("cannot set up %s: %s", path, msg ? msg : sqlite3_errmsg(a->db));
		sqlite3_free(msg);
		goto fail;
	}
	if (v < AI_VERSION && !create) {
		/* an empty file, or one another process is setting up: nothing to read */
		sqlite3_close(a->db);
		a->db = NULL;
	}
	free(path);
	return 0;
fail:
	sqlite3_close(a->db);
	a->db = NULL;
	free(path);
	return -1;
}

void
state_ai_close(struct ai_db *a)
{
	if (a->db)
		sqlite3_close(a->db);
	a->db = NULL;
}

int64_t
state_ai_log(struct ai_db *a, const struct ai_log_entry *e)
{
	sqlite3_stmt *st;
	if (!a || !a->db ||
	    sqlite3_prepare_v2(a->db,
			       "INSERT INTO requests(time, actor, command, provider, model, prompt_hash,"
			       " response_hash, tokens_in, tokens_out, status, applied, summary)"
			       " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, e->time ? e->time : (int64_t)time(NULL));
	sqlite3_bind_text(st, 2, e->actor ? e->actor : state_actor(), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->command ? e->command : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->provider ? e->provider : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->model ? e->model : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->prompt_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e->response_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, e->tokens_in);
	sqlite3_bind_int64(st, 9, e->tokens_out);
	sqlite3_bind_text(st, 10, e->status ? e->status : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, e->applied);
	sqlite3_bind_text(st, 12, e->summary ? e->summary : "", -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(st) == SQLITE_DONE ? sqlite3_last_insert_rowid(a->db) : -1;
	sqlite3_finalize(st);
	return id;
}

void
state_ai_applied(struct ai_db *a, int64_t id)
{
	sqlite3_stmt *st;
	if (!a || !a->db || id < 0 ||
	    sqlite3_prepare_v2(a->db, "UPDATE requests SET applied=1 WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

bool
state_ai_breaker(struct ai_db *a, const char *endpoint, struct llm_breaker *b)
{
	sqlite3_stmt *st;
	*b = (struct llm_breaker){0, 0};
	if (!a || !a->db)
		return true;
	if (sqlite3_prepare_v2(a->db, "SELECT failures, opened_at FROM breakers WHERE endpoint=?", -1, &st,
			       NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*b = (struct llm_breaker){sqlite3_column_int(st, 0), sqlite3_column_int64(st, 1)};
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

void
state_ai_set_breaker(struct ai_db *a, const char *endpoint, const struct llm_breaker *b)
{
	sqlite3_stmt *st;
	if (!a || !a->db ||
	    sqlite3_prepare_v2(a->db, "INSERT OR REPLACE INTO breakers VALUES(?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, b->failures);
	sqlite3_bind_int64(st, 3, b->opened_at);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

int
state_ai_reset_breakers(struct ai_db *a)
{
	sqlite3_stmt *st;
	int open = 0;
	if (!a || !a->db)
		return 0;
	if (sqlite3_prepare_v2(a->db, "SELECT count(*) FROM breakers WHERE opened_at<>0", -1, &st, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			open = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_exec(a->db, "DELETE FROM breakers", NULL, NULL, NULL);
	return open;
}

static const char *
coltext(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return xstrdup(t ? (const char *)t : "");
}

static void
colhex(sqlite3_stmt *st, int col, char out[33])
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(out, 33, "%s", t ? (const char *)t : "");
}

int
state_ai_entries(struct ai_db *a, size_t limit, struct ai_log_entry **v, size_t *n, size_t *total,
		 char **err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	if (total)
		*total = 0;
	if (!a || !a->db)
		return 0;
	if (total) {
		if (sqlite3_prepare_v2(a->db, "SELECT count(*) FROM requests", -1, &st, NULL) != SQLITE_OK)
			goto fail;
		if (sqlite3_step(st) == SQLITE_ROW)
			*total = (size_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(a->db,
			       "SELECT id, time, actor, command, provider, model, prompt_hash, response_hash,"
			       " tokens_in, tokens_out, status, applied, summary FROM requests"
			       " ORDER BY id DESC LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, limit ? (sqlite3_int64)limit : -1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		VEC_PUSH(*v, *n, cap);
		struct ai_log_entry *e = &(*v)[(*n)++];
		*e = (struct ai_log_entry){0};
		e->id = sqlite3_column_int64(st, 0);
		e->time = sqlite3_column_int64(st, 1);
		e->actor = coltext(st, 2);
		e->command = coltext(st, 3);
		e->provider = coltext(st, 4);
		e->model = coltext(st, 5);
		colhex(st, 6, e->prompt_hash);
		colhex(st, 7, e->response_hash);
		e->tokens_in = (long)sqlite3_column_int64(st, 8);
		e->tokens_out = (long)sqlite3_column_int64(st, 9);
		e->status = coltext(st, 10);
		e->applied = sqlite3_column_int(st, 11) != 0;
		e->summary = coltext(st, 12);
	}
	sqlite3_finalize(st);
	return 0;
fail:
	*err = xasprintf("cannot read the AI audit log: %s", sqlite3_errmsg(a->db));
	return -1;
}

void
state_ai_entries_free(struct ai_log_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)v[i].actor);
		free((char *)v[i].command);
		free((char *)v[i].provider);
		free((char *)v[i].model);
		free((char *)v[i].status);
		free((char *)v[i].summary);
	}
	free(v);
}
