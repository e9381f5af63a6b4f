/* migrate.c: `dpc migrate airflow`, less its command line (main.c):
 *
 * - migrate_splice: the edit to the spec. New DAGs become entries of
 *   airflow.dags, and the stage of DAGs already there changes, by inserting
 *   and replacing text at the places the YAML parser reports (yamldoc.c), so
 *   that the user's comments, order and quoting stay. The spec is never
 *   dumped again. Flow-style airflow: and dags: are refused with a message
 *   (there is no place to insert a line into {...}).
 * - migrate_report: per DAG, what was translated, what needs a person, and
 *   the UAT check. The check reads the Dagster asset graph back out of the
 *   bytes the back ends made: defs.yaml with the YAML parser, the Python
 *   modules with tree-sitter (pyscan.h), @dg.asset(key=..., deps=[...]) by
 *   @dg.asset, and compares its edges with the Airflow DAG's. It holds the
 *   generated code to the DAG, not to dpc's own idea of it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "airflow.h"
#include "compile.h"
#include "cron.h"
#include "migrate.h"
#include "specedit.h"
#include "yamldoc.h"

/* ---- the edit to the spec ----
 * The splicing (byte edits at the spans yamldoc.c reports, the quoting of
 * scalars) is specedit.c's, which `dpc new` uses too; what is migrate's
 * own is where each DAG's entry goes, and the entry's shape (a comment
 * line in it when the DAG's schedule has no cron form). */

static const struct ynode *
field(const struct ynode *map, const char *key, const struct ynode **k)
{
	if (!map || map->kind != Y_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i += 2)
		if (strcmp(map->items[i]->str, key) == 0) {
			if (k)
				*k = map->items[i];
			return map->items[i + 1];
		}
	return NULL;
}

static void
indent(struct buf *b, size_t n)
{
	while (n--)
		buf_putc(b, ' ');
}

/* one DAG read from a file, for the spec */
struct newdag {
	char *dag_id, *file;
	char *schedule;  /* what the spec's schedule: gets, or NULL */
	char *comment;   /* else why there is none, or NULL */
};

/* the lines of a new entry at indentation in, each preceded by a newline */
static void
entry(struct buf *b, const struct newdag *d, const char *stage, size_t in)
{
	buf_putc(b, '\n');
	indent(b, in);
	sedit_scalar(b, d->dag_id);
	buf_puts(b, ":\n");
	indent(b, in + 2);
	buf_puts(b, "file: ");
	sedit_scalar(b, d->file);
	if (d->schedule) {
		buf_putc(b, '\n');
		indent(b, in + 2);
		buf_puts(b, "schedule: \"");
		for (const char *p = d->schedule; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(b, '\\');
			buf_putc(b, *p);
		}
		buf_putc(b, '"');
	} else if (d->comment) {
		buf_putc(b, '\n');
		indent(b, in + 2);
		buf_printf(b, "# schedule: %s", d->comment);
	}
	buf_putc(b, '\n');
	indent(b, in + 2);
	buf_printf(b, "stage: %s", stage);
}

/* is path one the spec may name: relative, no "..", not empty */
static const char *
badpath(const char *p)
{
	if (!*p)
		return "is empty";
	if (*p == '/')
		return "is absolute; give it relative to the project folder";
	for (const char *s = p; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return "leads out of the project ('..')";
		s += n;
		s += *s == '/';
	}
	size_t n = strlen(p);
	if (n < 4 || strcmp(p + n - 3, ".py") != 0)
		return "is not a .py file";
	return NULL;
}

/* does the spec's cron check (cron.c) take s? */
static bool
cronok(const char *s)
{
	struct diags d = {0};
	bool ok = cron_check(&d, NOLOC, s);
	diag_free(&d);
	return ok;
}

