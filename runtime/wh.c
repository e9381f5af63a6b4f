/* wh.c: the warehouse connection and dpc's records in it (the format is
 * described in wh.h). */
#include "wh.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "dbutil.h"

#define WH_FORMAT "1"

/* The set-up every run starts with; traced, so that the benchmark's floor
 * runs on the same settings. WAL with synchronous=NORMAL survives a killed
 * process intact (only a power cut may lose the last transactions, never
 * corrupt the file). legacy_alter_table: renaming the new table into place
 * must not check the views of the schema, which may read the table being
 * replaced (it is dropped in the same transaction). */
static const char setup[] = "PRAGMA journal_mode=WAL;\n"
			    "PRAGMA synchronous=NORMAL;\n"
			    "PRAGMA legacy_alter_table=ON;\n"
			    "PRAGMA cache_size=-65536;\n";

static const char tables[] =
	"CREATE TABLE IF NOT EXISTS _dpc_meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE IF NOT EXISTS _dpc_runs(unique_id TEXT PRIMARY KEY, kind TEXT, relation TEXT,"
	" config TEXT, sql TEXT, upstream TEXT, version TEXT, status TEXT, rows INTEGER, at TEXT);"
	"INSERT OR IGNORE INTO _dpc_meta VALUES('format', '" WH_FORMAT "'), ('hash', 'xxh3-128');";

static int
fail(struct wh *w, char **err, const char *what)
{
	*err = xasprintf("%s: %s%s%s", w->path, what ? what : "", what ? ": " : "", sqlite3_errmsg(w->db));
	return -1;
}

