/* ir.h: the graph every back end reads. One node per source table, seed,
 * model, test, table (tables:), embedding, asset, schedule, sensor, and
 * Airflow DAG and task (airflow:); edges point from a node to what it reads
 * (a schedule or sensor: to what it runs and watches; an embedding: to its
 * table; an Airflow DAG: to its tasks; a task: to its upstream tasks). Names are resolved and
 * checked here (unknown refs with a did-you-mean, cycles with their whole
 * path, selections), so back ends can trust what they see. A foreign key
 * between tables is no edge: the spec's column says where it points
 * (spec_appcolumn.ref_*).
 *
 * All memory belongs to the compilation's arena, except the file contents
 * the graph reads, which it owns until graph_free. */
#ifndef DPC_IR_H
#define DPC_IR_H

#include "diag.h"
#include "spec.h"
#include "util.h"

enum node_kind {
	N_SOURCE, N_SEED, N_MODEL, N_TEST,
	N_TABLE,     /* a table of tables:; also a dbt source (source.<src>.<name> finds it) */
	N_EMBEDDING, /* its vector table is a dbt source beside its table's, too */
	N_ASSET, N_SCHEDULE, N_SENSOR,
	N_AIRFLOW_DAG,  /* a DAG of airflow:; reads (runs) its tasks */
	N_AIRFLOW_TASK, /* a task of that DAG, read from its file; reads its upstream tasks */
	N_NKINDS
};

/* how graph output draws a kind: mermaid's brackets, graphviz's shape */
struct node_style {
	const char *mermaid_open, *mermaid_close, *dot_shape;
};

struct edge {
	size_t to;       /* index of the node read */
	struct loc loc;  /* where the reading is written (a ref in SQL, a test target) */
};

struct node {
	enum node_kind kind;
	const char *id;      /* "model.stg_trips", "seed.x", "source.raw.trips", "test.x",
			      * "table.x", "embedding.x", "asset.x", "schedule.x", "sensor.x",
			      * "airflow_dag.<dag_id>", "airflow_task.<dag_id>/<task_id>" */
	const char *name;    /* stg_trips; trips; the test's name */
	struct loc loc;      /* its definition in the spec */
	unsigned line, col;  /* where loc is, worked out while the spec's text is
			      * at hand (0 when unknown) */
	struct edge *deps;   /* what it reads, sorted by index, no repeats */
	size_t ndeps;
	size_t *users;       /* who reads it, sorted */
	size_t nusers;
	struct hash hash;    /* content hash: spec node and file contents */
	const char *layer;   /* models: folder under models/ */
	const char *materialized; /* models: effective materialization */
	const char *file;    /* the SQL, CSV or (assets) Python file, when it has one */
	const char *text;    /* models, singular tests: the SQL; seeds: the CSV; assets:
			      * the Python. Valid until the back ends that say
			      * they read sources have run (compile_run then
			      * releases the sources); NULL for a model whose
			      * file was made early (graph_build_hooked) */
	size_t textlen;
	struct hash facts;   /* models with a SQL file: what the SQL references (ir_facts) */
	bool has_facts;
	const char **external; /* refs to package models, as "pkg.model" */
	size_t nexternal;
	/* what the node came from; one of these is set */
	const struct spec_model *model;
	const struct spec_seed *seed;
	const struct spec_source *source;
	const struct spec_table *table;
	const struct spec_singular *singular;
	const struct spec_apptable *apptable;
	const struct spec_embedding *embedding;
	const struct spec_asset *asset;
	const struct spec_schedule *schedule;
	const struct spec_sensor *sensor;
	/* generic tests: the test and the node and column it tests */
	const struct spec_test *test;
	size_t tested;
	const char *column;
	/* embeddings: the N_TABLE or N_MODEL node of from:; sensors: the N_TABLE or
	 * N_SOURCE node watched. Also an edge (deps) */
	size_t from;
	/* schedules and sensors: every node the selection picks (with the
	 * ancestors and descendants its + ask for), sorted indexes, never a
	 * test, schedule or sensor; in the arena. Each is also an edge */
	size_t *selected;
	size_t nselected;
	/* sensors: the column whose new values mean new rows: cursor:, or
	 * the table's identity column, its integer one-column primary key, its
	 * first timestamp or date column; for a source table, its freshness
	 * field */
	const char *cursor;
	/* airflow DAGs and tasks: the spec's entry and what the DAG file says
	 * (airflow.h; owned by the graph). pyname is the DAG's id as a Python
	 * name ('.' becomes "__", '-' '_'); a task's assetkey is
	 * airflow/<pyname>/<its id, made a name the same way>, parts joined by '/' */
	const struct spec_airflow_dag *airflow;
	const struct af_dag *afdag;
	const struct af_task *aftask;
	const char *pyname;
	const char *assetkey;
};