/* read the DAGs of the files; false with *err on a problem */
static bool
readdags(int rootfd, const char *const *files, size_t nfiles, struct newdag **out, size_t *nout, char **err)
{
	struct py_scanner *ps = py_scanner_new();
	if (!ps) {
		*err = xstrdup("cannot read Python: this dpc's tree-sitter grammar does not load");
		return false;
	}
	bool ok = true;
	for (size_t i = 0; ok && i < nfiles; i++) {
		const char *path = files[i];
		while (path[0] == '.' && path[1] == '/')
			path += 2;
		const char *why = badpath(path);
		if (why) {
			*err = xasprintf("--dag %s: the path %s", files[i], why);
			ok = false;
			break;
		}
		char *text;
		size_t len;
		int e = read_beneath(rootfd, path, INPUT_MAX_BYTES, &text, &len, NULL);
		if (e) {
			*err = xasprintf("--dag %s: %s", path,
					 e == EXDEV || e == ELOOP ? "leads out of the project through a symlink"
								  : strerror(e));
			ok = false;
			break;
		}
		struct diags d = {0};
		int32_t f = diag_file(&d, path, text, len);
		struct af_file af = {0};
		af_read(ps, &d, f, d.files[f].text, len, &af);
		if (!af.ndags) {
			*err = xasprintf("--dag %s: dpc finds no DAG in it (with DAG(...), DAG(...) as a variable, or @dag)",
					 path);
			ok = false;
		}
		for (size_t k = 0; ok && k < af.ndags; k++) {
			const struct af_dag *dag = &af.dags[k];
			bool seen = false;
			for (size_t j = 0; j < *nout; j++)
				seen |= strcmp((*out)[j].dag_id, dag->dag_id) == 0;
			if (seen) {
				*err = xasprintf("--dag %s: DAG '%s' is defined twice in the files given", path,
						 dag->dag_id);
				ok = false;
				break;
			}
			*out = xreallocarray(*out, *nout + 1, sizeof(**out));
			struct newdag *nd = &(*out)[(*nout)++];
			*nd = (struct newdag){xstrdup(dag->dag_id), xstrdup(path), NULL, NULL};
			bool written = dag->sched_kind == AF_SCHED_CRON || dag->sched_kind == AF_SCHED_PRESET;
			if (dag->cron)
				nd->schedule = xstrdup(written && dag->schedule ? dag->schedule : dag->cron);
			if (nd->schedule && !cronok(nd->schedule)) {
				/* a preset the spec does not take (@once, @continuous):
				 * the cron the reader found, or none */
				free(nd->schedule);
				nd->schedule = dag->cron && cronok(dag->cron) ? xstrdup(dag->cron) : NULL;
			}
			if (!nd->schedule)
				nd->comment = xasprintf("the DAG's is %s, which has no cron form; Dagster gets none",
							dag->schedule ? dag->schedule
								      : dag->sched_kind == AF_SCHED_NONE ? "None" : "unset");
		}
		af_file_free(&af);
		diag_free(&d);
	}
	py_scanner_free(ps);
	return ok;
}

