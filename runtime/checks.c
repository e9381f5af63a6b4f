/* checks.c: the data tests and the source freshness checks of dpc run.
 *
 * A generic test is the query dbt's own macro would run (for row_count, the
 * generic test the dbt back end writes): it returns the rows that break the
 * rule, and the test fails (or, with severity warn, warns) when there is
 * any. A singular test is such a query already. The first rows are kept as a
 * sample for the report. A freshness check reads the newest value of the
 * source's loaded-at field and compares its age with warn_after and
 * error_after; times are read as SQLite reads them (ISO 8601 text in UTC, or
 * seconds or milliseconds since 1970). */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "runint.h"

/* a relation node gi as x reads it, into b; false with x->error */
static bool
rel(struct runner *r, struct rnode *x, size_t gi, struct buf *b)
{
	const char *why = NULL;
	if (run_relation(r, x, gi, b, &why))
		return true;
	x->error = xstrdup(why);
	return false;
}

bool
checks_generic_sql(struct runner *r, struct rnode *x)
{
	const struct spec_test *t = x->n->test;
	const char *col = x->n->column;
	struct buf from = {0}, q = {0};
	bool ok = false;
	if (t->where) {
		buf_puts(&from, "(select * from ");
		if (!rel(r, x, x->n->tested, &from))
			goto out;
		buf_printf(&from, " where %s) as dbt_subquery", t->where);
	} else if (!rel(r, x, x->n->tested, &from)) {
		goto out;
	}
	switch (t->kind) {
	case T_UNIQUE:
		buf_printf(&q,
			   "select %s as unique_field, count(*) as n_records\nfrom %s\nwhere %s is not null\n"
			   "group by %s\nhaving count(*) > 1",
			   col, from.data, col, col);
		break;
	case T_NOT_NULL:
		buf_printf(&q, "select *\nfrom %s\nwhere %s is null", from.data, col);
		break;
	case T_ACCEPTED_VALUES:
		buf_printf(&q,
			   "with all_values as (\n    select %s as value_field, count(*) as n_records\n    from %s\n"
			   "    group by %s\n)\nselect *\nfrom all_values\nwhere value_field not in (",
			   col, from.data, col);
		for (size_t i = 0; i < t->nvalues; i++) {
			if (i)
				buf_puts(&q, ", ");
			if (t->quote == 0)
				buf_puts(&q, t->values[i]);
			else
				buf_sqlstr(&q, t->values[i]);
		}
		buf_puts(&q, ")");
		break;
	case T_RELATIONSHIPS: {
		const struct node *to;
		if (strchr(t->to, '.')) {
			char *id = xasprintf("source.%s", t->to);
			to = graph_find(r->g, id);
			free(id);
		} else {
			to = graph_byname(r->g, t->to);
		}
		struct buf parent = {0};
		if (!to || !rel(r, x, (size_t)(to - r->g->nodes), &parent)) {
			if (!x->error)
				x->error = xasprintf("relationships target '%s' is not a model, seed or source table", t->to);
			buf_free(&parent);
			goto out;
		}
		buf_printf(&q,
			   "with child as (\n    select %s as from_field\n    from %s\n    where %s is not null\n),\n"
			   "parent as (\n    select %s as to_field\n    from %s\n)\nselect from_field\nfrom child\n"
			   "left join parent on child.from_field = parent.to_field\nwhere parent.to_field is null",
			   col, from.data, col, t->field, parent.data);
		buf_free(&parent);
		break;
	}
	case T_ROW_COUNT:
		/* as the project's generic test dpc_row_count (emit_dbt.c) */
		buf_printf(&q, "select row_count\nfrom (select count(*) as row_count from %s) as counted\nwhere",
			   from.data);
		if (t->min >= 0)
			buf_printf(&q, " row_count < %lld", t->min);
		if (t->min >= 0 && t->max >= 0)
			buf_puts(&q, " or");
		if (t->max >= 0)
			buf_printf(&q, " row_count > %lld", t->max);
		break;
	}
	x->body = buf_take(&q);
	ok = true;
out:
	buf_free(&from);
	buf_free(&q);
	return ok;
}

