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
	bool recorded;           /* the DB's record (hash, stamp) is exact already: SAME, or
				  * written by a fresh build (whose pending record holds
				  * them; plan_record clears the pending hashes) */
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
	bool settle;             /* a fresh build's: clear every pending hash on record */
	bool inputs_recorded;    /* a fresh build's: its writer recorded the inputs */
	struct hash inhash;      /* then: their inputs_hash, for the meta row */
	bool partial;            /* lists only what changed (the quick rebuild): files
				  * it does not name keep their records */
	const char **yielded;    /* outputs that yield (struct output) to a file of the
				  * user's at their path: no step, left alone; borrowed */
	size_t nyielded, capyielded;
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

/* the digest of a build's inputs (paths and hashes): the "spec" meta row */
struct hash inputs_hash(const struct state_input *in, size_t nin);

/* the final records of an applied plan: outputs, inputs, meta, the log
 * (plan_apply ends with it; a fresh build calls it once its writer is done) */
int plan_record(struct plan *p, int rootfd, struct state *st, const struct state_input *in, size_t nin,
		bool force, char **err);

/* The fresh build (fresh.c explains it). fresh_tree: true when nothing
 * dpc generates exists yet: no output records, and none of roots (the dbt
 * and assets layout roots, the Dagster project; copied), the CI files nor
 * agents (the AGENTS.md the spec names, or NULL) on disk: a file there may
 * be the user's, which only the ordinary build tells apart. writer_start: from then on, every output added to out is written
 * by a writer thread, out of sight (the roots are built in .dpc/tmp);
 * NULL (with *err, owned) if it cannot start. writer_early: whether a
 * model's file added before writer_go can be written before it (else its
 * back end makes it). writer_go: the compilation is good: what is written
 * may be recorded and made durable, and the inputs in[nin] (owned by the
 * writer from then on) are recorded with it. writer_abort: the compilation
 * failed: stop, nothing becomes visible. writer_finish: wait until every
 * file is durable and in place, free the writer, and fill p (empty, from
 * plan_init) with the ADD steps done, its records marked as made (settle,
 * inputs_recorded; the caller sets p->inhash); 0, or -1 with *err. Then
 * plan_record records the build. */
struct writer;
bool fresh_tree(struct state *st, int rootfd, const char *const roots[3], const char *agents);
struct writer *writer_start(struct outset *out, struct state *st, int rootfd, const char *const roots[3],
			    char **err);
bool writer_early(struct writer *w);
void writer_go(struct writer *w, struct state_input *in, size_t nin);
void writer_abort(struct writer *w);
int writer_finish(struct writer *w, struct plan *p, char **err);

/* File helpers of plan_apply that the fresh build shares. */
/* open the folder dir beneath rootfd, making it and its parents first (each
 * beneath the root); an fd or -1 */
int opendir_beneath(int rootfd, const char *dir);
/* the folder of "a/b/c.sql" ("a/b", or "."), owned; *base: "c.sql", in path */
char *dirof(const char *path, const char **base);
/* link the unnamed file fd into folder dfd as base; 0, or -1 with errno */
int linkinto(int fd, int dfd, const char *base);
/* remove name beneath dfd: a file, or a folder with all it holds */
void rmtree(int dfd, const char *name);
/* open .dpc/tmp, emptied of what a killed build left there (but for the
 * staged roots of a fresh build when keepstage: the next one writes over
 * them); an fd, or -1 with *err (owned) */
int opentmp(int rootfd, bool keepstage, char **err);

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
