/* main.c: the command line. Parses arguments, runs a command from the
 * table, prints results as text or one JSON document, and decides the exit
 * code (library code never exits):
 *
 *   0  success; for check: everything up to date
 *   1  not up to date (check), or a build stopped by drift, the lock or I/O;
 *      run, test: a node failed
 *   2  errors in the spec or on the command line
 *
 * With --format json every command prints exactly one JSON document on
 * stdout, errors on the command line included (usage_error); docs/cli.md
 * gives each document's shape. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "analyze.h"
#include "build.h"
#include "compile.h"
#include "diff.h"
#include "migrate.h"
#include "quick.h"
#include "embedded.h"
#include "run.h"
#include "cli.h"


static const char usage[] =
	"usage: dpc [-C DIR] COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  init NAME        write a starter project into the new folder NAME;\n"
	"                   --supabase adds app tables in Supabase with an embedding,\n"
	"                   --ci github|gitlab|github,gitlab adds CI workflows\n"
	"  build            compile pipeline.yaml, write what changed and AGENTS.md\n"
	"  check            exit 0 if the generated files are up to date, 1 if not\n"
	"  plan             show what build would write, change and delete, and\n"
	"                   the nodes downstream of what changed\n"
	"  run              build, then execute the pipeline on the SQLite warehouse:\n"
	"                   load seeds, build models, run data tests, check source\n"
	"                   freshness; what is up to date is skipped (docs/run.md)\n"
	"  test             build, then run the data tests alone\n"
	"  graph            print the pipeline's graph\n"
	"  analyze [PATH]   read the code a folder (or one .py or .sql file) already\n"
	"                   has: dbt projects, Airflow DAGs, Dagster assets, dlt\n"
	"                   pipelines, SQL scripts, Supabase migrations; print its\n"
	"                   graph (--format text, json, dot or mermaid);\n"
	"                   --emit-spec [FILE] proposes a pipeline.yaml (stdout, or\n"
	"                   FILE, never overwritten without --force; also -o FILE)\n"
	"  migrate airflow  move Airflow DAGs to Dagster: --dag PATH (repeatable, or\n"
	"                   several paths after it) adds each DAG of the files to the\n"
	"                   spec's airflow: section, --stage peer|observe|proxy|migrated\n"
	"                   sets their stage (new DAGs: observe); then builds and\n"
	"                   prints the migration report with its UAT check\n"
	"  new KIND NAME    add a model, source, test or asset to the spec,\n"
	"                   keeping its comments; compiled before it is written\n"
	"                   (dpc new --help)\n"
	"  supabase vectorize TABLE_OR_MODEL --text COL --dimensions N\n"
	"                   add a pgvector embedding of a text column (dpc supabase --help)\n"
	"  ai generate|explain|refactor\n"
	"                   ask an LLM for a spec change, an explanation or\n"
	"                   refactorings; every answer is compiled before it is\n"
	"                   shown, nothing is written without --apply (dpc ai --help)\n"
	"  log [--limit N | --all]\n"
	"                   the audit log of dpc ai's requests, newest first\n"
	"  schema           print the JSON Schema of pipeline.yaml\n"
	"  version          print dpc's version\n"
	"\n"
	"options:\n"
	"  -C DIR           run in DIR (default: the current folder)\n"
	"  --spec FILE      the spec, relative to DIR (default: pipeline.yaml)\n"
	"  --format FMT     text or json (one JSON document on stdout, docs/cli.md);\n"
	"                   graph and analyze also take mermaid and dot\n"
	"  --force          build: overwrite or delete generated files edited by hand;\n"
	"                   analyze: overwrite the --emit-spec FILE\n"
	"  --explain        build: say why each file is written or skipped;\n"
	"                   run, test: why each node runs or is up to date\n"
	"  -s, --select SEL run, test: the nodes to run, in dbt's selection syntax:\n"
	"                   name, +name, name+, 2+name, tag:x, source:x, path:dir,\n"
	"                   a test's name; spaces for unions, a,b for intersections\n"
	"  --exclude SEL    run, test: leave these nodes out\n"
	"  --vars JSON      run, test: override vars: '{\"start_date\": \"2024-01-01\"}'\n"
	"  --full-refresh   run: rebuild every selected node, incremental ones whole\n"
	"  -x, --fail-fast  run, test: stop at the first error or failure\n"
	"  --allow-destructive\n"
	"                   build, check, plan: let a new Supabase migration drop a\n"
	"                   table or column or narrow a type\n"
	"\n"
	"exit status: 0 success or up to date; 1 out of date, drift, a held lock\n"
	"or an I/O error, or (run, test) a node failed, or (ai) the provider failed;\n"
	"2 errors in the spec, the macros or on the command line.\n";

bool json(const struct opts *o) { return strcmp(o->format, "json") == 0; }

void
printjson(cJSON *doc)
{
	char *s = cJSON_Print(doc);
	puts(s);
	cJSON_free(s);
	cJSON_Delete(doc);
}

cJSON *
newdoc(const char *cmd)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "command", cmd);
	return doc;
}

int
finish(cJSON *doc, int code)
{
	cJSON_AddBoolToObject(doc, "ok", code == 0);
	cJSON_AddNumberToObject(doc, "exit_code", code);
	printjson(doc);
	return code;
}

int
openroot(const struct opts *o, cJSON *doc)
{
	int fd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", strerror(errno));
		else
			fprintf(stderr, "dpc: cannot open project folder %s: %s\n", o->dir, strerror(errno));
	}
	return fd;
}

static int compile_hooked(const struct opts *o, struct compilation *c, int rootfd, cJSON *doc,
			  const struct compile_hooks *hooks);

int
compile(const struct opts *o, struct compilation *c, int rootfd, cJSON *doc)
{
	return compile_hooked(o, c, rootfd, doc, NULL);
}

static int
compile_hooked(const struct opts *o, struct compilation *c, int rootfd, cJSON *doc,
	       const struct compile_hooks *hooks)
{
	struct compile_options co = {.allow_destructive = o->allow_destructive};
	bool ok = compile_run_with(c, o->dir, rootfd, o->spec, &co, hooks);
	if (doc)
		cJSON_AddItemToObject(doc, "diagnostics", diag_json(&c->diags));
	else
		diag_print(&c->diags, stderr, o->color, 100);
	if (!ok && !doc)
		fprintf(stderr, "dpc: %zu error%s; nothing was written\n", c->diags.nerrors,
			c->diags.nerrors == 1 ? "" : "s");
	return ok ? 0 : 2;
}

struct oldnodes {
	struct strmap hashes; /* id → hash, both in the arena */
	struct arena a;
};

static void
oldnode(cJSON *n, void *arg)
{
	struct oldnodes *o = arg;
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(n, "id"));
	const char *h = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(n, "hash"));
	if (id && h)
		strmap_put(&o->hashes, arena_strdup(&o->a, id), arena_strdup(&o->a, h));
}

