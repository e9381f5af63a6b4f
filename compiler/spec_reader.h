/* spec_reader.h: internal to the front end. The state of one reading of a
 * spec and the helpers spec.c (project, warehouse, sources, models, seeds,
 * tests) shares with spec_app.c (supabase, tables, embeddings, assets,
 * schedules, sensors, ci). Nothing outside those two files includes it.
 *
 * Every helper records a diagnostic for a value it rejects and returns NULL
 * (or false), so a reader goes on and one run reports every problem. Strings
 * returned are copies in the spec's arena (r->a). */
#ifndef DPC_SPEC_READER_H
#define DPC_SPEC_READER_H

#include "spec.h"

struct reader {
	struct arena *a;      /* the spec's: what the compilation keeps */
	struct arena tmp;     /* the YAML trees: freed when reading is done */
	struct diags *d;
	const char *root;
	struct spec *s;
	/* names already defined, for duplicate detection across files. refnames
	 * holds every name that is a dbt ref() target or a Dagster asset key:
	 * models, seeds, tables, embeddings and assets */
	struct strmap refnames, sourcenames, testnames;
	struct strmap jobnames;   /* schedules and sensors: one Dagster namespace */
	struct strmap indexnames; /* indexes of tables: (PostgreSQL relation names) */
	bool fragment; /* reading an included file */
	const struct overlays *ov; /* when set: files read from memory, not disk */
	const struct strmap *only; /* when set: the fragments to read; others are skipped */
	/* growable arrays while reading; copied to the spec at the end */
	size_t capsources, capmodels, capseeds, captests;
	size_t capapptables, capembeddings, capassets, capschedules, capsensors;
};

/* Look up the fields of a mapping by a table of known keys. v[i] receives
 * the value of keys[i] (NULL if absent), k[i] (when k is not NULL) its key;
 * unknown keys are errors with a did-you-mean. Returns false (having
 * reported) if n is not a mapping. */
bool rd_fields(struct reader *r, const struct ynode *n, const char *what, const char *const *keys,
	       size_t nkeys, const struct ynode **v, const struct ynode **k);
/* a scalar as a string; NULL when n is NULL, an error when null or a collection */
const char *rd_str(struct reader *r, const struct ynode *n, const char *what);
/* a string that is an identifier of at most 63 characters */
const char *rd_ident(struct reader *r, const struct ynode *n, const char *what);
/* a string that is one of allowed; returns the allowed entry (static), with a did-you-mean */
const char *rd_oneof(struct reader *r, const struct ynode *n, const char *what,
		     const char *const *allowed, size_t nallowed);
/* a string that is an environment variable name: [A-Z_][A-Z0-9_]* */
const char *rd_envname(struct reader *r, const struct ynode *n, const char *what);
/* a list of identifiers; *count gets how many were valid */
const char **rd_identlist(struct reader *r, const struct ynode *n, const char *what, size_t *count);
/* a path field: relative, inside the project, ending in suffix when given;
 * must_exist also requires a regular file (spec_path_ok) */
const char *rd_path(struct reader *r, const struct ynode *n, const char *what, const char *suffix,
		    bool must_exist);
/* a hash of a subtree's content, not its formatting */
struct hash rd_hash(const struct ynode *n);
/* define name of the given kind ("model", "table", ...) in a namespace;
 * a second definition is an error naming both places; returns false then */
bool rd_define(struct reader *r, struct strmap *names, const char *kind, const char *name,
	       struct loc loc);
/* call one(r, key, value) for each entry of a collection mapping */
void rd_map(struct reader *r, const struct ynode *n, const char *what,
	    void (*one)(struct reader *, const struct ynode *, const struct ynode *));

/* spec_app.c: the readers of the keys it owns (fragments may hold all but
 * supabase and ci) */
void spec_read_supabase(struct reader *r, const struct ynode *n);
void spec_read_table(struct reader *r, const struct ynode *key, const struct ynode *n);
void spec_read_embedding(struct reader *r, const struct ynode *key, const struct ynode *n);
void spec_read_asset(struct reader *r, const struct ynode *key, const struct ynode *n);
void spec_read_schedule(struct reader *r, const struct ynode *key, const struct ynode *n);
void spec_read_sensor(struct reader *r, const struct ynode *key, const struct ynode *n);
void spec_read_ci(struct reader *r, const struct ynode *n);
/* spec_airflow.c: airflow: (root file only) */
void spec_read_airflow(struct reader *r, const struct ynode *n);
/* spec_app.c: ai: (root file only) */
void spec_read_ai(struct reader *r, const struct ynode *n);
/* once every file is read and the collections are in the arena: resolve
 * what tables: and embeddings: say about each other (references, from,
 * text, key) and the dbt sources tables appear under */
void spec_app_finish(struct reader *r);

#endif
