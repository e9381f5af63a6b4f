/* analyze_spec.c: the pipeline.yaml `dpc analyze --emit-spec` proposes for
 * what the analysis found, written with libyaml's emitter (yamlout.c).
 *
 * For a dbt project the proposal is exact enough that `dpc build` gives back
 * the same models with the same SQL (each model's sql: is its own file, so
 * its config() and Jinja stay as they are), the same sources with their
 * freshness, the same seeds and the same tests. dbt settings a spec does not
 * have are left out with a warning: a test other than the four the spec
 * knows, a name that is not an identifier, a freshness in seconds. Dagster
 * assets become assets: with their dependencies on what the proposal holds.
 *
 * Every path is relative to the folder analyzed: the proposal belongs at
 * its root. Nothing here touches the disk. */
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "emit.h"

struct sp {
	struct analysis *an;
	struct yw w;
	struct strmap names;    /* models, seeds and assets proposed (their namespace) → which */
	struct strmap srcnames; /* sources proposed → which */
	struct strmap sources;  /* "source.table" of the source tables proposed */
	struct strmap tests;    /* singular tests proposed */
	struct strmap byid;     /* a graph node's id → the name the spec knows it by */
};

/* is name an identifier? if not, a warning says what is left out */
static bool
ident(struct sp *s, const char *name, struct an_at at, const char *what)
{
	if (an_ident(name))
		return true;
	an_warn(s->an, at, "%s '%s' is not an identifier a spec accepts; left out of the proposal", what, name);
	return false;
}

/* the layer dpc gives a model by its name's prefix (spec.md, models) */
static const char *
defaultlayer(const char *name)
{
	static const char *const prefixes[][2] = {{"stg_", "staging"}, {"int_", "intermediate"}, {"fct_", "marts"},
						  {"dim_", "marts"}, {"mart_", "marts"}, {"rpt_", "reports"}};
	for (size_t i = 0; i < LEN(prefixes); i++)
		if (strncmp(name, prefixes[i][0], strlen(prefixes[i][0])) == 0)
			return prefixes[i][1];
	return "marts";
}

/* ---- tests ---- */

static const char *const testnames[] = {"unique", "not_null", "accepted_values", "relationships", "row_count"};

/* can the spec hold this test, with what the proposal has? */
static bool
testok(struct sp *s, const struct dbt_test *t)
{
	if (t->kind != T_RELATIONSHIPS)
		return true;
	bool there = strchr(t->to, '.') ? strmap_get(&s->sources, t->to) != NULL : strmap_get(&s->names, t->to) != NULL;
	if (!there) {
		an_warn(s->an, t->at, "relationships to '%s', which the proposal does not hold; left out", t->to);
		return false;
	}
	if (!an_ident(t->field)) {
		an_warn(s->an, t->at, "relationships field '%s' is not an identifier; left out", t->field);
		return false;
	}
	return true;
}

static void
testitem(struct sp *s, const struct dbt_test *t)
{
	struct yw *w = &s->w;
	bool args = t->kind == T_ACCEPTED_VALUES || t->kind == T_RELATIONSHIPS || t->kind == T_ROW_COUNT;
	if (!args && !t->column && !t->severity && !t->where) {
		yw_str(w, testnames[t->kind]);
		return;
	}
	yw_map(w);
	yw_str(w, testnames[t->kind]);
	yw_map(w);
	yw_kv(w, "column", t->column);
	if (t->kind == T_ACCEPTED_VALUES) {
		yw_str(w, "values");
		yw_node(w, t->values);
		if (t->quote >= 0) {
			yw_str(w, "quote");
			yw_bool(w, t->quote);
		}
	} else if (t->kind == T_RELATIONSHIPS) {
		yw_kv(w, "to", t->to);
		yw_kv(w, "field", t->field);
	} else if (t->kind == T_ROW_COUNT) {
		if (t->min >= 0) {
			yw_str(w, "min");
			yw_int(w, t->min);
		}
		if (t->max >= 0) {
			yw_str(w, "max");
			yw_int(w, t->max);
		}
	}
	yw_kv(w, "severity", t->severity);
	yw_kv(w, "where", t->where);
	yw_endmap(w);
	yw_endmap(w);
}

static void
tests(struct sp *s, const struct dbt_test *t, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += testok(s, &t[i]);
	if (!k)
		return;
	yw_str(&s->w, "tests");
	yw_seq(&s->w);
	for (size_t i = 0; i < n; i++)
		if (testok(s, &t[i]))
			testitem(s, &t[i]);
	yw_endseq(&s->w);
}