/* the nodes whose hash differs from the registry on disk, and what lies
 * downstream of them: the blast radius of a change */
static bool *
changednodes(struct compilation *c, size_t *nchanged)
{
	const struct graph *g = c->graph;
	bool *mark = xcalloc(g->n + 1, 1);
	char *path = xasprintf("%s/registry.json", c->spec->layout_assets);
	char *text = NULL;
	size_t len;
	struct oldnodes old = {0};
	if (read_beneath(c->rootfd, path, (size_t)256 << 20, &text, &len, NULL) == 0)
		registry_each(text, len, "nodes", oldnode, &old);
	free(path);
	free(text);
	char hex[33];
	for (size_t i = 0; i < g->n; i++) {
		const char *h = strmap_get(&old.hashes, g->nodes[i].id);
		hash_hex(g->nodes[i].hash, hex);
		mark[i] = !h || strcmp(h, hex) != 0;
	}
	*nchanged = 0;
	for (size_t i = 0; i < g->n; i++)
		*nchanged += mark[i];
	strmap_free(&old.hashes);
	arena_free(&old.a);
	graph_downstream(g, mark);
	return mark;
}

static void
printplan(const struct opts *o, struct plan *p, cJSON *doc, bool all)
{
	cJSON *arr = doc ? cJSON_AddArrayToObject(doc, "plan") : NULL;
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->v[i];
		if (s->act == A_SAME && !all)
			continue;
		if (arr) {
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, "action", action_name(s->act));
			cJSON_AddStringToObject(j, "path", s->path);
			cJSON_AddStringToObject(j, "node", s->node);
			if (s->reason)
				cJSON_AddStringToObject(j, "reason", s->reason);
			cJSON_AddItemToArray(arr, j);
		} else if (s->act != A_SAME || o->explain) {
			printf("  %-7s %s", action_name(s->act), s->path);
			if (o->explain || s->act == A_DRIFT)
				printf("  (%s)", s->reason ? s->reason : "up to date");
			putchar('\n');
		}
	}
}

/* an output that yielded to a file of the user's (AGENTS.md): a warning,
 * on stderr or among the document's diagnostics */
static void
yielded(const struct plan *p, cJSON *doc)
{
	static const char msg[] = "not written: this file is not dpc's (its first line is not dpc's "
				  "header), so dpc leaves it alone; remove or rename it to get dpc's, or set "
				  "agents: false or agents: {file: OTHER.md} in the spec";
	for (size_t i = 0; i < p->nyielded; i++) {
		if (doc) {
			cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "diagnostics");
			if (!d)
				d = cJSON_AddArrayToObject(doc, "diagnostics");
			cJSON *w = cJSON_CreateObject();
			cJSON_AddStringToObject(w, "file", p->yielded[i]);
			cJSON_AddStringToObject(w, "severity", "warning");
			cJSON_AddStringToObject(w, "message", msg);
			cJSON_AddItemToArray(d, w);
		} else {
			fprintf(stderr, "%s: warning: %s\n", p->yielded[i], msg);
		}
	}
}

/* The user's files that outputs yielded to are inputs of the build, with
 * their stamps and hashes: the no-op build then notices one removed or
 * changed and compiles again, to write dpc's file or to warn again. Grows
 * the owned array in[*nin] */
static struct state_input *
yieldinputs(const struct plan *p, int rootfd, struct state_input *in, size_t *nin)
{
	if (!p->nyielded)
		return in;
	in = xreallocarray(in, *nin + p->nyielded, sizeof(*in));
	for (size_t i = 0; i < p->nyielded; i++) {
		char *data = NULL;
		size_t len = 0;
		int64_t stamp[3] = {0};
		if (read_beneath(rootfd, p->yielded[i], INPUT_MAX_BYTES, &data, &len, stamp) != 0)
			continue;
		in[(*nin)++] = (struct state_input){.path = xstrdup(p->yielded[i]),
						    .st = input_stamp(rootfd, p->yielded[i], stamp),
						    .hash = hash_bytes(data, len)};
		free(data);
	}
	return in;
}

static void
summary(struct plan *p, cJSON *doc)
{
	cJSON *s = cJSON_AddObjectToObject(doc, "summary");
	for (int a = A_SAME; a <= A_DRIFT; a++)
		cJSON_AddNumberToObject(s, action_name((enum action)a), (double)p->count[a]);
}

/* say what a build did */
static void
reportplan(struct opts *o, struct plan *p)
{
	if (!o->running || o->explain)
		printplan(o, p, NULL, false);
	size_t w = p->count[A_ADD] + p->count[A_UPDATE] + (o->force ? p->count[A_DRIFT] : 0);
	if (w + p->count[A_DELETE] == 0 && o->running)
		return;
	if (w + p->count[A_DELETE] == 0)
		printf("dpc: nothing to write (%zu generated files up to date)\n", p->count[A_SAME]);
	else
		printf("dpc: wrote %zu file%s, deleted %zu, %zu unchanged\n", w, w == 1 ? "" : "s",
		       p->count[A_DELETE], p->count[A_SAME]);
}

/* stop at drift (unless --force), else write the plan and say what was done */
static int
applyplan(struct opts *o, struct plan *p, int rootfd, struct state *st, const struct state_input *in,
	  size_t nin, cJSON *doc)
{
	int code = 0;
	char *err = NULL;
	if (p->count[A_DRIFT] && !o->force) {
		if (!doc) {
			fprintf(stderr, "dpc: generated files are not as dpc left them; nothing was written:\n");
			for (size_t i = 0; i < p->n; i++)
				if (p->v[i].act == A_DRIFT)
					fprintf(stderr, "  %s: %s\n", p->v[i].path, p->v[i].reason);
			fprintf(stderr, "dpc: move the change into the spec, or run dpc build --force to overwrite\n");
		}
		code = 1;
	} else if (plan_apply(p, rootfd, st, in, nin, o->force, &err) != 0) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", err);
		else
			fprintf(stderr, "dpc: %s\n", err);
		free(err);
		code = 1;
	} else if (!doc) {
		phase_time("apply");
		reportplan(o, p);
	}
	if (doc)
		summary(p, doc);
	return code;
}

/* the fresh build: nothing generated exists yet, so a writer thread writes
 * each output as it is made, from the graph's model files on (see fresh.c) */
struct fresh {
	struct state *st;
	struct writer *w;
	struct hash inhash;     /* the digest of the compilation's inputs (inputs_hash) */
};

/* the spec is read: with nothing generated on disk, the writer starts */
static void
freshspec(struct compilation *c, void *arg)
{
	struct fresh *f = arg;
	/* the Dagster project lives beside the layout roots: it must not be
	 * there either, or a file in it could be the user's */
	char *dg = dagster_root(c->spec);
	const char *roots[3] = {c->spec->layout_dbt, c->spec->layout_assets, dg};
	char *err = NULL;
	if (fresh_tree(f->st, c->rootfd, roots, c->spec->agents_file))
		f->w = writer_start(&c->out, f->st, c->rootfd, roots, &err);
	free(dg);
	free(err); /* no writer: the ordinary build does it all */
}

