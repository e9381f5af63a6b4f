/* state.c: the state DB (see state.h).
 *
 * On-disk format, .dpc/state.db (SQLite, WAL journal):
 *
 *   PRAGMA user_version = STATE_VERSION
 *   meta(key TEXT PRIMARY KEY, value TEXT)
 *       hash = 'xxh3-128'      the content hash every row uses
 *       dpc = <build id>       the dpc that wrote the DB; another one rebuilds
 *       spec = <hash>          the spec's hash at the last good build
 *   inputs(path TEXT PRIMARY KEY, size, mtime_ns, ino, hash, node, facts)
 *       every file the last build read (spec, fragments, SQL, CSV) and the
 *       folders include globs scanned; a stat equal to the row means
 *       unchanged. For the SQL file of exactly one model: node is its id and
 *       facts the digest of what the SQL references (ir_facts), which lets
 *       the quick rebuild (quick.c) see that an edit changed no edge
 *   outputs(path TEXT PRIMARY KEY, node, hash, pending, size, mtime_ns, ino)
 *       every file dpc wrote: hash is what it last wrote, pending what a
 *       build meant to write before it renamed the file into place (so a
 *       build killed between the two leaves a file dpc still recognises)
 *   builds(id INTEGER PRIMARY KEY, time, actor, spec, written, deleted)
 *       the audit log
 *
 * Hashes are 32 lowercase hex digits. A DB whose user_version or hash
 * differs is deleted and rebuilt: a clean rebuild, never a wrong answer. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "dbutil.h"

#define STATE_VERSION 2
#define STR(x) #x
#define XSTR(x) STR(x)

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS inputs(path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
	" ino INTEGER, hash TEXT, node TEXT, facts TEXT) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS outputs(path TEXT PRIMARY KEY, node TEXT, hash TEXT,"
	" pending TEXT, size INTEGER, mtime_ns INTEGER, ino INTEGER) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS builds(id INTEGER PRIMARY KEY, time INTEGER, actor TEXT,"
	" spec TEXT, written INTEGER, deleted INTEGER);";

static int
exec(struct state *s, const char *sql, char **err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (err)
			*err = xasprintf("state DB: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
version(struct state *s)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
opendb(struct state *s, const char *path, char **err)
{
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		*err = xasprintf("cannot open state DB %s: %s", path, sqlite3_errmsg(s->db));
		sqlite3_close(s->db);
		s->db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(s->db, 5000);
	return 0;
}

int
state_open(struct state *s, const char *dir, char **err)
{
	*s = (struct state){0};
	char *path = xasprintf("%s/state.db", dir);
	int rc = opendb(s, path, err);
	if (rc == 0) {
		int v = version(s);
		char *h = NULL;
		if (v == STATE_VERSION)
			h = state_meta(s, "hash");
		if (v != STATE_VERSION || !h || strcmp(h, "xxh3-128") != 0) {
			/* unknown or old: start over rather than trust it */
			s->fresh = true;
			sqlite3_close(s->db);
			s->db = NULL;
			char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
			unlink(path), unlink(wal), unlink(shm);
			free(wal), free(shm);
			rc = opendb(s, path, err);
			if (rc == 0 && (exec(s, schema, err) ||
					exec(s, "PRAGMA user_version=" XSTR(STATE_VERSION) ";"
						"INSERT OR REPLACE INTO meta VALUES('hash','xxh3-128');", err)))
				rc = -1;
		}
		free(h);
	}
	free(path);
	if (rc == 0 && exec(s, "PRAGMA synchronous=NORMAL;", err))
		rc = -1;
	return rc;
}

char *
state_meta(struct state *s, const char *key)
{
	return db_text(s->db, "SELECT value FROM meta WHERE key=?", key);
}

static struct hash
colhash(sqlite3_stmt *st, int col, bool *ok)
{
	struct hash h = {0, 0};
	const unsigned char *t = sqlite3_column_text(st, col);
	*ok = t && hash_parse((const char *)t, &h);
	return h;
}

