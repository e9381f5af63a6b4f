/* emit_dagster.c: the Dagster back end. graph → a `dg` project (Dagster
 * 1.12.3+, dagster-dbt 0.28.3+) under <layout.dbt's parent>/dagster:
 *
 *   pyproject.toml                       [project], [tool.dg] (written by hand: TOML)
 *   src/<pkg>/__init__.py, definitions.py  @dg.definitions + load_from_defs_folder
 *   src/<pkg>/defs/dbt_project/defs.yaml dagster_dbt.DbtProjectComponent (libyaml)
 *   src/<pkg>/defs/assets.py             one @dg.asset per asset of assets:
 *   src/<pkg>/defs/embeddings.py         one @dg.asset per embedding
 *   src/<pkg>/defs/schedules.py          dg.ScheduleDefinition per schedule
 *   src/<pkg>/defs/sensors.py            a polling @dg.sensor per sensor
 *
 * Only files with content are written. Asset keys follow dagster-dbt's
 * default translator, so that Dagster joins what dpc writes with what the
 * dbt component loads: a model is [name], or [schema, name] when the model
 * sets schema; a seed [name]; a dbt source table [source, table]. A table
 * of tables: is the dbt source table it appears as; an embedding is the
 * dbt source of its vector table, [source, name], so that models reading
 * that source depend on the asset that fills it; a Python asset is [name].
 * Ephemeral and disabled models are no Dagster assets (dagster-dbt's
 * is_non_asset_node): a dependency on one is a dependency on what it reads.
 * See docs/dagster.md. */
#include <stdlib.h>
#include <string.h>

#include "emit.h"

/* the environment variable holding the Supabase database's connection
 * string (a libpq URI or key=value string), read by generated code */
#define SUPABASE_URL_ENV "SUPABASE_DB_URL"

struct dg {
	const struct graph *g;
	const struct spec *s;
	struct outset *out;
	char *root;       /* the dg project folder, relative to the spec's root */
	char *pkg;        /* the Python package: src/<pkg> */
	char *header;     /* the header line every file starts with */
	size_t up;        /* folders from a file in defs/ up to the spec's root */
};

/* growable list of owned strings */
struct strs {
	char **v;
	size_t n, cap;
};

static void
strs_push(struct strs *l, char *s)
{
	VEC_PUSH(l->v, l->n, l->cap);
	l->v[l->n++] = s;
}

/* sort and drop repeats */
static void
strs_uniq(struct strs *l)
{
	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	size_t k = 1;
	for (size_t i = 1; i < l->n; i++) {
		if (strcmp(l->v[i], l->v[k - 1]) == 0)
			free(l->v[i]);
		else
			l->v[k++] = l->v[i];
	}
	l->n = k;
}

static void
strs_free(struct strs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct strs){0};
}

static void
add(struct dg *d, const char *rel, struct buf *b)
{
	size_t len = b->len;
	outset_add(d->out, xasprintf("%s/%s", d->root, rel), buf_take(b), len, "project");
}

void
dagster_pystr(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(b, "\\x%02x", *p);
			else
				buf_putc(b, (char)*p);
		}
	}
	buf_putc(b, '"');
}

/* one line of SQL as a Python string in single quotes, which SQL written
 * by this file holds none of (identifiers are in double quotes) */
static void
pysql(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

/* text in a Python comment: on one line */
static void
pycomment(struct buf *b, const char *s)
{
	for (; *s; s++)
		buf_putc(b, (unsigned char)*s < 0x20 ? ' ' : *s);
}

/* a TOML basic string (TOML 1.0: escape ", \ and control characters) */
static void
tomlstr(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\b': buf_puts(b, "\\b"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\f': buf_puts(b, "\\f"); break;
		case '\r': buf_puts(b, "\\r"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(b, "\\u%04x", *p);
			else
				buf_putc(b, (char)*p);
		}
	}
	buf_putc(b, '"');
}