char *
migrate_splice(int rootfd, const char *specpath, const char *text, size_t len, const char *const *dagfiles,
	       size_t ndagfiles, const char *stage, char ***ids, size_t *nids, size_t *nadded, char **err)
{
	*ids = NULL;
	*nids = *nadded = 0;
	*err = NULL;
	struct newdag *dags = NULL;
	size_t ndags = 0;
	char *result = NULL;
	struct arena a = {0};
	struct diags d = {0};
	struct sedit_splice sp = {text, len, sedit_crlf(text, len), NULL, 0, 0};
	if (!readdags(rootfd, dagfiles, ndagfiles, &dags, &ndags, err))
		goto out;
	int32_t f = diag_file(&d, specpath, NULL, 0);
	const struct ynode *doc = yaml_load(&a, &d, f, text, len);
	if (!doc || d.nerrors || doc->kind != Y_MAP) {
		*err = xasprintf("%s is not a YAML mapping dpc can edit; run dpc check to see why", specpath);
		goto out;
	}
	const struct ynode *akey = NULL, *af = field(doc, "airflow", &akey);
	const struct ynode *dkey = NULL, *dv = af && af->kind == Y_MAP ? field(af, "dags", &dkey) : NULL;
	if (af && (af->kind != Y_MAP || text[af->loc.off] == '{')) {
		*err = xasprintf("%s: airflow: is not a block mapping; write it as `airflow:` with its keys on "
				 "lines of their own, then run migrate again", specpath);
		goto out;
	}
	bool emptyflow = dv && dv->kind == Y_MAP && dv->n == 0 && text[dv->loc.off] == '{';
	if (dv && !ynull(dv) && !emptyflow && (dv->kind != Y_MAP || text[dv->loc.off] == '{')) {
		*err = xasprintf("%s: airflow.dags is not a block mapping; write one DAG per line, then run migrate "
				 "again", specpath);
		goto out;
	}
	const char *newstage = stage ? stage : "observe";
	char **updated = NULL; /* the DAGs already there whose entry changes */
	size_t nupdated = 0;
	struct buf add = {0}; /* the new entries, each line after a newline */
	size_t in = 4;        /* their indentation */
	if (dv && dv->kind == Y_MAP && dv->n)
		in = sedit_column(text, dv->items[0]->loc.off);
	else if (dkey)
		in = sedit_column(text, dkey->loc.off) + 2;
	for (size_t i = 0; i < ndags; i++) {
		const struct newdag *nd = &dags[i];
		const struct ynode *ekey = NULL, *ev = dv && dv->kind == Y_MAP ? field(dv, nd->dag_id, &ekey) : NULL;
		if (!ekey) {
			entry(&add, nd, newstage, in);
			*ids = xreallocarray(*ids, *nids + 1, sizeof(**ids));
			(*ids)[(*nids)++] = xstrdup(nd->dag_id);
			(*nadded)++;
			continue;
		}
		/* an entry already there: its file and stage follow the command */
		if (ev->kind != Y_MAP || ev->n == 0 || text[ev->loc.off] == '{') {
			*err = xasprintf("%s: airflow.dags.%s is not a block mapping; write its keys on lines of "
					 "their own, then run migrate again", specpath, nd->dag_id);
			buf_free(&add);
			for (size_t k = 0; k < nupdated; k++)
				free(updated[k]);
			free(updated);
			goto out;
		}
		bool changed = false;
		const struct ynode *fv = field(ev, "file", NULL);
		if (fv && fv->kind == Y_SCALAR && strcmp(fv->str, nd->file) != 0) {
			struct buf v = {0};
			sedit_scalar(&v, nd->file);
			sedit_splice_add(&sp, fv->loc.off, fv->slen ? fv->loc.len : 0, buf_take(&v));
			changed = true;
		}
		const struct ynode *sv = field(ev, "stage", NULL);
		if (stage && sv && sv->kind == Y_SCALAR && strcmp(sv->str, stage) != 0) {
			sedit_splice_add(&sp, sv->loc.off, sv->slen ? sv->loc.len : 0, xstrdup(stage));
			changed = true;
		} else if (stage && !sv) {
			struct buf v = {0};
			buf_putc(&v, '\n');
			indent(&v, sedit_column(text, ev->items[0]->loc.off));
			buf_printf(&v, "stage: %s", stage);
			sedit_splice_add(&sp, sedit_lineend(text, len, sedit_nodeend(text, len, ev)), 0, buf_take(&v));
			changed = true;
		}
		if (changed) {
			updated = xreallocarray(updated, nupdated + 1, sizeof(*updated));
			updated[nupdated++] = xstrdup(nd->dag_id);
		}
	}
	/* the added first, then the updated */
	*ids = xreallocarray(*ids, *nids + nupdated + 1, sizeof(**ids));
	for (size_t i = 0; i < nupdated; i++)
		(*ids)[(*nids)++] = updated[i];
	free(updated);
	updated = NULL;
	nupdated = 0;
	if (add.len) {
		if (!af) {
			/* a new section at the end of the file */
			struct buf v = {0};
			if (len && text[len - 1] != '\n')
				buf_putc(&v, '\n');
			buf_puts(&v, "\n# Airflow DAGs on their way to Dagster (dpc migrate airflow; docs/airflow.md)\n"
				     "airflow:\n  dags:");
			buf_put(&v, add.data, add.len);
			buf_putc(&v, '\n');
			sedit_splice_add(&sp, len, 0, buf_take(&v));
		} else if (!dkey) {
			struct buf v = {0};
			size_t kin = af->n ? sedit_column(text, af->items[0]->loc.off) : sedit_column(text, akey->loc.off) + 2;
			buf_putc(&v, '\n');
			indent(&v, kin);
			buf_puts(&v, "dags:");
			/* every DAG is new here: the entries again, under the new key */
			struct buf ents = {0};
			for (size_t i = 0; i < ndags; i++)
				entry(&ents, &dags[i], newstage, kin + 2);
			buf_put(&v, ents.data, ents.len);
			buf_free(&ents);
			size_t end = af->n ? sedit_nodeend(text, len, af) : akey->loc.off + akey->loc.len;
			sedit_splice_add(&sp, sedit_lineend(text, len, end), 0, buf_take(&v));
		} else if (!dv || ynull(dv) || emptyflow) {
			/* dags: with nothing, null or {}: the entries go below the key */
			if (emptyflow) {
				size_t at = dv->loc.off;
				while (at > 0 && text[at - 1] == ' ')
					at--;
				sedit_splice_add(&sp, at, dv->loc.off + 2 - at, xstrdup(""));
			}
			else if (dv && dv->slen)
				sedit_splice_add(&sp, dv->loc.off, dv->loc.len, xstrdup(""));
			size_t at = sedit_lineend(text, len, dkey->loc.off + dkey->loc.len);
			sedit_splice_add(&sp, at, 0, xstrndup(add.data, add.len));
		} else {
			size_t at = sedit_lineend(text, len, sedit_nodeend(text, len, dv));
			sedit_splice_add(&sp, at, 0, xstrndup(add.data, add.len));
		}
	}
	buf_free(&add);
	size_t outlen;
	result = sedit_splice_apply(&sp, &outlen);
	if (!result)
		*err = xasprintf("%s: the edit does not fit the text (a bug in dpc); nothing was written", specpath);
out:
	sedit_splice_free(&sp);
	for (size_t i = 0; i < ndags; i++) {
		free(dags[i].dag_id), free(dags[i].file), free(dags[i].schedule), free(dags[i].comment);
	}
	free(dags);
	diag_free(&d);
	arena_free(&a);
	if (!result) {
		for (size_t i = 0; i < *nids; i++)
			free((*ids)[i]);
		free(*ids);
		*ids = NULL;
		*nids = *nadded = 0;
	}
	return result;
}

