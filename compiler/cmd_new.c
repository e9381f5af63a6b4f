/* cmd_new.c: dpc new model|source|test|asset and dpc supabase vectorize.
 *
 * Each command turns its arguments into edits of the spec (specedit.h:
 * spliced into the text, so every comment stays) and, for models and
 * assets, a starter file; compiles the edited project in memory; and only
 * then writes, or with --dry-run shows the diff. The project must compile
 * before the edit too: an edit cannot be checked against a broken spec.
 * Exit codes as cli.h: 0 done, 1 an I/O error, 2 a refused command line or
 * an edit that would not compile (nothing is written). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "cli.h"
#include "compile.h"
#include "specedit.h"

/* ---- the command line ---- */

/* an option a command takes */
struct optdef {
	const char *name;  /* "--sql" */
	bool value;        /* takes a value */
	bool many;         /* may be given more than once (values collected) */
};

struct args {
	const struct optdef *defs;
	size_t ndefs;
	const char *pos[4];   /* positional arguments */
	size_t npos;
	const char **val;     /* per option: its (last) value; "1" for a flag */
	const char ***many;   /* per option with many: its values */
	size_t *nmany;
};

static void
args_free(struct args *a)
{
	for (size_t i = 0; i < a->ndefs; i++)
		free(a->many[i]);
	free(a->many);
	free(a->nmany);
	free(a->val);
}

static const char *
opt(const struct args *a, const char *name)
{
	for (size_t i = 0; i < a->ndefs; i++)
		if (strcmp(a->defs[i].name, name) == 0)
			return a->val[i];
	return NULL;
}

/* values of a many-option, each also split at commas; owned array of
 * borrowed-or-arena strings (in ar) */
static const char **
list(const struct args *a, const char *name, struct arena *ar, size_t *n)
{
	*n = 0;
	const char **out = NULL;
	for (size_t i = 0; i < a->ndefs; i++) {
		if (strcmp(a->defs[i].name, name) != 0)
			continue;
		const char **v = a->defs[i].many ? a->many[i] : &a->val[i];
		size_t nv = a->defs[i].many ? a->nmany[i] : a->val[i] != NULL;
		for (size_t k = 0; k < nv; k++)
			for (const char *s = v[k]; *s;) {
				size_t len = strcspn(s, ",");
				const char *b = s, *e = s + len;
				while (b < e && *b == ' ')
					b++;
				while (e > b && e[-1] == ' ')
					e--;
				if (e > b) {
					out = xreallocarray(out, *n + 1, sizeof(*out));
					out[(*n)++] = arena_strndup(ar, b, (size_t)(e - b));
				}
				s += len;
				s += *s == ',';
			}
	}
	return out;
}

/* read argv (after the kind) against defs; false with *err (owned) */
static bool
parseargs(struct args *a, const struct optdef *defs, size_t ndefs, char **argv, int argc, bool *help,
	  char **err)
{
	*a = (struct args){.defs = defs, .ndefs = ndefs};
	a->val = xcalloc(ndefs + 1, sizeof(*a->val));
	a->many = xcalloc(ndefs + 1, sizeof(*a->many));
	a->nmany = xcalloc(ndefs + 1, sizeof(*a->nmany));
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			*help = true;
			continue;
		}
		if (s[0] != '-' || !s[1]) {
			if (a->npos == LEN(a->pos)) {
				*err = xasprintf("unexpected argument '%s'", s);
				return false;
			}
			a->pos[a->npos++] = s;
			continue;
		}
		const char *eq = strchr(s, '=');
		size_t nl = eq ? (size_t)(eq - s) : strlen(s);
		size_t k;
		for (k = 0; k < ndefs; k++)
			if (strlen(defs[k].name) == nl && strncmp(defs[k].name, s, nl) == 0)
				break;
		if (k == ndefs) {
			const char *names[32];
			size_t nn = 0;
			for (size_t j = 0; j < ndefs && nn < LEN(names); j++)
				names[nn++] = defs[j].name;
			char *word = xstrndup(s, nl);
			const char *h = did_you_mean(word, names, nn);
			*err = xasprintf("unknown option '%s'%s%s%s", word, h ? "; did you mean '" : "", h ? h : "",
					 h ? "'?" : "");
			free(word);
			return false;
		}
		const char *v = "1";
		if (defs[k].value) {
			if (eq)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else {
				*err = xasprintf("%s needs a value", defs[k].name);
				return false;
			}
		} else if (eq) {
			*err = xasprintf("%s takes no value", defs[k].name);
			return false;
		}
		if (defs[k].many) {
			a->many[k] = xreallocarray(a->many[k], a->nmany[k] + 1, sizeof(**a->many));
			a->many[k][a->nmany[k]++] = v;
		} else if (a->val[k] && defs[k].value) {
			*err = xasprintf("%s is given twice", defs[k].name);
			return false;
		}
		a->val[k] = v;
	}
	return true;
}

/* ---- one command's run ---- */

struct run {
	struct opts *o;
	cJSON *doc;             /* --format json: the document, else NULL */
	bool dry;               /* --dry-run */
	int rootfd;
	struct sedit *se;
	struct compilation base; /* the project as it is: names, columns, layers */
	bool hasbase;
	struct arena a;         /* strings of the run */
	struct buf said;        /* what the edit did, a line each */
	char *next;             /* the next step, for the last line */
};

/* a refusal: the message on stderr (or in the document); exit code 2 */
static int
refuse(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
refuse(struct run *r, const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (r->doc)
		cJSON_AddStringToObject(r->doc, "error", b.data);
	else
		fprintf(stderr, "dpc: %s\n", b.data);
	buf_free(&b);
	return 2;
}

static void
say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&r->said, fmt, ap);
	va_end(ap);
	buf_putc(&r->said, '\n');
}

/* a name as the spec takes it */
static bool
goodname(const char *s)
{
	return is_ident(s) && strlen(s) <= 63;
}

static const char *const badname =
	"use letters, digits and underscores, not starting with a digit, at most 63 characters";

/* s as one token of a JSON Pointer; in r's arena */
static const char *
tok(struct run *r, const char *s)
{
	struct buf b = {0};
	sedit_ptr_token(&b, s);
	const char *t = arena_strdup(&r->a, b.data ? b.data : "");
	buf_free(&b);
	return t;
}

static const char *
path2(struct run *r, const char *sec, const char *name)
{
	return arena_printf(&r->a, "/%s/%s", sec, tok(r, name));
}

/* is name taken in the namespace models, seeds, tables, embeddings and
 * assets share? the message saying where, or NULL */
static char *
taken(struct run *r, const char *name)
{
	static const struct {
		const char *sec, *what;
	} spaces[] = {{"models", "a model"}, {"seeds", "a seed"}, {"tables", "a table of tables:"},
		      {"embeddings", "an embedding"}, {"assets", "an asset"}};
	for (size_t i = 0; i < LEN(spaces); i++) {
		const char *file;
		int line;
		if (sedit_exists(r->se, path2(r, spaces[i].sec, name), &file, &line))
			return xasprintf("'%s' is already defined at %s:%d, as %s (models, seeds, tables, embeddings "
					 "and assets share one namespace)", name, file, line, spaces[i].what);
	}
	return NULL;
}

/* the file that holds path now, for the report */
static const char *
where(struct run *r, const char *path)
{
	const char *file = NULL;
	int line;
	return sedit_exists(r->se, path, &file, &line) ? file : "the spec";
}

static cJSON *
obj(void)
{
	return cJSON_CreateObject();
}