/* a SQL identifier, always quoted: a spec name may be a reserved word */
static void
sqlid(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(b, '"');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void
sqltable(struct buf *b, const char *schema, const char *table)
{
	if (schema) {
		sqlid(b, schema);
		buf_putc(b, '.');
	}
	sqlid(b, table);
}

/* The Python package: the project's name in lower case (PEP 8), with
 * _pipeline added when that is a keyword or a module the generated code
 * imports, which the package would shadow or be shadowed by. */
static char *
pkgname(const char *project)
{
	static const char *const taken[] = {
		/* keywords and soft keywords */
		"false", "none", "true", "and", "as", "assert", "async", "await", "break", "case",
		"class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from",
		"global", "if", "import", "in", "is", "lambda", "match", "nonlocal", "not", "or",
		"pass", "raise", "return", "try", "type", "while", "with", "yield",
		/* what generated code and its dependencies import */
		"asyncio", "contextlib", "dagster", "dagster_dbt", "dataclasses", "dbt", "duckdb",
		"hashlib", "importlib", "inspect", "json", "os", "pathlib", "psycopg", "sqlite3",
		"sys", "time", "typing", "urllib",
	};
	char *p = xstrdup(project);
	for (char *c = p; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	for (size_t i = 0; i < LEN(taken); i++)
		if (strcmp(p, taken[i]) == 0) {
			char *q = xasprintf("%s_pipeline", p);
			free(p);
			return q;
		}
	return p;
}

/* do two relative folders overlap (one is the other or holds it)? */
static bool
overlaps(const char *a, const char *b)
{
	size_t n = strlen(a) < strlen(b) ? strlen(a) : strlen(b);
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/') && (b[n] == '\0' || b[n] == '/');
}

/* where the dg project goes: beside the dbt project, in the folder that
 * holds it (data/dbt → data/dagster); emit.h, for the CI back end */
char *
dagster_root(const struct spec *s)
{
	const char *slash = strrchr(s->layout_dbt, '/');
	int n = slash ? (int)(slash - s->layout_dbt) : 0;
	char *root = xasprintf("%.*s%sdagster", n, s->layout_dbt, n ? "/" : "");
	if (overlaps(root, s->layout_dbt) || overlaps(root, s->layout_assets)) {
		free(root);
		root = xasprintf("%.*s%sdagster_project", n, s->layout_dbt, n ? "/" : "");
	}
	return root;
}

char *
dagster_pkg(const struct spec *s)
{
	return pkgname(s->project ? s->project : "pipeline");
}

/* the relative path from folder from to folder to (both relative to one root) */
static char *
relpath(const char *from, const char *to)
{
	/* skip the folders both start with */
	size_t i = 0, common = 0;
	for (;;) {
		size_t a = strcspn(from + i, "/"), b = strcspn(to + i, "/");
		if (a != b || a == 0 || strncmp(from + i, to + i, a) != 0)
			break;
		i += a;
		common = i;
		if (from[i] != '/' || to[i] != '/')
			break;
		i++;
		common = i;
	}
	const char *rest = to + common;
	if (*rest == '/')
		rest++;
	struct buf b = {0};
	for (size_t k = path_depth(from + common); k > 0; k--)
		buf_puts(&b, k > 1 || *rest ? "../" : "..");
	buf_puts(&b, rest);
	if (!b.len)
		buf_putc(&b, '.');
	return buf_take(&b);
}

/* ---- asset keys ---- */

/* Does Dagster materialize the node: a model dbt builds (not ephemeral, not
 * disabled), a seed, an embedding, a Python asset? Source tables and the
 * tables of tables: are written by others. */
static bool
built(const struct node *n)
{
	switch (n->kind) {
	case N_MODEL:
		return strcmp(n->materialized, "ephemeral") != 0 && n->model->enabled != 0;
	case N_SEED:
	case N_EMBEDDING:
	case N_ASSET:
		return true;
	default:
		return false;
	}
}

/* a node's asset key, its parts joined by '/' (names hold no '/'); NULL
 * for nodes that are no asset (tests, schedules, sensors); owned */
static char *
keyof(const struct node *n)
{
	switch (n->kind) {
	case N_MODEL:
		return n->model->schema ? xasprintf("%s/%s", n->model->schema, n->name) : xstrdup(n->name);
	case N_SEED:
	case N_ASSET:
		return xstrdup(n->name);
	case N_SOURCE:
		return xasprintf("%s/%s", n->source->name, n->table->name);
	case N_TABLE:
		return xasprintf("%s/%s", n->apptable->source, n->name);
	case N_EMBEDDING:
		return xasprintf("%s/%s", n->embedding->source, n->name);
	default:
		return NULL;
	}
}

void
dagster_assetkey(struct buf *b, const char *key)
{
	buf_puts(b, "dg.AssetKey([");
	for (const char *p = key;;) {
		size_t n = strcspn(p, "/");
		char *part = xstrndup(p, n);
		dagster_pystr(b, part);
		free(part);
		p += n;
		if (!*p)
			break;
		p++;
		buf_puts(b, ", ");
	}
	buf_puts(b, "])");
}

/* the keys node i reads, looking through ephemeral and disabled models to
 * what they read (dagster-dbt does the same); seen guards repeats */
static void
depkeys(const struct graph *g, size_t i, bool *seen, struct strs *keys)
{
	const struct node *n = &g->nodes[i];
	for (size_t k = 0; k < n->ndeps; k++) {
		size_t to = n->deps[k].to;
		const struct node *t = &g->nodes[to];
		if (seen[to])
			continue;
		seen[to] = true;
		if (t->kind == N_MODEL && !built(t)) {
			depkeys(g, to, seen, keys);
			continue;
		}
		char *key = keyof(t);
		if (key)
			strs_push(keys, key);
	}
}

/* the keys Dagster can run of a schedule's or sensor's selection */
static void
targetkeys(const struct graph *g, const struct node *n, struct strs *keys)
{
	for (size_t k = 0; k < n->nselected; k++) {
		const struct node *t = &g->nodes[n->selected[k]];
		if (built(t))
			strs_push(keys, keyof(t));
	}
	strs_uniq(keys);
}

/* does a schedule or sensor run anything Dagster builds? */
static bool
runs(const struct graph *g, const struct node *n)
{
	for (size_t k = 0; k < n->nselected; k++)
		if (built(&g->nodes[n->selected[k]]))
			return true;
	return false;
}

/* target=dg.AssetSelection.assets(...) over several lines */
static void
pytarget(struct buf *b, const struct strs *keys, const char *indent)
{
	buf_printf(b, "%starget=dg.AssetSelection.assets(\n", indent);
	for (size_t i = 0; i < keys->n; i++) {
		buf_printf(b, "%s    ", indent);
		dagster_assetkey(b, keys->v[i]);
		buf_puts(b, ",\n");
	}
	buf_printf(b, "%s),\n", indent);
}

static int
cmpnode(const void *a, const void *b)
{
	return strcmp((*(const struct node *const *)a)->name, (*(const struct node *const *)b)->name);
}

/* the nodes of one kind, sorted by name; owned by the caller */
static const struct node **
sorted(const struct graph *g, enum node_kind kind, size_t *count)
{
	const struct node **v = xreallocarray(NULL, g->n + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++)
		if (g->nodes[i].kind == kind)
			v[n++] = &g->nodes[i];
	qsort(v, n, sizeof(*v), cmpnode);
	*count = n;
	return v;
}

/* ---- pyproject.toml and the package ---- */

static void
tomlarray(struct buf *b, const char *key, const char *const *v, size_t n)
{
	buf_printf(b, "%s = [\n", key);
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, "    ");
		tomlstr(b, v[i]);
		buf_puts(b, ",\n");
	}
	buf_puts(b, "]\n");
}

static void
pyproject(struct dg *d, bool psycopg)
{
	const char *type = d->s->warehouse.type;
	/* dpc's dbt files need dbt-core 1.10 (docs/dbt.md); each adapter at the
	 * release line that supports it */
	const char *adapter = strcmp(type, "postgres") == 0 ? "dbt-postgres>=1.9,<2"
			      : strcmp(type, "duckdb") == 0 ? "dbt-duckdb>=1.9,<2"
							    : "dbt-sqlite>=1.10,<2";
	const char *deps[7];
	size_t n = 0;
	deps[n++] = "dagster>=1.12.3,<2";
	/* the Airflow instance component, while a DAG of airflow: is not migrated */
	bool airlift = false;
	for (size_t i = 0; i < d->s->airflow.ndags; i++)
		airlift |= d->s->airflow.dags[i].stage != STAGE_MIGRATED;
	if (airlift)
		deps[n++] = "dagster-airlift[core]>=0.28.3,<1";
	deps[n++] = "dagster-dbt>=0.28.3,<1";
	deps[n++] = "dbt-core>=1.10,<2";
	deps[n++] = adapter;
	if (psycopg)
		deps[n++] = "psycopg[binary]>=3.1,<4";
	static const char *const dev[] = {"dagster-dg-cli>=1.12.3,<2", "dagster-webserver>=1.12.3,<2"};
	struct buf b = {0};
	char *desc = xasprintf("The Dagster project of the dpc pipeline %s", d->s->project);
	char *pkgdir = xasprintf("src/%s", d->pkg);
	buf_printf(&b, "# %s\n[project]\nname = ", d->header);
	tomlstr(&b, d->pkg);
	buf_puts(&b, "\nversion = \"0.1.0\"\ndescription = ");
	tomlstr(&b, desc);
	buf_puts(&b, "\nrequires-python = \">=3.10,<3.15\"\n");
	tomlarray(&b, "dependencies", deps, n);
	buf_puts(&b, "\n[dependency-groups]\n");
	tomlarray(&b, "dev", dev, LEN(dev));
	buf_puts(&b, "\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n");
	buf_puts(&b, "\n[tool.hatch.build.targets.wheel]\n");
	tomlarray(&b, "packages", (const char *const *)&pkgdir, 1);
	buf_puts(&b, "\n[tool.dg]\ndirectory_type = \"project\"\n");
	buf_puts(&b, "\n[tool.dg.project]\nroot_module = ");
	tomlstr(&b, d->pkg);
	buf_putc(&b, '\n');
	free(desc);
	free(pkgdir);
	add(d, "pyproject.toml", &b);
}

