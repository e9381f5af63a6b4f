/* compile.c: the pipeline of phases (see compile.h), and the table of back
 * ends it runs. */
#include "compile.h"
#include "supabase.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <sys/resource.h>

#ifndef DPC_VERSION
#define DPC_VERSION "0.1.0"
#endif
#ifndef DPC_BUILD_ID
#define DPC_BUILD_ID "dev"
#endif

const char dpc_version[] = DPC_VERSION;
const char dpc_build_id[] = DPC_VERSION "+" DPC_BUILD_ID;

/* the back ends, in order: the registry lists what the others wrote */
static const struct backend {
	const char *name;
	emit_fn *emit;
	bool reads_sources; /* needs the SQL and CSV texts (node->text) */
} backends[] = {
	{"dbt", emit_dbt, true},
	{"dagster", emit_dagster, false},
	{"airflow", emit_airflow, false},
	{"ci", emit_ci, false},
	{"agents", emit_agents, false},
	{"registry", emit_registry, false},
};

void
phase_time(const char *what)
{
	/* DPC_TIMING=1: how long each phase took, and the peak RSS so far, on
	 * stderr, for the benchmark */
	static const char *on;
	static struct timespec last;
	if (!on)
		on = getenv("DPC_TIMING") ? "1" : "0";
	if (*on != '1')
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	if (what && last.tv_sec)
		fprintf(stderr, "dpc: %-10s %7.1f ms   peak RSS %6.1f MiB\n", what,
			(double)(now.tv_sec - last.tv_sec) * 1e3 + (double)(now.tv_nsec - last.tv_nsec) / 1e6,
			(double)ru.ru_maxrss / 1024);
	last = now;
}

/* the time a new migration is named after: SOURCE_DATE_EPOCH when set (a
 * reproducible build), else the clock; -1 when it is set to no number */
static int64_t
build_time(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	if (!e || !*e)
		return (int64_t)time(NULL);
	char *end;
	errno = 0;
	long long v = strtoll(e, &end, 10);
	return *end || errno || v < 0 ? -1 : (int64_t)v;
}

bool
compile_run(struct compilation *c, const char *root, int rootfd, const char *specpath)
{
	return compile_run_with(c, root, rootfd, specpath, NULL, NULL);
}

bool
compile_run_hooked(struct compilation *c, const char *root, int rootfd, const char *specpath,
		   const struct compile_options *opts,
		   void (*before_emit)(struct compilation *c, void *arg), void *arg)
{
	struct compile_hooks h = {.emit = before_emit, .arg = arg};
	return compile_run_with(c, root, rootfd, specpath, opts, &h);
}

struct modelhook {
	struct compilation *c;
	const struct compile_hooks *h;
};

static bool
modelhook(void *arg, const struct graph *g, const struct node *n)
{
	struct modelhook *m = arg;
	return m->h->model(m->c, g, n, m->h->arg);
}

bool
compile_run_with(struct compilation *c, const char *root, int rootfd, const char *specpath,
		 const struct compile_options *opts, const struct compile_hooks *hooks)
{
	*c = (struct compilation){.root = root, .specpath = specpath, .rootfd = rootfd};
	if (opts)
		c->opts = *opts;
	c->diags.root = root;
	phase_time(NULL);
	c->spec = c->opts.overlay ? spec_load_overlay(&c->arena, &c->diags, root, specpath, c->opts.overlay)
				  : spec_load(&c->arena, &c->diags, root, specpath);
	size_t nspecfiles = c->diags.nfiles; /* the spec's files come first */
	phase_time("spec");
	if (!c->spec) {
		diag_sort(&c->diags);
		return false;
	}
	if (hooks && hooks->spec && !c->diags.nerrors)
		hooks->spec(c, hooks->arg);
	/* build the graph even when the spec has errors: its checks find the
	 * rest (missing files, unknown refs), so one run reports everything */
	struct modelhook mh = {c, hooks};
	c->graph = graph_build_hooked(&c->arena, &c->diags, rootfd, c->spec,
				      hooks && hooks->model ? modelhook : NULL, &mh);
	diag_sort(&c->diags);
	phase_time("graph");
	if (c->diags.nerrors)
		return false;
	/* the migrations are read before anything is written: a destructive
	 * step without --allow-destructive stops the build here */
	c->supabase = supabase_prepare(&c->arena, c->graph, &c->diags, rootfd, &c->opts, build_time());
	diag_sort(&c->diags);
	phase_time("supabase");
	if (c->diags.nerrors)
		return false;
	/* the spec's text has served (the graph holds every line and column
	 * the back ends print); diagnostics read it again if they need it */
	diag_release_range(&c->diags, 0, nspecfiles);
	if (hooks && hooks->emit)
		hooks->emit(c, hooks->arg);
	for (size_t i = 0; i < LEN(backends); i++) {
		/* once the outputs hold what they need of the sources, the sources
		 * need not stay in memory (diagnostics read them again) */
		if (!backends[i].reads_sources)
			diag_release_texts(&c->diags);
		backends[i].emit(c->graph, &c->out);
		phase_time(backends[i].name);
	}
	supabase_emit(c->supabase, &c->out);
	if (!c->out.lock) /* a writer takes them in the order made; it sorts its plan */
		outset_sort(&c->out);
	diag_release_texts(&c->diags);
	phase_time("emit");
	return true;
}

