/* yamldoc.h: a YAML document as a tree of located nodes, read with libyaml.
 *
 * The tree lives in the caller's arena. Every node keeps its place in the
 * file (struct loc) so later phases can point at it. Aliases share the
 * anchored node; the total size of the tree with every alias expanded is
 * bounded, so a "billion laughs" document is an error, not an exhausted
 * machine. Duplicate keys in one mapping are errors (libyaml accepts them). */
#ifndef DPC_YAMLDOC_H
#define DPC_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "util.h"

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ykind kind;
	struct loc loc;     /* scalars: the value's span; collections: the opening */
	const char *str;    /* scalars: the value, NUL-terminated */
	size_t slen;
	bool plain;         /* an unquoted scalar: null, booleans and numbers resolve */
	struct ynode **items; /* sequences: the items; maps: key, value, key, value... */
	size_t n;           /* number of items (maps: twice the number of pairs) */
};

/* limits that keep hostile input cheap */
#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 2000000 /* nodes after alias expansion */

/* parse text (len bytes) of file index file into a tree; on failure record
 * diagnostics and return NULL. An empty document gives an empty map. */
struct ynode *yaml_load(struct arena *a, struct diags *d, int32_t file, const char *text,
			size_t len);

/* scalar helpers */
bool ynull(const struct ynode *n);  /* ~, null, or an empty plain scalar */
/* parse a boolean scalar (true/false, any case); false if it is not one */
bool ybool(const struct ynode *n, bool *out);
/* parse an integer scalar; false if it is not one or out of range */
bool yint(const struct ynode *n, long long *out);
/* "a mapping", "a sequence", "a string", ... for messages */
const char *ykindname(const struct ynode *n);

#endif