static void
package(struct dg *d)
{
	struct buf b = {0};
	buf_printf(&b, "# %s\n", d->header);
	char *rel = xasprintf("src/%s/__init__.py", d->pkg);
	add(d, rel, &b);
	free(rel);

	buf_printf(&b, "# %s\n", d->header);
	rel = xasprintf("src/%s/defs/__init__.py", d->pkg);
	add(d, rel, &b);
	free(rel);

	/* project_root is the folder of pyproject.toml: src/<pkg>/ is two down */
	buf_printf(&b, "# %s\n", d->header);
	buf_puts(&b, "from pathlib import Path\n\nimport dagster as dg\n\n\n"
		     "@dg.definitions\n"
		     "def defs():\n"
		     "    return dg.load_from_defs_folder(project_root=Path(__file__).parent.parent.parent)\n");
	rel = xasprintf("src/%s/definitions.py", d->pkg);
	add(d, rel, &b);
	free(rel);

	buf_printf(&b, "# %s\n__pycache__/\n*.egg-info/\n.venv/\n", d->header);
	add(d, ".gitignore", &b);
}

/* ---- the dbt project component ---- */

/* a Dagster owner: an e-mail address, or team:<name> */
static char *
owner(const char *o)
{
	if (strchr(o, '@') || strncmp(o, "team:", 5) == 0)
		return xstrdup(o);
	return xasprintf("team:%s", o);
}

static void
dbtdefs(struct dg *d)
{
	const struct graph *g = d->g;
	bool any = false;
	for (size_t i = 0; i < g->n && !any; i++)
		any = g->nodes[i].kind == N_MODEL || g->nodes[i].kind == N_SEED;
	if (!any)
		return;
	char *rel = relpath(d->root, d->s->layout_dbt);
	char *project = xasprintf("{{ context.project_root }}/%s", rel);
	struct yw w;
	yw_begin(&w, d->header);
	yw_map(&w);
	yw_kv(&w, "type", "dagster_dbt.DbtProjectComponent");
	yw_str(&w, "attributes");
	yw_map(&w);
	yw_kv(&w, "project", project);
	yw_kv(&w, "select", "fqn:*");
	/* a group per layer: models sit in models/<layer>/, so fqn is
	 * [project, layer, ..., name]; seeds form one group */
	yw_str(&w, "translation");
	yw_map(&w);
	yw_kv(&w, "group_name", "{{ node.fqn[1] if node.resource_type == 'model' else 'seeds' }}");
	yw_endmap(&w);
	yw_endmap(&w);
	/* owners of the models that name one */
	size_t n;
	const struct node **v = sorted(g, N_MODEL, &n);
	bool owners = false;
	for (size_t i = 0; i < n; i++) {
		if (!v[i]->model->owner || !built(v[i]))
			continue;
		if (!owners) {
			yw_str(&w, "post_processing");
			yw_map(&w);
			yw_str(&w, "assets");
			yw_seq(&w);
			owners = true;
		}
		char *key = keyof(v[i]);
		char *target = xasprintf("key:\"%s\"", key);
		char *who = owner(v[i]->model->owner);
		yw_map(&w);
		yw_kv(&w, "target", target);
		yw_str(&w, "attributes");
		yw_map(&w);
		yw_str(&w, "owners");
		yw_flowseq(&w);
		yw_str(&w, who);
		yw_endseq(&w);
		yw_endmap(&w);
		yw_endmap(&w);
		free(key), free(target), free(who);
	}
	if (owners) {
		yw_endseq(&w);
		yw_endmap(&w);
	}
	free(v);
	yw_endmap(&w);
	size_t len;
	char *data = yw_end(&w, &len);
	outset_add(d->out, xasprintf("%s/src/%s/defs/dbt_project/defs.yaml", d->root, d->pkg), data, len, "project");
	free(project);
	free(rel);
}

/* ---- Python assets ---- */

/* _ROOT: the spec's project root, from a file in src/<pkg>/defs/ */
static void
pyroot(struct dg *d, struct buf *b)
{
	buf_printf(b, "# the dpc project's root (pipeline.yaml's folder), from this file's place in\n"
		      "# %s/src/%s/defs/; set DPC_PROJECT_ROOT when the package is installed elsewhere\n",
		   d->root, d->pkg);
	buf_printf(b, "_ROOT = Path(os.environ.get(\"DPC_PROJECT_ROOT\") or Path(__file__).resolve().parents[%zu])\n",
		   d->up);
}