/* the columns of a model, seed or source table; header, when given, limits
 * them to the CSV's columns */
static void
columns(struct sp *s, const struct dbt_column *c, size_t n, const struct an_seedres *header)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!ident(s, c[i].name, c[i].at, "column"))
			continue;
		bool inheader = !header;
		for (size_t k = 0; header && k < header->ncols && !inheader; k++)
			inheader = strcmp(header->cols[k], c[i].name) == 0;
		if (!inheader) {
			an_warn(s->an, c[i].at, "column '%s' is not in the seed's CSV header; left out", c[i].name);
			continue;
		}
		if (!any) {
			yw_str(&s->w, "columns");
			yw_map(&s->w);
			any = true;
		}
		yw_str(&s->w, c[i].name);
		yw_map(&s->w);
		yw_kv(&s->w, "type", c[i].type);
		yw_kv(&s->w, "description", c[i].description);
		/* old (severity in seconds, ...) tests were warned about when read */
		tests(s, c[i].tests, c[i].ntests);
		yw_endmap(&s->w);
	}
	if (any)
		yw_endmap(&s->w);
}

static void
taglist(struct sp *s, const char *const *tags, size_t n, struct an_at at)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += an_ident(tags[i]);
	if (k < n)
		an_warn(s->an, at, "tags that are not identifiers are left out of the proposal");
	if (!k)
		return;
	yw_str(&s->w, "tags");
	yw_flowseq(&s->w);
	for (size_t i = 0; i < n; i++)
		if (an_ident(tags[i]))
			yw_str(&s->w, tags[i]);
	yw_endseq(&s->w);
}

/* ---- sources ---- */

/* freshness as the spec says it: field and durations, or nothing */
struct fresh {
	bool on;
	const char *field, *warn, *error, *filter;
};

static bool
samefresh(const struct fresh *a, const struct fresh *b)
{
	if (a->on != b->on)
		return false;
	if (!a->on)
		return true;
#define EQ(x) ((!a->x && !b->x) || (a->x && b->x && strcmp(a->x, b->x) == 0))
	return EQ(field) && EQ(warn) && EQ(error) && EQ(filter);
#undef EQ
}

static struct fresh
effective(struct sp *s, const struct dbt_fresh *f, const char *field, struct an_at at)
{
	struct fresh out = {0};
	if (!f->set || f->disabled)
		return out;
	if (!field) {
		an_warn(s->an, at, "freshness without loaded_at_field: a spec needs the field; left out");
		return out;
	}
	if (!an_ident(field)) {
		an_warn(s->an, at, "loaded_at_field '%s' is not an identifier; freshness left out", field);
		return out;
	}
	return (struct fresh){true, field, f->warn, f->error, f->filter};
}

static void
freshmap(struct sp *s, const struct fresh *f)
{
	yw_str(&s->w, "freshness");
	yw_map(&s->w);
	yw_kv(&s->w, "field", f->field);
	yw_kv(&s->w, "warn_after", f->warn);
	yw_kv(&s->w, "error_after", f->error);
	yw_kv(&s->w, "filter", f->filter);
	yw_endmap(&s->w);
}

/* one source of the proposal (its tables were chosen by choose()) */
static void
source(struct sp *s, const struct dbt_source *src)
{
	struct analysis *an = s->an;
	yw_str(&s->w, src->name);
	yw_map(&s->w);
	yw_kv(&s->w, "description", src->description);
	if (src->schema && an_ident(src->schema))
		yw_kv(&s->w, "schema", src->schema);
	else if (src->schema)
		an_warn(an, src->at, "schema '%s' is not an identifier; left out (the schema is the source's name)",
			src->schema);
	yw_kv(&s->w, "database", src->database);
	struct fresh top = effective(s, &src->fresh, src->field, src->at);
	if (top.on)
		freshmap(s, &top);
	taglist(s, src->tags, src->ntags, src->at);
	yw_str(&s->w, "tables");
	yw_map(&s->w);
	for (size_t k = 0; k < src->ntables; k++) {
		const struct dbt_stable *t = &src->tables[k];
		if (!strmap_get(&s->sources, arena_printf(&an->a, "%s.%s", src->name, t->name)))
			continue;
		yw_str(&s->w, t->name);
		yw_map(&s->w);
		yw_kv(&s->w, "description", t->description);
		yw_kv(&s->w, "identifier", t->identifier);
		/* a table's freshness replaces its source's in a spec; in dbt it
		 * inherits the field and the durations it does not give */
		const struct dbt_fresh *f = t->fresh.set ? &t->fresh : &src->fresh;
		struct fresh mine = {0};
		if (f->set && !f->disabled && (t->fresh.set || t->field))
			mine = effective(s, f, t->field ? t->field : src->field, t->at);
		else if (f->set && !f->disabled)
			mine = top;
		if (!samefresh(&mine, &top)) {
			if (mine.on) {
				freshmap(s, &mine);
			} else {
				yw_str(&s->w, "freshness");
				yw_null(&s->w);
			}
		}
		taglist(s, t->tags, t->ntags, t->at);
		columns(s, t->cols, t->ncols, NULL);
		tests(s, t->tests, t->ntests);
		yw_endmap(&s->w);
	}
	yw_endmap(&s->w);
	yw_endmap(&s->w);
}