/* a model's dbt file, made as soon as the graph has scanned its SQL, and
 * written (out of sight) while the front end goes on; none after an error */
static bool
freshmodel(struct compilation *c, const struct graph *g, const struct node *n, void *arg)
{
	struct fresh *f = arg;
	if (!f->w || c->diags.nerrors || !writer_early(f->w))
		return false;
	dbt_model_early(g, n, &c->out);
	return true;
}

/* the graph is good: the files written so far may be recorded and named,
 * and the inputs are known (the back ends read no file) */
static void
freshgo(struct compilation *c, void *arg)
{
	struct fresh *f = arg;
	if (!f->w)
		return;
	size_t nin;
	struct state_input *in = compile_inputs(c, &nin);
	f->inhash = inputs_hash(in, nin);
	writer_go(f->w, in, nin); /* which records them, and frees them */
}

/* after a fresh build's compilation: wait for the writer, record, report */
static int
finishfresh(struct opts *o, struct compilation *c, struct fresh *f, cJSON *doc)
{
	struct plan p;
	plan_init(&p, c);
	char *err = NULL;
	int rc = writer_finish(f->w, &p, &err);
	phase_time("place"); /* the writer's last files, and the roots put in place */
	if (rc == 0) {
		p.inhash = f->inhash;
		rc = plan_record(&p, c->rootfd, f->st, NULL, 0, false, &err);
	}
	phase_time("record");
	if (doc) {
		cJSON_AddBoolToObject(doc, "noop", false);
		printplan(o, &p, doc, false);
		/* nothing was there before: every node is new */
		cJSON *down = cJSON_AddArrayToObject(doc, "downstream");
		for (size_t i = 0; i < c->graph->n; i++)
			cJSON_AddItemToArray(down, cJSON_CreateString(c->graph->nodes[i].id));
		if (rc)
			cJSON_AddStringToObject(doc, "error", err);
		summary(&p, doc);
	} else if (rc) {
		fprintf(stderr, "dpc: %s\n", err);
	} else {
		reportplan(o, &p);
	}
	free(err);
	plan_free(&p);
	return rc ? 1 : 0;
}

/* build; with doc, results go into it (cmd_build and cmd_migrate print it) */
static int
runbuild(struct opts *o, cJSON *doc, const struct run_options *run)
{
	int rootfd = openroot(o, doc);
	if (rootfd < 0)
		return 2;
	char *err = NULL;
	int code = 0;
	int lock = build_lock(rootfd, &err);
	if (lock < 0) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", err);
		else
			fprintf(stderr, "dpc: %s\n", err);
		free(err);
		close(rootfd);
		return 1;
	}
	struct state st;
	char *dir = xasprintf("%s/.dpc", o->dir);
	phase_time(NULL);
	if (state_open(&st, dir, &err) != 0 || state_load(&st, &err) != 0) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", err);
		else
			fprintf(stderr, "dpc: %s\n", err);
		free(err);
		free(dir);
		state_close(&st);
		close(lock);
		close(rootfd);
		return 1;
	}
	free(dir);
	char *why = NULL;
	phase_time("state");
	/* the no-op path: every stamp as recorded, nothing read or parsed */
	struct changes ch = {0};
	bool uptodate = !o->force && state_changes(&st, rootfd, &ch, &why);
	phase_time("stat");
	if (uptodate && run) {
		/* dpc run: the warehouse may be up to date too (run.h) */
		struct run_options ro = *run;
		ro.rootfd = rootfd;
		char *rwhy = NULL;
		bool noop = run_noop(&st, &ro, doc, &code, &rwhy);
		if (!noop && o->explain && !doc)
			printf("dpc: planning the run: %s\n", rwhy);
		free(rwhy);
		if (noop)
			goto out;
	} else if (uptodate) {
		if (doc) {
			cJSON_AddBoolToObject(doc, "noop", true);
			cJSON_AddItemToObject(doc, "diagnostics", cJSON_CreateArray());
			cJSON_AddItemToObject(doc, "plan", cJSON_CreateArray());
		} else {
			printf("dpc: nothing to do (%zu inputs and %zu generated files unchanged)\n",
			       st.ninputs, st.noutputs);
		}
		goto out;
	}
	if (o->explain && !doc && !uptodate)
		printf("dpc: rebuilding: %s\n", why);
	/* the quick path: an edit to model SQL that changes no edge. JSON
	 * output lists what lies downstream, which needs the whole graph; so
	 * does a run */
	if (!doc && !run && !o->force && !st.fresh) {
		struct quick q;
		struct plan p;
		bool quick = quick_plan(&q, &st, &ch, rootfd, o->dir, o->spec, &p);
		phase_time("quick");
		if (quick) {
			if (o->explain)
				printf("dpc: quick rebuild: only model SQL changed, and each file references what it did\n");
			code = applyplan(o, &p, rootfd, &st, q.inputs, q.ninputs, NULL);
			plan_free(&p);
			quick_free(&q);
			goto out;
		}
		if (o->explain)
			printf("dpc: compiling the whole spec: %s\n", q.why);
		quick_free(&q);
	}
	struct compilation c;
	struct fresh fresh = {.st = &st};
	struct compile_hooks hooks = {freshspec, freshmodel, freshgo, &fresh};
	code = compile_hooked(o, &c, rootfd, doc, o->force ? NULL : &hooks);
	if (fresh.w && code != 0) {
		writer_abort(fresh.w); /* nothing was named */
		fresh.w = NULL;
	}
	if (fresh.w) {
		code = finishfresh(o, &c, &fresh, doc);
	} else if (code == 0) {
		struct plan p;
		plan_make(&p, &c, &st);
		phase_time("plan");
		yielded(&p, doc);
		if (doc) {
			cJSON_AddBoolToObject(doc, "noop", false);
			printplan(o, &p, doc, false);
			size_t nchanged;
			bool *mark = changednodes(&c, &nchanged);
			cJSON *down = cJSON_AddArrayToObject(doc, "downstream");
			for (size_t i = 0; i < c.graph->n; i++)
				if (mark[i])
					cJSON_AddItemToArray(down, cJSON_CreateString(c.graph->nodes[i].id));
			free(mark);
		}
		size_t nin;
		struct state_input *in = compile_inputs(&c, &nin);
		in = yieldinputs(&p, rootfd, in, &nin);
		code = applyplan(o, &p, rootfd, &st, in, nin, doc);
		for (size_t i = 0; i < nin; i++)
			free(in[i].path);
		free(in);
		plan_free(&p);
	}
	/* dpc run and test: execute what was just built, under the same lock */
	if (code == 0 && run) {
		struct run_options ro = *run;
		ro.rootfd = rootfd;
		code = run_exec(&c, &st, &ro, doc);
	}
	compile_free(&c);