/* ---- what the project has ---- */

enum fromkind { F_NONE, F_MODEL, F_SEED, F_SOURCE, F_TABLE };

/* a node a new model reads (--from) */
struct from {
	enum fromkind kind;
	const char *name;     /* model, seed, table; the source */
	const char *table;    /* a source's table */
	const char *source;   /* tables: the dbt source it appears under */
	const char **cols;    /* its columns as the spec lists them */
	size_t ncols;
};

static void
cols(struct from *f, const struct spec_column *c, size_t n)
{
	f->cols = xreallocarray(NULL, n + 1, sizeof(*f->cols));
	for (size_t i = 0; i < n; i++)
		f->cols[f->ncols++] = c[i].name;
}

/* every name --from may give, for a did-you-mean; owned array */
static const char **
fromnames(struct run *r, const struct spec *s, size_t *n)
{
	size_t cap = s->nmodels + s->nseeds + s->napptables + 1;
	for (size_t i = 0; i < s->nsources; i++)
		cap += s->sources[i].ntables;
	const char **v = xreallocarray(NULL, cap, sizeof(*v));
	*n = 0;
	for (size_t i = 0; i < s->nmodels; i++)
		v[(*n)++] = s->models[i].name;
	for (size_t i = 0; i < s->nseeds; i++)
		v[(*n)++] = s->seeds[i].name;
	for (size_t i = 0; i < s->napptables; i++)
		v[(*n)++] = s->apptables[i].name;
	for (size_t i = 0; i < s->nsources; i++)
		for (size_t j = 0; j < s->sources[i].ntables; j++)
			v[(*n)++] = arena_printf(&r->a, "%s.%s", s->sources[i].name, s->sources[i].tables[j].name);
	return v;
}

/* look --from up; false when the spec has no such node */
static bool
findfrom(const struct spec *s, const char *name, struct from *f)
{
	*f = (struct from){.name = name};
	const char *dot = strchr(name, '.');
	for (size_t i = 0; !dot && i < s->nmodels; i++)
		if (strcmp(s->models[i].name, name) == 0) {
			f->kind = F_MODEL;
			cols(f, s->models[i].columns, s->models[i].ncolumns);
			return true;
		}
	for (size_t i = 0; !dot && i < s->nseeds; i++)
		if (strcmp(s->seeds[i].name, name) == 0) {
			f->kind = F_SEED;
			cols(f, s->seeds[i].columns, s->seeds[i].ncolumns);
			return true;
		}
	for (size_t i = 0; !dot && i < s->napptables; i++)
		if (strcmp(s->apptables[i].name, name) == 0) {
			const struct spec_apptable *t = &s->apptables[i];
			f->kind = F_TABLE;
			f->source = t->source;
			f->cols = xreallocarray(NULL, t->ncolumns + 1, sizeof(*f->cols));
			for (size_t k = 0; k < t->ncolumns; k++)
				f->cols[f->ncols++] = t->columns[k].name;
			return true;
		}
	for (size_t i = 0; dot && i < s->nsources; i++) {
		const struct spec_source *src = &s->sources[i];
		if (strlen(src->name) != (size_t)(dot - name) || strncmp(src->name, name, (size_t)(dot - name)) != 0)
			continue;
		for (size_t j = 0; j < src->ntables; j++)
			if (strcmp(src->tables[j].name, dot + 1) == 0) {
				f->kind = F_SOURCE;
				f->name = src->name;
				f->table = src->tables[j].name;
				cols(f, src->tables[j].columns, src->tables[j].ncolumns);
				return true;
			}
	}
	return false;
}

/* the starter SQL of a new model */
static char *
startsql(const char *name, const char *desc, const struct from *f)
{
	struct buf b = {0};
	buf_printf(&b, "-- %s: %s\n", name, desc ? desc : "written by dpc new; make it yours");
	if (f->kind == F_NONE) {
		buf_puts(&b, "-- read other nodes with {{ ref('a_model') }} and {{ source('a_source', 'a_table') }}\n"
			     "select 1 as id\n");
		return buf_take(&b);
	}
	if (!f->ncols) {
		buf_puts(&b, "select *\n");
	} else {
		buf_puts(&b, "select\n");
		for (size_t i = 0; i < f->ncols; i++)
			buf_printf(&b, "    %s%s\n", f->cols[i], i + 1 < f->ncols ? "," : "");
	}
	if (f->kind == F_SOURCE)
		buf_printf(&b, "from {{ source('%s', '%s') }}\n", f->name, f->table);
	else if (f->kind == F_TABLE)
		buf_printf(&b, "from {{ source('%s', '%s') }}\n", f->source, f->name);
	else
		buf_printf(&b, "from {{ ref('%s') }}\n", f->name);
	return buf_take(&b);
}

/* the model whose file a new model of layer goes into (a path for
 * sedit_add's near): one of the file with the most models of that layer;
 * else from, when it is a model; else NULL (the file with the most models) */
static const char *
nearmodel(struct run *r, const char *layer, const struct from *f)
{
	const struct spec *s = r->base.spec;
	struct strmap inlayer = {0};
	for (size_t i = 0; i < s->nmodels; i++)
		if (strcmp(s->models[i].layer, layer) == 0)
			strmap_put(&inlayer, s->models[i].name, (void *)1);
	const char *const *files;
	size_t nf = sedit_specfiles(r->se, &files), most = 0;
	const char *near = NULL;
	for (size_t k = 0; k < nf && inlayer.n; k++) {
		cJSON *models = sedit_get_in(r->se, k, "/models"), *m;
		cJSON *entries = cJSON_IsObject(models) ? models : NULL;
		size_t count = 0;
		const char *one = NULL;
		cJSON_ArrayForEach(m, entries)
		{
			if (strmap_get(&inlayer, m->string))
				count++, one = m->string;
		}
		if (count > most)
			most = count, near = path2(r, "models", one);
		cJSON_Delete(models);
	}
	strmap_free(&inlayer);
	return near ? near : f->kind == F_MODEL ? path2(r, "models", f->name) : NULL;
}

/* where a new model's SQL goes: beside the models of its layer; else in
 * the layer's folder where the project names folders after layers
 * (sql/staging/, sql/marts/); else beside the other models; else
 * sql/<layer>/. Owned. */
static char *
sqlpathfor(const struct spec *s, const char *layer, const char *name)
{
	for (size_t i = 0; i < s->nmodels; i++) {
		const struct spec_model *m = &s->models[i];
		const char *slash = m->sql.path ? strrchr(m->sql.path, '/') : NULL;
		if (m->sql.path && strcmp(m->layer, layer) == 0)
			return slash ? xasprintf("%.*s/%s.sql", (int)(slash - m->sql.path), m->sql.path, name)
				     : xasprintf("%s.sql", name);
	}
	for (size_t i = 0; i < s->nmodels; i++) {
		const struct spec_model *m = &s->models[i];
		const char *slash = m->sql.path ? strrchr(m->sql.path, '/') : NULL;
		if (!slash)
			continue;
		size_t dl = (size_t)(slash - m->sql.path), ll = strlen(m->layer);
		if (dl >= ll && strncmp(slash - ll, m->layer, ll) == 0 && (dl == ll || slash[-(long)ll - 1] == '/'))
			return xasprintf("%.*s%s/%s.sql", (int)(dl - ll), m->sql.path, layer, name);
	}
	for (size_t i = 0; i < s->nmodels; i++) {
		const char *p = s->models[i].sql.path, *slash = p ? strrchr(p, '/') : NULL;
		if (p)
			return slash ? xasprintf("%.*s/%s.sql", (int)(slash - p), p, name) : xasprintf("%s.sql", name);
	}
	return xasprintf("sql/%s/%s.sql", layer, name);
}