/* ---- the report ---- */

/* the asset graph read back from the generated files: key → its deps */
struct agraph {
	struct strmap index; /* key → asset index + 1 */
	struct asset {
		char *key;
		char **deps;
		size_t ndeps;
		const char *from; /* the file that defines it */
		bool ref;         /* only referred to by key in defs.yaml, not defined there */
	} *v;
	size_t n, cap;
};

static struct asset *
agraph_add(struct agraph *g, const char *key, const char *from, bool ref)
{
	uintptr_t i = (uintptr_t)strmap_get(&g->index, key);
	if (i) {
		struct asset *a = &g->v[i - 1];
		if (a->ref && !ref)
			a->ref = false, a->from = from;
		return ref ? NULL : a;
	}
	VEC_PUSH(g->v, g->n, g->cap);
	struct asset *a = &g->v[g->n];
	*a = (struct asset){.key = xstrdup(key), .from = from, .ref = ref};
	strmap_put(&g->index, a->key, (void *)(uintptr_t)(++g->n));
	/* the map keeps pointers to keys; g->v may move, the keys do not */
	return ref ? NULL : &g->v[g->n - 1];
}

static void
agraph_free(struct agraph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].key);
		for (size_t k = 0; k < g->v[i].ndeps; k++)
			free(g->v[i].deps[k]);
		free(g->v[i].deps);
	}
	free(g->v);
	strmap_free(&g->index);
}

static void
adddepkey(struct asset *a, char *key)
{
	a->deps = xreallocarray(a->deps, a->ndeps + 1, sizeof(*a->deps));
	a->deps[a->ndeps++] = key;
}

static const struct output *
outputat(const struct compilation *c, const char *path)
{
	for (size_t i = 0; i < c->out.n; i++)
		if (strcmp(c->out.v[i].path, path) == 0)
			return &c->out.v[i];
	return NULL;
}

/* the assets defs.yaml maps to the tasks of dag_id (specs and references);
 * false when it is not YAML */
static bool
readdefs(const struct output *o, const char *dag_id, struct agraph *g)
{
	struct arena a = {0};
	struct diags d = {0};
	int32_t f = diag_file(&d, o->path, NULL, 0);
	const struct ynode *doc = yaml_load(&a, &d, f, o->data, o->len);
	bool ok = doc && !d.nerrors;
	const struct ynode *maps = field(field(doc, "attributes", NULL), "mappings", NULL);
	for (size_t i = 0; maps && maps->kind == Y_SEQ && i < maps->n; i++) {
		const struct ynode *m = maps->items[i], *id = field(m, "dag_id", NULL);
		if (!id || id->kind != Y_SCALAR || strcmp(id->str, dag_id) != 0)
			continue;
		/* the DAG's own assets, then each task's */
		const struct ynode *lists[64];
		size_t nl = 0;
		const struct ynode *da = field(m, "assets", NULL), *tm = field(m, "task_mappings", NULL);
		if (da)
			lists[nl++] = da;
		for (size_t k = 0; tm && tm->kind == Y_SEQ && k < tm->n && nl < LEN(lists); k++)
			lists[nl++] = field(tm->items[k], "assets", NULL);
		for (size_t l = 0; l < nl; l++) {
			const struct ynode *list = lists[l];
			for (size_t k = 0; list && list->kind == Y_SEQ && k < list->n; k++) {
				const struct ynode *ref = field(list->items[k], "by_key", NULL);
				const struct ynode *spec = field(list->items[k], "spec", NULL);
				const struct ynode *key = field(spec, "key", NULL);
				if (ref && ref->kind == Y_SCALAR)
					agraph_add(g, ref->str, o->path, true);
				if (!key || key->kind != Y_SCALAR)
					continue;
				struct asset *as = agraph_add(g, key->str, o->path, false);
				const struct ynode *deps = field(spec, "deps", NULL);
				for (size_t j = 0; as && deps && deps->kind == Y_SEQ && j < deps->n; j++)
					if (deps->items[j]->kind == Y_SCALAR)
						adddepkey(as, xstrdup(deps->items[j]->str));
			}
		}
	}
	diag_free(&d);
	arena_free(&a);
	return ok;
}