int
wh_exec_quiet(struct wh *w, const char *sql, char **err)
{
	char *msg = NULL;
	if (sqlite3_exec(w->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	*err = xstrdup(msg ? msg : sqlite3_errmsg(w->db));
	sqlite3_free(msg);
	return -1;
}

int
wh_exec(struct wh *w, const char *sql, char **err)
{
	if (w->trace)
		fprintf(w->trace, "%s;\n", sql);
	return wh_exec_quiet(w, sql, err);
}

void
wh_trace(struct wh *w, const char *fmt, ...)
{
	if (!w->trace)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(w->trace, fmt, ap);
	va_end(ap);
	fputc('\n', w->trace);
}

int wh_begin(struct wh *w, char **err) { return wh_exec(w, "BEGIN IMMEDIATE", err); }
int wh_commit(struct wh *w, char **err) { return wh_exec(w, "COMMIT", err); }

void
wh_rollback(struct wh *w)
{
	if (!sqlite3_get_autocommit(w->db)) {
		char *err = NULL;
		wh_exec(w, "ROLLBACK", &err);
		free(err);
	}
}

static const char *
col(struct wh *w, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? arena_strdup(&w->a, (const char *)t) : NULL;
}

static struct hash
colhash(sqlite3_stmt *st, int i)
{
	struct hash h = {0, 0};
	const unsigned char *t = sqlite3_column_text(st, i);
	if (t)
		hash_parse((const char *)t, &h);
	return h;
}

static int
load(struct wh *w, char **err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(w->db, "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')", -1,
			       &st, NULL) != SQLITE_OK)
		return fail(w, err, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *type = sqlite3_column_text(st, 1);
		bool view = type && strcmp((const char *)type, "view") == 0;
		strmap_put(&w->rels, col(w, st, 0), (void *)(view ? "view" : "table"));
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(w->db,
			       "SELECT unique_id, kind, relation, config, sql, upstream, version, status, rows"
			       " FROM _dpc_runs",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(w, err, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct wh_rec *r = arena_alloc(&w->a, sizeof(*r));
		r->uid = col(w, st, 0);
		r->kind = col(w, st, 1);
		r->relation = col(w, st, 2);
		r->config = col(w, st, 3);
		r->sql = colhash(st, 4);
		r->upstream = col(w, st, 5);
		r->version = colhash(st, 6);
		r->status = col(w, st, 7);
		r->rows = sqlite3_column_int64(st, 8);
		if (r->uid)
			strmap_put(&w->recs, r->uid, r);
	}
	sqlite3_finalize(st);
	return 0;
}

/* make the folders of path beneath root */
static void
mkparents(const char *root, const char *path)
{
	char *full = xasprintf("%s/%s", root, path);
	size_t skip = strlen(root) + 1;
	for (char *p = full + skip; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(full, 0777);
		*p = '/';
	}
	free(full);
}

int
wh_open(struct wh *w, const char *root, const char *path, char **err)
{
	*w = (struct wh){.path = path};
	const char *tp = getenv("DPC_RUN_TRACE");
	if (tp && *tp && !(w->trace = fopen(tp, "a"))) {
		*err = xasprintf("DPC_RUN_TRACE %s: %s", tp, strerror(errno));
		return -1;
	}
	mkparents(root, path);
	char *full = xasprintf("%s/%s", root, path);
	int rc = sqlite3_open_v2(full, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	free(full);
	if (rc != SQLITE_OK)
		return fail(w, err, "cannot open the warehouse");
	sqlite3_busy_timeout(w->db, 5000);
	char *e = NULL;
	if (wh_exec(w, setup, &e) != 0) {
		*err = xasprintf("%s: %s", path, e);
		free(e);
		return -1;
	}
	/* records of another format are not trusted: everything rebuilds */
	char *fmt = NULL, *hash = NULL;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(w->db, "SELECT 1 FROM sqlite_master WHERE name = '_dpc_meta'", -1, &st, NULL) ==
	    SQLITE_OK) {
		bool have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (have) {
			fmt = wh_meta(w, "format");
			hash = wh_meta(w, "hash");
			if (!fmt || strcmp(fmt, WH_FORMAT) != 0 || !hash || strcmp(hash, "xxh3-128") != 0) {
				w->reset = true;
				if (wh_exec_quiet(w, "DROP TABLE IF EXISTS _dpc_runs; DROP TABLE _dpc_meta;", &e) != 0)
					goto bad;
			}
		}
	}
	if (wh_exec_quiet(w, tables, &e) != 0)
		goto bad;
	free(fmt);
	free(hash);
	return load(w, err);
bad:
	*err = xasprintf("%s: %s", path, e);
	free(e);
	free(fmt);
	free(hash);
	return -1;
}

void
wh_close(struct wh *w)
{
	if (w->db)
		wh_rollback(w);
	sqlite3_close(w->db);
	if (w->trace)
		fclose(w->trace);
	strmap_free(&w->rels);
	strmap_free(&w->recs);
	arena_free(&w->a);
	*w = (struct wh){0};
}

const char *
wh_reltype(const struct wh *w, const char *name)
{
	return strmap_get(&w->rels, name);
}

void
wh_setrel(struct wh *w, const char *name, const char *type)
{
	strmap_put(&w->rels, arena_strdup(&w->a, name), (void *)type);
}

const struct wh_rec *
wh_rec(const struct wh *w, const char *uid)
{
	return strmap_get(&w->recs, uid);
}

int
wh_put_rec(struct wh *w, const struct wh_rec *r, char **err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(w->db,
			       "INSERT OR REPLACE INTO _dpc_runs VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?,"
			       " strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(w, err, "cannot record the build");
	char sql[33], ver[33];
	hash_hex(r->sql, sql);
	hash_hex(r->version, ver);
	const char *v[] = {r->uid, r->kind, r->relation, r->config, sql, r->upstream, ver, r->status};
	for (int i = 0; i < 8; i++)
		sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, r->rows);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(w, err, "cannot record the build");
	/* keep the in-memory view in step: the no-op record is made from it */
	struct wh_rec *c = arena_alloc(&w->a, sizeof(*c));
	*c = *r;
	c->uid = arena_strdup(&w->a, r->uid);
	c->kind = arena_strdup(&w->a, r->kind);
	c->relation = r->relation ? arena_strdup(&w->a, r->relation) : NULL;
	c->config = r->config ? arena_strdup(&w->a, r->config) : NULL;
	c->upstream = r->upstream ? arena_strdup(&w->a, r->upstream) : NULL;
	c->status = arena_strdup(&w->a, r->status);
	strmap_put(&w->recs, c->uid, c);
	return 0;
}

char *
wh_meta(struct wh *w, const char *key)
{
	return db_text(w->db, "SELECT value FROM _dpc_meta WHERE key = ?", key);
}

int
wh_set_meta(struct wh *w, const char *key, const char *value, char **err)
{
	const char *sql = value ? "INSERT OR REPLACE INTO _dpc_meta VALUES(?, ?)" : "DELETE FROM _dpc_meta WHERE key = ?";
	return db_run(w->db, sql, key, value) == SQLITE_DONE ? 0 : fail(w, err, NULL);
}

long long
wh_count(struct wh *w, const char *sql, char **err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK) {
		*err = xstrdup(sqlite3_errmsg(w->db));
		return -1;
	}
	long long v = -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		*err = xstrdup(sqlite3_errmsg(w->db));
	sqlite3_finalize(st);
	return v;
}

char **
wh_columns(struct wh *w, const char *name, size_t *n)
{
	struct buf b = {0};
	buf_puts(&b, "SELECT * FROM ");
	wh_quote(&b, name);
	sqlite3_stmt *st;
	char **v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(w->db, b.data, -1, &st, NULL) == SQLITE_OK) {
		int k = sqlite3_column_count(st);
		v = xcalloc((size_t)k + 1, sizeof(*v));
		for (int i = 0; i < k; i++)
			v[i] = xstrdup(sqlite3_column_name(st, i));
		*n = (size_t)k;
		sqlite3_finalize(st);
	}
	buf_free(&b);
	return v;
}

int
wh_sample(struct wh *w, const char *sql, struct wh_sample *s, char **err)
{
	*s = (struct wh_sample){0};
	if (w->trace)
		fprintf(w->trace, "%s;\n", sql);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK) {
		*err = xstrdup(sqlite3_errmsg(w->db));
		return -1;
	}
	s->ncols = (size_t)sqlite3_column_count(st);
	s->cols = xcalloc(s->ncols + 1, sizeof(char *));
	for (size_t i = 0; i < s->ncols; i++)
		s->cols[i] = xstrdup(sqlite3_column_name(st, (int)i));
	s->cells = xcalloc(s->ncols * WH_SAMPLE_ROWS + 1, sizeof(char *));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (s->nrows < WH_SAMPLE_ROWS) {
			for (size_t i = 0; i < s->ncols; i++) {
				const unsigned char *t = sqlite3_column_text(st, (int)i);
				s->cells[s->nrows * s->ncols + i] = xstrdup(t ? (const char *)t : "NULL");
			}
			s->nrows++;
		}
		s->count++;
	}
	if (rc != SQLITE_DONE)
		*err = xstrdup(sqlite3_errmsg(w->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void
wh_sample_free(struct wh_sample *s)
{
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i]);
	for (size_t i = 0; i < s->nrows * s->ncols; i++)
		free(s->cells[i]);
	free(s->cols);
	free(s->cells);
	*s = (struct wh_sample){0};
}

