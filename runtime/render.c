/* render.c: the SQL of models and tests, rendered with the Jinja
 * interpreter (jinja.h) for the SQLite warehouse. The host's callbacks
 * answer ref(), source() and var(); an ephemeral model read on the way is
 * rendered then (run_plan_ephemeral) and remembered, and render_wrap puts
 * the ephemerals a query reads in front of it as CTEs, the way dbt inlines
 * them. The project's macros are every .sql file under macros/. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jinja.h"
#include "runint.h"

struct rctx {
	struct runner *r;
	struct rnode *x;
};

bool
run_relation(struct runner *r, struct rnode *x, size_t gi, struct buf *out, const char **why)
{
	size_t yi = r->byg[gi];
	if (!yi) {
		*why = "dpc run cannot read it (only seeds, models and source tables)";
		return false;
	}
	struct rnode *y = &r->v[yi - 1];
	if (y->kind == RK_SOURCE && !y->exists) {
		*why = arena_printf(&r->a, "source %s: there is no table \"%s\" in %s", y->label, y->relname,
				    r->wh.path);
		return false;
	}
	if (y->kind == RK_MODEL && y->disabled) {
		*why = arena_printf(&r->a, "model %s is disabled (enabled: false)", y->n->name);
		return false;
	}
	if (y->kind == RK_MODEL && !y->relname) {
		run_plan_ephemeral(r, y);
		if (y->error) {
			*why = arena_printf(&r->a, "ephemeral model %s: %s", y->n->name, y->error);
			return false;
		}
		size_t i;
		for (i = 0; i < x->nephs && x->ephs[i] != yi - 1; i++)
			;
		if (i == x->nephs) {
			VEC_PUSH(x->ephs, x->nephs, x->capephs);
			x->ephs[x->nephs++] = yi - 1;
		}
		buf_printf(out, "__dbt__cte__%s", y->n->name);
		return true;
	}
	wh_quote(out, y->relname);
	return true;
}

/* the relation of node gi, as a callback's answer: rendering an ephemeral
 * model on the way calls back too, so the answer is put together apart */
static bool
answer(struct runner *r, struct rnode *x, size_t gi, char **out, const char **why)
{
	struct buf b = {0};
	bool ok = run_relation(r, x, gi, &b, why);
	r->scratch.len = 0;
	buf_puts(&r->scratch, ok ? b.data : "");
	buf_free(&b);
	*out = r->scratch.data;
	return ok;
}

static bool
cb_ref(void *ctx, const char *package, const char *name, char **out, const char **why)
{
	struct rctx *c = ctx;
	struct runner *r = c->r;
	if (package) {
		*why = "a model of a package needs dbt: dpc run has no packages";
		return false;
	}
	const struct node *t = graph_byname(r->g, name);
	if (!t || (t->kind != N_MODEL && t->kind != N_SEED)) {
		*why = "there is no model or seed of this name";
		return false;
	}
	return answer(r, c->x, (size_t)(t - r->g->nodes), out, why);
}

static bool
cb_source(void *ctx, const char *source, const char *table, char **out, const char **why)
{
	struct rctx *c = ctx;
	struct runner *r = c->r;
	char *id = xasprintf("source.%s.%s", source, table);
	const struct node *t = graph_find(r->g, id);
	free(id);
	if (!t) {
		*why = "there is no source table of this name";
		return false;
	}
	return answer(r, c->x, (size_t)(t - r->g->nodes), out, why);
}

/* a YAML value as JSON, for a var that is a list or a map */
static cJSON *
yjson(const struct ynode *y)
{
	if (y->kind == Y_SEQ || y->kind == Y_MAP) {
		cJSON *j = y->kind == Y_SEQ ? cJSON_CreateArray() : cJSON_CreateObject();
		for (size_t i = 0; i < y->n; i += y->kind == Y_MAP ? 2 : 1) {
			if (y->kind == Y_SEQ)
				cJSON_AddItemToArray(j, yjson(y->items[i]));
			else
				cJSON_AddItemToObject(j, y->items[i]->str, yjson(y->items[i + 1]));
		}
		return j;
	}
	bool b;
	if (y->plain && ynull(y))
		return cJSON_CreateNull();
	if (y->plain && ybool(y, &b))
		return cJSON_CreateBool(b);
	if (y->plain) {
		/* a number as written: 1.0 stays 1.0, as dbt's Python prints it */
		cJSON *t = cJSON_Parse(y->str);
		bool num = cJSON_IsNumber(t);
		cJSON_Delete(t);
		if (num)
			return cJSON_CreateRaw(y->str);
	}
	return cJSON_CreateString(y->str);
}