out:
	free(why);
	state_close(&st);
	close(lock);
	close(rootfd);
	return code;
}

static int
cmd_build(struct opts *o)
{
	cJSON *doc = json(o) ? newdoc("build") : NULL;
	int code = runbuild(o, doc, NULL);
	return doc ? finish(doc, code) : code;
}

/* dpc run and dpc test: the build, then the pipeline on the warehouse */
static int
runtests(struct opts *o, bool tests_only)
{
	struct run_options ro = {
		.tests_only = tests_only,
		.full_refresh = o->full_refresh,
		.fail_fast = o->fail_fast,
		.explain = o->explain,
		.color = o->color,
		.select = o->select,
		.exclude = o->exclude,
		.vars = o->vars,
		.root = o->dir,
		.rootfd = -1,
	};
	o->running = true;
	cJSON *doc = json(o) ? newdoc(tests_only ? "test" : "run") : NULL;
	int code = runbuild(o, doc, &ro);
	return doc ? finish(doc, code) : code;
}

static int cmd_run(struct opts *o) { return runtests(o, false); }
static int cmd_test(struct opts *o) { return runtests(o, true); }

/* a unified diff of what is on disk against what dpc wants, into b; the
 * file is read again here so that check never holds every file at once */
static void
stepdiff(struct buf *b, struct compilation *c, const struct step *s, bool labels)
{
	char *disk = NULL;
	size_t len = 0;
	if (s->ondisk && read_beneath(c->rootfd, s->path, (size_t)1 << 30, &disk, &len, NULL) != 0)
		disk = NULL, len = 0;
	char *la = xasprintf("a/%s", s->path), *lb = xasprintf("b/%s", s->path);
	diff_unified(b, !labels ? s->path : s->act == A_ADD ? "/dev/null" : la, disk ? disk : "", len,
		     !labels ? s->path : s->act == A_DELETE ? "/dev/null" : lb, s->out ? s->out->data : "",
		     s->out ? s->out->len : 0);
	free(la), free(lb), free(disk);
}

/* check and plan share the comparison; neither writes anything */
static int
compare(struct opts *o, bool check)
{
	cJSON *doc = json(o) ? newdoc(check ? "check" : "plan") : NULL;
	int rootfd = openroot(o, doc);
	if (rootfd < 0)
		return doc ? finish(doc, 2) : 2;
	/* use the state DB when there is one, read-only; a clean clone has none */
	struct state st, *stp = !check && state_open_existing(&st, o->dir) ? &st : NULL;
	struct compilation c;
	int code = compile(o, &c, rootfd, doc);
	if (code == 0) {
		struct plan p;
		plan_make(&p, &c, stp);
		yielded(&p, doc);
		size_t changes = p.n - p.count[A_SAME];
		if (check) {
			code = changes ? 1 : 0;
			if (doc) {
				printplan(o, &p, doc, false);
				cJSON *diffs = cJSON_AddArrayToObject(doc, "diffs");
				for (size_t i = 0; i < p.n; i++) {
					struct step *s = &p.v[i];
					if (s->act == A_SAME)
						continue;
					struct buf b = {0};
					stepdiff(&b, &c, s, false);
					cJSON *dj = cJSON_CreateObject();
					cJSON_AddStringToObject(dj, "path", s->path);
					cJSON_AddStringToObject(dj, "diff", b.data ? b.data : "");
					cJSON_AddItemToArray(diffs, dj);
					buf_free(&b);
				}
			} else if (changes) {
				printf("dpc: %zu generated file%s not up to date:\n", changes, changes == 1 ? " is" : "s are");
				printplan(o, &p, NULL, false);
				for (size_t i = 0; i < p.n; i++) {
					struct step *s = &p.v[i];
					if (s->act == A_SAME)
						continue;
					struct buf b = {0};
					stepdiff(&b, &c, s, true);
					fputs(b.data ? b.data : "", stdout);
					buf_free(&b);
				}
				printf("dpc: run dpc build to bring them up to date\n");
			} else {
				printf("dpc: %zu generated files up to date\n", p.count[A_SAME]);
			}
		} else {
			size_t nchanged;
			bool *mark = changednodes(&c, &nchanged);
			if (doc) {
				printplan(o, &p, doc, false);
				cJSON *ch = cJSON_AddArrayToObject(doc, "downstream");
				for (size_t i = 0; i < c.graph->n; i++)
					if (mark[i])
						cJSON_AddItemToArray(ch, cJSON_CreateString(c.graph->nodes[i].id));
			} else {
				if (changes) {
					printf("dpc: build would change %zu file%s:\n", changes, changes == 1 ? "" : "s");
					printplan(o, &p, NULL, false);
				} else {
					printf("dpc: build would change nothing (%zu files up to date)\n", p.count[A_SAME]);
				}
				size_t nd = 0;
				for (size_t i = 0; i < c.graph->n; i++)
					nd += mark[i];
				if (nd) {
					printf("dpc: %zu node%s changed; %zu downstream of them (changed included):\n",
					       nchanged, nchanged == 1 ? "" : "s", nd);
					for (size_t i = 0; i < c.graph->n; i++)
						if (mark[i])
							printf("  %s\n", c.graph->nodes[i].id);
				}
			}
			free(mark);
		}
		if (doc)
			summary(&p, doc);
		plan_free(&p);
	}
	compile_free(&c);
	if (stp)
		state_close(stp);
	close(rootfd);
	return doc ? finish(doc, code) : code;
}

static int cmd_check(struct opts *o) { return compare(o, true); }
static int cmd_plan(struct opts *o) { return compare(o, false); }

/* mermaid and dot want names without dots */
static void
gid(struct buf *b, const char *id)
{
	for (; *id; id++)
		buf_putc(b, (*id == '.' || *id == '-' || *id == '+' || *id == '/') ? '_' : *id);
}