/* dg.AssetKey(["a", "b"]) as "a/b", or NULL */
static char *
pyassetkey(const struct py_file *pf, TSNode n)
{
	if (ts_node_is_null(n) || strcmp(ts_node_type(n), "call") != 0)
		return NULL;
	const struct py_call *c = py_call_at(pf, n);
	char *fn = c ? py_dotted(pf, c->func) : NULL;
	bool ok = fn && strcmp(fn, "dg.AssetKey") == 0 && c->nargs == 1 && strcmp(ts_node_type(c->args[0]), "list") == 0;
	free(fn);
	if (!ok)
		return NULL;
	struct buf b = {0};
	uint32_t nc = ts_node_named_child_count(c->args[0]);
	for (uint32_t i = 0; i < nc; i++) {
		char *part = py_string(pf, ts_node_named_child(c->args[0], i));
		if (!part) {
			buf_free(&b);
			return NULL;
		}
		buf_printf(&b, "%s%s", i ? "/" : "", part);
		free(part);
	}
	return b.data ? buf_take(&b) : NULL;
}

/* the @dg.asset(key=..., deps=[...]) of a generated Python module; false
 * when it does not parse */
static bool
readpython(struct py_scanner *ps, const struct output *o, struct agraph *g)
{
	struct py_file pf = {0};
	if (!ps || !py_scan(ps, o->data, o->len, &pf) || pf.has_error) {
		py_file_free(&pf);
		return false;
	}
	for (size_t i = 0; i < pf.ncalls; i++) {
		const struct py_call *c = &pf.calls[i];
		char *fn = py_dotted(&pf, c->func);
		bool asset = fn && strcmp(fn, "dg.asset") == 0;
		free(fn);
		if (!asset)
			continue;
		char *key = pyassetkey(&pf, py_kwarg(&pf, c, "key"));
		if (!key)
			continue;
		struct asset *as = agraph_add(g, key, o->path, false);
		free(key);
		TSNode deps = py_kwarg(&pf, c, "deps");
		if (!as || ts_node_is_null(deps) || strcmp(ts_node_type(deps), "list") != 0)
			continue;
		uint32_t nc = ts_node_named_child_count(deps);
		for (uint32_t k = 0; k < nc; k++) {
			char *dk = pyassetkey(&pf, ts_node_named_child(deps, k));
			if (dk)
				adddepkey(as, dk);
		}
	}
	py_file_free(&pf);
	return true;
}

static cJSON *
edgejson(const char *up, const char *down)
{
	cJSON *e = cJSON_CreateArray();
	cJSON_AddItemToArray(e, cJSON_CreateString(up));
	cJSON_AddItemToArray(e, cJSON_CreateString(down));
	return e;
}

static void
person(cJSON *list, const char *task, const char *what)
{
	cJSON *o = cJSON_CreateObject();
	if (task)
		cJSON_AddStringToObject(o, "task", task);
	else
		cJSON_AddNullToObject(o, "task");
	cJSON_AddStringToObject(o, "what", what);
	cJSON_AddItemToArray(list, o);
}

static const char *const stagenames[] = {"peer", "observe", "proxy", "migrated"};
static const char *const kindnames[] = {"python", "bash", "empty", "none"};

/* the UAT check of one DAG: the Airflow edges, as asset keys, against the
 * edges of the asset graph read back from the files */
