/* diag.h: source files and diagnostics.
 *
 * Every phase records what it finds wrong here and returns; only main.c
 * decides the exit code. A location is a file index and a byte offset: line
 * and column are computed when printing, from the file's text (read lazily
 * if the phase that made the diagnostic did not keep it). */
#ifndef DPC_DIAG_H
#define DPC_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct cJSON;

enum severity { SEV_NOTE, SEV_WARNING, SEV_ERROR };

/* a place in a source file; file < 0 means "no place" */
struct loc {
	int32_t file;
	uint32_t off; /* byte offset into the file */
	uint32_t len; /* bytes underlined by the caret, at least 1 */
};

#define NOLOC ((struct loc){-1, 0, 0})

struct srcfile {
	char *path;     /* relative to the project root, as shown to users */
	char *text;     /* owned; NULL until needed */
	size_t len;
	uint32_t *lines; /* byte offset of each line start, built on demand */
	int64_t stamp[3];  /* size, mtime (ns), inode when read; stamp[2] 0 if unknown */
	struct hash hash;  /* of the text as first registered */
	bool hashed;       /* registered with its text: an input of the compilation */
	size_t nlines;
};

struct diag {
	enum severity sev;
	struct loc loc;
	char *msg;      /* owned */
	char *hint;     /* owned; a did-you-mean candidate, or NULL */
	struct loc note_loc; /* a related place ("first defined here"), or NOLOC */
	char *note;     /* owned; the text for note_loc, or NULL */
};

struct diags {
	const char *root;  /* project root used to read files lazily; borrowed */
	struct strmap index; /* path → file index + 1 */
	struct srcfile *files;
	size_t nfiles, capfiles;
	struct diag *v;
	size_t n, cap;
	size_t nerrors, nwarnings;
};

/* register a file; text may be NULL (read on demand) or owned by diags
 * afterwards. Returns the file index. Registering a path twice returns the
 * first index (text is freed in that case). */
int32_t diag_file(struct diags *d, const char *path, char *text, size_t len);

/* record a diagnostic; returns it so a caller may attach a hint or a note */
struct diag *diag_add(struct diags *d, enum severity sev, struct loc loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_hint(struct diag *g, const char *candidate);
void diag_note(struct diag *g, struct loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* the place of value[off, off + len) when value stands verbatim inside the
 * span whole (a plain or quoted one-line scalar without escapes), so that a
 * caret can point at one part of a string; whole otherwise */
struct loc diag_subloc(const struct diags *d, struct loc whole, const char *value, size_t off,
		       size_t len);

/* compute 1-based line and column of a location; false if it has no place */
bool diag_linecol(struct diags *d, struct loc loc, unsigned *line, unsigned *col);

/* sort diagnostics by file, offset, severity: output is deterministic */
void diag_sort(struct diags *d);

/* print gcc-style: file:line:col: error: msg, the source line and a caret;
 * at most limit diagnostics (0: all), then a count of the rest */
void diag_print(struct diags *d, FILE *f, bool color, size_t limit);

/* a JSON array of the diagnostics; owned by the caller */
struct cJSON *diag_json(struct diags *d);

/* drop the texts kept in memory; printing reads them again when needed */
void diag_release_texts(struct diags *d);
/* the same for the files registered from..to-1 */
void diag_release_range(struct diags *d, size_t from, size_t to);
/* the same for one file, by path (no-op when it is not registered) */
void diag_release_file(struct diags *d, const char *path);

void diag_free(struct diags *d);

#endif
