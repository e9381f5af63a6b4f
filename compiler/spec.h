/* spec.h: the spec AST, what the front end reads from pipeline.yaml and the
 * fragments it includes. All memory belongs to the compilation's arena.
 * Every named thing keeps the location of its name for diagnostics. */
#ifndef DPC_SPEC_H
#define DPC_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "util.h"
#include "yamldoc.h"

enum test_kind { T_UNIQUE, T_NOT_NULL, T_ACCEPTED_VALUES, T_RELATIONSHIPS, T_ROW_COUNT };

struct spec_test {
	enum test_kind kind;
	struct loc loc;        /* the test's name in the spec */
	const char *column;    /* model/table level: the expression tested */
	const char **values;   /* accepted_values */
	size_t nvalues;
	int quote;             /* accepted_values: -1 unset, 0 false, 1 true */
	const char *to;        /* relationships: "model" or "source.table" */
	const char *field;     /* relationships: the column in `to` */
	struct loc to_loc;
	long long min, max;    /* row_count: the bounds on the number of rows, -1 unset */
	const char *severity;  /* "error", "warn" or NULL */
	const char *where;
};

struct spec_column {
	const char *name;
	struct loc loc;
	const char *type;
	const char *description;
	struct spec_test *tests;
	size_t ntests;
};

struct spec_freshness {
	bool set;              /* the key was given */
	bool disabled;         /* given as null */
	const char *field;     /* loaded_at_field */
	const char *warn_after, *error_after; /* durations as written: "12h" */
	const char *filter;
	struct loc loc;
};

struct spec_table {
	const char *name;
	struct loc loc;
	const char *description, *identifier;
	struct spec_freshness freshness;
	const char **tags;
	size_t ntags;
	struct spec_column *columns;
	size_t ncolumns;
	struct spec_test *tests;
	size_t ntests;
};

struct spec_source {
	const char *name;
	struct loc loc;
	const char *description, *schema, *database;
	struct spec_freshness freshness;
	const char **tags;
	size_t ntags;
	struct spec_table *tables;
	size_t ntables;
	struct hash hash;      /* of the source's spec text, for the registry */
};

/* SQL given in the spec: a file, or inline text */
struct spec_sql {
	const char *path;      /* relative path, or NULL when inline */
	const char *inline_sql;
	struct loc loc;        /* the sql: value */
};

struct spec_model {
	const char *name;
	struct loc loc;
	struct spec_sql sql;
	const char *description;
	const char *materialized; /* view, table, incremental, ephemeral */
	bool materialized_set;    /* written in the spec, not the default */
	const char *layer;
	struct loc layer_loc;
	const char **tags;
	size_t ntags;
	const char **unique_key;
	size_t nunique_key;
	bool unique_key_list;  /* written as a list */
	const char *incremental_strategy, *on_schema_change;
	const char *schema, *alias, *owner;
	int enabled;           /* -1 unset */
	struct spec_column *columns;
	size_t ncolumns;
	struct spec_test *tests;
	size_t ntests;
	struct hash hash;      /* of the model's spec node */
};

struct spec_seed {
	const char *name;
	struct loc loc;
	const char *csv;
	struct loc csv_loc;
	const char *description;
	const char *delimiter;
	const char **tags;
	size_t ntags;
	struct spec_column *columns;
	size_t ncolumns;
	struct hash hash;
};

struct spec_singular {
	const char *name;
	struct loc loc;
	struct spec_sql sql;
	const char *description, *severity;
	struct hash hash;
};

struct spec_package {
	const char *name;      /* the name refs use */
	const char *package, *version, *git, *revision;
	struct loc loc;
};

struct spec_warehouse {
	const char *type;      /* postgres, sqlite, duckdb */
	const char *schema, *path, *database;
	const char *host_env, *port_env, *user_env, *password_env;
	long long threads;
};

struct spec_var {
	const char *name;
	struct loc loc;
	const struct ynode *value;
};

/* tables:, embeddings:, assets:, schedules:, sensors:, supabase: and ci:,
 * read by spec_app.c: what the Supabase, Dagster and CI back ends build
 * from. Strings are as written unless a comment says otherwise; an
 * optional key left out is NULL (strings) or its documented default. */

/* supabase: settings every table shares */
struct spec_supabase {
	bool set;               /* the key was written */
	struct loc loc;         /* the supabase: value, or NOLOC */
	const char *project_id; /* for supabase/config.toml; default: project, lower-cased */
	const char *source;     /* the dbt source tables of the default schema appear under; default "app" */
	const char *schema;     /* the default schema of tables; default "public" */
};

