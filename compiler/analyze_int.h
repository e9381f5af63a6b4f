/* analyze_int.h: what the files of `dpc analyze` share among themselves:
 * analyze.c (the walk, the workers, the graph and its printing),
 * analyze_dbt.c (dbt projects), analyze_py.c (Dagster and dlt),
 * analyze_sql.c (plain SQL scripts) and analyze_spec.c (the proposed spec).
 * Not an interface for the rest of dpc: that is analyze.h.
 *
 * Memory: the analysis' arena holds what the main thread makes; each worker
 * has an arena of its own for what it finds, freed with the analysis, so a
 * result may point into any of them until analysis_free. */
#ifndef DPC_ANALYZE_INT_H
#define DPC_ANALYZE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airflow.h"
#include "analyze.h"
#include "diag.h"
#include "pgschema.h"
#include "spec.h"
#include "util.h"
#include "yamldoc.h"

struct py_scanner;

/* a place in a file of the analysis: the path relative to the root, the
 * byte offset (for warnings) and the 1-based line and column (for output) */
struct an_at {
	const char *file;
	uint32_t off;
	unsigned line, col;
};

/* line starts of one text, to turn offsets into lines and columns */
struct an_lines {
	const char *text;
	size_t len;
	uint32_t *starts; /* built on first use; owned */
	size_t n;
};

void an_lines_init(struct an_lines *l, const char *text, size_t len);
/* the place of byte off; file is borrowed and must outlive the result */
struct an_at an_place(struct an_lines *l, const char *file, size_t off);
void an_lines_free(struct an_lines *l);

/* ---- jobs: one file (or one migrations folder) for a worker ---- */

enum an_jobkind {
	J_PY,         /* a Python file: Airflow, Dagster, dlt */
	J_MIGRATIONS, /* a supabase/migrations folder, its files in order */
	J_MODEL,      /* a dbt model's SQL */
	J_STEST,      /* a dbt singular test's SQL */
	J_PROPS,      /* a dbt properties YAML file (models, sources, seeds) */
	J_SEED,       /* a dbt seed's CSV: its header */
	J_SCRIPT,     /* a plain SQL script */
};

struct dbt_project;
struct an_worker;

struct an_job {
	enum an_jobkind kind;
	const char *path;         /* relative to the root; J_MIGRATIONS: the folder */
	struct dbt_project *proj; /* dbt files: their project */
	const char *sub;          /* dbt files: the path below its model, seed or test path */
	const char **files;       /* J_MIGRATIONS: its .sql files, sorted */
	size_t nfiles;
	void *res;                /* what the worker found, or NULL (unreadable); its arena */
};

/* a worker: one per thread */
struct an_worker {
	struct analysis *an;
	struct arena a;
	struct diags d;            /* its warnings; merged into the analysis' at the end */
	struct py_scanner *py;     /* made on first use */
	size_t nread;              /* files read */
};

