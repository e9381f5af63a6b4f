/* pgdiff.c: compare two schema models and write the migration between them
 * (see pgdiff.h), and list a model (pg_model_dump).
 *
 * Steps are collected by phase and the phases are concatenated, which is
 * what puts them in dependency order:
 *   drops: policies (so columns they use can change), indexes, foreign
 *     keys, other constraints, columns, functions (one may return a
 *     table's rows), tables (referencing ones first), extensions
 *   creates: schemas, extensions, tables (referenced ones first; a foreign
 *     key in a cycle is added after all tables), new and changed columns,
 *     constraints, foreign keys, functions, indexes, row level security,
 *     policies (drop policy if exists + create policy), grants, realtime
 *     (a DO block that checks pg_publication_tables first), and last the
 *     indexes to build concurrently, each alone.
 * Functions come after the tables (a SQL function's body names them) and
 * before indexes and policies (which may call them).
 *
 * What is compared: columns by name (type, not null, default, identity
 * kind, generation expression), constraints by content (and by name when
 * the wanted one was given a name), indexes by name then content, policies
 * by table and name, grants by table and role (a table the migration
 * creates starts with what the current model's default privileges give
 * it, which dpc may revoke), functions by name and
 * argument types then text, extensions by name then schema. Changes are
 * made in place where PostgreSQL can (alter column type, set default, ...);
 * where it cannot (a changed index, policy or constraint) the old one is
 * dropped and the new one created. */
#include "pgdiff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum phase {
	P_DROP_POLICY, P_DROP_INDEX, P_DROP_FKEY, P_DROP_CON, P_DROP_COLUMN, P_DROP_FUNC,
	P_DROP_TABLE, P_DROP_EXT, P_SCHEMA, P_EXT, P_TABLE, P_COLUMN, P_CON, P_FKEY, P_FUNC,
	P_INDEX, P_RLS, P_POLICY, P_GRANT, P_REALTIME, P_CONCURRENT, NPHASES
};

struct stepv {
	struct pg_step *v;
	size_t n, cap;
};

struct ctx {
	const struct pg_model *cur, *want;
	bool all;               /* drop_unowned */
	const char *vecschema;  /* where pgvector's types and operator classes are */
	struct pg_plan *plan;
	struct stepv ph[NPHASES];
	/* what the steps made now are about (see struct pg_step) */
	const char *subjschema, *subjtable, *subjcol, *subjindex;
};

/* the steps made next are about table schema.name (NULL: none) */
static void
about(struct ctx *x, const char *schema, const char *name)
{
	x->subjschema = schema;
	x->subjtable = name;
}

/* ---- SQL text ---- */

/* the table's name as people read it: no schema when public */
static void
putdisp(struct buf *b, const char *schema, const char *name)
{
	if (strcmp(schema, "public") != 0) {
		pg_put_ident(b, schema);
		buf_putc(b, '.');
	}
	pg_put_ident(b, name);
}

static bool
isvectype(const char *type)
{
	static const char *const vt[] = {"vector", "halfvec", "sparsevec"};
	for (size_t i = 0; i < LEN(vt); i++) {
		size_t n = strlen(vt[i]);
		if (strncmp(type, vt[i], n) == 0 && (!type[n] || type[n] == '(' || type[n] == '['))
			return true;
	}
	return false;
}

static void
puttype(const struct ctx *x, struct buf *b, const char *type)
{
	if (isvectype(type)) {
		pg_put_ident(b, x->vecschema);
		buf_putc(b, '.');
	}
	buf_puts(b, type);
}

static void
putnames(struct buf *b, const struct pg_names *ns)
{
	buf_putc(b, '(');
	for (size_t i = 0; i < ns->n; i++) {
		if (i)
			buf_puts(b, ", ");
		pg_put_ident(b, ns->v[i]);
	}
	buf_putc(b, ')');
}

static const char *const identname[] = {"", "always", "by default"};

/* the serial type that makes column c of t, or NULL */
static const char *
serialtype(const struct pg_table *t, const struct pg_column *c)
{
	static const char *const serials[][2] = {
		{"integer", "serial"}, {"bigint", "bigserial"}, {"smallint", "smallserial"}};
	const char *st = NULL;
	for (size_t i = 0; i < LEN(serials); i++)
		if (strcmp(c->type, serials[i][0]) == 0)
			st = serials[i][1];
	if (!st || !c->def || !c->not_null)
		return NULL;
	struct buf b = {0};
	pg_put_serial_default(&b, t->schema, t->name, c->name);
	if (strcmp(b.data, c->def) != 0)
		st = NULL;
	buf_free(&b);
	return st;
}

/* name type [generated ...] [primary key] [not null] [default e]; a new
 * column of t whose default is its own sequence's is made serial */
static void
putcoldef(const struct ctx *x, struct buf *b, const struct pg_table *t, const struct pg_column *c,
	  bool inlinepk)
{
	const char *serial = serialtype(t, c);
	pg_put_ident(b, c->name);
	buf_putc(b, ' ');
	if (serial) {
		buf_puts(b, serial);
		if (inlinepk)
			buf_puts(b, " primary key");
		return;
	}
	puttype(x, b, c->type);
	if (c->generated)
		buf_printf(b, " generated always as (%s) stored", c->generated);
	if (c->identity) {
		buf_printf(b, " generated %s as identity", identname[c->identity]);
		if (c->identity_opts)
			buf_printf(b, " (%s)", c->identity_opts);
	}
	if (inlinepk)
		buf_puts(b, " primary key");
	else if (c->not_null && !c->identity)
		buf_puts(b, " not null");
	if (c->def)
		buf_printf(b, " default %s", c->def);
}