enum identity { IDENTITY_NONE, IDENTITY_ALWAYS, IDENTITY_BY_DEFAULT };

struct spec_apptable;

/* a column of a table in tables: */
struct spec_appcolumn {
	const char *name;
	struct loc loc;
	const char *type;        /* the SQL type as written ("bigint", "varchar(20)"); never NULL */
	const char *description;
	bool primary_key;        /* part of the primary key, whichever form declared it */
	bool nullable;           /* effective: false for primary key and identity columns */
	enum identity identity;  /* identity: true is IDENTITY_ALWAYS */
	const char *default_sql; /* the default expression as written ("now()", "0"), or NULL */
	const char *check;       /* a check constraint's condition, or NULL */
	bool unique;
	const char *references;  /* as written: "t", "t.c" or "schema.t.c"; or NULL */
	struct loc references_loc;
	/* the target of references, completed once every file is read:
	 * schema, table and column are always set (column: the target's
	 * primary key when only a table was named); ref_table is the table
	 * when it is in tables:, NULL for one outside the spec (auth.users) */
	const char *ref_schema, *ref_tablename, *ref_column;
	const struct spec_apptable *ref_table;
	const char *on_delete;   /* "cascade", "set null", "restrict", "no action", or NULL */
};

struct spec_index {
	const char *name;
	struct loc loc;
	const char **columns;    /* in index order; each a column of the table */
	size_t ncolumns;
	const char *method;      /* btree (default), hash, gin, gist, brin, spgist */
	bool unique;             /* btree only */
	bool concurrently;       /* create index concurrently */
};

enum rls_command { RLS_SELECT, RLS_INSERT, RLS_UPDATE, RLS_DELETE, RLS_ALL, RLS_NCOMMANDS };

struct spec_rls {
	bool enabled;            /* rls: was written: row level security is on */
	struct loc loc;
	const char *owner;       /* the column holding the owner's auth.uid(), or NULL */
	const struct spec_appcolumn *owner_column; /* that column */
	/* per command (enum rls_command): the roles a policy lets through, as
	 * written; no roles, no policy for that command */
	const char **roles[RLS_NCOMMANDS];
	size_t nroles[RLS_NCOMMANDS];
};

struct spec_grant {
	const char *role;
	struct loc loc;
	const char **privileges; /* lower case, distinct; none: the role gets nothing */
	size_t nprivileges;
};

/* a table the app owns in Supabase (tables:) */
struct spec_apptable {
	const char *name;
	struct loc loc;
	const char *description;
	const char *schema;      /* effective: its own schema or supabase.schema */
	const char *source;      /* the dbt source it appears under: supabase.source in
				  * the default schema, else the schema's name */
	struct spec_appcolumn *columns; /* in CREATE TABLE order, as written; at least one */
	size_t ncolumns;
	const char **primary_key; /* the primary key's columns in order (either form); may be none */
	size_t nprimary_key;
	struct spec_index *indexes;
	size_t nindexes;
	struct spec_rls rls;
	struct spec_grant *grants;
	size_t ngrants;
	bool realtime;           /* in the supabase_realtime publication */
	struct hash hash;
};

/* where an embedding's vectors come from */
struct spec_provider {
	const char *name;        /* openai, ollama, voyage */
	const char *model;
	const char *api_key_env; /* the key's environment variable; NULL for ollama unless given */
	const char *url;         /* effective: as written, or the provider's default endpoint */
};

/* embeddings: a vector table kept in step with a text column of a table
 * of tables:, or of a model when the warehouse is postgres (the Supabase
 * database dbt builds into) */
struct spec_embedding {
	const char *name;        /* also its table's name; the match function is match_<name> */
	struct loc loc;
	const char *description;
	const char *from, *text, *key; /* as written; key NULL when left to default */
	struct loc from_loc, text_loc, key_loc;
	long long dimensions;    /* 1..16000 */
	const char *index;       /* hnsw (default), ivfflat, none */
	const char *metric;      /* cosine (default), l2, inner_product */
	long long lists;         /* ivfflat: lists (default 100); 0 otherwise */
	struct spec_provider provider;
	long long batch_size;    /* default 100 */
	/* completed once every file is read: the table of from:, and its
	 * columns text: and key: (key defaults to its one-column primary key);
	 * or, from: naming a model, the model (table and the columns NULL; key
	 * is required) */
	const struct spec_apptable *table;
	const struct spec_appcolumn *text_column, *key_column;
	const struct spec_model *model;
	const char *schema, *source; /* its table's schema and dbt source; for a
				      * model, supabase.schema and supabase.source */
	/* its vector table's columns, in order: <key> key_type (primary key;
	 * references the table's key on delete cascade, no reference for a
	 * model, which dbt drops and makes again), embedding vector_type
	 * ("extensions.vector(1536)"), content_hash text, updated_at
	 * timestamptz. key_type is the key column's type, a serial type as its
	 * integer type; for a model, columns.<key>.type of the model's entry,
	 * else text */
	const char *key_type, *vector_type;
	struct hash hash;
};

