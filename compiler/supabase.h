/* supabase.h: the Supabase back end (emit_supabase.c).
 *
 * supabase/migrations/ is history: dpc never edits or deletes a migration
 * there. It reads the folder in name order (its own migrations and
 * hand-written ones) into a schema model (pgschema.h), builds the model the
 * spec's tables: and embeddings: want, and writes the difference (pgdiff.h)
 * as one new migration, plus one file per step that cannot run in a
 * transaction. No difference, no file.
 *
 * Unlike the other back ends it works in two halves, because reading the
 * migrations can fail the build (a destructive step without
 * --allow-destructive): supabase_prepare runs right after the graph is
 * built, before anything is written, and reports into the diagnostics;
 * supabase_emit adds the files once the compilation is known to be good. */
#ifndef DPC_SUPABASE_H
#define DPC_SUPABASE_H

#include <stdint.h>

#include "diag.h"
#include "emit.h"
#include "ir.h"
#include "util.h"

struct compile_options;
struct supabase;

/* where the migrations live, relative to the project root */
#define SUPABASE_MIGRATIONS "supabase/migrations"

/* Read the migrations under rootfd and work out the new ones. Returns NULL
 * when the spec has no tables: and no embeddings: and there is no
 * migrations folder (nothing to do). Every migration read is registered in
 * d as an input of the compilation, and the folder in g->spec->globdirs
 * (allocated in a), so that a file added, changed or removed makes the next
 * build compile again. Problems go to d: notes for statements skipped,
 * errors for destructive steps that opts does not allow. now is the time a
 * new migration is named after (seconds since the epoch; -1 when
 * SOURCE_DATE_EPOCH is set but is no number, which is an error only when a
 * migration is to be written). Owned by the caller: supabase_free. */
struct supabase *supabase_prepare(struct arena *a, const struct graph *g, struct diags *d, int rootfd,
				  const struct compile_options *opts, int64_t now);

/* add the new migrations and supabase/config.toml to out, each written
 * only when absent (outset_add_once); s may be NULL */
void supabase_emit(struct supabase *s, struct outset *out);

void supabase_free(struct supabase *s);

#endif
