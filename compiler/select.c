/* select.c: parsing and resolving node selections (see select.h). dbt's
 * syntax, so that a schedule's select: reads as `dbt build --select` does;
 * the subset leaves out what a schedule has no use for (intersections,
 * wildcards, @, path:/fqn:/config: methods), each with an error saying so. */
#include "select.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void termerr(struct diags *d, struct loc loc, const char *text, size_t off, size_t len,
		    const char *hint, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* an error about the term text[off, off + len), pointed at when possible */
static void
termerr(struct diags *d, struct loc loc, const char *text, size_t off, size_t len, const char *hint,
	const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct diag *g = diag_add(d, SEV_ERROR, diag_subloc(d, loc, text, off, len), "select '%.*s': %s",
				  (int)len, text + off, msg);
	diag_hint(g, hint);
}

static bool
isdigit_(char c)
{
	return c >= '0' && c <= '9';
}

/* a depth of 1 to 999 generations at s[0, n) */
static int
depth(const char *s, size_t n)
{
	if (n == 0)
		return SEL_ALL;
	if (n > 3)
		return 0;
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool
identn(const char *s, size_t n)
{
	if (n == 0 || n > 63 || isdigit_(s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isdigit_(s[i]) || s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

/* one term at text[off, off + n) */
static bool
parseterm(struct arena *a, struct diags *d, struct loc loc, const char *text, size_t off, size_t n,
	  struct sel_term *t)
{
	static const char *const methods[] = {"tag", "source"};
	const char *s = text + off;
	*t = (struct sel_term){.off = off, .len = n};
	if (memchr(s, '@', n)) {
		termerr(d, loc, text, off, n, NULL, "'@' (the ancestors of every descendant) is not supported; use +name+");
		return false;
	}
	/* N+ or + in front */
	size_t b = 0;
	while (b < n && isdigit_(s[b]))
		b++;
	if (b < n && s[b] == '+') {
		t->up = depth(s, b);
		b++;
	} else {
		b = 0;
	}
	/* + or +N behind */
	size_t e = n;
	while (e > b && isdigit_(s[e - 1]))
		e--;
	if (e > b && s[e - 1] == '+') {
		t->down = depth(s + e, n - e);
		e--;
	} else {
		e = n;
	}
	if (!t->up && b) {
		termerr(d, loc, text, off, n, NULL, "a depth is a number from 1 to 999");
		return false;
	}
	if (!t->down && e < n) {
		termerr(d, loc, text, off, n, NULL, "a depth is a number from 1 to 999");
		return false;
	}
	const char *body = s + b;
	size_t bn = e - b;
	if (bn == 0) {
		termerr(d, loc, text, off, n, NULL, "the term names nothing");
		return false;
	}
	if (memchr(body, ',', bn)) {
		termerr(d, loc, text, off, n, NULL,
			"intersections (a,b) are not supported; separate terms by spaces for a union");
		return false;
	}
	if (memchr(body, '*', bn) || memchr(body, '?', bn)) {
		termerr(d, loc, text, off, n, NULL, "wildcards are not supported; name each node");
		return false;
	}
	if (memchr(body, '+', bn)) {
		termerr(d, loc, text, off, n, NULL, "'+' goes only before or after a name");
		return false;
	}
	const char *colon = memchr(body, ':', bn);
	t->method = SEL_NAME;
	if (colon) {
		char *m = arena_strndup(a, body, (size_t)(colon - body));
		if (strcmp(m, "tag") == 0) {
			t->method = SEL_TAG;
		} else if (strcmp(m, "source") == 0) {
			t->method = SEL_SOURCE;
		} else {
			termerr(d, loc, text, off, n, did_you_mean(m, methods, LEN(methods)),
				"selection method '%s' is not supported; use a name, tag: or source:", m);
			return false;
		}
		bn -= (size_t)(colon - body) + 1;
		body = colon + 1;
	}
	const char *dot = memchr(body, '.', bn);
	bool ok;
	if (t->method == SEL_SOURCE)
		ok = dot ? identn(body, (size_t)(dot - body)) && identn(dot + 1, bn - (size_t)(dot - body) - 1)
			 : identn(body, bn);
	else
		ok = identn(body, bn);
	t->value = arena_strndup(a, body, bn);
	if (ok)
		return true;
	if (t->method == SEL_NAME && dot)
		termerr(d, loc, text, off, n, NULL, "a source table is written source:%s", t->value);
	else if (t->method == SEL_SOURCE)
		termerr(d, loc, text, off, n, NULL, "'%s' is not a source or source.table name", t->value);
	else
		termerr(d, loc, text, off, n, NULL,
			"'%s' is not a name: letters, digits and underscores, not starting with a digit",
			t->value);
	return false;
}

bool
sel_parse(struct arena *a, struct diags *d, struct loc loc, const char *text, struct selection *out)
{
	*out = (struct selection){0};
	size_t count = 0;
	for (size_t i = 0; text[i];) {
		while (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')
			i++;
		if (!text[i])
			break;
		count++;
		while (text[i] && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			i++;
	}
	if (!count) {
		diag_add(d, SEV_ERROR, loc, "select is empty: name what to run, like +fct_orders or tag:daily");
		return false;
	}
	out->terms = arena_array(a, count, sizeof(*out->terms));
	bool ok = true;
	for (size_t i = 0; text[i];) {
		while (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')
			i++;
		if (!text[i])
			break;
		size_t j = i;
		while (text[j] && text[j] != ' ' && text[j] != '\t' && text[j] != '\n' && text[j] != '\r')
			j++;
		if (parseterm(a, d, loc, text, i, j - i, &out->terms[out->n]))
			out->n++;
		else
			ok = false;
		i = j;
	}
	return ok;
}

/* resolution */

static bool
named(enum node_kind k)
{
	return k == N_SEED || k == N_MODEL || k == N_TABLE || k == N_EMBEDDING || k == N_ASSET;
}

/* what a selection may hold: tests come with what they test, and a
 * schedule or sensor never runs another */
static bool
pickable(enum node_kind k)
{
	return named(k) || k == N_SOURCE;
}

/* the tags of a node: its own and (source tables) its source's */
static void
tagsof(const struct node *n, const char *const *v[2], size_t c[2])
{
	v[0] = v[1] = NULL;
	c[0] = c[1] = 0;
	if (n->model)
		v[0] = n->model->tags, c[0] = n->model->ntags;
	else if (n->seed)
		v[0] = n->seed->tags, c[0] = n->seed->ntags;
	else if (n->asset)
		v[0] = n->asset->tags, c[0] = n->asset->ntags;
	else if (n->kind == N_SOURCE && n->table)
		v[0] = n->table->tags, c[0] = n->table->ntags, v[1] = n->source->tags, c[1] = n->source->ntags;
}

static bool
hastag(const struct node *n, const char *tag)
{
	const char *const *v[2];
	size_t c[2];
	tagsof(n, v, c);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < c[k]; i++)
			if (strcmp(v[k][i], tag) == 0)
				return true;
	return false;
}

/* the dbt source a node appears under, or NULL */
static const char *
sourceof(const struct node *n)
{
	if (n->kind == N_SOURCE && n->source)
		return n->source->name;
	if (n->apptable)
		return n->apptable->source;
	if (n->embedding)
		return n->embedding->source;
	return NULL;
}

/* a did-you-mean over the distinct strings f picks from the nodes */
static const char *
guess(const struct graph *g, const char *word, const char *src,
      const char *(*f)(const struct node *, const char *src, size_t i, size_t *count))
{
	const char **v = NULL;
	size_t n = 0, cap = 0;
	struct strmap seen = {0};
	for (size_t i = 0; i < g->n; i++) {
		size_t count = 1;
		for (size_t k = 0; k < count; k++) {
			const char *s = f(&g->nodes[i], src, k, &count);
			if (s && !strmap_put(&seen, s, (void *)1)) {
				VEC_PUSH(v, n, cap);
				v[n++] = s;
			}
		}
	}
	const char *best = did_you_mean(word, v, n);
	strmap_free(&seen);
	free(v);
	return best;
}

static const char *
namecand(const struct node *n, const char *src, size_t i, size_t *count)
{
	(void)src, (void)i, (void)count;
	return named(n->kind) ? n->name : NULL;
}

static const char *
tagcand(const struct node *n, const char *src, size_t i, size_t *count)
{
	(void)src;
	const char *const *v[2];
	size_t c[2];
	tagsof(n, v, c);
	*count = c[0] + c[1];
	return i < c[0] ? v[0][i] : i < *count ? v[1][i - c[0]] : NULL;
}

static const char *
sourcecand(const struct node *n, const char *src, size_t i, size_t *count)
{
	(void)src, (void)i, (void)count;
	return sourceof(n);
}

static const char *
tablecand(const struct node *n, const char *src, size_t i, size_t *count)
{
	(void)i, (void)count;
	const char *s = sourceof(n);
	return s && strcmp(s, src) == 0 ? n->name : NULL;
}

/* the nodes a term names, before + is applied; reports when there are none */
static size_t
starts(struct diags *d, const struct graph *g, const struct sel_term *t, struct loc loc, const char *text,
       size_t *v)
{
	size_t n = 0;
	switch (t->method) {
	case SEL_NAME: {
		const struct node *x = graph_byname(g, t->value);
		if (x) {
			v[n++] = (size_t)(x - g->nodes);
			break;
		}
		const char *hint = guess(g, t->value, NULL, namecand);
		char *src = NULL;
		for (size_t i = 0; !hint && i < g->n; i++)
			if (g->nodes[i].kind == N_SOURCE && strcmp(g->nodes[i].name, t->value) == 0)
				hint = src = xasprintf("source:%s", g->nodes[i].id + 7);
		termerr(d, loc, text, t->off, t->len, hint,
			"no model, seed, table, embedding or asset is named '%s'", t->value);
		free(src);
		break;
	}
	case SEL_TAG:
		for (size_t i = 0; i < g->n; i++)
			if (hastag(&g->nodes[i], t->value))
				v[n++] = i;
		if (!n)
			termerr(d, loc, text, t->off, t->len, guess(g, t->value, NULL, tagcand),
				"no model, seed, source or asset has tag '%s'", t->value);
		break;
	case SEL_SOURCE: {
		const char *dot = strchr(t->value, '.');
		char *src = dot ? xstrndup(t->value, (size_t)(dot - t->value)) : xstrdup(t->value);
		bool known = false;
		for (size_t i = 0; i < g->n; i++) {
			const char *s = sourceof(&g->nodes[i]);
			if (s && strcmp(s, src) == 0) {
				known = true;
				if (!dot)
					v[n++] = i;
			}
		}
		if (!known) {
			termerr(d, loc, text, t->off, t->len, guess(g, src, NULL, sourcecand),
				"there is no source '%s' (in sources:, or the source of tables:)", src);
		} else if (dot) {
			char *id = xasprintf("source.%s", t->value);
			const struct node *x = graph_find(g, id);
			free(id);
			const char *cand = x ? NULL : guess(g, dot + 1, src, tablecand);
			char *hint = cand ? xasprintf("source:%s.%s", src, cand) : NULL;
			if (x)
				v[n++] = (size_t)(x - g->nodes);
			else
				termerr(d, loc, text, t->off, t->len, hint, "source '%s' has no table '%s'", src, dot + 1);
			free(hint);
		}
		free(src);
		break;
	}
	}
	return n;
}

void
sel_walk(const struct graph *g, const size_t *start, size_t nstart, int gens, bool up, bool *mark,
	 size_t *queue, int *level)
{
	size_t head = 0, tail = 0;
	for (size_t i = 0; i < nstart; i++) {
		queue[tail++] = start[i];
		level[start[i]] = 0;
	}
	while (head < tail) {
		size_t v = queue[head++];
		if (gens != SEL_ALL && level[v] >= gens)
			continue;
		const struct node *n = &g->nodes[v];
		size_t count = up ? n->ndeps : n->nusers;
		for (size_t j = 0; j < count; j++) {
			size_t w = up ? n->deps[j].to : n->users[j];
			if (level[w] >= 0)
				continue;
			level[w] = level[v] + 1;
			mark[w] = true;
			queue[tail++] = w;
		}
	}
	/* ready for the next walk: only what this one touched is reset */
	for (size_t i = 0; i < tail; i++)
		level[queue[i]] = -1;
}

size_t *
sel_resolve(struct arena *a, struct diags *d, const struct graph *g, const struct selection *sel,
	    struct loc loc, const char *text, size_t *count)
{
	*count = 0;
	bool *mark = xcalloc(g->n + 1, sizeof(bool));
	size_t *start = xreallocarray(NULL, g->n + 1, sizeof(size_t));
	size_t *queue = xreallocarray(NULL, g->n + 1, sizeof(size_t));
	int *level = xreallocarray(NULL, g->n + 1, sizeof(int));
	for (size_t i = 0; i < g->n; i++)
		level[i] = -1;
	bool ok = true;
	for (size_t k = 0; k < sel->n; k++) {
		const struct sel_term *t = &sel->terms[k];
		size_t ns = starts(d, g, t, loc, text, start);
		if (!ns) {
			ok = false;
			continue;
		}
		for (size_t i = 0; i < ns; i++)
			mark[start[i]] = true;
		if (t->up)
			sel_walk(g, start, ns, t->up, true, mark, queue, level);
		if (t->down)
			sel_walk(g, start, ns, t->down, false, mark, queue, level);
	}
	size_t *v = NULL;
	if (ok) {
		size_t n = 0;
		for (size_t i = 0; i < g->n; i++)
			n += mark[i] && pickable(g->nodes[i].kind);
		v = arena_array(a, n + 1, sizeof(*v));
		for (size_t i = 0; i < g->n; i++)
			if (mark[i] && pickable(g->nodes[i].kind))
				v[(*count)++] = i;
	}
	free(mark);
	free(start);
	free(queue);
	free(level);
	return v;
}
