/* migrate.h: moving Airflow DAGs to Dagster (docs/airflow.md).
 *
 * emit_airflow.c decides how each Airflow task is carried over (aft_*) and
 * where the files of each DAG go; the migration report of `dpc migrate
 * airflow` (migrate.c) reads the same decisions, so the report and the
 * generated code cannot disagree. */
#ifndef DPC_MIGRATE_H
#define DPC_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ir.h"

struct cJSON;
struct compilation;

enum aft_kind {
	AFT_PYTHON, /* a callable, imported from its module (or the DAG file) and called */
	AFT_BASH,   /* a command, run by bash */
	AFT_EMPTY,  /* nothing to run (EmptyOperator, DummyOperator) */
	AFT_NONE,   /* no translation: the asset fails loudly when it runs */
};

/* how one task is carried over; strings are borrowed from the task unless
 * a comment says owned */
struct aft {
	enum aft_kind kind;
	const char *operator; /* the operator's class ("BashOperator"), or task.* for TaskFlow */
	char *why;            /* AFT_NONE: why not, a sentence; owned */
	char **notes;         /* what a person should look at, each a sentence; owned */
	size_t nnotes;
	/* AFT_PYTHON */
	const char *module;   /* the module the callable comes from; NULL: the DAG file */
	const char *function;
	const char *args, *kwargs; /* op_args and op_kwargs as written, when literals */
	/* AFT_BASH */
	const char *command;
	bool script;          /* the command is a .sh file beside the DAG file */
	/* retries, from the task or the DAG's default_args */
	int retries;          /* 0: none */
	char *delay;          /* seconds between tries as text, or NULL; owned */
};

/* classify task (an N_AIRFLOW_TASK node) into out */
void aft_classify(const struct node *task, struct aft *out);
void aft_free(struct aft *a);

/* the cron a migrated DAG (an N_AIRFLOW_DAG node) runs on in Dagster, as the
 * spec or the DAG says it; NULL when there is none, with *why (static) saying
 * what a person has to decide */
const char *airflow_cron(const struct node *dag, const char **why);

/* where the files of a DAG go, relative to the project root; owned by the
 * caller, NULL when the DAG's stage writes no such file: the Python module
 * of its assets (stages proxy and migrated), its proxied_state YAML (peer,
 * observe, proxy) */
char *airflow_module_path(const struct spec *s, const struct node *dag);
char *airflow_state_path(const struct spec *s, const struct node *dag);
/* the dagster-airlift component's defs.yaml; owned by the caller */
char *airflow_defs_path(const struct spec *s);

/* The migration report of the DAGs in c (compiled without errors): per
 * DAG its stage, tasks and edges translated, what needs a person, and the
 * UAT check, which reads the Dagster asset graph back out of the files c's
 * back ends made (defs.yaml and the Python modules) and compares it with
 * the Airflow graph edge for edge. only, when not NULL, limits it to those
 * dag ids (n of them). Returns a new JSON object (owned by the caller) and
 * sets *pass to whether every UAT check passed. */
struct cJSON *migrate_report(const struct compilation *c, const char *const *only, size_t n, bool *pass);
/* the report as text, on f */
void migrate_report_print(const struct cJSON *report, FILE *f);

/* What `dpc migrate airflow` does to the spec: read each DAG file (paths
 * relative to the project root), then add an entry to airflow.dags for each
 * DAG not there yet (file, the DAG's schedule, stage) and set the stage of
 * those that are, by splicing text into the root spec file's bytes (text,
 * len): comments and formatting stay as they were. stage may be NULL (new
 * entries: observe; existing: unchanged). On success returns the new bytes
 * (owned, *outlen) and lists the DAG ids added and updated in *ids (owned
 * array of owned strings, *nids); on failure returns NULL and a message in
 * *err (owned). */
char *migrate_splice(int rootfd, const char *specpath, const char *text, size_t len,
		     const char *const *dagfiles, size_t ndagfiles, const char *stage, char ***ids,
		     size_t *nids, size_t *nadded, char **err);

#endif