static void
assets(struct dg *d)
{
	const struct graph *g = d->g;
	size_t n;
	const struct node **v = sorted(g, N_ASSET, &n);
	if (!n) {
		free(v);
		return;
	}
	struct buf b = {0};
	buf_printf(&b, "# %s\n", d->header);
	buf_puts(&b, "\"\"\"The assets of the spec's assets: each calls a function of a file of the\n"
		     "project, loaded by path when the asset runs (not when Dagster loads the code\n"
		     "location, so a broken file fails its asset, not the whole project).\"\"\"\n\n");
	buf_puts(&b, "import asyncio\nimport importlib.util\nimport inspect\nimport os\nimport sys\n"
		     "from pathlib import Path\n\nimport dagster as dg\n\n");
	pyroot(d, &b);
	buf_puts(&b,
		 "\n\n"
		 "def _function(relpath, name):\n"
		 "    \"\"\"The function called name in the file at relpath (from the dpc project's root).\"\"\"\n"
		 "    path = _ROOT / relpath\n"
		 "    module_name = \"dpc_assets.\" + relpath.removesuffix(\".py\").replace(\"/\", \".\")\n"
		 "    module = sys.modules.get(module_name)\n"
		 "    if module is None:\n"
		 "        spec = importlib.util.spec_from_file_location(module_name, path)\n"
		 "        if spec is None or spec.loader is None:\n"
		 "            raise ImportError(f\"cannot load {path}\")\n"
		 "        module = importlib.util.module_from_spec(spec)\n"
		 "        sys.modules[module_name] = module\n"
		 "        try:\n"
		 "            spec.loader.exec_module(module)\n"
		 "        except BaseException:\n"
		 "            del sys.modules[module_name]\n"
		 "            raise\n"
		 "    return getattr(module, name)\n"
		 "\n\n"
		 "def _call(context, relpath, name):\n"
		 "    \"\"\"Call the function with the asset's context when it takes an argument, else\n"
		 "    with none; a coroutine function runs to completion.\"\"\"\n"
		 "    fn = _function(relpath, name)\n"
		 "    result = fn(context) if inspect.signature(fn).parameters else fn()\n"
		 "    if inspect.isawaitable(result):\n"
		 "        result = asyncio.run(result)\n"
		 "    return result\n");
	for (size_t i = 0; i < n; i++) {
		const struct node *a = v[i];
		const struct spec_asset *as = a->asset;
		struct strs deps = {0};
		bool *seen = xcalloc(g->n, sizeof(*seen));
		depkeys(g, (size_t)(a - g->nodes), seen, &deps);
		free(seen);
		strs_uniq(&deps);
		char *key = keyof(a);
		buf_puts(&b, "\n\n@dg.asset(\n    key=");
		dagster_assetkey(&b, key);
		buf_puts(&b, ",\n");
		if (deps.n) {
			buf_puts(&b, "    deps=[\n");
			for (size_t k = 0; k < deps.n; k++) {
				buf_puts(&b, "        ");
				dagster_assetkey(&b, deps.v[k]);
				buf_puts(&b, ",\n");
			}
			buf_puts(&b, "    ],\n");
		}
		if (as->description) {
			buf_puts(&b, "    description=");
			dagster_pystr(&b, as->description);
			buf_puts(&b, ",\n");
		}
		if (as->group) {
			buf_puts(&b, "    group_name=");
			dagster_pystr(&b, as->group);
			buf_puts(&b, ",\n");
		}
		if (as->ntags) {
			/* tags as dagster-dbt writes dbt tags: the tag is the key */
			buf_puts(&b, "    tags={");
			const char **tags = xreallocarray(NULL, as->ntags, sizeof(*tags));
			memcpy(tags, as->tags, as->ntags * sizeof(*tags));
			qsort(tags, as->ntags, sizeof(*tags), cmp_str);
			for (size_t k = 0; k < as->ntags; k++) {
				if (k && strcmp(tags[k], tags[k - 1]) == 0)
					continue;
				if (k)
					buf_puts(&b, ", ");
				dagster_pystr(&b, tags[k]);
				buf_puts(&b, ": \"\"");
			}
			free(tags);
			buf_puts(&b, "},\n");
		}
		buf_puts(&b, "    kinds={\"python\"},\n)\n");
		buf_printf(&b, "def asset_%s(context: dg.AssetExecutionContext):\n    return _call(context, ", a->name);
		dagster_pystr(&b, as->python);
		buf_puts(&b, ", ");
		dagster_pystr(&b, as->function);
		buf_puts(&b, ")\n");
		free(key);
		strs_free(&deps);
	}
	free(v);
	char *rel = xasprintf("src/%s/defs/assets.py", d->pkg);
	add(d, rel, &b);
	free(rel);
}

/* ---- embeddings ---- */

static void
pyfield(struct buf *b, const char *name, const char *val)
{
	buf_printf(b, "    %s=", name);
	if (val)
		dagster_pystr(b, val);
	else
		buf_puts(b, "None");
	buf_puts(b, ",\n");
}

/* the upsert of one vector: the same for a table's embedding and a model's */
static void
upsertsql(struct buf *b, const struct spec_embedding *e)
{
	buf_puts(b, "    upsert=\"\"\"\n        insert into ");
	sqltable(b, e->schema, e->name);
	buf_puts(b, " (");
	sqlid(b, e->key);
	buf_printf(b, ", embedding, content_hash, updated_at)\n        values (%%s, %%s::%s, %%s, now())\n"
		      "        on conflict (",
		   e->vector_type);
	sqlid(b, e->key);
	buf_puts(b, ") do update\n        set embedding = excluded.embedding, content_hash = "
		    "excluded.content_hash, updated_at = now()\n    \"\"\",\n");
}

/* the SQL of one embedding, as triple-quoted Python strings: spec names
 * are identifiers, so no quote or backslash can end them early */
static void
embedsql(struct buf *b, const struct spec_embedding *e)
{
	const char *k = e->key, *t = e->text;
	/* the hash covers the model, so a new model embeds every row again */
	struct buf h = {0};
	buf_puts(&h, "encode(sha256(convert_to(%(prefix)s::text || t.");
	sqlid(&h, t);
	buf_puts(&h, ", 'UTF8')), 'hex')");

	buf_puts(b, "    changed=\"\"\"\n        select t.");
	sqlid(b, k);
	buf_puts(b, ", t.");
	sqlid(b, t);
	buf_printf(b, ", %s as content_hash\n        from ", h.data);
	sqltable(b, e->schema, e->table->name);
	buf_puts(b, " as t\n        left join ");
	sqltable(b, e->schema, e->name);
	buf_puts(b, " as e on e.");
	sqlid(b, k);
	buf_puts(b, " = t.");
	sqlid(b, k);
	buf_puts(b, "\n        where t.");
	sqlid(b, t);
	buf_puts(b, " <> ''\n          and (e.");
	sqlid(b, k);
	buf_printf(b, " is null or e.content_hash is distinct from %s)\n        order by t.", h.data);
	sqlid(b, k);
	buf_puts(b, "\n        limit %(limit)s\n    \"\"\",\n");
	buf_free(&h);

	upsertsql(b, e);

	buf_puts(b, "    emptied=\"\"\"\n        delete from ");
	sqltable(b, e->schema, e->name);
	buf_puts(b, " as e\n        using ");
	sqltable(b, e->schema, e->table->name);
	buf_puts(b, " as t\n        where t.");
	sqlid(b, k);
	buf_puts(b, " = e.");
	sqlid(b, k);
	buf_puts(b, " and coalesce(t.");
	sqlid(b, t);
	buf_puts(b, ", '') = ''\n    \"\"\",\n");
}

