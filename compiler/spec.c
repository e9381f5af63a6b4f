/* spec.c: the front end. Reads pipeline.yaml and its fragments (yamldoc.c
 * gives the located tree) into the spec AST of spec.h, checking every key,
 * type and name against the language of specs/pipeline.schema.json.
 *
 * Every problem is a diagnostic and reading goes on, so one run reports all
 * of them. Objects are read through a table of known keys per object kind
 * (rd_fields), which also produces the did-you-mean for unknown keys. */
#include "spec.h"
#include "spec_reader.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the largest spec file dpc reads: far above any real spec, low enough that a
 * runaway generated file is refused quickly */
#define SPEC_MAX_BYTES (16u << 20)

/* Look up the fields of a mapping by a table of known keys. v[i] receives
 * the value of keys[i] (NULL if absent); unknown keys are errors with a
 * did-you-mean. Returns false (having reported) if n is not a mapping. */
bool
rd_fields(struct reader *r, const struct ynode *n, const char *what, const char *const *keys,
	  size_t nkeys, const struct ynode **v, const struct ynode **k)
{
	for (size_t i = 0; i < nkeys; i++)
		v[i] = NULL;
	if (n->kind != Y_MAP) {
		diag_add(r->d, SEV_ERROR, n->loc, "%s must be a mapping, not %s", what,
			 ykindname(n));
		return false;
	}
	for (size_t i = 0; i < n->n; i += 2) {
		const struct ynode *key = n->items[i];
		size_t j;
		for (j = 0; j < nkeys; j++)
			if (strcmp(key->str, keys[j]) == 0)
				break;
		if (j < nkeys) {
			v[j] = n->items[i + 1];
			if (k)
				k[j] = key;
			continue;
		}
		struct diag *g;
		if (strcmp(key->str, "<<") == 0)
			g = diag_add(r->d, SEV_ERROR, key->loc, "YAML merge keys (<<) are not supported in a spec");
		else
			g = diag_add(r->d, SEV_ERROR, key->loc, "unknown key '%s' in %s", key->str, what);
		diag_hint(g, did_you_mean(key->str, keys, nkeys));
	}
	return true;
}

/* a scalar as a string; null and collections are errors */
const char *
rd_str(struct reader *r, const struct ynode *n, const char *what)
{
	if (!n)
		return NULL;
	if (n->kind != Y_SCALAR || ynull(n)) {
		diag_add(r->d, SEV_ERROR, n->loc, "%s must be a string, not %s", what, ykindname(n));
		return NULL;
	}
	return arena_strndup(r->a, n->str, n->slen);
}

const char *
rd_ident(struct reader *r, const struct ynode *n, const char *what)
{
	const char *s = rd_str(r, n, what);
	if (s && (!is_ident(s) || strlen(s) > 63)) {
		diag_add(r->d, SEV_ERROR, n->loc,
			 "%s '%s' is not a valid name: use letters, digits and underscores, "
			 "not starting with a digit, at most 63 characters", what, s);
		return NULL;
	}
	return s;
}

const char *
rd_oneof(struct reader *r, const struct ynode *n, const char *what, const char *const *allowed,
	 size_t nallowed)
{
	const char *s = rd_str(r, n, what);
	if (!s)
		return NULL;
	for (size_t i = 0; i < nallowed; i++)
		if (strcmp(s, allowed[i]) == 0)
			return allowed[i];
	struct buf b = {0};
	for (size_t i = 0; i < nallowed; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", allowed[i]);
	struct diag *g = diag_add(r->d, SEV_ERROR, n->loc, "%s must be one of %s, not '%s'", what,
				  b.data, s);
	diag_hint(g, did_you_mean(s, allowed, nallowed));
	buf_free(&b);
	return NULL;
}

static bool
isenvname(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

const char *
rd_envname(struct reader *r, const struct ynode *n, const char *what)
{
	const char *s = rd_str(r, n, what);
	if (s && !isenvname(s)) {
		diag_add(r->d, SEV_ERROR, n->loc,
			 "%s '%s' is not an environment variable name (A-Z, 0-9, _)", what, s);
		return NULL;
	}
	return s;
}

/* a list of identifiers; a single scalar is not accepted, to keep one form */
const char **
rd_identlist(struct reader *r, const struct ynode *n, const char *what, size_t *count)
{
	*count = 0;
	if (!n)
		return NULL;
	if (n->kind != Y_SEQ) {
		diag_add(r->d, SEV_ERROR, n->loc, "%s must be a list, not %s", what, ykindname(n));
		return NULL;
	}
	const char **v = arena_array(r->a, n->n, sizeof(*v));
	for (size_t i = 0; i < n->n; i++) {
		const char *s = rd_ident(r, n->items[i], what);
		if (s)
			v[(*count)++] = s;
	}
	return v;
}

static bool
isduration(const char *s)
{
	if (!s || !(*s >= '1' && *s <= '9'))
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	return (*s == 'm' || *s == 'h' || *s == 'd') && s[1] == '\0';
}

bool
spec_path_ok(struct diags *d, const char *root, const char *path, struct loc loc, bool must_exist)
{
	if (!*path) {
		diag_add(d, SEV_ERROR, loc, "empty path");
		return false;
	}
	if (path[0] == '/') {
		diag_add(d, SEV_ERROR, loc, "path '%s' is absolute; paths in a spec are relative to the project",
			 path);
		return false;
	}
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			diag_add(d, SEV_ERROR, loc, "path '%s' leads out of the project ('..')", path);
			return false;
		}
		p += n;
		p += *p == '/';
	}
	if (!must_exist)
		return true; /* files are opened beneath the root later (open_beneath) */
	char *full = xasprintf("%s/%s", root, path);
	char rootreal[PATH_MAX], real[PATH_MAX];
	bool ok = true;
	if (!realpath(full, real)) {
		diag_add(d, SEV_ERROR, loc, "cannot read '%s': %s", path, strerror(errno));
		ok = false;
	} else if (realpath(root, rootreal)) {
		size_t n = strlen(rootreal);
		if (strncmp(real, rootreal, n) != 0 || (real[n] != '/' && real[n] != '\0')) {
			diag_add(d, SEV_ERROR, loc, "path '%s' leads out of the project through a symlink",
				 path);
			ok = false;
		} else {
			struct stat st;
			if (stat(real, &st) == 0 && !S_ISREG(st.st_mode)) {
				diag_add(d, SEV_ERROR, loc, "'%s' is not a regular file", path);
				ok = false;
			}
		}
	}
	free(full);
	return ok;
}

/* a path field: relative, inside the project, with an optional suffix */
const char *
rd_path(struct reader *r, const struct ynode *n, const char *what, const char *suffix,
	bool must_exist)
{
	const char *s = rd_str(r, n, what);
	if (!s)
		return NULL;
	size_t ls = strlen(s), lx = suffix ? strlen(suffix) : 0;
	if (suffix && (ls < lx || strcmp(s + ls - lx, suffix) != 0)) {
		diag_add(r->d, SEV_ERROR, n->loc, "%s '%s' must end in '%s'", what, s, suffix);
		return NULL;
	}
	return spec_path_ok(r->d, r->root, s, n->loc, must_exist) ? s : NULL;
}

/* Hash a subtree's content (not its formatting), so that moving a model in
 * the file or re-indenting it does not change what it generates. */
static void
hashnode(struct hasher *h, const struct ynode *n)
{
	char kind = (char)('0' + n->kind);
	hasher_add(h, &kind, 1);
	if (n->kind == Y_SCALAR) {
		hasher_add(h, n->str, n->slen);
		return;
	}
	hasher_add(h, &n->n, sizeof(n->n));
	for (size_t i = 0; i < n->n; i++)
		hashnode(h, n->items[i]);
}

struct hash
rd_hash(const struct ynode *n)
{
	struct hasher h;
	hasher_init(&h);
	hashnode(&h, n);
	return hasher_done(&h);
}

