/* specedit.h: edits to the spec that a person would accept.
 *
 * An edit never dumps the YAML again. Each change is spliced into the
 * original text at the byte span the YAML parser reports for the node it
 * touches (yamldoc.h), so comments, key order, blank lines and quoting stay
 * byte-identical everywhere else. New values are written with libyaml's
 * emitter (block style, the file's own indentation) before they are spliced.
 * Every edit is checked: the new text is parsed back and its data compared
 * with the old data changed by the operation; if anything else changed (an
 * anchor shared by the node, a layout not foreseen) the edit is refused.
 *
 * A struct sedit holds the text of every file of the spec (the root and the
 * fragments its include: globs name) plus any new or changed project files
 * (starter SQL, Python). Nothing touches the disk until sedit_write, and
 * sedit_compile compiles the edited project in memory first, so that a
 * command can refuse an edit that would not compile.
 *
 * Paths are JSON Pointers (RFC 6901) into the merged spec: "/models/fct_x",
 * "/sources/raw/tables/trips/columns/id/tests/-" ("-": append to a list).
 * A top-level entry (/models/NAME, /sources/NAME, ...) lives in the file
 * that defines it; a new one goes into the file named by `near` (an
 * existing path whose file to use), else the file that already holds that
 * section (the one with the most entries), else the root spec. */
#ifndef DPC_SPECEDIT_H
#define DPC_SPECEDIT_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "util.h"
#include "yamldoc.h"

struct compilation;
struct compile_options;

struct sedit;

/* read the spec at specpath (relative to root; rootfd is root opened as a
 * directory) and its fragments. NULL with *err (owned) when a file cannot
 * be read or is not YAML dpc can edit (the message says why and where). */
struct sedit *sedit_open(int rootfd, const char *root, const char *specpath, char **err);
void sedit_free(struct sedit *se);

/* RFC 6902 operations on the merged spec, value as JSON:
 *  add: a new map key or list item ("-" appends); a key that exists is an
 *       error ("/models/x is already defined at file:line"). A null in the
 *       spec (`tests:` alone) becomes the collection the path asks for; a
 *       top-level entry for a file without its section makes the section
 *  replace: the value at path, which must exist
 *  remove: the key or list item at path, with its lines; the last entry
 *       of a collection leaves it empty ({} or [])
 * Each returns false with *err (owned) and changes nothing on failure.
 * Aliases on the way to path, and edits inside an anchored node, are
 * refused. */
bool sedit_add(struct sedit *se, const char *path, const cJSON *value, const char *near, char **err);
bool sedit_replace(struct sedit *se, const char *path, const cJSON *value, char **err);
bool sedit_remove(struct sedit *se, const char *path, char **err);
/* a JSON Patch document (an array of {"op", "path", "value"}) applied in
 * order, all or nothing. Ops: add, replace, remove, and test (the value at
 * path equals value); move and copy are refused. An op may carry "near"
 * (an extension: sedit_add's near). *err names the op that failed. */
bool sedit_patch(struct sedit *se, const cJSON *patch, char **err);
/* true when path names a node of the merged spec now; *file (may be NULL)
 * gets the file that holds it, *line its 1-based line */
bool sedit_exists(const struct sedit *se, const char *path, const char **file, int *line);
/* the value at path as JSON (owned by the caller; scalars typed as dpc
 * reads them: null, true/false, numbers, else strings), NULL when absent */
cJSON *sedit_get(const struct sedit *se, const char *path);
/* the spec's files, root first then the fragments in include order
 * (borrowed, valid until sedit_free) */
size_t sedit_specfiles(const struct sedit *se, const char *const **paths);
/* the value at path in spec file i of those (not the merged spec), as
 * sedit_get gives it; NULL when that file has none */
cJSON *sedit_get_in(const struct sedit *se, size_t i, const char *path);

/* a project file to create (or, with replace, to overwrite) alongside the
 * spec edit. The path must be relative, without "..", inside the project,
 * not under .dpc/, .git/ or a folder dpc generates, and not a spec file;
 * false with *err otherwise */
bool sedit_file(struct sedit *se, const char *path, const char *text, size_t len, bool replace, char **err);

/* compile the edited project in memory (c as compile_run gives it; the
 * caller calls compile_free before the next edit, sedit_compile or
 * sedit_free: c reads the edited texts through se). opts may be NULL.
 * True when it compiles without errors; a new file at a path a back end
 * generates is an error too. Diagnostics point into the edited texts. */