static cJSON *
uat(const struct compilation *c, struct py_scanner *ps, const struct node *dag, const struct node *t,
    size_t nt, size_t *inboth, bool *pass)
{
	const struct spec_airflow_dag *e = dag->airflow;
	cJSON *u = cJSON_CreateObject();
	*inboth = 0;
	if (e->stage == STAGE_PEER) {
		cJSON_AddStringToObject(u, "status", "n/a");
		cJSON_AddStringToObject(u, "why", "stage peer maps no task to an asset: Dagster shows the DAG as a whole");
		return u;
	}
	struct agraph g = {0};
	char *defs = airflow_defs_path(c->spec), *mod = airflow_module_path(c->spec, dag);
	const struct output *o;
	cJSON *unreadable = cJSON_CreateArray();
	if ((o = outputat(c, defs)) && !readdefs(o, e->dag_id, &g))
		cJSON_AddItemToArray(unreadable, cJSON_CreateString(defs));
	if (mod && (o = outputat(c, mod)) && !readpython(ps, o, &g))
		cJSON_AddItemToArray(unreadable, cJSON_CreateString(mod));
	cJSON *files = cJSON_AddArrayToObject(u, "files");
	if (e->stage != STAGE_MIGRATED)
		cJSON_AddItemToArray(files, cJSON_CreateString(defs));
	if (mod)
		cJSON_AddItemToArray(files, cJSON_CreateString(mod));
	free(defs), free(mod);
	/* the Airflow graph: each task's upstream tasks, as keys */
	struct strmap want = {0}; /* "up\ndown" */
	char **owned = NULL;
	size_t nowned = 0;
	cJSON *missing = cJSON_CreateArray(), *extra = cJSON_CreateArray(), *noasset = cJSON_CreateArray();
	size_t nwant = 0;
	for (size_t k = 0; k < nt; k++)
		for (size_t j = 0; j < t[k].ndeps; j++) {
			const struct node *up = &c->graph->nodes[t[k].deps[j].to];
			char *s = xasprintf("%s\n%s", up->assetkey, t[k].assetkey);
			owned = xreallocarray(owned, nowned + 1, sizeof(*owned));
			owned[nowned++] = s;
			strmap_put(&want, s, (void *)up);
			nwant++;
		}
	struct strmap got = {0};
	for (size_t k = 0; k < nt; k++) {
		uintptr_t i = (uintptr_t)strmap_get(&g.index, t[k].assetkey);
		const struct asset *as = i ? &g.v[i - 1] : NULL;
		if (!as || as->ref) {
			cJSON_AddItemToArray(noasset, cJSON_CreateString(t[k].name));
			continue;
		}
		for (size_t j = 0; j < as->ndeps; j++) {
			char *s = xasprintf("%s\n%s", as->deps[j], as->key);
			owned = xreallocarray(owned, nowned + 1, sizeof(*owned));
			owned[nowned++] = s;
			if (strmap_put(&got, s, (void *)1))
				continue; /* a dep listed twice is one edge */
			if (strmap_get(&want, s))
				(*inboth)++;
			else
				cJSON_AddItemToArray(extra, edgejson(as->deps[j], as->key));
		}
	}
	for (size_t k = 0; k < nt; k++)
		for (size_t j = 0; j < t[k].ndeps; j++) {
			const struct node *up = &c->graph->nodes[t[k].deps[j].to];
			char *s = xasprintf("%s\n%s", up->assetkey, t[k].assetkey);
			if (!strmap_get(&got, s))
				cJSON_AddItemToArray(missing, edgejson(up->assetkey, t[k].assetkey));
			free(s);
		}
	*pass = !cJSON_GetArraySize(missing) && !cJSON_GetArraySize(extra) && !cJSON_GetArraySize(noasset) &&
		!cJSON_GetArraySize(unreadable);
	cJSON_AddStringToObject(u, "status", *pass ? "pass" : "fail");
	cJSON_AddNumberToObject(u, "airflow_edges", (double)nwant);
	cJSON_AddNumberToObject(u, "dagster_edges", (double)got.n);
	cJSON_AddItemToObject(u, "missing", missing);
	cJSON_AddItemToObject(u, "extra", extra);
	cJSON_AddItemToObject(u, "tasks_without_asset", noasset);
	cJSON_AddItemToObject(u, "unreadable", unreadable);
	strmap_free(&want);
	strmap_free(&got);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	agraph_free(&g);
	return u;
}