/* a stamp taken now may be "racily clean": written in the same clock tick as
 * the build read it. Such a file is recorded with an impossible size so
 * that the next build looks at its bytes instead of trusting its stat. */
struct fstamp
input_stamp(int rootfd, const char *path, const int64_t known[3])
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t nowns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	/* the stamp taken when the file was read, when there is one: it
	 * describes the bytes that were hashed, and saves a stat */
	struct fstamp st = known && known[2] ? (struct fstamp){known[0], known[1], known[2], true}
					     : fstamp_of(rootfd, path);
	if (st.exists && nowns - st.mtime_ns < 2000000000LL)
		st.size = -1;
	return st;
}

struct state_input *
compile_inputs(struct compilation *c, size_t *n)
{
	const struct spec *s = c->spec;
	const struct graph *g = c->graph;
	struct state_input *v = xreallocarray(NULL, c->diags.nfiles + s->nglobdirs + 1, sizeof(*v));
	size_t k = 0;
	/* the SQL files of models, with what they reference; a file two
	 * models share is left out (the quick rebuild then passes it by) */
	static const struct node shared;
	struct strmap sql = {0};
	for (size_t i = 0; g && i < g->n; i++) {
		const struct node *nd = &g->nodes[i];
		if (!nd->file || !(nd->model || nd->singular))
			continue;
		const struct node *was = strmap_get(&sql, nd->file);
		if (was)
			strmap_put(&sql, nd->file, (void *)&shared);
		else
			strmap_put(&sql, nd->file, (void *)(nd->has_facts ? nd : &shared));
	}
	/* every file the compilation read (spec, fragments, SQL, CSV); diag_file
	 * registers each path once */
	for (size_t i = 0; i < c->diags.nfiles; i++) {
		const struct srcfile *f = &c->diags.files[i];
		if (!f->hashed)
			continue;
		const struct node *nd = strmap_get(&sql, f->path);
		v[k++] = (struct state_input){.path = xstrdup(f->path),
					      .st = input_stamp(c->rootfd, f->path, f->stamp),
					      .hash = f->hash,
					      .node = nd && nd != &shared ? nd->id : NULL,
					      .facts = nd && nd != &shared ? nd->facts : (struct hash){0},
					      .has_facts = nd && nd != &shared};
	}
	strmap_free(&sql);
	/* the folders include globs scan: a stamp that changes when a file is
	 * added or removed; two patterns may scan one folder */
	struct strmap seen = {0};
	for (size_t i = 0; i < s->nglobdirs; i++)
		if (!strmap_put(&seen, s->globdirs[i], (void *)1))
			v[k++] = (struct state_input){.path = xstrdup(s->globdirs[i]),
						      .st = input_stamp(c->rootfd, s->globdirs[i], NULL),
						      .hash = hash_bytes("", 0)};
	strmap_free(&seen);
	*n = k;
	return v;
}

void
compile_free(struct compilation *c)
{
	supabase_free(c->supabase);
	graph_free(c->graph);
	outset_free(&c->out);
	diag_free(&c->diags);
	arena_free(&c->arena);
}