/* tests */

static const char *const testnames[] = {"unique", "not_null", "accepted_values", "relationships", "row_count"};
static const char *const severities[] = {"error", "warn"};

enum { TA_COLUMN, TA_SEVERITY, TA_WHERE, TA_VALUES, TA_QUOTE, TA_TO, TA_FIELD, TA_MIN, TA_MAX };
static const char *const testargs[] = {"column", "severity", "where", "values", "quote", "to", "field", "min", "max"};

/* a row_count bound: a whole number of rows, 0 or more; -1 when absent or wrong (reported) */
static long long
rowbound(struct reader *r, const struct ynode *n, const char *what, bool *ok)
{
	long long v;
	if (!n)
		return -1;
	if (n->kind != Y_SCALAR || !n->plain || !yint(n, &v) || v < 0) {
		diag_add(r->d, SEV_ERROR, n->loc, "row_count's %s must be a whole number of rows, 0 or more", what);
		*ok = false;
		return -1;
	}
	return v;
}

/* split "a.b.c" into target "a.b" and field "c" */
static bool
splitrel(struct reader *r, const char *s, struct spec_test *t)
{
	const char *dot = strrchr(s, '.');
	if (!dot || dot == s || !dot[1])
		return false;
	t->to = arena_strndup(r->a, s, (size_t)(dot - s));
	t->field = arena_strdup(r->a, dot + 1);
	const char *first = strchr(t->to, '.');
	if (first && strchr(first + 1, '.'))
		return false;
	return true;
}

static bool
readtest(struct reader *r, const struct ynode *n, bool toplevel, struct spec_test *t)
{
	*t = (struct spec_test){.quote = -1, .min = -1, .max = -1, .loc = n->loc, .to_loc = n->loc};
	size_t nerrors = r->d->nerrors; /* a misspelt bound is reported once, as a misspelling */
	const struct ynode *name = n, *arg = NULL;
	if (n->kind == Y_MAP) {
		if (n->n != 2) {
			diag_add(r->d, SEV_ERROR, n->loc,
				 "a test is a name or a mapping with one key (the test's name)");
			return false;
		}
		name = n->items[0];
		arg = n->items[1];
	} else if (n->kind != Y_SCALAR) {
		diag_add(r->d, SEV_ERROR, n->loc, "a test must be a name or a mapping, not %s",
			 ykindname(n));
		return false;
	}
	t->loc = name->loc;
	size_t k;
	for (k = 0; k < LEN(testnames); k++)
		if (strcmp(name->str, testnames[k]) == 0)
			break;
	if (k == LEN(testnames)) {
		struct diag *g = diag_add(r->d, SEV_ERROR, name->loc, "unknown test '%s'", name->str);
		diag_hint(g, did_you_mean(name->str, testnames, LEN(testnames)));
		return false;
	}
	t->kind = (enum test_kind)k;
	if (t->kind == T_ROW_COUNT && !toplevel) {
		diag_add(r->d, SEV_ERROR, name->loc,
			 "row_count counts the rows of a model or source table: list it in their tests, not a column's");
		return false;
	}
	const struct ynode *v[LEN(testargs)] = {0};
	bool ok = true;
	if (arg && !ynull(arg)) {
		if (arg->kind == Y_SEQ && t->kind == T_ACCEPTED_VALUES) {
			v[TA_VALUES] = arg;
		} else if (arg->kind == Y_SCALAR && t->kind == T_RELATIONSHIPS) {
			if (!splitrel(r, arg->str, t)) {
				diag_add(r->d, SEV_ERROR, arg->loc,
					 "relationships target '%s' must be model.column, seed.column "
					 "or source.table.column", arg->str);
				return false;
			}
			t->to_loc = arg->loc;
		} else {
			/* the long form: only the arguments this test takes */
			const char *allowed[LEN(testargs)];
			size_t na = 0;
			if (t->kind != T_ROW_COUNT)
				allowed[na++] = testargs[TA_COLUMN];
			allowed[na++] = testargs[TA_SEVERITY];
			allowed[na++] = testargs[TA_WHERE];
			if (t->kind == T_ACCEPTED_VALUES) {
				allowed[na++] = testargs[TA_VALUES];
				allowed[na++] = testargs[TA_QUOTE];
			} else if (t->kind == T_RELATIONSHIPS) {
				allowed[na++] = testargs[TA_TO];
				allowed[na++] = testargs[TA_FIELD];
			} else if (t->kind == T_ROW_COUNT) {
				allowed[na++] = testargs[TA_MIN];
				allowed[na++] = testargs[TA_MAX];
			}
			const struct ynode *got[LEN(testargs)];
			char what[64];
			snprintf(what, sizeof(what), "test '%s'", testnames[k]);
			if (!rd_fields(r, arg, what, allowed, na, got, NULL))
				return false;
			for (size_t i = 0; i < na; i++)
				for (size_t j = 0; j < LEN(testargs); j++)
					if (allowed[i] == testargs[j])
						v[j] = got[i];
		}
	}
	if (v[TA_COLUMN]) {
		if (!toplevel) {
			diag_add(r->d, SEV_ERROR, v[TA_COLUMN]->loc,
				 "'column' belongs to model-level tests; this test is under a column already");
			ok = false;
		}
		t->column = rd_str(r, v[TA_COLUMN], "column");
	} else if (toplevel && t->kind != T_ROW_COUNT) {
		diag_add(r->d, SEV_ERROR, name->loc,
			 "a model-level test must say which column it tests: {%s: {column: ...}}",
			 testnames[k]);
		ok = false;
	}
	if (v[TA_SEVERITY])
		t->severity = rd_oneof(r, v[TA_SEVERITY], "severity", severities, LEN(severities));
	t->where = rd_str(r, v[TA_WHERE], "where");
	if (t->kind == T_ACCEPTED_VALUES) {
		const struct ynode *vals = v[TA_VALUES];
		if (!vals || vals->kind != Y_SEQ || vals->n == 0) {
			diag_add(r->d, SEV_ERROR, vals ? vals->loc : name->loc,
				 "accepted_values needs a non-empty list of values");
			return false;
		}
		t->values = arena_array(r->a, vals->n, sizeof(*t->values));
		for (size_t i = 0; i < vals->n; i++) {
			if (vals->items[i]->kind != Y_SCALAR || ynull(vals->items[i])) {
				diag_add(r->d, SEV_ERROR, vals->items[i]->loc,
					 "accepted values must be strings or numbers, not %s",
					 ykindname(vals->items[i]));
				ok = false;
				continue;
			}
			t->values[t->nvalues++] = arena_strndup(r->a, vals->items[i]->str, vals->items[i]->slen);
		}
		if (v[TA_QUOTE]) {
			bool q;
			if (!ybool(v[TA_QUOTE], &q)) {
				diag_add(r->d, SEV_ERROR, v[TA_QUOTE]->loc, "quote must be true or false");
				ok = false;
			} else {
				t->quote = q;
			}
		}
	}
	if (t->kind == T_ROW_COUNT) {
		t->min = rowbound(r, v[TA_MIN], "min", &ok);
		t->max = rowbound(r, v[TA_MAX], "max", &ok);
		if (!v[TA_MIN] && !v[TA_MAX]) {
			if (r->d->nerrors == nerrors)
				diag_add(r->d, SEV_ERROR, arg ? arg->loc : name->loc,
					 "row_count needs min, max or both: {row_count: {min: 1, max: 1000000}}");
			return false;
		}
		if (t->min >= 0 && t->max >= 0 && t->min > t->max) {
			diag_add(r->d, SEV_ERROR, v[TA_MIN]->loc, "row_count's min (%lld) is more than its max (%lld)",
				 t->min, t->max);
			ok = false;
		}
	}
	if (t->kind == T_RELATIONSHIPS && !t->to) {
		if (!v[TA_TO] || !v[TA_FIELD]) {
			diag_add(r->d, SEV_ERROR, arg ? arg->loc : name->loc,
				 "relationships needs a target: \"model.column\" or {to: model, field: column}");
			return false;
		}
		t->to = rd_str(r, v[TA_TO], "to");
		t->to_loc = v[TA_TO]->loc;
		t->field = rd_str(r, v[TA_FIELD], "field");
		if (!t->to || !t->field)
			return false;
	}
	return ok;
}

