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

enum test_kind { T_UNIQUE, T_NOT_NULL, T_ACCEPTED_VALUES, T_RELATIONSHIPS };

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
	/* every file the spec was read from: the root first, then fragments */
	const char **files;
	size_t nfiles;
	/* directories an include glob scanned: a new file there changes the spec */
	const char **globdirs;
	size_t nglobdirs;
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

/* Check that path (as written in the spec) is relative and has no "..".
 * must_exist: also require a regular file that does not lead out of root
 * through a symlink (other files are opened with open_beneath, which checks
 * that when they are read). Records an error at loc and returns false. */
bool spec_path_ok(struct diags *d, const char *root, const char *path, struct loc loc,
		  bool must_exist);

#endif