/* var('name'): the value as JSON text, which the renderer reads back into
 * a string, number, boolean, None, list or dict; --vars wins over the spec */
static bool
cb_var(void *ctx, const char *name, char **out)
{
	struct rctx *c = ctx;
	struct runner *r = c->r;
	const cJSON *v = r->vars ? cJSON_GetObjectItemCaseSensitive(r->vars, name) : NULL;
	cJSON *made = NULL;
	for (size_t i = 0; !v && i < r->spec->nvars; i++)
		if (strcmp(r->spec->vars[i].name, name) == 0)
			v = made = yjson(r->spec->vars[i].value);
	if (!v)
		return false;
	char *s = cJSON_PrintUnformatted(v);
	r->scratch.len = 0;
	buf_puts(&r->scratch, s ? s : "null");
	cJSON_free(s);
	cJSON_Delete(made);
	*out = r->scratch.data;
	return true;
}

/* where the SQL of x is written, for messages: the file, or the spec file
 * with the model's name (inline SQL) */
static const struct spec_sql *
sqlof(const struct rnode *x)
{
	return x->n->model ? &x->n->model->sql : x->n->singular ? &x->n->singular->sql : NULL;
}

/* the file a rendering error is in: the model's SQL (its file, or the spec
 * file with the model's name for inline SQL) or a macro file; registered
 * with its text so that the diagnostic shows the line and a caret */
static int32_t
errfile(struct runner *r, struct rnode *x, int file, char **name)
{
	if (file >= 0 && (size_t)file < r->nmacros) {
		*name = xstrdup(r->macropaths[file]);
		char *t;
		size_t len;
		if (read_beneath(r->o->rootfd, *name, INPUT_MAX_BYTES, &t, &len, NULL) != 0)
			t = NULL, len = 0;
		return diag_file(&r->diags, *name, t, len);
	}
	const struct spec_sql *sql = sqlof(x);
	*name = sql && sql->path ? xstrdup(sql->path)
				 : xasprintf("%s (inline SQL of %s)", node_specfile(r->g, x->n), x->n->name);
	return diag_file(&r->diags, *name, xstrndup(x->text, x->textlen), x->textlen);
}

/* turn rendering errors into diagnostics and a one-line message */
static char *
render_errors(struct runner *r, struct rnode *x, const struct jj_result *res)
{
	char *first = NULL;
	for (size_t i = 0; i < res->nerrors; i++) {
		const struct jj_error *e = &res->errors[i];
		char *name;
		int32_t f = errfile(r, x, e->file, &name);
		struct loc loc = {f, e->off, e->len ? e->len : 1};
		diag_add(&r->diags, SEV_ERROR, loc, "%s: %s", x->n->name, e->msg);
		if (!first)
			first = xasprintf("%s:%u:%u: %s", name, e->line, e->col, e->msg);
		free(name);
	}
	return first ? first : xstrdup("the SQL could not be rendered");
}

/* render text as x's SQL; NULL with x->error set on failure */
char *
render_sql(struct runner *r, struct rnode *x, const char *this_rel, bool incremental)
{
	struct rctx ctx = {r, x};
	struct jj_host host = {
		.ctx = &ctx,
		.ref = cb_ref,
		.source = cb_source,
		.var = cb_var,
		.this_relation = this_rel,
		.is_incremental = incremental,
		/* profiles.yml's target, on the SQLite warehouse */
		.target_name = "dev",
		.target_schema = "main",
		.target_type = "sqlite",
	};
	struct jj_result res = {0};
	jj_render(x->text, x->textlen, r->macros, &host, &res);
	char *out = NULL;
	if (res.text && !res.nerrors)
		out = xstrndup(res.text, res.len);
	else
		x->error = render_errors(r, x, &res);
	jj_result_free(&res);
	return out;
}

/* the SQL ends where its last statement does: trailing blanks and
 * semicolons would break the wrapping below */
void
render_trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ';'))
		n--;
	s[n] = '\0';
}

static void
ephclosure(struct runner *r, size_t e, bool *seen, size_t *out, size_t *n)
{
	if (seen[e])
		return;
	seen[e] = true;
	for (size_t i = 0; i < r->v[e].nephs; i++)
		ephclosure(r, r->v[e].ephs[i], seen, out, n);
	out[(*n)++] = e;
}

