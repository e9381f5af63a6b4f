/* mat.c: building seeds and models in the SQLite warehouse.
 *
 * Every build is one transaction that also writes the node's record
 * (wh.h), so a failure or a kill at any instant leaves the old relation
 * and the old record:
 *
 *   seed         CREATE TABLE x__dpc_tmp (typed columns), INSERT the rows,
 *                drop x, rename x__dpc_tmp to x
 *   table        CREATE TABLE x__dpc_tmp AS <sql>, drop x, rename
 *   view         drop x, CREATE VIEW x AS <sql>, and a query of it (SQLite
 *                checks a view's tables only when it is read)
 *   incremental  the first time, or with --full-refresh: as a table. Then
 *                CREATE TABLE x__dpc_tmp AS <sql of the increment>; align
 *                the columns (on_schema_change); with a unique_key (merge,
 *                delete+insert) DELETE the rows of x whose key the increment
 *                has; INSERT the increment; drop x__dpc_tmp
 *
 * A relation of the wrong kind (a table where a view goes) is dropped in
 * the same transaction. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "csv.h"
#include "runint.h"

/* run exactly one statement (a model's SQL must not smuggle in a second) */
static int
one(struct wh *w, const char *sql, char **err)
{
	if (w->trace)
		fprintf(w->trace, "%s;\n", sql);
	sqlite3_stmt *st;
	const char *tail;
	if (sqlite3_prepare_v2(w->db, sql, -1, &st, &tail) != SQLITE_OK) {
		*err = xstrdup(sqlite3_errmsg(w->db));
		return -1;
	}
	sqlite3_stmt *more = NULL;
	if (tail && *tail && sqlite3_prepare_v2(w->db, tail, -1, &more, NULL) == SQLITE_OK && more) {
		sqlite3_finalize(more);
		sqlite3_finalize(st);
		*err = xstrdup("the SQL holds more than one statement; a model is one SELECT");
		return -1;
	}
	int rc = sqlite3_step(st);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*err = xstrdup(sqlite3_errmsg(w->db));
		return -1;
	}
	return 0;
}