/* a warning of a worker at off in path */
void an_wwarn(struct an_worker *w, const char *path, uint32_t off, uint32_t len, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* a name found at a place: ref(a, b), source(a, b), a table a */
struct an_ref {
	const char *a, *b;
	struct an_at at;
};

/* J_MODEL and J_STEST: what the SQL says */
struct an_sqlres {
	struct an_ref *refs;       /* b the model, a the package or NULL */
	size_t nrefs;
	struct an_ref *sources;    /* a the source, b the table */
	size_t nsources;
	struct an_ref *vars;       /* var(a) without a default */
	size_t nvars;
	const char *materialized;  /* config(materialized=...) in the SQL, or NULL */
	bool generic;              /* a {% test %} definition, not a singular test */
	bool not_text;             /* not UTF-8 text: dpc build would refuse it */
};

/* J_SEED: the CSV's header */
struct an_seedres {
	const char **cols;
	size_t ncols;
};

/* J_SCRIPT: the tables a plain SQL script writes and reads (a) */
struct an_scriptres {
	struct an_ref *writes, *reads;
	size_t nwrites, nreads;
};

/* J_MIGRATIONS */
struct an_migres {
	struct pg_model *m;
};

/* ---- dbt (analyze_dbt.c) ---- */

struct dbt_test {
	enum test_kind kind;
	const char *column;        /* model- and table-level tests: column_name */
	const struct ynode *values; /* accepted_values: the sequence, typed as written */
	int quote;                 /* accepted_values: -1 unset, 0, 1 */
	const char *to, *field;    /* relationships: "model" or "source.table"; the column */
	long long min, max;        /* dpc_row_count (the spec's row_count): -1 unset */
	const char *severity, *where;
	struct an_at at;
};

struct dbt_column {
	const char *name, *description, *type;
	struct dbt_test *tests;
	size_t ntests;
	struct an_at at;
};

/* properties of a model or a seed from a YAML file */
struct dbt_props {
	const char *name, *description;
	const char *materialized;  /* config: materialized, or NULL */
	const char *delimiter;     /* seeds: config: delimiter */
	struct dbt_column *cols;
	size_t ncols;
	struct dbt_test *tests;
	size_t ntests;
	struct an_at at;
	bool used;                 /* matched to a file */
};

/* freshness as the spec writes it */
struct dbt_fresh {
	bool set;                  /* the key was given */
	bool disabled;             /* given as null */
	const char *warn, *error;  /* durations: "12h" */
	const char *filter;
};

struct dbt_stable {
	const char *name, *description, *identifier;
	const char *field;         /* loaded_at_field, or NULL */
	struct dbt_fresh fresh;
	const char **tags;
	size_t ntags;
	struct dbt_column *cols;
	size_t ncols;
	struct dbt_test *tests;
	size_t ntests;
	struct an_at at;
	bool declared;             /* false: made up for a source() nobody declared */
};

struct dbt_source {
	const char *name, *description, *schema, *database;
	const char *field;
	struct dbt_fresh fresh;
	const char **tags;
	size_t ntags;
	struct dbt_stable *tables;
	size_t ntables, captables;
	struct an_at at;
	bool declared;
};

/* J_PROPS */
struct an_propsres {
	struct dbt_props *models, *seeds;
	size_t nmodels, nseeds;
	struct dbt_source *sources;
	size_t nsources;
};

struct dbt_model {
	const char *name, *path;
	const char *sub;           /* the path below its model path: "staging/stg_x.sql" */
	const char *layer;         /* the first folder of sub, or NULL */
	const struct an_sqlres *sql;
	struct dbt_props *props;
	const char *materialized;  /* for the spec: from YAML or folder config, when the SQL sets none */
	struct an_at at;
};

struct dbt_seed {
	const char *name, *path;
	const struct an_seedres *csv;
	struct dbt_props *props;
	struct an_at at;
};

struct dbt_stest {
	const char *name, *path;
	const struct an_sqlres *sql;
	struct an_at at;
};

struct dbt_project {
	const char *dir;           /* relative to the root; "" for the root */
	const char *file;          /* its dbt_project.yml */
	const char *name;
	const char **model_paths, **seed_paths, **test_paths;
	size_t nmodel_paths, nseed_paths, ntest_paths;
	const struct ynode *vars;   /* vars:, or NULL */
	const struct ynode *models_cfg; /* models: <name>: folder configs, or NULL */
	struct an_at at;
	/* gathered from the jobs by dbt_gather */
	struct dbt_model *models;
	size_t nmodels, capmodels;
	struct dbt_seed *seeds;
	size_t nseeds, capseeds;
	struct dbt_stest *tests;
	size_t ntests, captests;
	struct dbt_source **sources;
	size_t nsources, capsources;
};

/* read dbt_project.yml (text, len) at path; NULL when it is not one (warned) */
struct dbt_project *dbt_project_read(struct analysis *an, const char *path, const char *text,
				     size_t len);
/* a worker's part: one model, test, properties file or seed */
void dbt_job(struct an_worker *w, struct an_job *j, const char *text, size_t len);
/* after the workers: put each project's files and properties together */
void dbt_gather(struct analysis *an);
/* nodes and edges of the dbt projects */
void dbt_graph(struct analysis *an);

/* ---- Python (analyze_py.c) ---- */

struct an_asset {
	const char *name, *function, *group;
	const char **deps;         /* deps=[...] and ins: asset names or function names */
	size_t ndeps;
	const char **params;       /* the function's arguments, which may name assets */
	size_t nparams;
	struct an_at at;
};

struct an_dlt {
	const char *kind;          /* "dlt_resource", "dlt_source", "dlt_pipeline" */
	const char *name, *detail;
	const char *function;      /* the decorated function or the variable, for links */
	struct an_at at;
};

/* an edge between two things of one file: indexes into its dlt array */
struct an_link {
	size_t from, to;
	const char *kind;
	struct an_at at;
};

struct an_pyres {
	struct af_file af;
	bool has_af;
	struct an_asset *assets;
	size_t nassets;
	struct an_dlt *dlt;
	size_t ndlt;
	struct an_link *links;
	size_t nlinks;
};

void py_job(struct an_worker *w, struct an_job *j, const char *text, size_t len);
void py_worker_free(struct an_worker *w);

/* ---- plain SQL (analyze_sql.c) ---- */

void script_job(struct an_worker *w, struct an_job *j, const char *text, size_t len);

/* ---- the graph (analyze.c) ---- */

/* a column of a table, model, seed or source table */
struct an_col {
	const char *name, *type;   /* type NULL when nothing says */
};

struct an_node {
	const char *id;            /* "<kind>:<name>", unique */
	const char *kind, *name;
	const char *file;          /* NULL for a name nothing defines */
	unsigned line, col;
	const char *group;         /* Airflow tasks: the DAG; dbt: the project */
	const char *detail;        /* an operator, a materialization, a destination */
	const struct an_col *cols; /* its columns, when something declares them */
	size_t ncols;
};

struct an_edge {
	const char *from, *to;     /* ids: from runs (or is read) before to */
	const char *kind;          /* ref, source, test, deps, airflow, reads, writes, ... */
	struct an_at at;
};

struct analysis {
	struct arena a;
	struct diags d;
	char *root;                /* the folder analyzed; for one file, its folder */
	const char *shown;         /* the path as given */
	int rootfd;
	bool one_file;
	struct an_job *jobs;
	size_t njobs;
	struct dbt_project **projs;
	size_t nprojs, capprojs;
	struct an_worker *workers;
	size_t nworkers;
	struct an_node *nodes;
	size_t nnodes, capnodes;
	struct an_edge *edges;
	size_t nedges, capedges;
	struct strmap byid;        /* id → node index + 1 */
	size_t nfiles;             /* files considered */
	size_t nread;              /* files read */
	double seconds;
};

/* move the warnings of from (a worker's, or a file's) into the analysis':
 * notes dropped (the statements a migration reader skipped), errors (invalid
 * YAML) made warnings, since the analysis goes on without that part */
void an_mergediags(struct analysis *an, struct diags *from);
/* renumber the warnings' files by path, then sort the warnings: the same
 * order whatever the threads did */
void an_sortdiags(struct analysis *an);
/* a warning at a place (at.file NULL: none) */
void an_warn(struct analysis *an, struct an_at at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* add a node; if its id is taken, the id gets "@file" and a warning says so.
 * Returns the node's id (arena-owned) */
const char *an_node(struct analysis *an, const char *kind, const char *name, struct an_at at,
		    const char *group, const char *detail);
/* give the node id its columns (borrowed: they must outlive the analysis) */
void an_columns(struct analysis *an, const char *id, const struct an_col *cols, size_t n);
/* the id of kind:name if such a node exists, else NULL */
const char *an_find(struct analysis *an, const char *kind, const char *name);
/* the id of an "external" node for a name nothing defines (made once) */
const char *an_external(struct analysis *an, const char *name);
void an_edge(struct analysis *an, const char *from, const char *to, const char *kind, struct an_at at);

/* is s a plain identifier the spec accepts ([A-Za-z_][A-Za-z0-9_]*, at most 63)? */
bool an_ident(const char *s);

#endif