/* body with the ephemeral models it reads put in front as CTEs, the way
 * dbt inlines them; owned */
char *
render_wrap(struct runner *r, struct rnode *x, const char *body)
{
	if (!x->nephs)
		return xstrdup(body);
	bool *seen = xcalloc(r->n + 1, 1);
	size_t *list = xcalloc(r->n + 1, sizeof(size_t)), n = 0;
	for (size_t i = 0; i < x->nephs; i++)
		ephclosure(r, x->ephs[i], seen, list, &n);
	struct buf b = {0};
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s__dbt__cte__%s as (\n%s\n)", i ? ", " : "with ", r->v[list[i]].n->name,
			   r->v[list[i]].body);
	buf_printf(&b, "\nselect * from (\n%s\n)", body);
	free(seen);
	free(list);
	return buf_take(&b);
}

int
render_read(struct runner *r, struct rnode *x)
{
	const struct spec_sql *sql = sqlof(x);
	if (!sql)
		return 0;
	if (!sql->path) {
		x->text = xstrdup(sql->inline_sql ? sql->inline_sql : "");
		x->textlen = strlen(x->text);
		return 0;
	}
	int e = read_beneath(r->o->rootfd, sql->path, INPUT_MAX_BYTES, &x->text, &x->textlen, NULL);
	if (e) {
		x->error = xasprintf("cannot read %s: %s", sql->path, strerror(e));
		return -1;
	}
	return 0;
}

/* the project's macros: every .sql file under macros/, sorted by path */
static void
findmacros(int dirfd, const char *rel, struct macroset *ms, int depth)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		VEC_PUSH(names, n, cap);
		names[n++] = xstrdup(e->d_name);
	}
	qsort(names, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", rel, names[i]);
		size_t len = strlen(names[i]);
		int sub = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub >= 0) {
			close(sub);
			if (depth < 16) {
				VEC_PUSH(ms->paths, ms->n, ms->cap);
				ms->paths[ms->n++] = xstrdup(path);
				findmacros(dirfd, path, ms, depth + 1);
			}
		} else if (len > 4 && strcmp(names[i] + len - 4, ".sql") == 0) {
			VEC_PUSH(ms->paths, ms->n, ms->cap);
			ms->paths[ms->n++] = xstrdup(path);
		}
		free(path);
		free(names[i]);
	}
	free(names);
	closedir(d);
}

/* parse the project's macros; false after printing what is wrong */
bool
render_macros(struct runner *r, struct macroset *ms)
{
	findmacros(r->o->rootfd, "macros", ms, 0);
	const char **texts = xcalloc(ms->n + 1, sizeof(char *));
	r->macropaths = xcalloc(ms->n + 1, sizeof(char *));
	size_t *lens = xcalloc(ms->n + 1, sizeof(size_t)), k = 0;
	bool ok = true;
	for (size_t i = 0; i < ms->n; i++) {
		size_t l = strlen(ms->paths[i]);
		if (l < 4 || strcmp(ms->paths[i] + l - 4, ".sql") != 0)
			continue;
		char *t;
		int e = read_beneath(r->o->rootfd, ms->paths[i], INPUT_MAX_BYTES, &t, &lens[k], NULL);
		if (e) {
			diag_add(&r->diags, SEV_ERROR, NOLOC, "cannot read %s: %s", ms->paths[i], strerror(e));
			ok = false;
			continue;
		}
		texts[k] = t;
		r->macropaths[k++] = ms->paths[i];
	}
	r->nmacros = k;
	if (ok && k) {
		struct jj_result errs = {0};
		r->macros = jj_macros_load(texts, lens, r->macropaths, k, &errs);
		for (size_t i = 0; i < errs.nerrors; i++) {
			const struct jj_error *e = &errs.errors[i];
			struct loc loc = NOLOC;
			if (e->file >= 0 && (size_t)e->file < k) {
				int32_t f = diag_file(&r->diags, r->macropaths[e->file],
						      xstrndup(texts[e->file], lens[e->file]), lens[e->file]);
				loc = (struct loc){f, e->off, e->len ? e->len : 1};
			}
			diag_add(&r->diags, SEV_ERROR, loc, "%s", e->msg);
		}
		ok = errs.nerrors == 0;
		jj_result_free(&errs);
	}
	for (size_t i = 0; i < k; i++)
		free((char *)texts[i]);
	free(texts), free(lens);
	return ok;
}
