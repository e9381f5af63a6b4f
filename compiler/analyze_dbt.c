/* analyze_dbt.c: dbt projects for `dpc analyze`: dbt_project.yml, the
 * models' SQL (refs and sources found by sqlscan.c), properties YAML files
 * (models, sources, seeds with their columns, descriptions and tests),
 * seeds and singular tests; then the projects' nodes and edges.
 *
 * What dbt_project.yml says that matters here: name, model-paths,
 * seed-paths, test-paths (with dbt's defaults, and the old names
 * source-paths and data-paths), vars, and the materialized setting of
 * folder configs under models: <name>:. Tests are read in every form dbt
 * 1.5 to 1.10 accepts: tests: or data_tests:, arguments at the top or under
 * arguments:, severity and where at the top or under config:. Only the
 * four tests the spec knows (unique, not_null, accepted_values,
 * relationships) are kept; any other is a warning. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "ir.h"
#include "sqlscan.h"

/* ---- YAML helpers ---- */

/* the value of key in a map; NULL if n is not a map or has no such key */
static const struct ynode *
get(const struct ynode *n, const char *key)
{
	if (!n || n->kind != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < n->n; i += 2)
		if (n->items[i]->kind == Y_SCALAR && strcmp(n->items[i]->str, key) == 0)
			return n->items[i + 1];
	return NULL;
}

/* a scalar's text; NULL for anything else and for null */
static const char *
str(const struct ynode *n)
{
	return n && n->kind == Y_SCALAR && !ynull(n) ? n->str : NULL;
}

/* one file's reading context */
struct rd {
	struct an_worker *w;
	const char *path;
	struct an_lines lines;
	struct arena *a;
};

static struct an_at
at(struct rd *r, const struct ynode *n)
{
	return an_place(&r->lines, r->path, n->loc.off);
}