static struct spec_test *
readtests(struct reader *r, const struct ynode *n, bool toplevel, size_t *count)
{
	*count = 0;
	if (!n)
		return NULL;
	if (n->kind != Y_SEQ) {
		diag_add(r->d, SEV_ERROR, n->loc, "tests must be a list, not %s", ykindname(n));
		return NULL;
	}
	struct spec_test *v = arena_array(r->a, n->n, sizeof(*v));
	for (size_t i = 0; i < n->n; i++)
		if (readtest(r, n->items[i], toplevel, &v[*count]))
			(*count)++;
	return v;
}

/* columns */

enum { C_TYPE, C_DESCRIPTION, C_TESTS };
static const char *const columnkeys[] = {"type", "description", "tests"};

static struct spec_column *
readcolumns(struct reader *r, const struct ynode *n, size_t *count)
{
	*count = 0;
	if (!n)
		return NULL;
	if (n->kind != Y_MAP) {
		diag_add(r->d, SEV_ERROR, n->loc, "columns must be a mapping of column names, not %s",
			 ykindname(n));
		return NULL;
	}
	struct spec_column *v = arena_array(r->a, n->n / 2, sizeof(*v));
	for (size_t i = 0; i < n->n; i += 2) {
		const struct ynode *key = n->items[i], *val = n->items[i + 1];
		struct spec_column *c = &v[*count];
		*c = (struct spec_column){.name = rd_ident(r, key, "column name"), .loc = key->loc};
		if (!c->name)
			continue;
		(*count)++;
		if (ynull(val))
			continue;
		if (val->kind == Y_SCALAR) {
			c->type = arena_strndup(r->a, val->str, val->slen); /* the shorthand: `name: type` */
			continue;
		}
		const struct ynode *f[LEN(columnkeys)];
		if (!rd_fields(r, val, "a column", columnkeys, LEN(columnkeys), f, NULL))
			continue;
		c->type = rd_str(r, f[C_TYPE], "type");
		c->description = rd_str(r, f[C_DESCRIPTION], "description");
		c->tests = readtests(r, f[C_TESTS], false, &c->ntests);
	}
	return v;
}

/* freshness */

enum { F_FIELD, F_WARN, F_ERROR, F_FILTER };
static const char *const freshkeys[] = {"field", "warn_after", "error_after", "filter"};

static void
readfreshness(struct reader *r, const struct ynode *n, struct spec_freshness *f)
{
	*f = (struct spec_freshness){0};
	if (!n)
		return;
	f->set = true;
	f->loc = n->loc;
	if (ynull(n)) {
		f->disabled = true;
		return;
	}
	const struct ynode *v[LEN(freshkeys)];
	if (!rd_fields(r, n, "freshness", freshkeys, LEN(freshkeys), v, NULL))
		return;
	f->field = rd_ident(r, v[F_FIELD], "freshness field");
	f->filter = rd_str(r, v[F_FILTER], "filter");
	const char **dst[] = {&f->warn_after, &f->error_after};
	for (int i = 0; i < 2; i++) {
		const char *s = rd_str(r, v[F_WARN + i], freshkeys[F_WARN + i]);
		if (s && !isduration(s)) {
			diag_add(r->d, SEV_ERROR, v[F_WARN + i]->loc,
				 "'%s' is not a duration: write a number and a unit m, h or d, like 12h", s);
			s = NULL;
		}
		*dst[i] = s;
	}
	if (!v[F_WARN] && !v[F_ERROR])
		diag_add(r->d, SEV_ERROR, n->loc, "freshness needs warn_after or error_after");
}

/* definitions shared by all files: duplicates are errors naming both places */
struct definition {
	struct loc loc;
	const char *kind;
};

bool
rd_define(struct reader *r, struct strmap *names, const char *kind, const char *name, struct loc loc)
{
	struct definition *prev = strmap_get(names, name);
	if (prev) {
		/* kinds that share a namespace: say so, and what the first one was */
		const char *shared = "";
		if (names == &r->refnames)
			shared = " (models, seeds, tables, embeddings and assets share one namespace)";
		else if (names == &r->jobnames)
			shared = " (schedules and sensors share one namespace)";
		bool same = strcmp(prev->kind, kind) == 0;
		struct diag *g = diag_add(r->d, SEV_ERROR, loc, "%s '%s' is defined twice%s", kind, name,
					  same ? "" : shared);
		if (same)
			diag_note(g, prev->loc, "'%s' is first defined here", name);
		else
			diag_note(g, prev->loc, "'%s' is first defined here, as %s %s", name,
				  strchr("aeiou", prev->kind[0]) ? "an" : "a", prev->kind);
		return false;
	}
	struct definition *def = arena_alloc(r->a, sizeof(*def));
	*def = (struct definition){loc, kind};
	strmap_put(names, name, def);
	return true;
}

/* sql: a path ending in .sql on one line, or inline SQL */
static bool
readsql(struct reader *r, const struct ynode *n, struct spec_sql *sql)
{
	*sql = (struct spec_sql){0};
	const char *s = rd_str(r, n, "sql");
	if (!s)
		return false;
	sql->loc = n->loc;
	size_t len = strlen(s);
	bool ispath = len > 4 && strcmp(s + len - 4, ".sql") == 0 && !strpbrk(s, "\n \t");
	if (ispath) {
		if (!spec_path_ok(r->d, r->root, s, n->loc, false))
			return false;
		sql->path = s;
		return true;
	}
	if (strspn(s, " \t\r\n") == len) {
		diag_add(r->d, SEV_ERROR, n->loc, "sql is empty");
		return false;
	}
	sql->inline_sql = s;
	return true;
}

/* sources */

enum { S_DESCRIPTION, S_SCHEMA, S_DATABASE, S_FRESHNESS, S_TAGS, S_TABLES };
static const char *const sourcekeys[] = {"description", "schema", "database", "freshness", "tags", "tables"};
enum { ST_DESCRIPTION, ST_IDENTIFIER, ST_FRESHNESS, ST_TAGS, ST_COLUMNS, ST_TESTS };
static const char *const tablekeys[] = {"description", "identifier", "freshness", "tags", "columns", "tests"};

