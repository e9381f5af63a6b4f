/* ai.h: what `dpc ai` builds its requests from: the prompt templates
 * (ai_prompt.c) and the slice of the graph a request is about
 * (ai_context.c). Both are pure: they read the project (templates, spec and
 * SQL text) but send and write nothing; cmd_ai.c talks to the provider. */
#ifndef DPC_AI_H
#define DPC_AI_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "compile.h"

struct node;
struct sedit;

/* ---- prompt templates (stdlib/prompts/NAME.yaml, compiled in) ----
 *
 * A template is a YAML mapping:
 *   name: generate                    (optional; informative)
 *   inputs: {NAME: description, ...}  the placeholders it uses
 *   system: |  text with ${NAME} placeholders
 *   user: |    the same
 *   schema_name: dpc_generate         the schema's name for the provider
 *   schema: {JSON Schema, written as YAML}
 * A project overrides one with DIR/NAME.yaml (DIR: ai.prompts, default
 * dpc/prompts). Every ${NAME} must be listed under inputs, and every input
 * must be one the command provides; otherwise the template is refused with
 * an error naming its file. */
struct ai_prompt {
	char *origin;       /* "dpc/prompts/generate.yaml", or "built-in prompts/generate.yaml" */
	char *system;       /* NULL when the template has none (repair) */
	char *user;
	cJSON *schema;      /* NULL when the template has none (repair) */
	char *schema_name;  /* "dpc_<name>" when not given */
};

/* one placeholder's value */
struct ai_var {
	const char *name;
	const char *value;
};

/* the template name: dir/NAME.yaml beneath rootfd when it exists (dir may
 * be NULL), else the built-in one. provided lists the inputs the command
 * fills; full: system, user and schema are required (else user alone).
 * NULL with *err (owned), which names the file and says what is wrong. */
struct ai_prompt *ai_prompt_load(int rootfd, const char *dir, const char *name, const struct ai_var *provided,
				 size_t nprovided, bool full, char **err);
/* text with every ${NAME} replaced by its value (owned); the values are
 * inserted as they are and never scanned for placeholders themselves */
char *ai_prompt_fill(const char *text, const struct ai_var *vars, size_t nvars);
void ai_prompt_free(struct ai_prompt *p);

/* ---- the context: the slice of the graph a request is about ----
 *
 * Deterministic (the same project and request give the same bytes) and
 * bounded (max_bytes; what does not fit is counted, never cut mid-line but
 * for SQL, which is cut with a marker). It has the project's conventions
 * (spec files, layers, their SQL folders and name prefixes, how models are
 * materialized), the nodes closest to the request with their spec entry
 * and SQL, their lineage (upstream a few levels, downstream one), their
 * columns and tests, and an index of the other names. */
#define AI_CONTEXT_MAX (48u << 10)

struct ai_context_opts {
	const char *request;      /* words matched against names, columns and descriptions; or NULL */
	const struct node *focus; /* the slice centres on this node (explain, refactor NODE); or NULL */
	bool all_models;          /* refactor: every model in detail, as far as the bound allows */
	size_t max_bytes;         /* 0: AI_CONTEXT_MAX */
};

struct ai_context {
	char *text;       /* owned */
	char **nodes;     /* the ids described, in graph order; owned */
	size_t nnodes;
	char **closest;   /* the ids described in detail (spec entry, SQL), closest first; owned */
	size_t nclosest;
	size_t omitted;   /* nodes of the slice left out to stay within the bound */
};

/* the context of c (a compilation without errors) for o */
void ai_context_build(struct ai_context *x, const struct compilation *c, const struct ai_context_opts *o);
void ai_context_free(struct ai_context *x);

/* ---- the change an answer proposes (ai_change.c) ---- */

/* the answer's JSON object (owned): the text, or the object inside a
 * Markdown fence or prose around it. NULL with *why (owned) */
cJSON *ai_answer_json(const char *text, char **why);
/* NULL when patch is an array of JSON Patch operations dpc applies (add,
 * replace, remove, with a JSON Pointer path, and a value but for remove)
 * and files an array of {path, content} strings, within bounds; else what
 * is wrong (owned), for the repair prompt */
char *ai_change_shape(const cJSON *patch, const cJSON *files);
/* NULL when every file may be written; else why the first may not
 * (owned). Files are refused when the path is not relative and plain (no
 * "..", ".", empty or hidden parts, no '\\' or ':'), leads through a
 * symlink, lies where dpc generates (the layout roots, the Dagster
 * project, supabase/, any output of c), is a spec file, is not .sql, .py,
 * .csv, .md, .txt, .yaml, .yml or .json, is not UTF-8 text or over 1 MiB,
 * or exists and is not a file the pipeline reads. c: the project as it is */
char *ai_change_refuse(const struct compilation *c, const cJSON *files);

/* a change applied in memory to the project c0 and compiled */
struct ai_trial {
	struct sedit *se;
	struct compilation c;
	bool compiled;       /* c must be freed */
	char *problem;       /* why it cannot be used (owned), or NULL */
	bool diagnostics;    /* the problem is that it does not compile (c.diags) */
};
/* apply patch and files (checked by the two above) to c0's spec as it is
 * on disk, in memory, and compile it (destructive migration steps allowed:
 * ai_trial_plan lists them). True when it compiles; else t->problem */
bool ai_trial_run(const struct compilation *c0, struct ai_trial *t, const cJSON *patch, const cJSON *files);
/* the plan of a trial that compiled, added to obj: diff (the unified diff
 * of the project files), changes [{action, path}], plan [{action, path,
 * node}] (what dpc build would write, as dpc plan compares), changed,
 * downstream and removed (node ids), destructive (migration steps). True
 * when a step is destructive */
bool ai_trial_plan(const struct compilation *c0, struct ai_trial *t, cJSON *obj);
void ai_trial_free(struct ai_trial *t);

/* diagnostics printed as dpc prints them, without colour (owned), at most
 * limit of them */
struct diags;
char *ai_diagtext(struct diags *d, size_t limit);

/* the JSON Pointer of a node's entry in the spec ("/models/fct_orders",
 * "/sources/raw/tables/trips"), owned; NULL for a node that has none */
char *ai_node_pointer(const struct node *n);

#endif
