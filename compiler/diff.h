/* diff.h: unified diffs of two texts, for `dpc check`. */
#ifndef DPC_DIFF_H
#define DPC_DIFF_H

#include <stddef.h>

#include "util.h"

/* Append to out a unified diff (3 lines of context) turning a into b, with
 * the given file labels. Very different large texts get a one-line summary
 * instead, so a diff never costs more than a bounded amount of work. */
void diff_unified(struct buf *out, const char *la, const char *a, size_t alen, const char *lb,
		  const char *b, size_t blen);

#endif