static bool
exists(int rootfd, const char *path)
{
	char *t;
	size_t n;
	int e = read_beneath(rootfd, path, (size_t)1 << 30, &t, &n, NULL);
	if (!e)
		free(t);
	return e != ENOENT;
}

/* ---- the kinds ---- */

static const char *const materializations[] = {"view", "table", "incremental", "ephemeral"};

static int
newmodel(struct run *r, const struct args *a)
{
	const struct spec *s = r->base.spec;
	const char *name = a->pos[0], *from = opt(a, "--from"), *mat = opt(a, "--materialized");
	const char *layer = opt(a, "--layer"), *sql = opt(a, "--sql"), *desc = opt(a, "--description");
	if (!name)
		return refuse(r, "dpc new model needs a name: dpc new model NAME [--from NODE]");
	if (!goodname(name))
		return refuse(r, "model name '%s' is not valid: %s", name, badname);
	char *t = taken(r, name);
	if (t) {
		int rc = refuse(r, "%s", t);
		free(t);
		return rc;
	}
	if (mat) {
		size_t k = 0;
		while (k < LEN(materializations) && strcmp(mat, materializations[k]) != 0)
			k++;
		if (k == LEN(materializations)) {
			const char *h = did_you_mean(mat, materializations, LEN(materializations));
			return refuse(r, "--materialized takes view, table, incremental or ephemeral, not '%s'%s%s%s", mat,
				      h ? "; did you mean '" : "", h ? h : "", h ? "'?" : "");
		}
		if (strcmp(mat, "incremental") == 0)
			say(r, "note: an incremental model wants unique_key: in the spec and an "
			       "{%% if is_incremental() %%} filter in its SQL");
	}
	if (layer && !goodname(layer))
		return refuse(r, "layer '%s' is not valid: %s", layer, badname);
	struct from f = {0};
	if (from && !findfrom(s, from, &f)) {
		size_t n;
		const char **names = fromnames(r, s, &n);
		const char *h = did_you_mean(from, names, n);
		int rc = refuse(r, "--from '%s': no model, seed, table or source table (source.table) has that name%s%s%s",
				from, h ? "; did you mean '" : "", h ? h : "", h ? "'?" : "");
		free(names);
		free(f.cols);
		return rc;
	}
	char *path = sql ? xstrdup(sql) : sqlpathfor(s, layer ? layer : spec_default_layer(name), name);
	size_t pl = strlen(path);
	int rc = 0;
	if (pl < 5 || strcmp(path + pl - 4, ".sql") != 0) {
		rc = refuse(r, "--sql '%s' must name a .sql file", path);
	} else if (!sql && exists(r->rootfd, path)) {
		rc = refuse(r, "%s exists already; give --sql %s to make it the model's SQL, or choose another name",
			    path, path);
	}
	cJSON *e = obj();
	cJSON_AddStringToObject(e, "sql", path);
	if (desc)
		cJSON_AddStringToObject(e, "description", desc);
	if (mat)
		cJSON_AddStringToObject(e, "materialized", mat);
	if (layer)
		cJSON_AddStringToObject(e, "layer", layer);
	char *err = NULL;
	const char *mp = path2(r, "models", name);
	const char *near = nearmodel(r, layer ? layer : spec_default_layer(name), &f);
	if (!rc && !sedit_add(r->se, mp, e, near, &err))
		rc = refuse(r, "%s", err);
	bool write = !rc && !exists(r->rootfd, path);
	char *text = write ? startsql(name, desc, &f) : NULL;
	free(err);
	err = NULL;
	if (write && !sedit_file(r->se, path, text, strlen(text), false, &err))
		rc = refuse(r, "%s", err);
	if (!rc) {
		if (write)
			say(r, "%s: added model %s, with a starter SELECT%s%s in %s", where(r, mp), name,
			    f.kind ? " from " : "", f.kind ? from : "", path);
		else
			say(r, "%s: added model %s, its SQL the file %s as it is", where(r, mp), name, path);
		r->next = xasprintf("edit %s, then run dpc build", path);
	}
	free(err);
	free(text);
	free(path);
	free(f.cols);
	cJSON_Delete(e);
	return rc;
}

static int
newsource(struct run *r, const struct args *a)
{
	const char *name = a->pos[0], *schema = opt(a, "--schema"), *desc = opt(a, "--description");
	size_t nt;
	const char **tables = list(a, "--table", &r->a, &nt);
	int rc = 0;
	if (!name)
		rc = refuse(r, "dpc new source needs a name: dpc new source NAME --table T");
	else if (!goodname(name))
		rc = refuse(r, "source name '%s' is not valid: %s", name, badname);
	else if (!nt)
		rc = refuse(r, "dpc new source %s needs --table T (once per table, or T1,T2)", name);
	else if (schema && !goodname(schema))
		rc = refuse(r, "schema '%s' is not valid: %s", schema, badname);
	for (size_t i = 0; !rc && i < nt; i++) {
		if (!goodname(tables[i]))
			rc = refuse(r, "table name '%s' is not valid: %s", tables[i], badname);
		for (size_t j = 0; !rc && j < i; j++)
			if (strcmp(tables[i], tables[j]) == 0)
				rc = refuse(r, "--table %s is given twice", tables[i]);
	}
	const char *sp = rc ? NULL : path2(r, "sources", name), *file = NULL;
	int line = 0;
	char *err = NULL;
	struct buf names = {0};
	for (size_t i = 0; i < nt; i++)
		buf_printf(&names, "%s%s", i ? ", " : "", tables[i]);
	if (!rc && sedit_exists(r->se, sp, &file, &line)) {
		/* new tables in a source that is there */
		if (schema || desc)
			rc = refuse(r, "source '%s' exists (%s:%d); --schema and --description apply to a new source: "
				       "change them in the spec", name, file, line);
		cJSON *null = cJSON_CreateNull();
		for (size_t i = 0; !rc && i < nt; i++) {
			const char *tp = arena_printf(&r->a, "%s/tables/%s", sp, tok(r, tables[i]));
			const char *tf;
			int tl;
			if (sedit_exists(r->se, tp, &tf, &tl))
				rc = refuse(r, "table '%s' is already in source '%s', at %s:%d", tables[i], name, tf, tl);
			else if (!sedit_add(r->se, tp, null, NULL, &err))
				rc = refuse(r, "%s", err);
		}
		cJSON_Delete(null);
		if (!rc)
			say(r, "%s: added table%s %s to source %s", file, nt == 1 ? "" : "s", names.data, name);
	} else if (!rc) {
		cJSON *e = obj();
		if (desc)
			cJSON_AddStringToObject(e, "description", desc);
		if (schema)
			cJSON_AddStringToObject(e, "schema", schema);
		cJSON *t = cJSON_AddObjectToObject(e, "tables");
		for (size_t i = 0; i < nt; i++)
			cJSON_AddNullToObject(t, tables[i]);
		if (!sedit_add(r->se, sp, e, NULL, &err))
			rc = refuse(r, "%s", err);
		else
			say(r, "%s: added source %s (schema %s) with table%s %s", where(r, sp), name, schema ? schema : name,
			    nt == 1 ? "" : "s", names.data);
		cJSON_Delete(e);
	}
	if (!rc)
		r->next = xasprintf("read it in a model: dpc new model stg_%s_%s --from %s.%s; then dpc build", name,
				    tables[0], name, tables[0]);
	buf_free(&names);
	free(err);
	free(tables);
	return rc;
}

