/* emit_agents.c: the files for coding agents and editors. graph →
 *
 *   <agents.file>, default AGENTS.md   at the project root: how this pipeline
 *                          is laid out, which file to edit for what, the
 *                          commands to run, what never to edit by hand
 *   <layout.dbt>/AGENTS.md, <layout.assets>/AGENTS.md, and the Dagster
 *                          project's when there is one: a few lines saying
 *                          the folder is generated, from what, and what is in it
 *   <layout.assets>/pipeline.schema.json, fragment.schema.json
 *                          the spec's JSON Schemas as this dpc reads them, for
 *                          the yaml-language-server comment of pipeline.yaml
 *
 * Everything is worked out from the graph, so it is true of this build.
 * Collections are told by counts, the folders and spec files that hold
 * most of them and a few examples (the first names in byte order), never
 * listed: the file stays a page long at 100,000 models and costs one pass
 * over the nodes. Nothing here reads SQL, so an edit the quick rebuild
 * handles (quick.c) changes none of these files.
 *
 * An AGENTS.md yields (struct output): a file at its path without dpc's
 * header is the user's, which no build overwrites (build.c). No AGENTS.md
 * at all with agents: false. See docs/cli.md. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "embedded.h"

#define TOP 3         /* examples, folders and spec files named per row */
#define MAXLAYERS 12  /* model layers with a row of their own */

/* how many of a collection each key (a folder, a spec file) holds */
struct tally {
	struct strmap idx;   /* key → index + 1 */
	struct tkey {
		const char *key; /* in the emitter's arena */
		size_t n;
	} *v;
	size_t n, cap;
	size_t last;         /* the key of the last add + 1: runs skip the lookup */
	struct buf look;     /* the key being looked up */
};

/* a row of the table: one kind of node (models: one layer) */
struct row {
	const char *what;
	size_t n;
	size_t ninline;      /* models, singular tests: SQL written in the spec */
	const struct node *ex[TOP]; /* the first names, in byte order */
	struct tally specs, dirs;
};

struct ag {
	const struct graph *g;
	const struct spec *s;
	struct outset *out;
	struct arena a;
	char *header;        /* the first line of every AGENTS.md */
	const char *spec;    /* the root spec file */
	char *dg;            /* the Dagster project's folder, or NULL without one */
	struct row rows[N_NKINDS];
	struct row layers[MAXLAYERS + 1]; /* models, by layer; the last: the rest */
	size_t nlayers, ntasks;
	size_t nmodels;
	size_t testkinds[T_ROW_COUNT + 1]; /* generic tests by kind */
};

static void
tally_add(struct tally *t, struct arena *a, const char *key, size_t len)
{
	if (t->last && strncmp(t->v[t->last - 1].key, key, len) == 0 && t->v[t->last - 1].key[len] == '\0') {
		t->v[t->last - 1].n++;
		return;
	}
	t->look.len = 0;
	buf_put(&t->look, key, len);
	size_t i = (size_t)(uintptr_t)strmap_get(&t->idx, t->look.data);
	if (!i) {
		char *k = arena_strndup(a, key, len);
		VEC_PUSH(t->v, t->n, t->cap);
		t->v[t->n++] = (struct tkey){k, 0};
		i = t->n;
		strmap_put(&t->idx, k, (void *)(uintptr_t)i);
	}
	t->v[i - 1].n++;
	t->last = i;
}

static void
tally_free(struct tally *t)
{
	strmap_free(&t->idx);
	free(t->v);
	buf_free(&t->look);
}

/* the name a row shows for a node */
static const char *
label(const struct node *n)
{
	return n->kind == N_SOURCE ? n->id + 7 : n->kind == N_AIRFLOW_DAG ? n->airflow->dag_id : n->name;
}

/* count n in row r: its spec file, its own file's folder, an example */
static void
count(struct ag *x, struct row *r, const struct node *n, const char *file)
{
	r->n++;
	const char *sf = node_specfile(x->g, n);
	tally_add(&r->specs, &x->a, sf, strlen(sf));
	if (file) {
		const char *slash = strrchr(file, '/');
		tally_add(&r->dirs, &x->a, slash ? file : ".", slash ? (size_t)(slash - file) : 1);
	}
	/* keep the TOP smallest names, in order */
	const struct node *m = n;
	for (size_t i = 0; i < TOP && m; i++) {
		if (!r->ex[i] || strcmp(label(m), label(r->ex[i])) < 0) {
			const struct node *t = r->ex[i];
			r->ex[i] = m;
			m = t;
		}
	}
}

