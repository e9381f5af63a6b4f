/* wh.h: the SQLite warehouse `dpc run` builds in: the connection, dpc's own
 * records kept in the warehouse file, and the statements every
 * materialization shares. Every relation lives in the schema "main".
 *
 * dpc's records sit in two tables of the same file, so that a relation and
 * the record of how it was built change in one transaction: a run killed at
 * any instant leaves both old or both new, and the next run decides from
 * records that describe the warehouse exactly.
 *
 *   _dpc_meta(key TEXT PRIMARY KEY, value TEXT)
 *       format = '1', hash = 'xxh3-128': records of another format or hash
 *           are dropped, and every node counts as never built
 *       complete = what the last run that left every node up to date saw
 *           (run.c's no-op check); removed before a run changes anything
 *   _dpc_runs(unique_id TEXT PRIMARY KEY, kind, relation, config, sql,
 *             upstream, version, status, rows, at)
 *       one row per seed, model and test, written with its last successful
 *       build (tests: with every execution): kind is seed, model or test;
 *       relation the relation's name; config the materialization and the
 *       settings that shape it; sql the hash of the rendered SQL (seeds: of
 *       the CSV and column types); upstream one line "<unique_id> <data
 *       version>" per relation read, sorted; version the data version the
 *       build gave the relation; status success, pass, warn or fail; rows
 *       the rows written or failing; at the UTC time.
 *
 * Hashes are 32 lowercase hex digits (xxh3-128). */
#ifndef DPC_WH_H
#define DPC_WH_H

#include <stdbool.h>
#include <stdio.h>

#include "util.h"

struct sqlite3;

/* one row of _dpc_runs; strings owned by the warehouse's arena */
struct wh_rec {
	const char *uid, *kind, *relation, *config, *upstream, *status;
	struct hash sql, version;
	long long rows;
};

struct wh {
	struct sqlite3 *db;
	const char *path;     /* as the user names it (relative to the project); borrowed */
	struct arena a;
	struct strmap rels;   /* relation name → "table" or "view" */
	struct strmap recs;   /* unique_id → struct wh_rec * */
	bool reset;           /* records of another format were dropped */
	FILE *trace;          /* DPC_RUN_TRACE: every warehouse statement, for the benchmark */
};

/* Open (create) the warehouse file root/path, set it up (WAL journal,
 * dpc's tables) and load the list of relations and dpc's records. Returns
 * 0, or -1 with *err (owned); wh_close either way. */
int wh_open(struct wh *w, const char *root, const char *path, char **err);
void wh_close(struct wh *w);

/* "table" or "view" when the warehouse has a relation of that name, else NULL */
const char *wh_reltype(const struct wh *w, const char *name);
/* note that a relation was made ("table", "view") or dropped (NULL) */
void wh_setrel(struct wh *w, const char *name, const char *type);
/* the record of a node, or NULL */
const struct wh_rec *wh_rec(const struct wh *w, const char *uid);

/* run SQL (one or more statements, no results wanted), written to the trace
 * when one is open. Returns 0, or -1 with *err (owned) */
int wh_exec(struct wh *w, const char *sql, char **err);
/* the same, never traced: dpc's own bookkeeping */
int wh_exec_quiet(struct wh *w, const char *sql, char **err);
/* a line for the trace alone (a shell command such as .import) */
void wh_trace(struct wh *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* BEGIN, COMMIT and ROLLBACK (traced); ROLLBACK never fails */
int wh_begin(struct wh *w, char **err);
int wh_commit(struct wh *w, char **err);
void wh_rollback(struct wh *w);

/* write r into _dpc_runs (inside the caller's transaction) */
int wh_put_rec(struct wh *w, const struct wh_rec *r, char **err);
/* the value of a _dpc_meta key (owned), or NULL; set or delete one */
char *wh_meta(struct wh *w, const char *key);
int wh_set_meta(struct wh *w, const char *key, const char *value, char **err);

/* the single integer a query returns; -1 with *err on error */
long long wh_count(struct wh *w, const char *sql, char **err);
/* the columns a relation has, in order (owned array of owned strings) */
char **wh_columns(struct wh *w, const char *name, size_t *n);

/* the rows a query returns: how many, and the first few as text */
struct wh_sample {
	long long count;
	size_t ncols, nrows;
	char **cols;          /* ncols names, owned */
	char **cells;         /* nrows * ncols values ("NULL" for NULL), owned */
};
#define WH_SAMPLE_ROWS 5
/* run a query, keep WH_SAMPLE_ROWS rows; returns 0, or -1 with *err */
int wh_sample(struct wh *w, const char *sql, struct wh_sample *s, char **err);
void wh_sample_free(struct wh_sample *s);

/* the data version of a relation dpc does not build (a source table): a
 * hash of every row it holds, in rowid order */
struct hash wh_content_hash(struct wh *w, const char *name);
/* a hash of the schema (every table, view, index and trigger, as SQLite
 * stores its definition), to notice relations changed behind dpc's back */
struct hash wh_schema_hash(struct wh *w);

/* "main"."name" into b, with " doubled */
void wh_quote(struct buf *b, const char *name);

#endif