static void
model(struct sp *s, const struct dbt_model *m)
{
	yw_str(&s->w, m->name);
	yw_map(&s->w);
	yw_kv(&s->w, "sql", m->path);
	if (m->props)
		yw_kv(&s->w, "description", m->props->description);
	/* view is the default of dbt and of a spec alike */
	if (m->materialized && strcmp(m->materialized, "view") != 0)
		yw_kv(&s->w, "materialized", m->materialized);
	/* the folder under models/ it lives in, when dpc would not choose it */
	if (m->layer && an_ident(m->layer) && strcmp(m->layer, defaultlayer(m->name)) != 0)
		yw_kv(&s->w, "layer", m->layer);
	if (m->props) {
		columns(s, m->props->cols, m->props->ncols, NULL);
		tests(s, m->props->tests, m->props->ntests);
	}
	yw_endmap(&s->w);
}

static void
seed(struct sp *s, const struct dbt_seed *sd)
{
	yw_str(&s->w, sd->name);
	yw_map(&s->w);
	yw_kv(&s->w, "csv", sd->path);
	if (sd->props) {
		yw_kv(&s->w, "description", sd->props->description);
		if (sd->props->delimiter && strlen(sd->props->delimiter) == 1)
			yw_kv(&s->w, "delimiter", sd->props->delimiter);
		/* the header was split at commas: with another delimiter, trust the properties */
		columns(s, sd->props->cols, sd->props->ncols, sd->props->delimiter ? NULL : sd->csv);
	}
	yw_endmap(&s->w);
}

/* decide what the proposal holds, warning once about what it cannot */
static void
choose(struct sp *s)
{
	struct analysis *an = s->an;
	for (size_t pi = 0; pi < an->nprojs; pi++) {
		struct dbt_project *p = an->projs[pi];
		for (size_t i = 0; i < p->nseeds + p->nmodels; i++) {
			bool isseed = i < p->nseeds;
			const char *name = isseed ? p->seeds[i].name : p->models[i - p->nseeds].name;
			struct an_at at = isseed ? p->seeds[i].at : p->models[i - p->nseeds].at;
			const char *kind = isseed ? "dbt_seed" : "dbt_model";
			if (!ident(s, name, at, isseed ? "seed" : "model"))
				continue;
			if (strmap_get(&s->names, name)) {
				an_warn(an, at, "a second model or seed named '%s'; left out of the proposal", name);
				continue;
			}
			strmap_put(&s->names, name, (void *)(isseed ? &p->seeds[i] : (void *)&p->models[i - p->nseeds]));
			const char *id = an_find(an, kind, name);
			if (id)
				strmap_put(&s->byid, id, (void *)name);
		}
		for (size_t i = 0; i < p->nsources; i++) {
			const struct dbt_source *src = p->sources[i];
			if (!ident(s, src->name, src->at, "source"))
				continue;
			if (strmap_get(&s->srcnames, src->name)) {
				an_warn(an, src->at, "a second source '%s'; left out of the proposal", src->name);
				continue;
			}
			size_t n = 0;
			for (size_t k = 0; k < src->ntables; k++) {
				const struct dbt_stable *t = &src->tables[k];
				if (!ident(s, t->name, t->at, "source table"))
					continue;
				const char *tid = arena_printf(&an->a, "%s.%s", src->name, t->name);
				if (strmap_get(&s->sources, tid))
					continue;
				strmap_put(&s->sources, tid, (void *)1);
				const char *id = an_find(an, "dbt_source", tid);
				if (id)
					strmap_put(&s->byid, id, (void *)tid);
				n++;
			}
			if (n)
				strmap_put(&s->srcnames, src->name, (void *)src);
			else
				an_warn(an, src->at, "source '%s' has no table a spec can hold; left out", src->name);
		}
	}
	/* Dagster assets whose names are identifiers and free */
	for (size_t i = 0; i < an->nnodes; i++) {
		const struct an_node *n = &an->nodes[i];
		if (strcmp(n->kind, "dagster_asset") != 0)
			continue;
		if (!an_ident(n->name) || strmap_get(&s->names, n->name)) {
			an_warn(an, (struct an_at){n->file, 0, n->line, n->col},
				"asset '%s': %s; left out of the proposal", n->name,
				an_ident(n->name) ? "a model or seed has that name" : "not an identifier a spec accepts");
			continue;
		}
		strmap_put(&s->names, n->name, (void *)n);
		strmap_put(&s->byid, n->id, (void *)n->name);
	}
}