/* The relation dbt builds a model into: its alias or name, in the
 * warehouse's schema, or <schema>_<its schema> when it sets one (dbt's
 * default generate_schema_name) */
static void
modelrelation(struct buf *b, const struct spec *s, const struct spec_model *m)
{
	if (m->schema) {
		char *schema = xasprintf("%s_%s", s->warehouse.schema, m->schema);
		sqltable(b, schema, m->alias ? m->alias : m->name);
		free(schema);
	} else {
		sqltable(b, s->warehouse.schema, m->alias ? m->alias : m->name);
	}
}

/* the SQL of the embedding of a model. The model is dbt's: its key is
 * cast to the vector table's key type, a key that appears twice is
 * embedded once (with its least text, so that runs agree), and with no
 * foreign key to cascade, a vector whose key left the model, or whose text
 * became empty, is deleted */
static void
embedmodelsql(struct buf *b, const struct spec *s, const struct spec_embedding *e)
{
	const char *k = e->key;
	const char *h = "encode(sha256(convert_to(%(prefix)s::text || t.x, 'UTF8')), 'hex')";
	buf_puts(b, "    changed=\"\"\"\n        with t as (\n            select distinct on (k) k, x\n"
		    "            from (select r.");
	sqlid(b, k);
	buf_printf(b, "::%s as k, r.", e->key_type);
	sqlid(b, e->text);
	buf_puts(b, "::text as x from ");
	modelrelation(b, s, e->model);
	buf_puts(b, " as r) as r\n            where k is not null and x <> ''\n            order by k, x\n"
		    "        )\n");
	buf_printf(b, "        select t.k, t.x, %s as content_hash\n        from t\n        left join ", h);
	sqltable(b, e->schema, e->name);
	buf_puts(b, " as e on e.");
	sqlid(b, k);
	buf_puts(b, " = t.k\n        where e.");
	sqlid(b, k);
	buf_printf(b, " is null or e.content_hash is distinct from %s\n        order by t.k\n"
		      "        limit %%(limit)s\n    \"\"\",\n", h);

	upsertsql(b, e);

	buf_puts(b, "    emptied=\"\"\"\n        delete from ");
	sqltable(b, e->schema, e->name);
	buf_puts(b, " as e\n        where not exists (\n            select 1 from ");
	modelrelation(b, s, e->model);
	buf_puts(b, " as t\n            where t.");
	sqlid(b, k);
	buf_printf(b, "::%s = e.", e->key_type);
	sqlid(b, k);
	buf_puts(b, " and coalesce(t.");
	sqlid(b, e->text);
	buf_puts(b, "::text, '') <> ''\n        )\n    \"\"\",\n");
}