static cJSON *
dagreport(const struct compilation *c, struct py_scanner *ps, const struct node *dag, bool *pass)
{
	const struct spec_airflow_dag *e = dag->airflow;
	const struct af_dag *ad = dag->afdag;
	const struct node *t = &c->graph->nodes[(size_t)(dag - c->graph->nodes) + 1];
	size_t nt = ad->ntasks;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "dag_id", e->dag_id);
	cJSON_AddStringToObject(o, "file", e->file);
	cJSON_AddStringToObject(o, "stage", stagenames[e->stage]);
	if (e->stage == STAGE_PROXY)
		cJSON_AddStringToObject(o, "proxied", e->proxied_set ? "tasks" : "dag");
	cJSON *sch = cJSON_AddObjectToObject(o, "schedule");
	if (ad->schedule)
		cJSON_AddStringToObject(sch, "airflow", ad->schedule);
	else
		cJSON_AddNullToObject(sch, "airflow");
	const char *why, *cron = airflow_cron(dag, &why);
	if (cron)
		cJSON_AddStringToObject(sch, "dagster", cron);
	else
		cJSON_AddNullToObject(sch, "dagster");
	cJSON_AddStringToObject(sch, "from", e->schedule_set ? "spec" : "dag");
	cJSON *people = cJSON_CreateArray();
	cJSON *tasks = cJSON_CreateArray();
	size_t translated = 0;
	for (size_t k = 0; k < nt; k++) {
		struct aft a;
		aft_classify(&t[k], &a);
		translated += a.kind != AFT_NONE;
		cJSON *tj = cJSON_CreateObject();
		cJSON_AddStringToObject(tj, "id", t[k].name);
		cJSON_AddStringToObject(tj, "operator", t[k].aftask->operator);
		cJSON_AddNumberToObject(tj, "line", t[k].aftask->line);
		cJSON_AddStringToObject(tj, "asset_key", t[k].assetkey);
		cJSON_AddStringToObject(tj, "translation", kindnames[a.kind]);
		bool dagster = e->stage == STAGE_MIGRATED || (e->stage == STAGE_PROXY && !e->proxied_set);
		if (e->stage == STAGE_PROXY && e->proxied_set)
			for (size_t p = 0; p < e->nproxied; p++)
				dagster |= strcmp(e->proxied[p], t[k].name) == 0;
		cJSON_AddStringToObject(tj, "runs_in", dagster ? "dagster" : "airflow");
		if (a.why) {
			char *s = xasprintf("not translated: %s; its asset raises NotImplementedError", a.why);
			cJSON_AddStringToObject(tj, "why", a.why);
			person(people, t[k].name, s);
			free(s);
		}
		cJSON *notes = cJSON_AddArrayToObject(tj, "notes");
		for (size_t i = 0; i < a.nnotes; i++) {
			cJSON_AddItemToArray(notes, cJSON_CreateString(a.notes[i]));
			person(people, t[k].name, a.notes[i]);
		}
		if (a.retries)
			cJSON_AddNumberToObject(tj, "retries", a.retries);
		cJSON_AddItemToArray(tasks, tj);
		aft_free(&a);
	}
	/* what the stage asks of a person outside the generated files */
	char *s = NULL;
	switch (e->stage) {
	case STAGE_PEER:
	case STAGE_OBSERVE:
		break;
	case STAGE_PROXY: {
		char *state = airflow_state_path(c->spec, dag);
		char *slash = strrchr(state, '/');
		*slash = '\0';
		s = xasprintf("end %s with proxying_to_dagster(global_vars=globals(), "
			      "proxied_state=load_proxied_state_from_yaml(Path(\"<project>/%s\"))) (from "
			      "dagster_airlift.in_airflow), with dagster-airlift[in-airflow] installed in Airflow and "
			      "DAGSTER_URL set there", e->file, state);
		free(state);
		break;
	}
	case STAGE_MIGRATED:
		if (!cron)
			person(people, NULL, why);
		if (ad->catchup == 1)
			person(people, NULL, "the DAG sets catchup=True: a Dagster schedule does not run the "
					     "intervals it missed; backfill by hand if needed");
		if (cron) {
			char *name = xasprintf("pause DAG %s in Airflow, then start schedule airflow_%s in Dagster "
					       "(it is generated stopped)", e->dag_id, dag->pyname);
			person(people, NULL, name);
			free(name);
		}
		break;
	}
	if (s) {
		person(people, NULL, s);
		free(s);
	}
	size_t inboth = 0;
	cJSON *u = uat(c, ps, dag, t, nt, &inboth, pass);
	cJSON *tj = cJSON_AddObjectToObject(o, "tasks");
	cJSON_AddNumberToObject(tj, "total", (double)nt);
	cJSON_AddNumberToObject(tj, "translated", (double)translated);
	cJSON *ej = cJSON_AddObjectToObject(o, "edges");
	cJSON_AddNumberToObject(ej, "total", (double)ad->nedges);
	cJSON_AddNumberToObject(ej, "translated", (double)inboth);
	cJSON_AddItemToObject(o, "task_list", tasks);
	cJSON_AddItemToObject(o, "needs_person", people);
	cJSON_AddItemToObject(o, "uat", u);
	return o;
}

