/* pgschema.h: a PostgreSQL schema model, read from migration files or built
 * by hand.
 *
 * The Supabase back end needs to know what the database looks like after
 * the migrations already in supabase/migrations/ have run, and what the spec
 * wants it to look like. Both are a struct pg_model: pgschema_read applies
 * the DDL of one migration file to a model (call it once per file, in
 * order); the pg_*_add functions build one from the spec. pgdiff.h compares
 * two models.
 *
 * Ownership: a model owns everything in it through one arena; every char *
 * and every object pointer a model hands out lives until pg_model_free.
 * Callers may read every field, and may set the plain flags (rls, realtime,
 * unique, concurrent, not_null, owned); text fields (types, expressions)
 * must be set through the functions below so that they stay canonical.
 *
 * Canonical text. Types are spelled as PostgreSQL's format_type spells them
 * ("integer", "character varying(20)", "timestamp with time zone"), except
 * pgvector's types, which are "vector(1536)" whatever schema qualified them
 * (pgdiff qualifies them with the vector extension's schema).
 * Expressions (defaults, checks, policy clauses, index keys) are kept as
 * their tokens re-joined with single spaces: comments dropped, unquoted
 * words lower-cased, quotes only where needed, literals untouched. Two texts
 * PostgreSQL would read the same way mostly compare equal; ones it reads
 * differently never do. Names are stored as PostgreSQL stores them:
 * unquoted names folded to lower case, quoted ones exact. A missing schema
 * is "public". */
#ifndef DPC_PGSCHEMA_H
#define DPC_PGSCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "util.h"

/* where an object was defined */
struct pg_origin {
	const char *file;   /* the migration's path, or NULL for builder-made objects */
	unsigned line, col; /* 1-based; 0 when file is NULL */
	struct loc loc;     /* the same place for diagnostics (NOLOC when built) */
	bool owned;         /* defined by dpc: a file read with owned set, or the builder */
};

/* a list of names or texts, owned by the model */
struct pg_names {
	char **v;
	size_t n;
};

enum pg_identity { PG_IDENTITY_NONE, PG_IDENTITY_ALWAYS, PG_IDENTITY_BY_DEFAULT };

struct pg_column {
	char *name;
	char *type;          /* canonical type; serial is integer with a nextval default */
	bool not_null;       /* also set for primary key and identity columns */
	char *def;           /* default expression, canonical, or NULL */
	enum pg_identity identity;
	char *identity_opts; /* sequence options inside identity ( ), or NULL; not compared */
	char *generated;     /* generated always as (expr) stored: the expression, or NULL */
	struct pg_origin at;
};

enum pg_conkind { PG_CON_PRIMARY, PG_CON_UNIQUE, PG_CON_FOREIGN, PG_CON_CHECK };

struct pg_constraint {
	enum pg_conkind kind;
	char *name;            /* as written, or the name PostgreSQL gives it */
	bool named;            /* the name was written, so it matters when comparing */
	struct pg_names cols;  /* primary, unique, foreign: the constrained columns */
	char *ref_schema, *ref_table; /* foreign: the referenced table */
	struct pg_names ref_cols;      /* foreign: empty means its primary key */
	char *on_delete, *on_update;   /* foreign: "cascade", "set null", ...; NULL: no action */
	char *check;           /* check: the expression, canonical */
	struct pg_origin at;
};

enum pg_cmd { PG_CMD_ALL, PG_CMD_SELECT, PG_CMD_INSERT, PG_CMD_UPDATE, PG_CMD_DELETE };

struct pg_policy {
	char *name;
	enum pg_cmd cmd;
	bool restrictive;      /* as restrictive; the default is permissive */
	struct pg_names roles; /* sorted; empty means public */
	char *using_expr;      /* canonical, or NULL */
	char *check_expr;      /* with check, canonical, or NULL */
	struct pg_origin at;
};

/* table privileges, as a bit set */
enum {
	PG_PRIV_SELECT = 1,
	PG_PRIV_INSERT = 2,
	PG_PRIV_UPDATE = 4,
	PG_PRIV_DELETE = 8,
	PG_PRIV_TRUNCATE = 16,
	PG_PRIV_REFERENCES = 32,
	PG_PRIV_TRIGGER = 64,
	PG_PRIV_ALL = 127,
};

struct pg_grant {
	char *role;
	unsigned privs;        /* PG_PRIV_* bits; an entry with none is removed */
	struct pg_origin at;   /* the last statement that changed it */
};

