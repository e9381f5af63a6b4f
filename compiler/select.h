/* select.h: dbt's node selection syntax, the subset schedules and sensors
 * use. A selection is a union of terms separated by spaces; a term is
 *
 *     [N+ | +] method [+ | +N]
 *
 * where method is a name (a model, seed, table, embedding or asset),
 * tag:<tag> or source:<source>[.<table>]; a leading + adds the ancestors
 * (N+: N generations of them), a trailing + the descendants. Parsing is
 * pure text work; resolving looks the terms up in the graph. */
#ifndef DPC_SELECT_H
#define DPC_SELECT_H

#include "ir.h"

enum sel_method { SEL_NAME, SEL_TAG, SEL_SOURCE };

#define SEL_ALL (-1) /* every generation */

struct sel_term {
	enum sel_method method;
	const char *value; /* the name, the tag, "source" or "source.table"; arena */
	int up, down;      /* generations of ancestors, descendants: 0, n, or SEL_ALL */
	size_t off, len;   /* the term's bytes in the selection text */
};

struct selection {
	struct sel_term *terms; /* arena */
	size_t n;
};

/* Parse text into terms (in a). Every problem is a diagnostic at loc,
 * narrowed to the term at fault when text stands verbatim in the file.
 * Returns false if there was any. */
bool sel_parse(struct arena *a, struct diags *d, struct loc loc, const char *text,
	       struct selection *out);

/* The nodes sel picks in g, whose edges must be final (users filled):
 * sorted node indexes in a, *count of them; never a test, schedule or
 * sensor. An unknown name, tag or source is a diagnostic at loc with a
 * did-you-mean; then NULL and *count 0. */
size_t *sel_resolve(struct arena *a, struct diags *d, const struct graph *g,
		    const struct selection *sel, struct loc loc, const char *text, size_t *count);

/* Mark in mark what lies up to gens generations (SEL_ALL: all of them) from
 * the nstart nodes in start, along deps (up) or users (down); the start
 * nodes (distinct) are the caller's to mark. queue and level are the
 * caller's scratch of g->n entries, level all -1 on entry and on return. */
void sel_walk(const struct graph *g, const size_t *start, size_t nstart, int gens, bool up,
	      bool *mark, size_t *queue, int *level);

#endif