cJSON *
migrate_report(const struct compilation *c, const char *const *only, size_t n, bool *pass)
{
	cJSON *r = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(r, "dags");
	struct py_scanner *ps = py_scanner_new();
	*pass = true;
	const struct graph *g = c->graph;
	for (size_t i = 0; g && i < g->n; i++) {
		const struct node *dag = &g->nodes[i];
		if (dag->kind != N_AIRFLOW_DAG || !dag->afdag)
			continue;
		bool want = !only;
		for (size_t k = 0; !want && k < n; k++)
			want = strcmp(only[k], dag->airflow->dag_id) == 0;
		if (!want)
			continue;
		bool ok = true;
		cJSON_AddItemToArray(list, dagreport(c, ps, dag, &ok));
		*pass &= ok;
	}
	py_scanner_free(ps);
	cJSON_AddBoolToObject(r, "uat_pass", *pass);
	return r;
}

static const char *
str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
	return s ? s : "";
}

static double
num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

void
migrate_report_print(const cJSON *r, FILE *f)
{
	const cJSON *dags = cJSON_GetObjectItemCaseSensitive(r, "dags"), *d;
	if (!cJSON_GetArraySize(dags)) {
		fputs("dpc: no Airflow DAG in the spec to report on\n", f);
		return;
	}
	fputs("dpc: migration report\n", f);
	cJSON_ArrayForEach(d, dags)
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "tasks");
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(d, "edges");
		const cJSON *sch = cJSON_GetObjectItemCaseSensitive(d, "schedule");
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(d, "uat");
		fprintf(f, "\nDAG %s (%s), stage %s\n", str(d, "dag_id"), str(d, "file"), str(d, "stage"));
		fprintf(f, "  tasks: %.0f, %.0f translated; edges: %.0f, %.0f in the Dagster asset graph\n",
			num(t, "total"), num(t, "translated"), num(e, "total"), num(e, "translated"));
		const char *dg = str(sch, "dagster");
		fprintf(f, "  schedule: %s in Airflow; %s%s\n", *str(sch, "airflow") ? str(sch, "airflow") : "none",
			*dg ? dg : "none", strcmp(str(d, "stage"), "migrated") == 0 ? " in Dagster" : " once migrated");
		const cJSON *tl = cJSON_GetObjectItemCaseSensitive(d, "task_list"), *x;
		cJSON_ArrayForEach(x, tl)
		fprintf(f, "    %-24s %-24s %-7s runs in %s\n", str(x, "id"), str(x, "operator"), str(x, "translation"),
			str(x, "runs_in"));
		const cJSON *people = cJSON_GetObjectItemCaseSensitive(d, "needs_person");
		if (cJSON_GetArraySize(people)) {
			fputs("  needs a person:\n", f);
			cJSON_ArrayForEach(x, people)
			{
				const char *task = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "task"));
				fprintf(f, "    - %s%s%s\n", task ? task : "", task ? ": " : "", str(x, "what"));
			}
		}
		const char *status = str(u, "status");
		if (strcmp(status, "n/a") == 0) {
			fprintf(f, "  UAT: n/a (%s)\n", str(u, "why"));
			continue;
		}
		fprintf(f, "  UAT: %s: %.0f of %.0f Airflow edges in the Dagster asset graph, %.0f there in all\n",
			strcmp(status, "pass") == 0 ? "pass" : "FAIL", num(e, "translated"), num(u, "airflow_edges"),
			num(u, "dagster_edges"));
		const char *lists[] = {"missing", "extra"};
		const char *words[] = {"missing in Dagster", "not in Airflow"};
		for (int k = 0; k < 2; k++)
			cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(u, lists[k]))
			fprintf(f, "    %s: %s -> %s\n", words[k], cJSON_GetStringValue(cJSON_GetArrayItem(x, 0)),
				cJSON_GetStringValue(cJSON_GetArrayItem(x, 1)));
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(u, "tasks_without_asset"))
		fprintf(f, "    task without an asset: %s\n", cJSON_GetStringValue(x));
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(u, "unreadable"))
		fprintf(f, "    does not parse: %s\n", cJSON_GetStringValue(x));
	}
}
