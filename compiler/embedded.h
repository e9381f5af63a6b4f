/* embedded.h: files compiled into dpc (stdlib/, specs/), by compiler/embed.c */
#ifndef DPC_EMBEDDED_H
#define DPC_EMBEDDED_H

#include <stddef.h>

struct embedded {
	const char *name; /* e.g. "init/pipeline.yaml" */
	const char *data;
	size_t len;
};

extern const struct embedded dpc_embedded[];
extern const size_t dpc_nembedded;

#endif
