/* run.c: `dpc run` and `dpc test` (run.h). Three steps:
 *
 *  1. Collect: one rnode per seed, model, test and source table of the
 *     graph, in dependency order (a test right after what it tests), and
 *     apply the selection (runsel.c).
 *  2. Plan, in that order: render each selected model and test (render.c;
 *     ephemeral models as CTEs), hash the result, and
 *     compare it with the record of the node's last successful build. A
 *     node runs when it was never built, its relation is missing, its
 *     settings or SQL changed, or an upstream relation's data version
 *     changed; otherwise it is up to date. Data versions follow from the
 *     plan: a seed's is the hash of its CSV, a table's or view's the hash
 *     of its SQL, settings and upstream versions, an incremental model's
 *     also chains its previous version; a source table's is the hash of
 *     its rows. So the plan knows every version before anything runs, and
 *     --explain can say why.
 *  3. Execute what runs, in order; a node whose upstream failed (or whose
 *     upstream's test failed) is skipped. Each build swaps its relation in
 *     and writes its record in one transaction (mat.c).
 *
 * A run that ends with everything up to date records what it saw in the
 * warehouse (_dpc_meta 'complete'); the next run with no input changed
 * compares against that without compiling the spec (noop.c). */
#include "run.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jinja.h"
#include "runint.h"

static struct hash
hashstr(const char *s)
{
	return hash_bytes(s, strlen(s));
}

/* dbt's unique_id of a node */
static const char *
uidof(struct runner *r, const struct node *n)
{
	const char *p = r->spec->project;
	switch (n->kind) {
	case N_MODEL: return arena_printf(&r->a, "model.%s.%s", p, n->name);
	case N_SEED: return arena_printf(&r->a, "seed.%s.%s", p, n->name);
	case N_TEST: return arena_printf(&r->a, "test.%s.%s", p, n->name);
	case N_SOURCE: return arena_printf(&r->a, "source.%s.%s", p, n->id + 7);
	case N_TABLE: return arena_printf(&r->a, "source.%s.%s.%s", p, n->apptable->source, n->name);
	case N_EMBEDDING: return arena_printf(&r->a, "source.%s.%s.%s", p, n->embedding->source, n->name);
	default: return n->id;
	}
}

/* the freshness that applies to a source table: its own, or its source's */
static const struct spec_freshness *
freshnessof(const struct node *n)
{
	if (!n->table || !n->source)
		return NULL;
	const struct spec_freshness *f = &n->table->freshness;
	if (f->set)
		return f->disabled ? NULL : f;
	f = &n->source->freshness;
	return f->set && !f->disabled ? f : NULL;
}

/* what shapes a model's build beyond its SQL; a change rebuilds it */
static const char *
configof(struct runner *r, const struct spec_model *m, const char *mat)
{
	if (strcmp(mat, "incremental") != 0)
		return mat;
	struct buf b = {0};
	buf_puts(&b, mat);
	if (m->nunique_key) {
		buf_puts(&b, " unique_key=");
		for (size_t i = 0; i < m->nunique_key; i++)
			buf_printf(&b, "%s%s", i ? "," : "", m->unique_key[i]);
	}
	if (m->incremental_strategy)
		buf_printf(&b, " strategy=%s", m->incremental_strategy);
	if (m->on_schema_change)
		buf_printf(&b, " on_schema_change=%s", m->on_schema_change);
	const char *s = arena_strdup(&r->a, b.data);
	buf_free(&b);
	return s;
}

static void
adddep(struct runner *r, struct rnode *x, size_t d)
{
	for (size_t i = 0; i < x->ndeps; i++)
		if (x->deps[i] == d)
			return;
	size_t *v = arena_array(&r->a, x->ndeps + 1, sizeof(*v));
	if (x->ndeps)
		memcpy(v, x->deps, x->ndeps * sizeof(*v));
	v[x->ndeps++] = d;
	x->deps = v;
}