struct pg_table {
	char *schema, *name;
	struct pg_column **cols;   /* in table order */
	size_t ncols, capcols;
	struct pg_constraint **cons;
	size_t ncons, capcons;
	struct pg_policy **pols;
	size_t npols, cappols;
	struct pg_grant **grants;
	size_t ngrants, capgrants;
	bool rls;                  /* row level security enabled */
	struct pg_origin rls_at;   /* the statement that last set rls */
	bool realtime;             /* a member of publication supabase_realtime */
	struct pg_origin realtime_at;
	struct pg_origin at;
};

/* one index key: expr [opclass] [order] */
struct pg_idxkey {
	char *expr;    /* a column name or an expression, canonical */
	char *opclass; /* NULL for the default; pgvector's without a schema */
	char *order;   /* "desc", "nulls first", ...; NULL for the default */
};

struct pg_index {
	char *schema, *name; /* an index lives in its table's schema */
	char *table;
	char *method;        /* "btree", "hnsw", "ivfflat", "gin", ... */
	struct pg_idxkey *keys;
	size_t nkeys;
	bool unique;
	bool concurrent;     /* build it concurrently (how, not what: not compared) */
	char *with;          /* storage parameters inside with ( ), canonical, or NULL */
	char *where;         /* partial index predicate, canonical, or NULL */
	struct pg_origin at;
};

struct pg_extension {
	char *name;
	char *schema;        /* NULL when not given */
	struct pg_origin at;
};

struct pg_function {
	char *schema, *name;
	char *args;          /* the input argument types, canonical: "uuid, integer" */
	char *def;           /* canonical text from "function" to the end of the statement */
	struct pg_origin at;
};

/* alter default privileges ... on tables: what a table created afterwards
 * gets. Supabase's platform grants all on new tables in public to anon,
 * authenticated and service_role this way, so a model of a Supabase
 * database starts with those (see emit_supabase.c). Not compared by pgdiff:
 * it describes the platform, and pgdiff uses it for the tables it creates. */
struct pg_defacl {
	char *schema;        /* in schema s; NULL: every schema */
	char *role;          /* the grantee ("public" for everyone) */
	unsigned privs;      /* PG_PRIV_* bits; an entry with none is removed */
	struct pg_origin at; /* the last statement that changed it */
};

struct pg_model {
	struct arena arena;
	struct pg_table **tables;
	size_t ntables, captables;
	struct pg_index **indexes;
	size_t nindexes, capindexes;
	struct pg_extension **exts;
	size_t nexts, capexts;
	struct pg_function **funcs;
	size_t nfuncs, capfuncs;
	char **schemas;      /* schemas other than public that objects live in */
	size_t nschemas, capschemas;
	struct pg_defacl **defacls; /* default privileges on tables */
	size_t ndefacls, capdefacls;
};

/* one migration file to read */
struct pg_file {
	const char *path;  /* as shown in diagnostics */
	const char *text;  /* need not be NUL-terminated */
	size_t len;
	int32_t file;      /* its index in the diags, or -1 to register it there */
	bool owned;        /* dpc wrote it: what it defines, dpc may drop */
};

/* a new empty model; owned by the caller, free it with pg_model_free */
struct pg_model *pg_model_new(void);
void pg_model_free(struct pg_model *m);

/* Apply the statements of one migration file to m, in order. Statements
 * outside the subset (see pgschema.c), and statements about tables m does
 * not have, are skipped with a note in d; nothing is guessed. Returns the
 * number of statements skipped. */
size_t pgschema_read(struct pg_model *m, struct diags *d, const struct pg_file *f);

/* Apply SQL text as if read from an owned file with no diagnostics: the
 * builder's way to add functions, or anything else easier said in SQL.
 * Returns false if any statement was not understood (the rest still apply). */
bool pg_model_sql(struct pg_model *m, const char *sql);

/* look up a table; schema NULL means public; NULL if absent; borrowed */
struct pg_table *pg_table_find(const struct pg_model *m, const char *schema, const char *name);
/* look up a column; NULL if absent; borrowed */
struct pg_column *pg_column_find(const struct pg_table *t, const char *name);
/* look up an index by schema (NULL: public) and name; NULL if absent */
struct pg_index *pg_index_find(const struct pg_model *m, const char *schema, const char *name);
/* look up an extension by name; NULL if absent */
struct pg_extension *pg_extension_find(const struct pg_model *m, const char *name);
/* look up a policy of t by name; NULL if absent */
struct pg_policy *pg_policy_find(const struct pg_table *t, const char *name);
/* the primary key constraint of t, or NULL */
struct pg_constraint *pg_primary_key(const struct pg_table *t);
/* the privileges (PG_PRIV_* bits) role gets on a table created now in
 * schema (NULL: public), by m's default privileges */
unsigned pg_default_privs(const struct pg_model *m, const char *schema, const char *role);

/* Builders. Names are taken as stored (no case folding); every object they
 * make is owned (origin.owned) and has no file. Returned objects belong to
 * the model. */