/* the Python file and function of a Dagster asset node */
static const struct an_asset *
assetof(struct analysis *an, const struct an_node *n)
{
	for (size_t i = 0; i < an->njobs; i++) {
		const struct an_job *j = &an->jobs[i];
		const struct an_pyres *r = j->res;
		if (j->kind != J_PY || !r || !n->file || strcmp(j->path, n->file) != 0)
			continue;
		for (size_t k = 0; k < r->nassets; k++)
			if (strcmp(r->assets[k].name, n->name) == 0)
				return &r->assets[k];
	}
	return NULL;
}

/* the dependencies of a Dagster asset the proposal can name */
static void
assetdeps(struct sp *s, const struct an_node *n)
{
	struct analysis *an = s->an;
	size_t k = 0;
	for (size_t i = 0; i < an->nedges; i++) {
		const struct an_edge *e = &an->edges[i];
		if (strcmp(e->to, n->id) != 0)
			continue;
		const char *dep = strmap_get(&s->byid, e->from);
		if (!dep) {
			an_warn(an, (struct an_at){n->file, 0, n->line, n->col},
				"asset '%s' depends on %s, which the proposal does not hold; left out of its deps", n->name,
				e->from);
			continue;
		}
		if (!k++) {
			yw_str(&s->w, "deps");
			yw_flowseq(&s->w);
		}
		yw_str(&s->w, dep);
	}
	if (k)
		yw_endseq(&s->w);
}

static void
assets(struct sp *s)
{
	struct analysis *an = s->an;
	bool open = false;
	for (size_t i = 0; i < an->nnodes; i++) {
		const struct an_node *n = &an->nodes[i];
		if (strcmp(n->kind, "dagster_asset") != 0 || strmap_get(&s->names, n->name) != n)
			continue;
		const struct an_asset *a = assetof(an, n);
		if (!a)
			continue;
		if (!open) {
			yw_str(&s->w, "assets");
			yw_map(&s->w);
			open = true;
		}
		yw_str(&s->w, n->name);
		yw_map(&s->w);
		yw_kv(&s->w, "python", n->file);
		if (strcmp(a->function, n->name) != 0)
			yw_kv(&s->w, "function", a->function);
		assetdeps(s, n);
		if (a->group && an_ident(a->group))
			yw_kv(&s->w, "group", a->group);
		yw_endmap(&s->w);
	}
	if (open)
		yw_endmap(&s->w);
}

/* ---- the proposal ---- */

static const char *
projectname(struct analysis *an)
{
	if (an->nprojs && an_ident(an->projs[0]->name))
		return an->projs[0]->name;
	char *real = realpath(an->one_file ? "." : an->root, NULL);
	const char *base = real ? strrchr(real, '/') : NULL;
	base = base && base[1] ? base + 1 : "project";
	struct buf b = {0};
	if (*base >= '0' && *base <= '9')
		buf_putc(&b, '_');
	for (const char *p = base; *p && b.len < 63; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
		buf_putc(&b, ok ? c : '_');
	}
	free(real);
	const char *name = arena_strdup(&an->a, b.len ? b.data : "project");
	buf_free(&b);
	return name;
}