static void warn(struct rd *r, const struct ynode *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
warn(struct rd *r, const struct ynode *n, const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	an_wwarn(r->w, r->path, n->loc.off, n->loc.len, "%s", b.data);
	buf_free(&b);
}

/* a boolean or an integer scalar; false when n is missing or not one */
static bool
boolval(const struct ynode *n, bool *out)
{
	return n && ybool(n, out);
}

static bool
intval(const struct ynode *n, long long *out)
{
	return n && yint(n, out);
}

/* key: or, failing that, config: key: */
static const struct ynode *
cfg(const struct ynode *n, const char *key)
{
	const struct ynode *v = get(get(n, "config"), key);
	return v ? v : get(n, key);
}

static const char **
strlist(struct arena *a, const struct ynode *n, size_t *count)
{
	*count = 0;
	if (!n)
		return NULL;
	if (n->kind == Y_SCALAR) {
		if (!str(n))
			return NULL;
		const char **v = arena_array(a, 1, sizeof(*v));
		v[(*count)++] = n->str;
		return v;
	}
	if (n->kind != Y_SEQ)
		return NULL;
	const char **v = arena_array(a, n->n + 1, sizeof(*v));
	for (size_t i = 0; i < n->n; i++)
		if (str(n->items[i]))
			v[(*count)++] = n->items[i]->str;
	return v;
}

/* ---- dbt_project.yml ---- */

/* "./models/" → "models" */
static const char *
cleanpath(struct arena *a, const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	return arena_strndup(a, p, n);
}

static const char **
paths(struct arena *a, const struct ynode *root, const char *key, const char *old, const char *dflt,
      size_t *count)
{
	const struct ynode *n = get(root, key);
	if (!n && old)
		n = get(root, old);
	const char **v = strlist(a, n, count);
	if (!*count) {
		v = arena_array(a, 1, sizeof(*v));
		v[0] = dflt;
		*count = 1;
	}
	for (size_t i = 0; i < *count; i++)
		v[i] = cleanpath(a, v[i]);
	return v;
}

struct dbt_project *
dbt_project_read(struct analysis *an, const char *path, const char *text, size_t len)
{
	struct diags td = {.root = an->d.root};
	int32_t f = diag_file(&td, path, NULL, 0);
	const struct ynode *root = yaml_load(&an->a, &td, f, text, len);
	an_mergediags(an, &td);
	diag_free(&td);
	struct an_lines lines;
	an_lines_init(&lines, text, len);
	struct dbt_project *p = NULL;
	const char *name = str(get(root, "name"));
	if (!root) {
		/* the YAML errors are the warnings */
	} else if (!name) {
		an_warn(an, an_place(&lines, path, 0), "dbt_project.yml without a name; project not analyzed");
	} else {
		p = arena_alloc(&an->a, sizeof(*p));
		const char *slash = strrchr(path, '/');
		p->dir = slash ? arena_strndup(&an->a, path, (size_t)(slash - path)) : "";
		p->file = path;
		p->name = name;
		p->at = an_place(&lines, path, get(root, "name")->loc.off);
		p->model_paths = paths(&an->a, root, "model-paths", "source-paths", "models", &p->nmodel_paths);
		p->seed_paths = paths(&an->a, root, "seed-paths", "data-paths", "seeds", &p->nseed_paths);
		p->test_paths = paths(&an->a, root, "test-paths", NULL, "tests", &p->ntest_paths);
		p->vars = get(root, "vars");
		p->models_cfg = get(get(root, "models"), name);
	}
	an_lines_free(&lines);
	return p;
}

/* ---- tests ---- */

/* by enum test_kind; row_count is the generic test dpc's dbt back end writes */
static const char *const testnames[] = {"unique", "not_null", "accepted_values", "relationships", "dpc_row_count"};

/* "ref('x')" → "x"; "source('a', 'b')" → "a.b"; NULL if it is neither */
static const char *
reltarget(struct rd *r, const char *to)
{
	char *jinja = xasprintf("{{ %s }}", to);
	struct sql_scan sc = {0};
	sqlscan(jinja, strlen(jinja), &sc);
	const char *out = NULL;
	if (sc.nfinds == 1 && !sc.nproblems) {
		const struct sql_find *f = &sc.finds[0];
		bool lit = true;
		for (size_t i = 0; i < f->nargs; i++)
			lit &= f->args[i].is_string && !f->args[i].name;
		if (lit && f->kind == SQL_REF && f->nargs == 1)
			out = arena_strdup(r->a, f->args[0].value);
		else if (lit && f->kind == SQL_REF && f->nargs == 2)
			out = arena_strdup(r->a, f->args[1].value); /* a package's: the name alone */
		else if (lit && f->kind == SQL_SOURCE && f->nargs == 2)
			out = arena_printf(r->a, "%s.%s", f->args[0].value, f->args[1].value);
	}
	sqlscan_free(&sc);
	free(jinja);
	return out;
}

/* an argument at the top of the test's map or under arguments: */
static const struct ynode *
arg(const struct ynode *v, const char *key)
{
	const struct ynode *a = get(get(v, "arguments"), key);
	return a ? a : get(v, key);
}

/* a dpc_row_count bound into *out (-1 when absent); false (warned) when it is not a count */
static bool
rowbound(struct rd *r, const struct ynode *v, const char *key, long long *out)
{
	const struct ynode *n = arg(v, key);
	*out = -1;
	if (!n)
		return true;
	long long x;
	if (n->kind != Y_SCALAR || !yint(n, &x) || x < 0) {
		warn(r, n, "dpc_row_count's %s is not a whole number of rows; left out", key);
		return false;
	}
	*out = x;
	return true;
}

/* one item of a tests: list into t; false (warned) when it is left out */
static bool
readtest(struct rd *r, const struct ynode *item, bool column_level, struct dbt_test *t)
{
	const struct ynode *name = item, *v = NULL;
	if (item->kind == Y_MAP) {
		if (item->n != 2) {
			warn(r, item, "a test is a map with one key, the test's name; left out");
			return false;
		}
		name = item->items[0];
		v = item->items[1];
	}
	if (name->kind != Y_SCALAR) {
		warn(r, item, "a test is a name or a map with one key; left out");
		return false;
	}
	*t = (struct dbt_test){.quote = -1, .min = -1, .max = -1, .at = at(r, name)};
	size_t k = 0;
	while (k < LEN(testnames) && strcmp(name->str, testnames[k]) != 0)
		k++;
	if (k == LEN(testnames)) {
		warn(r, name, "test '%s' is not one a spec can hold (unique, not_null, accepted_values, relationships, "
		     "dpc_row_count); left out", name->str);
		return false;
	}
	t->kind = (enum test_kind)k;
	if (v && v->kind != Y_MAP && !(t->kind == T_ACCEPTED_VALUES && v->kind == Y_SEQ) && !ynull(v)) {
		warn(r, v, "the arguments of test '%s' are not a map; left out", name->str);
		return false;
	}
	if (t->kind == T_ROW_COUNT) {
		if (column_level) {
			warn(r, name, "dpc_row_count on a column; a spec holds it on a model or table; left out");
			return false;
		}
		if (!rowbound(r, v, "min_count", &t->min) || !rowbound(r, v, "max_count", &t->max))
			return false;
		if (t->min < 0 && t->max < 0) {
			warn(r, name, "dpc_row_count without min_count or max_count; left out");
			return false;
		}
		if (t->min >= 0 && t->max >= 0 && t->min > t->max) {
			warn(r, name, "dpc_row_count's min_count is more than its max_count; left out");
			return false;
		}
	} else if (!column_level) {
		t->column = str(arg(v, "column_name"));
		if (!t->column) {
			warn(r, name, "test '%s' on a model or table without column_name; left out", name->str);
			return false;
		}
	}
	if (t->kind == T_ACCEPTED_VALUES) {
		const struct ynode *vals = v && v->kind == Y_SEQ ? v : arg(v, "values");
		bool ok = vals && vals->kind == Y_SEQ && vals->n > 0;
		for (size_t i = 0; ok && i < vals->n; i++)
			ok = vals->items[i]->kind == Y_SCALAR && !ynull(vals->items[i]);
		if (!ok) {
			warn(r, name, "accepted_values without a list of values; left out");
			return false;
		}
		t->values = vals;
		bool q;
		if (boolval(arg(v, "quote"), &q))
			t->quote = q;
	}
	if (t->kind == T_RELATIONSHIPS) {
		const char *to = str(arg(v, "to"));
		t->field = str(arg(v, "field"));
		t->to = to ? reltarget(r, to) : NULL;
		if (!t->to || !t->field) {
			warn(r, name, "relationships needs to: ref('model') or source('source', 'table') and field:; left out");
			return false;
		}
	}
	const char *sev = str(cfg(v, "severity"));
	if (sev) {
		char *low = arena_strdup(r->a, sev);
		for (char *p = low; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if (strcmp(low, "warn") == 0 || strcmp(low, "error") == 0)
			t->severity = low;
		else
			warn(r, cfg(v, "severity"), "severity '%s' is not error or warn; not kept", sev);
	}
	t->where = str(cfg(v, "where"));
	return true;
}

static struct dbt_test *
readtests(struct rd *r, const struct ynode *owner, bool column_level, size_t *count)
{
	*count = 0;
	const struct ynode *a = get(owner, "data_tests"), *b = get(owner, "tests");
	size_t n = (a && a->kind == Y_SEQ ? a->n : 0) + (b && b->kind == Y_SEQ ? b->n : 0);
	struct dbt_test *v = arena_array(r->a, n + 1, sizeof(*v));
	for (int pass = 0; pass < 2; pass++) {
		const struct ynode *l = pass ? b : a;
		if (!l || l->kind != Y_SEQ)
			continue;
		for (size_t i = 0; i < l->n; i++)
			if (readtest(r, l->items[i], column_level, &v[*count]))
				(*count)++;
	}
	return v;
}

static struct dbt_column *
readcolumns(struct rd *r, const struct ynode *owner, const struct ynode *types, size_t *count)
{
	const struct ynode *cols = get(owner, "columns");
	*count = 0;
	size_t n = cols && cols->kind == Y_SEQ ? cols->n : 0;
	size_t nt = types && types->kind == Y_MAP ? types->n / 2 : 0;
	struct dbt_column *v = arena_array(r->a, n + nt + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const struct ynode *c = cols->items[i];
		const char *name = str(get(c, "name"));
		if (!name)
			continue;
		struct dbt_column *col = &v[(*count)++];
		col->name = name;
		col->at = at(r, get(c, "name"));
		col->description = str(get(c, "description"));
		col->type = str(get(c, "data_type"));
		if (!col->type)
			col->type = str(get(types, name));
		col->tests = readtests(r, c, true, &col->ntests);
	}
	/* seeds: the column_types of columns the properties do not list */
	for (size_t i = 0; i < nt; i++) {
		const struct ynode *k = types->items[2 * i], *t = types->items[2 * i + 1];
		bool listed = false;
		for (size_t c = 0; c < *count && !listed; c++)
			listed = strcmp(v[c].name, k->str) == 0;
		if (!listed && str(t))
			v[(*count)++] = (struct dbt_column){.name = k->str, .type = t->str, .at = at(r, k)};
	}
	return v;
}

static void
readprops(struct rd *r, const struct ynode *list, struct dbt_props **out, size_t *count, bool seeds)
{
	*count = 0;
	if (!list || list->kind != Y_SEQ)
		return;
	*out = arena_array(r->a, list->n + 1, sizeof(**out));
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *m = list->items[i];
		const char *name = str(get(m, "name"));
		if (!name)
			continue;
		struct dbt_props *p = &(*out)[(*count)++];
		p->name = name;
		p->at = at(r, get(m, "name"));
		p->description = str(get(m, "description"));
		if (get(m, "versions"))
			warn(r, get(m, "versions"), "model versions are not analyzed");
		if (seeds) {
			const struct ynode *t = get(m, "data_tests") ? get(m, "data_tests") : get(m, "tests");
			if (t)
				warn(r, t, "tests on a seed itself, not on its columns, are left out: a spec has none");
			p->delimiter = str(cfg(m, "delimiter"));
			p->cols = readcolumns(r, m, cfg(m, "column_types"), &p->ncols);
		} else {
			p->materialized = str(cfg(m, "materialized"));
			p->cols = readcolumns(r, m, NULL, &p->ncols);
			p->tests = readtests(r, m, false, &p->ntests);
		}
	}
}

/* a dbt duration {count: 12, period: hour} as the spec's "12h" */
static const char *
duration(struct rd *r, const struct ynode *d)
{
	if (!d || ynull(d))
		return NULL;
	long long count;
	const char *period = str(get(d, "period"));
	static const char *const periods[][2] = {{"minute", "m"}, {"hour", "h"}, {"day", "d"}};
	if (intval(get(d, "count"), &count) && count > 0 && period)
		for (size_t i = 0; i < LEN(periods); i++)
			if (strcmp(period, periods[i][0]) == 0)
				return arena_printf(r->a, "%lld%s", count, periods[i][1]);
	warn(r, d, "a freshness duration the spec cannot hold (a count of minutes, hours or days); left out");
	return NULL;
}

static struct dbt_fresh
freshness(struct rd *r, const struct ynode *owner)
{
	const struct ynode *f = cfg(owner, "freshness");
	struct dbt_fresh out = {0};
	if (!f)
		return out;
	out.set = true;
	if (ynull(f) || f->kind != Y_MAP)
		return out.disabled = true, out;
	out.warn = duration(r, get(f, "warn_after"));
	out.error = duration(r, get(f, "error_after"));
	out.filter = str(get(f, "filter"));
	out.disabled = !out.warn && !out.error;
	return out;
}

static void
readsources(struct rd *r, const struct ynode *list, struct an_propsres *res)
{
	if (!list || list->kind != Y_SEQ)
		return;
	res->sources = arena_array(r->a, list->n + 1, sizeof(*res->sources));
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *s = list->items[i];
		const char *name = str(get(s, "name"));
		if (!name)
			continue;
		struct dbt_source *src = &res->sources[res->nsources++];
		src->name = name;
		src->declared = true;
		src->at = at(r, get(s, "name"));
		src->description = str(get(s, "description"));
		src->schema = str(get(s, "schema"));
		src->database = str(get(s, "database"));
		src->field = str(cfg(s, "loaded_at_field"));
		src->fresh = freshness(r, s);
		src->tags = strlist(r->a, cfg(s, "tags"), &src->ntags);
		const struct ynode *tables = get(s, "tables");
		size_t n = tables && tables->kind == Y_SEQ ? tables->n : 0;
		src->tables = arena_array(r->a, n + 1, sizeof(*src->tables));
		src->captables = n + 1;
		for (size_t k = 0; k < n; k++) {
			const struct ynode *t = tables->items[k];
			const char *tname = str(get(t, "name"));
			if (!tname)
				continue;
			struct dbt_stable *tb = &src->tables[src->ntables++];
			tb->name = tname;
			tb->declared = true;
			tb->at = at(r, get(t, "name"));
			tb->description = str(get(t, "description"));
			tb->identifier = str(get(t, "identifier"));
			tb->field = str(cfg(t, "loaded_at_field"));
			tb->fresh = freshness(r, t);
			tb->tags = strlist(r->a, cfg(t, "tags"), &tb->ntags);
			tb->cols = readcolumns(r, t, NULL, &tb->ncols);
			tb->tests = readtests(r, t, false, &tb->ntests);
		}
	}
}