static void
putcon(struct buf *b, const struct pg_constraint *c)
{
	if (c->named) {
		buf_puts(b, "constraint ");
		pg_put_ident(b, c->name);
		buf_putc(b, ' ');
	}
	switch (c->kind) {
	case PG_CON_PRIMARY:
		buf_puts(b, "primary key ");
		putnames(b, &c->cols);
		break;
	case PG_CON_UNIQUE:
		buf_puts(b, "unique ");
		putnames(b, &c->cols);
		break;
	case PG_CON_FOREIGN:
		buf_puts(b, "foreign key ");
		putnames(b, &c->cols);
		buf_puts(b, " references ");
		pg_put_qname(b, c->ref_schema, c->ref_table);
		if (c->ref_cols.n) {
			buf_putc(b, ' ');
			putnames(b, &c->ref_cols);
		}
		if (c->on_delete)
			buf_printf(b, " on delete %s", c->on_delete);
		if (c->on_update)
			buf_printf(b, " on update %s", c->on_update);
		break;
	case PG_CON_CHECK:
		buf_printf(b, "check (%s)", c->check);
		break;
	}
}

static void
putkeys(const struct ctx *x, struct buf *b, const struct pg_index *ix)
{
	buf_putc(b, '(');
	for (size_t k = 0; k < ix->nkeys; k++) {
		const struct pg_idxkey *key = &ix->keys[k];
		if (k)
			buf_puts(b, ", ");
		buf_puts(b, key->expr);
		if (key->opclass) {
			buf_putc(b, ' ');
			if (pg_is_vector_opclass(key->opclass)) {
				pg_put_ident(b, x->vecschema);
				buf_putc(b, '.');
			}
			buf_puts(b, key->opclass);
		}
		if (key->order)
			buf_printf(b, " %s", key->order);
	}
	buf_putc(b, ')');
}

static void
putindex(const struct ctx *x, struct buf *b, const struct pg_index *ix, bool conc)
{
	buf_printf(b, "create %sindex %s", ix->unique ? "unique " : "",
		   conc ? "concurrently if not exists " : "");
	pg_put_ident(b, ix->name);
	buf_puts(b, " on ");
	pg_put_qname(b, ix->schema, ix->table);
	if (strcmp(ix->method, "btree") != 0) {
		buf_puts(b, " using ");
		pg_put_ident(b, ix->method);
	}
	buf_putc(b, ' ');
	putkeys(x, b, ix);
	if (ix->with)
		buf_printf(b, " with (%s)", ix->with);
	if (ix->where)
		buf_printf(b, " where %s", ix->where);
}

static const char *const cmdname[] = {"all", "select", "insert", "update", "delete"};

static void
putpolicy(struct buf *b, const struct pg_table *t, const struct pg_policy *p)
{
	buf_puts(b, "create policy ");
	pg_put_ident(b, p->name);
	buf_puts(b, " on ");
	pg_put_qname(b, t->schema, t->name);
	if (p->restrictive)
		buf_puts(b, " as restrictive");
	if (p->cmd != PG_CMD_ALL)
		buf_printf(b, " for %s", cmdname[p->cmd]);
	buf_puts(b, " to ");
	for (size_t i = 0; i < p->roles.n; i++) {
		if (i)
			buf_puts(b, ", ");
		pg_put_ident(b, p->roles.v[i]);
	}
	if (!p->roles.n)
		buf_puts(b, "public");
	if (p->using_expr)
		buf_printf(b, " using (%s)", p->using_expr);
	if (p->check_expr)
		buf_printf(b, " with check (%s)", p->check_expr);
}

static const char *const privname[] = {"select", "insert", "update", "delete",
				       "truncate", "references", "trigger"};

static void
putprivs(struct buf *b, unsigned privs)
{
	if (privs == PG_PRIV_ALL) {
		buf_puts(b, "all");
		return;
	}
	bool first = true;
	for (size_t k = 0; k < LEN(privname); k++)
		if (privs & (1u << k)) {
			buf_printf(b, "%s%s", first ? "" : ", ", privname[k]);
			first = false;
		}
}

/* ---- steps ---- */

static void step(struct ctx *x, enum phase ph, bool destructive, struct buf *sql, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* add a step in phase ph: sql holds its statements without the final ;
 * (copied, then emptied for the next step) */
static void
step(struct ctx *x, enum phase ph, bool destructive, struct buf *sql, const char *fmt, ...)
{
	struct arena *a = &x->plan->arena;
	struct stepv *v = &x->ph[ph];
	struct buf d = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&d, fmt, ap);
	va_end(ap);
	buf_puts(sql, ";\n");
	VEC_PUSH(v->v, v->n, v->cap);
	v->v[v->n++] = (struct pg_step){
		.sql = arena_strdup(a, sql->data),
		.desc = arena_strdup(a, d.data),
		.destructive = destructive,
		.alone = ph == P_CONCURRENT,
		.schema = x->subjtable ? arena_strdup(a, x->subjschema) : NULL,
		.table = x->subjtable ? arena_strdup(a, x->subjtable) : NULL,
		.column = x->subjcol ? arena_strdup(a, x->subjcol) : NULL,
		.index = x->subjindex ? arena_strdup(a, x->subjindex) : NULL,
	};
	sql->len = 0;
	buf_free(&d);
}

static void keep(struct ctx *x, struct pg_origin at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
keep(struct ctx *x, struct pg_origin at, const char *fmt, ...)
{
	struct pg_plan *p = x->plan;
	struct buf d = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&d, fmt, ap);
	va_end(ap);
	VEC_PUSH(p->kept, p->nkept, p->capkept);
	p->kept[p->nkept++] = (struct pg_kept){arena_strdup(&p->arena, d.data), at};
	buf_free(&d);
}

/* dpc may drop what was defined at o */
static bool
mine(const struct ctx *x, struct pg_origin o)
{
	return x->all || o.owned;
}

/* "alter table s.t " */
static void
altertable(struct buf *b, const struct pg_table *t)
{
	buf_puts(b, "alter table ");
	pg_put_qname(b, t->schema, t->name);
	buf_putc(b, ' ');
}

/* t's name as people read it, in the plan's arena */
static const char *
tdisp(struct ctx *x, const struct pg_table *t)
{
	struct buf b = {0};
	putdisp(&b, t->schema, t->name);
	char *s = arena_strdup(&x->plan->arena, b.data);
	buf_free(&b);
	return s;
}

/* a name quoted as needed, in the plan's arena */
static const char *
cdisp(struct ctx *x, const char *c)
{
	struct buf b = {0};
	pg_put_ident(&b, c);
	char *s = arena_strdup(&x->plan->arena, b.data);
	buf_free(&b);
	return s;
}

