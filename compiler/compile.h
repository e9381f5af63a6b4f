/* compile.h: one compilation, front end to back ends, entirely in memory.
 * build, check, plan, graph and the tests all go through compile_run. */
#ifndef DPC_COMPILE_H
#define DPC_COMPILE_H

#include "diag.h"
#include "emit.h"
#include "ir.h"
#include "spec.h"
#include "state.h"

struct supabase;

/* what the command line asks of a compilation */
struct compile_options {
	bool allow_destructive; /* migrations may drop tables and columns, narrow types */
	/* when set: files read from memory instead of disk, wherever the
	 * compilation reads the project (the spec and its fragments, SQL, CSV,
	 * Python, DAG files): an edit compiled before it is written
	 * (specedit.h). Borrowed; NULL costs nothing */
	const struct overlays *overlay;
};

struct compilation {
	const char *root;      /* the project folder; borrowed */
	const char *specpath;  /* relative to root; borrowed */
	int rootfd;
	struct arena arena;
	struct diags diags;
	struct spec *spec;
	struct graph *graph;
	struct outset out;     /* what the back ends want on disk, sorted by path */
	struct compile_options opts;
	struct supabase *supabase; /* the new migrations (supabase.h); owned, or NULL */
};

/* Compile the project at root. Returns true when there are no errors (the
 * outputs are then complete); diagnostics are in c->diags either way. The
 * caller opens rootfd (a directory) and owns it. */
bool compile_run(struct compilation *c, const char *root, int rootfd, const char *specpath);
/* what a build does along the way (main.c's fresh build); each may be NULL */
struct compile_hooks {
	/* the spec is read, with no errors; the graph comes next */
	void (*spec)(struct compilation *c, void *arg);
	/* the graph has read and scanned model n's SQL; true when the model's
	 * dbt file is made, and its SQL no longer needed (graph_build_hooked) */
	bool (*model)(struct compilation *c, const struct graph *g, const struct node *n, void *arg);
	/* the graph is known to be good; the back ends come next */
	void (*emit)(struct compilation *c, void *arg);
	void *arg;
};

/* the same with options (NULL: the defaults), calling before_emit(c, arg)
 * once the graph is known to be good, before the back ends run */
bool compile_run_hooked(struct compilation *c, const char *root, int rootfd, const char *specpath,
			const struct compile_options *opts,
			void (*before_emit)(struct compilation *c, void *arg), void *arg);
/* the same with hooks (NULL: none) */
bool compile_run_with(struct compilation *c, const char *root, int rootfd, const char *specpath,
		      const struct compile_options *opts, const struct compile_hooks *hooks);

/* the stamp to record for an input: known (from read_beneath) or a stat,
 * made "racily clean" (size -1) when the file changed in the last 2 s */
struct fstamp input_stamp(int rootfd, const char *path, const int64_t known[3]);

/* the files the compilation read, with stamps and hashes: an owned array
 * of owned paths (node is borrowed from the graph) */
struct state_input *compile_inputs(struct compilation *c, size_t *n);

void compile_free(struct compilation *c);

/* with DPC_TIMING set, print the time since the last call under the name
 * what (NULL starts the clock); a no-op otherwise */
void phase_time(const char *what);

/* an identifier of this dpc's build: another dpc's state is not trusted */
extern const char dpc_build_id[];
extern const char dpc_version[];

#endif