/* ---- the worker's part ---- */

/* a {% test name(...) %} block: a generic test's definition, not a singular test */
static bool
generic(const char *text, size_t len)
{
	for (const char *p = text, *e = text + len; (p = memchr(p, '{', (size_t)(e - p))); p++) {
		if (p + 1 >= e || p[1] != '%')
			continue;
		const char *q = p + 2;
		while (q < e && (*q == '-' || *q == ' ' || *q == '\t' || *q == '\n'))
			q++;
		if (e - q > 5 && (strncmp(q, "test ", 5) == 0 || strncmp(q, "macro", 5) == 0))
			return true;
	}
	return false;
}

static void
sqljob(struct an_worker *w, struct an_job *j, const char *text, size_t len)
{
	struct an_sqlres *r = arena_alloc(&w->a, sizeof(*r));
	j->res = r;
	r->not_text = !ir_istext(text, len);
	if (j->kind == J_STEST && generic(text, len)) {
		r->generic = true;
		return;
	}
	struct an_lines lines;
	an_lines_init(&lines, text, len);
	struct sql_scan sc = {0};
	sqlscan(text, len, &sc);
	for (size_t i = 0; i < sc.nproblems; i++)
		an_wwarn(w, j->path, sc.problems[i].off, sc.problems[i].len, "%s", sc.problems[i].msg);
	r->refs = arena_array(&w->a, sc.nfinds + 1, sizeof(*r->refs));
	r->sources = arena_array(&w->a, sc.nfinds + 1, sizeof(*r->sources));
	r->vars = arena_array(&w->a, sc.nfinds + 1, sizeof(*r->vars));
	for (size_t i = 0; i < sc.nfinds; i++) {
		const struct sql_find *f = &sc.finds[i];
		struct an_at a = an_place(&lines, j->path, f->off);
		size_t npos = 0;
		const char *pos[2] = {NULL, NULL};
		bool lit = true;
		for (size_t k = 0; k < f->nargs; k++) {
			if (f->args[k].name)
				continue;
			if (npos < 2)
				pos[npos] = f->args[k].is_string ? arena_strdup(&w->a, f->args[k].value) : NULL;
			lit &= f->args[k].is_string;
			npos++;
		}
		if (f->kind == SQL_REF && lit && (npos == 1 || npos == 2))
			r->refs[r->nrefs++] = (struct an_ref){npos == 2 ? pos[0] : NULL, pos[npos - 1], a};
		else if (f->kind == SQL_SOURCE && lit && npos == 2)
			r->sources[r->nsources++] = (struct an_ref){pos[0], pos[1], a};
		else if (f->kind == SQL_VAR && pos[0] && npos == 1 && f->nargs == 1)
			r->vars[r->nvars++] = (struct an_ref){pos[0], NULL, a};
		else if (f->kind == SQL_CONFIG)
			for (size_t k = 0; k < f->nargs; k++)
				if (f->args[k].name && strcmp(f->args[k].name, "materialized") == 0 && f->args[k].is_string)
					r->materialized = arena_strdup(&w->a, f->args[k].value);
	}
	sqlscan_free(&sc);
	an_lines_free(&lines);
}