bool
state_open_existing(struct state *s, const char *root)
{
	char *dir = xasprintf("%s/.dpc", root), *db = xasprintf("%s/state.db", dir), *err = NULL;
	struct stat sb;
	bool ok = stat(db, &sb) == 0;
	if (ok && (state_open(s, dir, &err) != 0 || state_load(s, &err) != 0)) {
		state_close(s);
		ok = false;
	}
	free(err);
	free(db);
	free(dir);
	return ok;
}

int
state_load(struct state *s, char **err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	bool ok;
	if (sqlite3_prepare_v2(s->db, "SELECT path, size, mtime_ns, ino, hash, node, facts FROM inputs",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		VEC_PUSH(s->inputs, s->ninputs, cap);
		struct state_input *in = &s->inputs[s->ninputs++];
		*in = (struct state_input){0};
		in->path = xstrdup((const char *)sqlite3_column_text(st, 0));
		in->st = (struct fstamp){sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
					 sqlite3_column_int64(st, 3), true};
		in->hash = colhash(st, 4, &ok);
		const unsigned char *node = sqlite3_column_text(st, 5);
		in->node = node ? xstrdup((const char *)node) : NULL;
		in->facts = colhash(st, 6, &in->has_facts);
	}
	sqlite3_finalize(st);
	cap = 0;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT path, node, hash, pending, size, mtime_ns, ino FROM outputs", -1,
			       &st, NULL) != SQLITE_OK)
		goto fail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		VEC_PUSH(s->outputs, s->noutputs, cap);
		struct state_output *o = &s->outputs[s->noutputs++];
		*o = (struct state_output){0};
		o->path = xstrdup((const char *)sqlite3_column_text(st, 0));
		const unsigned char *node = sqlite3_column_text(st, 1);
		o->node = xstrdup(node ? (const char *)node : "");
		o->hash = colhash(st, 2, &ok);
		o->pending = colhash(st, 3, &o->has_pending);
		o->st = (struct fstamp){sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
					sqlite3_column_int64(st, 6), true};
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < s->noutputs; i++)
		strmap_put(&s->outidx, s->outputs[i].path, (void *)(uintptr_t)(i + 1));
	return 0;
fail:
	*err = xasprintf("state DB: %s", sqlite3_errmsg(s->db));
	return -1;
}

struct state_output *
state_output(struct state *s, const char *path)
{
	uintptr_t i = (uintptr_t)strmap_get(&s->outidx, path);
	return i ? &s->outputs[i - 1] : NULL;
}

int
state_begin(struct state *s)
{
	return exec(s, "BEGIN IMMEDIATE", NULL);
}

int
state_commit(struct state *s)
{
	return exec(s, "COMMIT", NULL);
}

void
state_rollback(struct state *s)
{
	exec(s, "ROLLBACK", NULL);
}