/* "a unique test", "an accepted_values test" */
static const char *
article(const char *kind)
{
	return kind[0] == 'a' ? "an" : "a";
}

static const char *const testkinds[] = {"unique", "not_null", "accepted_values", "relationships", "row_count"};

/* the spec path of what TARGET names (a model, seed or source table), and
 * the column it names, if any; 0 or a refusal */
static int
testtarget(struct run *r, const char *target, const char **node, const char **column, bool *seed)
{
	const struct spec *s = r->base.spec;
	char *parts[3] = {0};
	size_t n = 0;
	for (const char *p = target; n < 3;) {
		size_t l = strcspn(p, ".");
		parts[n++] = arena_strndup(&r->a, p, l);
		p += l;
		if (!*p)
			break;
		p++;
		if (n == 3)
			return refuse(r, "'%s' names too much: MODEL, MODEL.COLUMN, SEED.COLUMN, SOURCE.TABLE or "
					 "SOURCE.TABLE.COLUMN", target);
	}
	*seed = false;
	*column = NULL;
	for (size_t i = 0; i < s->nmodels && n <= 2; i++)
		if (strcmp(s->models[i].name, parts[0]) == 0) {
			*node = path2(r, "models", parts[0]);
			*column = n == 2 ? parts[1] : NULL;
			return 0;
		}
	for (size_t i = 0; i < s->nseeds && n <= 2; i++)
		if (strcmp(s->seeds[i].name, parts[0]) == 0) {
			*node = path2(r, "seeds", parts[0]);
			*column = n == 2 ? parts[1] : NULL;
			*seed = true;
			return 0;
		}
	for (size_t i = 0; i < s->nsources && n >= 2; i++) {
		const struct spec_source *src = &s->sources[i];
		if (strcmp(src->name, parts[0]) != 0)
			continue;
		for (size_t j = 0; j < src->ntables; j++)
			if (strcmp(src->tables[j].name, parts[1]) == 0) {
				*node = arena_printf(&r->a, "%s/tables/%s", path2(r, "sources", parts[0]), tok(r, parts[1]));
				*column = n == 3 ? parts[2] : NULL;
				return 0;
			}
	}
	/* a did-you-mean over what tests may name */
	size_t nn = 0;
	const char **names = xreallocarray(NULL, s->nmodels + s->nseeds + 1, sizeof(*names));
	for (size_t i = 0; i < s->nmodels; i++)
		names[nn++] = s->models[i].name;
	for (size_t i = 0; i < s->nseeds; i++)
		names[nn++] = s->seeds[i].name;
	size_t nf;
	const char **all = fromnames(r, s, &nf);
	for (size_t i = 0; i < nf; i++)
		if (strchr(all[i], '.')) {
			names = xreallocarray(names, nn + 1, sizeof(*names));
			names[nn++] = all[i];
		}
	const char *key = n >= 2 && !strchr(parts[0], '.') ? arena_printf(&r->a, "%s.%s", parts[0], parts[1]) : parts[0];
	const char *h = did_you_mean(key, names, nn);
	if (!h)
		h = did_you_mean(parts[0], names, nn);
	bool table = false;
	for (size_t i = 0; i < s->napptables; i++)
		table |= strcmp(s->apptables[i].name, parts[0]) == 0;
	int rc = table ? refuse(r, "'%s' is a table of tables:; its constraints (primary_key, unique, nullable, "
				   "check, references) are its tests: dpc new test takes a model, a seed or a source table",
				parts[0])
		       : refuse(r, "no model, seed or source table is named '%s'%s%s%s", target, h ? "; did you mean '" : "",
				h ? h : "", h ? "'?" : "");
	free(names);
	free(all);
	return rc;
}

/* does list (a JSON array of tests) hold a test of kind k (or one equal to v)? */
static bool
hastest(const cJSON *list, const char *k, const cJSON *v)
{
	const cJSON *t;
	cJSON_ArrayForEach(t, list)
	{
		if (cJSON_Compare(t, v, true))
			return true;
		bool same = (cJSON_IsString(t) && strcmp(t->valuestring, k) == 0) ||
			    (cJSON_IsObject(t) && t->child && strcmp(t->child->string, k) == 0);
		if (same && (strcmp(k, "unique") == 0 || strcmp(k, "not_null") == 0 || strcmp(k, "row_count") == 0))
			return true;
	}
	return false;
}

/* a number for --min and --max: a whole number, 0 or more */
static bool
count(const char *s, double *out)
{
	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 15)
		return false;
	*out = strtod(s, NULL);
	return true;
}