/* the CSV header's names */
static void
seedjob(struct an_worker *w, struct an_job *j, const char *text, size_t len)
{
	struct an_seedres *r = arena_alloc(&w->a, sizeof(*r));
	j->res = r;
	size_t end = 0;
	while (end < len && text[end] != '\n')
		end++;
	size_t n = 1;
	for (size_t i = 0; i < end; i++)
		n += text[i] == ',';
	r->cols = arena_array(&w->a, n + 1, sizeof(*r->cols));
	for (size_t s = 0; s < end;) {
		size_t e = s;
		bool q = false;
		while (e < end && (q || text[e] != ',') && text[e] != '\r') {
			q ^= text[e] == '"';
			e++;
		}
		size_t l = e - s;
		const char *p = text + s;
		if (l >= 2 && p[0] == '"' && p[l - 1] == '"')
			p++, l -= 2;
		r->cols[r->ncols++] = arena_strndup(&w->a, p, l);
		s = e + 1;
	}
}

static void
propsjob(struct an_worker *w, struct an_job *j, const char *text, size_t len)
{
	struct rd r = {w, j->path, {0}, &w->a};
	an_lines_init(&r.lines, text, len);
	int32_t f = diag_file(&w->d, j->path, NULL, 0);
	const struct ynode *root = yaml_load(&w->a, &w->d, f, text, len);
	if (root && root->kind == Y_MAP) {
		struct an_propsres *res = arena_alloc(&w->a, sizeof(*res));
		readprops(&r, get(root, "models"), &res->models, &res->nmodels, false);
		readprops(&r, get(root, "seeds"), &res->seeds, &res->nseeds, true);
		readsources(&r, get(root, "sources"), res);
		j->res = res;
	}
	an_lines_free(&r.lines);
}

