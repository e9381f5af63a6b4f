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
	struct arena arena;
};

/* Work out what a build would do. st may be NULL (no state DB: check on a
 * clean clone); the committed registry.json then tells dpc's files apart
 * from hand edits. */
void plan_make(struct plan *p, struct compilation *c, struct state *st);
void plan_free(struct plan *p);
const char *action_name(enum action a);

/* Apply a plan (no DRIFT steps left unless force) and record it in the
 * state DB. Returns 0, or -1 with *err set (owned). */
int plan_apply(struct plan *p, struct compilation *c, struct state *st, bool force, char **err);

/* the no-op check: true when every recorded input and output has the stamp
 * the DB holds, so nothing needs to be read or parsed. why receives the first
 * difference found (owned), for --explain. */
bool state_uptodate(struct state *st, int rootfd, char **why);

/* take the project's build lock, waiting briefly; returns an fd or -1 */
int build_lock(int rootfd, char **err);

#endif