static void
vars(struct sp *s)
{
	struct analysis *an = s->an;
	if (!an->nprojs || !an->projs[0]->vars || an->projs[0]->vars->kind != Y_MAP)
		return;
	const struct dbt_project *p = an->projs[0];
	bool open = false;
	/* top level, then the ones scoped to the project (vars: {name: {...}}) */
	for (int pass = 0; pass < 2; pass++) {
		const struct ynode *v = p->vars;
		if (pass) {
			v = NULL;
			for (size_t i = 0; i + 1 < p->vars->n; i += 2)
				if (strcmp(p->vars->items[i]->str, p->name) == 0)
					v = p->vars->items[i + 1];
		}
		for (size_t i = 0; v && v->kind == Y_MAP && i + 1 < v->n; i += 2) {
			const char *k = v->items[i]->str;
			if (!pass && v->items[i + 1]->kind == Y_MAP && strcmp(k, p->name) == 0)
				continue;
			if (!an_ident(k))
				continue;
			if (!open) {
				yw_str(&s->w, "vars");
				yw_map(&s->w);
				open = true;
			}
			yw_str(&s->w, k);
			yw_node(&s->w, v->items[i + 1]);
		}
	}
	if (open)
		yw_endmap(&s->w);
}

char *
analysis_spec(struct analysis *an, size_t *len)
{
	struct sp s = {.an = an};
	const char *root = an->one_file ? "." : an->shown;
	/* the first line points editors at the schema dpc build writes (as
	 * dpc init's starter does) */
	char *header = xasprintf("yaml-language-server: $schema=data/assets/pipeline.schema.json\n"
				 "# proposed by dpc analyze from '%s': review it, then run dpc build\n"
				 "# paths are relative to '%s'; this file belongs there, as pipeline.yaml",
				 an->shown, root);
	yw_begin(&s.w, header);
	free(header);
	choose(&s);
	yw_map(&s.w);
	yw_str(&s.w, "version");
	yw_int(&s.w, 1);
	yw_kv(&s.w, "project", projectname(an));
	vars(&s);
	/* sources, models, seeds, tests in the order the spec reference gives */
	bool open = false;
	for (size_t pi = 0; pi < an->nprojs; pi++)
		for (size_t i = 0; i < an->projs[pi]->nsources; i++) {
			const struct dbt_source *src = an->projs[pi]->sources[i];
			if (strmap_get(&s.srcnames, src->name) != src)
				continue;
			if (!open) {
				yw_str(&s.w, "sources");
				yw_map(&s.w);
				open = true;
			}
			source(&s, src);
		}
	if (open)
		yw_endmap(&s.w);
	for (int pass = 0; pass < 3; pass++) {
		open = false;
		for (size_t pi = 0; pi < an->nprojs; pi++) {
			struct dbt_project *p = an->projs[pi];
			size_t n = pass == 0 ? p->nmodels : pass == 1 ? p->nseeds : p->ntests;
			for (size_t i = 0; i < n; i++) {
				const char *name = pass == 0 ? p->models[i].name : pass == 1 ? p->seeds[i].name : p->tests[i].name;
				const void *me = pass == 0 ? (const void *)&p->models[i] : pass == 1 ? (const void *)&p->seeds[i] : NULL;
				if (pass < 2 && strmap_get(&s.names, name) != me)
					continue;
				if (pass == 2 && (!an_ident(name) || strmap_get(&s.tests, name))) {
					an_warn(an, p->tests[i].at, "singular test '%s' %s; left out of the proposal", name,
						an_ident(name) ? "is defined twice" : "is not named by an identifier");
					continue;
				}
				if (!open) {
					yw_str(&s.w, pass == 0 ? "models" : pass == 1 ? "seeds" : "tests");
					yw_map(&s.w);
					open = true;
				}
				if (pass == 0) {
					model(&s, &p->models[i]);
				} else if (pass == 1) {
					seed(&s, &p->seeds[i]);
				} else {
					strmap_put(&s.tests, name, (void *)1);
					yw_str(&s.w, name);
					yw_map(&s.w);
					yw_kv(&s.w, "sql", p->tests[i].path);
					yw_endmap(&s.w);
				}
			}
		}
		if (open)
			yw_endmap(&s.w);
	}
	assets(&s);
	yw_endmap(&s.w);
	char *out = yw_end(&s.w, len);
	strmap_free(&s.names);
	strmap_free(&s.sources);
	strmap_free(&s.srcnames);
	strmap_free(&s.tests);
	strmap_free(&s.byid);
	an_sortdiags(an);
	return out;
}