void
dbt_job(struct an_worker *w, struct an_job *j, const char *text, size_t len)
{
	switch (j->kind) {
	case J_MODEL:
	case J_STEST:
		sqljob(w, j, text, len);
		break;
	case J_SEED:
		seedjob(w, j, text, len);
		break;
	case J_PROPS:
		propsjob(w, j, text, len);
		break;
	default:
		break;
	}
}

/* ---- gathering ---- */

/* "staging/orders/stg_x.sql" → "stg_x" */
static const char *
stem(struct arena *a, const char *sub, const char *ext)
{
	const char *base = strrchr(sub, '/');
	base = base ? base + 1 : sub;
	size_t n = strlen(base), e = strlen(ext);
	return arena_strndup(a, base, n >= e ? n - e : n);
}

/* the materialized setting folder configs give a model in sub's folders */
static const char *
foldermat(const struct dbt_project *p, const char *sub)
{
	const struct ynode *c = p->models_cfg;
	const char *mat = NULL;
	for (const char *s = sub;;) {
		const struct ynode *m = get(c, "+materialized");
		if (!m)
			m = get(c, "materialized");
		if (str(m))
			mat = m->str;
		const char *slash = strchr(s, '/');
		if (!slash || !c)
			break;
		char *dir = xstrndup(s, (size_t)(slash - s));
		c = get(c, dir);
		free(dir);
		s = slash + 1;
		if (!c)
			break;
	}
	return mat;
}