/* the row of a model's layer */
static struct row *
layerrow(struct ag *x, const char *layer)
{
	layer = layer ? layer : "(none)";
	for (size_t i = 0; i < x->nlayers; i++)
		if (strcmp(x->layers[i].what, layer) == 0)
			return &x->layers[i];
	if (x->nlayers == MAXLAYERS) {
		x->layers[MAXLAYERS].what = "other layers";
		return &x->layers[MAXLAYERS];
	}
	x->layers[x->nlayers].what = layer;
	return &x->layers[x->nlayers++];
}

/* the usual order of dbt's layers first, then by name */
static int
layerrank(const char *l)
{
	static const char *const order[] = {"staging", "intermediate", "marts"};
	for (size_t i = 0; i < LEN(order); i++)
		if (strcmp(l, order[i]) == 0)
			return (int)i;
	return (int)LEN(order);
}

static int
cmplayer(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int rx = layerrank(x->what), ry = layerrank(y->what);
	return rx != ry ? rx - ry : strcmp(x->what, y->what);
}

static void
gather(struct ag *x)
{
	static const char *const what[N_NKINDS] = {
		[N_SOURCE] = "source tables", [N_SEED] = "seeds", [N_TEST] = "data tests on columns and models",
		[N_TABLE] = "Supabase tables", [N_EMBEDDING] = "embeddings", [N_ASSET] = "Python assets",
		[N_SCHEDULE] = "schedules", [N_SENSOR] = "sensors", [N_AIRFLOW_DAG] = "Airflow DAGs",
	};
	for (size_t k = 0; k < N_NKINDS; k++)
		x->rows[k].what = what[k];
	/* singular tests take the row of N_MODEL, which models never use */
	x->rows[N_MODEL].what = "singular tests";
	for (size_t i = 0; i < x->g->n; i++) {
		const struct node *n = &x->g->nodes[i];
		switch (n->kind) {
		case N_MODEL: {
			struct row *r = layerrow(x, n->layer);
			count(x, r, n, n->model->sql.path);
			r->ninline += !n->model->sql.path;
			x->nmodels++;
			break;
		}
		case N_TEST:
			if (n->singular) {
				count(x, &x->rows[N_MODEL], n, n->singular->sql.path);
				x->rows[N_MODEL].ninline += !n->singular->sql.path;
			} else {
				count(x, &x->rows[N_TEST], n, NULL);
				if (n->test && n->test->kind <= T_ROW_COUNT)
					x->testkinds[n->test->kind]++;
			}
			break;
		case N_AIRFLOW_TASK:
			x->ntasks++;
			break;
		case N_AIRFLOW_DAG:
			count(x, &x->rows[n->kind], n, n->airflow->file);
			break;
		case N_SEED:
		case N_ASSET:
			count(x, &x->rows[n->kind], n, n->file);
			break;
		default:
			count(x, &x->rows[n->kind], n, NULL);
		}
	}
	qsort(x->layers, x->nlayers, sizeof(*x->layers), cmplayer);
	/* the rest, last: only used once all MAXLAYERS rows were taken */
	if (x->layers[MAXLAYERS].n)
		x->nlayers++;
}

/* s as inline code: backticks, with a pipe escaped for the table it may be in */
static void
code(struct buf *b, const char *s, size_t len)
{
	bool tick = memchr(s, '`', len) != NULL;
	buf_puts(b, tick ? "`` " : "`");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '|')
			buf_putc(b, '\\');
		buf_putc(b, s[i]);
	}
	buf_puts(b, tick ? " ``" : "`");
}

static void
codes(struct buf *b, const char *s)
{
	code(b, s, strlen(s));
}

/* the TOP keys that hold the most (ties: by name), with their counts when
 * there are several keys; then how many more. dirs: keys are folders */
static void
putkeys(struct buf *b, const struct tally *t, bool dirs)
{
	size_t shown[TOP], ns = 0;
	for (; ns < TOP && ns < t->n; ns++) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < t->n; i++) {
			bool taken = false;
			for (size_t j = 0; j < ns; j++)
				taken |= shown[j] == i;
			if (taken)
				continue;
			if (best == SIZE_MAX || t->v[i].n > t->v[best].n ||
			    (t->v[i].n == t->v[best].n && strcmp(t->v[i].key, t->v[best].key) < 0))
				best = i;
		}
		shown[ns] = best;
	}
	for (size_t j = 0; j < ns; j++) {
		const struct tkey *k = &t->v[shown[j]];
		buf_puts(b, j ? ", " : "");
		if (dirs && strcmp(k->key, ".") != 0) {
			struct buf d = {0};
			buf_printf(&d, "%s/", k->key);
			codes(b, d.data);
			buf_free(&d);
		} else {
			codes(b, dirs ? "./" : k->key);
		}
		if (t->n > 1)
			buf_printf(b, " (%zu)", k->n);
	}
	if (t->n > ns)
		buf_printf(b, " and %zu more %s", t->n - ns, dirs ? "folders" : "files");
}

