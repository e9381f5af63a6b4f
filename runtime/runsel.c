/* runsel.c: --select and --exclude of dpc run and dpc test, in dbt's
 * selection syntax. A selection is a union of terms separated by spaces; a
 * term is an intersection of parts separated by commas; a part is what
 * select.c reads for schedules (a name, tag:x, source:x or source:x.y, with
 * + or N+ before and + or +N after) or, beyond that:
 *
 *   path:<file or folder>  the models and singular tests whose SQL file,
 *                          the seeds whose CSV, and every node whose spec
 *                          file, is that file or lies in that folder
 *   <test name>            one test
 *
 * A test is selected with any node it reads (dbt's eager indirect
 * selection), and excluded with any of them. */
#include <stdlib.h>
#include <string.h>

#include "runint.h"
#include "select.h"

static bool
isdigit_(char c)
{
	return c >= '0' && c <= '9';
}

/* mark up generations of ancestors and down of descendants of the marked
 * nodes (the part's own): both walks start from them, as in select.c */
static void
walk(const struct graph *g, bool *mark, int up, int down)
{
	size_t *start = xreallocarray(NULL, g->n + 1, sizeof(size_t));
	size_t *queue = xreallocarray(NULL, g->n + 1, sizeof(size_t));
	int *level = xreallocarray(NULL, g->n + 1, sizeof(int));
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++) {
		level[i] = -1;
		if (mark[i])
			start[n++] = i;
	}
	if (up)
		sel_walk(g, start, n, up, true, mark, queue, level);
	if (down)
		sel_walk(g, start, n, down, false, mark, queue, level);
	free(start);
	free(queue);
	free(level);
}

/* is file p, or does it lie in the folder p? */
static bool
under(const char *file, const char *p)
{
	if (!file)
		return false;
	if (strcmp(p, ".") == 0)
		return true;
	size_t n = strlen(p);
	return strncmp(file, p, n) == 0 && (file[n] == '\0' || file[n] == '/');
}

static void
err(struct runner *r, const char *opt, const char *part, const char *msg)
{
	diag_add(&r->diags, SEV_ERROR, NOLOC, "%s '%s': %s", opt, part, msg);
}

/* the nodes one part picks, marked in mark; false after a diagnostic */
static bool
part(struct runner *r, const char *opt, const char *text, size_t len, bool *mark)
{
	const struct graph *g = r->g;
	char *s = xstrndup(text, len);
	/* graph operators: N+ or + in front, + or +N behind */
	size_t b = 0, e = len;
	int up = 0, down = 0;
	while (b < len && isdigit_(s[b]))
		b++;
	if (b < len && s[b] == '+')
		up = b ? atoi(s) : SEL_ALL, b++;
	else
		b = 0;
	while (e > b && isdigit_(s[e - 1]))
		e--;
	if (e > b && s[e - 1] == '+')
		down = e < len ? atoi(s + e) : SEL_ALL, e--;
	else
		e = len;
	char *body = xstrndup(s + b, e - b);
	bool ok = true;
	char *tid = xasprintf("test.%s", body);
	const struct node *test = graph_find(g, tid);
	free(tid);
	if (strncmp(body, "path:", 5) == 0 || (test && test->kind == N_TEST)) {
		bool any = false;
		char *trimmed = xstrdup(test ? body : body + 5);
		size_t tl = strlen(trimmed);
		while (tl > 1 && trimmed[tl - 1] == '/')
			trimmed[--tl] = '\0';
		for (size_t i = 0; i < g->n; i++) {
			const struct node *n = &g->nodes[i];
			bool m;
			if (test)
				m = n == test;
			else if (n->kind == N_MODEL || n->kind == N_SEED || n->kind == N_TEST || n->kind == N_SOURCE)
				m = under(n->file, trimmed) || (!(n->test) && under(node_specfile(g, n), trimmed));
			else
				m = false;
			mark[i] |= m;
			any |= m;
		}
		if (!any) {
			char *msg = xasprintf("no model, seed, test or source is defined in '%s'", trimmed);
			err(r, opt, s, msg);
			free(msg);
			ok = false;
		}
		free(trimmed);
		if (ok && (up || down))
			walk(g, mark, up, down);
	} else {
		/* select.c reads the part, operators included */
		struct selection sel;
		size_t n = 0, *v = NULL;
		size_t before = r->diags.nerrors;
		if (sel_parse(&r->a, &r->diags, NOLOC, s, &sel))
			v = sel_resolve(&r->a, &r->diags, g, &sel, NOLOC, s, &n);
		for (size_t i = 0; i < n; i++)
			mark[v[i]] = true;
		ok = r->diags.nerrors == before && v;
	}
	free(body);
	free(s);
	return ok;
}

/* the nodes text picks, or NULL after diagnostics; owned */
static bool *
resolve(struct runner *r, const char *opt, const char *text)
{
	const struct graph *g = r->g;
	bool *all = xcalloc(g->n + 1, 1), *acc = xcalloc(g->n + 1, 1), *one = xcalloc(g->n + 1, 1);
	bool ok = true, any = false;
	for (size_t i = 0; text[i];) {
		while (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')
			i++;
		if (!text[i])
			break;
		size_t j = i;
		while (text[j] && text[j] != ' ' && text[j] != '\t' && text[j] != '\n')
			j++;
		/* one term: the intersection of its parts */
		bool first = true;
		for (size_t k = i; k < j;) {
			size_t c = k;
			while (c < j && text[c] != ',')
				c++;
			if (c == k) {
				char *t = xstrndup(text + i, j - i);
				err(r, opt, t, "an empty part between commas");
				free(t);
				ok = false;
			} else {
				memset(one, 0, g->n);
				if (!part(r, opt, text + k, c - k, one))
					ok = false;
				for (size_t x = 0; x < g->n; x++)
					acc[x] = first ? one[x] : acc[x] && one[x];
				first = false;
			}
			k = c < j ? c + 1 : c;
		}
		for (size_t x = 0; x < g->n; x++) {
			all[x] |= acc[x];
			acc[x] = false;
		}
		any = true;
		i = j;
	}
	if (!any) {
		err(r, opt, text, "names nothing");
		ok = false;
	}
	free(acc);
	free(one);
	if (!ok) {
		free(all);
		return NULL;
	}
	return all;
}

/* tests go with what they read */
static void
eager(struct runner *r, bool *mark)
{
	for (size_t i = 0; i < r->n; i++) {
		struct rnode *x = &r->v[i];
		if (x->kind != RK_TEST)
			continue;
		for (size_t j = 0; j < x->ndeps; j++)
			if (mark[r->v[x->deps[j]].gi])
				mark[x->gi] = true;
	}
}

bool
runsel_apply(struct runner *r)
{
	const struct run_options *o = r->o;
	bool *sel = NULL, *ex = NULL;
	if (o->select && !(sel = resolve(r, "--select", o->select)))
		return false;
	if (o->exclude && !(ex = resolve(r, "--exclude", o->exclude))) {
		free(sel);
		return false;
	}
	if (sel)
		eager(r, sel);
	if (ex)
		eager(r, ex);
	for (size_t i = 0; i < r->n; i++) {
		size_t gi = r->v[i].gi;
		r->v[i].selected = (!sel || sel[gi]) && !(ex && ex[gi]);
	}
	free(sel);
	free(ex);
	return true;
}
