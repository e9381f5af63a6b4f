/* ai_change.c: the change an LLM's answer proposes (ai.h), checked before
 * anyone sees it. Its JSON is read leniently (a Markdown fence or prose
 * around the object is dropped), its shape strictly; its files are refused
 * when they would land anywhere but in the pipeline's own source files;
 * then the patch and files are applied in memory (specedit.h), compiled,
 * and planned: the spec diff, what dpc build would write, the nodes
 * downstream, destructive migration steps. Nothing here writes. */
#include "ai.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build.h"
#include "compile.h"
#include "emit.h"
#include "specedit.h"
#include "state.h"
#include "supabase.h"

/* bounds on what an answer may hold */
#define MAX_OPS 200
#define MAX_FILES 40
#define MAX_FILE_BYTES (1u << 20)

/* diagnostics as dpc prints them, without colour, into a string (owned) */
char *
ai_diagtext(struct diags *d, size_t limit)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	if (!f)
		return xstrdup("(the diagnostics could not be printed)");
	diag_print(d, f, false, limit);
	fclose(f);
	while (n && s[n - 1] == '\n')
		s[--n] = '\0';
	return s;
}

/* ---- the answer: JSON, its shape, its paths ---- */

/* the answer's JSON object: the text, or the object inside a Markdown
 * fence or prose around it (a provider without structured output). NULL
 * with *why (owned) when there is none */
cJSON *
ai_answer_json(const char *text, char **why)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithOpts(text, &end, true);
	if (!j) {
		const char *open = strchr(text, '{'), *close = strrchr(text, '}');
		if (open && close && close > open) {
			char *inner = xstrndup(open, (size_t)(close - open + 1));
			j = cJSON_ParseWithOpts(inner, &end, true);
			free(inner);
		}
	}
	if (j && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*why = xstrdup("the answer is JSON but not an object: answer with one JSON object");
		return NULL;
	}
	if (!j) {
		/* its start, on one line, cut between characters */
		size_t n = strlen(text), k = n < 60 ? n : 60;
		while (k < n && ((unsigned char)text[k] & 0xC0) == 0x80)
			k--;
		char *start = xstrndup(text, k);
		for (char *p = start; *p; p++)
			if ((unsigned char)*p < ' ')
				*p = ' ';
		*why = xasprintf("the answer is not valid JSON (%zu bytes, starting \"%s%s\"): answer with one JSON "
				 "object and nothing else",
				 n, start, k < n ? "..." : "");
		free(start);
	}
	return j;
}

static const cJSON *
item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* a patch and files as an answer holds them: NULL, or what is wrong with
 * their shape (owned) */
char *
ai_change_shape(const cJSON *patch, const cJSON *files)
{
	if (!cJSON_IsArray(patch))
		return xstrdup("\"patch\" must be an array of JSON Patch operations ([] for none)");
	if (!cJSON_IsArray(files))
		return xstrdup("\"files\" must be an array of {\"path\", \"content\"} ([] for none)");
	if (cJSON_GetArraySize(patch) > MAX_OPS)
		return xasprintf("the patch has %d operations; at most %d", cJSON_GetArraySize(patch), MAX_OPS);
	if (cJSON_GetArraySize(files) > MAX_FILES)
		return xasprintf("the answer has %d files; at most %d", cJSON_GetArraySize(files), MAX_FILES);
	int i = 0;
	const cJSON *op;
	cJSON_ArrayForEach(op, patch) {
		i++;
		const char *o = cJSON_GetStringValue(item(op, "op")), *p = cJSON_GetStringValue(item(op, "path"));
		if (!cJSON_IsObject(op) || !o || !p)
			return xasprintf("patch operation %d must be an object with \"op\" and \"path\" strings", i);
		if (strcmp(o, "add") && strcmp(o, "replace") && strcmp(o, "remove"))
			return xasprintf("patch operation %d: op '%s' is not one dpc applies (add, replace, remove)", i,
					 o);
		if (p[0] != '/')
			return xasprintf("patch operation %d: path '%s' is not a JSON Pointer into the spec "
					 "(/models/NAME, ...)",
					 i, p);
		if (strcmp(o, "remove") && !item(op, "value"))
			return xasprintf("patch operation %d (%s %s) has no \"value\"", i, o, p);
	}
	i = 0;
	const cJSON *f;
	cJSON_ArrayForEach(f, files) {
		i++;
		if (!cJSON_IsObject(f) || !cJSON_GetStringValue(item(f, "path")) ||
		    !cJSON_GetStringValue(item(f, "content")))
			return xasprintf("file %d must be an object with \"path\" and \"content\" strings", i);
	}
	return NULL;
}