/* step 1: the nodes dpc run knows, with the relations they are */
static bool
collect(struct runner *r)
{
	const struct graph *g = r->g;
	r->v = xcalloc(g->n + 1, sizeof(*r->v));
	r->byg = xcalloc(g->n + 1, sizeof(*r->byg));
	struct strmap rel = {0}; /* relation name → the rnode that is it */
	bool ok = true;
	for (size_t i = 0; i < g->n; i++) {
		const struct node *n = &g->nodes[i];
		struct rnode x = {.gi = i, .n = n, .label = n->name};
		switch (n->kind) {
		case N_SEED:
			x.kind = RK_SEED, x.mat = x.config = "seed", x.relname = n->name;
			break;
		case N_MODEL:
			x.kind = RK_MODEL;
			x.mat = n->materialized ? n->materialized : "view";
			x.config = configof(r, n->model, x.mat);
			x.disabled = n->model->enabled == 0;
			if (strcmp(x.mat, "ephemeral") != 0)
				x.relname = n->model->alias ? n->model->alias : n->name;
			break;
		case N_TEST:
			x.kind = RK_TEST, x.mat = "test";
			x.severity = n->test ? n->test->severity : n->singular->severity;
			if (!x.severity)
				x.severity = "error";
			x.config = arena_printf(&r->a, "test severity=%s", x.severity);
			break;
		case N_SOURCE:
			x.kind = RK_SOURCE, x.mat = "source";
			x.relname = n->table && n->table->identifier ? n->table->identifier : n->name;
			x.label = n->id + 7;
			x.fresh = freshnessof(n);
			break;
		case N_TABLE:
		case N_EMBEDDING:
			x.kind = RK_SOURCE, x.mat = "source", x.relname = n->name;
			x.label = uidof(r, n) + strlen("source.") + strlen(r->spec->project) + 1;
			break;
		default:
			continue;
		}
		x.uid = uidof(r, n);
		if (x.relname && !x.disabled) {
			x.exists = wh_reltype(&r->wh, x.relname) != NULL;
			const struct rnode *was = strmap_get(&rel, x.relname);
			/* two sources may name one table; anything else would
			 * overwrite another node's relation */
			if (was && !(was->kind == RK_SOURCE && x.kind == RK_SOURCE)) {
				diag_add(&r->diags, SEV_ERROR, NOLOC,
					 "%s and %s are both the relation \"%s\" in %s; give one an alias", was->uid,
					 x.uid, x.relname, r->wh.path);
				ok = false;
			}
		}
		r->v[r->n] = x;
		r->byg[i] = ++r->n;
		if (x.relname && !x.disabled && !strmap_get(&rel, x.relname))
			strmap_put(&rel, x.relname, &r->v[r->n - 1]);
	}
	strmap_free(&rel);
	for (size_t k = 0; k < r->n; k++) {
		struct rnode *x = &r->v[k];
		for (size_t j = 0; j < x->n->ndeps; j++) {
			size_t d = r->byg[x->n->deps[j].to];
			if (d)
				adddep(r, x, d - 1);
		}
	}
	return ok;
}

/* a topological order, iteratively (a chain of 10,000 models must not
 * overflow the stack); each test goes right after the last node it reads */