void
state_inputs_free(struct state_input *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

void
state_set_meta(struct state *s, const char *key, const char *value)
{
	db_run(s->db, "INSERT OR REPLACE INTO meta VALUES(?, ?)", key, value);
}

void
state_sync_inputs(struct state *s, const struct state_input *v, size_t n)
{
	sqlite3_stmt *ins = NULL, *del = NULL;
	char hex[33];
	struct strmap old = {0}, keep = {0};
	/* the same paths in the same order (a quick rebuild's list): compare
	 * row by row, without the maps */
	bool same = n == s->ninputs;
	for (size_t i = 0; same && i < n; i++)
		same = v[i].path == s->inputs[i].path || strcmp(v[i].path, s->inputs[i].path) == 0;
	for (size_t i = 0; !same && i < s->ninputs; i++)
		strmap_put(&old, s->inputs[i].path, &s->inputs[i]);
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO inputs VALUES(?, ?, ?, ?, ?, ?, ?)", -1, &ins,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM inputs WHERE path=?", -1, &del, NULL) != SQLITE_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct state_input *o = &s->inputs[i];
		if (!same) {
			strmap_put(&keep, v[i].path, (void *)1);
			o = strmap_get(&old, v[i].path);
		}
		if (o && hash_eq(o->hash, v[i].hash) && o->st.size == v[i].st.size &&
		    o->st.mtime_ns == v[i].st.mtime_ns && o->st.ino == v[i].st.ino &&
		    o->has_facts == v[i].has_facts && (!o->has_facts || hash_eq(o->facts, v[i].facts)) &&
		    !o->node == !v[i].node && (!o->node || strcmp(o->node, v[i].node) == 0))
			continue;
		hash_hex(v[i].hash, hex);
		sqlite3_bind_text(ins, 1, v[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, v[i].st.size);
		sqlite3_bind_int64(ins, 3, v[i].st.mtime_ns);
		sqlite3_bind_int64(ins, 4, v[i].st.ino);
		sqlite3_bind_text(ins, 5, hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 6, v[i].node, -1, SQLITE_STATIC);
		if (v[i].has_facts) {
			hash_hex(v[i].facts, hex);
			sqlite3_bind_text(ins, 7, hex, -1, SQLITE_TRANSIENT);
		} else {
			sqlite3_bind_null(ins, 7);
		}
		sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	for (size_t i = 0; i < s->ninputs && !same; i++) {
		if (strmap_get(&keep, s->inputs[i].path))
			continue;
		sqlite3_bind_text(del, 1, s->inputs[i].path, -1, SQLITE_STATIC);
		sqlite3_step(del);
		sqlite3_reset(del);
	}
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	strmap_free(&old);
	strmap_free(&keep);
}

void
state_put_output(struct state *s, const struct state_output *o)
{
	char hex[33], pend[33];
	if (!s->put_output &&
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO outputs VALUES(?, ?, ?, ?, ?, ?, ?)", -1,
			       &s->put_output, NULL) != SQLITE_OK)
		return;
	sqlite3_stmt *st = s->put_output;
	hash_hex(o->hash, hex);
	hash_hex(o->pending, pend);
	sqlite3_bind_text(st, 1, o->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->node, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hex, -1, SQLITE_STATIC);
	if (o->has_pending)
		sqlite3_bind_text(st, 4, pend, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, o->st.size);
	sqlite3_bind_int64(st, 6, o->st.mtime_ns);
	sqlite3_bind_int64(st, 7, o->st.ino);
	sqlite3_step(st);
	sqlite3_reset(st);
}

void
state_del_output(struct state *s, const char *path)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM outputs WHERE path=?", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

void
state_settle_outputs(struct state *s)
{
	exec(s, "UPDATE outputs SET pending=NULL WHERE pending IS NOT NULL", NULL);
}

void
state_log_build(struct state *s, const char *spechash, long written, long deleted)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO builds(time, actor, spec, written, deleted) VALUES(?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	const char *actor = state_actor(); /* the same actor as the AI audit log's */
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, spechash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, written);
	sqlite3_bind_int64(st, 5, deleted);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

void
state_close(struct state *s)
{
	for (size_t i = 0; i < s->ninputs; i++) {
		free(s->inputs[i].path);
		free((char *)s->inputs[i].node);
	}
	for (size_t i = 0; i < s->noutputs; i++) {
		free(s->outputs[i].path);
		free(s->outputs[i].node);
	}
	free(s->inputs);
	free(s->outputs);
	strmap_free(&s->outidx);
	sqlite3_finalize(s->put_output);
	if (s->db)
		sqlite3_close(s->db);
	*s = (struct state){0};
}

struct fstamp
fstamp_of(int rootfd, const char *path)
{
	struct stat st;
	if (fstatat(rootfd, path, &st, 0) != 0)
		return (struct fstamp){0};
	return (struct fstamp){(int64_t)st.st_size,
			       (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
			       (int64_t)st.st_ino, true};
}

bool
fstamp_eq(struct fstamp a, struct fstamp b)
{
	return a.exists && b.exists && a.size == b.size && a.mtime_ns == b.mtime_ns && a.ino == b.ino;
}
