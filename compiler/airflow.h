/* airflow.h: read Airflow DAG files statically into DAGs, tasks and edges.
 *
 * The reader interprets a Python file's syntax tree (pyscan.h) the way
 * Airflow would build its DAGs at import time, without running anything:
 * with DAG(...) blocks, @dag functions, operators given dag=..., TaskFlow
 * @task calls, task groups (context managers and @task_group functions),
 * the dependency operators and helpers (>>, <<, set_upstream/downstream,
 * chain, chain_linear, cross_downstream), dynamic mapping, Label, setup and
 * teardown. What it cannot know statically (a task id computed at run time,
 * a loop over data it cannot see) becomes a warning at file:line:col, never
 * a silent guess.
 *
 * Everything an af_file holds is owned by it and freed by af_file_free. */
#ifndef DPC_AIRFLOW_H
#define DPC_AIRFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "pyscan.h"

struct cJSON;

/* a keyword argument of a task's operator call, as written */
struct af_arg {
	char *name;
	char *value;       /* a string literal's value, or the expression's source text */
	bool is_string;
};

struct af_task {
	char *id;          /* the full task id, task-group prefixes included ("grp.sub.t") */
	char *operator;    /* the operator class ("BashOperator"), or for TaskFlow the
			      decorator as written ("task", "task.branch", "task.virtualenv") */
	char *group;       /* the innermost task group's id, or NULL */
	uint32_t line, col;  /* where the task is created (1-based) */
	uint32_t off;        /* the same place as a byte offset into the file */
	bool mapped;       /* .partial(...).expand(...) or .expand_kwargs(...) */
	bool setup, teardown;
	bool branch;       /* a branching operator or @task.branch */
	bool sensor;       /* a sensor operator or @task.sensor */
	bool multiple_outputs;
	int retries;       /* the task's own, else the DAG's default_args; -1 unknown */
	char *retry_delay; /* seconds as text ("300"), or the expression; NULL unknown */
	/* what the task runs, for migration: */
	char *callable;        /* PythonOperator python_callable / the @task function name */
	char *callable_module; /* the module it is imported from ("pkg.mod"), or NULL when
				  it is defined in the DAG file itself */
	char *bash_command;    /* BashOperator bash_command, or NULL */
	struct af_arg *args;   /* every keyword argument of the operator call */
	size_t nargs;
};

/* upstream runs before downstream; both index the DAG's tasks */
struct af_edge {
	size_t up, down;
	char *label;       /* Label("...") metadata, or NULL */
};

enum af_sched {
	AF_SCHED_UNSET,     /* no schedule argument: Airflow's default */
	AF_SCHED_NONE,      /* schedule=None: triggered only */
	AF_SCHED_CRON,      /* "0 3 * * *" */
	AF_SCHED_PRESET,    /* "@daily", "@once", ... */
	AF_SCHED_TIMEDELTA, /* timedelta(...) */
	AF_SCHED_DATASET,   /* a list of datasets/assets, or an & / | expression of them */
	AF_SCHED_ASSET_OR_TIME, /* DatasetOrTimeSchedule / AssetOrTimeSchedule */
	AF_SCHED_OTHER,     /* a timetable or an expression it cannot read */
};

struct af_dag {
	char *dag_id;
	uint32_t line, col;  /* the DAG(...) call or the @dag function */
	uint32_t off;
	enum af_sched sched_kind;
	char *schedule;      /* as written: the cron or preset string, the timedelta
				expression, the dataset expression; NULL when unset */
	char *cron;          /* a cron equivalent when there is one ("@daily" gives
				"0 0 * * *", timedelta(days=1) too), else NULL */
	char **datasets;     /* dataset/asset URIs the schedule names */
	size_t ndatasets;
	char *start_date;    /* as written, or NULL */
	int catchup;         /* 1, 0, or -1 unset */
	char *owner;         /* default_args owner, or NULL */
	int retries;         /* default_args retries, -1 unset */
	char *retry_delay;   /* default_args retry_delay in seconds as text, or the
				expression; NULL unset */
	struct af_task *tasks;
	size_t ntasks;
	struct af_edge *edges;  /* no duplicates; in the order first seen */
	size_t nedges;
};

struct af_file {
	struct af_dag *dags;
	size_t ndags;
	bool parse_error;    /* tree-sitter found syntax errors (a warning was given) */
};

/* read the DAGs of one Python file. text/len are the file's bytes, file its
 * index in d (diag_file); warnings (what cannot be read statically, syntax
 * errors) go to d at their place. scanner is the caller's (one per thread).
 * A file with no DAG gives ndags == 0 and no warning, unless part of it
 * could not be read (a loop over unknown data may hide DAGs). Reading is
 * bounded: a file takes at most so many steps, tasks and edges (airflow.c). */
void af_read(struct py_scanner *scanner, struct diags *d, int32_t file, const char *text,
	     size_t len, struct af_file *out);
void af_file_free(struct af_file *f);

/* true when text looks like it may define a DAG (mentions "airflow"): a
 * cheap filter before parsing a whole tree of Python files */
bool af_maybe_dag(const char *text, size_t len);

/* the name of a schedule kind as af_dag_json writes it ("cron", "preset",
 * "timedelta", "dataset", "asset_or_time", "none", "unset", "other") */
const char *af_sched_name(enum af_sched k);

/* one DAG as the documented JSON shape of `dpc analyze --format json`'s
 * "dags" array; owned by the caller:
 *   {"dag_id", "file", "line",
 *    "schedule": as written or null, "schedule_kind": af_sched_name(),
 *    "cron": an equivalent cron or null, "datasets": [uri, ...],
 *    "start_date": as written or null, "catchup": bool or null,
 *    "owner", "retries", "retry_delay": default_args' (null when unset),
 *    "tasks": [{"id", "operator", "line", "group" (or null), "mapped", "setup",
 *               "teardown", "branch", "sensor", "multiple_outputs", "retries"
 *               (or null), "retry_delay", "callable", "callable_module",
 *               "bash_command" (each or null)}, ...]  (in order of creation),
 *    "edges": [[up_id, down_id], ...]  (first seen first, no duplicates),
 *    "labels": [[up_id, down_id, label], ...]  (the labelled edges)} */
struct cJSON *af_dag_json(const struct af_dag *dag, const char *file);

#endif