static void
putrow(struct ag *x, struct buf *b, const struct row *r, const char *prefix)
{
	if (!r->n)
		return;
	buf_printf(b, "| %s%s | %zu | ", prefix, r->what, r->n);
	bool names = r != &x->rows[N_TEST]; /* a generic test's name says little: its kinds */
	if (!names) {
		static const char *const kinds[] = {"unique", "not_null", "accepted_values", "relationships", "row_count"};
		bool done[LEN(kinds)] = {0}, first = true;
		for (size_t j = 0; j < LEN(kinds); j++) {
			size_t best = LEN(kinds);
			for (size_t k = 0; k < LEN(kinds); k++)
				if (!done[k] && x->testkinds[k] && (best == LEN(kinds) || x->testkinds[k] > x->testkinds[best]))
					best = k;
			if (best == LEN(kinds))
				break;
			done[best] = true;
			buf_puts(b, first ? "" : ", ");
			codes(b, kinds[best]);
			buf_printf(b, " (%zu)", x->testkinds[best]);
			first = false;
		}
	}
	for (size_t i = 0; names && i < TOP && r->ex[i]; i++) {
		const struct node *n = r->ex[i];
		buf_puts(b, i ? ", " : "");
		codes(b, label(n));
		if (n->kind == N_SCHEDULE) {
			buf_puts(b, " (");
			codes(b, n->schedule->cron);
			buf_putc(b, ')');
		} else if (n->kind == N_AIRFLOW_DAG) {
			static const char *const stages[] = {"peer", "observe", "proxy", "migrated"};
			buf_printf(b, " (%s)", stages[n->airflow->stage]);
		}
	}
	if (names && r->n > TOP)
		buf_puts(b, ", ...");
	buf_puts(b, " | ");
	putkeys(b, &r->specs, false);
	buf_puts(b, " | ");
	putkeys(b, &r->dirs, true);
	if (r->ninline)
		buf_printf(b, "%s%zu in the spec", r->dirs.n ? "; " : "", r->ninline);
	buf_puts(b, " |\n");
}

static void
start(struct ag *x, struct buf *b)
{
	buf_printf(b, "<!-- %s -->\n", x->header);
}

/* "../../" from folder dir back to the project root */
static char *
up(const char *dir)
{
	struct buf b = {0};
	for (size_t i = path_depth(dir); i; i--)
		buf_puts(&b, "../");
	return buf_take(&b);
}

static void
section_spec(struct ag *x, struct buf *b)
{
	const struct spec *s = x->s;
	buf_puts(b, "## The spec\n\n");
	codes(b, x->spec);
	buf_puts(b, " holds the project's settings (project, warehouse, layout, vars, ci, airflow, agents)");
	if (s->nfiles > 1) {
		struct tally t = {0};
		for (size_t i = 1; i < s->nfiles; i++) {
			const char *slash = strrchr(s->files[i], '/');
			tally_add(&t, &x->a, slash ? s->files[i] : ".", slash ? (size_t)(slash - s->files[i]) : 1);
		}
		buf_printf(b, " and includes %zu fragment file%s: ", s->nfiles - 1, s->nfiles == 2 ? "" : "s");
		putkeys(b, &t, true);
		tally_free(&t);
		buf_puts(b, ". A fragment holds only sources, models, seeds, tests, tables, embeddings, "
			    "assets, schedules and sensors");
	}
	buf_puts(b, ". A name is defined in one place only. Paths are relative to the project root.\n\n");
	buf_puts(b, "The warehouse is ");
	codes(b, s->warehouse.type);
	if (s->warehouse.path) {
		buf_puts(b, " at ");
		codes(b, s->warehouse.path);
	}
	buf_puts(b, strcmp(s->warehouse.type, "sqlite") == 0
			    ? "; `dpc run` builds the pipeline there.\n\n"
			    : "; `dpc run` runs SQLite warehouses only, so run dbt on the generated project.\n\n");
	buf_puts(b, "Editors complete and check the spec with its JSON Schema, which every build writes to ");
	char *sc = xasprintf("%s/pipeline.schema.json", s->layout_assets);
	codes(b, sc);
	buf_puts(b, " (fragments: `fragment.schema.json` beside it; `dpc schema` prints it). The first "
		    "line of a spec file points at it:\n\n```yaml\n");
	/* relative to the root spec file's folder */
	const char *slash = strrchr(x->spec, '/');
	char *dir = slash ? xstrndup(x->spec, (size_t)(slash - x->spec)) : xstrdup("");
	char *back = up(dir);
	char *rel = xasprintf("%s%s", back, sc);
	free(back);
	free(dir);
	buf_printf(b, "# yaml-language-server: $schema=%s\n```\n\n", rel);
	free(rel);
	free(sc);
}

