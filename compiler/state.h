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
/* open and load root/.dpc/state.db when there is one, for a plan that
 * writes nothing; false (s closed) when there is none or it cannot be read:
 * a clean clone has no state, and the plan then counts every file as new */
bool state_open_existing(struct state *s, const char *root);
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

/* The AI audit log and the LLM circuit breaker, in .dpc/ai.db (SQLite)
 * beside state.db. A memory, not a cache: kept out of state.db because a
 * state DB of another version is thrown away, and this must not be. Its
 * on-disk format is described at the top of state_ai.c. */
struct ai_db {
	struct sqlite3 *db;  /* NULL: no log (none yet, and not asked to create one) */
};

struct llm_breaker;

/* one request to an LLM. Written with state_ai_log (id and, when 0, time
 * are filled in); read back by state_ai_entries with every field set */
struct ai_log_entry {
	int64_t id;
	int64_t time;            /* unix seconds; 0 when writing: now */
	const char *actor;       /* NULL when writing: DPC_ACTOR, else the login name */
	const char *command;     /* generate, explain, refactor */
	const char *provider;    /* openai, anthropic */
	const char *model;
	char prompt_hash[33];    /* xxh3-128 hex of what was sent (llm_request_hash) */
	char response_hash[33];  /* of the answer's text; "" when there was none */
	long tokens_in, tokens_out;
	const char *status;      /* "ok", or the error kind (llm_status_name) */
	bool applied;            /* its patch was written (state_ai_applied) */
	const char *summary;     /* the request in short (at most 80 characters); never a key */
};

/* open dir/ai.db (dir: the project's .dpc folder). create: make the folder
 * and the file when missing. Otherwise a missing file leaves a->db NULL and
 * returns 0: an empty log. Returns -1 with *err (owned) when it cannot. */
int state_ai_open(struct ai_db *a, const char *dir, bool create, char **err);
void state_ai_close(struct ai_db *a);
/* append e to the log; returns its id, or -1 (no log, or a write that failed) */
int64_t state_ai_log(struct ai_db *a, const struct ai_log_entry *e);
/* mark the request id as applied */
void state_ai_applied(struct ai_db *a, int64_t id);
/* the breaker of endpoint (llm_endpoint: provider and base URL) into *b;
 * closed ({0, 0}) when none is stored. False only when the DB cannot be read */
bool state_ai_breaker(struct ai_db *a, const char *endpoint, struct llm_breaker *b);
void state_ai_set_breaker(struct ai_db *a, const char *endpoint, const struct llm_breaker *b);
/* close every breaker (dpc ai reset); returns how many were open */
int state_ai_reset_breakers(struct ai_db *a);
/* the newest entries first, at most limit of them (0: all); *v and its
 * strings are owned by the caller (state_ai_entries_free). *total (may be
 * NULL) gets how many the log holds. Returns 0, or -1 with *err (owned) */
int state_ai_entries(struct ai_db *a, size_t limit, struct ai_log_entry **v, size_t *n, size_t *total,
		     char **err);
void state_ai_entries_free(struct ai_log_entry *v, size_t n);
/* who runs dpc: DPC_ACTOR, else the login name, else "unknown"; static or
 * the environment's */
const char *state_actor(void);

/* stat path relative to rootfd, following symlinks (a link inside the
 * project changes when its target does) */
struct fstamp fstamp_of(int rootfd, const char *path);
bool fstamp_eq(struct fstamp a, struct fstamp b);

#endif