static int
newtest(struct run *r, const struct args *a)
{
	const char *target = a->pos[0], *kind = a->pos[1], *to = opt(a, "--to"), *sev = opt(a, "--severity");
	const char *smin = opt(a, "--min"), *smax = opt(a, "--max");
	if (!target || !kind)
		return refuse(r, "dpc new test needs what to test and the test: dpc new test MODEL.COLUMN unique");
	size_t k = 0;
	while (k < LEN(testkinds) && strcmp(kind, testkinds[k]) != 0)
		k++;
	if (k == LEN(testkinds)) {
		const char *h = did_you_mean(kind, testkinds, LEN(testkinds));
		return refuse(r, "unknown test '%s' (unique, not_null, accepted_values, relationships, row_count)%s%s%s",
			      kind, h ? "; did you mean '" : "", h ? h : "", h ? "'?" : "");
	}
	if (sev && strcmp(sev, "warn") != 0 && strcmp(sev, "error") != 0)
		return refuse(r, "--severity takes warn or error, not '%s'", sev);
	const char *node = NULL, *column = NULL;
	bool seed = false;
	int rc = testtarget(r, target, &node, &column, &seed);
	if (rc)
		return rc;
	bool rowcount = strcmp(kind, "row_count") == 0;
	if (rowcount && column)
		return refuse(r, "row_count counts the rows of a model or source table: dpc new test %.*s row_count",
			      (int)(strrchr(target, '.') - target), target);
	if (!rowcount && !column)
		return refuse(r, "%s tests a column: dpc new test %s.COLUMN %s", kind, target, kind);
	if (rowcount && seed)
		return refuse(r, "a seed takes tests on its columns only; row_count applies to models and source tables");
	if (column && !goodname(column))
		return refuse(r, "column name '%s' is not valid: %s", column, badname);
	size_t nv;
	const char **values = list(a, "--values", &r->a, &nv);
	double lo = -1, hi = -1;
	cJSON *args = obj(), *test = NULL;
	if (!strcmp(kind, "accepted_values") && !nv)
		rc = refuse(r, "accepted_values needs --values a,b,c");
	else if (strcmp(kind, "accepted_values") && nv)
		rc = refuse(r, "--values goes with accepted_values");
	else if (!strcmp(kind, "relationships") && !to)
		rc = refuse(r, "relationships needs --to MODEL.COLUMN (or SOURCE.TABLE.COLUMN)");
	else if (strcmp(kind, "relationships") && to)
		rc = refuse(r, "--to goes with relationships");
	else if (!rowcount && (smin || smax))
		rc = refuse(r, "--min and --max go with row_count");
	else if (rowcount && !smin && !smax)
		rc = refuse(r, "row_count needs --min N, --max N or both");
	else if ((smin && !count(smin, &lo)) || (smax && !count(smax, &hi)))
		rc = refuse(r, "--min and --max take a whole number of rows, 0 or more");
	else if (smin && smax && lo > hi)
		rc = refuse(r, "--min %s is more than --max %s", smin, smax);
	else if (to && (!strchr(to, '.') || to[strlen(to) - 1] == '.' || to[0] == '.'))
		rc = refuse(r, "--to '%s' must be MODEL.COLUMN or SOURCE.TABLE.COLUMN", to);
	if (!rc) {
		/* the short form ({accepted_values: [a, b]}) unless there is a
		 * severity, which needs the long one */
		if (!strcmp(kind, "accepted_values")) {
			cJSON *vals = cJSON_CreateArray();
			for (size_t i = 0; i < nv; i++) {
				bool num = strspn(values[i], "0123456789") == strlen(values[i]) && strlen(values[i]) < 16 &&
					   (values[i][0] != '0' || !values[i][1]);
				cJSON_AddItemToArray(vals, num ? cJSON_CreateNumber(strtod(values[i], NULL))
							       : cJSON_CreateString(values[i]));
			}
			if (sev)
				cJSON_AddItemToObject(args, "values", vals);
			else
				test = obj(), cJSON_AddItemToObject(test, kind, vals);
		} else if (!strcmp(kind, "relationships")) {
			const char *dot = strrchr(to, '.');
			if (sev) {
				cJSON_AddItemToObject(args, "to", cJSON_CreateString(arena_strndup(&r->a, to, (size_t)(dot - to))));
				cJSON_AddStringToObject(args, "field", dot + 1);
			} else {
				test = obj(), cJSON_AddStringToObject(test, kind, to);
			}
		} else if (rowcount) {
			if (smin)
				cJSON_AddNumberToObject(args, "min", lo);
			if (smax)
				cJSON_AddNumberToObject(args, "max", hi);
		}
		if (sev)
			cJSON_AddStringToObject(args, "severity", sev);
		if (!test && args->child)
			test = obj(), cJSON_AddItemToObject(test, kind, cJSON_Duplicate(args, true));
		else if (!test)
			test = cJSON_CreateString(kind);
	}
	char *err = NULL;
	const char *what = target; /* the column is part of it */
	if (!rc) {
		/* where the test goes: the column's tests, made as needed */
		const char *cols = arena_printf(&r->a, "%s/columns", node);
		const char *cp = column ? arena_printf(&r->a, "%s/%s", cols, tok(r, column)) : NULL;
		const char *tp = arena_printf(&r->a, "%s/tests", column ? cp : node);
		cJSON *have = sedit_get(r->se, tp), *col = cp ? sedit_get(r->se, cp) : NULL;
		cJSON *add = NULL;
		const char *at = tp, *file = "the spec";
		int line = 0;
		bool rep = false; /* at exists: it is replaced */
		if (have && !cJSON_IsArray(have) && !cJSON_IsNull(have)) {
			rc = refuse(r, "%s: its tests: is not a list in the spec; fix that first", what);
		} else if (have && hastest(have, kind, test)) {
			sedit_exists(r->se, tp, &file, &line);
			rc = refuse(r, "%s has %s %s test already (%s:%d)", what, article(kind), kind, file, line);
		} else if (have && cJSON_IsArray(have)) {
			at = arena_printf(&r->a, "%s/-", tp);
			add = cJSON_Duplicate(test, true);
		} else if (have) { /* tests: with nothing */
			add = cJSON_CreateArray();
			cJSON_AddItemToArray(add, cJSON_Duplicate(test, true));
			rep = true;
		} else if (column && col && !cJSON_IsString(col) && !cJSON_IsNull(col) && !cJSON_IsObject(col)) {
			rc = refuse(r, "%s: the column's entry is neither a type nor a mapping; fix that first", what);
		} else if (column && col && cJSON_IsString(col)) {
			/* `name: type`, the shorthand: the long form keeps the type */
			add = obj();
			cJSON_AddStringToObject(add, "type", col->valuestring);
			cJSON_AddItemToArray(cJSON_AddArrayToObject(add, "tests"), cJSON_Duplicate(test, true));
			at = cp;
			rep = true;
		} else if (column && col && cJSON_IsNull(col)) {
			add = obj();
			cJSON_AddItemToArray(cJSON_AddArrayToObject(add, "tests"), cJSON_Duplicate(test, true));
			at = cp;
			rep = true;
		} else if (column && !col) {
			add = obj();
			cJSON_AddItemToArray(cJSON_AddArrayToObject(add, "tests"), cJSON_Duplicate(test, true));
			at = cp;
			cJSON *cs = sedit_get(r->se, cols);
			if (!cs) {
				cJSON *wrap = obj();
				cJSON_AddItemToObject(wrap, column, add);
				add = wrap;
				at = cols;
			}
			cJSON_Delete(cs);
		} else {
			add = cJSON_CreateArray();
			cJSON_AddItemToArray(add, cJSON_Duplicate(test, true));
		}
		if (!rc && !(rep ? sedit_replace(r->se, at, add, &err) : sedit_add(r->se, at, add, NULL, &err)))
			rc = refuse(r, "%s", err);
		if (!rc)
			say(r, "%s: added %s %s test on %s", where(r, node), article(kind), kind, target);
		cJSON_Delete(have);
		cJSON_Delete(col);
		cJSON_Delete(add);
	}
	if (!rc)
		r->next = xstrdup("run dpc build, then dpc test");
	free(err);
	free(values);
	cJSON_Delete(args);
	cJSON_Delete(test);
	return rc;
}

/* the starter Python of a new asset */
static char *
startpy(const char *name, const char *fn, const char *desc, const char *const *deps, size_t ndeps)
{
	struct buf b = {0};
	buf_printf(&b, "\"\"\"%s: %s\n\n", name, desc ? desc : "a Python asset of the dpc project (assets: in the spec).");
	buf_printf(&b, "Dagster runs %s() when the asset materializes: it loads this file by its\n"
		       "path and passes the asset's context when the function takes an argument.\n"
		       "What it returns is the asset's value (a dagster.MaterializeResult records\n"
		       "metadata).",
		   fn);
	if (ndeps) {
		buf_puts(&b, " It runs after ");
		for (size_t i = 0; i < ndeps; i++)
			buf_printf(&b, "%s%s", i ? (i + 1 == ndeps ? " and " : ", ") : "", deps[i]);
		buf_putc(&b, '.');
	}
	buf_printf(&b, "\n\"\"\"\n\n\ndef %s(context):\n    context.log.info(\"%s: nothing to do yet\")\n", fn, name);
	return buf_take(&b);
}