static void
embeddings(struct dg *d)
{
	const struct graph *g = d->g;
	size_t n;
	const struct node **v = sorted(g, N_EMBEDDING, &n);
	if (!n) {
		free(v);
		return;
	}
	bool frommodel = false;
	for (size_t i = 0; i < n; i++)
		frommodel |= v[i]->embedding->model != NULL;
	struct buf b = {0};
	buf_printf(&b, "# %s\n", d->header);
	buf_printf(&b,
		   "\"\"\"The embeddings of the spec: each asset keeps a vector table in step with a\n"
		   "text column. It embeds the rows whose text has no vector yet or changed since\n"
		   "(content_hash is a hash of the model and the text), batch by batch, and upserts\n"
		   "them; a row whose text became empty loses its vector, and a deleted row loses\n"
		   "it by the foreign key's on delete cascade. Run it again and it does nothing.\n"
		   "The database is %s (a connection string); the provider's key comes\n"
		   "from its environment variable, never from this file.%s\"\"\"\n\n",
		   SUPABASE_URL_ENV,
		   frommodel ? "\n\nThe embedding of a model reads the relation dbt built, in the same database;\n"
			       "with no foreign key to cascade, a vector whose key is no longer in the model\n"
			       "is deleted by the next run." : "");
	buf_puts(&b, "import json\nimport os\nimport time\nimport urllib.error\nimport urllib.request\n"
		     "from dataclasses import dataclass\nfrom typing import Optional\n\n"
		     "import dagster as dg\nimport psycopg\n\n"
		     "_ATTEMPTS = 5  # per request; 429 and 5xx replies are retried with backoff\n"
		     "_TIMEOUT = 120  # seconds\n");
	buf_puts(&b,
		 "\n\n"
		 "@dataclass(frozen=True)\n"
		 "class _Embedding:\n"
		 "    provider: str\n"
		 "    url: str\n"
		 "    model: str\n"
		 "    api_key_env: Optional[str]\n"
		 "    dimensions: int\n"
		 "    batch_size: int\n"
		 "    changed: str  # rows to embed: key, text, content_hash\n"
		 "    upsert: str\n"
		 "    emptied: str  # drop the vectors of rows whose text is now empty\n"
		 "\n\n"
		 "def _env(name):\n"
		 "    value = os.environ.get(name)\n"
		 "    if not value:\n"
		 "        raise dg.Failure(f\"environment variable {name} is not set\")\n"
		 "    return value\n"
		 "\n\n"
		 "def _post(url, body, headers):\n"
		 "    data = json.dumps(body).encode(\"utf-8\")\n"
		 "    for attempt in range(_ATTEMPTS):\n"
		 "        request = urllib.request.Request(url, data=data, headers=headers, method=\"POST\")\n"
		 "        try:\n"
		 "            with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:\n"
		 "                return json.load(response)\n"
		 "        except urllib.error.HTTPError as err:\n"
		 "            if (err.code != 429 and err.code < 500) or attempt == _ATTEMPTS - 1:\n"
		 "                raise\n"
		 "        except urllib.error.URLError:\n"
		 "            if attempt == _ATTEMPTS - 1:\n"
		 "                raise\n"
		 "        time.sleep(2**attempt)\n"
		 "    raise AssertionError(\"unreachable\")\n"
		 "\n\n"
		 "def _embed(spec, texts):\n"
		 "    \"\"\"One request to the provider's HTTP API: a vector per text, in order.\"\"\"\n"
		 "    headers = {\"Content-Type\": \"application/json\", \"Accept\": \"application/json\"}\n"
		 "    if spec.api_key_env:\n"
		 "        headers[\"Authorization\"] = \"Bearer \" + _env(spec.api_key_env)\n"
		 "    base = spec.url.rstrip(\"/\")\n"
		 "    body = {\"model\": spec.model, \"input\": texts}\n"
		 "    if spec.provider == \"ollama\":\n"
		 "        vectors = _post(base + \"/api/embed\", body, headers)[\"embeddings\"]\n"
		 "    else:  # openai, voyage: {\"data\": [{\"index\": i, \"embedding\": [...]}, ...]}\n"
		 "        if spec.provider == \"voyage\":\n"
		 "            body[\"input_type\"] = \"document\"\n"
		 "        data = _post(base + \"/embeddings\", body, headers)[\"data\"]\n"
		 "        vectors = [item[\"embedding\"] for item in sorted(data, key=lambda item: item[\"index\"])]\n"
		 "    if len(vectors) != len(texts):\n"
		 "        raise dg.Failure(f\"{spec.provider} returned {len(vectors)} vectors for {len(texts)} texts\")\n"
		 "    for vector in vectors:\n"
		 "        if len(vector) != spec.dimensions:\n"
		 "            raise dg.Failure(\n"
		 "                f\"{spec.model} made a vector of {len(vector)} dimensions; the spec says {spec.dimensions}\"\n"
		 "            )\n"
		 "    return vectors\n"
		 "\n\n"
		 "def _vector(values):\n"
		 "    \"\"\"pgvector's text form: [1.5,2,3].\"\"\"\n"
		 "    return \"[\" + \",\".join(repr(float(x)) for x in values) + \"]\"\n"
		 "\n\n"
		 "def _sync(context, spec):\n"
		 "    params = {\"prefix\": spec.model + \":\", \"limit\": spec.batch_size}\n"
		 "    embedded = batches = 0\n"
		 "    with psycopg.connect(_env(\"" SUPABASE_URL_ENV "\")) as conn:\n"
		 "        with conn.cursor() as cur:\n"
		 "            cur.execute(spec.emptied)\n"
		 "            removed = max(cur.rowcount, 0)\n"
		 "        conn.commit()\n"
		 "        while True:\n"
		 "            with conn.cursor() as cur:\n"
		 "                cur.execute(spec.changed, params)\n"
		 "                rows = cur.fetchall()\n"
		 "            if not rows:\n"
		 "                break\n"
		 "            vectors = _embed(spec, [row[1] for row in rows])\n"
		 "            with conn.cursor() as cur:\n"
		 "                cur.executemany(\n"
		 "                    spec.upsert, [(row[0], _vector(vec), row[2]) for row, vec in zip(rows, vectors)]\n"
		 "                )\n"
		 "            conn.commit()  # each batch is kept, so a failure later loses nothing\n"
		 "            embedded += len(rows)\n"
		 "            batches += 1\n"
		 "            context.log.info(f\"embedded {embedded} rows so far\")\n"
		 "    return dg.MaterializeResult(metadata={\"embedded\": embedded, \"batches\": batches, \"removed\": removed})\n");
	for (size_t i = 0; i < n; i++) {
		const struct node *en = v[i];
		const struct spec_embedding *e = en->embedding;
		char *key = keyof(en);
		const struct spec_model *m = e->model;
		char *from = m ? keyof(&g->nodes[en->from]) : xasprintf("%s/%s", e->source, e->table->name);
		buf_printf(&b, "\n\n_%s = _Embedding(\n", en->name);
		pyfield(&b, "provider", e->provider.name);
		pyfield(&b, "url", e->provider.url);
		pyfield(&b, "model", e->provider.model);
		pyfield(&b, "api_key_env", e->provider.api_key_env);
		buf_printf(&b, "    dimensions=%lld,\n    batch_size=%lld,\n", e->dimensions, e->batch_size);
		if (m)
			embedmodelsql(&b, d->s, e);
		else
			embedsql(&b, e);
		buf_puts(&b, ")\n\n\n@dg.asset(\n    key=");
		dagster_assetkey(&b, key);
		buf_puts(&b, ",\n    deps=[");
		dagster_assetkey(&b, from);
		buf_puts(&b, "],\n    description=");
		char *desc = e->description ? xstrdup(e->description)
			     : m ? xasprintf("Vectors of %s.%s of model %s by %s %s", m->alias ? m->alias : m->name,
					     e->text, m->name, e->provider.name, e->provider.model)
				 : xasprintf("Vectors of %s.%s.%s by %s %s", e->schema, e->table->name, e->text,
					     e->provider.name, e->provider.model);
		dagster_pystr(&b, desc);
		free(desc);
		buf_puts(&b, ",\n    group_name=\"embeddings\",\n    kinds={\"python\", \"postgres\"},\n)\n");
		buf_printf(&b, "def embed_%s(context: dg.AssetExecutionContext) -> dg.MaterializeResult:\n"
			       "    return _sync(context, _%s)\n",
			   en->name, en->name);
		free(key);
		free(from);
	}
	free(v);
	char *rel = xasprintf("src/%s/defs/embeddings.py", d->pkg);
	add(d, rel, &b);
	free(rel);
}

/* ---- schedules ---- */

/* A cron expression as Dagster's croniter-based check surely reads it: @
 * shorthands spelled out, month and day names as numbers. */