static void
section_table(struct ag *x, struct buf *b)
{
	buf_puts(b, "## What is in it\n\n");
	if (!x->g->n) {
		buf_puts(b, "Nothing yet: the spec defines no node.\n\n");
		return;
	}
	buf_puts(b, "| what | how many | for example | defined in | files |\n|---|---|---|---|---|\n");
	putrow(x, b, &x->rows[N_SOURCE], "");
	putrow(x, b, &x->rows[N_SEED], "");
	for (size_t i = 0; i < x->nlayers; i++)
		putrow(x, b, &x->layers[i], "models: ");
	putrow(x, b, &x->rows[N_TEST], "");
	putrow(x, b, &x->rows[N_MODEL], ""); /* singular tests */
	static const enum node_kind rest[] = {N_TABLE, N_EMBEDDING, N_ASSET, N_SCHEDULE, N_SENSOR, N_AIRFLOW_DAG};
	for (size_t i = 0; i < LEN(rest); i++)
		putrow(x, b, &x->rows[rest[i]], "");
	buf_putc(b, '\n');
	if (x->ntasks)
		buf_printf(b, "The Airflow DAGs have %zu task%s. ", x->ntasks, x->ntasks == 1 ? "" : "s");
	buf_printf(b, "A model's layer is its folder under `%s/models/`. `dpc graph --format json` lists "
		      "every node and edge; `%s/registry.json` has every node with where it is defined "
		      "and the files made from it.\n\n",
		   x->s->layout_dbt, x->s->layout_assets);
}

static void
section_edit(struct ag *x, struct buf *b)
{
	buf_puts(b, "## Which file to edit\n\n");
	buf_printf(b,
		   "- A model: its SQL file (or `sql:` written inline) and its entry under `models:`. It "
		   "reads other models and seeds with `{{ ref('name') }}` and source tables with "
		   "`{{ source('source', 'table') }}`: dependencies come from the SQL, never from a list. "
		   "`dpc new model NAME --from NODE` adds one, with its SQL file.\n"
		   "- Data tests: `tests:` of a column, a model or a source table (unique, not_null, "
		   "accepted_values, relationships, row_count); a singular test is a query under "
		   "`tests:` that returns the rows breaking a rule.\n"
		   "- Seeds: the CSV file and its entry under `seeds:`. Source tables: `sources:`.\n"
		   "- App tables in Supabase: `tables:`. `dpc build` works out the schema from "
		   "`supabase/migrations/` and writes one new migration for the difference.\n"
		   "- Embeddings: `embeddings:` (`dpc supabase vectorize TABLE --text COL --dimensions N` adds "
		   "one). Python assets: the `.py` file and its entry under `assets:`.\n"
		   "- Schedules and sensors: `schedules:` and `sensors:`, with dbt's selection syntax.\n"
		   "- CI: `ci:` in `%s`. Airflow DAGs: `airflow:` in `%s`, or `dpc migrate airflow --dag "
		   "PATH --stage STAGE`.\n\n",
		   x->spec, x->spec);
}