static bool
validmat(const char *m)
{
	static const char *const valid[] = {"view", "table", "incremental", "ephemeral"};
	for (size_t i = 0; i < LEN(valid); i++)
		if (strcmp(valid[i], m) == 0)
			return true;
	return false;
}

void
dbt_gather(struct analysis *an)
{
	for (size_t pi = 0; pi < an->nprojs; pi++) {
		struct dbt_project *p = an->projs[pi];
		struct strmap models = {0}, seeds = {0}, sources = {0};
		for (size_t i = 0; i < an->njobs; i++) {
			struct an_job *j = &an->jobs[i];
			if (j->proj != p || !j->res)
				continue;
			struct an_at at = {j->path, 0, 1, 1};
			if (j->kind == J_MODEL) {
				const char *name = stem(&an->a, j->sub, ".sql");
				if (strmap_get(&models, name)) {
					an_warn(an, at, "a second model named '%s'; left out", name);
					continue;
				}
				VEC_PUSH(p->models, p->nmodels, p->capmodels);
				struct dbt_model *m = &p->models[p->nmodels++];
				const char *slash = strchr(j->sub, '/');
				*m = (struct dbt_model){name, j->path, j->sub,
							slash ? arena_strndup(&an->a, j->sub, (size_t)(slash - j->sub)) : NULL,
							j->res, NULL, NULL, at};
				strmap_put(&models, name, (void *)(uintptr_t)p->nmodels);
			} else if (j->kind == J_SEED) {
				const char *name = stem(&an->a, j->sub, ".csv");
				if (strmap_get(&seeds, name)) {
					an_warn(an, at, "a second seed named '%s'; left out", name);
					continue;
				}
				VEC_PUSH(p->seeds, p->nseeds, p->capseeds);
				p->seeds[p->nseeds++] = (struct dbt_seed){name, j->path, j->res, NULL, at};
				strmap_put(&seeds, name, (void *)(uintptr_t)p->nseeds);
			} else if (j->kind == J_STEST && !((struct an_sqlres *)j->res)->generic) {
				VEC_PUSH(p->tests, p->ntests, p->captests);
				p->tests[p->ntests++] = (struct dbt_stest){stem(&an->a, j->sub, ".sql"), j->path, j->res, at};
			}
		}
		for (size_t i = 0; i < an->njobs; i++) {
			struct an_job *j = &an->jobs[i];
			struct an_propsres *r = j->res;
			if (j->proj != p || j->kind != J_PROPS || !r)
				continue;
			for (size_t k = 0; k < r->nmodels; k++) {
				struct dbt_props *pr = &r->models[k];
				uintptr_t m = (uintptr_t)strmap_get(&models, pr->name);
				if (!m)
					an_warn(an, pr->at, "properties of model '%s', which has no SQL file in the project", pr->name);
				else if (p->models[m - 1].props)
					an_warn(an, pr->at, "model '%s' is described twice; this one is left out", pr->name);
				else
					p->models[m - 1].props = pr;
			}
			for (size_t k = 0; k < r->nseeds; k++) {
				struct dbt_props *pr = &r->seeds[k];
				uintptr_t s = (uintptr_t)strmap_get(&seeds, pr->name);
				if (!s)
					an_warn(an, pr->at, "properties of seed '%s', which has no CSV file in the project", pr->name);
				else if (p->seeds[s - 1].props)
					an_warn(an, pr->at, "seed '%s' is described twice; this one is left out", pr->name);
				else
					p->seeds[s - 1].props = pr;
			}
			for (size_t k = 0; k < r->nsources; k++) {
				struct dbt_source *src = &r->sources[k];
				if (strmap_get(&sources, src->name)) {
					an_warn(an, src->at, "source '%s' is defined twice; this one is left out", src->name);
					continue;
				}
				strmap_put(&sources, src->name, src);
				VEC_PUSH(p->sources, p->nsources, p->capsources);
				p->sources[p->nsources++] = src;
			}
		}
		/* materialized for the spec: the SQL's own config() wins in dbt
		 * and stays in the SQL; else the properties', else the folders' */
		for (size_t i = 0; i < p->nmodels; i++) {
			struct dbt_model *m = &p->models[i];
			if (m->sql->materialized)
				continue;
			const char *mat = m->props ? m->props->materialized : NULL;
			if (!mat)
				mat = foldermat(p, m->sub);
			if (mat && !validmat(mat))
				an_warn(an, m->props && m->props->materialized ? m->props->at : m->at,
					"model '%s' is materialized as '%s', which a spec cannot say; left as a view",
					m->name, mat);
			else
				m->materialized = mat;
		}
		strmap_free(&models);
		strmap_free(&seeds);
		strmap_free(&sources);
	}
}