static int
newasset(struct run *r, const struct args *a)
{
	const char *name = a->pos[0], *py = opt(a, "--python"), *fn = opt(a, "--function");
	const char *desc = opt(a, "--description"), *group = opt(a, "--group");
	size_t nd;
	const char **deps = list(a, "--deps", &r->a, &nd);
	int rc = 0;
	char *t = name && goodname(name) ? taken(r, name) : NULL;
	if (!name)
		rc = refuse(r, "dpc new asset needs a name: dpc new asset NAME --python PATH");
	else if (!goodname(name))
		rc = refuse(r, "asset name '%s' is not valid: %s", name, badname);
	else if (t)
		rc = refuse(r, "%s", t);
	else if (!py)
		rc = refuse(r, "dpc new asset %s needs --python PATH: the .py file it runs", name);
	else if (strlen(py) < 4 || strcmp(py + strlen(py) - 3, ".py") != 0)
		rc = refuse(r, "--python '%s' must name a .py file", py);
	else if (fn && !goodname(fn))
		rc = refuse(r, "function '%s' is not a Python name", fn);
	else if (group && !goodname(group))
		rc = refuse(r, "group '%s' is not valid: %s", group, badname);
	free(t);
	char *err = NULL, *text = NULL;
	const char *ap = name ? path2(r, "assets", name) : NULL;
	bool write = !rc && !exists(r->rootfd, py);
	if (!rc) {
		cJSON *e = obj();
		cJSON_AddStringToObject(e, "python", py);
		if (fn)
			cJSON_AddStringToObject(e, "function", fn);
		if (nd) {
			cJSON *d = cJSON_AddArrayToObject(e, "deps");
			for (size_t i = 0; i < nd; i++)
				cJSON_AddItemToArray(d, cJSON_CreateString(deps[i]));
		}
		if (desc)
			cJSON_AddStringToObject(e, "description", desc);
		if (group)
			cJSON_AddStringToObject(e, "group", group);
		if (!sedit_add(r->se, ap, e, NULL, &err))
			rc = refuse(r, "%s", err);
		cJSON_Delete(e);
	}
	if (write) {
		text = startpy(name, fn ? fn : name, desc, deps, nd);
		free(err);
		err = NULL;
		if (!rc && !sedit_file(r->se, py, text, strlen(text), false, &err))
			rc = refuse(r, "%s", err);
	}
	if (!rc) {
		say(r, write ? "%s: added asset %s, with a starter function %s() in %s"
			     : "%s: added asset %s, which calls %s() of %s as it is",
		    where(r, ap), name, fn ? fn : name, py);
		r->next = xasprintf("write %s() in %s, then run dpc build", fn ? fn : name, py);
	}
	free(err);
	free(text);
	free(deps);
	return rc;
}

/* the providers embeddings take, and the model each uses when none is named */
static const char *const providers[][2] = {
	{"openai", "text-embedding-3-small"},
	{"ollama", "nomic-embed-text"},
	{"voyage", "voyage-3.5"},
};

static int
vectorize(struct run *r, const struct args *a)
{
	const struct spec *s = r->base.spec;
	const char *table = a->pos[0], *text = opt(a, "--text"), *dims = opt(a, "--dimensions");
	const char *index = opt(a, "--index"), *prov = opt(a, "--provider"), *model = opt(a, "--model");
	const char *name = opt(a, "--name"), *key = opt(a, "--key");
	if (!table)
		return refuse(r, "dpc supabase vectorize needs a table or a model: dpc supabase vectorize "
				 "TABLE_OR_MODEL --text COLUMN --dimensions N");
	const struct spec_apptable *t = NULL;
	for (size_t i = 0; i < s->napptables; i++)
		if (strcmp(s->apptables[i].name, table) == 0)
			t = &s->apptables[i];
	struct from f = {0};
	bool pg = strcmp(s->warehouse.type, "postgres") == 0, frommodel = false;
	if (!t && findfrom(s, table, &f)) {
		static const char *const kinds[] = {"", "a model", "a seed", "a source table", ""};
		free(f.cols);
		frommodel = f.kind == F_MODEL;
		/* a model's rows are in Supabase only when dbt builds into it */
		if (frommodel && !pg)
			return refuse(r, "'%s' is a model, and the warehouse is %s, so its rows are not in Supabase, "
					 "where the vectors and match_<name> live. Embed a model with warehouse type "
					 "postgres (dbt building into the Supabase database), or keep the rows to search "
					 "in a table of tables: (write them there from an asset) and vectorize that table",
				      table, s->warehouse.type);
		if (!frommodel)
			return refuse(r, "'%s' is %s, and an embedding keeps vectors of a table of tables: or of a "
					 "model that dbt builds into Supabase (warehouse type postgres); %s is neither. "
					 "Keep the rows to search in a table of tables: (write them there from a model's "
					 "consumer or an asset) and vectorize that table",
				      table, kinds[f.kind], kinds[f.kind]);
		if (!key)
			return refuse(r, "dpc supabase vectorize %s needs --key COLUMN: a model has no primary key dpc "
					 "knows; name a column whose values are unique and not null", table);
	}
	if (!t && !frommodel) {
		const char **names = xreallocarray(NULL, s->napptables + 1, sizeof(*names));
		for (size_t i = 0; i < s->napptables; i++)
			names[i] = s->apptables[i].name;
		const char *h = did_you_mean(table, names, s->napptables);
		struct buf all = {0};
		for (size_t i = 0; i < s->napptables && i < 10; i++)
			buf_printf(&all, "%s%s", i ? ", " : " (tables: ", names[i]);
		buf_puts(&all, s->napptables > 10 ? ", ...)" : s->napptables ? ")" : "");
		int rc = refuse(r, "no table of tables:%s is named '%s'%s%s%s%s", pg ? " or model" : "", table,
				h ? "; did you mean '" : "", h ? h : "", h ? "'?" : all.data,
				s->napptables ? "" : " (the spec has no tables:; dpc init --supabase shows one)");
		buf_free(&all);
		free(names);
		return rc;
	}
	double n = 0;
	if (!text)
		return refuse(r, "dpc supabase vectorize %s needs --text COLUMN: the text to embed", table);
	if (!dims)
		return refuse(r, "dpc supabase vectorize %s needs --dimensions N: the length of the model's vectors "
				 "(1536 for text-embedding-3-small)", table);
	if (!count(dims, &n) || n < 1 || n > 16000)
		return refuse(r, "--dimensions takes a whole number from 1 to 16000, not '%s'", dims);
	if (index && strcmp(index, "hnsw") && strcmp(index, "ivfflat") && strcmp(index, "none"))
		return refuse(r, "--index takes hnsw, ivfflat or none, not '%s'", index);
	size_t pk = 0;
	if (prov) {
		while (pk < LEN(providers) && strcmp(prov, providers[pk][0]) != 0)
			pk++;
		if (pk == LEN(providers))
			return refuse(r, "--provider takes openai, ollama or voyage, not '%s'", prov);
	}
	const char *ename = name ? name : arena_printf(&r->a, "%s_embeddings", table);
	if (!goodname(ename))
		return refuse(r, "embedding name '%s' is not valid: %s", ename, badname);
	char *tk = taken(r, ename);
	if (tk) {
		int rc = refuse(r, "%s%s", tk, name ? "" : "; name the embedding with --name");
		free(tk);
		return rc;
	}
	cJSON *e = obj();
	cJSON_AddStringToObject(e, "from", table);
	cJSON_AddStringToObject(e, "text", text);
	if (key)
		cJSON_AddStringToObject(e, "key", key);
	cJSON_AddNumberToObject(e, "dimensions", n);
	if (index)
		cJSON_AddStringToObject(e, "index", index);
	if (prov || model) {
		cJSON *p = cJSON_AddObjectToObject(e, "provider");
		cJSON_AddStringToObject(p, "name", providers[pk][0]);
		cJSON_AddStringToObject(p, "model", model ? model : providers[pk][1]);
	}
	char *err = NULL;
	const char *ep = path2(r, "embeddings", ename);
	int rc = 0;
	if (!sedit_add(r->se, ep, e, path2(r, frommodel ? "models" : "tables", table), &err))
		rc = refuse(r, "%s", err);
	else
		say(r, "%s: added embedding %s of %s.%s (%.0f dimensions)", where(r, ep), ename, table, text, n);
	if (!rc)
		r->next = xasprintf("run dpc build: it writes the migration (the vector table, its index, "
				    "match_%s) and the Dagster asset that fills it%s", ename,
				    frommodel ? ", after the model" : "");
	free(err);
	cJSON_Delete(e);
	return rc;
}