static void
readsource(struct reader *r, const struct ynode *key, const struct ynode *n)
{
	const char *name = rd_ident(r, key, "source name");
	const struct ynode *v[LEN(sourcekeys)];
	if (!name || !rd_fields(r, n, "a source", sourcekeys, LEN(sourcekeys), v, NULL))
		return;
	if (!rd_define(r, &r->sourcenames, "source", name, key->loc))
		return;
	struct spec *s = r->s;
	VEC_PUSH(s->sources, s->nsources, r->capsources);
	struct spec_source *src = &s->sources[s->nsources++];
	*src = (struct spec_source){.name = name, .loc = key->loc, .hash = rd_hash(n)};
	src->description = rd_str(r, v[S_DESCRIPTION], "description");
	src->schema = v[S_SCHEMA] ? rd_ident(r, v[S_SCHEMA], "schema") : name;
	src->database = rd_str(r, v[S_DATABASE], "database");
	readfreshness(r, v[S_FRESHNESS], &src->freshness);
	if (src->freshness.disabled) {
		diag_add(r->d, SEV_ERROR, v[S_FRESHNESS]->loc, "a source's freshness cannot be null");
		src->freshness.set = false;
	}
	src->tags = rd_identlist(r, v[S_TAGS], "tag", &src->ntags);
	const struct ynode *t = v[S_TABLES];
	if (!t || t->kind != Y_MAP || t->n == 0) {
		diag_add(r->d, SEV_ERROR, t ? t->loc : key->loc,
			 "source '%s' needs tables: a mapping of table names", name);
		return;
	}
	src->tables = arena_array(r->a, t->n / 2, sizeof(*src->tables));
	struct strmap seen = {0};
	for (size_t i = 0; i < t->n; i += 2) {
		const struct ynode *tk = t->items[i], *tv = t->items[i + 1];
		const struct ynode *f[LEN(tablekeys)];
		const char *tname = rd_ident(r, tk, "table name");
		if (!tname)
			continue;
		if (ynull(tv)) {
			for (size_t j = 0; j < LEN(f); j++)
				f[j] = NULL;
		} else if (!rd_fields(r, tv, "a source table", tablekeys, LEN(tablekeys), f, NULL)) {
			continue;
		}
		struct spec_table *tb = &src->tables[src->ntables++];
		*tb = (struct spec_table){.name = tname, .loc = tk->loc};
		strmap_put(&seen, tname, tb);
		tb->description = rd_str(r, f[ST_DESCRIPTION], "description");
		tb->identifier = rd_str(r, f[ST_IDENTIFIER], "identifier");
		readfreshness(r, f[ST_FRESHNESS], &tb->freshness);
		tb->tags = rd_identlist(r, f[ST_TAGS], "tag", &tb->ntags);
		tb->columns = readcolumns(r, f[ST_COLUMNS], &tb->ncolumns);
		tb->tests = readtests(r, f[ST_TESTS], true, &tb->ntests);
	}
	strmap_free(&seen);
}

/* models */

enum {
	M_SQL, M_DESCRIPTION, M_MATERIALIZED, M_LAYER, M_TAGS, M_UNIQUE_KEY, M_STRATEGY,
	M_ON_SCHEMA_CHANGE, M_SCHEMA, M_ALIAS, M_ENABLED, M_OWNER, M_COLUMNS, M_TESTS
};
static const char *const modelkeys[] = {
	"sql", "description", "materialized", "layer", "tags", "unique_key",
	"incremental_strategy", "on_schema_change", "schema", "alias", "enabled", "owner",
	"columns", "tests",
};
static const char *const materializations[] = {"view", "table", "incremental", "ephemeral"};
static const char *const strategies[] = {"append", "merge", "delete+insert", "insert_overwrite", "microbatch"};
static const char *const schemachanges[] = {"ignore", "append_new_columns", "sync_all_columns", "fail"};

/* the default layer from dbt's naming conventions */
const char *
spec_default_layer(const char *name)
{
	static const struct {
		const char *prefix, *layer;
	} rules[] = {
		{"stg_", "staging"}, {"int_", "intermediate"}, {"fct_", "marts"},
		{"dim_", "marts"},   {"mart_", "marts"},       {"rpt_", "reports"},
	};
	for (size_t i = 0; i < LEN(rules); i++)
		if (strncmp(name, rules[i].prefix, strlen(rules[i].prefix)) == 0)
			return rules[i].layer;
	return "marts";
}

static void
readmodel(struct reader *r, const struct ynode *key, const struct ynode *n)
{
	const char *name = rd_ident(r, key, "model name");
	const struct ynode *v[LEN(modelkeys)];
	if (!name || !rd_fields(r, n, "a model", modelkeys, LEN(modelkeys), v, NULL))
		return;
	if (!rd_define(r, &r->refnames, "model", name, key->loc))
		return;
	struct spec *s = r->s;
	VEC_PUSH(s->models, s->nmodels, r->capmodels);
	struct spec_model *m = &s->models[s->nmodels++];
	*m = (struct spec_model){.name = name, .loc = key->loc, .enabled = -1, .hash = rd_hash(n)};
	if (!v[M_SQL])
		diag_add(r->d, SEV_ERROR, key->loc, "model '%s' needs sql: a .sql file or inline SQL", name);
	else
		readsql(r, v[M_SQL], &m->sql);
	m->description = rd_str(r, v[M_DESCRIPTION], "description");
	m->materialized = v[M_MATERIALIZED]
				  ? rd_oneof(r, v[M_MATERIALIZED], "materialized", materializations,
					     LEN(materializations))
				  : NULL;
	m->materialized_set = m->materialized != NULL;
	if (!m->materialized)
		m->materialized = "view";
	if (v[M_LAYER]) {
		m->layer = rd_ident(r, v[M_LAYER], "layer");
		m->layer_loc = v[M_LAYER]->loc;
	}
	if (!m->layer) {
		m->layer = spec_default_layer(name);
		m->layer_loc = key->loc;
	}
	m->tags = rd_identlist(r, v[M_TAGS], "tag", &m->ntags);
	if (v[M_UNIQUE_KEY]) {
		const struct ynode *u = v[M_UNIQUE_KEY];
		if (u->kind == Y_SEQ) {
			m->unique_key_list = true;
			m->unique_key = arena_array(r->a, u->n, sizeof(char *));
			for (size_t i = 0; i < u->n; i++) {
				const char *c = rd_str(r, u->items[i], "unique_key");
				if (c)
					m->unique_key[m->nunique_key++] = c;
			}
		} else {
			m->unique_key = arena_alloc(r->a, sizeof(char *));
			m->unique_key[0] = rd_str(r, u, "unique_key");
			m->nunique_key = m->unique_key[0] != NULL;
		}
	}
	if (v[M_STRATEGY])
		m->incremental_strategy = rd_oneof(r, v[M_STRATEGY], "incremental_strategy", strategies,
						   LEN(strategies));
	if (v[M_ON_SCHEMA_CHANGE])
		m->on_schema_change = rd_oneof(r, v[M_ON_SCHEMA_CHANGE], "on_schema_change",
					       schemachanges, LEN(schemachanges));
	if (strcmp(m->materialized, "incremental") != 0) {
		for (int k = M_UNIQUE_KEY; k <= M_ON_SCHEMA_CHANGE; k++)
			if (v[k])
				diag_add(r->d, SEV_ERROR, v[k]->loc,
					 "%s applies only to incremental models; '%s' is %s",
					 modelkeys[k], name, m->materialized);
	}
	m->schema = v[M_SCHEMA] ? rd_ident(r, v[M_SCHEMA], "schema") : NULL;
	m->alias = v[M_ALIAS] ? rd_ident(r, v[M_ALIAS], "alias") : NULL;
	if (v[M_ENABLED]) {
		bool b;
		if (ybool(v[M_ENABLED], &b))
			m->enabled = b;
		else
			diag_add(r->d, SEV_ERROR, v[M_ENABLED]->loc, "enabled must be true or false");
	}
	m->owner = rd_str(r, v[M_OWNER], "owner");
	m->columns = readcolumns(r, v[M_COLUMNS], &m->ncolumns);
	m->tests = readtests(r, v[M_TESTS], true, &m->ntests);
}

/* seeds */

enum { SD_CSV, SD_DESCRIPTION, SD_DELIMITER, SD_TAGS, SD_COLUMNS };
static const char *const seedkeys[] = {"csv", "description", "delimiter", "tags", "columns"};

