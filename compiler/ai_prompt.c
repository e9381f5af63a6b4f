/* ai_prompt.c: the prompt templates of dpc ai (see ai.h). The built-in ones
 * are the files of stdlib/prompts compiled into the binary; a project's own copy
 * in its prompts folder wins. A template is checked as it is read (its
 * keys, its placeholders against its inputs, its inputs against what the
 * command fills), so a broken override fails before any request is sent. */
#include "ai.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "embedded.h"
#include "util.h"
#include "yamldoc.h"

/* a template is a few KiB; a bigger one is a mistake */
#define PROMPT_MAX_BYTES (256u << 10)

/* a YAML node as JSON: plain scalars resolve (null, booleans, numbers),
 * quoted ones stay strings */
static cJSON *
tojson(const struct ynode *n)
{
	if (n->kind == Y_MAP) {
		cJSON *o = cJSON_CreateObject();
		for (size_t i = 0; i + 1 < n->n; i += 2)
			cJSON_AddItemToObject(o, n->items[i]->str ? n->items[i]->str : "", tojson(n->items[i + 1]));
		return o;
	}
	if (n->kind == Y_SEQ) {
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; i < n->n; i++)
			cJSON_AddItemToArray(a, tojson(n->items[i]));
		return a;
	}
	bool b;
	long long v;
	if (n->plain && ynull(n))
		return cJSON_CreateNull();
	if (n->plain && ybool(n, &b))
		return cJSON_CreateBool(b);
	if (n->plain && yint(n, &v))
		return cJSON_CreateNumber((double)v);
	if (n->plain && n->slen) {
		char *end;
		double d = strtod(n->str, &end);
		if (*end == '\0')
			return cJSON_CreateNumber(d);
	}
	return cJSON_CreateString(n->str);
}

/* the diagnostics of a template that is not YAML, printed as dpc prints
 * them (file:line:col, the line, a caret), without the last newline */
static char *
diagtext(struct diags *d)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	if (!f)
		return xstrdup("the template is not valid YAML");
	diag_print(d, f, false, 5);
	fclose(f);
	while (n && s[n - 1] == '\n')
		s[--n] = '\0';
	return s;
}

/* is s[0..] the start of a placeholder name, ending in '}'? its length */
static size_t
placeholder(const char *s)
{
	size_t n = 0;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_' ||
	       (n && s[n] >= '0' && s[n] <= '9'))
		n++;
	return n && s[n] == '}' ? n : 0;
}

/* every ${NAME} of text is an input; NULL, or what is wrong (owned) */
static char *
checkplaceholders(const char *text, const char *key, const struct ynode *inputs)
{
	for (const char *p = strstr(text, "${"); p; p = strstr(p + 2, "${")) {
		size_t n = placeholder(p + 2);
		if (!n)
			return xasprintf("%s: '${' starts no placeholder: write ${NAME} with NAME one of inputs", key);
		bool known = false;
		for (size_t i = 0; inputs && i + 1 < inputs->n && !known; i += 2)
			known = strlen(inputs->items[i]->str) == n && memcmp(inputs->items[i]->str, p + 2, n) == 0;
		if (!known)
			return xasprintf("%s: placeholder ${%.*s} is not listed under inputs", key, (int)n, p + 2);
	}
	return NULL;
}

static const char *const tkeys[] = {"name", "description", "inputs", "system", "user", "schema_name", "schema"};