static void
order(struct runner *r)
{
	size_t n = r->n;
	size_t *post = xcalloc(n + 1, sizeof(size_t)), np = 0;
	unsigned char *state = xcalloc(n + 1, 1); /* 0 new, 1 open, 2 done */
	size_t *stack = xcalloc(n + 1, sizeof(size_t)), *next = xcalloc(n + 1, sizeof(size_t));
	for (size_t s = 0; s < n; s++) {
		if (state[s] || r->v[s].kind == RK_TEST)
			continue;
		size_t top = 0;
		stack[top++] = s;
		state[s] = 1;
		while (top) {
			size_t x = stack[top - 1];
			if (next[x] < r->v[x].ndeps) {
				size_t d = r->v[x].deps[next[x]++];
				if (!state[d] && r->v[d].kind != RK_TEST) {
					state[d] = 1;
					stack[top++] = d;
				}
				continue;
			}
			state[x] = 2;
			post[np++] = x;
			top--;
		}
	}
	size_t *pos = xcalloc(n + 1, sizeof(size_t));
	for (size_t i = 0; i < np; i++)
		pos[post[i]] = i + 1;
	/* tests, by the position of their last input (stable) */
	size_t *after = xcalloc(np + 2, sizeof(size_t)); /* tests after position p: counts */
	for (size_t t = 0; t < n; t++) {
		if (r->v[t].kind != RK_TEST)
			continue;
		size_t m = 0;
		for (size_t j = 0; j < r->v[t].ndeps; j++)
			if (pos[r->v[t].deps[j]] > m)
				m = pos[r->v[t].deps[j]];
		next[t] = m;
		after[m]++;
	}
	size_t *start = xcalloc(np + 2, sizeof(size_t));
	for (size_t p = 0, acc = 0; p <= np; p++) {
		start[p] = acc;
		acc += after[p];
	}
	size_t ntests = 0;
	for (size_t p = 0; p <= np; p++)
		ntests += after[p];
	size_t *tests = xcalloc(ntests + 1, sizeof(size_t));
	for (size_t t = 0; t < n; t++)
		if (r->v[t].kind == RK_TEST)
			tests[start[next[t]]++] = t;
	r->order = xcalloc(n + 1, sizeof(size_t));
	size_t k = 0, ti = 0;
	for (size_t p = 0; p <= np; p++) {
		if (p)
			r->order[k++] = post[p - 1];
		for (size_t c = 0; c < after[p]; c++)
			r->order[k++] = tests[ti++];
	}
	r->norder = k;
	free(post), free(state), free(stack), free(next), free(pos), free(after), free(start), free(tests);
}

/* --- versions ---------------------------------------------------------- */

static const struct hash nohash = {0, 0};

/* the version upstream relation d has for the nodes that read it now */
static struct hash
versionof(struct runner *r, struct rnode *d)
{
	if (d->planned)
		return d->version;
	if (d->kind == RK_MODEL && !d->relname) {
		run_plan_ephemeral(r, d);
		return d->version;
	}
	d->planned = true;
	if (d->kind == RK_SOURCE) {
		d->version = d->exists ? wh_content_hash(&r->wh, d->relname) : nohash;
	} else {
		/* not selected: as it is in the warehouse */
		const struct wh_rec *rec = wh_rec(&r->wh, d->uid);
		d->version = rec && d->relname && wh_reltype(&r->wh, d->relname) ? rec->version : nohash;
	}
	return d->version;
}