static void
hashrows(sqlite3_stmt *st, struct hasher *h)
{
	int n = sqlite3_column_count(st);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (int i = 0; i < n; i++) {
			unsigned char t = (unsigned char)sqlite3_column_type(st, i);
			hasher_add(h, &t, 1);
			if (t == SQLITE_INTEGER) {
				int64_t v = sqlite3_column_int64(st, i);
				hasher_add(h, &v, sizeof(v));
			} else if (t == SQLITE_FLOAT) {
				double v = sqlite3_column_double(st, i);
				hasher_add(h, &v, sizeof(v));
			} else if (t != SQLITE_NULL) {
				const void *p = sqlite3_column_blob(st, i);
				hasher_add(h, p, (size_t)sqlite3_column_bytes(st, i));
			}
		}
}

struct hash
wh_content_hash(struct wh *w, const char *name)
{
	struct buf b = {0};
	buf_puts(&b, "SELECT * FROM ");
	wh_quote(&b, name);
	struct hasher h;
	hasher_init(&h);
	hasher_str(&h, name);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(w->db, b.data, -1, &st, NULL) == SQLITE_OK) {
		hashrows(st, &h);
		sqlite3_finalize(st);
	}
	buf_free(&b);
	return hasher_done(&h);
}

struct hash
wh_schema_hash(struct wh *w)
{
	struct hasher h;
	hasher_init(&h);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(w->db, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name", -1,
			       &st, NULL) == SQLITE_OK) {
		hashrows(st, &h);
		sqlite3_finalize(st);
	}
	return hasher_done(&h);
}

void
wh_quote(struct buf *b, const char *name)
{
	buf_puts(b, "\"main\".");
	buf_sqlident(b, name);
}