/* ---- the kinds' table and help ---- */

static const struct optdef modelopts[] = {
	{"--from", true, false}, {"--materialized", true, false}, {"--layer", true, false},
	{"--sql", true, false}, {"--description", true, false}, {"--dry-run", false, false},
};
static const struct optdef sourceopts[] = {
	{"--table", true, true}, {"--schema", true, false}, {"--description", true, false},
	{"--dry-run", false, false},
};
static const struct optdef testopts[] = {
	{"--values", true, true}, {"--to", true, false}, {"--min", true, false}, {"--max", true, false},
	{"--severity", true, false}, {"--dry-run", false, false},
};
static const struct optdef assetopts[] = {
	{"--python", true, false}, {"--deps", true, true}, {"--function", true, false},
	{"--description", true, false}, {"--group", true, false}, {"--dry-run", false, false},
};
static const struct optdef vectorizeopts[] = {
	{"--text", true, false}, {"--dimensions", true, false}, {"--index", true, false},
	{"--provider", true, false}, {"--model", true, false}, {"--name", true, false},
	{"--key", true, false}, {"--dry-run", false, false},
};

static const struct kind {
	const char *name;
	int (*run)(struct run *, const struct args *);
	const struct optdef *opts;
	size_t nopts;
	size_t npos;      /* positional arguments it takes */
	const char *help;
} kinds[] = {
	{"model", newmodel, modelopts, LEN(modelopts), 1,
	 "usage: dpc new model NAME [--from NODE] [--materialized view|table|incremental|ephemeral]\n"
	 "                          [--layer LAYER] [--sql PATH] [--description TEXT] [--dry-run]\n"
	 "\n"
	 "Adds models.NAME to the spec: in the file that holds the most models of its layer;\n"
	 "else in the file of --from's entry when --from is a model; else in the file that\n"
	 "holds the most models (the root spec when none does).\n"
	 "Writes a starter SQL file that selects --from's columns as the spec lists them (else\n"
	 "select *) from {{ ref() }} or {{ source() }}. --from takes a model, a seed, a table\n"
	 "of tables: or SOURCE.TABLE (no --from: a placeholder SELECT). The file goes beside\n"
	 "the models of its layer (--layer, else the layer its name's prefix gives: stg_\n"
	 "staging, int_ intermediate, fct_ and dim_ marts); else into the layer's folder when\n"
	 "the project names folders after layers; else beside the other models; else\n"
	 "sql/<layer>/NAME.sql. --sql PATH names it, and an existing file there becomes the\n"
	 "model's SQL as it is. A name already in use is refused, saying where.\n"},
	{"source", newsource, sourceopts, LEN(sourceopts), 1,
	 "usage: dpc new source NAME --table T [--table T2 | --table T2,T3 ...] [--schema S]\n"
	 "                           [--description TEXT] [--dry-run]\n"
	 "\n"
	 "Adds sources.NAME with its tables (schema: S; the source's name when left out), or,\n"
	 "when source NAME exists, adds the tables to it. Models read them with\n"
	 "{{ source('NAME', 'T') }}.\n"},
	{"test", newtest, testopts, LEN(testopts), 2,
	 "usage: dpc new test TARGET KIND [--values a,b] [--to NODE.COLUMN] [--min N] [--max N]\n"
	 "                              [--severity warn|error] [--dry-run]\n"
	 "\n"
	 "TARGET is MODEL.COLUMN, SEED.COLUMN or SOURCE.TABLE.COLUMN; for row_count, MODEL or\n"
	 "SOURCE.TABLE. KIND is unique, not_null, accepted_values (--values), relationships\n"
	 "(--to MODEL.COLUMN or SOURCE.TABLE.COLUMN) or row_count (--min, --max). The test is\n"
	 "added to the column's tests: (the column's entry is made when the spec has none).\n"},
	{"asset", newasset, assetopts, LEN(assetopts), 1,
	 "usage: dpc new asset NAME --python PATH [--deps a,b] [--function F] [--description TEXT]\n"
	 "                          [--group G] [--dry-run]\n"
	 "\n"
	 "Adds assets.NAME: Dagster runs function F (default: NAME) of the .py file PATH.\n"
	 "When PATH does not exist, writes it with a starter function. --deps names models,\n"
	 "seeds, tables, embeddings, assets or SOURCE.TABLE that run before it.\n"},
};

static const struct kind vectorizekind = {
	"vectorize", vectorize, vectorizeopts, LEN(vectorizeopts), 1,
	"usage: dpc supabase vectorize TABLE_OR_MODEL --text COLUMN --dimensions N [--index hnsw|ivfflat|none]\n"
	"                              [--provider openai|ollama|voyage] [--model M] [--name NAME]\n"
	"                              [--key COLUMN] [--dry-run]\n"
	"\n"
	"Adds an embedding of TABLE's text COLUMN (embeddings.NAME, default TABLE_embeddings,\n"
	"in the file of TABLE's entry): a pgvector table kept in step with TABLE, its index and\n"
	"match_NAME() for search by meaning. TABLE is a table of tables:, or a model when the\n"
	"warehouse is postgres (dbt builds into the Supabase database); a model needs --key\n"
	"COLUMN, its unique key. A model in a sqlite or duckdb warehouse, a seed or a source\n"
	"table is refused (its rows are not in Supabase). The provider defaults to\n"
	"openai's text-embedding-3-small; ollama's default model is nomic-embed-text,\n"
	"voyage's voyage-3.5.\n"};

static const char newhelp[] =
	"usage: dpc new model|source|test|asset ... [--dry-run]\n"
	"\n"
	"  dpc new model NAME [--from NODE] [--materialized M] [--layer L] [--sql PATH]\n"
	"  dpc new source NAME --table T [--table T2 ...] [--schema S]\n"
	"  dpc new test TARGET KIND [--values a,b] [--to NODE.COLUMN] [--min N] [--max N]\n"
	"  dpc new asset NAME --python PATH [--deps a,b] [--function F]\n"
	"\n"
	"Each adds to the spec, keeping every comment, blank line and quote it does not\n"
	"touch, and writes the starter SQL or Python file a new model or asset needs (never\n"
	"over an existing file). The edited project is compiled first: an edit that would\n"
	"not compile is refused with its errors, exit 2, and nothing is written. --dry-run\n"
	"prints the diff and writes nothing; --format json prints one JSON document with\n"
	"changes, diff and diagnostics. dpc new KIND --help says more (docs/edit.md).\n";

/* ---- the run ---- */

static void
changes(struct run *r, bool written)
{
	const struct sedit_change *v;
	size_t n = sedit_changes(r->se, &v);
	if (r->doc) {
		cJSON *arr = cJSON_AddArrayToObject(r->doc, "changes");
		for (size_t i = 0; i < n; i++) {
			cJSON *c = obj();
			cJSON_AddStringToObject(c, "path", v[i].path);
			cJSON_AddStringToObject(c, "action", v[i].old ? "update" : "create");
			cJSON_AddItemToArray(arr, c);
		}
		char *d = sedit_diff(r->se);
		cJSON_AddStringToObject(r->doc, "diff", d);
		free(d);
		cJSON_AddBoolToObject(r->doc, "written", written);
		return;
	}
	if (r->dry) {
		char *d = sedit_diff(r->se);
		fputs(d, stdout);
		free(d);
	}
}

