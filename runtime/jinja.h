/* jinja.h: the Jinja dialect of dbt models, rendered by dpc itself so that
 * `dpc run` needs no dbt and no Python.
 *
 * It renders what real dbt projects write in models and macros: {{ expr }},
 * {% set %} (also {% set x %}...{% endset %} and namespace attributes),
 * {% for %} (loop.index, index0, first, last, length, revindex; tuple
 * unpacking; {% else %}; {% break %} / {% continue %}), {% if %} / {% elif %}
 * / {% else %}, {% macro %} (from the .sql files of the project's macros/ or
 * the model itself, with arguments, defaults, keyword arguments and {{ return() }}),
 * {% do %}, {% filter %}, {% raw %}, {# comments #}, whitespace control
 * ({%- -%}, {{- -}}, {#- -#}); expressions with strings, numbers, lists,
 * dicts, ~, arithmetic, comparisons, and/or/not, in, x if c else y, tests
 * (is defined, is none, ...), the common filters and string, list and dict
 * methods. The dbt functions ref, source, this, config, var, env_var,
 * is_incremental() and target call back into the caller (struct jj_host),
 * which knows relations, variables and the current model.
 *
 * Whitespace is Jinja's as dbt configures it (trim_blocks, lstrip_blocks and
 * keep_trailing_newline all off): one newline at the very end of a template
 * is dropped, "\r\n" becomes "\n". Values print as Python's str() does
 * (True, None, 1.0, ['a', 'b']).
 *
 * What it does not support (a package macro such as dbt_utils.*,
 * adapter.dispatch, run_query, {% call %}, an unknown filter) is an error
 * with needs_dbt set, at its place, when rendering reaches it: the output is
 * then NULL, never a half-rendered text.
 *
 * Thread safety: a struct jj_macros is read-only once loaded, so several
 * threads may render with it at once; each render has its own state. */
#ifndef DPC_JINJA_H
#define DPC_JINJA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a rendering error at a byte span of one file */
struct jj_error {
	uint32_t off, len;
	uint32_t line, col; /* of off, 1-based; col counts characters (UTF-8) */
	int file;           /* -1: the template given to jj_render; otherwise
			     * the index of a macro file given to jj_macros_load */
	char *msg;          /* owned by the jj_result */
	bool needs_dbt;     /* a construct dbt would render but dpc does not */
};

/* what the host answers for the dbt functions. Every string the host gives
 * stays the host's: the renderer copies it at once, so the host may reuse
 * its buffers. A callback returns false (and may set *why, a message the
 * host keeps alive) when the name is unknown: the renderer turns that into
 * an error at the call. A NULL ref, source or var callback, or a NULL
 * this_relation or target field, makes that function an error that needs
 * dbt (var() with a default still gives the default). */
struct jj_host {
	void *ctx;
	/* ref('m') or ref('pkg', 'm') (package NULL for the first): the
	 * relation's SQL name, e.g. "main"."m" */
	bool (*ref)(void *ctx, const char *package, const char *name, char **out,
		    const char **why);
	/* source('s', 't') */
	bool (*source)(void *ctx, const char *source, const char *table, char **out,
		       const char **why);
	/* var('name'): the value as a JSON text (a list, a map, a number, true,
	 * false, null or a "string"); text that is not JSON is taken as a plain
	 * string. false when unset (then var's default, or an error) */
	bool (*var)(void *ctx, const char *name, char **out);
	/* env_var('NAME'): the variable's value, or NULL when unset; a NULL
	 * callback reads the process environment (getenv) */
	const char *(*env)(void *ctx, const char *name);
	/* this: the current model's relation, e.g. "main"."m"; this.schema,
	 * this.identifier and this.database come from its quoted parts */
	const char *this_relation;
	/* is_incremental(): the model is incremental, its table exists and no
	 * full refresh was asked for */
	bool is_incremental;
	/* target.name, target.schema, target.type (e.g. "dev", "main",
	 * "sqlite"); NULL ones need dbt */
	const char *target_name, *target_schema, *target_type;
};

/* the macros of the project's macros/ folder: parse once, render many */
struct jj_macros;

struct jj_result {
	char *text; /* the rendered SQL, NUL-terminated, owned; NULL on any error */
	size_t len;
	struct jj_error *errors; /* owned; at most one from jj_render */
	size_t nerrors;
};

/* parse n macro files (texts[i] of lens[i] bytes, not necessarily
 * NUL-terminated; the texts are copied). Only the top-level {% macro %}
 * blocks count; test, materialization and docs blocks are skipped as dbt's
 * macro parser skips them. Syntax errors and duplicate macro names go to
 * errs (which may be NULL; errors[].file is the index i); the macros of the
 * files without errors are kept. paths are used in messages only and may be
 * NULL. Returns an object owned by the caller (never NULL). */
struct jj_macros *jj_macros_load(const char *const *texts, const size_t *lens,
				 const char *const *paths, size_t n, struct jj_result *errs);
/* free the macros; NULL is allowed */
void jj_macros_free(struct jj_macros *m);

/* render a template (a model's SQL) of len bytes, not necessarily
 * NUL-terminated; macros and host may be NULL. out is overwritten: free it
 * with jj_result_free. */
void jj_render(const char *text, size_t len, const struct jj_macros *macros,
	       const struct jj_host *host, struct jj_result *out);
/* free what a result owns and reset it to empty */
void jj_result_free(struct jj_result *r);

#endif