/* assets: Python code that makes data (a Dagster asset) */
struct spec_asset {
	const char *name;
	struct loc loc;
	const char *python;      /* the .py file, relative to the project root */
	struct loc python_loc;
	const char *function;    /* the function to call; default: the asset's name */
	struct loc function_loc; /* function:, or the asset's name when defaulted */
	const char **deps;       /* as written: a name, or "source.table" */
	struct loc *deps_loc;
	size_t ndeps;
	const char *description;
	const char *group;       /* Dagster group name, or NULL */
	const char **tags;
	size_t ntags;
	struct hash hash;
};

struct spec_schedule {
	const char *name;
	struct loc loc;
	const char *cron;        /* five fields or an @ shorthand, checked; as written */
	struct loc cron_loc;
	const char *timezone;    /* IANA name; default "UTC" */
	const char *select;      /* selection syntax; the IR resolves it (node->selected) */
	struct loc select_loc;
	const char *description;
	struct hash hash;
};

struct spec_sensor {
	const char *name;
	struct loc loc;
	const char *on;          /* a table of tables:, or "source:src.table" */
	struct loc on_loc;
	const char *select;      /* what runs when new rows arrive (node->selected) */
	struct loc select_loc;
	const char *cursor;      /* as written, or NULL: the IR picks one (node->cursor) */
	struct loc cursor_loc;
	long long interval;      /* seconds between polls; default 30 */
	const char *description;
	struct hash hash;
};

/* ci: the CI workflows */
struct spec_ci {
	bool set;                /* the key was written */
	struct loc loc;
	const char **providers;  /* github, gitlab: distinct, at least one */
	size_t nproviders;
	const char **steps;      /* check first (always), then as written: dbt_build,
				  * dg_check, sql_lint, migrations; distinct */
	size_t nsteps;
	const char **deploy;     /* on the main branch: dbt_build, migrations, dagster; distinct */
	size_t ndeploy;
	const char *branch;      /* the main branch; default "main" */
	const char *manifest_path;     /* production_manifest: {path}, or NULL */
	const char *manifest_artifact; /* production_manifest: {artifact}, or NULL */
	const char **secrets;    /* environment variable names, distinct */
	size_t nsecrets;
	/* dpc: how CI gets dpc (required with ci:): built with make from a
	 * clone of dpc_git at dpc_ref, or from the checkout at dpc_path in the
	 * repository (a submodule); either the first two or the last is set */
	const char *dpc_git, *dpc_ref;
	const char *dpc_path;
};

/* airflow: the Airflow DAGs being moved to Dagster, read by spec_airflow.c
 * (docs/airflow.md). Each DAG goes through the stages of dagster-airlift
 * one at a time; the DAG file itself is read by the IR (airflow.h). */
enum airflow_stage {
	STAGE_PEER,     /* Dagster shows the DAG (the Airflow instance component) */
	STAGE_OBSERVE,  /* and each task as an asset, with the DAG's edges */
	STAGE_PROXY,    /* Airflow hands tasks (or the whole DAG) to Dagster to run */
	STAGE_MIGRATED, /* Dagster runs it: assets, retries and a schedule of its own */
};

struct spec_airflow_dag {
	const char *dag_id;      /* the key: Airflow's id ([A-Za-z0-9_.-], at most 250) */
	struct loc loc;
	const char *file;        /* the Python file that defines it, relative to the project */
	struct loc file_loc;
	const char *schedule;    /* cron or @preset as written; NULL: the DAG's own */
	bool schedule_set;       /* schedule: was written (null: no Dagster schedule) */
	struct loc schedule_loc;
	enum airflow_stage stage; /* default STAGE_PEER */
	struct loc stage_loc;
	const char **proxied;    /* stage proxy: the task ids handed over, distinct */
	struct loc *proxied_loc;
	size_t nproxied;
	bool proxied_set;        /* proxied: was written; left out, the whole DAG is proxied */
	struct hash hash;
};

struct spec_airflow {
	bool set;                /* the key was written */
	struct loc loc;
	/* the Airflow instance the dagster-airlift component talks to: its name
	 * in Dagster and the environment variables of its REST API (basic auth) */
	const char *name;        /* default "airflow" */
	const char *url_env, *username_env, *password_env;
	struct spec_airflow_dag *dags; /* in the order written */
	size_t ndags;
};

