/* quick.h: the quick rebuild, for an edit to model SQL that changes no edge
 * of the graph: a partial plan made without compiling the spec (quick.c
 * explains when it applies and why its bytes are the compiler's). */
#ifndef DPC_QUICK_H
#define DPC_QUICK_H

#include "build.h"
#include "diag.h"
#include "emit.h"
#include "state.h"

struct quick {
	struct arena arena;
	struct diags diags;
	struct outset out;          /* the files that change */
	struct state_input *inputs; /* st's inputs, updated; the paths are st's */
	size_t ninputs;
	const char *registry;
	char *why;                  /* why it declined, for --explain; owned */
};

/* Make the plan of a build after the changes ch, if the quick rebuild
 * applies: true with p filled (a partial plan, every file it does not list
 * as recorded). False when it does not, with q->why saying why; p is then
 * empty. Either way quick_free(q) afterwards; p goes with plan_free. */
bool quick_plan(struct quick *q, struct state *st, const struct changes *ch, int rootfd,
		const char *root, const char *specpath, struct plan *p);
void quick_free(struct quick *q);

#endif
