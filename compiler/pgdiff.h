/* pgdiff.h: the difference between two schema models as migration steps.
 *
 * The Supabase back end reads the current schema from the migrations
 * (pgschema_read), builds the schema the spec wants (pg_*_add), and asks
 * for the steps between them. The steps come in dependency order, and
 * pg_plan_render turns them into the text of one new migration. No
 * difference gives no step, and then no file should be written.
 *
 * A rename in the spec is a drop and an add. What the current model has and
 * the wanted one lacks is dropped only when dpc made it (its origin is
 * owned) or opts->drop_unowned is set; otherwise it is listed in kept, so
 * the caller can say it was left alone. Steps that may lose data are marked
 * destructive; the caller decides whether --allow-destructive lets them
 * through. A step marked alone (create index concurrently) cannot run in a
 * transaction and goes in a migration file of its own, after the main one.
 *
 * Ownership: a plan owns its steps' text through one arena; free it with
 * pg_plan_free. The models are only read. */
#ifndef DPC_PGDIFF_H
#define DPC_PGDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "pgschema.h"
#include "util.h"

struct pg_step {
	char *sql;        /* one or more statements, each ending in ";\n" */
	char *desc;       /* for people: "drop column ride_feedback.rating" */
	bool destructive; /* drop table, drop column, narrowing type change */
	bool alone;       /* must be the only step of its migration file */
	/* what the step is about, so a caller can point at it: the table it
	 * changes (NULL for schemas, extensions and functions), the column of
	 * a column step, the index of an index step; NULL when none */
	char *schema, *table, *column, *index;
};

/* something only the current model has, defined by hand: left as it is */
struct pg_kept {
	char *desc;           /* "table public.profiles is not in the spec" */
	struct pg_origin at;  /* where it was defined */
};

struct pg_plan {
	struct arena arena;
	struct pg_step *steps;
	size_t nsteps, capsteps;
	struct pg_kept *kept;
	size_t nkept, capkept;
};

struct pg_diff_opts {
	bool drop_unowned; /* also drop what hand-written migrations made */
};

/* Compute the steps that turn cur into want, into out (zero-initialised by
 * the caller; free it with pg_plan_free). opts may be NULL. */
void pgdiff(const struct pg_model *cur, const struct pg_model *want,
	    const struct pg_diff_opts *opts, struct pg_plan *out);
void pg_plan_free(struct pg_plan *p);

/* true if any step is destructive */
bool pg_plan_destructive(const struct pg_plan *p);

/* Append the migration text of the steps not marked alone, in order, to
 * out: each step's SQL, a destructive one preceded by a comment saying so,
 * a blank line between steps. Nothing is appended when there are none. No
 * BEGIN/COMMIT: the tool that applies migrations owns the transaction. */
void pg_plan_render(const struct pg_plan *p, struct buf *out);

/* true when pgdiff(a, b) with drop_unowned has no step */
bool pg_models_equal(const struct pg_model *a, const struct pg_model *b);

#endif