bool sedit_compile(struct sedit *se, struct compilation *c, const struct compile_options *opts);

/* what the edit changes: each changed or new file, in path order */
struct sedit_change {
	const char *path;
	const char *old;  /* NULL: a new file */
	size_t oldlen;
	const char *text;
	size_t len;
};
size_t sedit_changes(const struct sedit *se, const struct sedit_change **v);
/* a unified diff of every change (owned), "" when nothing changed */
char *sedit_diff(const struct sedit *se);

/* write the changes: each file to a temporary file beside it, then renamed
 * over (a new one linked, which never replaces a file); a file changed on
 * disk since sedit_open is not overwritten (false, *err names it, nothing
 * is written). Returns true when every file was written; what was written
 * is then the edit's starting point (sedit_changes finds nothing). */
bool sedit_write(struct sedit *se, char **err);

/* ---- the splicing underneath ----
 * What the operations above are made of, for an edit they cannot say
 * (migrate.c writes airflow.dags entries with a comment line in them).
 * Offsets are bytes into the text yamldoc.h parsed. */

struct sedit_splice {
	const char *text; /* borrowed */
	size_t len;
	bool crlf;        /* write each \n inserted as \r\n (sedit_crlf(text)) */
	struct sedit_edit {
		size_t off, del; /* replace del bytes at off */
		char *ins;       /* with these (owned) */
	} *v;
	size_t n, cap;
};

/* replace del bytes at off with ins (owned by sp from now on) */
void sedit_splice_add(struct sedit_splice *sp, size_t off, size_t del, char *ins);
/* the text with every edit made, in offset order (edits at one offset in
 * the order added); owned, *len its length. NULL when two edits overlap
 * or one lies outside the text. sp is freed either way. */
char *sedit_splice_apply(struct sedit_splice *sp, size_t *len);
void sedit_splice_free(struct sedit_splice *sp);
/* do text's lines end in \r\n (its first one does)? */
bool sedit_crlf(const char *text, size_t len);
/* the column (0-based, in bytes) of byte off */
size_t sedit_column(const char *text, size_t off);
/* where node n's text ends: a flow collection's closing bracket included,
 * a block scalar's final line breaks not */
size_t sedit_nodeend(const char *text, size_t len, const struct ynode *n);
/* where the line holding pos ends (its \n, or the \r of \r\n) */
size_t sedit_lineend(const char *text, size_t len, size_t pos);
/* s as one YAML scalar on one line, as libyaml's emitter writes it: plain
 * when a reader takes it back as the same string, else quoted */
void sedit_scalar(struct buf *b, const char *s);
/* s as one token of a JSON Pointer: "~" as "~0", "/" as "~1" */
void sedit_ptr_token(struct buf *b, const char *s);

/* ---- values (specedit_value.c) ----
 * A JSON value as YAML text laid out as the file lays out its own, and a
 * YAML tree as JSON. Each writer appends to b; false with *err (owned)
 * for what YAML cannot hold on a line (a key with a line break, invalid
 * UTF-8). */

/* a file's layout */
struct sedit_style {
	size_t step;  /* how far a nested mapping's keys sit from their parent's */
	size_t seqin; /* how far a block list's '-' sits from its key (0: under it) */
};

/* what follows "key:" for v, the key at column kc: " scalar", " [a, b]",
 * " |-" and a literal block's lines, or the lines of a block collection
 * (each after a line break); nothing for null */
bool sedit_blockvalue(struct buf *b, const cJSON *v, size_t kc, const struct sedit_style *st, char **err);
/* what follows the '-' of a block list item at column dc */
bool sedit_blockitem(struct buf *b, const cJSON *v, size_t dc, const struct sedit_style *st, char **err);
/* v in flow style, on one line */
bool sedit_flowvalue(struct buf *b, const cJSON *v, char **err);
/* k as a mapping key */
bool sedit_keytext(struct buf *b, const char *k, char **err);
/* does mapping v read well on one line in flow style (a few short scalars
 * and lists of scalars)? */
bool sedit_flowable_map(const cJSON *v);
/* n as JSON, scalars typed as dpc reads them (YAML 1.2's core schema:
 * null, true/false, numbers; anything quoted is a string); owned */
cJSON *sedit_tojson(const struct ynode *n);

#endif