struct af_file;
struct af_dag;
struct af_task;

struct graph {
	struct spec *spec;
	struct diags *diags; /* the files locations refer to; borrowed */
	struct node *nodes;
	size_t n;
	struct strmap byid;
	struct strmap byname; /* models, seeds, tables, embeddings, assets: name → index + 1 */
	struct af_file *afiles; /* the DAG files airflow: names, as read; owned */
	size_t nafiles;
};

/* the largest SQL or CSV input dpc reads */
#define INPUT_MAX_BYTES (64u << 20)

/* Build and check the graph of a spec whose files live under rootfd.
 * Errors go to d; the graph is returned even when some are found, so that
 * every problem is reported in one run. */
struct graph *graph_build(struct arena *a, struct diags *d, int rootfd, struct spec *s);
/* the same, calling model(arg, g, n) for each model as soon as its SQL is
 * read and scanned and its hash known (a fresh build makes its dbt file
 * then); the graph is incomplete at that point, and n valid only during
 * the call. When model returns true, nothing needs the SQL any more: the
 * node's text is dropped (NULL), and read again if a diagnostic needs it */
struct graph *graph_build_hooked(struct arena *a, struct diags *d, int rootfd, struct spec *s,
				 bool (*model)(void *arg, const struct graph *g, const struct node *n),
				 void *arg);

/* look a node up by id; returns NULL if it does not exist. A table or an
 * embedding is also found by the id of the dbt source table it is,
 * source.<source>.<name> */
struct node *graph_find(const struct graph *g, const char *id);

/* every node downstream of the marked ones (mark[i] true), marking them too */
void graph_downstream(const struct graph *g, bool *mark);

/* the spec file a node is defined in ("pipeline.yaml" if it has no place) */
const char *node_specfile(const struct graph *g, const struct node *n);

/* "model", "seed", "source", "test", "table", "embedding", "asset",
 * "schedule", "sensor", "airflow_dag", "airflow_task" */
const char *node_kindname(enum node_kind k);

/* how `dpc graph` draws kind k (static) */
const struct node_style *node_style(enum node_kind k);

/* a node by the name selections, asset deps and ref() use (models, seeds,
 * tables, embeddings, assets); NULL if there is none */
struct node *graph_byname(const struct graph *g, const char *name);

void graph_free(struct graph *g);

/* The pieces of graph_build the quick rebuild (quick.c) repeats for one
 * model, so that both paths compute the same bytes. */
struct sql_scan;
struct sql_find;
/* is s UTF-8 text with no NUL, as SQL and CSV inputs must be? */
bool ir_istext(const char *s, size_t n);
/* a digest of everything a scan found except where: the refs, sources,
 * vars and config() of a SQL file. Equal facts, same edges and settings */
struct hash ir_facts(const struct sql_scan *sc);
/* the materialization after a config() call in the SQL */
const char *ir_materialized(const char *current, const struct sql_find *config);
/* content hashes of a model and of a generic test on owner */
struct hash ir_model_hash(struct hash spec, const char *text, size_t len, const char *materialized);
struct hash ir_test_hash(struct hash owner, const char *id);

#endif