/* compile the project as it is, then the edit; write it unless --dry-run */
static int
edit(struct run *r, const struct kind *k, const struct args *a)
{
	struct opts *o = r->o;
	char *err = NULL;
	r->se = sedit_open(r->rootfd, o->dir, o->spec, &err);
	if (!r->se) {
		int rc = refuse(r, "%s", err);
		free(err);
		return rc;
	}
	struct compile_options co = {.allow_destructive = false};
	r->hasbase = true;
	if (!compile_run_with(&r->base, o->dir, r->rootfd, o->spec, &co, NULL)) {
		if (r->doc) {
			cJSON_AddItemToObject(r->doc, "diagnostics", diag_json(&r->base.diags));
		} else {
			diag_print(&r->base.diags, stderr, o->color, 100);
		}
		return refuse(r, "the project has %zu error%s as it is; fix %s first: an edit is checked by compiling it",
			      r->base.diags.nerrors, r->base.diags.nerrors == 1 ? "" : "s",
			      r->base.diags.nerrors == 1 ? "it" : "them");
	}
	int rc = k->run(r, a);
	if (rc) {
		if (r->doc)
			cJSON_AddItemToObject(r->doc, "diagnostics", cJSON_CreateArray());
		return rc;
	}
	struct compilation c;
	bool ok = sedit_compile(r->se, &c, &co);
	size_t nerrors = c.diags.nerrors;
	if (r->doc)
		cJSON_AddItemToObject(r->doc, "diagnostics", diag_json(&c.diags));
	else
		diag_print(&c.diags, stderr, o->color, 100);
	compile_free(&c);
	if (!ok) {
		changes(r, false);
		if (!r->doc)
			fprintf(stderr, "dpc: the spec with this edit has %zu error%s; nothing was written\n", nerrors,
				nerrors == 1 ? "" : "s");
		return 2;
	}
	if (r->dry) {
		changes(r, false);
		if (!r->doc)
			fputs("dpc: --dry-run: nothing was written\n", stderr);
		return 0;
	}
	/* what changes, before the write makes it the starting point */
	const struct sedit_change *v;
	size_t n = sedit_changes(r->se, &v);
	char **paths = xreallocarray(NULL, n + 1, sizeof(*paths));
	bool *made = xcalloc(n + 1, sizeof(*made));
	for (size_t i = 0; i < n; i++)
		paths[i] = xstrdup(v[i].path), made[i] = !v[i].old;
	if (r->doc) {
		changes(r, true);
	}
	if (!sedit_write(r->se, &err)) {
		if (r->doc) {
			cJSON_ReplaceItemInObjectCaseSensitive(r->doc, "written", cJSON_CreateBool(false));
			cJSON_AddStringToObject(r->doc, "error", err);
		} else {
			fprintf(stderr, "dpc: %s\n", err);
		}
		rc = 1;
	} else if (!r->doc) {
		for (const char *l = r->said.data; l && *l;) {
			size_t len = strcspn(l, "\n");
			printf("dpc: %.*s\n", (int)len, l);
			l += len + (l[len] == '\n');
		}
		for (size_t i = 0; i < n; i++)
			printf("  %-7s %s\n", made[i] ? "create" : "update", paths[i]);
		if (r->next)
			printf("next: %s\n", r->next);
	}
	if (r->doc && r->next && !rc)
		cJSON_AddStringToObject(r->doc, "next", r->next);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(made);
	free(err);
	return rc;
}

static int
runkind(struct opts *o, const char *cmd, const struct kind *k, char **argv, int argc)
{
	struct run r = {.o = o, .rootfd = -1};
	r.doc = json(o) ? newdoc(cmd) : NULL;
	if (r.doc)
		cJSON_AddStringToObject(r.doc, strcmp(cmd, "new") == 0 ? "kind" : "subcommand", k->name);
	struct args a;
	bool help = false;
	char *err = NULL;
	int rc = 0;
	if (!parseargs(&a, k->opts, k->nopts, argv, argc, &help, &err)) {
		rc = refuse(&r, "%s %s: %s (dpc %s %s --help)", cmd, k->name, err, cmd, k->name);
	} else if (help) {
		if (r.doc) {
			cJSON_AddStringToObject(r.doc, "help", k->help);
		} else {
			fputs(k->help, stdout);
		}
	} else if (a.npos > k->npos) {
		rc = refuse(&r, "%s %s: unexpected argument '%s' (dpc %s %s --help)", cmd, k->name, a.pos[k->npos], cmd,
			    k->name);
	} else if ((r.rootfd = openroot(o, r.doc)) < 0) {
		rc = 1;
	} else {
		r.dry = opt(&a, "--dry-run") != NULL;
		if (r.doc)
			cJSON_AddBoolToObject(r.doc, "dry_run", r.dry);
		rc = edit(&r, k, &a);
	}
	free(err);
	args_free(&a);
	if (r.hasbase)
		compile_free(&r.base);
	sedit_free(r.se);
	if (r.rootfd >= 0)
		close(r.rootfd);
	arena_free(&r.a);
	buf_free(&r.said);
	free(r.next);
	return r.doc ? finish(r.doc, rc) : rc;
}

/* a bare `dpc new` or `dpc supabase`, or a word that is no kind */
static int
nokind(struct opts *o, const char *cmd, const char *word, const char *const *names, size_t n, const char *help)
{
	bool asked = word && (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0);
	if (asked || !word) {
		if (json(o)) {
			cJSON *doc = newdoc(cmd);
			cJSON_AddStringToObject(doc, "help", help);
			if (!asked)
				cJSON_AddStringToObject(doc, "error", "name what to add");
			return finish(doc, asked ? 0 : 2);
		}
		fputs(help, asked ? stdout : stderr);
		return asked ? 0 : 2;
	}
	const char *h = did_you_mean(word, names, n);
	char *msg = xasprintf("%s: unknown kind '%s'%s%s%s (dpc %s --help)", cmd, word, h ? "; did you mean '" : "",
			      h ? h : "", h ? "'?" : "", cmd);
	int rc = 2;
	if (json(o)) {
		cJSON *doc = newdoc(cmd);
		cJSON_AddStringToObject(doc, "error", msg);
		rc = finish(doc, 2);
	} else {
		fprintf(stderr, "dpc: %s\n", msg);
	}
	free(msg);
	return rc;
}

int
cmd_new(struct opts *o)
{
	const char *word = o->nrest ? o->rest[0] : NULL;
	const char *names[LEN(kinds)];
	for (size_t i = 0; i < LEN(kinds); i++) {
		names[i] = kinds[i].name;
		if (word && strcmp(word, kinds[i].name) == 0)
			return runkind(o, "new", &kinds[i], o->rest + 1, o->nrest - 1);
	}
	return nokind(o, "new", word, names, LEN(names), newhelp);
}

int
cmd_supabase(struct opts *o)
{
	const char *word = o->nrest ? o->rest[0] : NULL;
	if (word && strcmp(word, "vectorize") == 0)
		return runkind(o, "supabase", &vectorizekind, o->rest + 1, o->nrest - 1);
	static const char *const names[] = {"vectorize"};
	static const char help[] =
		"usage: dpc supabase vectorize TABLE_OR_MODEL --text COLUMN --dimensions N [options]\n"
		"\n"
		"  vectorize   add a pgvector embedding of a table's text column (embeddings:);\n"
		"              dpc supabase vectorize --help says more\n";
	return nokind(o, "supabase", word, names, LEN(names), help);
}