static int
cmd_graph(struct opts *o)
{
	bool js = json(o), mm = strcmp(o->format, "mermaid") == 0, dot = strcmp(o->format, "dot") == 0;
	if (!js && !mm && !dot && strcmp(o->format, "text") != 0) {
		fprintf(stderr, "dpc: graph --format takes mermaid, dot, json or text, not '%s'\n", o->format);
		return 2;
	}
	cJSON *doc = js ? newdoc("graph") : NULL;
	int rootfd = openroot(o, doc);
	if (rootfd < 0)
		return doc ? finish(doc, 2) : 2;
	struct compilation c;
	int code = compile(o, &c, rootfd, doc);
	if (code == 0) {
		const struct graph *g = c.graph;
		struct buf b = {0};
		if (js) {
			cJSON *nodes = cJSON_AddArrayToObject(doc, "nodes");
			cJSON *edges = cJSON_AddArrayToObject(doc, "edges");
			for (size_t i = 0; i < g->n; i++) {
				cJSON *n = cJSON_CreateObject();
				cJSON_AddStringToObject(n, "id", g->nodes[i].id);
				cJSON_AddStringToObject(n, "kind", node_kindname(g->nodes[i].kind));
				cJSON_AddStringToObject(n, "name", g->nodes[i].name);
				if (g->nodes[i].layer)
					cJSON_AddStringToObject(n, "layer", g->nodes[i].layer);
				cJSON_AddItemToArray(nodes, n);
				for (size_t j = 0; j < g->nodes[i].ndeps; j++) {
					cJSON *e = cJSON_CreateArray();
					cJSON_AddItemToArray(e, cJSON_CreateString(g->nodes[g->nodes[i].deps[j].to].id));
					cJSON_AddItemToArray(e, cJSON_CreateString(g->nodes[i].id));
					cJSON_AddItemToArray(edges, e);
				}
			}
		} else if (mm || dot) {
			buf_puts(&b, mm ? "flowchart LR\n" : "digraph pipeline {\n  rankdir=LR;\n");
			for (size_t i = 0; i < g->n; i++) {
				const struct node *n = &g->nodes[i];
				const struct node_style *st = node_style(n->kind);
				const char *label = n->kind == N_SOURCE ? n->id + 7 : n->name;
				buf_puts(&b, "  ");
				gid(&b, n->id);
				if (mm)
					buf_printf(&b, "%s\"%s %s\"%s\n", st->mermaid_open, node_kindname(n->kind), label,
						   st->mermaid_close);
				else
					buf_printf(&b, " [label=\"%s\", shape=%s];\n", label, st->dot_shape);
			}
			for (size_t i = 0; i < g->n; i++)
				for (size_t j = 0; j < g->nodes[i].ndeps; j++) {
					buf_puts(&b, "  ");
					gid(&b, g->nodes[g->nodes[i].deps[j].to].id);
					buf_puts(&b, mm ? " --> " : " -> ");
					gid(&b, g->nodes[i].id);
					buf_puts(&b, mm ? "\n" : ";\n");
				}
			if (dot)
				buf_puts(&b, "}\n");
		} else {
			for (size_t i = 0; i < g->n; i++) {
				buf_printf(&b, "%s", g->nodes[i].id);
				for (size_t j = 0; j < g->nodes[i].ndeps; j++)
					buf_printf(&b, "%s%s", j ? ", " : " <- ", g->nodes[g->nodes[i].deps[j].to].id);
				buf_putc(&b, '\n');
			}
		}
		fputs(b.data ? b.data : "", stdout);
		buf_free(&b);
	}
	compile_free(&c);
	close(rootfd);
	return doc ? finish(doc, code) : code;
}

static const struct embedded *
embedded(const char *name)
{
	for (size_t i = 0; i < dpc_nembedded; i++)
		if (strcmp(dpc_embedded[i].name, name) == 0)
			return &dpc_embedded[i];
	return NULL;
}

/* the schema as compiled in; with --format json, inside the document as
 * "schema" */
static int
cmd_schema(struct opts *o)
{
	const struct embedded *e = embedded("specs/pipeline.schema.json");
	if (!json(o)) {
		if (!e)
			return 1;
		fwrite(e->data, 1, e->len, stdout);
		return 0;
	}
	cJSON *doc = newdoc("schema");
	cJSON *schema = e ? cJSON_ParseWithLength(e->data, e->len) : NULL;
	if (!schema) {
		cJSON_AddStringToObject(doc, "error", "the schema compiled into dpc cannot be read");
		return finish(doc, 1);
	}
	cJSON_AddItemToObject(doc, "schema", schema);
	return finish(doc, 0);
}

/* write one starter file, with __PROJECT__ replaced by the project name */
static int
writestarter(int dfd, const char *rel, const char *data, size_t len, const char *project)
{
	struct buf b = {0};
	const char *mark = "__PROJECT__";
	size_t ml = strlen(mark);
	for (size_t i = 0; i < len;) {
		if (len - i >= ml && memcmp(data + i, mark, ml) == 0) {
			buf_puts(&b, project);
			i += ml;
		} else {
			buf_putc(&b, data[i++]);
		}
	}
	/* folders first */
	char *path = xstrdup(rel);
	for (char *p = path; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdirat(dfd, path, 0777);
		*p = '/';
	}
	int fd = openat(dfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	free(path);
	int rc = -1;
	if (fd >= 0) {
		rc = write(fd, b.data, b.len) == (ssize_t)b.len ? 0 : -1;
		rc |= close(fd);
	}
	buf_free(&b);
	return rc;
}

/* append the embedded snippet name to pipeline.yaml, with __PROJECT__ and
 * __CI__ (the providers, as a YAML flow list's items) filled in */
static int
appendstarter(int dfd, const char *name, const char *project, const char *ci)
{
	const struct embedded *e = NULL;
	for (size_t i = 0; i < dpc_nembedded; i++)
		if (strcmp(dpc_embedded[i].name, name) == 0)
			e = &dpc_embedded[i];
	if (!e)
		return errno = ENOENT, -1;
	char *providers = xstrdup(ci ? ci : "");
	for (char *p = providers; (p = strchr(p, ',')); p++)
		*p = '\x1f'; /* "github,gitlab" becomes "github, gitlab" below */
	struct buf b = {0};
	for (size_t i = 0; i < e->len;) {
		if (e->len - i >= 11 && memcmp(e->data + i, "__PROJECT__", 11) == 0) {
			buf_puts(&b, project);
			i += 11;
		} else if (e->len - i >= 6 && memcmp(e->data + i, "__CI__", 6) == 0) {
			for (const char *p = providers; *p; p++)
				buf_puts(&b, *p == '\x1f' ? ", " : (char[]){*p, 0});
			i += 6;
		} else {
			buf_putc(&b, e->data[i++]);
		}
	}
	free(providers);
	int fd = openat(dfd, "pipeline.yaml", O_WRONLY | O_APPEND | O_CLOEXEC);
	int rc = -1;
	if (fd >= 0) {
		rc = write(fd, b.data, b.len) == (ssize_t)b.len ? 0 : -1;
		rc |= close(fd);
	}
	buf_free(&b);
	return rc;
}

static int
cmd_init(struct opts *o)
{
	cJSON *doc = json(o) ? newdoc("init") : NULL;
	const char *name = o->arg;
	const char *fail = NULL;
	char *msg = NULL;
	bool io = false; /* msg is an I/O error (exit 1), not a wrong NAME or option (2) */
	if (!name) {
		fail = "init needs a NAME: dpc init NAME";
	} else if (o->ci && strcmp(o->ci, "github") != 0 && strcmp(o->ci, "gitlab") != 0 &&
		   strcmp(o->ci, "github,gitlab") != 0 && strcmp(o->ci, "gitlab,github") != 0) {
		msg = xasprintf("--ci takes github, gitlab or github,gitlab, not '%s'", o->ci);
	} else {
		const char *base = strrchr(name, '/');
		base = base ? base + 1 : name;
		if (!is_ident(base))
			msg = xasprintf("'%s' is not a valid project name: use letters, digits and underscores, not starting with a digit", base);
		else if (mkdirat(AT_FDCWD, name, 0777) != 0) {
			io = errno != EEXIST;
			msg = xasprintf("cannot create %s: %s", name,
					errno == EEXIST ? "it exists already (dpc init never overwrites)" : strerror(errno));
		}
		if (!msg) {
			int dfd = open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			size_t n = 0;
			if (dfd < 0)
				msg = xasprintf("cannot open %s: %s", name, strerror(errno)), io = true;
			for (size_t i = 0; dfd >= 0 && i < dpc_nembedded; i++) {
				const struct embedded *e = &dpc_embedded[i];
				if (strncmp(e->name, "init/", 5) != 0)
					continue;
				const char *rel = e->name + 5;
				if (strcmp(rel, "gitignore") == 0)
					rel = ".gitignore";
				if (writestarter(dfd, rel, e->data, e->len, base) != 0) {
					msg = xasprintf("cannot write %s/%s: %s", name, rel, strerror(errno));
					io = true;
					break;
				}
				n++;
			}
			/* the parts asked for, appended to the spec */
			const char *extra[] = {o->supabase ? "initx/supabase.yaml" : NULL, o->ci ? "initx/ci.yaml" : NULL};
			for (size_t k = 0; dfd >= 0 && !msg && k < LEN(extra); k++)
				if (extra[k] && appendstarter(dfd, extra[k], base, o->ci) != 0)
					msg = xasprintf("cannot write %s/pipeline.yaml: %s", name, strerror(errno)), io = true;
			if (dfd >= 0)
				close(dfd);
			if (!msg && !doc)
				printf("dpc: created %s with %zu files; next: cd %s && dpc run\n", name, n, name);
			if (!msg && !doc && o->ci)
				printf("dpc: CI builds dpc from source: set ci.dpc in %s/pipeline.yaml to your dpc repository\n",
				       name);
			if (doc && !msg) {
				cJSON_AddStringToObject(doc, "project", base);
				cJSON_AddNumberToObject(doc, "files", (double)n);
			}
		}
	}
	int code = fail || msg ? (io ? 1 : 2) : 0;
	if (fail || msg) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", fail ? fail : msg);
		else
			fprintf(stderr, "dpc: %s\n", fail ? fail : msg);
	}
	free(msg);
	return doc ? finish(doc, code) : code;
}