static void
readseed(struct reader *r, const struct ynode *key, const struct ynode *n)
{
	const char *name = rd_ident(r, key, "seed name");
	const struct ynode *v[LEN(seedkeys)];
	if (!name || !rd_fields(r, n, "a seed", seedkeys, LEN(seedkeys), v, NULL))
		return;
	if (!rd_define(r, &r->refnames, "seed", name, key->loc))
		return;
	struct spec *s = r->s;
	VEC_PUSH(s->seeds, s->nseeds, r->capseeds);
	struct spec_seed *sd = &s->seeds[s->nseeds++];
	*sd = (struct spec_seed){.name = name, .loc = key->loc, .hash = rd_hash(n)};
	if (!v[SD_CSV]) {
		diag_add(r->d, SEV_ERROR, key->loc, "seed '%s' needs csv: the path of its CSV file", name);
	} else {
		sd->csv = rd_path(r, v[SD_CSV], "csv", ".csv", false);
		sd->csv_loc = v[SD_CSV]->loc;
	}
	sd->description = rd_str(r, v[SD_DESCRIPTION], "description");
	sd->delimiter = rd_str(r, v[SD_DELIMITER], "delimiter");
	if (sd->delimiter && strlen(sd->delimiter) != 1) {
		diag_add(r->d, SEV_ERROR, v[SD_DELIMITER]->loc, "delimiter must be one character");
		sd->delimiter = NULL;
	}
	sd->tags = rd_identlist(r, v[SD_TAGS], "tag", &sd->ntags);
	sd->columns = readcolumns(r, v[SD_COLUMNS], &sd->ncolumns);
}

/* singular tests */

enum { SG_SQL, SG_DESCRIPTION, SG_SEVERITY };
static const char *const singularkeys[] = {"sql", "description", "severity"};

static void
readsingular(struct reader *r, const struct ynode *key, const struct ynode *n)
{
	const char *name = rd_ident(r, key, "test name");
	const struct ynode *v[LEN(singularkeys)];
	if (!name || !rd_fields(r, n, "a test", singularkeys, LEN(singularkeys), v, NULL))
		return;
	if (!rd_define(r, &r->testnames, "test", name, key->loc))
		return;
	struct spec *s = r->s;
	VEC_PUSH(s->tests, s->ntests, r->captests);
	struct spec_singular *t = &s->tests[s->ntests++];
	*t = (struct spec_singular){.name = name, .loc = key->loc, .hash = rd_hash(n)};
	if (!v[SG_SQL])
		diag_add(r->d, SEV_ERROR, key->loc, "test '%s' needs sql: a .sql file or inline SQL", name);
	else
		readsql(r, v[SG_SQL], &t->sql);
	t->description = rd_str(r, v[SG_DESCRIPTION], "description");
	if (v[SG_SEVERITY])
		t->severity = rd_oneof(r, v[SG_SEVERITY], "severity", severities, LEN(severities));
}

/* read the entries of a collection (sources, models, ...) with one reader */
void
rd_map(struct reader *r, const struct ynode *n, const char *what,
       void (*one)(struct reader *, const struct ynode *, const struct ynode *))
{
	if (!n || ynull(n))
		return;
	if (n->kind != Y_MAP) {
		diag_add(r->d, SEV_ERROR, n->loc, "%s must be a mapping of names, not %s", what,
			 ykindname(n));
		return;
	}
	for (size_t i = 0; i < n->n; i += 2)
		one(r, n->items[i], n->items[i + 1]);
}

/* warehouse */

enum { W_TYPE, W_SCHEMA, W_THREADS, W_PATH, W_DATABASE, W_HOST_ENV, W_PORT_ENV, W_USER_ENV, W_PASSWORD_ENV };
static const char *const warehousekeys[] = {
	"type", "schema", "threads", "path", "database", "host_env", "port_env", "user_env", "password_env",
};
static const char *const warehousetypes[] = {"postgres", "sqlite", "duckdb"};

static void
readwarehouse(struct reader *r, const struct ynode *n)
{
	struct spec_warehouse *w = &r->s->warehouse;
	*w = (struct spec_warehouse){.type = "sqlite"};
	const struct ynode *v[LEN(warehousekeys)] = {0};
	if (n && !rd_fields(r, n, "warehouse", warehousekeys, LEN(warehousekeys), v, NULL))
		return;
	if (n && !v[W_TYPE])
		diag_add(r->d, SEV_ERROR, n->loc, "warehouse needs a type: postgres, sqlite or duckdb");
	if (v[W_TYPE]) {
		const char *t = rd_oneof(r, v[W_TYPE], "warehouse type", warehousetypes, LEN(warehousetypes));
		if (t)
			w->type = t; /* else go on as sqlite, to report the other keys' problems too */
	}
	bool pg = strcmp(w->type, "postgres") == 0;
	/* keys that belong to the other kind of warehouse are mistakes, not no-ops */
	static const int pgonly[] = {W_DATABASE, W_HOST_ENV, W_PORT_ENV, W_USER_ENV, W_PASSWORD_ENV};
	for (size_t i = 0; i < LEN(pgonly); i++)
		if (!pg && v[pgonly[i]])
			diag_add(r->d, SEV_ERROR, v[pgonly[i]]->loc, "%s applies only to a postgres warehouse, not %s",
				 warehousekeys[pgonly[i]], w->type);
	if (pg && v[W_PATH])
		diag_add(r->d, SEV_ERROR, v[W_PATH]->loc,
			 "path applies only to sqlite and duckdb warehouses; postgres connects through host_env, port_env, user_env and password_env");
	w->schema = v[W_SCHEMA] ? rd_ident(r, v[W_SCHEMA], "schema") : NULL;
	if (!w->schema)
		w->schema = pg ? "analytics" : "main";
	w->threads = pg ? 4 : strcmp(w->type, "sqlite") == 0 ? 1 : 4;
	if (v[W_THREADS]) {
		long long t;
		if (!yint(v[W_THREADS], &t) || t < 1 || t > 64)
			diag_add(r->d, SEV_ERROR, v[W_THREADS]->loc, "threads must be a number from 1 to 64");
		else
			w->threads = t;
	}
	if (!pg) {
		w->path = v[W_PATH] ? rd_path(r, v[W_PATH], "path", NULL, false) : NULL;
		if (!w->path)
			w->path = strcmp(w->type, "sqlite") == 0 ? "warehouse.db" : "warehouse.duckdb";
		return;
	}
	w->database = v[W_DATABASE] ? rd_str(r, v[W_DATABASE], "database") : "postgres";
	const char **env[] = {&w->host_env, &w->port_env, &w->user_env, &w->password_env};
	static const char *const defaults[] = {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"};
	for (int i = 0; i < 4; i++) {
		*env[i] = v[W_HOST_ENV + i] ? rd_envname(r, v[W_HOST_ENV + i], warehousekeys[W_HOST_ENV + i]) : NULL;
		if (!*env[i])
			*env[i] = defaults[i];
	}
}

enum { L_DBT, L_ASSETS };
static const char *const layoutkeys[] = {"dbt", "assets"};

static void
readlayout(struct reader *r, const struct ynode *n)
{
	const struct ynode *v[LEN(layoutkeys)] = {0};
	struct spec *s = r->s;
	s->layout_dbt = "data/dbt";
	s->layout_assets = "data/assets";
	if (!n || !rd_fields(r, n, "layout", layoutkeys, LEN(layoutkeys), v, NULL))
		return;
	const char *p;
	if (v[L_DBT] && (p = rd_path(r, v[L_DBT], "layout dbt", NULL, false)))
		s->layout_dbt = p;
	if (v[L_ASSETS] && (p = rd_path(r, v[L_ASSETS], "layout assets", NULL, false)))
		s->layout_assets = p;
	size_t a = strlen(s->layout_dbt), b = strlen(s->layout_assets);
	size_t m = a < b ? a : b;
	if (strncmp(s->layout_dbt, s->layout_assets, m) == 0 &&
	    (s->layout_dbt[m] == '\0' || s->layout_dbt[m] == '/') &&
	    (s->layout_assets[m] == '\0' || s->layout_assets[m] == '/'))
		diag_add(r->d, SEV_ERROR, (v[L_ASSETS] ? v[L_ASSETS] : n)->loc,
			 "layout roots '%s' and '%s' overlap", s->layout_dbt, s->layout_assets);
}

/* is path inside folder dir (or dir itself)? */
static bool
within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* agents: true (the default), false, or {file: PATH.md}: where the root
 * AGENTS.md goes. Read after layout: it may not lie in a generated folder,
 * whose AGENTS.md dpc writes anyway */
static void
readagents(struct reader *r, const struct ynode *n)
{
	static const char *const keys[] = {"file"};
	struct spec *s = r->s;
	s->agents_file = "AGENTS.md";
	bool on;
	if (!n)
		return;
	if (n->kind == Y_SCALAR && n->plain && ybool(n, &on)) {
		if (!on)
			s->agents_file = NULL;
		return;
	}
	if (n->kind != Y_MAP) {
		diag_add(r->d, SEV_ERROR, n->loc, "agents must be true, false or {file: PATH.md}, not %s",
			 ykindname(n));
		return;
	}
	const struct ynode *v[LEN(keys)];
	if (!rd_fields(r, n, "agents", keys, LEN(keys), v, NULL) || !v[0])
		return;
	const char *p = rd_path(r, v[0], "agents file", ".md", false);
	if (!p)
		return;
	/* the Dagster project sits beside the dbt one (emit_dagster.c) */
	const char *slash = strrchr(s->layout_dbt, '/');
	char *dg = xasprintf("%.*s%sdagster", slash ? (int)(slash - s->layout_dbt) : 0, s->layout_dbt,
			     slash ? "/" : "");
	if (within(p, s->layout_dbt) || within(p, s->layout_assets) || within(p, dg))
		diag_add(r->d, SEV_ERROR, v[0]->loc,
			 "agents file '%s' is inside a folder dpc generates; put it outside %s, %s and %s", p,
			 s->layout_dbt, s->layout_assets, dg);
	else
		s->agents_file = p;
	free(dg);
}

enum { P_PACKAGE, P_VERSION, P_GIT, P_REVISION, P_NAME };
static const char *const packagekeys[] = {"package", "version", "git", "revision", "name"};

static void
readpackages(struct reader *r, const struct ynode *n)
{
	if (!n)
		return;
	if (n->kind != Y_SEQ) {
		diag_add(r->d, SEV_ERROR, n->loc, "packages must be a list, not %s", ykindname(n));
		return;
	}
	struct spec *s = r->s;
	s->packages = arena_array(r->a, n->n, sizeof(*s->packages));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *v[LEN(packagekeys)];
		if (!rd_fields(r, n->items[i], "a package", packagekeys, LEN(packagekeys), v, NULL))
			continue;
		struct spec_package *p = &s->packages[s->npackages];
		*p = (struct spec_package){.loc = n->items[i]->loc};
		p->package = rd_str(r, v[P_PACKAGE], "package");
		p->version = rd_str(r, v[P_VERSION], "version");
		p->git = rd_str(r, v[P_GIT], "git");
		p->revision = rd_str(r, v[P_REVISION], "revision");
		p->name = v[P_NAME] ? rd_ident(r, v[P_NAME], "package name") : NULL;
		if (!v[P_PACKAGE] == !v[P_GIT]) {
			diag_add(r->d, SEV_ERROR, p->loc, "a package needs exactly one of package: or git:");
			continue;
		}
		/* package: or git: is not a string (str said so): no name to derive, so
		 * leave it out; every package kept has a name refs can be compared to */
		if (!p->package && !p->git)
			continue;
		if (p->package && !v[P_VERSION])
			diag_add(r->d, SEV_ERROR, p->loc, "package '%s' needs a version", p->package);
		if (p->package && v[P_REVISION])
			diag_add(r->d, SEV_ERROR, v[P_REVISION]->loc, "revision applies to git packages; use version");
		if (p->git && v[P_VERSION])
			diag_add(r->d, SEV_ERROR, v[P_VERSION]->loc, "version applies to hub packages; use revision");
		if (p->git && !p->name) {
			diag_add(r->d, SEV_ERROR, p->loc, "a git package needs name: the name refs use");
			continue;
		}
		if (!p->name && p->package) {
			const char *slash = strrchr(p->package, '/');
			p->name = slash ? slash + 1 : p->package;
			if (!is_ident(p->name)) {
				diag_add(r->d, SEV_ERROR, v[P_PACKAGE]->loc,
					 "cannot derive a name from package '%s'; add name:", p->package);
				continue;
			}
		}
		s->npackages++;
	}
}