static bool
endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* is path at or under folder dir (relative, without a trailing '/')? */
static bool
under(const char *path, const char *dir)
{
	if (!dir || !*dir)
		return false;
	while (dir[0] == '.' && dir[1] == '/')
		dir += 2;
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* why the answer may not write content at path (owned), or NULL; *exists
 * says whether it replaces a file of the project. The rules are strict on
 * purpose: an answer proposes pipeline changes, not arbitrary files */
static char *
refusal(const struct compilation *c, const char *path, const char *content, bool *exists)
{
	static const char *const exts[] = {".sql", ".py", ".csv", ".md", ".txt", ".yaml", ".yml", ".json"};
	*exists = false;
	size_t len = strlen(path);
	if (!len)
		return xstrdup("an empty path");
	if (len > 1024)
		return xstrdup("a path longer than 1024 bytes");
	if (path[0] == '/' || path[0] == '~')
		return xstrdup("not a path relative to the project folder");
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < ' ' || *p == '\\' || *p == ':' || *p == 0x7f)
			return xstrdup("control characters, '\\' and ':' are not allowed in a path");
	for (const char *p = path; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return xstrdup("empty, '.' and '..' parts lead outside or around the project's folders");
		if (p[0] == '.')
			return xstrdup("hidden files and folders (.git, .dpc, .github, ...) are not a pipeline change's");
		p = e ? e + 1 : p + n;
	}
	char *dg = dagster_root(c->spec);
	bool generated = under(path, c->spec->layout_dbt) || under(path, c->spec->layout_assets) || under(path, dg) ||
			 under(path, "supabase");
	free(dg);
	for (size_t i = 0; i < c->out.n && !generated; i++)
		generated = strcmp(c->out.v[i].path, path) == 0;
	if (generated)
		return xstrdup("dpc generates it (data/, supabase/, the Dagster project, the CI files): change the "
			       "spec instead");
	for (size_t i = 0; i < c->spec->nfiles; i++)
		if (strcmp(c->spec->files[i], path) == 0)
			return xstrdup("a spec file changes through the patch, not as a file");
	bool ext = false;
	for (size_t i = 0; i < LEN(exts) && !ext; i++)
		ext = endswith(path, exts[i]);
	if (!ext)
		return xstrdup("only .sql, .py, .csv, .md, .txt, .yaml, .yml and .json files");
	size_t clen = strlen(content);
	if (clen > MAX_FILE_BYTES)
		return xasprintf("%zu bytes; a file of an answer has at most 1 MiB", clen);
	if (!ir_istext(content, clen))
		return xstrdup("not UTF-8 text");
	/* every folder on the way must be a real folder, not a symlink out */
	char *dir = xstrdup(path);
	for (char *p = dir; (p = strchr(p, '/')); p++) {
		*p = '\0';
		struct stat sb;
		bool bad = fstatat(c->rootfd, dir, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(sb.st_mode);
		*p = '/';
		if (bad) {
			free(dir);
			return xstrdup("a part of the path is a symlink or a file, not a folder");
		}
	}
	free(dir);
	struct stat sb;
	if (fstatat(c->rootfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(sb.st_mode))
			return xstrdup("it exists and is not a regular file");
		/* an existing file may change only when the pipeline reads it (SQL,
		 * Python, CSV): the rest of the repository is not the answer's */
		bool input = false;
		for (size_t i = 0; i < c->diags.nfiles && !input; i++)
			input = c->diags.files[i].hashed && strcmp(c->diags.files[i].path, path) == 0;
		for (size_t i = 0; i < c->spec->nassets && !input; i++)
			input = c->spec->assets[i].python && strcmp(c->spec->assets[i].python, path) == 0;
		if (!input)
			return xstrdup("it exists and is not a file the pipeline reads");
		*exists = true;
	}
	return NULL;
}

/* the first file of the change that may not be written, as an error
 * (owned), or NULL */
char *
ai_change_refuse(const struct compilation *c, const cJSON *files)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, files) {
		const char *path = cJSON_GetStringValue(item(f, "path"));
		bool exists;
		char *why = refusal(c, path, cJSON_GetStringValue(item(f, "content")), &exists);
		if (why) {
			/* the path as the answer wrote it, made safe to print */
			char *shown = xstrndup(path, strnlen(path, 200));
			for (char *p = shown; *p; p++)
				if ((unsigned char)*p < ' ' || *p == 0x7f)
					*p = '?';
			char *msg = xasprintf("the answer wants to write '%s%s', which it may not: %s", shown,
					      strlen(path) > 200 ? "..." : "", why);
			free(shown);
			free(why);
			return msg;
		}
	}
	return NULL;
}

/* ---- a candidate change, applied in memory ---- */

void
ai_trial_free(struct ai_trial *t)
{
	if (t->compiled)
		compile_free(&t->c);
	sedit_free(t->se);
	free(t->problem);
	*t = (struct ai_trial){0};
}

/* apply patch and files (shape and paths checked) to the spec as it is on
 * disk, in memory, and compile; true when it compiles */