/* read and check one template; NULL with *err (without the file's name) */
static struct ai_prompt *
parse(const char *path, const char *text, size_t len, const char *name, const struct ai_var *provided,
      size_t nprovided, bool full, char **err)
{
	struct arena a = {0};
	struct diags d = {0};
	int32_t f = diag_file(&d, path, xstrndup(text, len), len);
	struct ynode *root = yaml_load(&a, &d, f, d.files[f].text, len);
	struct ai_prompt *p = NULL;
	char *why = NULL;
	const struct ynode *inputs = NULL, *system = NULL, *user = NULL, *schema = NULL, *sname = NULL;
	if (!root) {
		why = diagtext(&d);
		goto out;
	}
	if (root->kind != Y_MAP) {
		why = xasprintf("a template is a mapping (name, inputs, system, user, schema), not %s",
				ykindname(root));
		goto out;
	}
	for (size_t i = 0; i + 1 < root->n && !why; i += 2) {
		const char *k = root->items[i]->str;
		const struct ynode *v = root->items[i + 1];
		size_t j = 0;
		while (j < LEN(tkeys) && strcmp(tkeys[j], k) != 0)
			j++;
		if (j == LEN(tkeys)) {
			const char *h = did_you_mean(k, tkeys, LEN(tkeys));
			why = xasprintf("unknown key '%s'%s%s%s", k, h ? "; did you mean '" : "", h ? h : "", h ? "'?" : "");
		} else if (strcmp(k, "inputs") == 0) {
			if (v->kind != Y_MAP)
				why = xasprintf("inputs: a mapping of each placeholder's name to what it holds, not %s",
						ykindname(v));
			inputs = v;
		} else if (strcmp(k, "schema") == 0) {
			if (v->kind != Y_MAP)
				why = xasprintf("schema: a JSON Schema written as a YAML mapping, not %s", ykindname(v));
			schema = v;
		} else if (v->kind != Y_SCALAR) {
			why = xasprintf("%s: a string, not %s", k, ykindname(v));
		} else if (strcmp(k, "system") == 0) {
			system = v;
		} else if (strcmp(k, "user") == 0) {
			user = v;
		} else if (strcmp(k, "schema_name") == 0) {
			sname = v;
		}
	}
	if (why)
		goto out;
	if (!user || (full && (!system || !schema))) {
		why = xasprintf("missing key '%s'", !user ? "user" : !system ? "system" : "schema");
		goto out;
	}
	/* each input is one the command fills */
	for (size_t i = 0; inputs && i + 1 < inputs->n && !why; i += 2) {
		const char *in = inputs->items[i]->str;
		bool ok = false;
		for (size_t k = 0; k < nprovided && !ok; k++)
			ok = strcmp(provided[k].name, in) == 0;
		if (!ok) {
			struct buf b = {0};
			for (size_t k = 0; k < nprovided; k++)
				buf_printf(&b, "%s%s", k ? ", " : "", provided[k].name);
			why = xasprintf("input '%s' is not one dpc fills for the %s prompt (it fills: %s)", in, name,
					b.data ? b.data : "none");
			buf_free(&b);
		}
	}
	if (!why && system)
		why = checkplaceholders(system->str, "system", inputs);
	if (!why)
		why = checkplaceholders(user->str, "user", inputs);
	if (!why && sname) {
		for (const char *s = sname->str; *s && !why; s++)
			if (!(is_ident((char[]){*s, 0}) || (*s >= '0' && *s <= '9') || *s == '-'))
				why = xasprintf("schema_name: letters, digits, '_' and '-' only, not '%s'", sname->str);
	}
	if (why)
		goto out;
	p = xcalloc(1, sizeof(*p));
	p->system = system ? xstrdup(system->str) : NULL;
	p->user = xstrdup(user->str);
	p->schema = schema ? tojson(schema) : NULL;
	p->schema_name = sname ? xstrdup(sname->str) : xasprintf("dpc_%s", name);
out:
	diag_free(&d);
	arena_free(&a);
	*err = why;
	return p;
}

struct ai_prompt *
ai_prompt_load(int rootfd, const char *dir, const char *name, const struct ai_var *provided, size_t nprovided,
	       bool full, char **err)
{
	*err = NULL;
	char *path = xasprintf("%s/%s.yaml", dir && *dir ? dir : "dpc/prompts", name);
	char *text = NULL;
	size_t len = 0;
	int e = read_beneath(rootfd, path, PROMPT_MAX_BYTES, &text, &len, NULL);
	char *origin = NULL;
	if (e == 0) {
		origin = path;
	} else if (e == ENOENT) {
		free(path);
		char *ename = xasprintf("prompts/%s.yaml", name);
		for (size_t i = 0; i < dpc_nembedded && !text; i++)
			if (strcmp(dpc_embedded[i].name, ename) == 0) {
				text = xstrndup(dpc_embedded[i].data, dpc_embedded[i].len);
				len = dpc_embedded[i].len;
			}
		origin = xasprintf("built-in %s", ename);
		free(ename);
		if (!text) {
			*err = xasprintf("no prompt template '%s'", name);
			free(origin);
			return NULL;
		}
	} else {
		*err = xasprintf("cannot read the prompt template %s: %s", path,
				 e == EFBIG ? "it is larger than 256 KiB" : strerror(e));
		free(path);
		return NULL;
	}
	char *why = NULL;
	struct ai_prompt *p = parse(origin, text, len, name, provided, nprovided, full, &why);
	free(text);
	if (!p) {
		/* a YAML error already starts with the file's place */
		*err = strncmp(why, origin, strlen(origin)) == 0
			       ? xasprintf("bad prompt template:\n%s", why)
			       : xasprintf("%s: bad prompt template: %s", origin, why);
		free(why);
		free(origin);
		return NULL;
	}
	p->origin = origin;
	return p;
}

char *
ai_prompt_fill(const char *text, const struct ai_var *vars, size_t nvars)
{
	struct buf b = {0};
	const char *p = text;
	for (const char *q; (q = strstr(p, "${"));) {
		size_t n = placeholder(q + 2);
		const char *val = NULL;
		for (size_t i = 0; n && i < nvars && !val; i++)
			if (strlen(vars[i].name) == n && memcmp(vars[i].name, q + 2, n) == 0)
				val = vars[i].value;
		buf_put(&b, p, (size_t)(q - p));
		if (val) {
			buf_puts(&b, val);
			p = q + 2 + n + 1;
		} else {
			buf_put(&b, q, 2); /* checked when loaded: not reached for a template's own text */
			p = q + 2;
		}
	}
	buf_puts(&b, p);
	return buf_take(&b);
}

void
ai_prompt_free(struct ai_prompt *p)
{
	if (!p)
		return;
	free(p->origin);
	free(p->system);
	free(p->user);
	cJSON_Delete(p->schema);
	free(p->schema_name);
	free(p);
}