/* a deep copy of a YAML subtree into the spec's arena (vars outlive the trees) */
static struct ynode *
ycopy(struct arena *a, const struct ynode *n)
{
	struct ynode *c = arena_alloc(a, sizeof(*c));
	*c = *n;
	if (n->str)
		c->str = arena_strndup(a, n->str, n->slen);
	if (n->n) {
		c->items = arena_array(a, n->n, sizeof(*c->items));
		for (size_t i = 0; i < n->n; i++)
			c->items[i] = ycopy(a, n->items[i]);
	}
	return c;
}

static void
readvars(struct reader *r, const struct ynode *n)
{
	if (!n || ynull(n))
		return;
	if (n->kind != Y_MAP) {
		diag_add(r->d, SEV_ERROR, n->loc, "vars must be a mapping, not %s", ykindname(n));
		return;
	}
	struct spec *s = r->s;
	s->vars = arena_array(r->a, n->n / 2, sizeof(*s->vars));
	for (size_t i = 0; i < n->n; i += 2) {
		const char *name = rd_ident(r, n->items[i], "var name");
		if (name)
			s->vars[s->nvars++] = (struct spec_var){name, n->items[i]->loc, ycopy(r->a, n->items[i + 1])};
	}
}

/* files */

/* the body (R_SOURCES to R_SENSORS) is what fragments may hold too */
enum {
	R_VERSION, R_PROJECT, R_INCLUDE, R_WAREHOUSE, R_LAYOUT, R_VARS, R_PACKAGES, R_SOURCES,
	R_MODELS, R_SEEDS, R_TESTS, R_TABLES, R_EMBEDDINGS, R_ASSETS, R_SCHEDULES, R_SENSORS,
	R_SUPABASE, R_CI, R_AIRFLOW, R_AGENTS, R_AI
};
static const char *const rootkeys[] = {
	"version", "project", "include", "warehouse", "layout", "vars", "packages",
	"sources", "models", "seeds", "tests", "tables", "embeddings", "assets", "schedules",
	"sensors", "supabase", "ci", "airflow", "agents", "ai",
};

/* read and parse one spec file; its tree lives in tree (a scratch arena) */
static const struct ynode *
loadfile(struct reader *r, struct arena *tree, const char *path, struct loc from)
{
	char *full = xasprintf("%s/%s", r->root, path);
	char *text = NULL;
	size_t len = 0;
	int e;
	const struct overlay *o = r->ov ? overlay_find(r->ov, path) : NULL;
	if (o) { /* an edit not written yet */
		text = xstrndup(o->text, o->len);
		len = o->len;
		e = len > SPEC_MAX_BYTES ? EFBIG : 0;
	} else {
		e = read_file(full, SPEC_MAX_BYTES, &text, &len);
	}
	free(full);
	if (e) {
		if (e == EFBIG)
			diag_add(r->d, SEV_ERROR, from, "spec file '%s' is larger than %u MiB; split it with include:",
				 path, SPEC_MAX_BYTES >> 20);
		else
			diag_add(r->d, SEV_ERROR, from, "cannot read spec file '%s': %s", path, strerror(e));
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		int32_t f = diag_file(r->d, path, NULL, 0);
		diag_add(r->d, SEV_ERROR, (struct loc){f, 0, 0}, "'%s' is a binary file, not YAML", path);
		free(text);
		return NULL;
	}
	int32_t f = diag_file(r->d, path, text, len);
	struct spec *s = r->s;
	const char **files = arena_array(r->a, s->nfiles + 1, sizeof(*files));
	if (s->nfiles)
		memcpy(files, s->files, s->nfiles * sizeof(*files));
	files[s->nfiles++] = arena_strdup(r->a, path);
	s->files = files;
	/* the tree keeps pointers into the arena, not into text */
	return yaml_load(tree, r->d, f, r->d->files[f].text, len);
}