/* ---- comparing ---- */

static bool
streq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool
namesequal(const struct pg_names *a, const struct pg_names *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* a foreign key's referenced columns: when not written, the primary key
 * of the referenced table as model m knows it */
static const struct pg_names *
refcols(const struct pg_model *m, const struct pg_constraint *c)
{
	if (c->ref_cols.n)
		return &c->ref_cols;
	const struct pg_table *rt = pg_table_find(m, c->ref_schema, c->ref_table);
	const struct pg_constraint *pk = rt ? pg_primary_key(rt) : NULL;
	return pk ? &pk->cols : &c->ref_cols;
}

static bool
consame(const struct ctx *x, const struct pg_constraint *a, const struct pg_constraint *b)
{
	if (a->kind != b->kind || (b->named && strcmp(a->name, b->name) != 0) ||
	    !namesequal(&a->cols, &b->cols) || !streq(a->check, b->check))
		return false;
	if (a->kind != PG_CON_FOREIGN)
		return true;
	return strcmp(a->ref_schema, b->ref_schema) == 0 && strcmp(a->ref_table, b->ref_table) == 0 &&
	       namesequal(refcols(x->cur, a), refcols(x->want, b)) &&
	       streq(a->on_delete, b->on_delete) && streq(a->on_update, b->on_update);
}

static bool
idxsame(const struct pg_index *a, const struct pg_index *b)
{
	if (strcmp(a->table, b->table) != 0 || strcmp(a->method, b->method) != 0 ||
	    a->unique != b->unique || a->nkeys != b->nkeys || !streq(a->with, b->with) ||
	    !streq(a->where, b->where))
		return false;
	for (size_t k = 0; k < a->nkeys; k++)
		if (!streq(a->keys[k].expr, b->keys[k].expr) ||
		    !streq(a->keys[k].opclass, b->keys[k].opclass) ||
		    !streq(a->keys[k].order, b->keys[k].order))
			return false;
	return true;
}

static bool
polsame(const struct pg_policy *a, const struct pg_policy *b)
{
	return a->cmd == b->cmd && a->restrictive == b->restrictive &&
	       namesequal(&a->roles, &b->roles) && streq(a->using_expr, b->using_expr) &&
	       streq(a->check_expr, b->check_expr);
}

static const struct pg_function *
findfunc(const struct pg_model *m, const struct pg_function *f)
{
	for (size_t i = 0; i < m->nfuncs; i++)
		if (strcmp(m->funcs[i]->schema, f->schema) == 0 && strcmp(m->funcs[i]->name, f->name) == 0 &&
		    strcmp(m->funcs[i]->args, f->args) == 0)
			return m->funcs[i];
	return NULL;
}

/* t has a foreign key to o (other than itself) */
static bool
references(const struct pg_table *t, const struct pg_table *o)
{
	for (size_t k = 0; k < t->ncons; k++) {
		const struct pg_constraint *c = t->cons[k];
		if (t != o && c->kind == PG_CON_FOREIGN && strcmp(c->ref_table, o->name) == 0 &&
		    strcmp(c->ref_schema, o->schema) == 0)
			return true;
	}
	return false;
}

/* the index of t in v[0, n), or n */
static size_t
indexof(const struct pg_table *const *v, size_t n, const struct pg_table *t)
{
	size_t i = 0;
	while (i < n && v[i] != t)
		i++;
	return i;
}

/* Order v[0, n) so that a table comes after those it references (rev:
 * before). When a cycle leaves no candidate, the first remaining table
 * goes next and cyc[i] is set for it: its foreign keys into the rest must
 * be handled apart. */
static void
fkorder(const struct pg_table **v, size_t n, bool rev, bool *cyc)
{
	for (size_t done = 0; done < n; done++) {
		size_t pick = n;
		for (size_t i = done; i < n && pick == n; i++) {
			bool ready = true;
			for (size_t j = done; j < n && ready; j++)
				if (j != i)
					ready = rev ? !references(v[j], v[i]) : !references(v[i], v[j]);
			if (ready)
				pick = i;
		}
		cyc[done] = pick == n;
		if (pick == n)
			pick = done;
		const struct pg_table *t = v[pick];
		memmove(&v[done + 1], &v[done], (pick - done) * sizeof(*v));
		v[done] = t;
	}
}

/* ---- what happens to current objects ---- */

/* cur's table schema.name goes away: the wanted model lacks it, dpc may drop it */
static bool
tablegoes(const struct ctx *x, const char *schema, const char *name)
{
	const struct pg_table *ct = pg_table_find(x->cur, schema, name);
	return ct && !pg_table_find(x->want, schema, name) && mine(x, ct->at);
}

/* column c of cur's table ct is dropped (or dropped and added again) */
static bool
colgoes(const struct ctx *x, const struct pg_table *ct, const struct pg_column *c)
{
	const struct pg_table *wt = pg_table_find(x->want, ct->schema, ct->name);
	const struct pg_column *w = wt ? pg_column_find(wt, c->name) : NULL;
	if (!wt)
		return mine(x, ct->at);
	return w ? !streq(c->generated, w->generated) : mine(x, c->at);
}

/* an index of cur that PostgreSQL drops with a column dpc drops */
static bool
idxgoes(const struct ctx *x, const struct pg_index *ix)
{
	const struct pg_table *ct = pg_table_find(x->cur, ix->schema, ix->table);
	for (size_t i = 0; ct && i < ct->ncols; i++) {
		if (!colgoes(x, ct, ct->cols[i]))
			continue;
		for (size_t k = 0; k < ix->nkeys; k++)
			if (pg_text_mentions(ix->keys[k].expr, ct->cols[i]->name))
				return true;
		if (ix->where && pg_text_mentions(ix->where, ct->cols[i]->name))
			return true;
	}
	return false;
}

static bool
inames(const struct pg_names *ns, const char *name)
{
	for (size_t k = 0; k < ns->n; k++)
		if (strcmp(ns->v[k], name) == 0)
			return true;
	return false;
}

/* a constraint of cur's table ct that goes with a column dpc drops */
static bool
congoes(const struct ctx *x, const struct pg_table *ct, const struct pg_constraint *c)
{
	for (size_t i = 0; i < ct->ncols; i++) {
		const char *col = ct->cols[i]->name;
		if (colgoes(x, ct, ct->cols[i]) &&
		    (inames(&c->cols, col) || (c->check && pg_text_mentions(c->check, col))))
			return true;
	}
	return false;
}

/* ---- tables ---- */

/* a policy of cur's table ct uses a column that is dropped or retyped:
 * PostgreSQL refuses both while the policy exists */
static bool
polstale(const struct ctx *x, const struct pg_table *ct, const struct pg_policy *p)
{
	const struct pg_table *wt = pg_table_find(x->want, ct->schema, ct->name);
	for (size_t i = 0; i < ct->ncols; i++) {
		const struct pg_column *c = ct->cols[i], *w = wt ? pg_column_find(wt, c->name) : NULL;
		if (!(colgoes(x, ct, c) || (w && strcmp(c->type, w->type) != 0)))
			continue;
		if ((p->using_expr && pg_text_mentions(p->using_expr, c->name)) ||
		    (p->check_expr && pg_text_mentions(p->check_expr, c->name)))
			return true;
	}
	return false;
}

static void
createpolicy(struct ctx *x, const struct pg_table *t, const struct pg_policy *p)
{
	struct buf b = {0};
	buf_puts(&b, "drop policy if exists ");
	pg_put_ident(&b, p->name);
	buf_puts(&b, " on ");
	pg_put_qname(&b, t->schema, t->name);
	buf_puts(&b, ";\n");
	putpolicy(&b, t, p);
	step(x, P_POLICY, false, &b, "create policy %s on %s", cdisp(x, p->name), tdisp(x, t));
	buf_free(&b);
}

static void
droppolicy(struct ctx *x, const struct pg_table *t, const struct pg_policy *p)
{
	struct buf b = {0};
	buf_puts(&b, "drop policy if exists ");
	pg_put_ident(&b, p->name);
	buf_puts(&b, " on ");
	pg_put_qname(&b, t->schema, t->name);
	step(x, P_DROP_POLICY, false, &b, "drop policy %s on %s", cdisp(x, p->name), tdisp(x, t));
	buf_free(&b);
}

static void
policies(struct ctx *x, const struct pg_table *ct, const struct pg_table *wt)
{
	for (size_t i = 0; ct && i < ct->npols; i++) {
		const struct pg_policy *p = ct->pols[i], *w = pg_policy_find(wt, p->name);
		bool stale = polstale(x, ct, p);
		if (w && (stale || !polsame(p, w))) {
			droppolicy(x, ct, p);
		} else if (!w && mine(x, p->at)) {
			droppolicy(x, ct, p);
		} else if (!w && stale) {
			/* not dpc's to drop, but in the way: dropped and made again as it was */
			droppolicy(x, ct, p);
			createpolicy(x, ct, p);
		} else if (!w) {
			keep(x, p->at, "policy %s on %s is not in the spec", cdisp(x, p->name), tdisp(x, ct));
		}
	}
	for (size_t i = 0; i < wt->npols; i++) {
		const struct pg_policy *w = wt->pols[i], *p = ct ? pg_policy_find(ct, w->name) : NULL;
		if (!p || !polsame(p, w) || polstale(x, ct, p))
			createpolicy(x, wt, w);
	}
}

/* What each role holds on wanted table wt before the migration: the
 * grants of current table ct or, for a table the migration creates, what
 * the current model's default privileges give it as it is created (dpc's
 * to change, since dpc makes the table). An owned array of grants that
 * borrow their roles; *n receives its length. */
static struct pg_grant *
holding(const struct ctx *x, const struct pg_table *ct, const struct pg_table *wt, size_t *n)
{
	size_t k = 0;
	struct pg_grant *v;
	if (ct) {
		v = xcalloc(ct->ngrants + 1, sizeof(*v));
		for (size_t i = 0; i < ct->ngrants; i++)
			v[k++] = *ct->grants[i];
		*n = k;
		return v;
	}
	const struct pg_model *m = x->cur;
	v = xcalloc(m->ndefacls + 1, sizeof(*v));
	for (size_t i = 0; i < m->ndefacls; i++) {
		const char *role = m->defacls[i]->role;
		size_t j = 0;
		while (j < k && strcmp(v[j].role, role) != 0)
			j++;
		if (j < k)
			continue;
		unsigned privs = pg_default_privs(m, wt->schema, role);
		if (privs)
			v[k++] = (struct pg_grant){(char *)role, privs, {.loc = NOLOC, .owned = true}};
	}
	*n = k;
	return v;
}

static void
grants(struct ctx *x, const struct pg_table *ct, const struct pg_table *wt)
{
	struct buf b = {0};
	size_t nheld;
	struct pg_grant *held = holding(x, ct, wt, &nheld);
	for (size_t i = 0; i < wt->ngrants; i++) {
		const struct pg_grant *w = wt->grants[i];
		const struct pg_grant *c = NULL;
		for (size_t k = 0; k < nheld && !c; k++)
			if (strcmp(held[k].role, w->role) == 0)
				c = &held[k];
		unsigned add = w->privs & ~(c ? c->privs : 0);
		if (!add)
			continue;
		buf_puts(&b, "grant ");
		putprivs(&b, add);
		buf_puts(&b, " on table ");
		pg_put_qname(&b, wt->schema, wt->name);
		buf_puts(&b, " to ");
		pg_put_ident(&b, w->role);
		step(x, P_GRANT, false, &b, "grant on %s to %s", tdisp(x, wt), cdisp(x, w->role));
	}
	for (size_t i = 0; i < nheld; i++) {
		const struct pg_grant *c = &held[i];
		unsigned keepp = 0;
		for (size_t k = 0; k < wt->ngrants; k++)
			if (strcmp(wt->grants[k]->role, c->role) == 0)
				keepp = wt->grants[k]->privs;
		unsigned rm = c->privs & ~keepp;
		if (!rm)
			continue;
		if (!mine(x, c->at)) {
			keep(x, c->at, "grant on %s to %s is not in the spec", tdisp(x, wt), cdisp(x, c->role));
			continue;
		}
		buf_puts(&b, "revoke ");
		putprivs(&b, rm);
		buf_puts(&b, " on table ");
		pg_put_qname(&b, wt->schema, wt->name);
		buf_puts(&b, " from ");
		pg_put_ident(&b, c->role);
		step(x, P_GRANT, false, &b, "revoke on %s from %s", tdisp(x, wt), cdisp(x, c->role));
	}
	free(held);
	buf_free(&b);
}

/* the re-runnable realtime membership change */
static void
realtime(struct ctx *x, const struct pg_table *t, bool add)
{
	struct buf b = {0};
	buf_printf(&b, "do $dpc$\nbegin\n  if %sexists (\n    select 1 from pg_catalog.pg_publication_tables\n"
		       "    where pubname = 'supabase_realtime' and schemaname = ",
		   add ? "not " : "");
	buf_sqlstr(&b, t->schema);
	buf_puts(&b, " and tablename = ");
	buf_sqlstr(&b, t->name);
	buf_printf(&b, "\n  ) then\n    alter publication supabase_realtime %s table ", add ? "add" : "drop");
	pg_put_qname(&b, t->schema, t->name);
	buf_puts(&b, ";\n  end if;\nend\n$dpc$");
	step(x, P_REALTIME, false, &b, "%s %s %s supabase_realtime", add ? "add" : "remove", tdisp(x, t),
	     add ? "to" : "from");
	buf_free(&b);
}

/* row level security, policies, grants and realtime of wanted table wt;
 * ct is the current one or NULL */
static void
tablerest(struct ctx *x, const struct pg_table *ct, const struct pg_table *wt)
{
	struct buf b = {0};
	bool rls = ct && ct->rls;
	if (wt->rls != rls && (wt->rls || mine(x, ct->rls_at))) {
		altertable(&b, wt);
		buf_printf(&b, "%s row level security", wt->rls ? "enable" : "disable");
		step(x, P_RLS, false, &b, "%s row level security on %s", wt->rls ? "enable" : "disable",
		     tdisp(x, wt));
	} else if (wt->rls != rls) {
		keep(x, ct->rls_at, "row level security on %s is not in the spec", tdisp(x, ct));
	}
	policies(x, ct, wt);
	grants(x, ct, wt);
	bool rt = ct && ct->realtime;
	if (wt->realtime != rt && (wt->realtime || mine(x, ct->realtime_at)))
		realtime(x, wt, wt->realtime);
	else if (wt->realtime != rt)
		keep(x, ct->realtime_at, "%s in supabase_realtime is not in the spec", tdisp(x, ct));
	buf_free(&b);
}

static void
addcon(struct ctx *x, const struct pg_table *t, const struct pg_constraint *c)
{
	struct buf b = {0};
	altertable(&b, t);
	buf_puts(&b, "add ");
	putcon(&b, c);
	step(x, c->kind == PG_CON_FOREIGN ? P_FKEY : P_CON, false, &b, "add constraint %s on %s",
	     cdisp(x, c->name), tdisp(x, t));
	buf_free(&b);
}

static void
dropcon(struct ctx *x, const struct pg_table *t, const struct pg_constraint *c)
{
	struct buf b = {0};
	altertable(&b, t);
	buf_puts(&b, "drop constraint ");
	pg_put_ident(&b, c->name);
	step(x, c->kind == PG_CON_FOREIGN ? P_DROP_FKEY : P_DROP_CON, false, &b,
	     "drop constraint %s on %s", cdisp(x, c->name), tdisp(x, t));
	buf_free(&b);
}

/* create wanted table t, order[pos]; a foreign key to a table created
 * later (order[pos + 1, n)) is added once all are made */
static void
createtable(struct ctx *x, const struct pg_table **order, size_t pos, size_t n)
{
	const struct pg_table *t = order[pos];
	const struct pg_constraint *pk = pg_primary_key(t);
	const char *inl = pk && !pk->named && pk->cols.n == 1 ? pk->cols.v[0] : NULL;
	struct buf b = {0};
	buf_puts(&b, "create table ");
	pg_put_qname(&b, t->schema, t->name);
	buf_puts(&b, " (");
	const char *sep = "\n  ";
	for (size_t i = 0; i < t->ncols; i++, sep = ",\n  ") {
		buf_puts(&b, sep);
		putcoldef(x, &b, t, t->cols[i], inl && strcmp(t->cols[i]->name, inl) == 0);
	}
	for (size_t i = 0; i < t->ncons; i++) {
		const struct pg_constraint *c = t->cons[i];
		const struct pg_table *rt = c->kind == PG_CON_FOREIGN
						    ? pg_table_find(x->want, c->ref_schema, c->ref_table)
						    : NULL;
		if ((c == pk && inl) || (rt && indexof(order, n, rt) > pos && indexof(order, n, rt) < n))
			continue;
		buf_puts(&b, sep);
		putcon(&b, c);
		sep = ",\n  ";
	}
	buf_puts(&b, "\n)");
	step(x, P_TABLE, false, &b, "create table %s", tdisp(x, t));
	for (size_t i = 0; i < t->ncons; i++) {
		const struct pg_constraint *c = t->cons[i];
		const struct pg_table *rt = c->kind == PG_CON_FOREIGN
						    ? pg_table_find(x->want, c->ref_schema, c->ref_table)
						    : NULL;
		if (rt && indexof(order, n, rt) > pos && indexof(order, n, rt) < n)
			addcon(x, t, c);
	}
	buf_free(&b);
	tablerest(x, NULL, t);
}

static void
colstep(struct ctx *x, const struct pg_table *t, const struct pg_column *c, bool destructive,
	const char *what, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* one alter column step: "alter table t alter column c <fmt>" */
static void
colstep(struct ctx *x, const struct pg_table *t, const struct pg_column *c, bool destructive,
	const char *what, const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	altertable(&b, t);
	buf_puts(&b, "alter column ");
	pg_put_ident(&b, c->name);
	buf_putc(&b, ' ');
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	x->subjcol = c->name;
	step(x, P_COLUMN, destructive, &b, "%s %s.%s", what, tdisp(x, t), cdisp(x, c->name));
	x->subjcol = NULL;
	buf_free(&b);
}

static void
dropcolumn(struct ctx *x, const struct pg_table *t, const struct pg_column *c)
{
	struct buf b = {0};
	altertable(&b, t);
	buf_puts(&b, "drop column ");
	pg_put_ident(&b, c->name);
	x->subjcol = c->name;
	step(x, P_DROP_COLUMN, true, &b, "drop column %s.%s", tdisp(x, t), cdisp(x, c->name));
	x->subjcol = NULL;
	buf_free(&b);
}

static void
addcolumn(struct ctx *x, const struct pg_table *t, const struct pg_column *c)
{
	struct buf b = {0};
	altertable(&b, t);
	buf_puts(&b, "add column ");
	putcoldef(x, &b, t, c, false);
	x->subjcol = c->name;
	step(x, P_COLUMN, false, &b, "add column %s.%s", tdisp(x, t), cdisp(x, c->name));
	x->subjcol = NULL;
	buf_free(&b);
}

/* the steps that change column c of ct into w */
static void
altercolumn(struct ctx *x, const struct pg_table *ct, const struct pg_column *c,
	    const struct pg_column *w)
{
	bool retype = strcmp(c->type, w->type) != 0;
	bool newdef = !streq(c->def, w->def) || (retype && c->def);
	if (c->identity && !w->identity)
		colstep(x, ct, c, false, "drop identity of", "drop identity");
	if (c->def && newdef && (!w->def || retype))
		colstep(x, ct, c, false, "drop default of", "drop default");
	if (retype) {
		bool narrow = pg_type_narrowing(c->type, w->type);
		struct buf ty = {0};
		puttype(x, &ty, w->type);
		struct buf cn = {0};
		pg_put_ident(&cn, c->name);
		char *what = xasprintf("change type (%s to %s%s) of", c->type, w->type,
				       narrow ? ", narrowing" : "");
		if (narrow)
			colstep(x, ct, c, true, what, "type %s using %s::%s", ty.data, cn.data, ty.data);
		else
			colstep(x, ct, c, false, what, "type %s", ty.data);
		free(what);
		buf_free(&ty);
		buf_free(&cn);
	}
	/* an identity column is not null whatever the flag says */
	bool wnn = w->not_null || w->identity, cnn = c->not_null || c->identity;
	if (wnn && !cnn)
		colstep(x, ct, c, false, "set not null on", "set not null");
	if (w->identity && !c->identity)
		colstep(x, ct, c, false, "make identity", "add generated %s as identity%s%s%s",
			identname[w->identity], w->identity_opts ? " (" : "",
			w->identity_opts ? w->identity_opts : "", w->identity_opts ? ")" : "");
	else if (w->identity && c->identity != w->identity)
		colstep(x, ct, c, false, "change identity of", "set generated %s", identname[w->identity]);
	if (w->def && newdef)
		colstep(x, ct, c, false, "set default of", "set default %s", w->def);
	if (!wnn && cnn)
		colstep(x, ct, c, false, "drop not null on", "drop not null");
}

/* the steps that change current table ct into wanted wt */
static void
altertab(struct ctx *x, const struct pg_table *ct, const struct pg_table *wt)
{
	for (size_t i = 0; i < ct->ncols; i++) {
		const struct pg_column *c = ct->cols[i];
		if (colgoes(x, ct, c))
			dropcolumn(x, ct, c);
		else if (!pg_column_find(wt, c->name))
			keep(x, c->at, "column %s.%s is not in the spec", tdisp(x, ct), cdisp(x, c->name));
	}
	for (size_t i = 0; i < wt->ncols; i++) {
		const struct pg_column *w = wt->cols[i], *c = pg_column_find(ct, w->name);
		if (!c || colgoes(x, ct, c))
			addcolumn(x, wt, w);
		else
			altercolumn(x, ct, c, w);
	}
	/* constraints: by content; what is left over on either side changes */
	bool *matched = xcalloc(wt->ncons ? wt->ncons : 1, sizeof(bool));
	const struct pg_constraint *newpk = NULL;
	for (size_t k = 0; k < wt->ncons; k++)
		if (wt->cons[k]->kind == PG_CON_PRIMARY)
			newpk = wt->cons[k];
	for (size_t i = 0; i < ct->ncons; i++) {
		const struct pg_constraint *c = ct->cons[i];
		size_t k = 0;
		if (congoes(x, ct, c))
			continue; /* PostgreSQL drops it with the column */
		while (k < wt->ncons && (matched[k] || !consame(x, c, wt->cons[k])))
			k++;
		if (k < wt->ncons)
			matched[k] = true;
		else if (mine(x, c->at) || (c->kind == PG_CON_PRIMARY && newpk))
			dropcon(x, ct, c);
		else
			keep(x, c->at, "constraint %s on %s is not in the spec", cdisp(x, c->name),
			     tdisp(x, ct));
	}
	for (size_t k = 0; k < wt->ncons; k++)
		if (!matched[k])
			addcon(x, wt, wt->cons[k]);
	free(matched);
	tablerest(x, ct, wt);
}

static void
droptable(struct ctx *x, const struct pg_table *t)
{
	struct buf b = {0};
	buf_puts(&b, "drop table ");
	pg_put_qname(&b, t->schema, t->name);
	step(x, P_DROP_TABLE, true, &b, "drop table %s", tdisp(x, t));
	buf_free(&b);
}

/* ---- the other objects ---- */

static void
indexes(struct ctx *x)
{
	const struct pg_model *cur = x->cur, *want = x->want;
	struct buf b = {0};
	for (size_t i = 0; i < cur->nindexes; i++) {
		const struct pg_index *ci = cur->indexes[i];
		const struct pg_index *wi = pg_index_find(want, ci->schema, ci->name);
		if (tablegoes(x, ci->schema, ci->table) || idxgoes(x, ci) || (wi && idxsame(ci, wi)))
			continue;
		if (!wi && !mine(x, ci->at)) {
			keep(x, ci->at, "index %s is not in the spec", cdisp(x, ci->name));
			continue;
		}
		buf_puts(&b, "drop index if exists ");
		pg_put_qname(&b, ci->schema, ci->name);
		about(x, ci->schema, ci->table);
		x->subjindex = ci->name;
		step(x, P_DROP_INDEX, false, &b, "drop index %s", cdisp(x, ci->name));
	}
	for (size_t i = 0; i < want->nindexes; i++) {
		const struct pg_index *wi = want->indexes[i];
		const struct pg_index *ci = pg_index_find(cur, wi->schema, wi->name);
		if (ci && idxsame(ci, wi) && !idxgoes(x, ci))
			continue;
		putindex(x, &b, wi, wi->concurrent);
		about(x, wi->schema, wi->table);
		x->subjindex = wi->name;
		step(x, wi->concurrent ? P_CONCURRENT : P_INDEX, false, &b, "create index %s%s",
		     cdisp(x, wi->name), wi->concurrent ? " concurrently (a migration of its own)" : "");
	}
	about(x, NULL, NULL);
	x->subjindex = NULL;
	buf_free(&b);
}

static void
functions(struct ctx *x)
{
	struct buf b = {0};
	for (size_t i = 0; i < x->cur->nfuncs; i++) {
		const struct pg_function *cf = x->cur->funcs[i];
		if (findfunc(x->want, cf))
			continue;
		if (!mine(x, cf->at)) {
			keep(x, cf->at, "function %s(%s) is not in the spec", cdisp(x, cf->name), cf->args);
			continue;
		}
		buf_puts(&b, "drop function if exists ");
		pg_put_qname(&b, cf->schema, cf->name);
		/* the types are joined by ", "; a type itself never holds one */
		buf_putc(&b, '(');
		for (const char *a = cf->args; *a;) {
			size_t n = strcspn(a, ",");
			while (a[n] == ',' && a[n + 1] != ' ')
				n += 1 + strcspn(a + n + 1, ",");
			char *one = xstrndup(a, n);
			puttype(x, &b, one);
			free(one);
			a += n;
			if (*a)
				buf_puts(&b, ", "), a += 2;
		}
		buf_putc(&b, ')');
		step(x, P_DROP_FUNC, false, &b, "drop function %s(%s)", cdisp(x, cf->name), cf->args);
	}
	for (size_t i = 0; i < x->want->nfuncs; i++) {
		const struct pg_function *wf = x->want->funcs[i], *cf = findfunc(x->cur, wf);
		if (cf && strcmp(cf->def, wf->def) == 0)
			continue;
		buf_printf(&b, "create or replace %s", wf->def);
		step(x, P_FUNC, false, &b, "%s function %s(%s)", cf ? "replace" : "create",
		     cdisp(x, wf->name), wf->args);
	}
	buf_free(&b);
}

static void
extensions(struct ctx *x)
{
	struct buf b = {0};
	for (size_t i = 0; i < x->cur->nexts; i++) {
		const struct pg_extension *ce = x->cur->exts[i];
		if (pg_extension_find(x->want, ce->name))
			continue;
		if (!mine(x, ce->at)) {
			keep(x, ce->at, "extension %s is not in the spec", ce->name);
			continue;
		}
		buf_puts(&b, "drop extension if exists ");
		pg_put_ident(&b, ce->name);
		step(x, P_DROP_EXT, false, &b, "drop extension %s", ce->name);
	}
	for (size_t i = 0; i < x->want->nexts; i++) {
		const struct pg_extension *we = x->want->exts[i];
		const struct pg_extension *ce = pg_extension_find(x->cur, we->name);
		if (!ce) {
			buf_puts(&b, "create extension if not exists ");
			pg_put_ident(&b, we->name);
			if (we->schema) {
				buf_puts(&b, " with schema ");
				pg_put_ident(&b, we->schema);
			}
			step(x, P_EXT, false, &b, "create extension %s", we->name);
		} else if (we->schema && strcmp(we->schema, ce->schema ? ce->schema : "public") != 0) {
			buf_puts(&b, "alter extension ");
			pg_put_ident(&b, we->name);
			buf_puts(&b, " set schema ");
			pg_put_ident(&b, we->schema);
			step(x, P_EXT, false, &b, "move extension %s to schema %s", we->name, we->schema);
		}
	}
	buf_free(&b);
}

static void
schemas(struct ctx *x)
{
	struct buf b = {0};
	for (size_t i = 0; i < x->want->nschemas; i++) {
		const char *s = x->want->schemas[i];
		size_t k = 0;
		while (k < x->cur->nschemas && strcmp(x->cur->schemas[k], s) != 0)
			k++;
		if (k < x->cur->nschemas)
			continue;
		buf_puts(&b, "create schema if not exists ");
		pg_put_ident(&b, s);
		step(x, P_SCHEMA, false, &b, "create schema %s", cdisp(x, s));
	}
	buf_free(&b);
}

static void
tables(struct ctx *x)
{
	const struct pg_model *cur = x->cur, *want = x->want;
	size_t n = cur->ntables > want->ntables ? cur->ntables : want->ntables, nv = 0;
	const struct pg_table **v = xcalloc(n ? n : 1, sizeof(*v));
	bool *cyc = xcalloc(n ? n : 1, sizeof(*cyc));
	/* gone: referencing tables first; a cycle's keys are dropped before */
	for (size_t i = 0; i < cur->ntables; i++) {
		const struct pg_table *t = cur->tables[i];
		if (pg_table_find(want, t->schema, t->name))
			continue;
		if (mine(x, t->at))
			v[nv++] = t;
		else
			keep(x, t->at, "table %s is not in the spec", tdisp(x, t));
	}
	fkorder(v, nv, true, cyc);
	for (size_t i = 0; i < nv; i++) {
		for (size_t j = i + 1; cyc[i] && j < nv; j++)
			for (size_t k = 0; k < v[j]->ncons; k++) {
				const struct pg_constraint *c = v[j]->cons[k];
				about(x, v[j]->schema, v[j]->name);
				if (c->kind == PG_CON_FOREIGN && strcmp(c->ref_table, v[i]->name) == 0 &&
				    strcmp(c->ref_schema, v[i]->schema) == 0)
					dropcon(x, v[j], c);
			}
		about(x, v[i]->schema, v[i]->name);
		droptable(x, v[i]);
	}
	/* new: referenced tables first */
	nv = 0;
	for (size_t i = 0; i < want->ntables; i++)
		if (!pg_table_find(cur, want->tables[i]->schema, want->tables[i]->name))
			v[nv++] = want->tables[i];
	fkorder(v, nv, false, cyc);
	for (size_t i = 0; i < nv; i++) {
		about(x, v[i]->schema, v[i]->name);
		createtable(x, v, i, nv);
	}
	for (size_t i = 0; i < want->ntables; i++) {
		const struct pg_table *wt = want->tables[i];
		const struct pg_table *ct = pg_table_find(cur, wt->schema, wt->name);
		about(x, wt->schema, wt->name);
		if (ct)
			altertab(x, ct, wt);
	}
	about(x, NULL, NULL);
	free(v);
	free(cyc);
}

void
pgdiff(const struct pg_model *cur, const struct pg_model *want, const struct pg_diff_opts *opts,
       struct pg_plan *out)
{
	struct ctx x = {.cur = cur, .want = want, .all = opts && opts->drop_unowned, .plan = out};
	const struct pg_extension *vec = pg_extension_find(want, "vector");
	if (!vec)
		vec = pg_extension_find(cur, "vector");
	x.vecschema = !vec ? "extensions" : vec->schema ? vec->schema : "public";
	schemas(&x);
	extensions(&x);
	tables(&x);
	indexes(&x);
	functions(&x);
	for (size_t p = 0; p < NPHASES; p++) {
		for (size_t i = 0; i < x.ph[p].n; i++) {
			VEC_PUSH(out->steps, out->nsteps, out->capsteps);
			out->steps[out->nsteps++] = x.ph[p].v[i];
		}
		free(x.ph[p].v);
	}
}

void
pg_plan_free(struct pg_plan *p)
{
	free(p->steps);
	free(p->kept);
	arena_free(&p->arena);
	*p = (struct pg_plan){0};
}

bool
pg_plan_destructive(const struct pg_plan *p)
{
	for (size_t i = 0; i < p->nsteps; i++)
		if (p->steps[i].destructive)
			return true;
	return false;
}

void
pg_plan_render(const struct pg_plan *p, struct buf *out)
{
	bool first = true;
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct pg_step *s = &p->steps[i];
		if (s->alone)
			continue;
		if (!first)
			buf_putc(out, '\n');
		if (s->destructive)
			buf_printf(out, "-- destructive: %s\n", s->desc);
		buf_puts(out, s->sql);
		first = false;
	}
}

bool
pg_models_equal(const struct pg_model *a, const struct pg_model *b)
{
	struct pg_plan p = {0};
	pgdiff(a, b, &(struct pg_diff_opts){.drop_unowned = true}, &p);
	bool same = p.nsteps == 0;
	pg_plan_free(&p);
	return same;
}

/* ---- listing a model ---- */

static void
putorigin(struct buf *b, const struct pg_origin *o)
{
	if (o->file)
		buf_printf(b, "  @%s:%u:%u", o->file, o->line, o->col);
	buf_putc(b, '\n');
}

void
pg_model_dump(const struct pg_model *m, struct buf *b)
{
	const struct pg_extension *vec = pg_extension_find(m, "vector");
	struct ctx x = {.vecschema = vec && vec->schema ? vec->schema : "public"};
	for (size_t i = 0; i < m->nschemas; i++)
		buf_printf(b, "schema %s\n", m->schemas[i]);
	for (size_t i = 0; i < m->ndefacls; i++) {
		const struct pg_defacl *a = m->defacls[i];
		buf_puts(b, "default privileges");
		if (a->schema)
			buf_printf(b, " in schema %s", a->schema);
		buf_printf(b, " on tables to %s: ", a->role);
		putprivs(b, a->privs);
		putorigin(b, &a->at);
	}
	for (size_t i = 0; i < m->nexts; i++) {
		buf_printf(b, "extension %s", m->exts[i]->name);
		if (m->exts[i]->schema)
			buf_printf(b, " schema %s", m->exts[i]->schema);
		putorigin(b, &m->exts[i]->at);
	}
	for (size_t i = 0; i < m->ntables; i++) {
		const struct pg_table *t = m->tables[i];
		buf_puts(b, "table ");
		pg_put_qname(b, t->schema, t->name);
		buf_printf(b, "%s%s", t->rls ? " rls" : "", t->realtime ? " realtime" : "");
		putorigin(b, &t->at);
		for (size_t k = 0; k < t->ncols; k++) {
			buf_puts(b, "  column ");
			putcoldef(&x, b, t, t->cols[k], false);
			putorigin(b, &t->cols[k]->at);
		}
		for (size_t k = 0; k < t->ncons; k++) {
			const struct pg_constraint *c = t->cons[k];
			buf_puts(b, "  constraint ");
			pg_put_ident(b, c->name);
			buf_printf(b, "%s: ", c->named ? " (named)" : "");
			struct pg_constraint plain = *c;
			plain.named = false;
			putcon(b, &plain);
			putorigin(b, &c->at);
		}
		for (size_t k = 0; k < t->npols; k++) {
			buf_puts(b, "  ");
			putpolicy(b, t, t->pols[k]);
			putorigin(b, &t->pols[k]->at);
		}
		for (size_t k = 0; k < t->ngrants; k++) {
			buf_printf(b, "  grant %s: ", t->grants[k]->role);
			putprivs(b, t->grants[k]->privs);
			putorigin(b, &t->grants[k]->at);
		}
	}
	for (size_t i = 0; i < m->nindexes; i++) {
		putindex(&x, b, m->indexes[i], false);
		putorigin(b, &m->indexes[i]->at);
	}
	for (size_t i = 0; i < m->nfuncs; i++) {
		buf_puts(b, "function ");
		pg_put_qname(b, m->funcs[i]->schema, m->funcs[i]->name);
		buf_printf(b, "(%s)", m->funcs[i]->args);
		putorigin(b, &m->funcs[i]->at);
	}
}