bool
ai_trial_run(const struct compilation *c0, struct ai_trial *t, const cJSON *patch, const cJSON *files)
{
	*t = (struct ai_trial){0};
	char *err = NULL;
	t->se = sedit_open(c0->rootfd, c0->root, c0->specpath, &err);
	if (!t->se) {
		t->problem = xasprintf("cannot read the spec to edit it: %s", err);
		free(err);
		return false;
	}
	if (cJSON_GetArraySize(patch) && !sedit_patch(t->se, patch, &err)) {
		t->problem = xasprintf("the patch does not apply to the spec: %s", err);
		free(err);
		return false;
	}
	const cJSON *f;
	cJSON_ArrayForEach(f, files) {
		const char *path = cJSON_GetStringValue(item(f, "path"));
		const char *content = cJSON_GetStringValue(item(f, "content"));
		bool exists;
		char *why = refusal(c0, path, content, &exists);
		free(why); /* ai_change_refuse has passed it: only exists matters here */
		if (!sedit_file(t->se, path, content, strlen(content), exists, &err)) {
			t->problem = xasprintf("file '%s': %s", path, err);
			free(err);
			return false;
		}
	}
	struct compile_options co = {.allow_destructive = true}; /* destructive steps are shown, then gated */
	t->compiled = true;
	if (!sedit_compile(t->se, &t->c, &co)) {
		char *d = ai_diagtext(&t->c.diags, 30);
		t->problem = xasprintf("the pipeline with this change does not compile (%zu error%s):\n%s",
				       t->c.diags.nerrors, t->c.diags.nerrors == 1 ? "" : "s", d);
		free(d);
		t->diagnostics = true;
		return false;
	}
	return true;
}

/* ---- the plan of a change ---- */

static void
pathlist(cJSON *arr, const char *action, const char *path, const char *node)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "action", action);
	cJSON_AddStringToObject(j, "path", path);
	if (node)
		cJSON_AddStringToObject(j, "node", node);
	cJSON_AddItemToArray(arr, j);
}

/* the migration steps a new migration marks destructive ("-- destructive:
 * drop column t.c", pg_plan_render) */
static void
destructive(const struct output *out, cJSON *arr)
{
	const char *mark = "-- destructive: ";
	size_t ml = strlen(mark);
	for (const char *p = out->data, *end = out->data + out->len; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		if ((size_t)(e - p) > ml && memcmp(p, mark, ml) == 0) {
			char *d = xstrndup(p + ml, (size_t)(e - p) - ml);
			cJSON_AddItemToArray(arr, cJSON_CreateString(d));
			free(d);
		}
		p = nl ? nl + 1 : NULL;
	}
}

/* the plan of a change that compiles, into obj (which the JSON document
 * or the text output is made from); returns whether a migration step is
 * destructive */
bool
ai_trial_plan(const struct compilation *c0, struct ai_trial *t, cJSON *obj)
{
	char *diff = sedit_diff(t->se);
	cJSON_AddStringToObject(obj, "diff", diff);
	free(diff);
	const struct sedit_change *ch;
	size_t nch = sedit_changes(t->se, &ch);
	cJSON *changes = cJSON_AddArrayToObject(obj, "changes");
	for (size_t i = 0; i < nch; i++)
		pathlist(changes, ch[i].old ? "update" : "add", ch[i].path, NULL);
	/* what dpc build would do then: as dpc plan compares, with the state
	 * DB when there is one */
	struct state st, *stp = state_open_existing(&st, c0->root) ? &st : NULL;
	struct plan p;
	plan_make(&p, &t->c, stp);
	cJSON *plan = cJSON_AddArrayToObject(obj, "plan");
	cJSON *destr = cJSON_AddArrayToObject(obj, "destructive");
	for (size_t i = 0; i < p.n; i++) {
		const struct step *s = &p.v[i];
		if (s->act == A_SAME)
			continue;
		pathlist(plan, action_name(s->act), s->path, s->node);
		if (s->act == A_ADD && s->out && under(s->path, SUPABASE_MIGRATIONS))
			destructive(s->out, destr);
	}
	plan_free(&p);
	if (stp)
		state_close(stp);
	/* the nodes the change touches: new, or with another content hash than
	 * in the project as it is; then everything downstream of them */
	const struct graph *g = t->c.graph, *g0 = c0->graph;
	bool *mark = xcalloc(g->n + 1, sizeof(bool));
	cJSON *changed = cJSON_AddArrayToObject(obj, "changed");
	for (size_t i = 0; i < g->n; i++) {
		const struct node *was = graph_find(g0, g->nodes[i].id);
		mark[i] = !was || !hash_eq(was->hash, g->nodes[i].hash);
		if (mark[i])
			cJSON_AddItemToArray(changed, cJSON_CreateString(g->nodes[i].id));
	}
	graph_downstream(g, mark);
	cJSON *down = cJSON_AddArrayToObject(obj, "downstream");
	for (size_t i = 0; i < g->n; i++)
		if (mark[i])
			cJSON_AddItemToArray(down, cJSON_CreateString(g->nodes[i].id));
	free(mark);
	cJSON *removed = cJSON_AddArrayToObject(obj, "removed");
	for (size_t i = 0; i < g0->n; i++)
		if (!graph_find(g, g0->nodes[i].id))
			cJSON_AddItemToArray(removed, cJSON_CreateString(g0->nodes[i].id));
	return cJSON_GetArraySize(destr) > 0;
}