static int
cmpline(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "<uid> <version>\n" for every upstream relation, sorted */
static void
upstream(struct runner *r, struct rnode *x)
{
	char **lines = xcalloc(x->ndeps + 1, sizeof(char *));
	for (size_t i = 0; i < x->ndeps; i++) {
		char hex[33];
		hash_hex(versionof(r, &r->v[x->deps[i]]), hex);
		lines[i] = xasprintf("%s %s\n", r->v[x->deps[i]].uid, hex);
	}
	qsort(lines, x->ndeps, sizeof(char *), cmpline);
	struct buf b = {0};
	buf_puts(&b, "");
	for (size_t i = 0; i < x->ndeps; i++) {
		buf_puts(&b, lines[i]);
		free(lines[i]);
	}
	free(lines);
	x->upstream = buf_take(&b);
}

/* the first difference between two upstream lists, in words; NULL when equal */
static const char *
updiff(struct runner *r, const char *old, const char *cur)
{
	if (!old)
		old = "";
	while (*old || *cur) {
		const char *oe = strchr(old, ' '), *ce = strchr(cur, ' ');
		size_t ol = oe ? (size_t)(oe - old) : 0, cl = ce ? (size_t)(ce - cur) : 0;
		int c = !*old ? 1 : !*cur ? -1 : strncmp(old, cur, ol < cl ? ol : cl);
		if (c == 0 && ol != cl)
			c = ol < cl ? -1 : 1;
		if (c < 0)
			return arena_printf(&r->a, "%.*s is no longer upstream", (int)ol, old);
		if (c > 0)
			return arena_printf(&r->a, "%.*s is new upstream", (int)cl, cur);
		const char *on = strchr(old, '\n'), *cn = strchr(cur, '\n');
		if (!on || !cn)
			break;
		if (on - old != cn - cur || memcmp(old, cur, (size_t)(on - old)) != 0)
			return arena_printf(&r->a, "upstream %.*s changed", (int)cl, cur);
		old = on + 1, cur = cn + 1;
	}
	return NULL;
}

static struct hash
chain(struct hash prev, struct hash sql, const char *config, const char *up)
{
	struct hasher h;
	hasher_init(&h);
	hasher_add(&h, &prev, sizeof(prev));
	hasher_add(&h, &sql, sizeof(sql));
	hasher_str(&h, config);
	hasher_str(&h, up);
	return hasher_done(&h);
}

/* --- planning ---------------------------------------------------------- */

void
run_plan_ephemeral(struct runner *r, struct rnode *e)
{
	if (e->planned)
		return;
	e->planned = true; /* a cycle cannot reach here: the compiler refuses them */
	if (render_read(r, e) == 0) {
		char *this_rel = arena_printf(&r->a, "__dbt__cte__%s", e->n->name);
		e->body = render_sql(r, e, this_rel, false);
		if (e->body)
			render_trim(e->body);
	}
	upstream(r, e);
	e->sqlhash = e->body ? hashstr(e->body) : nohash;
	e->version = chain(nohash, e->sqlhash, "ephemeral", e->upstream);
}

/* why a node with record rec runs; NULL when it is up to date */
static const char *
dirty(struct runner *r, struct rnode *x, const struct wh_rec *rec)
{
	if (x->error)
		return x->kind == RK_SEED ? "its CSV cannot be read" : "it cannot be rendered";
	if (r->o->full_refresh)
		return "--full-refresh";
	if (!rec)
		return r->wh.reset ? "the warehouse's records are of another format" : "never built by dpc";
	if (x->relname) {
		const char *type = wh_reltype(&r->wh, x->relname);
		if (!type)
			return "its relation is missing from the warehouse";
		if (strcmp(type, strcmp(x->mat, "view") == 0 ? "view" : "table") != 0)
			return arena_printf(&r->a, "the warehouse holds a %s where a %s belongs", type,
					    strcmp(x->mat, "view") == 0 ? "view" : "table");
	}
	if (!rec->config || strcmp(rec->config, x->config) != 0)
		return arena_printf(&r->a, "its settings changed (%s, was %s)", x->config, rec->config ? rec->config : "none");
	if (!hash_eq(rec->sql, x->sqlhash))
		return x->kind == RK_SEED ? "its CSV changed" : "its SQL changed";
	const char *u = updiff(r, rec->upstream, x->upstream);
	if (u)
		return u;
	if (x->kind == RK_TEST && strcmp(rec->status, "pass") != 0)
		return arena_printf(&r->a, "it did not pass last time (%s)", rec->status);
	return NULL;
}

/* after a node's plan: up to date, or runs */
static void
decide(struct runner *r, struct rnode *x)
{
	const struct wh_rec *rec = wh_rec(&r->wh, x->uid);
	const char *why = r->o->tests_only && x->kind == RK_TEST ? "dpc test runs every selected test"
								   : dirty(r, x, rec);
	if (why) {
		x->run = true;
		x->why = why;
		return;
	}
	x->status = RS_UPTODATE;
	x->why = "up to date";
	x->version = rec->version;
}

static void
plan_seed(struct runner *r, struct rnode *x)
{
	const struct spec_seed *sd = x->n->seed;
	int e = read_beneath(r->o->rootfd, sd->csv, INPUT_MAX_BYTES, &x->text, &x->textlen, NULL);
	if (e)
		x->error = xasprintf("cannot read %s: %s", sd->csv, strerror(e));
	struct hasher h;
	hasher_init(&h);
	hasher_add(&h, x->text ? x->text : "", x->textlen);
	hasher_str(&h, sd->delimiter ? sd->delimiter : ",");
	for (size_t i = 0; i < sd->ncolumns; i++) {
		hasher_str(&h, sd->columns[i].name);
		hasher_str(&h, sd->columns[i].type);
	}
	x->sqlhash = hasher_done(&h);
	x->upstream = xstrdup("");
	decide(r, x);
	if (x->run)
		x->version = x->sqlhash;
}

static void
plan_model(struct runner *r, struct rnode *x)
{
	char *this_rel = NULL;
	struct buf b = {0};
	wh_quote(&b, x->relname);
	this_rel = arena_strdup(&r->a, b.data);
	buf_free(&b);
	if (render_read(r, x) == 0) {
		/* an incremental model is judged by its full rendering: the
		 * increment's SQL differs from the first build's, yet nothing
		 * changed */
		x->body = render_sql(r, x, this_rel, false);
		if (x->body) {
			render_trim(x->body);
			x->sql = render_wrap(r, x, x->body);
		}
	}
	upstream(r, x);
	x->sqlhash = x->sql ? hashstr(x->sql) : nohash;
	decide(r, x);
	if (!x->run)
		return;
	const struct wh_rec *rec = wh_rec(&r->wh, x->uid);
	struct hash prev = nohash;
	if (!x->error && strcmp(x->mat, "incremental") == 0 && !r->o->full_refresh &&
	    wh_reltype(&r->wh, x->relname) && strcmp(wh_reltype(&r->wh, x->relname), "table") == 0 && rec) {
		char *inc = render_sql(r, x, this_rel, true);
		if (inc) {
			render_trim(inc);
			free(x->body);
			free(x->sql);
			x->body = inc;
			x->sql = render_wrap(r, x, inc);
			x->incremental = true;
			prev = rec->version;
		}
	}
	/* a view and a table of the same SQL hold the same data: only an
	 * incremental model's data depends on how it is built */
	x->version = chain(prev, x->sqlhash, strcmp(x->mat, "incremental") == 0 ? x->config : "", x->upstream);
}

static void
plan_test(struct runner *r, struct rnode *x)
{
	/* a test of a source table the warehouse does not have cannot run */
	for (size_t i = 0; i < x->ndeps; i++) {
		struct rnode *d = &r->v[x->deps[i]];
		if (d->kind == RK_SOURCE && !d->exists) {
			x->status = RS_SKIPPED;
			x->absent = true;
			x->message = xasprintf("source table %s is not in %s", d->label, r->wh.path);
			x->why = "its source table is not in the warehouse";
			return;
		}
	}
	if (x->n->test) {
		if (checks_generic_sql(r, x))
			render_trim(x->body);
	} else if (render_read(r, x) == 0 && (x->body = render_sql(r, x, NULL, false))) {
		render_trim(x->body);
	}
	if (x->body)
		x->sql = render_wrap(r, x, x->body);
	upstream(r, x);
	x->sqlhash = x->sql ? hashstr(x->sql) : nohash;
	decide(r, x);
}

static void
plan_source(struct runner *r, struct rnode *x)
{
	if (!x->fresh || r->o->tests_only)
		return;
	if (!x->exists) {
		x->status = RS_SKIPPED;
		x->absent = true;
		x->message = xasprintf("source table %s is not in %s", x->label, r->wh.path);
		x->why = "no freshness check: the table is not in the warehouse";
		return;
	}
	x->run = true;
	x->why = "freshness is checked at every run";
}

static void
plan(struct runner *r)
{
	for (size_t k = 0; k < r->norder; k++) {
		struct rnode *x = &r->v[r->order[k]];
		if (!x->selected || x->disabled)
			continue;
		switch (x->kind) {
		case RK_SOURCE:
			plan_source(r, x);
			break;
		case RK_SEED:
			if (!r->o->tests_only) {
				x->planned = true;
				plan_seed(r, x);
			}
			break;
		case RK_MODEL:
			if (!r->o->tests_only && x->relname) {
				x->planned = true;
				plan_model(r, x);
			}
			break;
		case RK_TEST: {
			/* dbt leaves out the tests of a disabled model */
			bool off = false;
			for (size_t i = 0; i < x->ndeps; i++)
				off |= r->v[x->deps[i]].disabled;
			if (off)
				continue;
			x->planned = true;
			plan_test(r, x);
			break;
		}
		}
		if (x->run)
			x->seq = ++r->nrun;
	}
}

/* --- executing --------------------------------------------------------- */

/* the reason x cannot run because of what it reads, or NULL */
static char *
upstream_failed(struct runner *r, struct rnode *x)
{
	for (size_t i = 0; i < x->ndeps; i++) {
		struct rnode *d = &r->v[x->deps[i]];
		if (d->kind == RK_MODEL && !d->relname && !d->error) {
			char *why = upstream_failed(r, d);
			if (why)
				return why;
		}
		if (d->status == RS_ERROR && d->kind != RK_SOURCE)
			return xasprintf("upstream %s failed", d->uid);
		if (d->status == RS_SKIPPED && d->run)
			return xasprintf("upstream %s was skipped", d->uid);
		if (d->blocked && x->kind != RK_TEST)
			return xasprintf("a test of upstream %s failed", d->uid);
	}
	return NULL;
}

static void
execute(struct runner *r)
{
	bool stop = false;
	for (size_t k = 0; k < r->norder; k++) {
		struct rnode *x = &r->v[r->order[k]];
		if (!x->run)
			continue;
		run_isotime(x->started);
		double t = run_now();
		char *why = NULL;
		if (stop) {
			x->status = RS_SKIPPED;
			x->message = xstrdup("skipped: --fail-fast stopped the run");
		} else if (x->kind != RK_SOURCE && (why = upstream_failed(r, x))) {
			x->status = RS_SKIPPED;
			x->message = why;
		} else if (x->error) {
			x->status = RS_ERROR;
			x->message = xstrdup(x->error);
		} else if (x->kind == RK_SEED) {
			mat_seed(r, x);
		} else if (x->kind == RK_MODEL) {
			mat_model(r, x);
		} else if (x->kind == RK_TEST) {
			checks_run_test(r, x);
		} else {
			checks_run_freshness(r, x);
		}
		x->secs = run_now() - t;
		run_isotime(x->completed);
		report_line(r, x);
		if (x->kind == RK_TEST && x->status == RS_FAIL)
			for (size_t i = 0; i < x->ndeps; i++)
				r->v[x->deps[i]].blocked = true;
		if (r->o->fail_fast && x->kind != RK_SOURCE && (x->status == RS_ERROR || x->status == RS_FAIL))
			stop = true;
	}
}

/* --- the command --------------------------------------------------------- */

static void
runner_free(struct runner *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct rnode *x = &r->v[i];
		free(x->text), free(x->sql), free(x->body), free(x->ephs), free(x->upstream);
		free(x->error), free(x->message);
		wh_sample_free(&x->sample);
	}
	free(r->v), free(r->byg), free(r->order), free(r->macropaths);
	if (r->macros)
		jj_macros_free(r->macros);
	cJSON_Delete(r->vars);
	buf_free(&r->scratch);
	wh_close(&r->wh);
	diag_free(&r->diags);
	arena_free(&r->a);
}