/* write the spec's new bytes in place of the file: a temporary file beside
 * it, renamed over it (the file's mode kept); 0 or an errno value */
static int
writespec(int rootfd, const char *path, const char *data, size_t len)
{
	struct stat st;
	if (fstatat(rootfd, path, &st, 0) != 0)
		return errno;
	char *tmp = xasprintf("%s.dpc-migrate", path);
	int fd = openat(rootfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
	int e = 0;
	if (fd < 0) {
		e = errno;
	} else {
		if (writeall(fd, data, len) != 0)
			e = errno;
		if (!e && fsync(fd) != 0)
			e = errno;
		if (close(fd) != 0 && !e)
			e = errno;
		if (!e && renameat(rootfd, tmp, rootfd, path) != 0)
			e = errno;
		if (e)
			unlinkat(rootfd, tmp, 0);
	}
	free(tmp);
	return e;
}

/* dpc migrate airflow: the spec edited in memory and compiled (nothing is
 * written when that fails), then written, built, and reported on
 * (migrate.c) */
static int
cmd_migrate(struct opts *o)
{
	static const char *const stages[] = {"peer", "observe", "proxy", "migrated"};
	cJSON *doc = json(o) ? newdoc("migrate") : NULL;
	char *msg = NULL;
	if (!o->arg || strcmp(o->arg, "airflow") != 0)
		msg = xasprintf("migrate moves from one tool: dpc migrate airflow --dag PATH...%s%s%s",
				o->arg ? " (not '" : "", o->arg ? o->arg : "", o->arg ? "')" : "");
	else if (o->stage && strcmp(o->stage, stages[0]) && strcmp(o->stage, stages[1]) &&
		 strcmp(o->stage, stages[2]) && strcmp(o->stage, stages[3]))
		msg = xasprintf("--stage takes peer, observe, proxy or migrated, not '%s'", o->stage);
	else if (o->stage && !o->ndags)
		msg = xstrdup("--stage applies to the DAGs given with --dag PATH");
	if (msg) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", msg);
		else
			fprintf(stderr, "dpc: %s\n", msg);
		free(msg);
		return doc ? finish(doc, 2) : 2;
	}
	int rootfd = openroot(o, doc);
	if (rootfd < 0)
		return doc ? finish(doc, 2) : 2;
	char *text = NULL, *err = NULL, *newtext = NULL, **ids = NULL;
	size_t len = 0, nids = 0, nadded = 0;
	int code = 0;
	int e = read_beneath(rootfd, o->spec, (size_t)16 << 20, &text, &len, NULL);
	if (e)
		err = xasprintf("cannot read %s: %s", o->spec, strerror(e));
	else if (o->ndags)
		newtext = migrate_splice(rootfd, o->spec, text, len, o->dags, o->ndags, o->stage, &ids, &nids,
					 &nadded, &err);
	else
		newtext = xstrndup(text, len);
	if (!newtext) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", err);
		else
			fprintf(stderr, "dpc: %s; nothing was written\n", err);
		free(err);
		free(text);
		close(rootfd);
		return doc ? finish(doc, 2) : 2;
	}
	size_t newlen = strlen(newtext);
	bool changed = newlen != len || memcmp(newtext, text, len) != 0;
	/* the edited spec must compile before anything is written */
	struct compilation c;
	struct overlay edited = {o->spec, newtext, newlen};
	struct overlays ov = {&edited, 1};
	struct compile_options co = {.allow_destructive = o->allow_destructive, .overlay = &ov};
	bool ok = compile_run_hooked(&c, o->dir, rootfd, o->spec, &co, NULL, NULL);
	if (doc) {
		cJSON *sj = cJSON_AddObjectToObject(doc, "spec");
		cJSON_AddStringToObject(sj, "path", o->spec);
		cJSON *added = cJSON_AddArrayToObject(sj, "added"), *updated = cJSON_AddArrayToObject(sj, "updated");
		for (size_t i = 0; i < nids; i++)
			cJSON_AddItemToArray(i < nadded ? added : updated, cJSON_CreateString(ids[i]));
		cJSON_AddBoolToObject(sj, "written", ok && changed);
		cJSON_AddItemToObject(doc, "diagnostics", diag_json(&c.diags));
	} else {
		diag_print(&c.diags, stderr, o->color, 100);
	}
	if (!ok) {
		if (!doc)
			fprintf(stderr, "dpc: the spec with these DAGs has %zu error%s; nothing was written\n",
				c.diags.nerrors, c.diags.nerrors == 1 ? "" : "s");
		code = 2;
	} else if (changed && (e = writespec(rootfd, o->spec, newtext, newlen)) != 0) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", strerror(e));
		else
			fprintf(stderr, "dpc: cannot write %s: %s\n", o->spec, strerror(e));
		code = 1;
	} else {
		if (!doc && changed) {
			/* ids: the added DAGs, then the updated ones */
			printf("dpc: %s: ", o->spec);
			for (size_t i = 0; i < nids; i++)
				printf("%s%s %s", i ? ", " : "", i < nadded ? "added" : "updated", ids[i]);
			printf("\n");
		}
		code = runbuild(o, doc ? cJSON_AddObjectToObject(doc, "build") : NULL, NULL);
		bool pass;
		cJSON *report = migrate_report(&c, NULL, 0, &pass);
		if (!pass && code == 0)
			code = 1;
		if (doc) {
			cJSON_AddItemToObject(doc, "report", report);
		} else {
			putchar('\n');
			migrate_report_print(report, stdout);
			cJSON_Delete(report);
		}
	}
	compile_free(&c);
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	free(newtext);
	free(text);
	close(rootfd);
	return doc ? finish(doc, code) : code;
}