static char *
cronfor(const char *cron)
{
	static const char *const shorthands[][2] = {
		{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
		{"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
		{"@hourly", "0 * * * *"},
	};
	static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
					     "jul", "aug", "sep", "oct", "nov", "dec"};
	static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
	for (size_t i = 0; i < LEN(shorthands); i++)
		if (strcmp(cron, shorthands[i][0]) == 0)
			return xstrdup(shorthands[i][1]);
	struct buf b = {0};
	size_t field = 0;
	for (const char *p = cron; *p;) {
		if (*p == ' ') {
			field++;
			/* the spec separates fields by spaces; keep one */
			while (*p == ' ')
				p++;
			buf_putc(&b, ' ');
			continue;
		}
		bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
		if (alpha && (field == 3 || field == 4)) {
			char name[4] = {0};
			for (size_t k = 0; k < 3 && p[k]; k++)
				name[k] = (char)(p[k] | 0x20);
			const char *const *names = field == 3 ? months : days;
			size_t nn = field == 3 ? LEN(months) : LEN(days);
			size_t k = 0;
			while (k < nn && strcmp(names[k], name) != 0)
				k++;
			if (k < nn) { /* cron.c accepted it, so it is one */
				buf_printf(&b, "%zu", field == 3 ? k + 1 : k);
				p += 3;
				continue;
			}
		}
		buf_putc(&b, *p++);
	}
	return buf_take(&b);
}

char *
dagster_cron(const char *cron)
{
	return cronfor(cron);
}

static void
schedules(struct dg *d)
{
	const struct graph *g = d->g;
	size_t n;
	const struct node **v = sorted(g, N_SCHEDULE, &n);
	if (!n) {
		free(v);
		return;
	}
	size_t live = 0;
	for (size_t i = 0; i < n; i++)
		live += runs(g, v[i]);
	struct buf b = {0};
	buf_printf(&b, "# %s\n", d->header);
	buf_puts(&b, "\"\"\"The spec's schedules. Each runs the assets its selection picked, resolved\n"
		     "by dpc into asset keys (source tables, which Dagster does not build, left out).\n"
		     "They start running when the code location loads.\"\"\"\n");
	if (live)
		buf_puts(&b, "\nimport dagster as dg\n");
	for (size_t i = 0; i < n; i++) {
		const struct spec_schedule *sc = v[i]->schedule;
		struct strs keys = {0};
		targetkeys(g, v[i], &keys);
		if (!keys.n) {
			buf_printf(&b, "\n# schedule %s: its selection '", sc->name);
			pycomment(&b, sc->select);
			buf_puts(&b, "' picks nothing Dagster builds (only\n"
				     "# source tables or ephemeral models), so there is nothing to schedule\n");
			strs_free(&keys);
			continue;
		}
		char *cron = cronfor(sc->cron);
		buf_printf(&b, "\nschedule_%s = dg.ScheduleDefinition(\n    name=", sc->name);
		dagster_pystr(&b, sc->name);
		buf_puts(&b, ",\n    cron_schedule=");
		dagster_pystr(&b, cron);
		if (strcmp(cron, sc->cron) != 0) {
			buf_puts(&b, ",  # ");
			pycomment(&b, sc->cron);
			buf_putc(&b, '\n');
		} else {
			buf_puts(&b, ",\n");
		}
		buf_puts(&b, "    execution_timezone=");
		dagster_pystr(&b, sc->timezone);
		buf_puts(&b, ",\n");
		pytarget(&b, &keys, "    ");
		if (sc->description) {
			buf_puts(&b, "    description=");
			dagster_pystr(&b, sc->description);
			buf_puts(&b, ",\n");
		}
		buf_puts(&b, "    default_status=dg.DefaultScheduleStatus.RUNNING,\n)\n");
		free(cron);
		strs_free(&keys);
	}
	free(v);
	char *rel = xasprintf("src/%s/defs/schedules.py", d->pkg);
	add(d, rel, &b);
	free(rel);
}

/* ---- sensors ---- */

/* where a watched table lives */
enum db { DB_SUPABASE, DB_POSTGRES, DB_SQLITE, DB_DUCKDB, DB_N };

static enum db
dbof(const struct dg *d, const struct node *t)
{
	if (t->kind == N_TABLE)
		return DB_SUPABASE;
	const char *type = d->s->warehouse.type;
	return strcmp(type, "postgres") == 0 ? DB_POSTGRES : strcmp(type, "duckdb") == 0 ? DB_DUCKDB : DB_SQLITE;
}

/* the functions that connect to each database */
static void
connectors(struct dg *d, struct buf *b, const bool *used)
{
	const struct spec_warehouse *wh = &d->s->warehouse;
	if (used[DB_SUPABASE])
		buf_puts(b, "\n\ndef _connect_supabase():\n    return psycopg.connect(_env(\"" SUPABASE_URL_ENV "\"))\n");
	if (used[DB_POSTGRES]) {
		/* the warehouse's connection, from the variables profiles.yml reads */
		buf_puts(b, "\n\ndef _connect_warehouse():\n    return psycopg.connect(\n        host=_env(");
		dagster_pystr(b, wh->host_env);
		buf_puts(b, "),\n        port=os.environ.get(");
		dagster_pystr(b, wh->port_env);
		buf_puts(b, ") or \"5432\",\n        user=_env(");
		dagster_pystr(b, wh->user_env);
		buf_puts(b, "),\n        password=_env(");
		dagster_pystr(b, wh->password_env);
		buf_puts(b, "),\n        dbname=");
		dagster_pystr(b, wh->database);
		buf_puts(b, ",\n    )\n");
	}
	if (used[DB_SQLITE] || used[DB_DUCKDB]) {
		buf_puts(b, "\n\ndef _warehouse_path():\n    # as profiles.yml: DPC_WAREHOUSE_PATH, else the spec's warehouse path\n"
			    "    return os.environ.get(\"DPC_WAREHOUSE_PATH\") or str(_ROOT / ");
		dagster_pystr(b, wh->path);
		buf_puts(b, ")\n");
	}
	if (used[DB_SQLITE])
		buf_puts(b, "\n\ndef _connect_warehouse():\n"
			    "    # read-only: a sensor never creates the file or writes to it\n"
			    "    return sqlite3.connect(Path(_warehouse_path()).resolve().as_uri() + \"?mode=ro\", uri=True)\n");
	if (used[DB_DUCKDB])
		buf_puts(b, "\n\ndef _connect_warehouse():\n"
			    "    return duckdb.connect(_warehouse_path(), read_only=True)\n");
}

/* the queries of one sensor: the largest cursor value overall, and above
 * the last one seen */
static void
sensorsql(struct buf *b, const struct node *sn, const struct node *t, enum db db)
{
	const char *schema, *table;
	if (t->kind == N_TABLE) {
		schema = t->apptable->schema;
		table = t->name;
	} else {
		/* dbt's default: a source's schema is its name */
		schema = t->source->schema ? t->source->schema : t->source->name;
		table = t->table->identifier ? t->table->identifier : t->table->name;
		if (db == DB_SQLITE)
			schema = NULL; /* the warehouse file's own tables (docs/dagster.md) */
	}
	struct buf q = {0};
	buf_puts(&q, "select cast(max(");
	sqlid(&q, sn->cursor);
	buf_puts(&q, ") as text) from ");
	sqltable(&q, schema, table);
	buf_puts(b, "    first=");
	pysql(b, q.data);
	buf_puts(&q, " where ");
	sqlid(&q, sn->cursor);
	/* psycopg's placeholder, or sqlite3's and duckdb's */
	buf_puts(&q, db == DB_SUPABASE || db == DB_POSTGRES ? " > %s" : " > ?");
	buf_puts(b, ",\n    after=");
	pysql(b, q.data);
	buf_puts(b, ",\n");
	buf_free(&q);
}

/* imports, connections and the polling function the sensors share */
static void
sensorcommon(struct dg *d, struct buf *b, const bool *used)
{
	bool pg = used[DB_SUPABASE] || used[DB_POSTGRES], file = used[DB_SQLITE] || used[DB_DUCKDB];
	buf_puts(b, "\nimport contextlib\nimport os\n");
	if (used[DB_SQLITE])
		buf_puts(b, "import sqlite3\n");
	buf_puts(b, "from dataclasses import dataclass\n");
	if (file)
		buf_puts(b, "from pathlib import Path\n");
	buf_puts(b, "\nimport dagster as dg\n");
	if (used[DB_DUCKDB])
		buf_puts(b, "import duckdb\n");
	if (pg)
		buf_puts(b, "import psycopg\n");
	if (file) {
		buf_putc(b, '\n');
		pyroot(d, b);
	}
	buf_puts(b, "\n\n@dataclass(frozen=True)\n"
		     "class _Watch:\n"
		     "    name: str  # the sensor's\n"
		     "    table: str  # for messages\n"
		     "    first: str  # the largest cursor value, as text\n"
		     "    after: str  # the same among rows above the cursor\n"
		     "\n\n"
		     "def _env(name):\n"
		     "    value = os.environ.get(name)\n"
		     "    if not value:\n"
		     "        raise RuntimeError(f\"environment variable {name} is not set\")\n"
		     "    return value\n");
	connectors(d, b, used);
	buf_puts(b, "\n\n"
		     "def _poll(context, connect, watch):\n"
		     "    \"\"\"A run request and the new cursor when rows above the cursor arrived.\"\"\"\n"
		     "    with contextlib.closing(connect()) as conn:\n"
		     "        cur = conn.cursor()\n"
		     "        if context.cursor is None:\n"
		     "            cur.execute(watch.first)\n"
		     "        else:\n"
		     "            cur.execute(watch.after, (context.cursor,))\n"
		     "        row = cur.fetchone()\n"
		     "    newest = row[0] if row else None\n"
		     "    if newest is None:\n"
		     "        return dg.SkipReason(f\"no new rows in {watch.table}\")\n"
		     "    return dg.SensorResult(\n"
		     "        run_requests=[dg.RunRequest(run_key=f\"{watch.name}:{newest}\")],\n"
		     "        cursor=newest,\n"
		     "    )\n");
}

static void
sensors(struct dg *d)
{
	const struct graph *g = d->g;
	size_t n;
	const struct node **v = sorted(g, N_SENSOR, &n);
	if (!n) {
		free(v);
		return;
	}
	/* the databases polled, by the sensors that run something */
	bool used[DB_N] = {0};
	size_t live = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i]->from < g->n && runs(g, v[i])) {
			used[dbof(d, &g->nodes[v[i]->from])] = true;
			live++;
		}
	struct buf b = {0};
	buf_printf(&b, "# %s\n", d->header);
	buf_puts(&b, "\"\"\"The spec's sensors. Each polls its table for rows whose cursor column is\n"
		     "above the largest value it saw (kept as the sensor's cursor) and asks for one\n"
		     "run of its assets when there are some; the run key is the new cursor, so a\n"
		     "tick repeated never runs twice. Tables in Supabase's realtime publication are\n"
		     "polled too: a Dagster sensor polls. The first tick runs when the table has\n"
		     "rows at all.\"\"\"\n");
	if (live)
		sensorcommon(d, &b, used);
	for (size_t i = 0; i < n; i++) {
		const struct node *sn = v[i];
		const struct spec_sensor *se = sn->sensor;
		const struct node *t = &g->nodes[sn->from];
		enum db db = dbof(d, t);
		struct strs keys = {0};
		targetkeys(g, sn, &keys);
		if (!keys.n) {
			buf_printf(&b, "\n\n# sensor %s: its selection '", se->name);
			pycomment(&b, se->select);
			buf_puts(&b, "' picks nothing Dagster builds (only\n"
				     "# source tables or ephemeral models), so there is nothing to run\n");
			strs_free(&keys);
			continue;
		}
		char *what = t->kind == N_TABLE ? xasprintf("%s.%s", t->apptable->schema, t->name)
						: xasprintf("source %s.%s", t->source->name, t->table->name);
		buf_printf(&b, "\n\n_%s = _Watch(\n    name=", se->name);
		dagster_pystr(&b, se->name);
		buf_puts(&b, ",\n    table=");
		dagster_pystr(&b, what);
		buf_puts(&b, ",\n");
		sensorsql(&b, sn, t, db);
		buf_puts(&b, ")\n\n\n@dg.sensor(\n    name=");
		dagster_pystr(&b, se->name);
		buf_puts(&b, ",\n");
		pytarget(&b, &keys, "    ");
		buf_printf(&b, "    minimum_interval_seconds=%lld,\n", se->interval);
		char *desc = se->description ? xstrdup(se->description)
					     : xasprintf("New rows in %s, by %s", what, sn->cursor);
		buf_puts(&b, "    description=");
		dagster_pystr(&b, desc);
		free(desc);
		buf_puts(&b, ",\n    default_status=dg.DefaultSensorStatus.RUNNING,\n)\n");
		buf_printf(&b, "def sensor_%s(context: dg.SensorEvaluationContext):\n"
			       "    return _poll(context, %s, _%s)\n",
			   se->name, db == DB_SUPABASE ? "_connect_supabase" : "_connect_warehouse", se->name);
		free(what);
		strs_free(&keys);
	}
	free(v);
	char *rel = xasprintf("src/%s/defs/sensors.py", d->pkg);
	add(d, rel, &b);
	free(rel);
}

void
emit_dagster(const struct graph *g, struct outset *out)
{
	const struct spec *s = g->spec;
	struct dg d = {g, s, out, dagster_root(s), pkgname(s->project), NULL, 0};
	char *what = xasprintf("the spec %s", s->nfiles ? s->files[0] : "pipeline.yaml");
	d.header = xasprintf(DPC_HEADER, what);
	free(what);
	/* defs/ → <pkg> → src → the dg project, then the project's own depth */
	d.up = 3 + path_depth(d.root);
	/* psycopg: embeddings write to Supabase; sensors may poll PostgreSQL */
	bool psycopg = s->nembeddings > 0;
	for (size_t i = 0; i < g->n && !psycopg; i++) {
		const struct node *n = &g->nodes[i];
		psycopg = n->kind == N_SENSOR && n->from < g->n &&
			  (g->nodes[n->from].kind == N_TABLE || strcmp(s->warehouse.type, "postgres") == 0);
	}
	pyproject(&d, psycopg);
	package(&d);
	dbtdefs(&d);
	assets(&d);
	embeddings(&d);
	schedules(&d);
	sensors(&d);
	free(d.root);
	free(d.pkg);
	free(d.header);
}