static void
readbody(struct reader *r, const struct ynode *const *v)
{
	rd_map(r, v[R_SOURCES], "sources", readsource);
	rd_map(r, v[R_MODELS], "models", readmodel);
	rd_map(r, v[R_SEEDS], "seeds", readseed);
	rd_map(r, v[R_TESTS], "tests", readsingular);
	rd_map(r, v[R_TABLES], "tables", spec_read_table);
	rd_map(r, v[R_EMBEDDINGS], "embeddings", spec_read_embedding);
	rd_map(r, v[R_ASSETS], "assets", spec_read_asset);
	rd_map(r, v[R_SCHEDULES], "schedules", spec_read_schedule);
	rd_map(r, v[R_SENSORS], "sensors", spec_read_sensor);
}

static bool
hasglob(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

/* Fragments are parsed on two threads. The YAML parse is most of reading a
 * spec, and one fragment's parse needs nothing from another's, so a second
 * thread and the main one both parse fragments, in the order of the glob
 * and at most AHEAD_WINDOW ahead of the one being read, each into its own
 * arena with diagnostics of its own; the main thread then reads the
 * fragments in order, adopting each tree: the file is registered with the
 * compilation's diagnostics (in the same order as before) and the tree's
 * locations are pointed at it. A fragment whose parse said anything at all
 * (a bad path, invalid YAML, a duplicate key) is parsed again on the main
 * thread the usual way, so diagnostics come out exactly as they did. */
#define AHEAD_WINDOW 8

struct ahead {
	const char *root;
	char **full;             /* the glob's paths: root/rel */
	size_t rootlen, n;
	struct aslot {
		struct arena tree;
		struct ynode *doc;   /* NULL: parse it again on the main thread */
		char *text;          /* owned until adopted */
		size_t len;
		int state;           /* FREE, then PARSING, then DONE */
	} *v;
	size_t taken;            /* fragments before it are read or skipped */
	bool stop;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

enum { AS_FREE, AS_PARSING, AS_DONE };

/* parse fragment j with diagnostics of its own; a clean tree or NULL */
static void
ahead_parse(struct ahead *ah, size_t j)
{
	struct aslot *sl = &ah->v[j];
	const char *rel = ah->full[j] + ah->rootlen;
	struct diags pd = {.root = ah->root};
	char *text = NULL;
	size_t len = 0;
	if (spec_path_ok(&pd, ah->root, rel, NOLOC, true) &&
	    read_file(ah->full[j], SPEC_MAX_BYTES, &text, &len) == 0 && !memchr(text, '\0', len)) {
		int32_t f = diag_file(&pd, rel, NULL, 0);
		sl->doc = yaml_load(&sl->tree, &pd, f, text, len);
		if (pd.n) /* anything said: the main thread says it again */
			sl->doc = NULL;
	}
	if (sl->doc) {
		sl->text = text;
		sl->len = len;
	} else {
		free(text);
		arena_free(&sl->tree);
	}
	diag_free(&pd);
}

/* claim the first free fragment in the window from j on; SIZE_MAX if none */
static size_t
ahead_claim(struct ahead *ah, size_t j)
{
	for (size_t k = j; k < ah->n && k < ah->taken + AHEAD_WINDOW; k++)
		if (ah->v[k].state == AS_FREE) {
			ah->v[k].state = AS_PARSING;
			return k;
		}
	return SIZE_MAX;
}

static void *
ahead_loop(void *arg)
{
	struct ahead *ah = arg;
	pthread_mutex_lock(&ah->lock);
	while (!ah->stop) {
		size_t k = ahead_claim(ah, ah->taken);
		if (k == SIZE_MAX) {
			if (ah->taken >= ah->n)
				break;
			pthread_cond_wait(&ah->cond, &ah->lock);
			continue;
		}
		pthread_mutex_unlock(&ah->lock);
		ahead_parse(ah, k);
		pthread_mutex_lock(&ah->lock);
		ah->v[k].state = AS_DONE;
		pthread_cond_broadcast(&ah->cond);
	}
	pthread_mutex_unlock(&ah->lock);
	return NULL;
}

/* start parsing the n paths of a glob ahead; NULL when not worth it */
static struct ahead *
ahead_start(const char *root, char **full, size_t n)
{
	if (n < 4)
		return NULL;
	struct ahead *ah = xcalloc(1, sizeof(*ah));
	*ah = (struct ahead){.root = root, .full = full, .rootlen = strlen(root) + 1, .n = n};
	ah->v = xcalloc(n, sizeof(*ah->v));
	pthread_mutex_init(&ah->lock, NULL);
	pthread_cond_init(&ah->cond, NULL);
	if (pthread_create(&ah->th, NULL, ahead_loop, ah) != 0) {
		pthread_mutex_destroy(&ah->lock);
		pthread_cond_destroy(&ah->cond);
		free(ah->v);
		free(ah);
		return NULL; /* no thread: one at a time, as always */
	}
	return ah;
}

/* point every location of the tree at file f (shared nodes once) */
static void
ahead_relocate(struct ynode *n, int32_t f)
{
	if (n->loc.file == f)
		return;
	n->loc.file = f;
	for (size_t i = 0; i < n->n; i++)
		ahead_relocate(n->items[i], f);
}

/* Fragment j, parsed, into tree: the adopted tree, or NULL when the main
 * thread must load it the usual way (skip: it is not read at all) */
static const struct ynode *
ahead_take(struct ahead *ah, struct reader *r, size_t j, const char *rel, struct arena *tree, bool skip)
{
	if (!ah)
		return NULL;
	pthread_mutex_lock(&ah->lock);
	/* help: parse fragments of the window while j is not parsed yet */
	while (!skip && ah->v[j].state != AS_DONE) {
		size_t k = ah->v[j].state == AS_FREE ? j : ahead_claim(ah, j + 1);
		if (k == SIZE_MAX) {
			pthread_cond_wait(&ah->cond, &ah->lock);
			continue;
		}
		ah->v[k].state = AS_PARSING;
		pthread_mutex_unlock(&ah->lock);
		ahead_parse(ah, k);
		pthread_mutex_lock(&ah->lock);
		ah->v[k].state = AS_DONE;
		pthread_cond_broadcast(&ah->cond);
	}
	while (skip && ah->v[j].state == AS_PARSING)
		pthread_cond_wait(&ah->cond, &ah->lock);
	ah->taken = j + 1;
	pthread_cond_broadcast(&ah->cond);
	pthread_mutex_unlock(&ah->lock);
	struct aslot *sl = &ah->v[j];
	if (skip || !sl->doc) {
		free(sl->text);
		arena_free(&sl->tree);
		sl->text = NULL;
		return NULL;
	}
	/* as loadfile does: the file, registered in order, then its tree */
	int32_t f = diag_file(r->d, rel, sl->text, sl->len);
	sl->text = NULL;
	struct spec *s = r->s;
	const char **files = arena_array(r->a, s->nfiles + 1, sizeof(*files));
	if (s->nfiles)
		memcpy(files, s->files, s->nfiles * sizeof(*files));
	files[s->nfiles++] = arena_strdup(r->a, rel);
	s->files = files;
	ahead_relocate(sl->doc, f);
	*tree = sl->tree;
	sl->tree = (struct arena){0};
	return sl->doc;
}

static void
ahead_stop(struct ahead *ah)
{
	if (!ah)
		return;
	pthread_mutex_lock(&ah->lock);
	ah->stop = true;
	pthread_cond_broadcast(&ah->cond);
	pthread_mutex_unlock(&ah->lock);
	pthread_join(ah->th, NULL);
	for (size_t i = 0; i < ah->n; i++) {
		free(ah->v[i].text);
		arena_free(&ah->v[i].tree);
	}
	pthread_mutex_destroy(&ah->lock);
	pthread_cond_destroy(&ah->cond);
	free(ah->v);
	free(ah);
}

static void
readinclude(struct reader *r, const struct ynode *n, const char *rootpath)
{
	if (!n)
		return;
	const struct ynode *one[1] = {n};
	const struct ynode *const *items = one;
	size_t count = 1;
	if (n->kind == Y_SEQ) {
		items = (const struct ynode *const *)n->items;
		count = n->n;
	}
	struct strmap seen = {0};
	strmap_put(&seen, rootpath, (void *)rootpath);
	for (size_t i = 0; i < count; i++) {
		const char *pat = rd_str(r, items[i], "include pattern");
		if (!pat || !spec_path_ok(r->d, r->root, pat, items[i]->loc, false))
			continue;
		/* remember the folder a glob scans, so a new fragment there is noticed */
		const char *slash = strrchr(pat, '/');
		size_t dirlen = slash ? (size_t)(slash - pat) : 0;
		if (hasglob(pat, dirlen)) {
			diag_add(r->d, SEV_ERROR, items[i]->loc,
				 "include pattern '%s' may use wildcards in its file name only", pat);
			continue;
		}
		struct spec *s = r->s;
		const char **dirs = arena_array(r->a, s->nglobdirs + 1, sizeof(*dirs));
		if (s->nglobdirs)
			memcpy(dirs, s->globdirs, s->nglobdirs * sizeof(*dirs));
		dirs[s->nglobdirs++] = dirlen ? arena_strndup(r->a, pat, dirlen) : ".";
		s->globdirs = dirs;

		char *full = xasprintf("%s/%s", r->root, pat);
		glob_t g;
		int rc = glob(full, 0, NULL, &g);
		size_t rootlen = strlen(r->root) + 1;
		free(full);
		if (rc == GLOB_NOMATCH) {
			if (!hasglob(pat, strlen(pat)))
				diag_add(r->d, SEV_ERROR, items[i]->loc, "included file '%s' does not exist", pat);
			continue;
		}
		if (rc != 0) {
			diag_add(r->d, SEV_ERROR, items[i]->loc, "cannot expand include pattern '%s'", pat);
			continue;
		}
		/* a partial read (only) reads few fragments: no parsing ahead;
		 * nor with files in memory, which loadfile reads */
		struct ahead *ah = r->only || r->ov ? NULL : ahead_start(r->root, g.gl_pathv, g.gl_pathc);
		for (size_t j = 0; j < g.gl_pathc; j++) {
			const char *rel = arena_strdup(r->a, g.gl_pathv[j] + rootlen);
			if (strmap_get(&seen, rel) || (r->only && !strmap_get(r->only, rel))) {
				ahead_take(ah, r, j, rel, NULL, true);
				continue;
			}
			strmap_put(&seen, rel, (void *)rel);
			/* one fragment's tree at a time (and the few parsed ahead):
			 * peak memory stays that of the largest fragments, not of
			 * the whole spec */
			struct arena tree = {0};
			const struct ynode *doc = ahead_take(ah, r, j, rel, &tree, false);
			if (!doc) {
				if (!spec_path_ok(r->d, r->root, rel, items[i]->loc, true))
					continue;
				doc = loadfile(r, &tree, rel, items[i]->loc);
			}
			const struct ynode *v[LEN(rootkeys)], *k[LEN(rootkeys)];
			if (doc && rd_fields(r, doc, "an included spec fragment", rootkeys, LEN(rootkeys), v, k)) {
				/* a root key in a fragment: say where it belongs */
				for (int key = 0; key < (int)LEN(rootkeys); key++)
					if (v[key] && (key < R_SOURCES || key > R_SENSORS))
						diag_add(r->d, SEV_ERROR, k[key]->loc,
							 "%s belongs in the root spec file; a fragment holds only sources, "
							 "models, seeds, tests, tables, embeddings, assets, schedules and sensors",
							 rootkeys[key]);
				readbody(r, v);
			}
			arena_free(&tree);
		}
		ahead_stop(ah);
		globfree(&g);
	}
	strmap_free(&seen);
}

struct spec *
spec_load(struct arena *a, struct diags *d, const char *root, const char *path)
{
	return spec_load_only(a, d, root, path, NULL);
}

static struct spec *
load(struct arena *a, struct diags *d, const char *root, const char *path, const struct strmap *only,
     const struct overlays *ov)
{
	struct spec *s = arena_alloc(a, sizeof(*s));
	struct reader r = {.a = a, .d = d, .root = root, .s = s, .only = only, .ov = ov};
	s->overlay = ov;
	const struct ynode *doc = loadfile(&r, &r.tmp, path, NOLOC);
	const struct ynode *v[LEN(rootkeys)];
	if (!doc || !rd_fields(&r, doc, "the spec", rootkeys, LEN(rootkeys), v, NULL)) {
		arena_free(&r.tmp);
		return NULL;
	}
	s->warehouse.type = "sqlite";
	if (!v[R_VERSION]) {
		diag_add(d, SEV_ERROR, doc->loc, "the spec needs version: 1");
	} else if (v[R_VERSION]->kind == Y_SCALAR && !v[R_VERSION]->plain) {
		diag_add(d, SEV_ERROR, v[R_VERSION]->loc,
			 "version must be the number 1, not the string '%s'", v[R_VERSION]->str);
	} else if (!yint(v[R_VERSION], &s->version) || s->version != 1) {
		diag_add(d, SEV_ERROR, v[R_VERSION]->loc,
			 "unsupported spec version '%s'; this dpc reads version 1", v[R_VERSION]->str ? v[R_VERSION]->str : "?");
	}
	if (!v[R_PROJECT]) {
		diag_add(d, SEV_ERROR, doc->loc, "the spec needs project: a name");
	} else {
		s->project = rd_ident(&r, v[R_PROJECT], "project");
		s->project_loc = v[R_PROJECT]->loc;
	}
	readwarehouse(&r, v[R_WAREHOUSE]);
	readlayout(&r, v[R_LAYOUT]);
	readagents(&r, v[R_AGENTS]);
	readvars(&r, v[R_VARS]);
	readpackages(&r, v[R_PACKAGES]);
	spec_read_supabase(&r, v[R_SUPABASE]); /* before tables: their default schema */
	spec_read_ci(&r, v[R_CI]);
	spec_read_airflow(&r, v[R_AIRFLOW]);
	spec_read_ai(&r, v[R_AI]);
	readbody(&r, v);
	readinclude(&r, v[R_INCLUDE], path);
	/* the collections grew on the heap; the spec's memory is the arena's */
#define TOARENA(f, n)                                                           \
	do {                                                                    \
		void *p = arena_array(a, s->n, sizeof(*s->f));                  \
		if (s->n)                                                       \
			memcpy(p, s->f, s->n * sizeof(*s->f));                  \
		free(s->f);                                                     \
		s->f = p;                                                       \
	} while (0)
	TOARENA(sources, nsources);
	TOARENA(models, nmodels);
	TOARENA(seeds, nseeds);
	TOARENA(tests, ntests);
	TOARENA(apptables, napptables);
	TOARENA(embeddings, nembeddings);
	TOARENA(assets, nassets);
	TOARENA(schedules, nschedules);
	TOARENA(sensors, nsensors);
#undef TOARENA
	/* a partial read (only) cannot tell a missing name from a skipped one */
	if (!only)
		spec_app_finish(&r);
	strmap_free(&r.refnames);
	strmap_free(&r.sourcenames);
	strmap_free(&r.testnames);
	strmap_free(&r.jobnames);
	strmap_free(&r.indexnames);
	arena_free(&r.tmp);
	return s;
}

struct spec *
spec_load_only(struct arena *a, struct diags *d, const char *root, const char *path,
	       const struct strmap *only)
{
	return load(a, d, root, path, only, NULL);
}

struct spec *
spec_load_overlay(struct arena *a, struct diags *d, const char *root, const char *path,
		  const struct overlays *ov)
{
	return load(a, d, root, path, NULL, ov);
}