void
checks_run_test(struct runner *r, struct rnode *x)
{
	char *err = NULL;
	if (wh_sample(&r->wh, x->sql, &x->sample, &err) != 0) {
		x->status = RS_ERROR;
		x->message = xasprintf("%s: %s", x->n->name, err);
		free(err);
		return;
	}
	x->failures = x->sample.count;
	if (!x->failures)
		x->status = RS_PASS;
	else
		x->status = strcmp(x->severity, "warn") == 0 ? RS_WARN : RS_FAIL;
	x->message = x->failures ? xasprintf("Got %lld result%s, configured to %s if != 0", x->failures,
					     x->failures == 1 ? "" : "s", x->status == RS_WARN ? "warn" : "fail")
				 : NULL;
	struct wh_rec rec = {
		.uid = x->uid,
		.kind = "test",
		.config = x->config,
		.upstream = x->upstream,
		.status = report_status(x->status),
		.sql = x->sqlhash,
		.rows = x->failures,
	};
	if (wh_put_rec(&r->wh, &rec, &err) != 0) {
		free(x->message);
		x->status = RS_ERROR;
		x->message = err;
	}
}

/* a duration of the spec ("12h") in seconds */
static double
duration(const char *s)
{
	if (!s)
		return -1;
	char *end;
	double v = strtod(s, &end);
	switch (*end) {
	case 'm': return v * 60;
	case 'h': return v * 3600;
	case 'd': return v * 86400;
	default: return -1;
	}
}

static void
age(struct buf *b, double s)
{
	if (s < 120)
		buf_printf(b, "%.0f seconds", s);
	else if (s < 7200)
		buf_printf(b, "%.0f minutes", s / 60);
	else if (s < 172800)
		buf_printf(b, "%.1f hours", s / 3600);
	else
		buf_printf(b, "%.1f days", s / 86400);
}

void
checks_run_freshness(struct runner *r, struct rnode *x)
{
	const struct spec_freshness *f = x->fresh;
	struct buf q = {0}, from = {0};
	wh_quote(&from, x->relname);
	/* seconds since the newest value, whatever the field holds */
	buf_printf(&q,
		   "select m, case typeof(m)\n"
		   "    when 'null' then null\n"
		   "    when 'text' then (julianday('now') - julianday(m)) * 86400\n"
		   "    else case when m > 100000000000 then strftime('%%s', 'now') - m / 1000.0\n"
		   "              else strftime('%%s', 'now') - m end end\n"
		   "from (select max(%s) as m from %s%s%s)",
		   f->field, from.data, f->filter ? " where " : "", f->filter ? f->filter : "");
	if (r->wh.trace)
		fprintf(r->wh.trace, "%s;\n", q.data);
	sqlite3_stmt *st;
	struct buf msg = {0};
	if (sqlite3_prepare_v2(r->wh.db, q.data, -1, &st, NULL) != SQLITE_OK) {
		x->status = RS_ERROR;
		x->message = xasprintf("freshness of %s: %s", x->label, sqlite3_errmsg(r->wh.db));
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		x->status = RS_ERROR;
		x->message = xasprintf("freshness of %s: %s", x->label, sqlite3_errmsg(r->wh.db));
	} else if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		x->status = RS_ERROR;
		x->message = xasprintf("freshness of %s: no row has a %s", x->label, f->field);
	} else if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
		x->status = RS_ERROR;
		x->message = xasprintf("freshness of %s: max(%s) is '%s', not a time SQLite reads", x->label, f->field,
				       (const char *)sqlite3_column_text(st, 0));
	} else {
		double s = sqlite3_column_double(st, 1);
		double w = duration(f->warn_after), e = duration(f->error_after);
		x->status = e >= 0 && s > e ? RS_ERROR : w >= 0 && s > w ? RS_WARN : RS_PASS;
		buf_printf(&msg, "max(%s) is %s, ", f->field, (const char *)sqlite3_column_text(st, 0));
		age(&msg, s < 0 ? 0 : s);
		buf_puts(&msg, " old");
		if (f->warn_after)
			buf_printf(&msg, "; warn after %s", f->warn_after);
		if (f->error_after)
			buf_printf(&msg, "; error after %s", f->error_after);
		x->message = buf_take(&msg);
	}
	sqlite3_finalize(st);
out:
	buf_free(&q);
	buf_free(&from);
	buf_free(&msg);
}
