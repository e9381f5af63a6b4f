/* build.h: the build engine. Compares what the back ends want with the disk
 * and the state DB, explains every difference, and applies it atomically. */
#ifndef DPC_BUILD_H
#define DPC_BUILD_H

#include <stdbool.h>

#include "compile.h"
#include "state.h"

enum action { A_SAME, A_ADD, A_UPDATE, A_DELETE, A_DRIFT };

struct step {
	enum action act;
	const char *path;        /* borrowed from the output or the records */
	const char *node;
	const char *reason;      /* why: the dirty check explaining itself; owned */
	const struct output *out; /* what is wanted; NULL for deletions */
	bool ondisk;
	bool recorded;           /* SAME, and the DB's record (hash, stamp) is still exact */
	struct hash diskhash;    /* the hash of what is on disk, when ondisk */
	struct fstamp written;   /* the stamp of the file dpc wrote (rename keeps it) */
};

struct plan {
	struct step *v;
	size_t n, cap;
	size_t count[5];         /* steps per action */
	struct strmap known;     /* path → recorded hash (struct hash *) from the old registry */
	const char **knownpaths; /* the same paths, in the registry's order */
	size_t nknown, capknown;
	const char *registry;    /* the registry's path when the one on disk is dpc's */
	const char *roots[2];    /* layout.dbt and layout.assets: folders never pruned */
	const char *regout;      /* where the registry goes (recorded for quick.c) */
	bool partial;            /* lists only what changed (the quick rebuild): files
				  * it does not name keep their records */
	struct arena arena;
};

/* Work out what a build would do. st may be NULL (no state DB: check on a
 * clean clone); the committed registry.json then tells dpc's files apart
 * from hand edits. */
void plan_make(struct plan *p, struct compilation *c, struct state *st);
/* an empty plan for the compilation's layout (plan_make starts with it) */
void plan_init(struct plan *p, const struct compilation *c);
void plan_free(struct plan *p);
/* add a step; reason is owned by the plan from then on */
struct step *plan_add(struct plan *p, enum action act, const char *path, const char *node, char *reason);
const char *action_name(enum action a);

/* Apply a plan (no DRIFT steps left unless force) and record it in the
 * state DB, with in[nin] as the inputs it was made from. Returns 0, or -1
 * with *err set (owned). */
int plan_apply(struct plan *p, int rootfd, struct state *st, const struct state_input *in, size_t nin,
	       bool force, char **err);

/* the final records of an applied plan: outputs, inputs, meta, the log
 * (plan_apply ends with it; a fresh build calls it once its writer is done) */
int plan_record(struct plan *p, int rootfd, struct state *st, const struct state_input *in, size_t nin,
		bool force, char **err);

/* The fresh build (build.c explains it). fresh_tree: true when nothing
 * dpc generates exists yet: no output records, and none of roots (the dbt
 * and assets layout roots, the Dagster project) nor the CI files on disk. writer_start: from then on, every output added to out is written
 * on a second thread; returns NULL (with *err, owned) if it cannot start.
 * writer_finish: wait for the last write, free the writer, and fill p
 * (empty, from plan_make's caller) with the ADD steps done; 0, or -1 with
 * *err. Then plan_record records the build. */
struct writer;
bool fresh_tree(struct state *st, int rootfd, const char *const roots[3]);
struct writer *writer_start(struct outset *out, struct state *st, int rootfd, char **err);
int writer_finish(struct writer *w, struct plan *p, char **err);

/* the stat pass: what differs from the state DB's records */
#define STAT_MAX_DIFFS 64
struct changes {
	size_t inputs[STAT_MAX_DIFFS];  /* indexes into st->inputs */
	size_t ninputs;
	size_t outputs[STAT_MAX_DIFFS]; /* indexes into st->outputs */
	size_t noutputs;
	bool complete;                  /* every difference is listed */
};

/* Stat every recorded input and output. True when every one has the stamp
 * the DB holds, so that nothing needs to be read or parsed (the no-op
 * build); otherwise ch lists what differs, and why receives the first
 * difference (owned), for --explain. */
bool state_changes(struct state *st, int rootfd, struct changes *ch, char **why);

/* take the project's build lock, waiting briefly; returns an fd or -1 */
int build_lock(int rootfd, char **err);

#endif