/* ---- the graph ---- */

static struct dbt_source *
findsource(struct dbt_project *p, const char *name)
{
	for (size_t i = 0; i < p->nsources; i++)
		if (strcmp(p->sources[i]->name, name) == 0)
			return p->sources[i];
	return NULL;
}

static struct dbt_stable *
findtable(struct dbt_source *s, const char *name)
{
	for (size_t i = 0; s && i < s->ntables; i++)
		if (strcmp(s->tables[i].name, name) == 0)
			return &s->tables[i];
	return NULL;
}

/* a source() nobody declared: the proposal declares it, so that the spec
 * compiles; a warning says so */
static void
undeclared(struct analysis *an, struct dbt_project *p, const struct an_ref *r)
{
	struct dbt_source *s = findsource(p, r->a);
	if (findtable(s, r->b))
		return;
	an_warn(an, r->at, "source('%s', '%s') is not declared in any properties file; the proposed spec declares it",
		r->a, r->b);
	if (!s) {
		s = arena_alloc(&an->a, sizeof(*s));
		*s = (struct dbt_source){.name = r->a, .at = r->at};
		VEC_PUSH(p->sources, p->nsources, p->capsources);
		p->sources[p->nsources++] = s;
	}
	if (s->ntables + 1 >= s->captables) {
		size_t cap = s->captables * 2 + 4;
		struct dbt_stable *v = arena_array(&an->a, cap, sizeof(*v));
		if (s->ntables)
			memcpy(v, s->tables, s->ntables * sizeof(*v));
		s->tables = v;
		s->captables = cap;
	}
	s->tables[s->ntables++] = (struct dbt_stable){.name = r->b, .at = r->at};
}

static const char *
sourceid(struct analysis *an, const char *src, const char *table)
{
	return an_find(an, "dbt_source", arena_printf(&an->a, "%s.%s", src, table));
}

/* a model or seed of that name */
static const char *
reftarget(struct analysis *an, const char *name)
{
	const char *id = an_find(an, "dbt_model", name);
	return id ? id : an_find(an, "dbt_seed", name);
}

/* a generic test as a node named the way dbt names it: unique_orders_id */
static void
testnodes(struct analysis *an, struct dbt_project *p, const char *owner, const char *ownername,
	  const char *column, const struct dbt_test *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *col = column ? column : t[i].column ? t[i].column : ""; /* dpc_row_count has none */
		struct buf b = {0};
		buf_printf(&b, "%s_%s%s", testnames[t[i].kind], ownername, *col ? "_" : "");
		for (const char *c = col; *c; c++) {
			bool keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9');
			if (keep || b.data[b.len - 1] != '_')
				buf_putc(&b, keep ? *c : '_');
		}
		const char *name = arena_strdup(&an->a, b.data);
		buf_free(&b);
		for (int k = 2; an_find(an, "dbt_test", name); k++)
			name = arena_printf(&an->a, "%s_%s%s%s_%d", testnames[t[i].kind], ownername, *col ? "_" : "", col, k);
		const char *id = an_node(an, "dbt_test", name, t[i].at, p->name, testnames[t[i].kind]);
		an_edge(an, owner, id, "test", t[i].at);
		if (t[i].kind != T_RELATIONSHIPS)
			continue;
		const char *dot = strchr(t[i].to, '.');
		const char *to = dot ? sourceid(an, arena_strndup(&an->a, t[i].to, (size_t)(dot - t[i].to)), dot + 1)
				     : reftarget(an, t[i].to);
		if (to)
			an_edge(an, to, id, "test", t[i].at);
		else
			an_warn(an, t[i].at, "relationships to '%s', which is not in the project", t[i].to);
	}
}

/* the columns' tests, and the columns on the owner's node */
static void
columntests(struct analysis *an, struct dbt_project *p, const char *owner, const char *ownername,
	    const struct dbt_column *c, size_t n)
{
	struct an_col *cols = arena_array(&an->a, n + 1, sizeof(*cols));
	for (size_t i = 0; i < n; i++) {
		cols[i] = (struct an_col){c[i].name, c[i].type};
		testnodes(an, p, owner, ownername, c[i].name, c[i].tests, c[i].ntests);
	}
	if (n)
		an_columns(an, owner, cols, n);
}