/* a problem before anything ran: to stderr, or into doc */
static int
early(struct runner *r, cJSON *doc, int code, const char *msg)
{
	if (doc) {
		cJSON_AddItemToObject(doc, "run_diagnostics", diag_json(&r->diags));
		if (msg)
			cJSON_AddStringToObject(doc, "error", msg);
	} else {
		diag_print(&r->diags, stderr, r->o->color, 100);
		if (msg)
			fprintf(stderr, "dpc: %s\n", msg);
	}
	return code;
}

static void
uuid4(char out[40])
{
	unsigned char b[16] = {0};
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
			memset(b, 0, sizeof(b));
		close(fd);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	static const char hx[] = "0123456789abcdef";
	size_t k = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hx[b[i] >> 4];
		out[k++] = hx[b[i] & 15];
	}
	out[k] = '\0';
}

int
run_exec(struct compilation *c, struct state *st, const struct run_options *o, cJSON *doc)
{
	struct runner r = {.c = c, .g = c->graph, .spec = c->spec, .o = o, .json = doc != NULL};
	r.t0 = run_now();
	run_isotime(r.started_at);
	uuid4(r.invocation);
	r.diags.root = o->root;
	const struct spec_warehouse *wp = &c->spec->warehouse;
	struct macroset ms = {0};
	int code = 0;
	char *err = NULL;
	if (strcmp(wp->type, "sqlite") != 0) {
		char *m = xasprintf("dpc %s runs on SQLite only, and this spec's warehouse is %s: run the generated "
				    "dbt project (%s) with dbt build",
				    o->tests_only ? "test" : "run", wp->type, c->spec->layout_dbt);
		code = early(&r, doc, 2, m);
		free(m);
		goto out;
	}
	if (o->vars) {
		r.vars = cJSON_Parse(o->vars);
		if (!cJSON_IsObject(r.vars)) {
			code = early(&r, doc, 2, "--vars takes a JSON object, like '{\"start_date\": \"2024-01-01\"}'");
			goto out;
		}
	}
	if (doc)
		cJSON_AddStringToObject(doc, "warehouse", wp->path);
	if (wh_open(&r.wh, o->root, wp->path, &err) != 0) {
		code = early(&r, doc, 1, err);
		goto out;
	}
	state_set_meta(st, "run.warehouse", wp->path);
	if (!collect(&r) || !runsel_apply(&r)) {
		code = early(&r, doc, 2, NULL);
		goto out;
	}
	if (!render_macros(&r, &ms)) {
		code = early(&r, doc, 2, "the macros have errors; nothing was run");
		goto out;
	}
	order(&r);
	plan(&r);
	if (o->explain)
		report_explain(&r);
	/* from here on the warehouse changes: the no-op record no longer holds */
	bool changes = false;
	for (size_t i = 0; i < r.n; i++)
		changes |= r.v[i].run && r.v[i].kind != RK_SOURCE;
	char *old = wh_meta(&r.wh, "complete");
	if (old && changes && wh_set_meta(&r.wh, "complete", NULL, &err) != 0) {
		free(old);
		code = early(&r, doc, 1, err);
		goto out;
	}
	execute(&r);
	/* a run that leaves everything up to date lets the next one be a no-op */
	char *rec = noop_record(&r, st, &ms);
	if (rec && (!old || strcmp(old, rec) != 0)) {
		if (wh_set_meta(&r.wh, "complete", rec, &err) != 0) {
			free(err);
			err = NULL;
		}
	} else if (!rec && old && !changes && !r.o->select && !r.o->exclude) {
		wh_set_meta(&r.wh, "complete", NULL, &err);
		free(err);
		err = NULL;
	}
	free(rec);
	free(old);
	code = report_finish(&r, doc);
	if (report_results_file(o, &r, run_now() - r.t0, &err) != 0) {
		if (doc)
			cJSON_AddStringToObject(doc, "error", err);
		else
			fprintf(stderr, "dpc: %s\n", err);
		code = code ? code : 1;
	}
out:
	for (size_t i = 0; i < ms.n; i++)
		free(ms.paths[i]);
	free(ms.paths);
	free(err);
	runner_free(&r);
	return code;
}