/* add an empty table, with the grants m's default privileges give it;
 * NULL if schema.name exists already */
struct pg_table *pg_table_add(struct pg_model *m, const char *schema, const char *name);
/* add a column with the given type (any spelling: "int8", "vector(3)", ...;
 * serial becomes integer not null with its sequence's default, as in
 * PostgreSQL); NULL if the name exists already or the type cannot be read */
struct pg_column *pg_column_add(struct pg_model *m, struct pg_table *t, const char *name,
				const char *type);
/* set or clear (expr NULL) the default; false if expr is not one expression */
bool pg_column_default(struct pg_model *m, struct pg_column *c, const char *expr);
/* make c an identity column (which also makes it not null), or not one */
void pg_column_identity(struct pg_column *c, enum pg_identity kind);
/* make c a stored generated column; false if expr is not one expression */
bool pg_column_generated(struct pg_model *m, struct pg_column *c, const char *expr);

/* Add a constraint. name NULL: PostgreSQL's default name, not compared.
 * Primary key columns become not null. NULL if a column is unknown, a
 * second primary key is asked for, or an expression cannot be read. */
struct pg_constraint *pg_primary_key_add(struct pg_model *m, struct pg_table *t, const char *name,
					 const char *const *cols, size_t ncols);
struct pg_constraint *pg_unique_add(struct pg_model *m, struct pg_table *t, const char *name,
				    const char *const *cols, size_t ncols);
/* ref_schema NULL means public; nref 0 means the referenced primary key;
 * on_delete NULL means no action, else "cascade", "restrict", "set null",
 * "set default" */
struct pg_constraint *pg_foreign_key_add(struct pg_model *m, struct pg_table *t, const char *name,
					 const char *const *cols, size_t ncols,
					 const char *ref_schema, const char *ref_table,
					 const char *const *ref_cols, size_t nref,
					 const char *on_delete);
struct pg_constraint *pg_check_add(struct pg_model *m, struct pg_table *t, const char *name,
				   const char *expr);

/* Add a policy; roles NULL/0 means public; using_expr and check_expr may be
 * NULL. NULL if the name exists on t or an expression cannot be read. */
struct pg_policy *pg_policy_add(struct pg_model *m, struct pg_table *t, const char *name,
				enum pg_cmd cmd, const char *const *roles, size_t nroles,
				const char *using_expr, const char *check_expr);
/* grant privs (PG_PRIV_* bits) on t to role, adding to what it has */
void pg_grant_add(struct pg_model *m, struct pg_table *t, const char *role, unsigned privs);

/* Add an index on schema.table (schema NULL: public). Each key is SQL text
 * as in create index: "embedding extensions.vector_cosine_ops",
 * "lower(email)", "created_at desc". method NULL means btree. NULL if the
 * name is taken in the schema or a key cannot be read. */
struct pg_index *pg_index_add(struct pg_model *m, const char *schema, const char *name,
			      const char *table, const char *method,
			      const char *const *keys, size_t nkeys);
/* set with (...) options ("lists = 100") or a where predicate; NULL clears;
 * false if the text cannot be read */
bool pg_index_with(struct pg_model *m, struct pg_index *ix, const char *with);
bool pg_index_where(struct pg_model *m, struct pg_index *ix, const char *where);

/* add an extension (schema may be NULL); NULL if it exists already */
struct pg_extension *pg_extension_add(struct pg_model *m, const char *name, const char *schema);

/* Types. */

/* the canonical spelling of a type, or NULL if type is not one type;
 * owned by the caller */
char *pg_type_normalize(const char *type);
/* true when changing a column from type from to type to may lose data or
 * fail for existing values: anything not known to be a widening, including
 * types that cannot be read. Takes any spelling. */
bool pg_type_narrowing(const char *from, const char *to);

/* Text helpers shared with pgdiff. */

/* append name to b, double-quoted when PostgreSQL would need it */
void pg_put_ident(struct buf *b, const char *name);
/* append schema.name, each part quoted as needed */
void pg_put_qname(struct buf *b, const char *schema, const char *name);
/* append the default PostgreSQL gives a serial column col of schema.table,
 * canonical: nextval('public.t_col_seq'::regclass) */
void pg_put_serial_default(struct buf *b, const char *schema, const char *table, const char *col);

/* true for pgvector's operator classes (vector_cosine_ops, ...), which
 * the model keeps without a schema and pgdiff qualifies */
bool pg_is_vector_opclass(const char *cls);

/* true when the canonical expression expr uses the identifier name other
 * than as a function name (a column it depends on) */
bool pg_text_mentions(const char *expr, const char *name);

/* a readable, deterministic listing of m (for tests and explanations) */
void pg_model_dump(const struct pg_model *m, struct buf *b);

#endif