/* write the proposed spec to path: a new file, or (--force) over the old
 * one; through a temporary file in the same folder, so that it is whole or
 * absent. Returns 0 or an errno value. */
static int
proposespec(const char *path, const char *data, size_t len, bool force)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return e;
	}
	int e = writeall(fd, data, len) != 0 ? errno : 0;
	if (!e && fchmod(fd, 0644) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	/* link refuses to replace an existing file: the no-overwrite rule */
	if (!e && (force ? rename(tmp, path) : link(tmp, path)) != 0)
		e = errno;
	if (e || !force)
		unlink(tmp);
	free(tmp);
	return e;
}

static int
cmd_analyze(struct opts *o)
{
	bool js = json(o);
	/* PATH is relative to -C DIR */
	char *path = !o->arg ? xstrdup(o->dir)
		     : o->arg[0] == '/' || strcmp(o->dir, ".") == 0 ? xstrdup(o->arg)
								     : xasprintf("%s/%s", o->dir, o->arg);
	struct analysis *an = analyze(path, o->jobs);
	if (!an) {
		const char *why = strerror(errno);
		free(path);
		if (js) {
			cJSON *doc = newdoc("analyze");
			cJSON_AddStringToObject(doc, "error", why);
			return finish(doc, 2);
		}
		fprintf(stderr, "dpc: cannot analyze %s: %s\n", o->arg ? o->arg : o->dir, why);
		return 2;
	}
	int code = 0;
	size_t len = 0;
	char *spec = o->emit_spec ? analysis_spec(an, &len) : NULL;
	bool tostdout = spec && (!o->out || strcmp(o->out, "-") == 0);
	char *msg = NULL;
	if (spec && !tostdout) {
		int e = proposespec(o->out, spec, len, o->force);
		if (e) {
			code = 1;
			msg = xasprintf("cannot write %s: %s", o->out,
					e == EEXIST ? "it exists (--force overwrites it)" : strerror(e));
		}
	}
	if (tostdout && !js) {
		fwrite(spec, 1, len, stdout);
		fflush(stdout);
		diag_print(analysis_diags(an), stderr, o->color, 100);
	} else if (js) {
		/* the proposed spec goes in the document: stdout holds nothing else */
		cJSON *extra = cJSON_CreateObject();
		if (tostdout)
			cJSON_AddStringToObject(extra, "spec", spec);
		else if (spec && !code)
			cJSON_AddStringToObject(extra, "spec_written", o->out);
		if (msg)
			cJSON_AddStringToObject(extra, "error", msg);
		cJSON_AddBoolToObject(extra, "ok", code == 0);
		cJSON_AddNumberToObject(extra, "exit_code", code);
		analysis_print_json(an, extra, stdout);
		cJSON_Delete(extra);
	} else {
		/* with the spec written, the summary says enough */
		bool brief = spec && strcmp(o->format, "text") == 0;
		analysis_print(an, brief ? "summary" : o->format, stdout);
		fflush(stdout); /* the graph, then what could not be read */
		diag_print(analysis_diags(an), stderr, o->color, 100);
		if (spec && !code)
			fprintf(stderr, "dpc: wrote the proposed spec to %s\n", o->out);
	}
	if (msg && !js)
		fprintf(stderr, "dpc: %s\n", msg);
	phase_time("print");
	free(msg);
	free(spec);
	free(path);
	analysis_free(an);
	return code;
}

static int
cmd_version(struct opts *o)
{
	if (json(o)) {
		cJSON *doc = newdoc("version");
		cJSON_AddStringToObject(doc, "version", dpc_version);
		return finish(doc, 0);
	}
	printf("dpc %s\n", dpc_version);
	return 0;
}

static void commandnames(cJSON *arr);

/* the usage text; with --format json, the commands' names and the usage
 * text in a document */
static int
cmd_help(struct opts *o)
{
	if (!json(o)) {
		fputs(usage, stdout);
		return 0;
	}
	cJSON *doc = newdoc("help");
	commandnames(cJSON_AddArrayToObject(doc, "commands"));
	cJSON_AddStringToObject(doc, "usage", usage);
	return finish(doc, 0);
}

/* An error on the command line: exit 2, said on stderr, or with --format
 * json as one document {command (null before one is named), ok, exit_code,
 * error, did_you_mean when there is a guess}. hint may be NULL */
static int
usage_error(bool js, const char *cmd, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct buf b = {0};
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (js) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddItemToObject(doc, "command", cmd ? cJSON_CreateString(cmd) : cJSON_CreateNull());
		cJSON_AddStringToObject(doc, "error", b.data);
		if (hint)
			cJSON_AddStringToObject(doc, "did_you_mean", hint);
		buf_free(&b);
		return finish(doc, 2);
	}
	fprintf(stderr, "dpc: %s", b.data);
	if (hint)
		fprintf(stderr, "; did you mean '%s'?", hint);
	fputc('\n', stderr);
	buf_free(&b);
	return 2;
}

static const struct command {
	const char *name;
	int (*run)(struct opts *);
	bool takes_arg;
	bool own;     /* reads its own options (o->rest) */
} commands[] = {
	{"init", cmd_init, true, false},       {"build", cmd_build, false, false},
	{"check", cmd_check, false, false},    {"plan", cmd_plan, false, false},
	{"graph", cmd_graph, false, false},    {"schema", cmd_schema, false, false},
	{"version", cmd_version, false, false}, {"help", cmd_help, false, false},
	{"migrate", cmd_migrate, true, false}, {"analyze", cmd_analyze, true, false},
	{"run", cmd_run, false, false},        {"test", cmd_test, false, false},
	{"new", cmd_new, false, true},   {"ai", cmd_ai, false, true},
	{"log", cmd_log, false, true},   {"supabase", cmd_supabase, false, true},
};