static void
section_commands(struct ag *x, struct buf *b)
{
	(void)x;
	buf_puts(b, "## Commands\n\n"
		    "```sh\n"
		    "dpc build --format json   # compile, write what changed: diagnostics, plan, downstream nodes\n"
		    "dpc check --format json   # exit 1 when a generated file is not what the spec says\n"
		    "dpc plan --format json    # what build would change, and what lies downstream of it\n"
		    "dpc run --format json     # build, then load seeds, build models, run the data tests\n"
		    "dpc test --format json    # build, then the data tests alone\n"
		    "dpc graph --format json   # every node and edge\n"
		    "dpc new model NAME --from NODE            # add to the spec, keeping its comments\n"
		    "dpc ai generate --prompt \"...\"            # a spec change proposed by an LLM, compiled first\n"
		    "dpc schema                # the spec's JSON Schema\n"
		    "```\n\n"
		    "Every command takes `--format json` and then prints one JSON document on standard "
		    "output with `command`, `ok`, `exit_code` and, when it compiles the spec, "
		    "`diagnostics` (file, line, column, severity, message). Exit codes: 0 success; 1 not up "
		    "to date, drift, a held lock, an I/O error or a failed node; 2 errors in the spec or on "
		    "the command line. Fix every diagnostic before anything else: with errors, nothing is "
		    "written.\n\n");
}

static void
section_never(struct ag *x, struct buf *b)
{
	const struct spec *s = x->s;
	buf_puts(b, "## Never edit by hand\n\n- ");
	char *d = xasprintf("%s/", s->layout_dbt);
	codes(b, d);
	free(d);
	if (x->dg) {
		buf_puts(b, ", ");
		d = xasprintf("%s/", x->dg);
		codes(b, d);
		free(d);
	}
	buf_puts(b, " and ");
	d = xasprintf("%s/", s->layout_assets);
	codes(b, d);
	free(d);
	buf_puts(b, ": `dpc build` writes them. A generated file edited by hand is drift: the next "
		    "build stops and names it (`--force` overwrites it). Commit them with the spec; CI runs "
		    "`dpc check`.\n");
	if (s->ci.set) {
		bool gh = false, gl = false;
		for (size_t i = 0; i < s->ci.nproviders; i++)
			gh |= strcmp(s->ci.providers[i], "github") == 0, gl |= strcmp(s->ci.providers[i], "gitlab") == 0;
		buf_printf(b, "- %s%s%s: generated from `ci:`.\n", gh ? "`.github/workflows/dpc.yml`" : "",
			   gh && gl ? " and " : "", gl ? "`.gitlab-ci.yml`" : "");
	}
	if (s->napptables || s->nembeddings)
		buf_puts(b, "- `supabase/migrations/`: history. dpc never edits or deletes a migration; change "
			    "`tables:` and build, and a new one is written. A destructive step (a dropped table or "
			    "column, a narrowed type) needs `dpc build --allow-destructive`.\n");
	buf_puts(b, "- This file: every build writes it again. To keep notes of your own here instead, "
		    "remove its first line (dpc leaves a file without its header alone), or set `agents: "
		    "false` in the spec.\n");
}

/* the short AGENTS.md of a generated folder: what it is, from what */
static void
folder(struct ag *x, const char *dir, const char *body)
{
	struct buf b = {0};
	start(x, &b);
	buf_printf(&b, "# %s: generated by dpc\n\n", dir);
	char *u = up(dir);
	buf_puts(&b, "`dpc build` writes every file in this folder from ");
	char *p = xasprintf("%s%s", u, x->spec);
	codes(&b, p);
	free(p);
	buf_puts(&b, " and the files it names. Do not edit them: a hand edit is drift, and the next build "
		     "stops on it. Change the spec instead: ");
	p = xasprintf("%s%s", u, x->s->agents_file);
	codes(&b, p);
	free(p);
	free(u);
	buf_puts(&b, " says which file to edit for what.\n\n");
	buf_puts(&b, body);
	size_t len = b.len;
	outset_add_yielding(x->out, xasprintf("%s/AGENTS.md", dir), buf_take(&b), len, "project");
}

