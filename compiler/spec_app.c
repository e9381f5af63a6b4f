/* spec_app.c: the front end of what goes beyond dbt: supabase:, tables:,
 * embeddings:, assets:, schedules:, sensors: and ci: (the AST is in spec.h,
 * the language in docs/spec.md). It reads with the helpers of spec.c
 * (spec_reader.h), so keys, names and duplicates behave as everywhere else.
 *
 * The readers check each entry on its own: its keys and types, and what
 * lies inside one table (its primary key, index and policy columns).
 * spec_app_finish runs once every file is read and checks what entries say
 * about each other: references between tables, an embedding's table and
 * columns, index names, the dbt sources tables appear under. Names that
 * need the graph (asset deps, selections, what a sensor watches) are the
 * IR's (ir.c, select.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "spec_reader.h"

/* small readers */

static bool
rdbool(struct reader *r, const struct ynode *n, const char *what, bool *out)
{
	if (!n)
		return false;
	if (n->kind != Y_SCALAR || !n->plain || !ybool(n, out)) {
		diag_add(r->d, SEV_ERROR, n->loc, "%s must be true or false", what);
		return false;
	}
	return true;
}

/* an integer from lo to hi; false (reported) when n is something else */
static bool
rdint(struct reader *r, const struct ynode *n, const char *what, long long lo, long long hi,
      long long *out)
{
	long long v;
	if (!n)
		return false;
	if (n->kind != Y_SCALAR || !n->plain || !yint(n, &v) || v < lo || v > hi) {
		diag_add(r->d, SEV_ERROR, n->loc, "%s must be a whole number from %lld to %lld", what, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

/* a string that is not empty or only spaces: SQL expressions, models */
static const char *
rdtext(struct reader *r, const struct ynode *n, const char *what)
{
	const char *s = rd_str(r, n, what);
	if (s && strspn(s, " \t\r\n") == strlen(s)) {
		diag_add(r->d, SEV_ERROR, n->loc, "%s is empty", what);
		return NULL;
	}
	return s;
}

/* a list of distinct entries of allowed (static strings); list names the
 * list in messages, item one entry */
static const char **
enumlist(struct reader *r, const struct ynode *n, const char *list, const char *item,
	 const char *const *allowed, size_t nallowed, size_t *count)
{
	*count = 0;
	if (!n)
		return NULL;
	if (n->kind != Y_SEQ) {
		diag_add(r->d, SEV_ERROR, n->loc, "%s must be a list, not %s", list, ykindname(n));
		return NULL;
	}
	const char **v = arena_array(r->a, n->n + 1, sizeof(*v));
	for (size_t i = 0; i < n->n; i++) {
		const char *s = rd_oneof(r, n->items[i], item, allowed, nallowed);
		if (!s)
			continue;
		bool twice = false;
		for (size_t j = 0; j < *count; j++)
			twice |= v[j] == s;
		if (twice)
			diag_add(r->d, SEV_ERROR, n->items[i]->loc, "%s '%s' is listed twice", item, s);
		else
			v[(*count)++] = s;
	}
	return v;
}

/* does name appear among the first n of v? */
static bool
listed(const char *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

/* supabase: */

enum { SB_PROJECT_ID, SB_SOURCE, SB_SCHEMA };
static const char *const supabasekeys[] = {"project_id", "source", "schema"};

static bool
isprojectid(const char *s)
{
	if (!*s || strlen(s) > 63 || *s == '-' || *s == '_')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

void
spec_read_supabase(struct reader *r, const struct ynode *n)
{
	struct spec *s = r->s;
	struct spec_supabase *sb = &s->supabase;
	*sb = (struct spec_supabase){.loc = NOLOC, .source = "app", .schema = "public"};
	if (s->project) {
		char *id = arena_strdup(r->a, s->project);
		for (char *p = id; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		sb->project_id = id;
	}
	const struct ynode *v[LEN(supabasekeys)];
	if (!n || !rd_fields(r, n, "supabase", supabasekeys, LEN(supabasekeys), v, NULL))
		return;
	sb->set = true;
	sb->loc = n->loc;
	const char *id = rd_str(r, v[SB_PROJECT_ID], "project_id");
	if (id && !isprojectid(id))
		diag_add(r->d, SEV_ERROR, v[SB_PROJECT_ID]->loc,
			 "project_id '%s' must be lower-case letters, digits, '-' and '_', starting with a "
			 "letter or digit, at most 63 characters", id);
	else if (id)
		sb->project_id = id;
	const char *src = v[SB_SOURCE] ? rd_ident(r, v[SB_SOURCE], "source") : NULL;
	if (src)
		sb->source = src;
	const char *schema = v[SB_SCHEMA] ? rd_ident(r, v[SB_SCHEMA], "schema") : NULL;
	if (schema)
		sb->schema = schema;
}

/* tables: */

/* the roles Supabase's database has: a near miss of one is a typo, any
 * other identifier a role of the project's own */
static const char *const knownroles[] = {
	"anon", "authenticated", "service_role", "public", "postgres", "authenticator",
	"supabase_admin", "dashboard_user", "supabase_auth_admin", "supabase_storage_admin",
	"supabase_realtime_admin", "supabase_replication_admin", "pgbouncer",
};

static const char *
rdrole(struct reader *r, const struct ynode *n)
{
	const char *role = rd_ident(r, n, "role");
	if (!role || listed(knownroles, LEN(knownroles), role))
		return role;
	const char *near = did_you_mean(role, knownroles, LEN(knownroles));
	if (near) {
		struct diag *g = diag_add(r->d, SEV_ERROR, n->loc, "role '%s' is not a Supabase role", role);
		diag_hint(g, near);
		return NULL;
	}
	return role;
}

/* a SQL type: words, digits, dots, spaces, (precision, scale) and [] for
 * arrays; parentheses balanced. Enough to catch a stray quote or semicolon */
static bool
sqltype_ok(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	int depth = 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (c == '(' || c == '[')
			depth++;
		else if (c == ')' || c == ']')
			depth--;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '_' || c == ' ' || c == '.' || c == ','))
			return false;
		if (depth < 0)
			return false;
	}
	return depth == 0 && s[strlen(s) - 1] != ' ' && s[strlen(s) - 1] != '.' && s[strlen(s) - 1] != ',';
}

enum sql_family
spec_type_family(const char *type)
{
	static const struct {
		const char *name;
		enum sql_family family;
	} types[] = {
		{"smallint", SQL_INTEGER}, {"integer", SQL_INTEGER}, {"bigint", SQL_INTEGER},
		{"int", SQL_INTEGER}, {"int2", SQL_INTEGER}, {"int4", SQL_INTEGER}, {"int8", SQL_INTEGER},
		{"smallserial", SQL_INTEGER}, {"serial", SQL_INTEGER}, {"bigserial", SQL_INTEGER},
		{"serial2", SQL_INTEGER}, {"serial4", SQL_INTEGER}, {"serial8", SQL_INTEGER},
		{"text", SQL_TEXT}, {"varchar", SQL_TEXT}, {"character varying", SQL_TEXT},
		{"char", SQL_TEXT}, {"character", SQL_TEXT}, {"bpchar", SQL_TEXT}, {"citext", SQL_TEXT},
		{"timestamp", SQL_TIME}, {"timestamptz", SQL_TIME}, {"timestamp with time zone", SQL_TIME},
		{"timestamp without time zone", SQL_TIME}, {"date", SQL_TIME}, {"uuid", SQL_UUID},
	};
	if (strchr(type, '['))
		return SQL_OTHER;
	/* the name without (precision) and modifiers after it: timestamp(3) with time zone */
	char buf[64];
	size_t n = 0;
	for (const char *p = type; *p && n + 1 < sizeof(buf); p++) {
		if (*p == '(') {
			while (*p && *p != ')')
				p++;
			if (!*p)
				break;
			continue;
		}
		buf[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
	}
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	/* pg_catalog.text is text */
	const char *name = strncmp(buf, "pg_catalog.", 11) == 0 ? buf + 11 : buf;
	for (size_t i = 0; i < LEN(types); i++)
		if (strcmp(name, types[i].name) == 0)
			return types[i].family;
	return SQL_OTHER;
}

static const struct spec_appcolumn *
findcolumn(const struct spec_apptable *t, const char *name)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	return NULL;
}

/* report that table t has no column name (at loc), with a did-you-mean */
static void
nocolumn(struct reader *r, const struct spec_apptable *t, const char *name, struct loc loc, const char *what)
{
	const char **names = xreallocarray(NULL, t->ncolumns + 1, sizeof(*names));
	for (size_t i = 0; i < t->ncolumns; i++)
		names[i] = t->columns[i].name;
	struct diag *g = diag_add(r->d, SEV_ERROR, loc, "%s: table '%s' has no column '%s'", what, t->name, name);
	diag_hint(g, did_you_mean(name, names, t->ncolumns));
	free(names);
}

/* a column of t named by n (an identifier); NULL when n is not one (reported) */
static struct spec_appcolumn *
columnof(struct reader *r, const struct spec_apptable *t, const struct ynode *n, const char *what)
{
	const char *name = rd_ident(r, n, what);
	if (!name)
		return NULL;
	const struct spec_appcolumn *c = findcolumn(t, name);
	if (!c)
		nocolumn(r, t, name, n->loc, what);
	return (struct spec_appcolumn *)c;
}

/* is s one to maxparts names (identifiers of at most 63 characters)
 * joined by dots: t, t.c, s.t.c? */
static bool
dotted(const char *s, int maxparts)
{
	int parts = 1;
	for (const char *p = s, *start = s;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t n = (size_t)(p - start);
			char part[64];
			if (n == 0 || n > 63)
				return false;
			memcpy(part, start, n);
			part[n] = '\0';
			if (!is_ident(part))
				return false;
			if (*p == '\0')
				break;
			parts++;
			start = p + 1;
		}
	}
	return parts <= maxparts;
}

enum {
	AC_TYPE, AC_DESCRIPTION, AC_PRIMARY_KEY, AC_IDENTITY, AC_NULLABLE, AC_DEFAULT, AC_REFERENCES,
	AC_ON_DELETE, AC_UNIQUE, AC_CHECK
};
static const char *const appcolumnkeys[] = {
	"type", "description", "primary_key", "identity", "nullable", "default", "references",
	"on_delete", "unique", "check",
};
static const char *const identities[] = {"always", "by_default"};
static const char *const ondeletes[] = {"cascade", "set null", "restrict", "no action"};

/* one column; false when it is left out (its name is not an identifier) */
static bool
readappcolumn(struct reader *r, const struct ynode *key, const struct ynode *val, struct spec_appcolumn *c,
	      const struct ynode **pkflag)
{
	*c = (struct spec_appcolumn){.name = rd_ident(r, key, "column name"), .loc = key->loc, .nullable = true};
	*pkflag = NULL;
	if (!c->name)
		return false;
	const struct ynode *v[LEN(appcolumnkeys)] = {0};
	if (val->kind == Y_SCALAR && !ynull(val)) {
		v[AC_TYPE] = val; /* the shorthand: `name: type` */
	} else if (ynull(val)) {
		diag_add(r->d, SEV_ERROR, key->loc, "column '%s' needs a type: `%s: text` or {type: text, ...}",
			 c->name, c->name);
		c->type = "text";
		return true;
	} else if (!rd_fields(r, val, "a table column", appcolumnkeys, LEN(appcolumnkeys), v, NULL)) {
		c->type = "text";
		return true;
	}
	c->type = rd_str(r, v[AC_TYPE], "type");
	if (!v[AC_TYPE]) {
		diag_add(r->d, SEV_ERROR, key->loc, "column '%s' needs a type", c->name);
	} else if (c->type && !sqltype_ok(c->type)) {
		diag_add(r->d, SEV_ERROR, v[AC_TYPE]->loc,
			 "type '%s' is not a SQL type: letters, digits, '_', '.', spaces, (n, m) and []", c->type);
		c->type = NULL;
	}
	bool typeok = c->type != NULL;
	if (!c->type)
		c->type = "text"; /* to check the rest */
	c->description = rd_str(r, v[AC_DESCRIPTION], "description");
	bool b;
	if (rdbool(r, v[AC_PRIMARY_KEY], "primary_key", &b) && b) {
		c->primary_key = true;
		*pkflag = v[AC_PRIMARY_KEY];
	}
	if (v[AC_IDENTITY]) {
		const struct ynode *id = v[AC_IDENTITY];
		if (ybool(id, &b)) {
			c->identity = b ? IDENTITY_ALWAYS : IDENTITY_NONE;
		} else if (id->kind == Y_SCALAR && strcmp(id->str, "always") == 0) {
			c->identity = IDENTITY_ALWAYS;
		} else if (id->kind == Y_SCALAR && strcmp(id->str, "by_default") == 0) {
			c->identity = IDENTITY_BY_DEFAULT;
		} else {
			struct diag *g = diag_add(r->d, SEV_ERROR, id->loc,
						  "identity must be true, false, always or by_default");
			diag_hint(g, id->kind == Y_SCALAR ? did_you_mean(id->str, identities, LEN(identities)) : NULL);
		}
		if (c->identity && typeok && spec_type_family(c->type) != SQL_INTEGER)
			diag_add(r->d, SEV_ERROR, v[AC_IDENTITY]->loc,
				 "identity needs an integer type (smallint, integer or bigint), not '%s'", c->type);
	}
	bool nullable = true;
	bool nullset = rdbool(r, v[AC_NULLABLE], "nullable", &nullable);
	if (nullset && nullable && (c->primary_key || c->identity))
		diag_add(r->d, SEV_ERROR, v[AC_NULLABLE]->loc, "a %s column cannot be nullable",
			 c->primary_key ? "primary key" : "identity");
	c->nullable = nullable && !c->primary_key && !c->identity;
	if (v[AC_DEFAULT]) {
		c->default_sql = rdtext(r, v[AC_DEFAULT], "default");
		if (c->identity)
			diag_add(r->d, SEV_ERROR, v[AC_DEFAULT]->loc,
				 "an identity column takes its values from its sequence; it cannot have a default");
	}
	c->check = v[AC_CHECK] ? rdtext(r, v[AC_CHECK], "check") : NULL;
	rdbool(r, v[AC_UNIQUE], "unique", &c->unique);
	if (v[AC_REFERENCES]) {
		c->references = rd_str(r, v[AC_REFERENCES], "references");
		c->references_loc = v[AC_REFERENCES]->loc;
		if (c->references && !dotted(c->references, 3)) {
			diag_add(r->d, SEV_ERROR, v[AC_REFERENCES]->loc,
				 "references '%s' must be table, table.column or schema.table.column", c->references);
			c->references = NULL;
		}
	}
	if (v[AC_ON_DELETE]) {
		c->on_delete = rd_oneof(r, v[AC_ON_DELETE], "on_delete", ondeletes, LEN(ondeletes));
		if (!v[AC_REFERENCES])
			diag_add(r->d, SEV_ERROR, v[AC_ON_DELETE]->loc, "on_delete applies only to a column with references");
		if (c->on_delete && strcmp(c->on_delete, "set null") == 0 && !c->nullable)
			diag_add(r->d, SEV_ERROR, v[AC_ON_DELETE]->loc,
				 "on_delete: set null on a column that is not nullable");
	}
	return true;
}

enum { I_COLUMNS, I_UNIQUE, I_METHOD, I_CONCURRENTLY };
static const char *const indexkeys[] = {"columns", "unique", "method", "concurrently"};
static const char *const indexmethods[] = {"btree", "hash", "gin", "gist", "brin", "spgist"};

static void
readindexes(struct reader *r, struct spec_apptable *t, const struct ynode *n)
{
	if (!n)
		return;
	if (n->kind != Y_MAP) {
		diag_add(r->d, SEV_ERROR, n->loc, "indexes must be a mapping of index names, not %s", ykindname(n));
		return;
	}
	t->indexes = arena_array(r->a, n->n / 2 + 1, sizeof(*t->indexes));
	for (size_t i = 0; i < n->n; i += 2) {
		const struct ynode *key = n->items[i], *v[LEN(indexkeys)];
		const char *name = rd_ident(r, key, "index name");
		if (!name || !rd_fields(r, n->items[i + 1], "an index", indexkeys, LEN(indexkeys), v, NULL))
			continue;
		if (!rd_define(r, &r->indexnames, "index", name, key->loc))
			continue;
		struct spec_index *x = &t->indexes[t->nindexes++];
		*x = (struct spec_index){.name = name, .loc = key->loc, .method = "btree"};
		const struct ynode *cols = v[I_COLUMNS];
		if (!cols || cols->kind != Y_SEQ || cols->n == 0) {
			diag_add(r->d, SEV_ERROR, cols ? cols->loc : key->loc,
				 "index '%s' needs columns: a non-empty list of column names", name);
		} else {
			x->columns = arena_array(r->a, cols->n, sizeof(*x->columns));
			for (size_t j = 0; j < cols->n; j++) {
				const struct spec_appcolumn *c = columnof(r, t, cols->items[j], "index column");
				if (!c)
					continue;
				if (listed(x->columns, x->ncolumns, c->name))
					diag_add(r->d, SEV_ERROR, cols->items[j]->loc, "column '%s' is listed twice", c->name);
				else
					x->columns[x->ncolumns++] = c->name;
			}
		}
		if (v[I_METHOD]) {
			const char *m = rd_oneof(r, v[I_METHOD], "index method", indexmethods, LEN(indexmethods));
			if (m)
				x->method = m;
		}
		rdbool(r, v[I_UNIQUE], "unique", &x->unique);
		rdbool(r, v[I_CONCURRENTLY], "concurrently", &x->concurrently);
		if (x->unique && strcmp(x->method, "btree") != 0)
			diag_add(r->d, SEV_ERROR, v[I_UNIQUE]->loc, "a unique index must use method btree, not %s",
				 x->method);
	}
}

/* the keys of rls: the owner column, then one per enum rls_command */
static const char *const rlskeys[] = {"select", "insert", "update", "delete", "all", "owner"};

static void
readrls(struct reader *r, struct spec_apptable *t, const struct ynode *n)
{
	struct spec_rls *rls = &t->rls;
	const struct ynode *v[LEN(rlskeys)];
	if (!n || !rd_fields(r, n, "rls", rlskeys, LEN(rlskeys), v, NULL))
		return;
	rls->enabled = true;
	rls->loc = n->loc;
	if (v[RLS_NCOMMANDS]) {
		rls->owner_column = columnof(r, t, v[RLS_NCOMMANDS], "rls owner");
		if (rls->owner_column) {
			rls->owner = rls->owner_column->name;
			if (spec_type_family(rls->owner_column->type) != SQL_UUID)
				diag_add(r->d, SEV_ERROR, v[RLS_NCOMMANDS]->loc,
					 "rls owner '%s' is %s; it holds auth.uid(), a uuid", rls->owner,
					 rls->owner_column->type);
		}
	}
	for (int k = 0; k < RLS_NCOMMANDS; k++) {
		const struct ynode *list = v[k];
		if (!list)
			continue;
		if (list->kind != Y_SEQ) {
			diag_add(r->d, SEV_ERROR, list->loc, "rls %s must be a list of roles, not %s", rlskeys[k],
				 ykindname(list));
			continue;
		}
		rls->roles[k] = arena_array(r->a, list->n + 1, sizeof(char *));
		for (size_t i = 0; i < list->n; i++) {
			const char *role = rdrole(r, list->items[i]);
			if (!role)
				continue;
			if (listed(rls->roles[k], rls->nroles[k], role))
				diag_add(r->d, SEV_ERROR, list->items[i]->loc, "role '%s' is listed twice", role);
			else
				rls->roles[k][rls->nroles[k]++] = role;
		}
	}
}

static const char *const privileges[] = {"select", "insert", "update", "delete", "truncate",
					 "references", "trigger", "all"};

static void
readgrants(struct reader *r, struct spec_apptable *t, const struct ynode *n)
{
	if (!n)
		return;
	if (n->kind != Y_MAP) {
		diag_add(r->d, SEV_ERROR, n->loc, "grants must be a mapping of roles to privileges, not %s",
			 ykindname(n));
		return;
	}
	t->grants = arena_array(r->a, n->n / 2 + 1, sizeof(*t->grants));
	for (size_t i = 0; i < n->n; i += 2) {
		const char *role = rdrole(r, n->items[i]);
		if (!role)
			continue;
		struct spec_grant *gr = &t->grants[t->ngrants++];
		*gr = (struct spec_grant){.role = role, .loc = n->items[i]->loc};
		gr->privileges = enumlist(r, n->items[i + 1], "grants of a role", "privilege", privileges,
					  LEN(privileges), &gr->nprivileges);
	}
}

enum { T_DESCRIPTION, T_SCHEMA, T_COLUMNS, T_PRIMARY_KEY, T_INDEXES, T_RLS, T_GRANTS, T_REALTIME };
static const char *const apptablekeys[] = {
	"description", "schema", "columns", "primary_key", "indexes", "rls", "grants", "realtime",
};

/* the primary key, from the table-level list or the column flags */
static void
readprimarykey(struct reader *r, struct spec_apptable *t, const struct ynode *list,
	       const struct ynode *const *flags)
{
	const struct ynode *first = NULL;
	size_t nflags = 0;
	for (size_t i = 0; i < t->ncolumns; i++)
		if (flags[i]) {
			if (!first)
				first = flags[i];
			else
				diag_add(r->d, SEV_ERROR, flags[i]->loc,
					 "primary_key: true on columns '%s' and '%s'; a composite primary key "
					 "is written on the table: primary_key: [%s, %s]",
					 t->primary_key[0], t->columns[i].name, t->primary_key[0], t->columns[i].name);
			if (!nflags++) {
				t->primary_key = arena_alloc(r->a, sizeof(char *));
				t->primary_key[0] = t->columns[i].name;
				t->nprimary_key = 1;
			}
		}
	if (!list)
		return;
	if (first) {
		struct diag *g = diag_add(r->d, SEV_ERROR, list->loc,
					  "table '%s' has a primary_key list and a column with primary_key: true; use one",
					  t->name);
		diag_note(g, first->loc, "the column's primary key is here");
		return;
	}
	if (list->kind != Y_SEQ || list->n == 0) {
		diag_add(r->d, SEV_ERROR, list->loc, "primary_key must be a non-empty list of column names");
		return;
	}
	t->primary_key = arena_array(r->a, list->n, sizeof(char *));
	for (size_t i = 0; i < list->n; i++) {
		struct spec_appcolumn *c = columnof(r, t, list->items[i], "primary_key");
		if (!c)
			continue;
		if (listed(t->primary_key, t->nprimary_key, c->name)) {
			diag_add(r->d, SEV_ERROR, list->items[i]->loc, "column '%s' is listed twice", c->name);
			continue;
		}
		t->primary_key[t->nprimary_key++] = c->name;
		c->primary_key = true;
		c->nullable = false;
	}
}

void
spec_read_table(struct reader *r, const struct ynode *key, const struct ynode *n)
{
	const char *name = rd_ident(r, key, "table name");
	const struct ynode *v[LEN(apptablekeys)];
	if (!name || !rd_fields(r, n, "a table", apptablekeys, LEN(apptablekeys), v, NULL))
		return;
	/* a second definition is still checked, then dropped */
	struct spec *s = r->s;
	struct spec_apptable dup, *t = &dup;
	if (rd_define(r, &r->refnames, "table", name, key->loc)) {
		VEC_PUSH(s->apptables, s->napptables, r->capapptables);
		t = &s->apptables[s->napptables++];
	}
	*t = (struct spec_apptable){.name = name, .loc = key->loc, .hash = rd_hash(n)};
	t->description = rd_str(r, v[T_DESCRIPTION], "description");
	t->schema = v[T_SCHEMA] ? rd_ident(r, v[T_SCHEMA], "schema") : NULL;
	if (!t->schema)
		t->schema = s->supabase.schema;
	t->source = strcmp(t->schema, s->supabase.schema) == 0 ? s->supabase.source : t->schema;
	const struct ynode *cols = v[T_COLUMNS];
	if (!cols || cols->kind != Y_MAP || cols->n == 0) {
		diag_add(r->d, SEV_ERROR, cols ? cols->loc : key->loc,
			 "table '%s' needs columns: a mapping of column names to types", name);
		return;
	}
	t->columns = arena_array(r->a, cols->n / 2, sizeof(*t->columns));
	const struct ynode **pkflags = xcalloc(cols->n / 2 + 1, sizeof(*pkflags));
	for (size_t i = 0; i < cols->n; i += 2)
		if (readappcolumn(r, cols->items[i], cols->items[i + 1], &t->columns[t->ncolumns],
				  &pkflags[t->ncolumns]))
			t->ncolumns++;
	readprimarykey(r, t, v[T_PRIMARY_KEY], pkflags);
	free(pkflags);
	readindexes(r, t, v[T_INDEXES]);
	readrls(r, t, v[T_RLS]);
	readgrants(r, t, v[T_GRANTS]);
	rdbool(r, v[T_REALTIME], "realtime", &t->realtime);
}

/* embeddings: */

enum { PV_NAME, PV_MODEL, PV_API_KEY_ENV, PV_URL };
static const char *const providerkeys[] = {"name", "model", "api_key_env", "url"};
/* the providers, with their default key variable and endpoint */
static const struct {
	const char *name, *keyenv, *url;
} providers[] = {
	{"openai", "OPENAI_API_KEY", "https://api.openai.com/v1"},
	{"ollama", NULL, "http://localhost:11434"},
	{"voyage", "VOYAGE_API_KEY", "https://api.voyageai.com/v1"},
};

static void
readprovider(struct reader *r, const struct ynode *n, struct spec_provider *p)
{
	*p = (struct spec_provider){"openai", "text-embedding-3-small", providers[0].keyenv, providers[0].url};
	const struct ynode *v[LEN(providerkeys)];
	if (!n || !rd_fields(r, n, "provider", providerkeys, LEN(providerkeys), v, NULL))
		return;
	const char *names[LEN(providers)];
	for (size_t i = 0; i < LEN(providers); i++)
		names[i] = providers[i].name;
	size_t k = 0;
	if (!v[PV_NAME]) {
		diag_add(r->d, SEV_ERROR, n->loc, "provider needs name: openai, ollama or voyage");
	} else {
		const char *name = rd_oneof(r, v[PV_NAME], "provider name", names, LEN(names));
		for (k = 0; name && k < LEN(providers) && strcmp(name, providers[k].name) != 0; k++)
			;
		if (!name)
			k = 0;
	}
	p->name = providers[k].name;
	p->api_key_env = providers[k].keyenv;
	p->url = providers[k].url;
	if (!v[PV_MODEL])
		diag_add(r->d, SEV_ERROR, n->loc, "provider needs model: the embedding model's name");
	else if ((p->model = rdtext(r, v[PV_MODEL], "model")) && strpbrk(p->model, " \t\r\n"))
		diag_add(r->d, SEV_ERROR, v[PV_MODEL]->loc, "model '%s' has a space in it", p->model);
	if (v[PV_API_KEY_ENV])
		p->api_key_env = rd_envname(r, v[PV_API_KEY_ENV], "api_key_env");
	if (v[PV_URL]) {
		const char *url = rd_str(r, v[PV_URL], "url");
		size_t scheme = !url ? 0 : strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
		if (url && (!scheme || !url[scheme] || strpbrk(url, " \t\r\n")))
			diag_add(r->d, SEV_ERROR, v[PV_URL]->loc, "url '%s' must be an http:// or https:// URL", url);
		else if (url)
			p->url = url;
	}
}

enum {
	E_FROM, E_TEXT, E_KEY, E_DIMENSIONS, E_INDEX, E_METRIC, E_LISTS, E_PROVIDER, E_BATCH_SIZE,
	E_DESCRIPTION
};
static const char *const embeddingkeys[] = {
	"from", "text", "key", "dimensions", "index", "metric", "lists", "provider", "batch_size",
	"description",
};
static const char *const vectorindexes[] = {"hnsw", "ivfflat", "none"};
static const char *const metrics[] = {"cosine", "l2", "inner_product"};

void
spec_read_embedding(struct reader *r, const struct ynode *key, const struct ynode *n)
{
	const char *name = rd_ident(r, key, "embedding name");
	const struct ynode *v[LEN(embeddingkeys)];
	if (!name || !rd_fields(r, n, "an embedding", embeddingkeys, LEN(embeddingkeys), v, NULL))
		return;
	struct spec *s = r->s;
	struct spec_embedding dup, *e = &dup;
	if (rd_define(r, &r->refnames, "embedding", name, key->loc)) {
		VEC_PUSH(s->embeddings, s->nembeddings, r->capembeddings);
		e = &s->embeddings[s->nembeddings++];
	}
	*e = (struct spec_embedding){.name = name, .loc = key->loc, .hash = rd_hash(n), .index = "hnsw",
				     .metric = "cosine", .batch_size = 100};
	static const int required[] = {E_FROM, E_TEXT, E_DIMENSIONS};
	for (size_t i = 0; i < LEN(required); i++)
		if (!v[required[i]])
			diag_add(r->d, SEV_ERROR, key->loc, "embedding '%s' needs %s:", name, embeddingkeys[required[i]]);
	const char **dst[] = {&e->from, &e->text, &e->key};
	struct loc *locs[] = {&e->from_loc, &e->text_loc, &e->key_loc};
	for (int i = E_FROM; i <= E_KEY; i++) {
		*dst[i] = v[i] ? rd_ident(r, v[i], embeddingkeys[i]) : NULL;
		*locs[i] = v[i] ? v[i]->loc : key->loc;
	}
	rdint(r, v[E_DIMENSIONS], "dimensions", 1, 16000, &e->dimensions);
	if (v[E_INDEX] && !(e->index = rd_oneof(r, v[E_INDEX], "index", vectorindexes, LEN(vectorindexes))))
		e->index = "none"; /* reported; go on without lists checks */
	if (v[E_METRIC] && !(e->metric = rd_oneof(r, v[E_METRIC], "metric", metrics, LEN(metrics))))
		e->metric = "cosine";
	bool ivf = strcmp(e->index, "ivfflat") == 0;
	if (ivf)
		e->lists = 100;
	if (v[E_LISTS]) {
		if (!ivf)
			diag_add(r->d, SEV_ERROR, v[E_LISTS]->loc, "lists applies only to index: ivfflat, not %s", e->index);
		else
			rdint(r, v[E_LISTS], "lists", 1, 32768, &e->lists);
	}
	/* pgvector builds hnsw and ivfflat indexes on vectors of up to 2,000 dimensions */
	if (e->dimensions > 2000 && strcmp(e->index, "none") != 0)
		diag_add(r->d, SEV_ERROR, v[E_DIMENSIONS]->loc,
			 "an %s index takes vectors of at most 2000 dimensions, not %lld; use index: none "
			 "or fewer dimensions", e->index, e->dimensions);
	readprovider(r, v[E_PROVIDER], &e->provider);
	if (v[E_BATCH_SIZE])
		rdint(r, v[E_BATCH_SIZE], "batch_size", 1, 2048, &e->batch_size);
	e->description = rd_str(r, v[E_DESCRIPTION], "description");
}

/* assets: */

enum { A_PYTHON, A_FUNCTION, A_DEPS, A_DESCRIPTION, A_GROUP, A_TAGS };
static const char *const assetkeys[] = {"python", "function", "deps", "description", "group", "tags"};

void
spec_read_asset(struct reader *r, const struct ynode *key, const struct ynode *n)
{
	const char *name = rd_ident(r, key, "asset name");
	const struct ynode *v[LEN(assetkeys)];
	if (!name || !rd_fields(r, n, "an asset", assetkeys, LEN(assetkeys), v, NULL))
		return;
	struct spec *s = r->s;
	struct spec_asset dup, *a = &dup;
	if (rd_define(r, &r->refnames, "asset", name, key->loc)) {
		VEC_PUSH(s->assets, s->nassets, r->capassets);
		a = &s->assets[s->nassets++];
	}
	*a = (struct spec_asset){.name = name, .loc = key->loc, .hash = rd_hash(n), .function = name,
				 .function_loc = key->loc};
	if (!v[A_PYTHON]) {
		diag_add(r->d, SEV_ERROR, key->loc, "asset '%s' needs python: the .py file it runs", name);
	} else {
		a->python = rd_path(r, v[A_PYTHON], "python", ".py", false);
		a->python_loc = v[A_PYTHON]->loc;
	}
	if (v[A_FUNCTION]) {
		const char *f = rd_ident(r, v[A_FUNCTION], "function");
		if (f)
			a->function = f, a->function_loc = v[A_FUNCTION]->loc;
	}
	const struct ynode *deps = v[A_DEPS];
	if (deps && deps->kind != Y_SEQ) {
		diag_add(r->d, SEV_ERROR, deps->loc, "deps must be a list, not %s", ykindname(deps));
	} else if (deps) {
		a->deps = arena_array(r->a, deps->n + 1, sizeof(*a->deps));
		a->deps_loc = arena_array(r->a, deps->n + 1, sizeof(*a->deps_loc));
		for (size_t i = 0; i < deps->n; i++) {
			const char *d = rd_str(r, deps->items[i], "dep");
			if (!d)
				continue;
			if (!dotted(d, 2)) {
				diag_add(r->d, SEV_ERROR, deps->items[i]->loc,
					 "dep '%s' must be a name (a model, seed, table, embedding or asset) "
					 "or source.table", d);
				continue;
			}
			if (listed(a->deps, a->ndeps, d)) {
				diag_add(r->d, SEV_ERROR, deps->items[i]->loc, "dep '%s' is listed twice", d);
				continue;
			}
			a->deps_loc[a->ndeps] = deps->items[i]->loc;
			a->deps[a->ndeps++] = d;
		}
	}
	a->description = rd_str(r, v[A_DESCRIPTION], "description");
	a->group = v[A_GROUP] ? rd_ident(r, v[A_GROUP], "group") : NULL;
	a->tags = rd_identlist(r, v[A_TAGS], "tag", &a->ntags);
}

/* schedules: and sensors: */

/* a selection: syntax and names are the IR's (select.c); here, a string */
static const char *
rdselect(struct reader *r, const struct ynode *n, const char *owner, const char *name, struct loc at,
	 struct loc *loc)
{
	*loc = n ? n->loc : at;
	if (!n) {
		diag_add(r->d, SEV_ERROR, at, "%s '%s' needs select: what it runs, like +fct_orders or tag:daily",
			 owner, name);
		return NULL;
	}
	return rd_str(r, n, "select");
}

enum { SC_CRON, SC_TIMEZONE, SC_SELECT, SC_DESCRIPTION };
static const char *const schedulekeys[] = {"cron", "timezone", "select", "description"};

void
spec_read_schedule(struct reader *r, const struct ynode *key, const struct ynode *n)
{
	const char *name = rd_ident(r, key, "schedule name");
	const struct ynode *v[LEN(schedulekeys)];
	if (!name || !rd_fields(r, n, "a schedule", schedulekeys, LEN(schedulekeys), v, NULL))
		return;
	struct spec *s = r->s;
	struct spec_schedule dup, *sc = &dup;
	if (rd_define(r, &r->jobnames, "schedule", name, key->loc)) {
		VEC_PUSH(s->schedules, s->nschedules, r->capschedules);
		sc = &s->schedules[s->nschedules++];
	}
	*sc = (struct spec_schedule){.name = name, .loc = key->loc, .hash = rd_hash(n), .timezone = "UTC"};
	if (!v[SC_CRON]) {
		diag_add(r->d, SEV_ERROR, key->loc, "schedule '%s' needs cron: when it runs, like \"0 3 * * *\"", name);
	} else {
		sc->cron_loc = v[SC_CRON]->loc;
		sc->cron = rd_str(r, v[SC_CRON], "cron");
		if (sc->cron && !cron_check(r->d, v[SC_CRON]->loc, sc->cron))
			sc->cron = NULL;
	}
	if (v[SC_TIMEZONE]) {
		const char *tz = rd_str(r, v[SC_TIMEZONE], "timezone");
		if (tz && tz_check(r->d, v[SC_TIMEZONE]->loc, tz))
			sc->timezone = tz;
	}
	sc->select = rdselect(r, v[SC_SELECT], "schedule", name, key->loc, &sc->select_loc);
	sc->description = rd_str(r, v[SC_DESCRIPTION], "description");
}

enum { SN_ON, SN_SELECT, SN_CURSOR, SN_INTERVAL, SN_DESCRIPTION };
static const char *const sensorkeys[] = {"on", "select", "cursor", "interval", "description"};

void
spec_read_sensor(struct reader *r, const struct ynode *key, const struct ynode *n)
{
	const char *name = rd_ident(r, key, "sensor name");
	const struct ynode *v[LEN(sensorkeys)];
	if (!name || !rd_fields(r, n, "a sensor", sensorkeys, LEN(sensorkeys), v, NULL))
		return;
	struct spec *s = r->s;
	struct spec_sensor dup, *sn = &dup;
	if (rd_define(r, &r->jobnames, "sensor", name, key->loc)) {
		VEC_PUSH(s->sensors, s->nsensors, r->capsensors);
		sn = &s->sensors[s->nsensors++];
	}
	*sn = (struct spec_sensor){.name = name, .loc = key->loc, .hash = rd_hash(n), .interval = 30,
				   .on_loc = key->loc, .cursor_loc = key->loc};
	if (!v[SN_ON]) {
		diag_add(r->d, SEV_ERROR, key->loc,
			 "sensor '%s' needs on: the table it watches (a table of tables:, or source:src.table)", name);
	} else {
		sn->on_loc = v[SN_ON]->loc;
		sn->on = rd_str(r, v[SN_ON], "on");
		const char *t = sn->on && strncmp(sn->on, "source:", 7) == 0 ? sn->on + 7 : NULL;
		bool ok = t ? strchr(t, '.') && dotted(t, 2) : sn->on && dotted(sn->on, 1);
		if (sn->on && !ok) {
			diag_add(r->d, SEV_ERROR, v[SN_ON]->loc,
				 "on '%s' must be a table of tables: or a source table written source:src.table",
				 sn->on);
			sn->on = NULL;
		}
	}
	sn->select = rdselect(r, v[SN_SELECT], "sensor", name, key->loc, &sn->select_loc);
	if (v[SN_CURSOR]) {
		sn->cursor = rd_ident(r, v[SN_CURSOR], "cursor");
		sn->cursor_loc = v[SN_CURSOR]->loc;
	}
	if (v[SN_INTERVAL]) {
		const char *iv = rd_str(r, v[SN_INTERVAL], "interval");
		long long secs;
		if (iv && (!interval_parse(iv, &secs) || secs > 86400))
			diag_add(r->d, SEV_ERROR, v[SN_INTERVAL]->loc,
				 "interval '%s' is not a duration from 1s to 24h: a number and a unit s, m, h or "
				 "d, like 30s", iv);
		else if (iv)
			sn->interval = secs;
	}
	sn->description = rd_str(r, v[SN_DESCRIPTION], "description");
}

/* ci: */

enum { CI_PROVIDERS, CI_STEPS, CI_DEPLOY, CI_BRANCH, CI_MANIFEST, CI_SECRETS, CI_DPC };
static const char *const cikeys[] = {"providers", "steps", "deploy", "branch", "production_manifest",
				     "secrets", "dpc"};
static const char *const ciproviders[] = {"github", "gitlab"};
static const char *const cisteps[] = {"check", "dbt_build", "dg_check", "sql_lint", "migrations"};
static const char *const cideploys[] = {"dbt_build", "migrations", "dagster"};
static const char *const manifestkeys[] = {"path", "artifact"};
/* version is what an earlier spec language had: known, so that it gets a
 * message of its own rather than an unknown key's */
enum { DK_GIT, DK_REF, DK_PATH, DK_VERSION };
static const char *const dpckeys[] = {"git", "ref", "path", "version"};

/* a git branch name as CI providers match it: no spaces, no "..", no
 * leading '-', '/' or '.', no trailing '/' or '.' */
static bool
isbranch(const char *s)
{
	size_t n = strlen(s);
	if (!n || strchr("-/.", s[0]) || strchr("/.", s[n - 1]) || strstr(s, "..") || strstr(s, "//"))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._/-", *s)))
			return false;
	return true;
}

/* a git repository CI can clone: https://, http://, ssh://, git:// or
 * file:// with a host or path after it, or scp-like [user@]host:path. The
 * URL reaches a shell only through an environment variable, but GitLab
 * expands $ in variables and nobody needs quotes, spaces or backslashes in
 * a URL */
static bool
isgiturl(const char *s)
{
	static const char *const schemes[] = {"https://", "http://", "ssh://", "git://", "file://"};
	if (!*s || *s == '-' || strpbrk(s, "'\"`$\\"))
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	for (size_t i = 0; i < LEN(schemes); i++)
		if (strncmp(s, schemes[i], strlen(schemes[i])) == 0)
			return s[strlen(schemes[i])] != '\0';
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
	return colon && colon > s && colon[1] && (!slash || slash > colon);
}

/* a folder for CI's scripts: relative, no "..", and only letters, digits,
 * '.', '_', '-' and '/' (it is a make -C argument and a PATH entry) */
static bool
isplaindir(const char *s)
{
	if (!*s || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._/-", *s)))
			return false;
	return true;
}

static void
readmanifest(struct reader *r, struct spec_ci *ci, const struct ynode *n)
{
	const struct ynode *v[LEN(manifestkeys)];
	if (!n || !rd_fields(r, n, "production_manifest", manifestkeys, LEN(manifestkeys), v, NULL))
		return;
	if (!v[0] == !v[1]) {
		diag_add(r->d, SEV_ERROR, n->loc,
			 "production_manifest needs exactly one of path: (a file in the repository) or "
			 "artifact: (a CI artifact's name)");
		return;
	}
	if (v[0]) {
		ci->manifest_path = rd_path(r, v[0], "path", ".json", false);
		return;
	}
	const char *a = rd_str(r, v[1], "artifact");
	bool ok = a && *a;
	for (const char *p = a; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		     strchr("._-", *p);
	if (a && !ok)
		diag_add(r->d, SEV_ERROR, v[1]->loc, "artifact '%s' must be letters, digits, '.', '_' and '-'", a);
	else
		ci->manifest_artifact = a;
}

/* dpc: where CI gets dpc to run dpc check, built from source with make:
 * {git: URL, ref: REF} clones a repository, {path: DIR} builds a copy the
 * repository holds (a git submodule). Required: CI cannot check the
 * generated code without it */
static void
readdpc(struct reader *r, struct spec_ci *ci, const struct ynode *n, const struct ynode *cin)
{
	static const char how[] = "{git: <URL of a dpc repository>, ref: <its tag or commit>} or "
				   "{path: <folder of a dpc checkout in this repository>}";
	const struct ynode *v[LEN(dpckeys)];
	if (!n) {
		diag_add(r->d, SEV_ERROR, cin->loc, "ci needs dpc: where CI gets dpc to run dpc check: %s", how);
		return;
	}
	if (!rd_fields(r, n, "dpc", dpckeys, LEN(dpckeys), v, NULL))
		return;
	if (v[DK_VERSION]) {
		diag_add(r->d, SEV_ERROR, v[DK_VERSION]->loc,
			 "dpc has no version: CI builds dpc from its source; write %s", how);
		return;
	}
	if (!v[DK_GIT] == !v[DK_PATH]) {
		diag_add(r->d, SEV_ERROR, n->loc, "dpc takes %s: %s",
			 v[DK_GIT] ? "git: or path:, not both" : "git: and ref:, or path:", how);
		return;
	}
	if (v[DK_PATH]) {
		if (v[DK_REF])
			diag_add(r->d, SEV_ERROR, v[DK_REF]->loc,
				 "ref goes with git:; path: builds the checkout as it is in the repository");
		const char *p = rd_path(r, v[DK_PATH], "path", NULL, false);
		if (p && !isplaindir(p))
			diag_add(r->d, SEV_ERROR, v[DK_PATH]->loc,
				 "path '%s' may hold only letters, digits, '.', '_', '-' and '/'", p);
		else if (p && (strcmp(p, ".") == 0 || strcmp(p, "./") == 0))
			diag_add(r->d, SEV_ERROR, v[DK_PATH]->loc,
				 "path '.' is the project itself; name the folder dpc's source is in");
		else if (p)
			ci->dpc_path = p;
		return;
	}
	const char *url = rd_str(r, v[DK_GIT], "git");
	if (url && !isgiturl(url))
		diag_add(r->d, SEV_ERROR, v[DK_GIT]->loc,
			 "git '%s' is not a repository URL CI can clone (https://host/owner/dpc.git, "
			 "ssh://..., or git@host:owner/dpc.git; no spaces, quotes or '$')", url);
	else
		ci->dpc_git = url;
	if (!v[DK_REF]) {
		diag_add(r->d, SEV_ERROR, v[DK_GIT]->loc,
			 "git needs ref: the tag, branch or commit of dpc CI builds (a tag or a commit keeps CI "
			 "on the dpc that wrote the generated code)");
		return;
	}
	const char *ref = rd_str(r, v[DK_REF], "ref");
	if (ref && !isbranch(ref))
		diag_add(r->d, SEV_ERROR, v[DK_REF]->loc, "ref '%s' is not a git tag, branch or commit", ref);
	else
		ci->dpc_ref = ref;
}

void
spec_read_ci(struct reader *r, const struct ynode *n)
{
	struct spec_ci *ci = &r->s->ci;
	*ci = (struct spec_ci){.loc = NOLOC, .branch = "main", .nsteps = 1};
	ci->steps = arena_alloc(r->a, sizeof(*ci->steps));
	ci->steps[0] = cisteps[0]; /* check, always */
	const struct ynode *v[LEN(cikeys)];
	if (!n || !rd_fields(r, n, "ci", cikeys, LEN(cikeys), v, NULL))
		return;
	ci->set = true;
	ci->loc = n->loc;
	ci->providers = enumlist(r, v[CI_PROVIDERS], "providers", "ci provider", ciproviders, LEN(ciproviders),
				 &ci->nproviders);
	if (!v[CI_PROVIDERS] || (v[CI_PROVIDERS]->kind == Y_SEQ && v[CI_PROVIDERS]->n == 0))
		diag_add(r->d, SEV_ERROR, v[CI_PROVIDERS] ? v[CI_PROVIDERS]->loc : n->loc,
			 "ci needs providers: at least one of github, gitlab");
	size_t nsteps;
	const char **steps = enumlist(r, v[CI_STEPS], "steps", "ci step", cisteps, LEN(cisteps), &nsteps);
	if (steps) {
		/* check runs first whether it is listed or not */
		const char **all = arena_array(r->a, nsteps + 1, sizeof(*all));
		all[0] = cisteps[0];
		ci->nsteps = 1;
		for (size_t i = 0; i < nsteps; i++) {
			if (steps[i] != cisteps[0])
				all[ci->nsteps++] = steps[i];
			else if (i != 0)
				diag_add(r->d, SEV_ERROR, v[CI_STEPS]->items[i]->loc,
					 "check always runs first; list it first or leave it out");
		}
		ci->steps = all;
	}
	ci->deploy = enumlist(r, v[CI_DEPLOY], "deploy", "deploy step", cideploys, LEN(cideploys), &ci->ndeploy);
	if (v[CI_BRANCH]) {
		const char *b = rd_str(r, v[CI_BRANCH], "branch");
		if (b && !isbranch(b))
			diag_add(r->d, SEV_ERROR, v[CI_BRANCH]->loc, "branch '%s' is not a git branch name", b);
		else if (b)
			ci->branch = b;
	}
	readmanifest(r, ci, v[CI_MANIFEST]);
	const struct ynode *sec = v[CI_SECRETS];
	if (sec && sec->kind != Y_SEQ) {
		diag_add(r->d, SEV_ERROR, sec->loc, "secrets must be a list, not %s", ykindname(sec));
	} else if (sec) {
		ci->secrets = arena_array(r->a, sec->n + 1, sizeof(*ci->secrets));
		for (size_t i = 0; i < sec->n; i++) {
			const char *name = rd_envname(r, sec->items[i], "secret");
			if (!name)
				continue;
			if (strncmp(name, "GITHUB_", 7) == 0)
				diag_add(r->d, SEV_ERROR, sec->items[i]->loc,
					 "secret '%s': names starting with GITHUB_ are reserved by GitHub Actions", name);
			else if (listed(ci->secrets, ci->nsecrets, name))
				diag_add(r->d, SEV_ERROR, sec->items[i]->loc, "secret '%s' is listed twice", name);
			else
				ci->secrets[ci->nsecrets++] = name;
		}
	}
	readdpc(r, ci, v[CI_DPC], n);
}

/* after every file: what entries say about each other */

static const struct spec_apptable *
findtable(const struct spec *s, const char *name)
{
	for (size_t i = 0; i < s->napptables; i++)
		if (strcmp(s->apptables[i].name, name) == 0)
			return &s->apptables[i];
	return NULL;
}

/* report a table missing from tables:, with a did-you-mean */
static void
notable(struct reader *r, const char *name, struct loc loc, const char *what)
{
	const struct spec *s = r->s;
	const char **names = xreallocarray(NULL, s->napptables + 1, sizeof(*names));
	for (size_t i = 0; i < s->napptables; i++)
		names[i] = s->apptables[i].name;
	struct diag *g = diag_add(r->d, SEV_ERROR, loc, "%s: there is no table '%s' in tables:", what, name);
	diag_hint(g, did_you_mean(name, names, s->napptables));
	free(names);
}

/* can a foreign key point at column c of t: its one-column primary key, a
 * unique column or the only column of a unique index */
static bool
isunique(const struct spec_apptable *t, const struct spec_appcolumn *c)
{
	if (c->unique || (t->nprimary_key == 1 && strcmp(t->primary_key[0], c->name) == 0))
		return true;
	for (size_t i = 0; i < t->nindexes; i++)
		if (t->indexes[i].unique && t->indexes[i].ncolumns == 1 &&
		    strcmp(t->indexes[i].columns[0], c->name) == 0)
			return true;
	return false;
}

static void
resolvereference(struct reader *r, struct spec_appcolumn *c)
{
	const struct spec *s = r->s;
	char *parts[3];
	size_t np = 0;
	for (const char *p = c->references;; p++) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		parts[np++] = arena_strndup(r->a, p, n);
		if (!dot)
			break;
		p = dot;
	}
	/* t, t.c, s.t.c */
	const char *schema = np == 3 ? parts[0] : NULL;
	const char *table = parts[np == 3], *column = np > 1 ? parts[np - 1] : NULL;
	const struct spec_apptable *t = findtable(s, table);
	if (t && schema && strcmp(t->schema, schema) != 0)
		t = NULL; /* another schema's table of that name */
	if (!t && np == 3) {
		/* outside the spec (auth.users.id): taken to exist, unless it looks
		 * like a misspelt table of the spec's own schema */
		const char **names = xreallocarray(NULL, s->napptables + 1, sizeof(*names));
		size_t n = 0;
		for (size_t i = 0; i < s->napptables; i++)
			if (strcmp(s->apptables[i].schema, schema) == 0)
				names[n++] = s->apptables[i].name;
		const char *near = did_you_mean(table, names, n);
		if (near) {
			struct diag *g = diag_add(r->d, SEV_WARNING, c->references_loc,
						  "references '%s': '%s.%s' is not in tables:; dpc takes it to exist",
						  c->references, schema, table);
			diag_hint(g, near);
		}
		free(names);
		c->ref_schema = schema, c->ref_tablename = table, c->ref_column = column;
		return;
	}
	if (!t) {
		notable(r, table, c->references_loc, "references");
		return;
	}
	const struct spec_appcolumn *target;
	if (!column) {
		if (t->nprimary_key != 1) {
			diag_add(r->d, SEV_ERROR, c->references_loc,
				 "references '%s': table '%s' has no one-column primary key; name the column: %s.column",
				 c->references, t->name, t->name);
			return;
		}
		target = findcolumn(t, t->primary_key[0]);
	} else if (!(target = findcolumn(t, column))) {
		nocolumn(r, t, column, c->references_loc, "references");
		return;
	}
	if (!isunique(t, target)) {
		diag_add(r->d, SEV_ERROR, c->references_loc,
			 "references '%s': '%s.%s' is neither the primary key nor unique, so a foreign key "
			 "cannot point at it", c->references, t->name, target->name);
		return;
	}
	c->ref_schema = t->schema, c->ref_tablename = t->name, c->ref_column = target->name;
	c->ref_table = t;
}

/* the key's type as a reference to it is written: a serial is a plain
 * integer of its size */
static const char *
keytype(const char *type)
{
	static const char *const serials[][2] = {
		{"smallserial", "smallint"}, {"serial2", "smallint"}, {"serial", "integer"},
		{"serial4", "integer"}, {"bigserial", "bigint"}, {"serial8", "bigint"},
	};
	for (size_t i = 0; i < LEN(serials); i++)
		if (strcasecmp(type, serials[i][0]) == 0)
			return serials[i][1];
	return type;
}

static const struct spec_column *
modelcolumn(const struct spec_model *m, const char *name)
{
	for (size_t i = 0; i < m->ncolumns; i++)
		if (strcmp(m->columns[i].name, name) == 0)
			return &m->columns[i];
	return NULL;
}

/* from: a model. Its rows are in Supabase only when dbt builds into the
 * Supabase database (a postgres warehouse); the vector table then lives in
 * the default schema of tables: and cannot reference the model's rows,
 * which dbt drops and makes again (docs/supabase.md) */
static void
modelembedding(struct reader *r, struct spec_embedding *e, const struct spec_model *m)
{
	const struct spec *s = r->s;
	if (strcmp(s->warehouse.type, "postgres") != 0) {
		diag_add(r->d, SEV_ERROR, e->from_loc,
			 "embedding from: '%s' is a model, and the warehouse is %s, so its rows are not in "
			 "Supabase, where the vectors and match_%s live; embed a model with warehouse type "
			 "postgres (dbt building into the Supabase database), or keep the rows in a table of "
			 "tables: (written there by an asset) and embed that table",
			 e->from, s->warehouse.type, e->name);
		return;
	}
	if (m->enabled == 0) {
		diag_add(r->d, SEV_ERROR, e->from_loc,
			 "embedding from: model '%s' is disabled (enabled: false): dbt makes no relation to read "
			 "its rows from", m->name);
		return;
	}
	if (m->materialized && strcmp(m->materialized, "ephemeral") == 0) {
		diag_add(r->d, SEV_ERROR, e->from_loc,
			 "embedding from: model '%s' is ephemeral: dbt makes no relation to read its rows from; "
			 "materialize it as a view, table or incremental", m->name);
		return;
	}
	e->model = m;
	e->schema = s->supabase.schema;
	e->source = s->supabase.source;
	/* its vector table is a dbt source table of that source, as a table
	 * of tables: would be (spec_app_finish reports it when one is) */
	bool reported = false;
	for (const struct spec_embedding *o = s->embeddings; o < e; o++)
		reported |= o->model && o->source && strcmp(o->source, e->source) == 0;
	for (size_t i = 0; i < s->napptables; i++)
		reported |= strcmp(s->apptables[i].source, e->source) == 0;
	for (size_t i = 0; !reported && i < s->nsources; i++)
		if (strcmp(s->sources[i].name, e->source) == 0)
			diag_add(r->d, SEV_ERROR, s->sources[i].loc,
				 "source '%s' is also the dbt source of the vector table of embedding '%s'; "
				 "rename it, or set supabase: {source: ...}", e->source, e->name);
	if (!e->key) {
		diag_add(r->d, SEV_ERROR, e->loc,
			 "embedding '%s' needs key: model '%s' has no primary key dpc knows; name a column "
			 "whose values are unique and not null", e->name, m->name);
		return;
	}
	const struct spec_column *tc = e->text ? modelcolumn(m, e->text) : NULL;
	if (tc && tc->type && spec_type_family(tc->type) != SQL_TEXT)
		diag_add(r->d, SEV_ERROR, e->text_loc, "embedding text: column '%s' of model '%s' is %s, not text",
			 e->text, m->name, tc->type);
	const struct spec_column *kc = modelcolumn(m, e->key);
	e->key_type = kc && kc->type ? keytype(kc->type) : "text";
	e->vector_type = arena_printf(r->a, "extensions.vector(%lld)", e->dimensions);
}

static void
resolveembedding(struct reader *r, struct spec_embedding *e)
{
	if (!e->from)
		return;
	const struct spec_apptable *t = findtable(r->s, e->from);
	if (!t) {
		for (size_t i = 0; i < r->s->nmodels; i++)
			if (strcmp(r->s->models[i].name, e->from) == 0) {
				modelembedding(r, e, &r->s->models[i]);
				return;
			}
		if (strcmp(r->s->warehouse.type, "postgres") != 0) {
			notable(r, e->from, e->from_loc, "embedding from");
			return;
		}
		/* a postgres warehouse: a model would do too */
		const struct spec *s = r->s;
		const char **names = xreallocarray(NULL, s->napptables + s->nmodels + 1, sizeof(*names));
		for (size_t i = 0; i < s->napptables; i++)
			names[i] = s->apptables[i].name;
		for (size_t i = 0; i < s->nmodels; i++)
			names[s->napptables + i] = s->models[i].name;
		struct diag *g = diag_add(r->d, SEV_ERROR, e->from_loc,
					  "embedding from: there is no table '%s' in tables: and no model of that name",
					  e->from);
		diag_hint(g, did_you_mean(e->from, names, s->napptables + s->nmodels));
		free(names);
		return;
	}
	e->table = t;
	e->schema = t->schema;
	e->source = t->source;
	if (e->text) {
		e->text_column = findcolumn(t, e->text);
		if (!e->text_column)
			nocolumn(r, t, e->text, e->text_loc, "embedding text");
		else if (spec_type_family(e->text_column->type) != SQL_TEXT)
			diag_add(r->d, SEV_ERROR, e->text_loc, "embedding text: column '%s' is %s, not text",
				 e->text, e->text_column->type);
	}
	if (e->key) {
		e->key_column = findcolumn(t, e->key);
		if (!e->key_column)
			nocolumn(r, t, e->key, e->key_loc, "embedding key");
		else if (!isunique(t, e->key_column))
			diag_add(r->d, SEV_ERROR, e->key_loc,
				 "embedding key: column '%s' is neither the primary key of '%s' nor unique", e->key,
				 t->name);
	} else if (t->nprimary_key == 1) {
		e->key = t->primary_key[0];
		e->key_column = findcolumn(t, e->key);
	} else {
		diag_add(r->d, SEV_ERROR, e->loc,
			 "embedding '%s' needs key: table '%s' has no one-column primary key to default to",
			 e->name, t->name);
	}
	if (e->key_column)
		e->key_type = keytype(e->key_column->type);
	e->vector_type = arena_printf(r->a, "extensions.vector(%lld)", e->dimensions);
}

void
spec_app_finish(struct reader *r)
{
	struct spec *s = r->s;
	/* each dbt source holds one schema, and is no source of sources: */
	struct strmap bysource = {0};
	for (size_t i = 0; i < s->napptables; i++) {
		const struct spec_apptable *t = &s->apptables[i];
		const struct spec_apptable *first = strmap_get(&bysource, t->source);
		if (!first) {
			strmap_put(&bysource, t->source, (void *)t);
			for (size_t j = 0; j < s->nsources; j++)
				if (strcmp(s->sources[j].name, t->source) == 0) {
					struct diag *g = diag_add(r->d, SEV_ERROR, s->sources[j].loc,
								  "source '%s' is also the dbt source of tables:; "
								  "rename it, or set supabase: {source: ...}", t->source);
					diag_note(g, t->loc, "table '%s' appears under source '%s'", t->name, t->source);
				}
		} else if (strcmp(first->schema, t->schema) != 0) {
			struct diag *g = diag_add(r->d, SEV_ERROR, t->loc,
						  "table '%s' (schema %s) would appear under dbt source '%s', which "
						  "holds schema %s; a source is one schema", t->name, t->schema,
						  t->source, first->schema);
			diag_note(g, first->loc, "table '%s' is in schema %s", first->name, first->schema);
		}
	}
	strmap_free(&bysource);
	for (size_t i = 0; i < s->napptables; i++) {
		struct spec_apptable *t = &s->apptables[i];
		for (size_t j = 0; j < t->ncolumns; j++)
			if (t->columns[j].references)
				resolvereference(r, &t->columns[j]);
		/* an index is a relation: its name may not be a table's */
		for (size_t j = 0; j < t->nindexes; j++) {
			const char *nm = t->indexes[j].name;
			const struct spec_apptable *other = findtable(s, nm);
			bool emb = false;
			for (size_t k = 0; k < s->nembeddings; k++)
				emb |= strcmp(s->embeddings[k].name, nm) == 0;
			if (other || emb)
				diag_add(r->d, SEV_ERROR, t->indexes[j].loc,
					 "index '%s' has the name of %s; indexes and tables share PostgreSQL's "
					 "names in a schema", nm, other ? "a table" : "an embedding's table");
		}
	}
	for (size_t i = 0; i < s->nembeddings; i++)
		resolveembedding(r, &s->embeddings[i]);
}

/* ai: the LLM dpc ai asks (llm.c reads it, with the environment on top) */

const struct spec_ai spec_ai_defaults = {
	.loc = {-1, 0, 0},
	.timeout = 120,
	.max_retries = 4,
	.repair_rounds = 2,
	.structured_output = "auto",
	.max_response_kb = 4096,
	.max_tokens = 4096,
	.prompts = "dpc/prompts",
};

enum {
	AI_PROVIDER, AI_MODEL, AI_BASE_URL, AI_API_KEY_ENV, AI_TIMEOUT, AI_MAX_RETRIES, AI_REPAIR_ROUNDS,
	AI_STRUCTURED, AI_MAX_RESPONSE_KB, AI_MAX_TOKENS, AI_PROMPTS, AI_API_KEY
};
/* api_key is known only to say that a key never goes into the spec */
static const char *const aikeys[] = {"provider", "model", "base_url", "api_key_env", "timeout",
				     "max_retries", "repair_rounds", "structured_output",
				     "max_response_kb", "max_tokens", "prompts", "api_key"};
static const char *const aiproviders[] = {"openai", "anthropic"};
static const char *const aistructured[] = {"auto", "json_schema", "json_object", "none"};

/* a whole number from lo to hi; false (reported) otherwise */
static bool
rd_range(struct reader *r, const struct ynode *n, const char *what, long long lo, long long hi,
	 long long *out)
{
	long long v;
	if (n->kind != Y_SCALAR || !n->plain || !yint(n, &v) || v < lo || v > hi) {
		diag_add(r->d, SEV_ERROR, n->loc, "%s must be a whole number from %lld to %lld", what, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

/* http:// or https://, a host, and no spaces, quotes or control characters:
 * the URL goes to libcurl as it is */
static bool
ishttpurl(const char *s)
{
	const char *rest = strncmp(s, "https://", 8) == 0 ? s + 8 : strncmp(s, "http://", 7) == 0 ? s + 7 : NULL;
	if (!rest || !*rest || *rest == '/')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("\"'<>\\`", *p))
			return false;
	return true;
}

void
spec_read_ai(struct reader *r, const struct ynode *n)
{
	struct spec_ai *ai = &r->s->ai;
	*ai = spec_ai_defaults;
	const struct ynode *v[LEN(aikeys)];
	if (!n || !rd_fields(r, n, "ai", aikeys, LEN(aikeys), v, NULL))
		return;
	ai->set = true;
	ai->loc = n->loc;
	if (v[AI_API_KEY])
		diag_add(r->d, SEV_ERROR, v[AI_API_KEY]->loc,
			 "an API key never goes into the spec; name the environment variable that holds it "
			 "with api_key_env (default OPENAI_API_KEY or ANTHROPIC_API_KEY)");
	if (v[AI_PROVIDER])
		ai->provider = rd_oneof(r, v[AI_PROVIDER], "provider", aiproviders, LEN(aiproviders));
	if (v[AI_MODEL]) {
		const char *m = rd_str(r, v[AI_MODEL], "model");
		bool ok = m && *m;
		for (const char *p = m; ok && *p; p++)
			ok = (unsigned char)*p > ' ' && *p != 0x7f;
		if (m && !ok)
			diag_add(r->d, SEV_ERROR, v[AI_MODEL]->loc,
				 "model '%s' must be a model's name, without spaces or control characters", m);
		else
			ai->model = m;
	}
	if (v[AI_BASE_URL]) {
		const char *u = rd_str(r, v[AI_BASE_URL], "base_url");
		if (u && !ishttpurl(u))
			diag_add(r->d, SEV_ERROR, v[AI_BASE_URL]->loc,
				 "base_url '%s' is not an http:// or https:// URL (like "
				 "http://localhost:11434/v1); no spaces or quotes", u);
		else
			ai->base_url = u;
	}
	if (v[AI_API_KEY_ENV])
		ai->api_key_env = rd_envname(r, v[AI_API_KEY_ENV], "api_key_env");
	if (v[AI_TIMEOUT]) {
		/* seconds, or a duration with a unit as a sensor's interval takes */
		const struct ynode *t = v[AI_TIMEOUT];
		long long secs = 0;
		bool ok = t->kind == Y_SCALAR && t->str &&
			  ((t->plain && yint(t, &secs)) || interval_parse(t->str, &secs));
		if (!ok || secs < 1 || secs > 3600)
			diag_add(r->d, SEV_ERROR, t->loc,
				 "timeout must be from 1 second to 1 hour: a number of seconds (120) or a number "
				 "and a unit s, m or h (90s, 2m)");
		else
			ai->timeout = secs;
	}
	long long x;
	if (v[AI_MAX_RETRIES] && rd_range(r, v[AI_MAX_RETRIES], "max_retries", 0, 10, &x))
		ai->max_retries = (int)x;
	if (v[AI_REPAIR_ROUNDS] && rd_range(r, v[AI_REPAIR_ROUNDS], "repair_rounds", 0, 10, &x))
		ai->repair_rounds = (int)x;
	if (v[AI_STRUCTURED])
		ai->structured_output = rd_oneof(r, v[AI_STRUCTURED], "structured_output", aistructured,
						 LEN(aistructured));
	if (!ai->structured_output)
		ai->structured_output = "auto";
	if (v[AI_MAX_RESPONSE_KB] && rd_range(r, v[AI_MAX_RESPONSE_KB], "max_response_kb", 1, 65536, &x))
		ai->max_response_kb = x;
	if (v[AI_MAX_TOKENS] && rd_range(r, v[AI_MAX_TOKENS], "max_tokens", 1, 1000000, &x))
		ai->max_tokens = x;
	if (v[AI_PROMPTS]) {
		const char *p = rd_path(r, v[AI_PROMPTS], "prompts", NULL, false);
		if (p)
			ai->prompts = p;
	}
}