/* the names of the commands, into the JSON array arr (dpc help) */
static void
commandnames(cJSON *arr)
{
	for (size_t k = 0; k < LEN(commands); k++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(commands[k].name));
}

int
main(int argc, char **argv)
{
	struct opts o = {.dir = ".", .spec = "pipeline.yaml", .format = "text"};
	const char *dagv[argc > 0 ? argc : 1]; /* migrate --dag: at most one per argument */
	o.dags = dagv;
	char *restv[argc > 0 ? argc : 1];
	o.rest = restv;
	const struct command *cmd = NULL;
	o.color = isatty(2) && !getenv("NO_COLOR");
	/* --format json anywhere on the line: a mistake before it is read is
	 * reported as a JSON document too (the last --format wins, as below) */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			o.format = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			o.format = argv[i] + 9;
	bool js = json(&o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;
		if (strcmp(a, "-C") == 0 || strcmp(a, "--dir") == 0)
			val = &o.dir;
		else if (strcmp(a, "--spec") == 0)
			val = &o.spec;
		else if (strcmp(a, "--format") == 0)
			val = &o.format;
		else if (strncmp(a, "--format=", 9) == 0)
			o.format = a + 9;
		else if (cmd && cmd->own)
			restv[o.nrest++] = argv[i]; /* the command reads it */
		else if (strcmp(a, "--force") == 0)
			o.force = true;
		else if (strcmp(a, "--explain") == 0)
			o.explain = true;
		else if (strcmp(a, "--allow-destructive") == 0)
			o.allow_destructive = true;
		else if (strcmp(a, "--supabase") == 0)
			o.supabase = true;
		else if (strcmp(a, "--ci") == 0)
			val = &o.ci;
		else if (strcmp(a, "-s") == 0 || strcmp(a, "--select") == 0)
			val = &o.select;
		else if (strcmp(a, "--exclude") == 0)
			val = &o.exclude;
		else if (strcmp(a, "--vars") == 0)
			val = &o.vars;
		else if (strcmp(a, "--full-refresh") == 0)
			o.full_refresh = true;
		else if (strcmp(a, "-x") == 0 || strcmp(a, "--fail-fast") == 0)
			o.fail_fast = true;
		else if (strcmp(a, "--stage") == 0)
			val = &o.stage;
		else if (strcmp(a, "--emit-spec") == 0) {
			o.emit_spec = true;
			/* the FILE is optional: taken when it names a YAML file */
			size_t n = i + 1 < argc ? strlen(argv[i + 1]) : 0;
			if ((n > 5 && strcmp(argv[i + 1] + n - 5, ".yaml") == 0) ||
			    (n > 4 && strcmp(argv[i + 1] + n - 4, ".yml") == 0) || (n == 1 && argv[i + 1][0] == '-'))
				o.out = argv[++i];
		} else if (strncmp(a, "--emit-spec=", 12) == 0)
			o.emit_spec = true, o.out = a + 12;
		else if (strcmp(a, "-o") == 0)
			o.emit_spec = true, val = &o.out;
		else if (strcmp(a, "-j") == 0 && i + 1 < argc)
			o.jobs = atoi(argv[++i]);
		else if (strcmp(a, "--dag") == 0 && i + 1 < argc)
			dagv[o.ndags++] = argv[++i];
		else if (strncmp(a, "--dag=", 6) == 0)
			dagv[o.ndags++] = a + 6;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return cmd_help(&o);
		else if (strcmp(a, "--version") == 0)
			return cmd_version(&o);
		else if (a[0] == '-' && a[1]) {
			int rc = usage_error(js, cmd ? cmd->name : NULL, NULL, "unknown option '%s'", a);
			if (!js)
				fputs(usage, stderr);
			return rc;
		} else if (!cmd) {
			for (size_t k = 0; k < LEN(commands); k++)
				if (strcmp(commands[k].name, a) == 0)
					cmd = &commands[k];
			if (!cmd) {
				const char *names[LEN(commands)];
				for (size_t k = 0; k < LEN(commands); k++)
					names[k] = commands[k].name;
				const char *h = did_you_mean(a, names, LEN(names));
				int rc = usage_error(js, NULL, h, "unknown command '%s'", a);
				if (!js)
					fputs("run 'dpc help' for the list of commands\n", stderr);
				return rc;
			}
		} else if (cmd->takes_arg && !o.arg) {
			o.arg = a;
		} else if (cmd->run == cmd_migrate && o.ndags) {
			dagv[o.ndags++] = a; /* --dag with a glob: the shell gave several paths */
		} else {
			return usage_error(js, cmd->name, NULL, "unexpected argument '%s'", a);
		}
		if (val) {
			if (++i == argc)
				return usage_error(js, cmd ? cmd->name : NULL, NULL, "%s needs a value", a);
			*val = argv[i];
		}
	}
	if (!cmd) {
		if (!js)
			fputs(usage, stderr);
		return js ? usage_error(js, NULL, NULL, "no command given; dpc help lists them") : 2;
	}
	if ((o.select || o.exclude || o.vars || o.fail_fast || o.full_refresh) && cmd->run != cmd_run &&
	    cmd->run != cmd_test)
		return usage_error(js, cmd->name, NULL,
				   "--select, --exclude, --vars, --full-refresh and --fail-fast go with run and test");
	if (o.full_refresh && cmd->run == cmd_test)
		return usage_error(js, cmd->name, NULL, "--full-refresh goes with run: dpc test builds nothing");
	if (o.vars) {
		cJSON *v = cJSON_Parse(o.vars);
		bool obj = cJSON_IsObject(v);
		cJSON_Delete(v);
		if (!obj)
			return usage_error(js, cmd->name, NULL,
					   "--vars takes a JSON object, like '{\"start_date\": \"2024-01-01\"}'");
	}
	static const char *const formats[] = {"text", "json", "mermaid", "dot"};
	bool known = false;
	for (size_t k = 0; k < LEN(formats); k++)
		known |= strcmp(o.format, formats[k]) == 0;
	bool drawn = cmd->run == cmd_graph || cmd->run == cmd_analyze;
	if (!known || (!drawn && strcmp(o.format, "text") && strcmp(o.format, "json"))) {
		/* not json: the document cannot have been asked for */
		return usage_error(false, cmd->name, did_you_mean(o.format, formats, LEN(formats)),
				   "unknown --format '%s' for %s (text or json%s)", o.format, cmd->name,
				   drawn ? ", mermaid, dot" : "");
	}
	return cmd->run(&o);
}
