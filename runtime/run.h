/* run.h: `dpc run` and `dpc test`, which execute a compiled pipeline on the
 * embedded SQLite warehouse (docs/run.md).
 *
 * A run loads the seeds, builds the models in dependency order (view,
 * table, incremental, ephemeral), runs the data tests and checks source
 * freshness. It is a build system: a node whose rendered SQL, settings and
 * upstream data versions are those of its last successful build is up to
 * date and is skipped; the records that say so live in the warehouse file
 * itself (runtime/wh.h), updated in the transaction that swaps the relation
 * in. The caller compiles first (nothing runs from a spec with errors) and
 * holds the project's build lock. */
#ifndef DPC_RUN_H
#define DPC_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "compile.h"
#include "state.h"

struct cJSON;

struct run_options {
	bool tests_only;     /* dpc test: run the selected tests, build nothing */
	bool full_refresh;   /* rebuild every selected node, incremental models from scratch */
	bool fail_fast;      /* stop at the first error or failure */
	bool explain;        /* say for each node why it runs or is up to date */
	bool color;
	const char *select;  /* dbt selection syntax, or NULL: everything */
	const char *exclude; /* the same, taken away from the selection */
	const char *vars;    /* --vars: a JSON object overriding the spec's vars, or NULL */
	const char *root;    /* the project folder; borrowed */
	int rootfd;
};

/* Run the pipeline c compiled (without errors). Progress and the summary
 * go to stdout, problems to stderr; with doc (a JSON object), everything
 * goes into doc instead. Writes target/run_results.json. Returns the exit
 * code: 0 when every node succeeded (warnings allowed), 1 when one failed,
 * 2 for problems of the command line, the macros or the warehouse type.
 * st, the state DB the build used, learns where the warehouse is (for
 * run_noop). */
int run_exec(struct compilation *c, struct state *st, const struct run_options *o, struct cJSON *doc);

/* The no-op run, decided without compiling: true when the build that
 * preceded found every input unchanged (the caller's no-op path) and the
 * warehouse says its last complete run saw exactly these inputs, options
 * and sources, and left everything up to date. Then it reports so (to
 * stdout or doc), writes target/run_results.json, sets *code and returns
 * true. False (with *why, owned, for --explain) means: compile and run. */
bool run_noop(struct state *st, const struct run_options *o, struct cJSON *doc, int *code, char **why);

#endif