/* is name a var of the project (top level, or scoped to the project)? */
static bool
hasvar(const struct dbt_project *p, const char *name)
{
	if (get(p->vars, name))
		return true;
	return get(get(p->vars, p->name), name) != NULL;
}

/* the refs and sources of a model's or singular test's SQL */
static void
sqledges(struct analysis *an, struct dbt_project *p, const char *id, const struct an_sqlres *sql)
{
	for (size_t k = 0; k < sql->nrefs; k++) {
		const struct an_ref *r = &sql->refs[k];
		const char *up = NULL;
		if (!r->a || strcmp(r->a, p->name) == 0)
			up = reftarget(an, r->b);
		if (!up && r->a) {
			an_warn(an, r->at, "ref to '%s.%s', which is not in the project", r->a, r->b);
			up = an_external(an, arena_printf(&an->a, "%s.%s", r->a, r->b));
		} else if (!up) {
			an_warn(an, r->at, "ref to unknown model or seed '%s'", r->b);
			up = an_external(an, r->b);
		}
		an_edge(an, up, id, "ref", r->at);
	}
	for (size_t k = 0; k < sql->nsources; k++) {
		const struct an_ref *r = &sql->sources[k];
		an_edge(an, sourceid(an, r->a, r->b), id, "source", r->at);
	}
	for (size_t k = 0; k < sql->nvars; k++)
		if (!hasvar(p, sql->vars[k].a))
			an_warn(an, sql->vars[k].at, "var('%s') has no default and dbt_project.yml does not define it",
				sql->vars[k].a);
}

void
dbt_graph(struct analysis *an)
{
	for (size_t pi = 0; pi < an->nprojs; pi++) {
		struct dbt_project *p = an->projs[pi];
		/* sources the SQL uses that nobody declared */
		for (size_t i = 0; i < p->nmodels + p->ntests; i++) {
			const struct an_sqlres *sql = i < p->nmodels ? p->models[i].sql : p->tests[i - p->nmodels].sql;
			for (size_t k = 0; k < sql->nsources; k++)
				undeclared(an, p, &sql->sources[k]);
		}
		for (size_t i = 0; i < p->nsources; i++) {
			const struct dbt_source *s = p->sources[i];
			for (size_t k = 0; k < s->ntables; k++)
				an_node(an, "dbt_source", arena_printf(&an->a, "%s.%s", s->name, s->tables[k].name),
					s->tables[k].at, p->name, NULL);
		}
		for (size_t i = 0; i < p->nseeds; i++)
			an_node(an, "dbt_seed", p->seeds[i].name, p->seeds[i].at, p->name, NULL);
		for (size_t i = 0; i < p->nmodels; i++) {
			const struct dbt_model *m = &p->models[i];
			const char *mat = m->sql->materialized ? m->sql->materialized : m->materialized ? m->materialized : "view";
			an_node(an, "dbt_model", m->name, m->at, p->name, mat);
			if (m->sql->not_text)
				an_warn(an, m->at, "not UTF-8 text: dpc build will not read it");
		}
	}
	for (size_t pi = 0; pi < an->nprojs; pi++) {
		struct dbt_project *p = an->projs[pi];
		for (size_t i = 0; i < p->nmodels; i++) {
			const struct dbt_model *m = &p->models[i];
			const char *id = an_find(an, "dbt_model", m->name);
			sqledges(an, p, id, m->sql);
			if (m->props) {
				columntests(an, p, id, m->name, m->props->cols, m->props->ncols);
				testnodes(an, p, id, m->name, NULL, m->props->tests, m->props->ntests);
			}
		}
		for (size_t i = 0; i < p->ntests; i++) {
			const struct dbt_stest *t = &p->tests[i];
			const char *id = an_node(an, "dbt_test", t->name, t->at, p->name, "singular");
			sqledges(an, p, id, t->sql);
		}
		for (size_t i = 0; i < p->nseeds; i++)
			if (p->seeds[i].props)
				columntests(an, p, an_find(an, "dbt_seed", p->seeds[i].name), p->seeds[i].name,
					    p->seeds[i].props->cols, p->seeds[i].props->ncols);
		for (size_t i = 0; i < p->nsources; i++) {
			const struct dbt_source *s = p->sources[i];
			for (size_t k = 0; k < s->ntables; k++) {
				const struct dbt_stable *t = &s->tables[k];
				const char *owner = arena_printf(&an->a, "%s_%s", s->name, t->name);
				const char *id = sourceid(an, s->name, t->name);
				columntests(an, p, id, owner, t->cols, t->ncols);
				testnodes(an, p, id, owner, NULL, t->tests, t->ntests);
			}
		}
	}
}