static void
folders(struct ag *x)
{
	const struct spec *s = x->s;
	struct buf b = {0};
	size_t nseeds = x->rows[N_SEED].n, nsing = x->rows[N_MODEL].n;
	buf_printf(&b, "A dbt project (`dbt_project.yml`, `profiles.yml`): %zu model%s under `models/<layer>/`",
		   x->nmodels, x->nmodels == 1 ? "" : "s");
	for (size_t i = 0; i < x->nlayers; i++)
		buf_printf(&b, "%s%s %zu%s", i ? ", " : " (", x->layers[i].what, x->layers[i].n,
			   i + 1 == x->nlayers ? ")" : "");
	buf_printf(&b, " with their tests in `_models.yml` and `_sources.yml`, %zu seed%s under `seeds/`, "
		       "%zu singular test%s under `tests/`.\n",
		   nseeds, nseeds == 1 ? "" : "s", nsing, nsing == 1 ? "" : "s");
	folder(x, s->layout_dbt, b.data);
	buf_free(&b);

	if (x->dg) {
		buf_printf(&b, "A Dagster `dg` project: `pyproject.toml`, and under `src/` its definitions and "
			       "`defs/`: the dbt project as a component");
		static const struct {
			enum node_kind k;
			const char *one, *many;
		} parts[] = {{N_ASSET, "Python asset", "Python assets"}, {N_EMBEDDING, "embedding asset", "embedding assets"},
			     {N_SCHEDULE, "schedule", "schedules"}, {N_SENSOR, "sensor", "sensors"},
			     {N_AIRFLOW_DAG, "Airflow DAG (dagster-airlift)", "Airflow DAGs (dagster-airlift)"}};
		for (size_t i = 0; i < LEN(parts); i++) {
			size_t n = x->rows[parts[i].k].n;
			if (n)
				buf_printf(&b, ", %zu %s", n, n == 1 ? parts[i].one : parts[i].many);
		}
		buf_puts(&b, ".\n");
		folder(x, x->dg, b.data);
		buf_free(&b);
	}

	buf_puts(&b, "`registry.json`: every node of the graph (kind, inputs, where it is defined, the files "
		     "made from it, its content hash) and every generated file with the hash of its bytes. "
		     "`pipeline.schema.json` and `fragment.schema.json`: the JSON Schemas of the spec as this "
		     "dpc reads it, for editors.\n");
	folder(x, s->layout_assets, b.data);
	buf_free(&b);
}

/* the schemas, byte for byte as compiled in */
static void
schemas(struct ag *x)
{
	static const char *const names[] = {"pipeline.schema.json", "fragment.schema.json"};
	for (size_t k = 0; k < LEN(names); k++)
		for (size_t i = 0; i < dpc_nembedded; i++) {
			const struct embedded *e = &dpc_embedded[i];
			if (strncmp(e->name, "specs/", 6) != 0 || strcmp(e->name + 6, names[k]) != 0)
				continue;
			char *data = xmalloc(e->len + 1);
			memcpy(data, e->data, e->len);
			data[e->len] = '\0';
			outset_add(x->out, xasprintf("%s/%s", x->s->layout_assets, names[k]), data, e->len, "project");
		}
}

void
emit_agents(const struct graph *g, struct outset *out)
{
	const struct spec *s = g->spec;
	struct ag x = {.g = g, .s = s, .out = out, .spec = s->nfiles ? s->files[0] : "pipeline.yaml"};
	schemas(&x);
	if (!s->agents_file)
		return;
	char *what = xasprintf("the spec %s", x.spec);
	x.header = xasprintf(DPC_HEADER, what);
	free(what);
	/* a Dagster project, when the back ends before made one */
	char *dg = dagster_root(s);
	size_t dl = strlen(dg);
	for (size_t i = 0; i < out->n && !x.dg; i++)
		if (strncmp(out->v[i].path, dg, dl) == 0 && out->v[i].path[dl] == '/')
			x.dg = dg;
	if (!x.dg)
		free(dg);
	gather(&x);

	struct buf b = {0};
	start(&x, &b);
	buf_puts(&b, "# ");
	buf_puts(&b, s->project ? s->project : "this project");
	buf_puts(&b, ": a data pipeline compiled by dpc\n\n"
		     "The data pipeline of this repository is described in ");
	codes(&b, x.spec);
	buf_puts(&b, " and compiled by dpc, the data pipeline compiler: `dpc build` reads the spec with the "
		     "SQL, CSV and Python files it names, checks them as one graph, and writes the generated "
		     "folders below. Change the pipeline by editing the spec and those files, never the "
		     "generated code; then run `dpc build` and read its diagnostics. dpc writes this file from "
		     "the graph at every build, so it describes the last one.\n\n");
	section_spec(&x, &b);
	section_table(&x, &b);
	section_edit(&x, &b);
	section_commands(&x, &b);
	section_never(&x, &b);
	size_t len = b.len;
	outset_add_yielding(out, xstrdup(s->agents_file), buf_take(&b), len, "project");
	folders(&x);

	for (size_t k = 0; k < N_NKINDS; k++) {
		tally_free(&x.rows[k].specs);
		tally_free(&x.rows[k].dirs);
	}
	for (size_t k = 0; k <= MAXLAYERS; k++) {
		tally_free(&x.layers[k].specs);
		tally_free(&x.layers[k].dirs);
	}
	free(x.dg);
	free(x.header);
	arena_free(&x.a);
}
