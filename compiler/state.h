/* state.h: the state DB, .dpc/state.db (SQLite, WAL). A cache and a memory,
 * never a source of truth: deleting it must not change any output. */
#ifndef DPC_STATE_H
#define DPC_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

struct sqlite3;
struct sqlite3_stmt;

/* what a stat says of a file; a changed stat makes dpc look at the bytes */
struct fstamp {
	int64_t size, mtime_ns, ino;
	bool exists;
};

struct state_input {
	char *path;
	struct fstamp st;
	struct hash hash;
	const char *node;     /* the one model whose SQL this is, or NULL; owned
			       * in state.inputs, borrowed in what is synced */
	struct hash facts;    /* with node: what the SQL references (ir_facts) */
	bool has_facts;
};

struct state_output {
	char *path;
	char *node;
	struct hash hash;     /* what dpc last wrote */
	struct hash pending;  /* what a build that was interrupted meant to write */
	bool has_pending;
	struct fstamp st;     /* the file's stat after dpc wrote it */
};

struct state {
	struct sqlite3 *db;
	struct state_input *inputs;
	size_t ninputs;
	struct state_output *outputs;
	size_t noutputs;
	struct strmap outidx;  /* path → index + 1 into outputs */
	bool fresh;            /* no usable DB was found: everything counts as new */
	struct sqlite3_stmt *put_output; /* prepared once, used per row */
};

/* open (create) dir/state.db; a DB of another version or hash algorithm is
 * discarded, never trusted. Returns 0, or -1 with *err set (owned). */
int state_open(struct state *s, const char *dir, char **err);
/* load the input and output tables into memory */
int state_load(struct state *s, char **err);
/* the stored meta value for key, or NULL; owned by the caller */
char *state_meta(struct state *s, const char *key);

struct state_output *state_output(struct state *s, const char *path);

/* transactions around the writes below */
int state_begin(struct state *s);
int state_commit(struct state *s);
void state_rollback(struct state *s);
/* free n inputs made by compile_inputs (owned paths), and the array */
void state_inputs_free(struct state_input *v, size_t n);
void state_set_meta(struct state *s, const char *key, const char *value);
/* make the inputs table hold exactly v, writing only the rows that differ */
void state_sync_inputs(struct state *s, const struct state_input *v, size_t n);
/* record an output dpc is about to write (pending) or has written */
void state_put_output(struct state *s, const struct state_output *o);
void state_del_output(struct state *s, const char *path);
/* the pending hash of every output is what is in place now: clear them */
void state_settle_outputs(struct state *s);
void state_log_build(struct state *s, const char *spechash, long written, long deleted);

void state_close(struct state *s);

/* stat path relative to rootfd, following symlinks (a link inside the
 * project changes when its target does) */
struct fstamp fstamp_of(int rootfd, const char *path);
bool fstamp_eq(struct fstamp a, struct fstamp b);

#endif