/* ai: the LLM dpc ai asks (compiler/llm.h, docs/ai.md). Root file only.
 * Every field holds its default when the key is left out; the environment
 * (DPC_AI_*) overrides some of them when dpc ai runs (llm_config_resolve) */
struct spec_ai {
	bool set;                /* the key was written */
	struct loc loc;
	const char *provider;    /* "openai" or "anthropic"; NULL: not written */
	const char *model;       /* NULL: not written (DPC_AI_MODEL must say) */
	const char *base_url;    /* http(s)://...; NULL: the provider's own */
	const char *api_key_env; /* NULL: OPENAI_API_KEY or ANTHROPIC_API_KEY */
	long long timeout;       /* seconds for one request; default 120 */
	int max_retries;         /* after the first attempt; default 4 */
	int repair_rounds;       /* dpc ai generate's rounds of compiler feedback; default 2 */
	const char *structured_output; /* auto, json_schema, json_object, none; default auto */
	long long max_response_kb;     /* the largest answer read; default 4096 */
	long long max_tokens;    /* the answer's token budget; default 4096 */
	const char *prompts;     /* the project's prompt templates; default dpc/prompts */
};
/* the defaults, for a spec without ai: */
extern const struct spec_ai spec_ai_defaults;

struct spec {
	long long version;
	const char *project;
	struct loc project_loc;
	struct spec_warehouse warehouse;
	const char *layout_dbt, *layout_assets;
	struct spec_var *vars;
	size_t nvars;
	struct spec_package *packages;
	size_t npackages;
	struct spec_source *sources;
	size_t nsources;
	struct spec_model *models;
	size_t nmodels;
	struct spec_seed *seeds;
	size_t nseeds;
	struct spec_singular *tests;
	size_t ntests;
	struct spec_supabase supabase;
	struct spec_apptable *apptables; /* tables: */
	size_t napptables;
	struct spec_embedding *embeddings;
	size_t nembeddings;
	struct spec_asset *assets;
	size_t nassets;
	struct spec_schedule *schedules;
	size_t nschedules;
	struct spec_sensor *sensors;
	size_t nsensors;
	struct spec_ci ci;
	struct spec_airflow airflow;
	struct spec_ai ai;
	/* agents: the AGENTS.md files for coding agents (emit_agents.c): the
	 * root one's path, default "AGENTS.md"; NULL with agents: false */
	const char *agents_file;
	/* every file the spec was read from: the root first, then fragments */
	const char **files;
	size_t nfiles;
	/* directories an include glob scanned: a new file there changes the spec */
	const char **globdirs;
	size_t nglobdirs;
	/* files read from memory instead of disk (spec_load_overlay), which the
	 * graph reads its SQL, CSV and Python through too; NULL normally */
	const struct overlays *overlay;
};

/* Read the spec rooted at path (relative to root, usually "pipeline.yaml")
 * and every fragment it includes. Errors go to d; returns NULL only if the
 * root file cannot be read or parsed at all. The result lives in a. */
struct spec *spec_load(struct arena *a, struct diags *d, const char *root, const char *path);

/* The same, reading only the fragments named in only (path → anything) and
 * the root: part of a spec already known to be valid, for the quick rebuild.
 * Names defined in the fragments skipped are not checked. */
struct spec *spec_load_only(struct arena *a, struct diags *d, const char *root, const char *path,
			    const struct strmap *only);

/* The same as spec_load, with the files of ov (the root spec, fragments)
 * read from memory where ov has them: an edit compiled before it is
 * written. ov must outlive the spec (the graph reads through it). */
struct spec *spec_load_overlay(struct arena *a, struct diags *d, const char *root, const char *path,
			       const struct overlays *ov);

/* the layer a model is in when the spec does not say: from dbt's naming
 * conventions (stg_ staging, int_ intermediate, fct_ dim_ mart_ marts,
 * rpt_ reports; else marts) */
const char *spec_default_layer(const char *name);

/* the family of a SQL type as a table column writes it ("bigint",
 * "varchar(20)", "timestamp with time zone"); arrays are SQL_OTHER */
enum sql_family { SQL_OTHER, SQL_INTEGER, SQL_TEXT, SQL_TIME, SQL_UUID };
enum sql_family spec_type_family(const char *type);

/* Check that path (as written in the spec) is relative and has no "..".
 * must_exist: also require a regular file that does not lead out of root
 * through a symlink (other files are opened with open_beneath, which checks
 * that when they are read). Records an error at loc and returns false. */
bool spec_path_ok(struct diags *d, const char *root, const char *path, struct loc loc,
		  bool must_exist);

#endif