static int
execf(struct wh *w, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
execf(struct wh *w, char **err, const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	int rc = wh_exec(w, b.data, err);
	buf_free(&b);
	return rc;
}

/* drop whatever relation is called name */
static int
dropold(struct wh *w, const char *name, const char *quoted, char **err)
{
	const char *type = wh_reltype(w, name);
	if (!type)
		return 0;
	return execf(w, err, "DROP %s IF EXISTS %s", strcmp(type, "view") == 0 ? "VIEW" : "TABLE", quoted);
}

/* the record of x's build, written in the build's transaction */
static int
record(struct runner *r, struct rnode *x, const char *kind, char **err)
{
	struct wh_rec rec = {
		.uid = x->uid,
		.kind = kind,
		.relation = x->relname,
		.config = x->config,
		.upstream = x->upstream,
		.status = "success",
		.sql = x->sqlhash,
		.version = x->version,
		.rows = x->rows,
	};
	return wh_put_rec(&r->wh, &rec, err);
}

static void
failed(struct runner *r, struct rnode *x, char *err)
{
	wh_rollback(&r->wh);
	x->status = RS_ERROR;
	x->message = xasprintf("%s %s: %s", x->kind == RK_SEED ? "seed" : "model", x->n->name, err);
	free(err);
}

/* the swap: drop x, rename x__dpc_tmp to x */
static int
swap(struct runner *r, struct rnode *x, const char *rel, const char *tmp, char **err)
{
	if (dropold(&r->wh, x->relname, rel, err) != 0)
		return -1;
	struct buf b = {0};
	buf_printf(&b, "ALTER TABLE %s RENAME TO ", tmp);
	buf_sqlident(&b, x->relname);
	int rc = wh_exec(&r->wh, b.data, err);
	buf_free(&b);
	return rc;
}

void
mat_seed(struct runner *r, struct rnode *x)
{
	const struct spec_seed *sd = x->n->seed;
	struct csv c;
	char *err = NULL;
	char delim = sd->delimiter && sd->delimiter[0] ? sd->delimiter[0] : ',';
	if (csv_parse(x->text, x->textlen, delim, &c, &err) != 0) {
		x->status = RS_ERROR;
		x->message = xasprintf("seed %s: %s: %s", x->n->name, sd->csv, err);
		free(err);
		csv_free(&c);
		return;
	}
	struct buf rel = {0}, tmp = {0}, q = {0};
	char *tname = xasprintf("%s__dpc_tmp", x->relname);
	wh_quote(&rel, x->relname);
	wh_quote(&tmp, tname);
	free(tname);
	buf_printf(&q, "CREATE TABLE %s (", tmp.data);
	for (size_t i = 0; i < c.ncols; i++) {
		const char *type = NULL;
		for (size_t k = 0; k < sd->ncolumns; k++)
			if (strcmp(sd->columns[k].name, c.head[i].s) == 0)
				type = sd->columns[k].type;
		if (i)
			buf_puts(&q, ", ");
		buf_sqlident(&q, c.head[i].s);
		buf_printf(&q, " %s", type ? type : csv_infer(&c, i));
	}
	buf_puts(&q, ")");
	sqlite3_stmt *ins = NULL;
	if (wh_begin(&r->wh, &err) || execf(&r->wh, &err, "DROP TABLE IF EXISTS %s", tmp.data) ||
	    wh_exec(&r->wh, q.data, &err))
		goto bad;
	/* the benchmark's floor loads the file with the shell's own import */
	if (delim == ',' && r->wh.trace) {
		char *root = realpath(r->o->root, NULL);
		wh_trace(&r->wh, ".import --csv --skip 1 '%s/%s' %s__dpc_tmp", root ? root : r->o->root, sd->csv,
			 x->relname);
		free(root);
	}
	q.len = 0;
	buf_printf(&q, "INSERT INTO %s VALUES (", tmp.data);
	for (size_t i = 0; i < c.ncols; i++)
		buf_puts(&q, i ? ", ?" : "?");
	buf_puts(&q, ")");
	if (sqlite3_prepare_v2(r->wh.db, q.data, -1, &ins, NULL) != SQLITE_OK) {
		err = xstrdup(sqlite3_errmsg(r->wh.db));
		goto bad;
	}
	for (size_t row = 0; row < c.nrows; row++) {
		for (size_t i = 0; i < c.ncols; i++) {
			const struct csv_field *f = &c.cells[row * c.ncols + i];
			if (f->s)
				sqlite3_bind_text(ins, (int)i + 1, f->s, (int)f->len, SQLITE_STATIC);
			else
				sqlite3_bind_null(ins, (int)i + 1);
		}
		if (sqlite3_step(ins) != SQLITE_DONE) {
			err = xasprintf("row %zu: %s", row + 1, sqlite3_errmsg(r->wh.db));
			goto bad;
		}
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	ins = NULL;
	x->rows = (long long)c.nrows;
	if (swap(r, x, rel.data, tmp.data, &err) || record(r, x, "seed", &err) || wh_commit(&r->wh, &err))
		goto bad;
	wh_setrel(&r->wh, x->relname, "table");
	x->status = RS_SUCCESS;
	goto out;
bad:
	sqlite3_finalize(ins);
	failed(r, x, err);
out:
	csv_free(&c);
	buf_free(&rel), buf_free(&tmp), buf_free(&q);
}

static bool
has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static void
freecols(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* an increment in x__dpc_tmp merged into x: columns aligned as
 * on_schema_change says, matching keys deleted, rows inserted */
static int
merge(struct runner *r, struct rnode *x, const char *rel, const char *tmp, const char *tname, char **err)
{
	const struct spec_model *m = x->n->model;
	size_t nt, nx;
	char **ct = wh_columns(&r->wh, tname, &nt), **cx = wh_columns(&r->wh, x->relname, &nx);
	const char *osc = m->on_schema_change ? m->on_schema_change : "ignore";
	const char *strategy = m->incremental_strategy ? m->incremental_strategy : m->nunique_key ? "merge" : "append";
	struct buf q = {0}, cols = {0};
	int rc = -1;
	bool differ = nt != nx;
	for (size_t i = 0; i < nt; i++)
		differ |= !has(cx, nx, ct[i]);
	if (differ && strcmp(osc, "fail") == 0) {
		*err = xstrdup("the increment's columns differ from the table's (on_schema_change: fail)");
		goto out;
	}
	if (strcmp(osc, "append_new_columns") == 0 || strcmp(osc, "sync_all_columns") == 0) {
		for (size_t i = 0; i < nt; i++)
			if (!has(cx, nx, ct[i])) {
				q.len = 0;
				buf_printf(&q, "ALTER TABLE %s ADD COLUMN ", rel);
				buf_sqlident(&q, ct[i]);
				if (wh_exec(&r->wh, q.data, err))
					goto out;
			}
		for (size_t i = 0; i < nx && strcmp(osc, "sync_all_columns") == 0; i++)
			if (!has(ct, nt, cx[i])) {
				q.len = 0;
				buf_printf(&q, "ALTER TABLE %s DROP COLUMN ", rel);
				buf_sqlident(&q, cx[i]);
				if (wh_exec(&r->wh, q.data, err))
					goto out;
			}
		freecols(cx, nx);
		cx = wh_columns(&r->wh, x->relname, &nx);
	}
	for (size_t i = 0, k = 0; i < nt; i++)
		if (has(cx, nx, ct[i])) {
			if (k++)
				buf_puts(&cols, ", ");
			buf_sqlident(&cols, ct[i]);
		}
	if (!cols.len) {
		*err = xstrdup("the increment has none of the table's columns");
		goto out;
	}
	if (strcmp(strategy, "merge") == 0 || strcmp(strategy, "delete+insert") == 0) {
		if (!m->nunique_key) {
			*err = xasprintf("incremental_strategy %s needs a unique_key", strategy);
			goto out;
		}
		struct buf keys = {0};
		for (size_t i = 0; i < m->nunique_key; i++) {
			if (i)
				buf_puts(&keys, ", ");
			if (is_ident(m->unique_key[i]))
				buf_sqlident(&keys, m->unique_key[i]);
			else
				buf_puts(&keys, m->unique_key[i]);
		}
		q.len = 0;
		buf_printf(&q, "DELETE FROM %s WHERE (%s) IN (SELECT %s FROM %s)", rel, keys.data, keys.data, tmp);
		buf_free(&keys);
		if (wh_exec(&r->wh, q.data, err))
			goto out;
	} else if (strcmp(strategy, "append") != 0) {
		*err = xasprintf("incremental_strategy %s is not supported on the SQLite warehouse (use merge, "
				 "delete+insert or append)",
				 strategy);
		goto out;
	}
	q.len = 0;
	buf_printf(&q, "INSERT INTO %s (%s) SELECT %s FROM %s", rel, cols.data, cols.data, tmp);
	if (wh_exec(&r->wh, q.data, err))
		goto out;
	x->rows = sqlite3_changes(r->wh.db);
	rc = execf(&r->wh, err, "DROP TABLE %s", tmp);
out:
	freecols(ct, nt);
	freecols(cx, nx);
	buf_free(&q);
	buf_free(&cols);
	return rc;
}

void
mat_model(struct runner *r, struct rnode *x)
{
	struct buf rel = {0}, tmp = {0}, q = {0};
	char *err = NULL;
	char *tname = xasprintf("%s__dpc_tmp", x->relname);
	wh_quote(&rel, x->relname);
	wh_quote(&tmp, tname);
	bool view = strcmp(x->mat, "view") == 0;
	if (wh_begin(&r->wh, &err))
		goto bad;
	if (view) {
		buf_printf(&q, "CREATE VIEW %s AS\n%s", rel.data, x->sql);
		if (dropold(&r->wh, x->relname, rel.data, &err) || one(&r->wh, q.data, &err))
			goto bad;
		q.len = 0;
		buf_printf(&q, "SELECT * FROM %s LIMIT 0", rel.data);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(r->wh.db, q.data, -1, &st, NULL) != SQLITE_OK) {
			err = xstrdup(sqlite3_errmsg(r->wh.db));
			goto bad;
		}
		sqlite3_finalize(st);
	} else {
		buf_printf(&q, "CREATE TABLE %s AS\n%s", tmp.data, x->sql);
		if (execf(&r->wh, &err, "DROP TABLE IF EXISTS %s", tmp.data) || one(&r->wh, q.data, &err))
			goto bad;
		if (x->incremental) {
			if (merge(r, x, rel.data, tmp.data, tname, &err))
				goto bad;
		} else {
			q.len = 0;
			buf_printf(&q, "SELECT count(*) FROM %s", tmp.data);
			if ((x->rows = wh_count(&r->wh, q.data, &err)) < 0 || swap(r, x, rel.data, tmp.data, &err))
				goto bad;
		}
	}
	if (record(r, x, "model", &err) || wh_commit(&r->wh, &err))
		goto bad;
	wh_setrel(&r->wh, x->relname, view ? "view" : "table");
	x->status = RS_SUCCESS;
	goto out;
bad:
	failed(r, x, err);
out:
	free(tname);
	buf_free(&rel), buf_free(&tmp), buf_free(&q);
}
