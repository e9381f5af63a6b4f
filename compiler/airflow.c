/* airflow.c: the Airflow DAG reader (see airflow.h).
 *
 * A small interpreter over the syntax tree. It runs a DAG file's module-level
 * statements the way Python would at import time, but only the part of Python
 * that builds DAGs: names and imports, literals, lists, dicts, strings (f-strings
 * and .format included), function definitions (their bodies run when the
 * reader meets a call of them: @dag and @task_group functions, plain helpers),
 * with-blocks, if-statements with conditions it can evaluate, and for-loops
 * and comprehensions over values it knows (unrolled). Operator classes,
 * TaskFlow functions, TaskGroup, DAG, Label, chain and the dependency
 * operators have their Airflow meaning. A value the reader cannot know is
 * V_UNKNOWN; where one decides what tasks or edges exist, a warning says so at
 * its node, once.
 *
 * Airflow's rules that the output follows:
 *   - a DAG is loaded when it was entered as a context manager (with DAG,
 *     @dag) or is bound to a module-level name when the file ends;
 *   - task ids are prefixed with their task groups' ids (TaskGroup.child_id);
 *     a TaskFlow task whose id is taken gets __1, __2 (get_unique_task_id),
 *     so does a @task_group's group id;
 *   - an edge to a task group goes to its roots, one from it leaves its
 *     leaves (teardowns skipped), computed when the edge is made;
 *   - x >> y and x << y evaluate to y; XComArgs passed to a task are edges.
 *
 * Memory: values, tasks, groups and scopes live in one arena per af_read;
 * the af_file that comes out is plain malloc'd memory, freed by af_file_free.
 * Bounds keep any input cheap: MAX_STEPS statements and loop iterations per
 * file, MAX_ITER iterations per loop, MAX_CALLS nested interpreted calls,
 * MAX_NEST nested expressions. */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "airflow.h"
#include "cron.h"
#include "util.h"

enum {
	MAX_CALLS = 64,     /* nested calls of functions the reader runs */
	MAX_NEST = 256,     /* nested expressions and statements */
	MAX_ITER = 1000,    /* iterations of one unrolled loop */
	MAX_STEPS = 50000,  /* statements and loop iterations for a whole file */
	MAX_TASKS = 100000, /* tasks of a file */
	MAX_EDGES = 200000, /* edges of a file */
	MAX_ITEMS = 100000, /* elements of a list or characters of a string built */
	MAX_WORK = 2000000, /* expressions evaluated, values built, compared and
			       copied for a whole file */
};

enum vk {
	V_UNKNOWN, /* not known statically */
	V_NONE,
	V_BOOL,    /* i */
	V_INT,     /* i */
	V_STR,     /* s */
	V_LIST,    /* items; a list, tuple or set */
	V_DICT,    /* keys, items */
	V_TASK,    /* task; xcom when it is the task's XComArg */
	V_GROUP,   /* grp */
	V_DAG,     /* dag */
	V_LABEL,   /* lab */
	V_NAME,    /* s: a name from outside the file, qualified by its import
		      ("airflow.operators.bash.BashOperator"), or bare when unbound */
	V_FUNC,    /* fn: a function defined in the file, or a TaskFlow function */
	V_CLASS,   /* s: a class defined in the file; i: CLS_* */
	V_METHOD,  /* self.s: a method of a value the reader knows, not yet called */
	V_PARTIAL, /* self: an operator class; kws: its .partial() arguments */
	V_DECO,    /* a decorator made by a call (task(...), dag(...)): i its enum nk,
		      s the TaskFlow operator, kws its arguments */
	V_DELTA,   /* i seconds; exact false when not a whole number of seconds */
	V_DATASET, /* s: the URI, or items: a condition over several */
	V_SCHED,   /* a timetable: s its cron or NULL; items datasets; i 1 for X-or-time */
	V_OBJ,     /* any other object: nothing to report about it */
};

enum { CLS_OPERATOR = 1, CLS_GROUP = 2 };

struct val;

/* a keyword argument: name = value, and the value's expression */
struct kw {
	const char *name;
	struct val *v;
	TSNode node;
};

/* a value; which members mean something depends on k (see enum vk), and
 * every use reads them under a test of k */
struct val {
	enum vk k;
	bool xcom;      /* V_TASK: the task's XComArg (a call result, .output, r["x"]) */
	bool warned;    /* V_UNKNOWN: already reported */
	bool exact;     /* V_DELTA: whole seconds; V_NAME: bare, bound nowhere in the file */
	TSNode node;    /* the expression it came from */
	long long i;
	const char *s;
	union {
		struct {
			struct val **items, **keys;
			size_t n, cap;
		};
		struct {
			struct val *self;
			struct kw *kws;
			size_t nkws;
		};
		struct task *task;
		struct group *grp;
		struct dagb *dag;
		struct func *fn;
		struct label *lab;
	};
};

struct args {
	struct val **pos;
	TSNode *posn;
	size_t npos;
	struct kw *kw;
	size_t nkw;
	bool unknown_splat; /* *x or **x the reader cannot expand */
};

enum fkind { F_PLAIN, F_TASK, F_GROUP, F_DAG, F_OPAQUE /* an unknown decorator */ };

struct param {
	const char *name;
	struct val *def;  /* the default, evaluated at definition, or NULL */
	int kind;         /* 0 plain, 1 *args, 2 **kwargs */
};

struct func {
	enum fkind kind;
	const char *name;
	const char *module;   /* where an imported callable comes from, or NULL */
	TSNode def;           /* the function_definition; null for an import */
	TSNode at;            /* the decorated definition: where it is declared */
	struct scope *closure;
	struct param *params;
	size_t nparams;
	const char *op;       /* F_TASK: "task", "task.branch", ... */
	bool setup, teardown;
	struct kw *kws;       /* decorator and .override() arguments; later ones win */
	size_t nkws;
	struct kw *partial;   /* .partial() arguments */
	size_t npartial;
};

struct task {
	size_t idx;           /* in rd.tasks: the order of creation */
	size_t out;           /* in its DAG's output */
	struct dagb *dag;     /* NULL while not in a DAG */
	struct group *grp;
	const char *id;
	const char *op;
	TSNode at;
	bool mapped, setup, teardown, branch, sensor, multiple_outputs;
	struct val *retries, *retry_delay, *dargs; /* the task's own, or NULL */
	const char *callable, *module, *bash;
	struct kw *args;
	size_t nargs;
	struct task **ups, **downs; /* within-file edges, for group roots and leaves */
	size_t nups, capups, ndowns, capdowns;
	unsigned mark;
};

struct group {
	const char *label;    /* its own group_id */
	const char *id;       /* with its parents' prefixes */
	bool prefix;          /* prefix_group_id */
	bool mapped;
	struct group *parent;
	struct dagb *dag;
	struct val *dargs;
	struct task **tasks;  /* direct members */
	size_t ntasks, captasks;
	struct group **kids;
	size_t nkids, capkids;
};

struct dagb {
	const char *id;
	TSNode at;
	bool entered;         /* used as a context manager: registered by Airflow */
	bool noauto;          /* auto_register=False */
	int gbind;            /* module-level names bound to it */
	enum af_sched kind;
	const char *sched, *cron;
	const char **ds;
	size_t nds, capds;
	const char *start;
	int catchup;
	struct val *dargs;
	struct strmap ids;    /* full task id → struct task */
	struct strmap groups; /* full group id → struct group */
	struct strmap suffix; /* task id without __N → largest N, as uintptr_t */
	size_t ntasks, nedges; /* output counts */
	struct af_dag *outd;
};

struct label {
	const char *text;
	struct val **ups, **downs;
	TSNode *upn, *downn;
	size_t nups, capups, ndowns, capdowns;
};

struct scope {
	struct strmap vars;   /* name → struct val */
	struct strmap global; /* names declared global here */
	struct scope *parent;
	bool captured;        /* a function defined in it keeps it as its closure */
};

enum { FR_DAG, FR_GROUP, FR_SETUP };

struct frame {
	int kind;
	struct dagb *dag;
	struct group *grp;
	struct val *st;       /* FR_SETUP: the setup/teardown tasks */
	size_t first;         /* FR_SETUP: the first task made inside */
};

struct edge {
	struct task *up, *down;
	const char *label;
};

/* the reader: everything one af_read needs */
struct rd {
	struct arena a;
	const struct py_file *pf;
	struct diags *d;
	int32_t file;
	TSTreeCursor cur;
	struct scope *globals, *scope;
	struct scope **scopes;
	size_t nscopes, capscopes;
	struct task **tasks;
	size_t ntasks, captasks;
	struct edge *edges;
	size_t nedges, capedges;
	uint64_t *eset;       /* open addressing: (up idx + 1) << 32 | (down idx + 1) → */
	uint32_t *eidx;       /* the edge's index */
	size_t esetn, esetcap;
	struct dagb **dags;
	size_t ndags, capdags;
	struct frame *fr;
	size_t nfr, capfr;
	struct strmap warned;
	long steps;
	int nest, calls;
	unsigned markgen;
	bool stop, returning, breaking, continuing;
	struct val *retval;
	size_t made;          /* tasks, DAGs and edges made: a change tells that a
				 branch the reader could not decide mattered */
	size_t work;          /* see charge() */
};

static struct val *eval(struct rd *r, TSNode n);
static void exec_block(struct rd *r, TSNode n);
static struct val *call_value(struct rd *r, TSNode at, struct val *callee, struct args *a,
			      bool stmt);

/* ---- small helpers ---- */

static bool is(TSNode n, const char *type)
{
	return !ts_node_is_null(n) && strcmp(ts_node_type(n), type) == 0;
}

/* the child in field name, or a null node (for a null n too: the syntax
 * tree of a broken file may lack what the grammar promises) */
static TSNode field(TSNode n, const char *name)
{
	if (ts_node_is_null(n))
		return n;
	return ts_node_child_by_field_name(n, name, (uint32_t)strlen(name));
}

/* the named children of n other than comments, into the arena */
static TSNode *kids(struct rd *r, TSNode n, size_t *count)
{
	uint32_t cap = ts_node_is_null(n) ? 0 : ts_node_named_child_count(n);
	TSNode *v = arena_array(&r->a, cap ? cap : 1, sizeof *v);
	size_t k = 0;
	*count = 0;
	if (!cap)
		return v;
	ts_tree_cursor_reset(&r->cur, n);
	if (ts_tree_cursor_goto_first_child(&r->cur)) {
		do {
			TSNode c = ts_tree_cursor_current_node(&r->cur);
			if (ts_node_is_named(c) && !is(c, "comment") && k < cap)
				v[k++] = c;
		} while (ts_tree_cursor_goto_next_sibling(&r->cur));
	}
	*count = k;
	return v;
}

static const char *text(struct rd *r, TSNode n)
{
	size_t len;
	const char *t = py_text(r->pf, n, &len);
	return arena_strndup(&r->a, t, len);
}

/* a node's text for a message: one line, at most 48 bytes */
static const char *snip(struct rd *r, TSNode n)
{
	size_t len;
	const char *t = py_text(r->pf, n, &len);
	size_t k = 0;
	while (k < len && t[k] != '\n' && k < 48)
		k++;
	if (k < len)
		return arena_printf(&r->a, "%.*s...", (int)k, t);
	return arena_strndup(&r->a, t, len);
}

static const char *last(const char *q)
{
	const char *p = strrchr(q, '.');
	return p ? p + 1 : q;
}

static bool endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static struct loc nodeloc(struct rd *r, TSNode n)
{
	if (ts_node_is_null(n))
		return (struct loc){r->file, 0, 1};
	uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
	if (a > r->pf->len)
		a = (uint32_t)r->pf->len;
	if (b < a)
		b = a;
	/* underline the first line only */
	const char *nl = memchr(r->pf->text + a, '\n', b - a);
	if (nl)
		b = (uint32_t)(nl - r->pf->text);
	return (struct loc){r->file, a, b > a ? b - a : 1};
}

/* a warning at n, once per place and message */
__attribute__((format(printf, 3, 4))) static void warn(struct rd *r, TSNode n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct loc l = nodeloc(r, n);
	char *key = arena_printf(&r->a, "%" PRIu32 ":%s", l.off, msg);
	if (strmap_get(&r->warned, key))
		return;
	strmap_put(&r->warned, key, key);
	diag_add(r->d, SEV_WARNING, l, "%s", msg);
}

/* count n units of work (an expression evaluated, a value built, compared
 * or copied); past MAX_WORK the reader stops, so that x = x + x in a loop,
 * or a recursion fanning out, costs little */
static bool charge(struct rd *r, size_t n)
{
	if (r->stop)
		return false;
	r->work += n;
	if (r->work <= MAX_WORK)
		return true;
	warn(r, r->pf->root, "the file takes too much work to read statically (values too "
			     "large, loops or calls too many): the rest is not read");
	r->stop = true;
	return false;
}

/* grow an arena array to hold one more element */
static void *agrow(struct rd *r, void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *q = arena_array(&r->a, ncap, size);
	if (n)
		memcpy(q, p, n * size);
	*cap = ncap;
	return q;
}

#define APUSH(r, v, n, cap) ((v) = agrow((r), (v), (n), &(cap), sizeof *(v)), &(v)[(n)++])

/* ---- values ---- */

static struct val *mk(struct rd *r, enum vk k, TSNode node)
{
	struct val *v = arena_alloc(&r->a, sizeof *v);
	v->k = k;
	v->node = node;
	return v;
}

static struct val *unknown(struct rd *r, TSNode node)
{
	return mk(r, V_UNKNOWN, node);
}

static struct val *quiet(struct rd *r, TSNode node)
{
	struct val *v = mk(r, V_UNKNOWN, node);
	v->warned = true;
	return v;
}

static struct val *mkstr(struct rd *r, const char *s, TSNode node)
{
	struct val *v = mk(r, V_STR, node);
	v->s = s;
	return v;
}

static struct val *mkint(struct rd *r, enum vk k, long long i, TSNode node)
{
	struct val *v = mk(r, k, node);
	v->i = i;
	return v;
}

static struct val *mkname(struct rd *r, const char *q, TSNode node)
{
	struct val *v = mk(r, V_NAME, node);
	v->s = q;
	return v;
}

static struct val *mktask(struct rd *r, struct task *t, bool xcom, TSNode node)
{
	struct val *v = mk(r, V_TASK, node);
	v->task = t;
	v->xcom = xcom;
	return v;
}

static void push_item(struct rd *r, struct val *list, struct val *x)
{
	if (list->n >= MAX_ITEMS || !charge(r, 1))
		return;
	*APUSH(r, list->items, list->n, list->cap) = x;
}

static void dict_put(struct rd *r, struct val *d, struct val *key, struct val *x);

static bool same(const struct val *a, const struct val *b)
{
	if ((a->k == V_INT || a->k == V_BOOL) && (b->k == V_INT || b->k == V_BOOL))
		return a->i == b->i;
	if (a->k != b->k)
		return false;
	switch (a->k) {
	case V_NONE:
		return true;
	case V_STR:
		return strcmp(a->s, b->s) == 0;
	case V_TASK:
		return a->task == b->task;
	default:
		return a == b;
	}
}

static struct val *dict_get(const struct val *d, const char *key)
{
	for (size_t i = d->n; i-- > 0;)
		if (d->keys[i]->k == V_STR && strcmp(d->keys[i]->s, key) == 0)
			return d->items[i];
	return NULL;
}

static void dict_put(struct rd *r, struct val *d, struct val *key, struct val *x)
{
	if (!charge(r, d->n + 1))
		return;
	for (size_t i = 0; i < d->n; i++)
		if (same(d->keys[i], key)) {
			d->items[i] = x;
			return;
		}
	if (d->n >= MAX_ITEMS)
		return;
	size_t n = d->n, cap = d->cap;
	*APUSH(r, d->keys, n, cap) = key;
	*APUSH(r, d->items, d->n, d->cap) = x;
}

static struct val *kwget(const struct kw *kws, size_t n, const char *name)
{
	for (size_t i = n; i-- > 0;)
		if (kws[i].name && strcmp(kws[i].name, name) == 0)
			return kws[i].v;
	return NULL;
}

static const struct kw *kwfind(const struct kw *kws, size_t n, const char *name)
{
	for (size_t i = n; i-- > 0;)
		if (kws[i].name && strcmp(kws[i].name, name) == 0)
			return &kws[i];
	return NULL;
}

/* 1 true, 0 false, -1 not known */
static int truth(const struct val *v)
{
	switch (v->k) {
	case V_NONE:
		return 0;
	case V_BOOL:
	case V_INT:
		return v->i != 0;
	case V_STR:
		return v->s[0] != 0;
	case V_LIST:
	case V_DICT:
		return v->n != 0;
	case V_TASK:
	case V_GROUP:
	case V_DAG:
	case V_FUNC:
	case V_CLASS:
	case V_DATASET:
		return 1;
	default:
		return -1;
	}
}

/* str(v), or NULL */
static const char *tostr(struct rd *r, const struct val *v)
{
	switch (v->k) {
	case V_STR:
		return v->s;
	case V_INT:
		return arena_printf(&r->a, "%lld", v->i);
	case V_BOOL:
		return v->i ? "True" : "False";
	case V_NONE:
		return "None";
	default:
		return NULL;
	}
}

static bool is_dep(const struct val *v)
{
	return v->k == V_TASK || v->k == V_GROUP || v->k == V_LABEL;
}

/* ---- scopes ---- */

static struct scope *new_scope(struct rd *r, struct scope *parent)
{
	struct scope *s = arena_alloc(&r->a, sizeof *s);
	s->parent = parent;
	VEC_PUSH(r->scopes, r->nscopes, r->capscopes);
	r->scopes[r->nscopes++] = s;
	return s;
}

static struct val *lookup(struct rd *r, const char *name)
{
	for (struct scope *s = r->scope; s; s = s->parent) {
		struct val *v = strmap_get(&s->vars, name);
		if (v)
			return v;
	}
	return NULL;
}

static void put_var(struct rd *r, struct scope *s, const char *name, struct val *v)
{
	struct val *old = strmap_put(&s->vars, name, v);
	if (s == r->globals) {
		/* Airflow loads the DAGs bound to module-level names at the end */
		if (old && old->k == V_DAG)
			old->dag->gbind--;
		if (v->k == V_DAG)
			v->dag->gbind++;
	}
}

static void bind_name(struct rd *r, const char *name, struct val *v)
{
	struct scope *s = r->scope;
	if (s != r->globals && strmap_get(&s->global, name))
		s = r->globals;
	put_var(r, s, arena_strdup(&r->a, name), v);
}

/* ---- name classes ---- */

/* what a name from outside the file means to the reader */
enum nk {
	N_OTHER,
	N_DAG, N_GROUP, N_LABEL, N_CHAIN, N_CHAIN_LINEAR, N_CROSS,
	N_DATASET, N_DSCOND, N_DELTA, N_ORTIME, N_CRONTT, N_TIMETABLE, N_XCOMARG,
	N_TASKDECO, N_GROUPDECO, N_DAGDECO, N_SETUP, N_TEARDOWN,
	N_OPERATOR,
};

/* from airflow, or a name the file never binds (a star import): bare */
static bool is_af(const char *q, bool bare)
{
	return bare || startswith(q, "airflow.") || startswith(q, "airflow_");
}

static bool operator_like(const char *name)
{
	return isupper((unsigned char)name[0]) &&
	       (strstr(name, "Operator") || strstr(name, "Sensor") ||
		strcmp(name, "ExternalTaskMarker") == 0) &&
	       strcmp(name, "BaseOperator") != 0 && strcmp(name, "BaseSensorOperator") != 0;
}

/* the kind of a V_NAME; for N_TASKDECO, *op is the decorator ("task.branch") */
static enum nk classify(struct rd *r, const struct val *v, const char **op)
{
	static const struct {
		const char *name;
		enum nk kind;
	} names[] = {
		{"DAG", N_DAG}, {"TaskGroup", N_GROUP}, {"Label", N_LABEL}, {"chain", N_CHAIN},
		{"chain_linear", N_CHAIN_LINEAR}, {"cross_downstream", N_CROSS},
		{"Dataset", N_DATASET}, {"Asset", N_DATASET}, {"DatasetAlias", N_DATASET},
		{"AssetAlias", N_DATASET}, {"DatasetAll", N_DSCOND}, {"DatasetAny", N_DSCOND},
		{"AssetAll", N_DSCOND}, {"AssetAny", N_DSCOND},
		{"DatasetOrTimeSchedule", N_ORTIME}, {"AssetOrTimeSchedule", N_ORTIME},
		{"CronTriggerTimetable", N_CRONTT}, {"CronDataIntervalTimetable", N_CRONTT},
		{"XComArg", N_XCOMARG}, {"task", N_TASKDECO}, {"task_group", N_GROUPDECO},
		{"dag", N_DAGDECO}, {"setup", N_SETUP}, {"teardown", N_TEARDOWN},
	};
	const char *q = v->s, *l = last(q);
	*op = NULL;
	if (strcmp(l, "timedelta") == 0 || strcmp(q, "pendulum.duration") == 0)
		return N_DELTA;
	if (is_af(q, v->exact)) {
		for (size_t i = 0; i < LEN(names); i++)
			if (strcmp(l, names[i].name) == 0) {
				if (names[i].kind == N_TASKDECO)
					*op = "task";
				return names[i].kind;
			}
		/* task.branch, task.virtualenv, ...: an attribute of task */
		size_t n = strlen(q), m = strlen(l);
		if (n >= m + 5 && memcmp(q + n - m - 5, "task.", 5) == 0 &&
		    (n == m + 5 || q[n - m - 6] == '.')) {
			*op = arena_printf(&r->a, "task.%s", l);
			return N_TASKDECO;
		}
		if (endswith(l, "Timetable"))
			return N_TIMETABLE;
	}
	if (operator_like(l))
		return N_OPERATOR;
	return N_OTHER;
}

/* ---- DAGs, groups, tasks, edges ---- */

static struct dagb *current_dag(struct rd *r)
{
	for (size_t i = r->nfr; i-- > 0;) {
		if (r->fr[i].kind == FR_DAG)
			return r->fr[i].dag;
		if (r->fr[i].kind == FR_GROUP && r->fr[i].grp->dag)
			return r->fr[i].grp->dag;
	}
	return NULL;
}

/* the innermost task group entered for dag, or NULL (the root) */
static struct group *current_group(struct rd *r, struct dagb *dag)
{
	for (size_t i = r->nfr; i-- > 0;)
		if (r->fr[i].kind == FR_GROUP && r->fr[i].grp->dag == dag)
			return r->fr[i].grp;
	return NULL;
}

static void push_frame(struct rd *r, struct frame f)
{
	VEC_PUSH(r->fr, r->nfr, r->capfr);
	r->fr[r->nfr++] = f;
}

/* TaskGroup.child_id */
static const char *child_id(struct rd *r, struct group *g, const char *label)
{
	if (g && g->prefix && g->id)
		return arena_printf(&r->a, "%s.%s", g->id, label);
	return label;
}

static bool in_mapped_group(const struct group *g)
{
	for (; g; g = g->parent)
		if (g->mapped)
			return true;
	return false;
}

/* "x__3" → "x" and 3; false when id has no such suffix */
static bool split_suffix(const char *id, size_t *core, uintptr_t *n)
{
	const char *p = strrchr(id, '_');
	if (!p || p < id + 2 || p[-1] != '_' || !p[1])
		return false;
	uintptr_t v = 0;
	for (const char *q = p + 1; *q; q++) {
		if (!isdigit((unsigned char)*q) || v > UINT32_MAX)
			return false;
		v = v * 10 + (uintptr_t)(*q - '0');
	}
	*core = (size_t)(p - 1 - id);
	*n = v;
	return true;
}

static void note_suffix(struct rd *r, struct dagb *g, const char *id)
{
	size_t core;
	uintptr_t n;
	if (!split_suffix(id, &core, &n))
		return;
	char *key = arena_strndup(&r->a, id, core);
	uintptr_t old = (uintptr_t)strmap_get(&g->suffix, key);
	if (n > old)
		strmap_put(&g->suffix, key, (void *)n);
}

/* put t into dag under its id; false when the id is taken */
static bool register_task(struct rd *r, struct dagb *g, struct task *t, TSNode at)
{
	struct task *old = strmap_get(&g->ids, t->id);
	if (old && old != t) {
		warn(r, at, "task id '%s' is already used in DAG '%s' (Airflow raises "
			    "DuplicateTaskIdFound)", t->id, g->id);
		return false;
	}
	strmap_put(&g->ids, t->id, t);
	note_suffix(r, g, t->id);
	return true;
}

/* a new task labelled label in dag (or none yet) and group; a TaskFlow task
 * (unique) gets a free __N suffix when its id is taken, an operator whose id
 * is taken is the task already there */
static struct task *new_task(struct rd *r, TSNode at, struct dagb *dag, struct group *grp,
			     const char *label, bool unique)
{
	const char *id = child_id(r, grp, label);
	if (dag) {
		struct task *old = strmap_get(&dag->ids, id);
		if (old && unique) {
			size_t core;
			uintptr_t n;
			const char *base = id, *lbase = label;
			if (split_suffix(id, &core, &n))
				base = arena_strndup(&r->a, id, core);
			if (split_suffix(label, &core, &n))
				lbase = arena_strndup(&r->a, label, core);
			uintptr_t max = (uintptr_t)strmap_get(&dag->suffix, base);
			label = arena_printf(&r->a, "%s__%" PRIuPTR, lbase, max + 1);
			id = child_id(r, grp, label);
		} else if (old) {
			warn(r, at, "task id '%s' is already used in DAG '%s' (Airflow raises "
				    "DuplicateTaskIdFound)", id, dag->id);
			return old;
		}
	}
	if (r->ntasks >= MAX_TASKS) {
		warn(r, at, "more than %d tasks in one file: the rest are not read", MAX_TASKS);
		r->stop = true;
		return NULL;
	}
	struct task *t = arena_alloc(&r->a, sizeof *t);
	t->idx = r->ntasks;
	t->dag = dag;
	t->grp = grp;
	t->id = id;
	t->at = at;
	t->mapped = in_mapped_group(grp);
	VEC_PUSH(r->tasks, r->ntasks, r->captasks);
	r->tasks[r->ntasks++] = t;
	if (dag)
		register_task(r, dag, t, at);
	if (grp)
		*APUSH(r, grp->tasks, grp->ntasks, grp->captasks) = t;
	r->made++;
	return t;
}

static uint64_t pairkey(const struct task *u, const struct task *d)
{
	return ((uint64_t)u->idx + 1) << 32 | ((uint64_t)d->idx + 1);
}

static void eset_grow(struct rd *r)
{
	size_t cap = r->esetcap ? r->esetcap * 2 : 64;
	uint64_t *keys = xcalloc(cap, sizeof *keys);
	uint32_t *idx = xcalloc(cap, sizeof *idx);
	for (size_t i = 0; i < r->esetcap; i++) {
		if (!r->eset[i])
			continue;
		size_t j = (size_t)(r->eset[i] * 0x9E3779B97F4A7C15u >> 20) & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = r->eset[i];
		idx[j] = r->eidx[i];
	}
	free(r->eset);
	free(r->eidx);
	r->eset = keys;
	r->eidx = idx;
	r->esetcap = cap;
}

/* the slot of key in the edge set: its edge, or an empty slot */
static size_t eset_slot(struct rd *r, uint64_t key)
{
	if (2 * (r->esetn + 1) > r->esetcap)
		eset_grow(r);
	size_t j = (size_t)(key * 0x9E3779B97F4A7C15u >> 20) & (r->esetcap - 1);
	while (r->eset[j] && r->eset[j] != key)
		j = (j + 1) & (r->esetcap - 1);
	return j;
}

/* a task joins a DAG when an edge ties it to a task of one (as Airflow's
 * _set_relatives does) */
static void adopt(struct rd *r, struct task *t, struct dagb *g, TSNode at)
{
	t->dag = g;
	register_task(r, g, t, at);
}

static void add_edge(struct rd *r, struct task *u, struct task *d, const char *label, TSNode at)
{
	if (u == d) {
		warn(r, at, "task '%s' is made to depend on itself", u->id);
		return;
	}
	if (u->dag && !d->dag)
		adopt(r, d, u->dag, at);
	else if (d->dag && !u->dag)
		adopt(r, u, d->dag, at);
	else if (u->dag != d->dag) {
		warn(r, at, "'%s' and '%s' are tasks of different DAGs ('%s' and '%s')", u->id,
		     d->id, u->dag->id, d->dag->id);
		return;
	}
	uint64_t key = pairkey(u, d);
	size_t j = eset_slot(r, key);
	if (r->eset[j]) {
		struct edge *e = &r->edges[r->eidx[j]];
		if (label && !e->label)
			e->label = label;
		return;
	}
	if (r->nedges >= MAX_EDGES) {
		warn(r, at, "more than %d dependencies in one file: the rest are not read", MAX_EDGES);
		r->stop = true;
		return;
	}
	r->eset[j] = key;
	r->eidx[j] = (uint32_t)r->nedges;
	r->esetn++;
	VEC_PUSH(r->edges, r->nedges, r->capedges);
	r->edges[r->nedges++] = (struct edge){u, d, label};
	*APUSH(r, u->downs, u->ndowns, u->capdowns) = d;
	*APUSH(r, d->ups, d->nups, d->capups) = u;
	r->made++;
}

/* every task of g and of the groups inside it, marked with a new mark */
static void members(struct rd *r, struct group *g, struct task ***v, size_t *n, size_t *cap,
		    int depth)
{
	if (depth > MAX_NEST)
		return;
	if (!charge(r, g->ntasks + 1))
		return;
	for (size_t i = 0; i < g->ntasks; i++) {
		g->tasks[i]->mark = r->markgen;
		*APUSH(r, *v, *n, *cap) = g->tasks[i];
	}
	for (size_t i = 0; i < g->nkids; i++)
		members(r, g->kids[i], v, n, cap, depth + 1);
}

/* TaskGroup.get_leaves's walk up from a teardown to the first task that is not one */
static void leaf_walk(struct rd *r, struct task *t, struct task ***v, size_t *n, size_t *cap,
		      int depth)
{
	if (depth > MAX_NEST || !charge(r, t->nups + 1))
		return;
	for (size_t i = 0; i < t->nups; i++) {
		struct task *u = t->ups[i];
		if (u->mark != r->markgen)
			continue;
		if (u->teardown)
			leaf_walk(r, u, v, n, cap, depth + 1);
		else if (t->teardown && u->setup)
			continue;
		else
			*APUSH(r, *v, *n, *cap) = u;
	}
}

/* the tasks an edge to (roots) or from (leaves) a task or group attaches to */
static struct task **ends(struct rd *r, struct val *v, bool leaves, size_t *count)
{
	struct task **out = NULL;
	size_t n = 0, cap = 0;
	if (v->k == V_TASK) {
		*count = 1;
		return &v->task;
	}
	struct task **m = NULL;
	size_t nm = 0, capm = 0;
	r->markgen++;
	members(r, v->grp, &m, &nm, &capm, 0);
	for (size_t i = 0; i < nm; i++) {
		struct task *t = m[i];
		bool inner = false;
		struct task **rel = leaves ? t->downs : t->ups;
		size_t nrel = leaves ? t->ndowns : t->nups;
		for (size_t j = 0; j < nrel && !inner; j++)
			inner = rel[j]->mark == r->markgen;
		if (inner)
			continue;
		if (leaves && t->teardown)
			leaf_walk(r, t, &out, &n, &cap, 0);
		else
			*APUSH(r, out, n, cap) = t;
	}
	*count = n;
	return out;
}

/* e lies inside at: an element written in the operand itself, where a
 * warning about it belongs */
static bool within(TSNode e, TSNode at)
{
	return !ts_node_is_null(e) && !ts_node_is_null(at) &&
	       ts_node_start_byte(e) >= ts_node_start_byte(at) &&
	       ts_node_end_byte(e) <= ts_node_end_byte(at);
}

/* the tasks and groups a dependency operand stands for; anything else is
 * reported at its node (or at at, the operand as written) */
static void operands(struct rd *r, struct val *v, TSNode at, struct val ***out, size_t *n,
		     size_t *cap, int depth)
{
	if (v->k == V_TASK || v->k == V_GROUP) {
		*APUSH(r, *out, *n, *cap) = v;
		return;
	}
	if (v->k == V_LIST && depth < 8) {
		for (size_t i = 0; i < v->n; i++) {
			TSNode e = v->items[i]->node;
			operands(r, v->items[i], within(e, at) ? e : at, out, n, cap, depth + 1);
		}
		return;
	}
	if (v->k == V_UNKNOWN && v->warned)
		return;
	if (v->k == V_UNKNOWN || (v->k == V_NAME && v->exact))
		warn(r, at, "'%s' is not a task or task group the reader knows statically: its "
			    "dependencies are not read", snip(r, at));
	else if (v->k == V_DAG)
		warn(r, at, "'%s' is a DAG, not a task: Airflow has no dependency on a DAG",
		     snip(r, at));
	else
		warn(r, at, "'%s' is not a task or task group", snip(r, at));
	v->warned = true;
}

/* edges from every leaf of up to every root of down */
static void link(struct rd *r, struct val *up, TSNode upn, struct val *down, TSNode downn,
		 const char *label)
{
	struct val **us = NULL, **ds = NULL;
	size_t nu = 0, capu = 0, nd = 0, capd = 0;
	operands(r, up, upn, &us, &nu, &capu, 0);
	operands(r, down, downn, &ds, &nd, &capd, 0);
	if (!nu || !nd)
		return;
	struct task ***roots = arena_array(&r->a, nd, sizeof *roots);
	size_t *nroots = arena_array(&r->a, nd, sizeof *nroots);
	for (size_t j = 0; j < nd; j++)
		roots[j] = ends(r, ds[j], false, &nroots[j]);
	for (size_t i = 0; i < nu; i++) {
		size_t nl;
		struct task **leaves = ends(r, us[i], true, &nl);
		for (size_t j = 0; j < nd; j++)
			if (!charge(r, nl * nroots[j]))
				return;
		for (size_t a = 0; a < nl; a++)
			for (size_t j = 0; j < nd; j++)
				for (size_t b = 0; b < nroots[j]; b++)
					add_edge(r, leaves[a], roots[j][b], label, downn);
	}
}

static bool has_label(const struct val *v)
{
	if (v->k != V_LIST)
		return false;
	for (size_t i = 0; i < v->n; i++)
		if (v->items[i]->k == V_LABEL)
			return true;
	return false;
}

/* up runs before down: up >> down, down << up, up.set_downstream(down); a
 * Label between them is the edge's label. shift: written with >> or <<,
 * where two lists are Python's TypeError */
static void dep(struct rd *r, struct val *up, TSNode upn, struct val *down, TSNode downn,
		bool shift)
{
	if (shift && up->k == V_LIST && down->k == V_LIST) {
		warn(r, downn, "a list cannot be shifted into a list (Python raises TypeError): "
			       "no dependency is read here");
		return;
	}
	/* a list with labels in it ([Label("a"), Label("b")] in chain()):
	 * element by element */
	if (has_label(up) || has_label(down)) {
		struct val *l = has_label(up) ? up : down;
		for (size_t i = 0; i < l->n; i++) {
			TSNode e = l->items[i]->node;
			if (l == up)
				dep(r, l->items[i], within(e, upn) ? e : upn, down, downn, false);
			else
				dep(r, up, upn, l->items[i], within(e, downn) ? e : downn, false);
		}
		return;
	}
	/* a label's ups and upn (downs and downn) grow in step: one count */
	if (down->k == V_LABEL) {
		struct label *l = down->lab;
		size_t n = l->nups, cap = l->capups;
		*APUSH(r, l->ups, l->nups, l->capups) = up;
		*APUSH(r, l->upn, n, cap) = upn;
		for (size_t i = 0; i < l->ndowns; i++)
			link(r, up, upn, l->downs[i], l->downn[i], l->text);
		return;
	}
	if (up->k == V_LABEL) {
		struct label *l = up->lab;
		size_t n = l->ndowns, cap = l->capdowns;
		*APUSH(r, l->downs, l->ndowns, l->capdowns) = down;
		*APUSH(r, l->downn, n, cap) = downn;
		for (size_t i = 0; i < l->nups; i++)
			link(r, l->ups[i], l->upn[i], down, downn, l->text);
		return;
	}
	link(r, up, upn, down, downn, NULL);
}

/* the XComArgs inside a task's arguments: each is an edge into t */
static void xcom_deps(struct rd *r, struct val *v, struct task *t, TSNode at, int depth)
{
	if (depth > 8)
		return;
	if (v->k == V_TASK && v->xcom) {
		if (v->task != t)
			add_edge(r, v->task, t, NULL, at);
	} else if (v->k == V_LIST || v->k == V_DICT) {
		for (size_t i = 0; i < v->n; i++)
			xcom_deps(r, v->items[i], t, at, depth + 1);
	}
}

static void xcom_args(struct rd *r, struct args *a, struct task *t, TSNode at)
{
	for (size_t i = 0; i < a->npos; i++)
		xcom_deps(r, a->pos[i], t, at, 0);
	for (size_t i = 0; i < a->nkw; i++)
		xcom_deps(r, a->kw[i].v, t, at, 0);
}

static struct dagb *new_dag(struct rd *r, TSNode at, const char *id)
{
	struct dagb *g = arena_alloc(&r->a, sizeof *g);
	g->id = id;
	g->at = at;
	g->catchup = -1;
	VEC_PUSH(r->dags, r->ndags, r->capdags);
	r->dags[r->ndags++] = g;
	r->made++;
	return g;
}

static struct group *new_group(struct rd *r, TSNode at, const char *label, struct kw *kws,
			       size_t nkws, bool suffix)
{
	struct group *g = arena_alloc(&r->a, sizeof *g);
	struct val *v;
	g->prefix = true;
	if ((v = kwget(kws, nkws, "prefix_group_id")) && truth(v) == 0)
		g->prefix = false;
	struct dagb *dag = current_dag(r);
	if ((v = kwget(kws, nkws, "dag")) && v->k == V_DAG)
		dag = v->dag;
	if ((v = kwget(kws, nkws, "parent_group")) && v->k == V_GROUP)
		g->parent = v->grp;
	else
		g->parent = current_group(r, dag);
	if (!dag && g->parent)
		dag = g->parent->dag;
	if (!dag)
		warn(r, at, "task group '%s' is made outside any DAG (Airflow raises): its tasks "
			    "belong to no DAG", label);
	g->dag = dag;
	if ((v = kwget(kws, nkws, "default_args")) && v->k == V_DICT)
		g->dargs = v;
	const char *base = label;
	for (unsigned k = 1;; k++) {
		g->label = label;
		/* TaskGroup.group_id: prefixed when the parent prefixes */
		g->id = g->parent && g->parent->prefix ? child_id(r, g->parent, label) : label;
		if (!dag || !strmap_get(&dag->groups, g->id))
			break;
		if (!suffix || k > MAX_ITEMS) {
			warn(r, at, "task group id '%s' is already used in DAG '%s' (Airflow raises "
				    "DuplicateTaskIdFound)", g->id, dag->id);
			break;
		}
		label = arena_printf(&r->a, "%s__%u", base, k);
	}
	if (dag)
		strmap_put(&dag->groups, g->id, g);
	if (g->parent)
		*APUSH(r, g->parent->kids, g->parent->nkids, g->parent->capkids) = g;
	return g;
}

/* ---- schedules ---- */

static const char *preset_cron(const char *s)
{
	static const char *const presets[][2] = {
		{"@hourly", "0 * * * *"}, {"@daily", "0 0 * * *"}, {"@midnight", "0 0 * * *"},
		{"@weekly", "0 0 * * 0"}, {"@monthly", "0 0 1 * *"}, {"@quarterly", "0 0 1 */3 *"},
		{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@once", NULL},
		{"@continuous", NULL},
	};
	for (size_t i = 0; i < LEN(presets); i++)
		if (strcmp(s, presets[i][0]) == 0)
			return presets[i][1] ? presets[i][1] : "";
	return NULL;
}

/* a cron with the same runs as a timedelta, when there is one */
static const char *delta_cron(struct rd *r, long long s)
{
	if (s == 7 * 86400)
		return "0 0 * * 0";
	if (s == 86400)
		return "0 0 * * *";
	if (s > 0 && s % 3600 == 0 && 86400 % s == 0)
		return s == 3600 ? "0 * * * *" : arena_printf(&r->a, "0 */%lld * * *", s / 3600);
	if (s > 0 && s % 60 == 0 && 3600 % s == 0)
		return s == 60 ? "* * * * *" : arena_printf(&r->a, "*/%lld * * * *", s / 60);
	return NULL;
}

static bool cron_ok(const char *s)
{
	struct diags scratch = {0};
	bool ok = cron_check(&scratch, NOLOC, s);
	diag_free(&scratch);
	return ok;
}

/* the URIs of a dataset value into g; what is not a dataset is reported */
static void collect_ds(struct rd *r, struct dagb *g, struct val *v, TSNode at, int depth)
{
	if (depth > 16)
		return;
	if (v->k == V_DATASET && v->s) {
		*APUSH(r, g->ds, g->nds, g->capds) = v->s;
	} else if (v->k == V_DATASET || v->k == V_LIST || v->k == V_SCHED) {
		for (size_t i = 0; i < v->n; i++)
			collect_ds(r, g, v->items[i], at, depth + 1);
	} else if (!(v->k == V_UNKNOWN && v->warned)) {
		warn(r, ts_node_is_null(v->node) ? at : v->node,
		     "'%s' is not a dataset the reader knows statically", snip(r, v->node));
	}
}

static bool all_ds(const struct val *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->items[i]->k != V_DATASET && v->items[i]->k != V_UNKNOWN)
			return false;
	return true;
}

static void set_schedule(struct rd *r, struct dagb *g, struct val *v, TSNode at)
{
	TSNode n = ts_node_is_null(v->node) ? at : v->node;
	switch (v->k) {
	case V_NONE:
		g->kind = AF_SCHED_NONE;
		return;
	case V_STR: {
		const char *s = v->s;
		while (isspace((unsigned char)*s))
			s++;
		size_t len = strlen(s);
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		s = arena_strndup(&r->a, s, len);
		g->sched = s;
		if (s[0] == '@') {
			g->kind = AF_SCHED_PRESET;
			const char *c = preset_cron(s);
			if (!c)
				warn(r, n, "'%s' is not a schedule preset Airflow knows", s);
			else if (*c)
				g->cron = c;
		} else {
			g->kind = AF_SCHED_CRON;
			if (cron_ok(s))
				g->cron = s;
			else
				warn(r, n, "schedule '%s' is not a five-field cron expression", s);
		}
		return;
	}
	case V_DELTA:
		g->kind = AF_SCHED_TIMEDELTA;
		g->sched = text(r, n);
		if (v->exact)
			g->cron = delta_cron(r, v->i);
		return;
	case V_DATASET:
		g->kind = AF_SCHED_DATASET;
		g->sched = text(r, n);
		collect_ds(r, g, v, at, 0);
		return;
	case V_LIST:
		if (all_ds(v)) {
			g->kind = AF_SCHED_DATASET;
			g->sched = text(r, n);
			collect_ds(r, g, v, at, 0);
			return;
		}
		break;
	case V_SCHED:
		g->kind = v->i ? AF_SCHED_ASSET_OR_TIME : AF_SCHED_OTHER;
		g->sched = text(r, n);
		g->cron = v->s;
		collect_ds(r, g, v, at, 0);
		return;
	case V_OBJ:
		/* a timetable of the file's own, or some other object */
		g->kind = AF_SCHED_OTHER;
		g->sched = text(r, n);
		return;
	default:
		break;
	}
	g->kind = AF_SCHED_OTHER;
	g->sched = text(r, at);
	if (!(v->k == V_UNKNOWN && v->warned))
		warn(r, at, "schedule '%s' is not readable statically", snip(r, at));
}

/* a retry_delay as seconds ("300"), or the expression as written */
static const char *delay_text(struct rd *r, struct val *v)
{
	if (v->k == V_DELTA && v->exact)
		return arena_printf(&r->a, "%lld", v->i);
	if (v->k == V_INT)
		return arena_printf(&r->a, "%lld", v->i);
	if (ts_node_is_null(v->node))
		return NULL;
	return text(r, v->node);
}

/* DAG(...) or @dag(...)'s arguments */
static struct dagb *make_dag(struct rd *r, TSNode at, struct args *a, const char *fname)
{
	struct val *v = a->npos ? a->pos[0] : NULL;
	TSNode idn = a->npos ? a->posn[0] : at;
	const struct kw *k = kwfind(a->kw, a->nkw, "dag_id");
	if (k)
		v = k->v, idn = k->node;
	const char *id;
	if (v && v->k == V_STR) {
		id = v->s;
	} else if (!v && fname) {
		id = fname;
	} else {
		id = text(r, v ? idn : at);
		warn(r, v ? idn : at, "the DAG id %s is not known statically",
		     v ? snip(r, idn) : "is missing");
	}
	struct dagb *g = new_dag(r, at, id);
	static const char *const skeys[] = {"schedule", "schedule_interval", "timetable"};
	for (size_t i = 0; i < LEN(skeys); i++)
		if ((k = kwfind(a->kw, a->nkw, skeys[i]))) {
			set_schedule(r, g, k->v, k->node);
			break;
		}
	if ((k = kwfind(a->kw, a->nkw, "default_args"))) {
		if (k->v->k == V_DICT)
			g->dargs = k->v;
		else if (k->v->k != V_NONE)
			warn(r, k->node, "default_args '%s' is not a dict the reader knows statically",
			     snip(r, k->node));
	}
	struct val *sd = kwget(a->kw, a->nkw, "start_date");
	if (!sd && g->dargs)
		sd = dict_get(g->dargs, "start_date");
	if (sd && sd->k != V_NONE)
		g->start = sd->k == V_STR ? sd->s : ts_node_is_null(sd->node) ? NULL : text(r, sd->node);
	if ((v = kwget(a->kw, a->nkw, "catchup")) && truth(v) >= 0)
		g->catchup = truth(v);
	if ((v = kwget(a->kw, a->nkw, "auto_register")) && truth(v) == 0)
		g->noauto = true;
	return g;
}

/* ---- tasks from operators and TaskFlow functions ---- */

static void set_callable(struct rd *r, struct task *t, struct val *v)
{
	if (v->k == V_FUNC) {
		t->callable = v->fn->name;
		t->module = v->fn->module;
	} else if (v->k == V_NAME) {
		const char *l = last(v->s);
		t->callable = l;
		if (l != v->s && !v->exact)
			t->module = arena_strndup(&r->a, v->s, (size_t)(l - 1 - v->s));
	} else if (!ts_node_is_null(v->node)) {
		t->callable = text(r, v->node);
	}
}

static void set_common(struct task *t, struct kw *kws, size_t nkws)
{
	struct val *v;
	if ((v = kwget(kws, nkws, "retries")))
		t->retries = v;
	if ((v = kwget(kws, nkws, "retry_delay")))
		t->retry_delay = v;
	if ((v = kwget(kws, nkws, "default_args")) && v->k == V_DICT)
		t->dargs = v;
	if ((v = kwget(kws, nkws, "multiple_outputs")) && truth(v) == 1)
		t->multiple_outputs = true;
}

/* the DAG and group a new task goes to: dag= and task_group= first */
static struct dagb *task_place(struct rd *r, struct kw *kws, size_t nkws, struct group **grp)
{
	struct dagb *dag = current_dag(r);
	const struct kw *k = kwfind(kws, nkws, "dag");
	if (k && k->v->k == V_DAG)
		dag = k->v->dag;
	else if (k && k->v->k != V_NONE && !(k->v->k == V_UNKNOWN && k->v->warned))
		warn(r, k->node, "dag=%s is not a DAG the reader knows statically", snip(r, k->node));
	struct val *g = kwget(kws, nkws, "task_group");
	if (g && g->k == V_GROUP) {
		*grp = g->grp;
		if (!dag)
			dag = g->grp->dag;
	} else {
		*grp = current_group(r, dag);
	}
	return dag;
}

/* Op(task_id=..., ...), or Op.partial(...).expand(...) when mapped */
static struct val *make_operator(struct rd *r, TSNode at, const char *op, struct kw *pkws,
				 size_t npkws, struct args *a, bool mapped)
{
	size_t nkws = npkws + a->nkw;
	struct kw *kws = arena_array(&r->a, nkws ? nkws : 1, sizeof *kws);
	if (npkws)
		memcpy(kws, pkws, npkws * sizeof *kws);
	if (a->nkw)
		memcpy(kws + npkws, a->kw, a->nkw * sizeof *kws);
	const struct kw *k = kwfind(kws, nkws, "task_id");
	if (!k || k->v->k != V_STR) {
		if (k && !(k->v->k == V_UNKNOWN && k->v->warned))
			warn(r, k->node, "task id %s is not known statically: the task is not read",
			     snip(r, k->node));
		else if (!k && a->unknown_splat)
			warn(r, at, "the task id of %s comes from arguments not known statically: "
				    "the task is not read", op);
		else if (!k)
			warn(r, at, "%s has no task_id: the task is not read", op);
		return quiet(r, at);
	}
	struct group *grp;
	struct dagb *dag = task_place(r, kws, nkws, &grp);
	size_t before = r->ntasks;
	struct task *t = new_task(r, at, dag, grp, k->v->s, false);
	if (!t)
		return quiet(r, at);
	if (r->ntasks == before)
		return mktask(r, t, false, at); /* a duplicate: the task already there */
	t->op = last(op);
	t->branch = startswith(t->op, "Branch");
	t->sensor = strstr(t->op, "Sensor") != NULL;
	t->mapped |= mapped;
	t->args = kws;
	t->nargs = nkws;
	set_common(t, kws, nkws);
	struct val *v;
	if ((v = kwget(kws, nkws, "python_callable")))
		set_callable(r, t, v);
	if ((k = kwfind(kws, nkws, "bash_command")))
		t->bash = k->v->k == V_STR ? k->v->s : text(r, k->node);
	for (size_t i = 0; i < npkws; i++)
		xcom_deps(r, pkws[i].v, t, at, 0);
	xcom_args(r, a, t, at);
	return mktask(r, t, false, at);
}

/* the string a @task.bash function returns, when its body says so plainly */
static const char *bash_return(struct rd *r, struct func *fn)
{
	if (ts_node_is_null(fn->def))
		return NULL;
	size_t n;
	TSNode *st = kids(r, field(fn->def, "body"), &n);
	for (size_t i = 0; i < n; i++) {
		if (!is(st[i], "return_statement"))
			continue;
		size_t m;
		TSNode *e = kids(r, st[i], &m);
		char *s = m == 1 ? py_string(r->pf, e[0]) : NULL;
		const char *out = s ? arena_strdup(&r->a, s) : NULL;
		free(s);
		return out;
	}
	return NULL;
}

/* calling a TaskFlow function: a task, and its XComArg as the value */
static struct val *make_taskflow(struct rd *r, TSNode at, struct func *fn, struct args *a,
				 bool mapped)
{
	const struct kw *k = kwfind(fn->kws, fn->nkws, "task_id");
	const char *label = fn->name;
	if (k && k->v->k == V_STR) {
		label = k->v->s;
	} else if (k) {
		if (!(k->v->k == V_UNKNOWN && k->v->warned))
			warn(r, k->node, "task id %s is not known statically: the task is not read",
			     snip(r, k->node));
		return quiet(r, at);
	}
	struct group *grp;
	struct dagb *dag = task_place(r, fn->kws, fn->nkws, &grp);
	struct task *t = new_task(r, at, dag, grp, label, true);
	if (!t)
		return quiet(r, at);
	t->op = fn->op ? fn->op : "task";
	t->setup = fn->setup;
	t->teardown = fn->teardown;
	t->branch = startswith(t->op, "task.branch");
	t->sensor = strcmp(t->op, "task.sensor") == 0;
	t->mapped |= mapped;
	t->callable = fn->name;
	t->module = fn->module;
	t->args = fn->kws;
	t->nargs = fn->nkws;
	set_common(t, fn->kws, fn->nkws);
	if (strcmp(t->op, "task.bash") == 0)
		t->bash = bash_return(r, fn);
	for (size_t i = 0; i < fn->npartial; i++)
		xcom_deps(r, fn->partial[i].v, t, at, 0);
	xcom_args(r, a, t, at);
	return mktask(r, t, true, at);
}

static struct val *run_func(struct rd *r, TSNode at, struct func *fn, struct args *a);

/* calling a @task_group function: its body runs inside a new group */
static struct val *run_group(struct rd *r, TSNode at, struct func *fn, struct args *a, bool mapped)
{
	const struct kw *k = kwfind(fn->kws, fn->nkws, "group_id");
	const char *label = fn->name;
	if (k && k->v->k == V_STR) {
		label = k->v->s;
	} else if (k && k->v->k != V_NONE) {
		if (!(k->v->k == V_UNKNOWN && k->v->warned))
			warn(r, k->node, "task group id %s is not known statically: its tasks are "
				    "not read", snip(r, k->node));
		return quiet(r, at);
	}
	struct group *g = new_group(r, at, label, fn->kws, fn->nkws, true);
	g->mapped = mapped;
	push_frame(r, (struct frame){.kind = FR_GROUP, .grp = g, .dag = g->dag});
	size_t nfr = r->nfr;
	struct val *ret = run_func(r, at, fn, a);
	r->nfr = nfr - 1;
	/* the decorator forwards a returned task so dependencies bind to it */
	if (ret->k == V_TASK || ret->k == V_GROUP || (ret->k == V_LIST && ret->n))
		return ret;
	struct val *v = mk(r, V_GROUP, at);
	v->grp = g;
	return v;
}

/* calling a @dag function: a DAG, with the body run inside it */
static struct val *run_dag(struct rd *r, TSNode at, struct func *fn, struct args *a)
{
	struct args da = {.kw = fn->kws, .nkw = fn->nkws};
	struct dagb *g = make_dag(r, fn->at, &da, fn->name);
	g->entered = true;
	push_frame(r, (struct frame){.kind = FR_DAG, .dag = g});
	size_t nfr = r->nfr;
	run_func(r, at, fn, a);
	r->nfr = nfr - 1;
	struct val *v = mk(r, V_DAG, at);
	v->dag = g;
	return v;
}

/* ---- functions ---- */

static struct func *copy_func(struct rd *r, const struct func *fn)
{
	struct func *c = arena_alloc(&r->a, sizeof *c);
	*c = *fn;
	return c;
}

static struct kw *cat_kws(struct rd *r, const struct kw *a, size_t na, const struct kw *b,
			  size_t nb, size_t *n)
{
	*n = na + nb;
	struct kw *k = arena_array(&r->a, *n ? *n : 1, sizeof *k);
	if (na)
		memcpy(k, a, na * sizeof *k);
	if (nb)
		memcpy(k + na, b, nb * sizeof *k);
	return k;
}

static struct val *funcval(struct rd *r, struct func *fn, TSNode node)
{
	struct val *v = mk(r, V_FUNC, node);
	v->fn = fn;
	return v;
}

/* bind a call's arguments to fn's parameters in scope s */
static void bind_params(struct rd *r, struct scope *s, struct func *fn, struct args *a, TSNode at)
{
	size_t next = 0;
	bool *used = arena_array(&r->a, a->nkw ? a->nkw : 1, sizeof *used);
	for (size_t i = 0; i < fn->nparams; i++) {
		struct param *p = &fn->params[i];
		struct val *v = NULL;
		if (p->kind == 1) {
			v = mk(r, V_LIST, at);
			while (next < a->npos)
				push_item(r, v, a->pos[next++]);
			if (a->unknown_splat)
				v = quiet(r, at);
		} else if (p->kind == 2) {
			v = mk(r, V_DICT, at);
			for (size_t j = 0; j < a->nkw; j++)
				if (!used[j])
					dict_put(r, v, mkstr(r, a->kw[j].name, a->kw[j].node), a->kw[j].v);
			if (a->unknown_splat)
				v = quiet(r, at);
		} else {
			for (size_t j = a->nkw; j-- > 0;)
				if (strcmp(a->kw[j].name, p->name) == 0 && !v) {
					v = a->kw[j].v;
					used[j] = true;
				}
			if (!v && next < a->npos)
				v = a->pos[next++];
			if (!v)
				v = p->def;
			if (!v)
				v = quiet(r, at); /* not passed: Python raises, or ** gave it */
		}
		put_var(r, s, p->name, v);
	}
}

/* run a function of the file: its return value */
static struct val *run_func(struct rd *r, TSNode at, struct func *fn, struct args *a)
{
	if (ts_node_is_null(fn->def))
		return quiet(r, at);
	if (r->calls >= MAX_CALLS) {
		warn(r, at, "calls nested more than %d deep (recursion?): '%s' is not read",
		     MAX_CALLS, fn->name);
		return quiet(r, at);
	}
	struct scope *s = new_scope(r, fn->closure);
	bind_params(r, s, fn, a, at);
	struct scope *saved = r->scope;
	struct val *savedret = r->retval;
	r->scope = s;
	r->retval = NULL;
	r->calls++;
	exec_block(r, field(fn->def, "body"));
	r->calls--;
	struct val *ret = r->retval ? r->retval : mk(r, V_NONE, at);
	if (!s->captured) {
		/* nothing can see the call's names any more: give their table back */
		strmap_free(&s->vars);
		strmap_free(&s->global);
	}
	r->scope = saved;
	r->retval = savedret;
	r->returning = r->breaking = r->continuing = false;
	return ret;
}

/* a decorator applied to a function value */
static struct val *apply_deco(struct rd *r, struct val *deco, struct val *f, TSNode at)
{
	if (f->k != V_FUNC)
		return f;
	struct func *fn = copy_func(r, f->fn);
	const char *op = NULL;
	enum nk kind = N_OTHER;
	struct kw *kws = NULL;
	size_t nkws = 0;
	if (deco->k == V_NAME) {
		kind = classify(r, deco, &op);
	} else if (deco->k == V_DECO) {
		kind = (enum nk)deco->i;
		op = deco->s;
		kws = deco->kws;
		nkws = deco->nkws;
	}
	switch (kind) {
	case N_TASKDECO:
		if (fn->kind != F_TASK) {
			fn->kind = F_TASK;
			fn->op = op;
		}
		break;
	case N_SETUP:
	case N_TEARDOWN:
		if (fn->kind != F_TASK) {
			fn->kind = F_TASK;
			fn->op = "task";
		}
		if (kind == N_SETUP)
			fn->setup = true;
		else
			fn->teardown = true;
		break;
	case N_GROUPDECO:
		fn->kind = F_GROUP;
		break;
	case N_DAGDECO:
		fn->kind = F_DAG;
		fn->at = at;
		break;
	default:
		if (fn->kind == F_PLAIN)
			fn->kind = F_OPAQUE;
		return funcval(r, fn, f->node);
	}
	if (nkws)
		fn->kws = cat_kws(r, kws, nkws, fn->kws, fn->nkws, &fn->nkws);
	return funcval(r, fn, f->node);
}

/* task(fn), task.virtualenv(python_callable=fn), dag(...), task_group("g"):
 * a decorator, or the decorated function when one is given */
static struct val *make_deco(struct rd *r, TSNode at, enum nk kind, const char *op,
			     struct args *a)
{
	struct val *d = mk(r, V_DECO, at);
	d->i = kind;
	d->s = op;
	struct val *target = NULL;
	size_t first = 0;
	if (a->npos && (a->pos[0]->k == V_FUNC || a->pos[0]->k == V_NAME))
		target = a->pos[0], first = 1;
	struct kw *kws = NULL;
	size_t nkws = 0, cap = 0;
	/* @dag("id"), @task_group("g") */
	const char *idname = kind == N_DAGDECO ? "dag_id" : kind == N_GROUPDECO ? "group_id" : NULL;
	if (!first && a->npos && idname)
		*APUSH(r, kws, nkws, cap) = (struct kw){idname, a->pos[0], a->posn[0]};
	for (size_t i = 0; i < a->nkw; i++) {
		if (strcmp(a->kw[i].name, "python_callable") == 0) {
			target = a->kw[i].v;
			continue;
		}
		*APUSH(r, kws, nkws, cap) = a->kw[i];
	}
	d->kws = kws;
	d->nkws = nkws;
	if (!target)
		return d;
	if (target->k == V_NAME) {
		/* an imported callable made a task: task(pkg.mod.fn) */
		struct func *fn = arena_alloc(&r->a, sizeof *fn);
		const char *l = last(target->s);
		fn->name = l;
		if (l != target->s && !target->exact)
			fn->module = arena_strndup(&r->a, target->s, (size_t)(l - 1 - target->s));
		fn->at = at;
		target = funcval(r, fn, target->node);
	}
	return apply_deco(r, d, target, at);
}

/* ---- calls ---- */

static bool involves_dag(const struct val *v, int depth)
{
	if (v->k == V_DAG || v->k == V_TASK || v->k == V_GROUP)
		return true;
	if ((v->k == V_LIST || v->k == V_DICT) && depth < 4)
		for (size_t i = 0; i < v->n; i++)
			if (involves_dag(v->items[i], depth + 1))
				return true;
	return false;
}

/* names whose calls never make tasks, whatever they are given */
static bool harmless(const char *name)
{
	static const char *const names[] = {"print", "pprint", "load_dotenv", "str", "int", "len",
					    "isinstance", "getattr", "hasattr", "repr", "sorted"};
	static const char *const modules[] = {"logging.", "log.", "logger.", "LOG.", "LOGGER.",
					      "_log.", "warnings.", "os.", "sys.", "json.",
					      "time.", "pprint.", "Variable."};
	for (size_t i = 0; i < LEN(names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	for (size_t i = 0; i < LEN(modules); i++)
		if (startswith(name, modules[i]))
			return true;
	return false;
}

/* a call the reader cannot follow: a warning when it may make tasks (it is
 * a statement inside a DAG, or it is handed a DAG, a task or a group) */
static struct val *opaque_call(struct rd *r, TSNode at, struct val *callee, struct args *a,
			       bool stmt)
{
	TSNode fnode = field(at, "function");
	const char *name = text(r, fnode);
	struct val *v = unknown(r, at);
	if (harmless(name))
		return v;
	bool involves = false;
	for (size_t i = 0; i < a->npos && !involves; i++)
		involves = involves_dag(a->pos[i], 0);
	for (size_t i = 0; i < a->nkw && !involves; i++)
		involves = involves_dag(a->kw[i].v, 0);
	if (involves || (stmt && current_dag(r))) {
		if (callee->k == V_NAME)
			warn(r, at, "'%s' is not defined in this file: tasks or dependencies it "
				    "makes are not read", snip(r, fnode));
		else if (callee->k == V_FUNC)
			warn(r, at, "'%s' has a decorator the reader does not know: tasks or "
				    "dependencies it makes are not read", snip(r, fnode));
		else
			warn(r, at, "'%s' cannot be followed statically: tasks or dependencies it "
				    "makes are not read", snip(r, fnode));
		v->warned = true;
	}
	return v;
}

static long long clampll(long long v, long long lo, long long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* range(...) with literal bounds */
static struct val *make_range(struct rd *r, TSNode at, struct args *a)
{
	long long b[3] = {0, 0, 1};
	if (a->npos < 1 || a->npos > 3 || a->nkw)
		return unknown(r, at);
	for (size_t i = 0; i < a->npos; i++)
		if (a->pos[i]->k != V_INT)
			return unknown(r, at);
	if (a->npos == 1)
		b[1] = a->pos[0]->i;
	else
		for (size_t i = 0; i < a->npos; i++)
			b[i] = a->pos[i]->i;
	if (b[2] == 0)
		return unknown(r, at);
	b[0] = clampll(b[0], -1000000000LL, 1000000000LL);
	b[1] = clampll(b[1], -1000000000LL, 1000000000LL);
	struct val *l = mk(r, V_LIST, at);
	for (long long i = b[0]; b[2] > 0 ? i < b[1] : i > b[1]; i += b[2]) {
		if (l->n > MAX_ITER) {
			/* the loop that runs over it says how much it reads */
			push_item(r, l, mkint(r, V_INT, i, at));
			break;
		}
		push_item(r, l, mkint(r, V_INT, i, at));
	}
	return l;
}

/* the items a value iterates over, or NULL */
static struct val *iter_of(struct rd *r, struct val *v)
{
	if (v->k == V_LIST)
		return v;
	if (v->k == V_DICT) {
		struct val *l = mk(r, V_LIST, v->node);
		l->items = v->keys;
		l->n = l->cap = v->n;
		return l;
	}
	if (v->k == V_STR) {
		struct val *l = mk(r, V_LIST, v->node);
		for (const char *p = v->s; *p && l->n < MAX_ITEMS; p++)
			push_item(r, l, mkstr(r, arena_strndup(&r->a, p, 1), v->node));
		return l;
	}
	return NULL;
}

static struct val *call_builtin(struct rd *r, TSNode at, const char *name, struct args *a,
				bool *done)
{
	*done = true;
	struct val *x = a->npos ? a->pos[0] : NULL;
	if (strcmp(name, "range") == 0)
		return make_range(r, at, a);
	if (strcmp(name, "len") == 0 && x && (x = iter_of(r, x)))
		return mkint(r, V_INT, (long long)x->n, at);
	if (strcmp(name, "str") == 0 && x) {
		const char *s = tostr(r, x);
		return s ? mkstr(r, s, at) : unknown(r, at);
	}
	if (strcmp(name, "int") == 0 && x && x->k == V_INT)
		return x;
	if (strcmp(name, "bool") == 0 && x && truth(x) >= 0)
		return mkint(r, V_BOOL, truth(x), at);
	if ((strcmp(name, "list") == 0 || strcmp(name, "tuple") == 0 ||
	     strcmp(name, "set") == 0 || strcmp(name, "sorted") == 0 ||
	     strcmp(name, "reversed") == 0) && x) {
		struct val *it = iter_of(r, x);
		if (!it)
			return unknown(r, at);
		struct val *l = mk(r, V_LIST, at);
		for (size_t i = 0; i < it->n; i++)
			push_item(r, l, it->items[strcmp(name, "reversed") == 0 ? it->n - 1 - i : i]);
		return l;
	}
	if ((strcmp(name, "list") == 0 || strcmp(name, "tuple") == 0) && !x)
		return mk(r, V_LIST, at);
	if (strcmp(name, "dict") == 0 && !x) {
		struct val *d = mk(r, V_DICT, at);
		for (size_t i = 0; i < a->nkw; i++)
			dict_put(r, d, mkstr(r, a->kw[i].name, a->kw[i].node), a->kw[i].v);
		return d;
	}
	if (strcmp(name, "enumerate") == 0 && x && (x = iter_of(r, x))) {
		long long start = a->npos > 1 && a->pos[1]->k == V_INT ? a->pos[1]->i : 0;
		struct val *l = mk(r, V_LIST, at);
		for (size_t i = 0; i < x->n; i++) {
			struct val *t = mk(r, V_LIST, at);
			push_item(r, t, mkint(r, V_INT, start + (long long)i, at));
			push_item(r, t, x->items[i]);
			push_item(r, l, t);
		}
		return l;
	}
	if (strcmp(name, "zip") == 0 && a->npos) {
		size_t n = SIZE_MAX;
		struct val **its = arena_array(&r->a, a->npos, sizeof *its);
		for (size_t i = 0; i < a->npos; i++) {
			if (!(its[i] = iter_of(r, a->pos[i])))
				return unknown(r, at);
			if (its[i]->n < n)
				n = its[i]->n;
		}
		struct val *l = mk(r, V_LIST, at);
		for (size_t j = 0; j < n; j++) {
			struct val *t = mk(r, V_LIST, at);
			for (size_t i = 0; i < a->npos; i++)
				push_item(r, t, its[i]->items[j]);
			push_item(r, l, t);
		}
		return l;
	}
	if (strcmp(name, "globals") == 0 || strcmp(name, "locals") == 0 ||
	    strcmp(name, "vars") == 0 || strcmp(name, "exec") == 0 || strcmp(name, "eval") == 0 ||
	    strcmp(name, "setattr") == 0 || strcmp(name, "__import__") == 0) {
		warn(r, at, "%s() is not read statically: names or tasks it makes are unknown to "
			    "the reader", name);
		return quiet(r, at);
	}
	if (strcmp(name, "print") == 0 || strcmp(name, "isinstance") == 0 ||
	    strcmp(name, "getattr") == 0 || strcmp(name, "hasattr") == 0)
		return quiet(r, at);
	*done = false;
	return NULL;
}

/* timedelta(days, seconds, microseconds, milliseconds, minutes, hours, weeks) */
static struct val *make_delta(struct rd *r, TSNode at, struct args *a)
{
	static const char *const names[] = {"days", "seconds", "microseconds", "milliseconds",
					    "minutes", "hours", "weeks"};
	static const long long unit[] = {86400000000LL, 1000000, 1, 1000, 60000000LL,
					 3600000000LL, 604800000000LL};
	long long us = 0;
	struct val *v = mk(r, V_DELTA, at);
	for (size_t i = 0; i < a->npos + a->nkw; i++) {
		struct val *x = i < a->npos ? a->pos[i] : a->kw[i - a->npos].v;
		size_t u = i;
		if (i >= a->npos) {
			const char *name = a->kw[i - a->npos].name;
			for (u = 0; u < LEN(names) && strcmp(names[u], name) != 0; u++)
				;
		}
		long long m;
		if (u >= LEN(names) || x->k != V_INT || __builtin_mul_overflow(x->i, unit[u], &m) ||
		    __builtin_add_overflow(us, m, &us))
			return mk(r, V_OBJ, at); /* floats, variables: only the text is kept */
	}
	v->exact = us % 1000000 == 0;
	v->i = us / 1000000;
	return v;
}

/* Dataset("s3://a"), Asset("b"), Asset(name=..., uri=...) */
static struct val *make_dataset(struct rd *r, TSNode at, const char *cls, struct args *a)
{
	struct val *uri = kwget(a->kw, a->nkw, "uri"), *name = kwget(a->kw, a->nkw, "name");
	bool asset = startswith(cls, "Asset") && strcmp(cls, "AssetAlias") != 0;
	if (!uri && asset && a->npos > 1)
		uri = a->pos[1];
	if (!name && a->npos)
		name = a->pos[0];
	struct val *v = uri ? uri : name;
	if (!asset && !uri && a->npos)
		v = a->pos[0];
	if (!v || v->k != V_STR) {
		warn(r, at, "the dataset %s is not known statically", snip(r, at));
		return quiet(r, at);
	}
	struct val *d = mk(r, V_DATASET, at);
	d->s = v->s;
	return d;
}

static struct val *label_of(struct rd *r, TSNode at, struct args *a)
{
	struct val *t = a->npos ? a->pos[0] : kwget(a->kw, a->nkw, "label");
	struct val *v = mk(r, V_LABEL, at);
	v->lab = arena_alloc(&r->a, sizeof *v->lab);
	const char *s = t ? tostr(r, t) : NULL;
	if (!s) {
		warn(r, at, "the label %s is not known statically", snip(r, at));
		s = text(r, at);
	}
	v->lab->text = s;
	return v;
}

/* chain(*tasks): Airflow's rules for adjacent pairs */
static void do_chain(struct rd *r, struct args *a)
{
	for (size_t i = 0; i + 1 < a->npos; i++) {
		struct val *u = a->pos[i], *d = a->pos[i + 1];
		TSNode un = a->posn[i], dn = a->posn[i + 1];
		if (is_dep(u) || is_dep(d) || u->k != V_LIST || d->k != V_LIST) {
			dep(r, u, un, d, dn, false);
		} else if (u->n != d->n) {
			warn(r, dn, "chain() pairs adjacent lists element by element: these have %zu "
				    "and %zu elements (Airflow raises)", u->n, d->n);
		} else {
			for (size_t j = 0; j < u->n; j++)
				dep(r, u->items[j], un, d->items[j], dn, false);
		}
	}
}

/* chain_linear(*elements): every task of one to every task of the next */
static void do_chain_linear(struct rd *r, struct args *a)
{
	for (size_t i = 0; i + 1 < a->npos; i++)
		dep(r, a->pos[i], a->posn[i], a->pos[i + 1], a->posn[i + 1], false);
}

static struct val *arg_or_kw(struct args *a, size_t i, const char *name, TSNode *n)
{
	const struct kw *k = kwfind(a->kw, a->nkw, name);
	if (k) {
		*n = k->node;
		return k->v;
	}
	if (i < a->npos) {
		*n = a->posn[i];
		return a->pos[i];
	}
	return NULL;
}

static struct val *call_name(struct rd *r, TSNode at, struct val *callee, struct args *a,
			     bool stmt)
{
	const char *q = callee->s, *op;
	if (callee->exact && !strchr(q, '.')) {
		bool done;
		struct val *v = call_builtin(r, at, q, a, &done);
		if (done)
			return v;
	}
	if (strcmp(q, "itertools.chain") == 0) {
		struct val *l = mk(r, V_LIST, at);
		for (size_t i = 0; i < a->npos; i++) {
			struct val *it = iter_of(r, a->pos[i]);
			if (!it)
				return unknown(r, at);
			for (size_t j = 0; j < it->n; j++)
				push_item(r, l, it->items[j]);
		}
		return l;
	}
	enum nk kind = classify(r, callee, &op);
	switch (kind) {
	case N_DAG: {
		struct dagb *g = make_dag(r, at, a, NULL);
		struct val *v = mk(r, V_DAG, at);
		v->dag = g;
		return v;
	}
	case N_GROUP: {
		TSNode idn;
		struct val *id = arg_or_kw(a, 0, "group_id", &idn);
		if (!id || id->k != V_STR) {
			if (!id || !(id->k == V_UNKNOWN && id->warned))
				warn(r, id ? idn : at, "task group id %s is not known statically: its "
					    "tasks are not read", id ? snip(r, idn) : "(missing)");
			return quiet(r, at);
		}
		struct val *sfx = kwget(a->kw, a->nkw, "add_suffix_on_collision");
		struct val *v = mk(r, V_GROUP, at);
		v->grp = new_group(r, at, id->s, a->kw, a->nkw, sfx && truth(sfx) == 1);
		return v;
	}
	case N_LABEL:
		return label_of(r, at, a);
	case N_CHAIN:
		do_chain(r, a);
		return mk(r, V_NONE, at);
	case N_CHAIN_LINEAR:
		do_chain_linear(r, a);
		return mk(r, V_NONE, at);
	case N_CROSS: {
		TSNode fn, tn;
		struct val *from = arg_or_kw(a, 0, "from_tasks", &fn), *to = arg_or_kw(a, 1, "to_tasks", &tn);
		if (!from || !to)
			return mk(r, V_NONE, at);
		if (from->k == V_LIST)
			for (size_t i = 0; i < from->n; i++)
				dep(r, from->items[i], fn, to, tn, false);
		else
			dep(r, from, fn, to, tn, false);
		return mk(r, V_NONE, at);
	}
	case N_DATASET:
		return make_dataset(r, at, last(q), a);
	case N_DSCOND: {
		struct val *v = mk(r, V_DATASET, at);
		for (size_t i = 0; i < a->npos; i++)
			push_item(r, v, a->pos[i]);
		return v;
	}
	case N_DELTA:
		return make_delta(r, at, a);
	case N_ORTIME: {
		struct val *v = mk(r, V_SCHED, at);
		v->i = 1;
		struct val *tt = kwget(a->kw, a->nkw, "timetable");
		if (tt && tt->k == V_SCHED)
			v->s = tt->s;
		struct val *ds = kwget(a->kw, a->nkw, "datasets");
		if (!ds)
			ds = kwget(a->kw, a->nkw, "assets");
		if (ds)
			push_item(r, v, ds);
		return v;
	}
	case N_CRONTT: {
		struct val *v = mk(r, V_SCHED, at);
		TSNode cn;
		struct val *c = arg_or_kw(a, 0, "cron", &cn);
		if (c && c->k == V_STR && cron_ok(c->s))
			v->s = c->s;
		return v;
	}
	case N_TIMETABLE:
		return mk(r, V_SCHED, at);
	case N_XCOMARG:
		if (a->npos && a->pos[0]->k == V_TASK)
			return mktask(r, a->pos[0]->task, true, at);
		return unknown(r, at);
	case N_TASKDECO:
	case N_GROUPDECO:
	case N_DAGDECO:
	case N_SETUP:
	case N_TEARDOWN:
		return make_deco(r, at, kind, op, a);
	case N_OPERATOR:
		return make_operator(r, at, q, NULL, 0, a, false);
	case N_OTHER:
		break;
	}
	/* an operator of a plugin: a class called with a task_id */
	if (isupper((unsigned char)last(q)[0]) && kwget(a->kw, a->nkw, "task_id"))
		return make_operator(r, at, q, NULL, 0, a, false);
	if (startswith(q, "airflow.") || startswith(q, "pendulum.") || startswith(q, "datetime.") ||
	    strcmp(last(q), "datetime") == 0 || strcmp(last(q), "days_ago") == 0)
		return mk(r, V_OBJ, at);
	return opaque_call(r, at, callee, a, stmt);
}

/* values a str method returns */
static struct val *str_method(struct rd *r, TSNode at, const char *s, const char *m,
			      struct args *a)
{
	struct buf b = {0};
	struct val *out = NULL;
	if (!charge(r, strlen(s) + 1))
		return unknown(r, at);
	if (strcmp(m, "upper") == 0 || strcmp(m, "lower") == 0) {
		char *c = arena_strdup(&r->a, s);
		for (char *p = c; *p; p++)
			*p = (char)(m[0] == 'u' ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
		return mkstr(r, c, at);
	}
	if (strcmp(m, "strip") == 0 && !a->npos) {
		while (isspace((unsigned char)*s))
			s++;
		size_t n = strlen(s);
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		return mkstr(r, arena_strndup(&r->a, s, n), at);
	}
	if (strcmp(m, "replace") == 0 && a->npos == 2 && a->pos[0]->k == V_STR &&
	    a->pos[1]->k == V_STR && a->pos[0]->s[0]) {
		const char *from = a->pos[0]->s, *to = a->pos[1]->s, *p;
		size_t fl = strlen(from);
		while ((p = strstr(s, from)) && b.len < MAX_ITEMS) {
			buf_put(&b, s, (size_t)(p - s));
			buf_puts(&b, to);
			s = p + fl;
		}
		buf_puts(&b, s);
		out = mkstr(r, arena_strdup(&r->a, b.data), at);
	} else if (strcmp(m, "join") == 0 && a->npos == 1 && (out = iter_of(r, a->pos[0]))) {
		struct val *it = out;
		out = NULL;
		buf_puts(&b, "");
		size_t i;
		for (i = 0; i < it->n && it->items[i]->k == V_STR && b.len < MAX_ITEMS; i++)
			buf_printf(&b, "%s%s", i ? s : "", it->items[i]->s);
		if (i == it->n)
			out = mkstr(r, arena_strdup(&r->a, b.data), at);
	} else if (strcmp(m, "format") == 0) {
		size_t next = 0;
		buf_puts(&b, "");
		const char *p = s;
		for (; *p && b.len < MAX_ITEMS; p++) {
			if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
				buf_putc(&b, *p++);
				continue;
			}
			if (*p != '{') {
				buf_putc(&b, *p);
				continue;
			}
			const char *e = strchr(p, '}');
			if (!e)
				break;
			char *key = arena_strndup(&r->a, p + 1, (size_t)(e - p - 1));
			struct val *x = NULL;
			if (!*key)
				x = next < a->npos ? a->pos[next++] : NULL;
			else if (isdigit((unsigned char)*key))
				x = (size_t)atoi(key) < a->npos ? a->pos[atoi(key)] : NULL;
			else
				x = kwget(a->kw, a->nkw, key);
			const char *xs = x ? tostr(r, x) : NULL;
			if (!xs)
				break;
			buf_puts(&b, xs);
			p = e;
		}
		if (!*p)
			out = mkstr(r, arena_strdup(&r->a, b.data), at);
	}
	buf_free(&b);
	return out ? out : unknown(r, at);
}

static struct val *call_method(struct rd *r, TSNode at, struct val *m, struct args *a, bool stmt)
{
	struct val *self = m->self;
	const char *name = m->s;
	TSNode selfn = field(field(at, "function"), "object");
	if (ts_node_is_null(selfn))
		selfn = at; /* a method kept in a variable: f = t.set_downstream */
	if (self->k == V_TASK || self->k == V_GROUP) {
		if (strcmp(name, "set_downstream") == 0 || strcmp(name, "set_upstream") == 0) {
			struct val *em = kwget(a->kw, a->nkw, "edge_modifier");
			const char *label = em && em->k == V_LABEL ? em->lab->text : NULL;
			for (size_t i = 0; i < a->npos; i++) {
				if (name[4] == 'd')
					link(r, self, selfn, a->pos[i], a->posn[i], label);
				else
					link(r, a->pos[i], a->posn[i], self, selfn, label);
			}
			return mk(r, V_NONE, at);
		}
		if (self->k == V_TASK && strcmp(name, "as_setup") == 0) {
			self->task->setup = true;
			return self;
		}
		if (self->k == V_TASK && strcmp(name, "as_teardown") == 0) {
			self->task->teardown = true;
			const struct kw *k = kwfind(a->kw, a->nkw, "setups");
			if (k) {
				struct val **ss = NULL;
				size_t ns = 0, cap = 0;
				operands(r, k->v, k->node, &ss, &ns, &cap, 0);
				for (size_t i = 0; i < ns; i++)
					if (ss[i]->k == V_TASK)
						ss[i]->task->setup = true;
				link(r, k->v, k->node, self, selfn, NULL);
			}
			return self;
		}
		if (self->k == V_TASK && strcmp(name, "map") == 0)
			return mktask(r, self->task, true, at);
		if (self->k == V_TASK && (strcmp(name, "zip") == 0 || strcmp(name, "concat") == 0)) {
			/* an XComArg over several tasks: each is an upstream */
			struct val *l = mk(r, V_LIST, at);
			push_item(r, l, mktask(r, self->task, true, at));
			for (size_t i = 0; i < a->npos; i++)
				push_item(r, l, a->pos[i]);
			return l;
		}
		return mk(r, V_OBJ, at);
	}
	if (self->k == V_FUNC) {
		struct func *fn = self->fn;
		if (strcmp(name, "override") == 0) {
			struct func *c = copy_func(r, fn);
			c->kws = cat_kws(r, fn->kws, fn->nkws, a->kw, a->nkw, &c->nkws);
			return funcval(r, c, at);
		}
		if (strcmp(name, "partial") == 0) {
			struct func *c = copy_func(r, fn);
			c->partial = cat_kws(r, fn->partial, fn->npartial, a->kw, a->nkw, &c->npartial);
			return funcval(r, c, at);
		}
		if (strcmp(name, "expand") == 0 || strcmp(name, "expand_kwargs") == 0) {
			size_t n;
			struct kw *kws = cat_kws(r, fn->partial, fn->npartial, a->kw, a->nkw, &n);
			struct args ma = {.pos = a->pos, .posn = a->posn, .npos = a->npos, .kw = kws,
					  .nkw = n};
			if (fn->kind == F_TASK)
				return make_taskflow(r, at, fn, &ma, true);
			if (fn->kind == F_GROUP) {
				/* each expanded argument stands for its mapped values */
				if (strcmp(name, "expand_kwargs") == 0)
					ma.unknown_splat = true;
				return run_group(r, at, fn, &ma, true);
			}
		}
		return opaque_call(r, at, m, a, stmt);
	}
	if (self->k == V_PARTIAL) {
		if (strcmp(name, "expand") == 0 || strcmp(name, "expand_kwargs") == 0)
			return make_operator(r, at, self->self->s, self->kws, self->nkws, a, true);
		if (strcmp(name, "partial") == 0) {
			struct val *p = mk(r, V_PARTIAL, at);
			p->self = self->self;
			p->kws = cat_kws(r, self->kws, self->nkws, a->kw, a->nkw, &p->nkws);
			return p;
		}
		return unknown(r, at);
	}
	if ((self->k == V_NAME || self->k == V_CLASS) && strcmp(name, "partial") == 0) {
		struct val *p = mk(r, V_PARTIAL, at);
		p->self = self;
		p->kws = a->kw;
		p->nkws = a->nkw;
		return p;
	}
	if (self->k == V_LIST) {
		if (strcmp(name, "append") == 0 && a->npos == 1) {
			push_item(r, self, a->pos[0]);
			return mk(r, V_NONE, at);
		}
		if (strcmp(name, "extend") == 0 && a->npos == 1) {
			struct val *it = iter_of(r, a->pos[0]);
			if (!it) {
				self->k = V_UNKNOWN;
				return mk(r, V_NONE, at);
			}
			size_t n = it->n;
			for (size_t i = 0; i < n; i++)
				push_item(r, self, it->items[i]);
			return mk(r, V_NONE, at);
		}
		if (strcmp(name, "insert") == 0 && a->npos == 2 && self->n < MAX_ITEMS) {
			push_item(r, self, a->pos[1]);
			long long i = a->pos[0]->k == V_INT ? a->pos[0]->i : (long long)self->n;
			size_t at_i = i < 0 ? 0 : (size_t)i >= self->n ? self->n - 1 : (size_t)i;
			memmove(self->items + at_i + 1, self->items + at_i,
				(self->n - 1 - at_i) * sizeof *self->items);
			self->items[at_i] = a->pos[1];
			return mk(r, V_NONE, at);
		}
		return unknown(r, at);
	}
	if (self->k == V_DICT) {
		if ((strcmp(name, "items") == 0 || strcmp(name, "keys") == 0 ||
		     strcmp(name, "values") == 0) && !a->npos) {
			struct val *l = mk(r, V_LIST, at);
			for (size_t i = 0; i < self->n; i++) {
				if (name[0] == 'k') {
					push_item(r, l, self->keys[i]);
				} else if (name[0] == 'v') {
					push_item(r, l, self->items[i]);
				} else {
					struct val *t = mk(r, V_LIST, at);
					push_item(r, t, self->keys[i]);
					push_item(r, t, self->items[i]);
					push_item(r, l, t);
				}
			}
			return l;
		}
		if (strcmp(name, "get") == 0 && a->npos >= 1 && charge(r, self->n)) {
			for (size_t i = self->n; i-- > 0;)
				if (same(self->keys[i], a->pos[0]))
					return self->items[i];
			return a->npos > 1 ? a->pos[1] : mk(r, V_NONE, at);
		}
		if (strcmp(name, "update") == 0) {
			if (a->npos == 1 && a->pos[0]->k == V_DICT)
				for (size_t i = 0; i < a->pos[0]->n; i++)
					dict_put(r, self, a->pos[0]->keys[i], a->pos[0]->items[i]);
			for (size_t i = 0; i < a->nkw; i++)
				dict_put(r, self, mkstr(r, a->kw[i].name, a->kw[i].node), a->kw[i].v);
			return mk(r, V_NONE, at);
		}
		if (strcmp(name, "copy") == 0) {
			struct val *c = mk(r, V_DICT, at);
			for (size_t i = 0; i < self->n; i++)
				dict_put(r, c, self->keys[i], self->items[i]);
			return c;
		}
		return unknown(r, at);
	}
	if (self->k == V_STR)
		return str_method(r, at, self->s, name, a);
	if (self->k == V_DAG) {
		if (strcmp(name, "add_task") == 0 || strcmp(name, "add_tasks") == 0) {
			for (size_t i = 0; i < a->npos; i++) {
				struct val **ts = NULL;
				size_t n = 0, cap = 0;
				operands(r, a->pos[i], a->posn[i], &ts, &n, &cap, 0);
				for (size_t j = 0; j < n; j++)
					if (ts[j]->k == V_TASK && !ts[j]->task->dag)
						adopt(r, ts[j]->task, self->dag, a->posn[i]);
			}
		}
		return mk(r, V_OBJ, at);
	}
	return mk(r, V_OBJ, at);
}

static struct val *call_value(struct rd *r, TSNode at, struct val *callee, struct args *a,
			      bool stmt)
{
	switch (callee->k) {
	case V_METHOD:
		return call_method(r, at, callee, a, stmt);
	case V_NAME:
		return call_name(r, at, callee, a, stmt);
	case V_FUNC:
		switch (callee->fn->kind) {
		case F_TASK:
			return make_taskflow(r, at, callee->fn, a, false);
		case F_GROUP:
			return run_group(r, at, callee->fn, a, false);
		case F_DAG:
			return run_dag(r, at, callee->fn, a);
		case F_PLAIN:
			return run_func(r, at, callee->fn, a);
		case F_OPAQUE:
			break;
		}
		return opaque_call(r, at, callee, a, stmt);
	case V_DECO:
		if (a->npos == 1 && a->pos[0]->k == V_FUNC)
			return apply_deco(r, callee, a->pos[0], at);
		return unknown(r, at);
	case V_CLASS:
		if (callee->i & CLS_OPERATOR)
			return make_operator(r, at, callee->s, NULL, 0, a, false);
		if (callee->i & CLS_GROUP) {
			warn(r, at, "'%s' is a TaskGroup subclass: the tasks it makes are not read",
			     callee->s);
			return quiet(r, at);
		}
		return mk(r, V_OBJ, at);
	case V_UNKNOWN:
		if (callee->warned)
			return quiet(r, at);
		return opaque_call(r, at, callee, a, stmt);
	default:
		return opaque_call(r, at, callee, a, stmt);
	}
}

/* ---- expressions ---- */

static void eval_args(struct rd *r, TSNode n, struct args *a)
{
	memset(a, 0, sizeof *a);
	size_t cp = 0, ck = 0, cpn = 0;
	if (ts_node_is_null(n))
		return;
	if (!is(n, "argument_list")) {
		/* f(x for x in y) */
		*APUSH(r, a->pos, a->npos, cp) = eval(r, n);
		size_t k = 0;
		*APUSH(r, a->posn, k, cpn) = n;
		return;
	}
	size_t nk;
	TSNode *c = kids(r, n, &nk);
	for (size_t i = 0; i < nk; i++) {
		if (is(c[i], "keyword_argument")) {
			TSNode vn = field(c[i], "value");
			struct kw k = {text(r, field(c[i], "name")), eval(r, vn), vn};
			*APUSH(r, a->kw, a->nkw, ck) = k;
		} else if (is(c[i], "list_splat")) {
			size_t m;
			TSNode *in = kids(r, c[i], &m);
			struct val *v = m ? eval(r, in[0]) : unknown(r, c[i]);
			struct val *it = iter_of(r, v);
			if (!it) {
				a->unknown_splat = true;
				continue;
			}
			for (size_t j = 0; j < it->n; j++) {
				size_t np = a->npos;
				*APUSH(r, a->pos, a->npos, cp) = it->items[j];
				*APUSH(r, a->posn, np, cpn) = c[i];
			}
		} else if (is(c[i], "dictionary_splat")) {
			size_t m;
			TSNode *in = kids(r, c[i], &m);
			struct val *v = m ? eval(r, in[0]) : unknown(r, c[i]);
			if (v->k != V_DICT) {
				a->unknown_splat = true;
				continue;
			}
			for (size_t j = 0; j < v->n; j++) {
				if (v->keys[j]->k != V_STR)
					continue;
				struct kw k = {v->keys[j]->s, v->items[j], v->items[j]->node};
				if (ts_node_is_null(k.node))
					k.node = c[i];
				*APUSH(r, a->kw, a->nkw, ck) = k;
			}
		} else {
			size_t np = a->npos;
			*APUSH(r, a->pos, a->npos, cp) = eval(r, c[i]);
			*APUSH(r, a->posn, np, cpn) = c[i];
		}
	}
}

/* write one f-string interpolation: the reader's evaluation of it */
static bool interp(void *ctx, TSNode n, struct buf *b)
{
	struct rd *r = ctx;
	if (!ts_node_is_null(field(n, "format_specifier")))
		return false;
	struct val *v = eval(r, field(n, "expression"));
	TSNode conv = field(n, "type_conversion");
	const char *s = tostr(r, v);
	if (!s)
		return false;
	if (!ts_node_is_null(conv) && py_text_is(r->pf, conv, "!r") && v->k == V_STR)
		buf_printf(b, "'%s'", s);
	else
		buf_puts(b, s);
	return true;
}

static struct val *eval_string(struct rd *r, TSNode n)
{
	char *s = py_fstring(r->pf, n, interp, r);
	if (!s)
		return unknown(r, n);
	struct val *v = mkstr(r, arena_strdup(&r->a, s), n);
	free(s);
	return v;
}

static struct val *eval_int(struct rd *r, TSNode n)
{
	const char *t = text(r, n);
	char digits[64];
	size_t k = 0;
	for (const char *p = t; *p && k + 1 < sizeof digits; p++)
		if (*p != '_')
			digits[k++] = *p;
	digits[k] = 0;
	char *end;
	int base = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X') ? 16 : 10;
	long long v = strtoll(digits, &end, base);
	if (*end || k + 1 >= sizeof digits || v == LLONG_MAX)
		return mk(r, V_OBJ, n);
	return mkint(r, V_INT, v, n);
}

static void bind_target(struct rd *r, TSNode t, struct val *v);

/* a list, tuple or set display; *x inside is expanded when known */
static struct val *eval_list(struct rd *r, TSNode n)
{
	struct val *l = mk(r, V_LIST, n);
	size_t k;
	TSNode *c = kids(r, n, &k);
	for (size_t i = 0; i < k; i++) {
		if (is(c[i], "list_splat") || is(c[i], "parenthesized_list_splat")) {
			size_t m;
			TSNode *in = kids(r, c[i], &m);
			struct val *it = m ? iter_of(r, eval(r, in[0])) : NULL;
			if (!it)
				return unknown(r, n);
			for (size_t j = 0; j < it->n; j++)
				push_item(r, l, it->items[j]);
		} else {
			push_item(r, l, eval(r, c[i]));
		}
	}
	return l;
}

static struct val *eval_dict(struct rd *r, TSNode n)
{
	struct val *d = mk(r, V_DICT, n);
	size_t k;
	TSNode *c = kids(r, n, &k);
	for (size_t i = 0; i < k; i++) {
		if (is(c[i], "pair")) {
			struct val *key = eval(r, field(c[i], "key"));
			struct val *v = eval(r, field(c[i], "value"));
			dict_put(r, d, key, v);
		} else if (is(c[i], "dictionary_splat")) {
			size_t m;
			TSNode *in = kids(r, c[i], &m);
			struct val *x = m ? eval(r, in[0]) : unknown(r, c[i]);
			if (x->k != V_DICT)
				return unknown(r, n);
			for (size_t j = 0; j < x->n; j++)
				dict_put(r, d, x->keys[j], x->items[j]);
		}
	}
	return d;
}

/* the clauses of a comprehension from i on, each binding into the current
 * scope; body's values go to out */
static bool comp_clauses(struct rd *r, TSNode body, TSNode *c, size_t nc, size_t i,
			 struct val *out)
{
	if (r->stop)
		return false;
	if (i == nc) {
		if (is(body, "pair")) {
			struct val *key = eval(r, field(body, "key"));
			dict_put(r, out, key, eval(r, field(body, "value")));
		} else {
			push_item(r, out, eval(r, body));
		}
		return true;
	}
	if (is(c[i], "if_clause")) {
		size_t m;
		TSNode *e = kids(r, c[i], &m);
		int t = m ? truth(eval(r, e[0])) : -1;
		if (t < 0)
			return false;
		return t ? comp_clauses(r, body, c, nc, i + 1, out) : true;
	}
	if (!is(c[i], "for_in_clause"))
		return comp_clauses(r, body, c, nc, i + 1, out); /* the body itself */
	TSNode left = field(c[i], "left"), right = field(c[i], "right");
	struct val *it = iter_of(r, eval(r, right));
	if (!it)
		return false;
	for (size_t j = 0; j < it->n && j < MAX_ITER; j++) {
		if (++r->steps > MAX_STEPS)
			return false;
		bind_target(r, left, it->items[j]);
		if (!comp_clauses(r, body, c, nc, i + 1, out))
			return false;
	}
	return true;
}

static bool has_call(struct rd *r, TSNode n, int depth)
{
	if (is(n, "call"))
		return true;
	if (depth > 32)
		return true;
	size_t k;
	TSNode *c = kids(r, n, &k);
	for (size_t i = 0; i < k; i++)
		if (has_call(r, c[i], depth + 1))
			return true;
	return false;
}

static struct val *eval_comp(struct rd *r, TSNode n)
{
	TSNode body = field(n, "body");
	size_t k;
	TSNode *c = kids(r, n, &k);
	struct val *out = mk(r, is(n, "dictionary_comprehension") ? V_DICT : V_LIST, n);
	struct scope *saved = r->scope;
	r->scope = new_scope(r, saved);
	bool ok = comp_clauses(r, body, c, k, 0, out);
	strmap_free(&r->scope->vars); /* no function can be defined inside */
	r->scope = saved;
	if (ok)
		return out;
	if (has_call(r, body, 0)) {
		warn(r, n, "this comprehension cannot be unrolled statically: tasks it makes are "
			   "not read");
		return quiet(r, n);
	}
	return unknown(r, n);
}

/* x >> y >> z, left to right; the value of a >> b and of a << b is b */
static struct val *eval_shift(struct rd *r, TSNode n)
{
	TSNode *spine = NULL;
	size_t ns = 0, cap = 0;
	while (is(n, "binary_operator")) {
		TSNode op = field(n, "operator");
		if (!is(op, ">>") && !is(op, "<<"))
			break;
		if (++r->steps > MAX_STEPS) {
			r->stop = true;
			return quiet(r, n);
		}
		*APUSH(r, spine, ns, cap) = n;
		n = field(n, "left");
	}
	struct val *cur = eval(r, n);
	TSNode curn = n;
	for (size_t i = ns; i-- > 0;) {
		TSNode right = field(spine[i], "right");
		struct val *v = eval(r, right);
		if (is(field(spine[i], "operator"), ">>"))
			dep(r, cur, curn, v, right, true);
		else
			dep(r, v, right, cur, curn, true);
		cur = v;
		curn = right;
	}
	return cur;
}

static struct val *arith(struct rd *r, TSNode n, const char *op, struct val *x, struct val *y)
{
	long long v;
	if (x->k == V_INT && y->k == V_INT) {
		bool ovf = false;
		if (strcmp(op, "+") == 0)
			ovf = __builtin_add_overflow(x->i, y->i, &v);
		else if (strcmp(op, "-") == 0)
			ovf = __builtin_sub_overflow(x->i, y->i, &v);
		else if (strcmp(op, "*") == 0)
			ovf = __builtin_mul_overflow(x->i, y->i, &v);
		else if ((strcmp(op, "//") == 0 || strcmp(op, "%") == 0) && y->i != 0 &&
			 !(x->i == LLONG_MIN && y->i == -1)) {
			long long q = x->i / y->i, m = x->i % y->i;
			if (m != 0 && ((m < 0) != (y->i < 0)))
				q--, m += y->i; /* Python floors */
			v = op[0] == '%' ? m : q;
		} else
			return unknown(r, n);
		return ovf ? unknown(r, n) : mkint(r, V_INT, v, n);
	}
	if (strcmp(op, "+") == 0 && x->k == V_STR && y->k == V_STR) {
		size_t len = strlen(x->s) + strlen(y->s);
		if (len > MAX_ITEMS || !charge(r, len))
			return unknown(r, n);
		return mkstr(r, arena_printf(&r->a, "%s%s", x->s, y->s), n);
	}
	if (strcmp(op, "+") == 0 && x->k == V_LIST && y->k == V_LIST) {
		struct val *l = mk(r, V_LIST, n);
		for (size_t i = 0; i < x->n; i++)
			push_item(r, l, x->items[i]);
		for (size_t i = 0; i < y->n; i++)
			push_item(r, l, y->items[i]);
		return l;
	}
	if (strcmp(op, "*") == 0 && (x->k == V_LIST || x->k == V_STR) && y->k == V_INT) {
		struct val *l = mk(r, x->k, n);
		long long times = y->i < 0 ? 0 : y->i;
		if (x->k == V_STR) {
			size_t len = strlen(x->s);
			if (len && ((unsigned long long)times > MAX_ITEMS / len ||
				    !charge(r, len * (size_t)times)))
				return unknown(r, n);
			struct buf b = {0};
			buf_puts(&b, "");
			for (long long i = 0; i < times; i++)
				buf_puts(&b, x->s);
			l->s = arena_strdup(&r->a, b.data);
			buf_free(&b);
			return l;
		}
		for (long long i = 0; i < times && l->n < MAX_ITEMS && x->n; i++)
			for (size_t j = 0; j < x->n; j++)
				push_item(r, l, x->items[j]);
		return l;
	}
	if (strcmp(op, "%") == 0 && x->k == V_STR) {
		/* "%s_%d" % (a, b) */
		struct val *args = y->k == V_LIST ? y : NULL;
		size_t next = 0;
		struct buf b = {0};
		buf_puts(&b, "");
		const char *p;
		for (p = x->s; *p; p++) {
			if (*p != '%') {
				buf_putc(&b, *p);
				continue;
			}
			if (p[1] == '%') {
				buf_putc(&b, '%');
				p++;
				continue;
			}
			if (p[1] != 's' && p[1] != 'd' && p[1] != 'i')
				break;
			struct val *a = args ? (next < args->n ? args->items[next] : NULL)
					     : (next == 0 ? y : NULL);
			next++;
			const char *s = a ? tostr(r, a) : NULL;
			if (!s)
				break;
			buf_puts(&b, s);
			p++;
		}
		struct val *out = *p ? unknown(r, n) : mkstr(r, arena_strdup(&r->a, b.data), n);
		buf_free(&b);
		return out;
	}
	if ((strcmp(op, "&") == 0 || strcmp(op, "|") == 0) &&
	    (x->k == V_DATASET || y->k == V_DATASET)) {
		struct val *d = mk(r, V_DATASET, n);
		push_item(r, d, x);
		push_item(r, d, y);
		return d;
	}
	return unknown(r, n);
}

static struct val *eval_binary(struct rd *r, TSNode n)
{
	TSNode op = field(n, "operator");
	if (is(op, ">>") || is(op, "<<"))
		return eval_shift(r, n);
	struct val *x = eval(r, field(n, "left"));
	struct val *y = eval(r, field(n, "right"));
	return arith(r, n, ts_node_type(op), x, y);
}

static struct val *eval_compare(struct rd *r, TSNode n)
{
	size_t k;
	TSNode *c = kids(r, n, &k);
	uint32_t nc = ts_node_child_count(n);
	if (k != 2)
		return unknown(r, n);
	/* the operator: the anonymous children between the operands */
	struct buf b = {0};
	for (uint32_t i = 0; i < nc; i++) {
		TSNode x = ts_node_child(n, i);
		if (!ts_node_is_named(x)) {
			if (b.len)
				buf_putc(&b, ' ');
			buf_puts(&b, ts_node_type(x));
		}
	}
	const char *op = b.data ? arena_strdup(&r->a, b.data) : "";
	buf_free(&b);
	struct val *x = eval(r, c[0]), *y = eval(r, c[1]);
	int t = -1;
	bool known = x->k == V_NONE || x->k == V_BOOL || x->k == V_INT || x->k == V_STR;
	bool yknown = y->k == V_NONE || y->k == V_BOOL || y->k == V_INT || y->k == V_STR;
	if (strcmp(op, "==") == 0 || strcmp(op, "!=") == 0 || strcmp(op, "is") == 0 ||
	    strcmp(op, "is not") == 0) {
		if (known && yknown)
			t = same(x, y);
		else if ((x->k == V_NONE && y->k != V_UNKNOWN) || (y->k == V_NONE && x->k != V_UNKNOWN))
			t = x->k == y->k;
		if (t >= 0 && (op[0] == '!' || strcmp(op, "is not") == 0))
			t = !t;
	} else if (strcmp(op, "in") == 0 || strcmp(op, "not in") == 0) {
		if (y->k == V_STR && x->k == V_STR && charge(r, strlen(y->s)))
			t = strstr(y->s, x->s) != NULL;
		else if ((y->k == V_LIST || y->k == V_DICT) && known && charge(r, y->n)) {
			struct val *it = iter_of(r, y);
			t = 0;
			for (size_t i = 0; i < it->n && !t; i++)
				t = same(it->items[i], x);
		}
		if (t >= 0 && op[0] == 'n')
			t = !t;
	} else if (x->k == V_INT && y->k == V_INT) {
		if (strcmp(op, "<") == 0)
			t = x->i < y->i;
		else if (strcmp(op, "<=") == 0)
			t = x->i <= y->i;
		else if (strcmp(op, ">") == 0)
			t = x->i > y->i;
		else if (strcmp(op, ">=") == 0)
			t = x->i >= y->i;
	}
	return t < 0 ? unknown(r, n) : mkint(r, V_BOOL, t, n);
}

static struct val *eval_attr(struct rd *r, TSNode n)
{
	struct val *o = eval(r, field(n, "object"));
	const char *a = text(r, field(n, "attribute"));
	switch (o->k) {
	case V_NAME: {
		bool method = strcmp(a, "partial") == 0 && operator_like(last(o->s));
		struct val *v = method ? mk(r, V_METHOD, n) : mkname(r, arena_printf(&r->a, "%s.%s", o->s, a), n);
		if (method) {
			v->self = o;
			v->s = a;
		}
		v->exact = method ? false : o->exact;
		return v;
	}
	case V_TASK:
		if (strcmp(a, "output") == 0)
			return mktask(r, o->task, true, n);
		if (strcmp(a, "task_id") == 0 || strcmp(a, "node_id") == 0)
			return mkstr(r, o->task->id, n);
		break;
	case V_GROUP:
		if (strcmp(a, "group_id") == 0)
			return mkstr(r, o->grp->id, n);
		break;
	case V_DAG:
		if (strcmp(a, "dag_id") == 0)
			return mkstr(r, o->dag->id, n);
		break;
	case V_UNKNOWN: {
		struct val *v = unknown(r, n);
		v->warned = o->warned;
		return v;
	}
	default:
		break;
	}
	if (o->k == V_NONE || o->k == V_BOOL || o->k == V_INT || o->k == V_OBJ || o->k == V_DELTA ||
	    o->k == V_DATASET || o->k == V_SCHED || o->k == V_LABEL)
		return mk(r, V_OBJ, n);
	struct val *v = mk(r, V_METHOD, n);
	v->self = o;
	v->s = a;
	return v;
}

static bool is_globals_call(struct rd *r, TSNode n)
{
	if (!is(n, "call"))
		return false;
	TSNode f = field(n, "function");
	if (!is(f, "identifier") || !py_text_is(r->pf, f, "globals"))
		return false;
	return !lookup(r, "globals");
}

static struct val *eval_subscript(struct rd *r, TSNode n)
{
	TSNode on = field(n, "value");
	if (is_globals_call(r, on)) {
		warn(r, n, "a name looked up through globals() is not read statically");
		return quiet(r, n);
	}
	struct val *o = eval(r, on);
	size_t k;
	TSNode *c = kids(r, n, &k);
	/* c[0] is the value; the subscripts follow */
	if (k != 2)
		return o->k == V_TASK ? mktask(r, o->task, true, n) : unknown(r, n);
	if (o->k == V_TASK)
		return mktask(r, o->task, true, n); /* r["key"]: still the task's XComArg */
	if (is(c[1], "slice")) {
		if (o->k != V_LIST)
			return unknown(r, n);
		/* [a:b:c]: the expressions between the colons */
		long long b[3] = {0, (long long)o->n, 1};
		int part = 0;
		uint32_t nc = ts_node_child_count(c[1]);
		for (uint32_t i = 0; i < nc && part < 3; i++) {
			TSNode x = ts_node_child(c[1], i);
			if (!ts_node_is_named(x)) {
				part++;
				continue;
			}
			struct val *v = eval(r, x);
			if (v->k != V_INT)
				return unknown(r, n);
			b[part] = v->i;
		}
		if (b[2] != 1)
			return unknown(r, n);
		for (int i = 0; i < 2; i++) {
			if (b[i] < 0)
				b[i] += (long long)o->n;
			b[i] = clampll(b[i], 0, (long long)o->n);
		}
		struct val *l = mk(r, V_LIST, n);
		for (long long i = b[0]; i < b[1]; i++)
			push_item(r, l, o->items[i]);
		return l;
	}
	struct val *key = eval(r, c[1]);
	if (o->k == V_LIST && key->k == V_INT) {
		long long i = key->i < 0 ? key->i + (long long)o->n : key->i;
		if (i >= 0 && i < (long long)o->n)
			return o->items[i];
		return unknown(r, n);
	}
	if (o->k == V_DICT && charge(r, o->n)) {
		for (size_t i = o->n; i-- > 0;)
			if (same(o->keys[i], key))
				return o->items[i];
		return unknown(r, n);
	}
	if (o->k == V_UNKNOWN) {
		struct val *v = unknown(r, n);
		v->warned = o->warned;
		return v;
	}
	return unknown(r, n);
}

static struct val *eval_call(struct rd *r, TSNode n, bool stmt)
{
	struct val *callee = eval(r, field(n, "function"));
	struct args a;
	eval_args(r, field(n, "arguments"), &a);
	return call_value(r, n, callee, &a, stmt);
}

static struct val *eval_inner(struct rd *r, TSNode n)
{
	const char *t = ts_node_type(n);
	switch (t[0]) {
	case 'a':
		if (strcmp(t, "attribute") == 0)
			return eval_attr(r, n);
		break;
	case 'b':
		if (strcmp(t, "binary_operator") == 0)
			return eval_binary(r, n);
		if (strcmp(t, "boolean_operator") == 0) {
			struct val *x = eval(r, field(n, "left"));
			bool isand = is(field(n, "operator"), "and");
			int tx = truth(x);
			if (tx < 0)
				return unknown(r, n);
			if (isand ? !tx : tx)
				return x;
			return eval(r, field(n, "right"));
		}
		break;
	case 'c':
		if (strcmp(t, "call") == 0)
			return eval_call(r, n, false);
		if (strcmp(t, "concatenated_string") == 0)
			return eval_string(r, n);
		if (strcmp(t, "comparison_operator") == 0)
			return eval_compare(r, n);
		if (strcmp(t, "conditional_expression") == 0) {
			size_t k;
			TSNode *c = kids(r, n, &k);
			if (k != 3)
				return unknown(r, n);
			int tc = truth(eval(r, c[1]));
			if (tc < 0)
				return unknown(r, n);
			return eval(r, tc ? c[0] : c[2]);
		}
		break;
	case 'd':
		if (strcmp(t, "dictionary") == 0)
			return eval_dict(r, n);
		if (strcmp(t, "dictionary_comprehension") == 0)
			return eval_comp(r, n);
		break;
	case 'f':
		if (strcmp(t, "false") == 0)
			return mkint(r, V_BOOL, 0, n);
		if (strcmp(t, "float") == 0)
			return mk(r, V_OBJ, n);
		break;
	case 'g':
		if (strcmp(t, "generator_expression") == 0)
			return eval_comp(r, n);
		break;
	case 'i':
		if (strcmp(t, "identifier") == 0) {
			/* looked up from a buffer: most names are found */
			char buf[128];
			size_t len;
			const char *name = py_text(r->pf, n, &len);
			struct val *v;
			if (len < sizeof buf) {
				memcpy(buf, name, len);
				buf[len] = 0;
				v = lookup(r, buf);
			} else {
				v = lookup(r, text(r, n));
			}
			if (v)
				return v;
			v = mkname(r, text(r, n), n);
			v->exact = true;
			return v;
		}
		if (strcmp(t, "integer") == 0)
			return eval_int(r, n);
		break;
	case 'l':
		if (strcmp(t, "list") == 0)
			return eval_list(r, n);
		if (strcmp(t, "list_comprehension") == 0)
			return eval_comp(r, n);
		if (strcmp(t, "lambda") == 0)
			return mk(r, V_OBJ, n);
		break;
	case 'n':
		if (strcmp(t, "none") == 0)
			return mk(r, V_NONE, n);
		if (strcmp(t, "not_operator") == 0) {
			int tx = truth(eval(r, field(n, "argument")));
			return tx < 0 ? unknown(r, n) : mkint(r, V_BOOL, !tx, n);
		}
		if (strcmp(t, "named_expression") == 0) {
			struct val *v = eval(r, field(n, "value"));
			bind_target(r, field(n, "name"), v);
			return v;
		}
		break;
	case 'p':
		if (strcmp(t, "parenthesized_expression") == 0) {
			size_t k;
			TSNode *c = kids(r, n, &k);
			return k == 1 ? eval(r, c[0]) : unknown(r, n);
		}
		break;
	case 's':
		if (strcmp(t, "string") == 0)
			return eval_string(r, n);
		if (strcmp(t, "subscript") == 0)
			return eval_subscript(r, n);
		if (strcmp(t, "set") == 0)
			return eval_list(r, n);
		if (strcmp(t, "set_comprehension") == 0)
			return eval_comp(r, n);
		break;
	case 't':
		if (strcmp(t, "true") == 0)
			return mkint(r, V_BOOL, 1, n);
		if (strcmp(t, "tuple") == 0)
			return eval_list(r, n);
		break;
	case 'u':
		if (strcmp(t, "unary_operator") == 0) {
			struct val *x = eval(r, field(n, "argument"));
			if (x->k == V_INT && is(field(n, "operator"), "-") && x->i != LLONG_MIN)
				return mkint(r, V_INT, -x->i, n);
			if (x->k == V_INT && is(field(n, "operator"), "+"))
				return x;
			return unknown(r, n);
		}
		break;
	case 'e':
		if (strcmp(t, "expression_list") == 0)
			return eval_list(r, n);
		break;
	}
	return unknown(r, n);
}

static struct val *eval(struct rd *r, TSNode n)
{
	if (ts_node_is_null(n) || r->stop || !charge(r, 1))
		return quiet(r, n);
	if (r->nest >= MAX_NEST) {
		warn(r, n, "expression nested more than %d deep: not read", MAX_NEST);
		return quiet(r, n);
	}
	r->nest++;
	struct val *v = eval_inner(r, n);
	r->nest--;
	return v;
}

/* ---- statements ---- */

static void bind_target(struct rd *r, TSNode t, struct val *v)
{
	if (is(t, "identifier")) {
		bind_name(r, text(r, t), v);
	} else if (is(t, "pattern_list") || is(t, "tuple_pattern") || is(t, "list_pattern") ||
		   is(t, "tuple") || is(t, "list")) {
		size_t k;
		TSNode *c = kids(r, t, &k);
		struct val *it = iter_of(r, v);
		bool fits = it && it->n == k;
		for (size_t i = 0; i < k; i++) {
			if (is(c[i], "list_splat_pattern")) {
				fits = false; /* a, *rest = ...: not worth the bookkeeping */
				it = NULL;
			}
		}
		for (size_t i = 0; i < k; i++) {
			TSNode ti = c[i];
			if (is(ti, "list_splat_pattern")) {
				size_t m;
				TSNode *in = kids(r, ti, &m);
				if (m)
					bind_target(r, in[0], unknown(r, ti));
				continue;
			}
			bind_target(r, ti, fits ? it->items[i] : unknown(r, ti));
		}
	} else if (is(t, "subscript")) {
		TSNode on = field(t, "value");
		if (is_globals_call(r, on)) {
			/* globals()[name] = value: a DAG bound this way is loaded */
			if (v->k == V_DAG)
				v->dag->gbind++;
			else if (v->k != V_TASK)
				warn(r, t, "a name bound through globals() is not read statically");
			return;
		}
		struct val *o = eval(r, on);
		size_t k;
		TSNode *c = kids(r, t, &k);
		if (k != 2)
			return;
		struct val *key = eval(r, c[1]);
		if (o->k == V_DICT) {
			dict_put(r, o, key, v);
		} else if (o->k == V_LIST && key->k == V_INT) {
			long long i = key->i < 0 ? key->i + (long long)o->n : key->i;
			if (i >= 0 && i < (long long)o->n)
				o->items[i] = v;
		}
	} else if (is(t, "parenthesized_expression")) {
		size_t k;
		TSNode *c = kids(r, t, &k);
		if (k == 1)
			bind_target(r, c[0], v);
	}
	/* attributes (dag.doc_md = ...) change nothing the reader reports */
}

/* left = right, and a = b = right: the value bound */
static struct val *exec_assign(struct rd *r, TSNode n)
{
	TSNode right = field(n, "right");
	if (ts_node_is_null(right))
		return NULL; /* x: int */
	struct val *v = is(right, "assignment") ? exec_assign(r, right) : eval(r, right);
	if (!v)
		return NULL;
	bind_target(r, field(n, "left"), v);
	return v;
}

static void exec_augassign(struct rd *r, TSNode n)
{
	TSNode left = field(n, "left");
	struct val *x = eval(r, left);
	struct val *y = eval(r, field(n, "right"));
	TSNode op = field(n, "operator");
	if (is(op, "+=") && x->k == V_LIST) {
		/* list += iterable extends the list itself */
		struct val *it = iter_of(r, y);
		if (it) {
			size_t m = it->n;
			for (size_t i = 0; i < m; i++)
				push_item(r, x, it->items[i]);
			return;
		}
	}
	if (is(op, ">>=") || is(op, "<<=")) {
		bind_target(r, left, unknown(r, n));
		return;
	}
	char bin[4] = {0};
	size_t len;
	const char *t = py_text(r->pf, op, &len);
	if (len >= 2 && len <= 3) {
		memcpy(bin, t, len - 1);
		bind_target(r, left, arith(r, n, bin, x, y));
	} else {
		bind_target(r, left, unknown(r, n));
	}
}

/* a dotted_name's text without blanks */
static const char *dotted(struct rd *r, TSNode n)
{
	const char *t = text(r, n);
	char *o = arena_strdup(&r->a, t), *p = o;
	for (; *t; t++)
		if (!isspace((unsigned char)*t) && *t != '\\')
			*p++ = *t;
	*p = 0;
	return o;
}

static void exec_import(struct rd *r, TSNode n)
{
	size_t k;
	TSNode *c = kids(r, n, &k);
	if (is(n, "import_statement")) {
		for (size_t i = 0; i < k; i++) {
			if (is(c[i], "aliased_import")) {
				const char *q = dotted(r, field(c[i], "name"));
				bind_name(r, text(r, field(c[i], "alias")), mkname(r, q, c[i]));
			} else if (is(c[i], "dotted_name")) {
				/* import a.b binds a */
				const char *q = dotted(r, c[i]);
				const char *dot = strchr(q, '.');
				const char *root = dot ? arena_strndup(&r->a, q, (size_t)(dot - q)) : q;
				bind_name(r, root, mkname(r, root, c[i]));
			}
		}
		return;
	}
	TSNode mod = field(n, "module_name");
	const char *m = dotted(r, mod);
	for (size_t i = 0; i < k; i++) {
		if (ts_node_eq(c[i], mod))
			continue;
		const char *sep = m[strlen(m) - 1] == '.' ? "" : ".";
		if (is(c[i], "aliased_import")) {
			const char *name = dotted(r, field(c[i], "name"));
			bind_name(r, text(r, field(c[i], "alias")),
				  mkname(r, arena_printf(&r->a, "%s%s%s", m, sep, name), c[i]));
		} else if (is(c[i], "dotted_name")) {
			const char *name = dotted(r, c[i]);
			bind_name(r, name, mkname(r, arena_printf(&r->a, "%s%s%s", m, sep, name), c[i]));
		}
	}
}

static void def_params(struct rd *r, struct func *fn, TSNode params)
{
	size_t k, cap = 0;
	TSNode *c = kids(r, params, &k);
	for (size_t i = 0; i < k; i++) {
		struct param p = {0};
		TSNode x = c[i];
		if (is(x, "typed_parameter")) {
			size_t m;
			TSNode *in = kids(r, x, &m);
			if (!m)
				continue;
			x = in[0];
		}
		if (is(x, "identifier")) {
			p.name = text(r, x);
		} else if (is(x, "default_parameter") || is(x, "typed_default_parameter")) {
			p.name = text(r, field(x, "name"));
			p.def = eval(r, field(x, "value"));
		} else if (is(x, "list_splat_pattern") || is(x, "dictionary_splat_pattern")) {
			size_t m;
			TSNode *in = kids(r, x, &m);
			if (!m)
				continue;
			p.name = text(r, in[0]);
			p.kind = is(x, "list_splat_pattern") ? 1 : 2;
		} else {
			continue; /* * and / separators */
		}
		*APUSH(r, fn->params, fn->nparams, cap) = p;
	}
}

static void exec_def(struct rd *r, TSNode def, TSNode *decos, size_t ndecos, TSNode at)
{
	struct func *fn = arena_alloc(&r->a, sizeof *fn);
	fn->name = text(r, field(def, "name"));
	fn->def = def;
	fn->at = at;
	fn->closure = r->scope;
	r->scope->captured = true;
	/* decorators are evaluated before the defaults, then applied bottom up */
	struct val **dv = arena_array(&r->a, ndecos ? ndecos : 1, sizeof *dv);
	for (size_t i = 0; i < ndecos; i++) {
		size_t m;
		TSNode *e = kids(r, decos[i], &m);
		dv[i] = m ? eval(r, e[0]) : quiet(r, decos[i]);
	}
	def_params(r, fn, field(def, "parameters"));
	struct val *v = funcval(r, fn, at);
	for (size_t i = ndecos; i-- > 0;)
		v = apply_deco(r, dv[i], v, at);
	bind_name(r, fn->name, v);
}

static void exec_class(struct rd *r, TSNode def)
{
	struct val *v = mk(r, V_CLASS, def);
	v->s = text(r, field(def, "name"));
	TSNode sup = field(def, "superclasses");
	if (!ts_node_is_null(sup)) {
		struct args a;
		eval_args(r, sup, &a);
		for (size_t i = 0; i < a.npos; i++) {
			struct val *b = a.pos[i];
			if (b->k == V_CLASS)
				v->i |= b->i;
			else if (b->k == V_NAME && (operator_like(last(b->s)) ||
						    strcmp(last(b->s), "BaseOperator") == 0 ||
						    strcmp(last(b->s), "BaseSensorOperator") == 0))
				v->i |= CLS_OPERATOR;
			else if (b->k == V_NAME && strcmp(last(b->s), "TaskGroup") == 0)
				v->i |= CLS_GROUP;
		}
	}
	bind_name(r, v->s, v);
}

/* the setup and teardown tasks a with-item names, or NULL */
static struct val *setup_ctx(struct rd *r, struct val *v)
{
	struct val **ts = NULL;
	size_t n = 0, cap = 0;
	if (v->k == V_TASK) {
		*APUSH(r, ts, n, cap) = v;
	} else if (v->k == V_LIST) {
		for (size_t i = 0; i < v->n; i++)
			if (v->items[i]->k == V_TASK)
				*APUSH(r, ts, n, cap) = v->items[i];
	}
	bool any = false;
	for (size_t i = 0; i < n; i++)
		any |= ts[i]->task->setup || ts[i]->task->teardown;
	if (!any)
		return NULL;
	struct val *l = mk(r, V_LIST, v->node);
	l->items = ts;
	l->n = n;
	l->cap = cap;
	return l;
}

/* with s >> t: tasks made inside run after the setups and before the
 * teardowns of the context (those named and those joined to them) */
static void close_setup(struct rd *r, struct frame *f)
{
	struct task **setups = NULL, **teardowns = NULL;
	size_t ns = 0, capns = 0, nt = 0, capnt = 0;
	for (size_t i = 0; i < f->st->n; i++) {
		struct task *t = f->st->items[i]->task;
		if (t->setup) {
			*APUSH(r, setups, ns, capns) = t;
			for (size_t j = 0; j < t->ndowns; j++)
				if (t->downs[j]->teardown)
					*APUSH(r, teardowns, nt, capnt) = t->downs[j];
		}
		if (t->teardown) {
			*APUSH(r, teardowns, nt, capnt) = t;
			for (size_t j = 0; j < t->nups; j++)
				if (t->ups[j]->setup)
					*APUSH(r, setups, ns, capns) = t->ups[j];
		}
	}
	r->markgen++;
	for (size_t i = f->first; i < r->ntasks; i++)
		r->tasks[i]->mark = r->markgen;
	for (size_t i = f->first; i < r->ntasks; i++) {
		struct task *t = r->tasks[i];
		bool up = false, down = false;
		for (size_t j = 0; j < t->nups; j++)
			up |= t->ups[j]->mark == r->markgen;
		for (size_t j = 0; j < t->ndowns; j++)
			down |= t->downs[j]->mark == r->markgen;
		if (!up)
			for (size_t j = 0; j < ns; j++)
				add_edge(r, setups[j], t, NULL, t->at);
		if (!down)
			for (size_t j = 0; j < nt; j++)
				add_edge(r, t, teardowns[j], NULL, t->at);
	}
}

static void exec_with(struct rd *r, TSNode n)
{
	size_t nfr = r->nfr;
	size_t k;
	TSNode *c = kids(r, n, &k);
	for (size_t i = 0; i < k; i++) {
		if (!is(c[i], "with_clause"))
			continue;
		size_t m;
		TSNode *items = kids(r, c[i], &m);
		for (size_t j = 0; j < m; j++) {
			TSNode e = field(items[j], "value"), alias = {{0}, NULL, NULL};
			if (is(e, "as_pattern")) {
				alias = field(e, "alias");
				size_t q;
				TSNode *in = kids(r, e, &q);
				e = q ? in[0] : e;
				if (!ts_node_is_null(alias)) {
					TSNode *an = kids(r, alias, &q);
					alias = q ? an[0] : alias;
				}
			}
			struct val *v = eval(r, e), *st;
			if (v->k == V_DAG) {
				if (!v->dag->noauto)
					v->dag->entered = true;
				push_frame(r, (struct frame){.kind = FR_DAG, .dag = v->dag});
			} else if (v->k == V_GROUP) {
				push_frame(r, (struct frame){.kind = FR_GROUP, .grp = v->grp,
							     .dag = v->grp->dag});
			} else if ((st = setup_ctx(r, v))) {
				push_frame(r, (struct frame){.kind = FR_SETUP, .st = st,
							     .first = r->ntasks});
			}
			if (!ts_node_is_null(alias))
				bind_target(r, alias, v);
		}
	}
	exec_block(r, field(n, "body"));
	while (r->nfr > nfr) {
		struct frame *f = &r->fr[--r->nfr];
		if (f->kind == FR_SETUP)
			close_setup(r, f);
	}
}

static void exec_for(struct rd *r, TSNode n)
{
	TSNode left = field(n, "left"), right = field(n, "right");
	struct val *v = eval(r, right);
	struct val *it = iter_of(r, v);
	if (!it) {
		if (!(v->k == V_UNKNOWN && v->warned))
			warn(r, right, "the loop over '%s' cannot be unrolled statically: tasks and "
				       "dependencies it makes are not read", snip(r, right));
		return;
	}
	size_t n_it = it->n;
	if (n_it > MAX_ITER) {
		warn(r, right, "the loop over '%s' runs more than %d times: only the first %d are "
			       "read", snip(r, right), MAX_ITER, MAX_ITER);
		n_it = MAX_ITER;
	}
	TSNode body = field(n, "body");
	bool broke = false;
	for (size_t i = 0; i < n_it && !r->stop; i++) {
		if (++r->steps > MAX_STEPS) {
			r->stop = true;
			warn(r, n, "the file takes more than %d steps to read: the rest is not read",
			     MAX_STEPS);
			return;
		}
		bind_target(r, left, it->items[i]);
		exec_block(r, body);
		r->continuing = false;
		if (r->breaking) {
			r->breaking = false;
			broke = true;
			break;
		}
		if (r->returning)
			return;
	}
	TSNode alt = field(n, "alternative");
	if (!broke && !ts_node_is_null(alt))
		exec_block(r, field(alt, "body"));
}

static void exec_if(struct rd *r, TSNode n)
{
	size_t made = r->made;
	TSNode ucond = {{0}, NULL, NULL};
	size_t k;
	TSNode *c = kids(r, n, &k);
	/* the if's own condition and block, then elif and else clauses */
	TSNode cond = field(n, "condition"), body = field(n, "consequence");
	size_t i = 0;
	for (;;) {
		if (r->returning || r->breaking || r->continuing || r->stop)
			break;
		if (!ts_node_is_null(cond)) {
			int t = truth(eval(r, cond));
			if (t < 0 && ts_node_is_null(ucond))
				ucond = cond;
			if (t != 0)
				exec_block(r, body);
			if (t == 1)
				break;
		} else {
			exec_block(r, body);
			break;
		}
		/* the next clause */
		cond = (TSNode){{0}, NULL, NULL};
		body = cond;
		for (; i < k; i++) {
			if (is(c[i], "elif_clause")) {
				cond = field(c[i], "condition");
				body = field(c[i], "consequence");
				i++;
				break;
			}
			if (is(c[i], "else_clause")) {
				body = field(c[i], "body");
				i++;
				break;
			}
		}
		if (ts_node_is_null(body))
			break;
	}
	if (!ts_node_is_null(ucond) && r->made != made)
		warn(r, ucond, "the condition '%s' is not known statically: the tasks and "
			       "dependencies of every branch are read", snip(r, ucond));
}

static void exec_stmt(struct rd *r, TSNode n)
{
	if (++r->steps > MAX_STEPS) {
		if (!r->stop)
			warn(r, n, "the file takes more than %d steps to read: the rest is not read",
			     MAX_STEPS);
		r->stop = true;
		return;
	}
	if (r->nest >= MAX_NEST) {
		warn(r, n, "statements nested more than %d deep: not read", MAX_NEST);
		return;
	}
	r->nest++;
	const char *t = ts_node_type(n);
	size_t k;
	if (strcmp(t, "expression_statement") == 0) {
		TSNode *c = kids(r, n, &k);
		for (size_t i = 0; i < k; i++) {
			if (is(c[i], "assignment"))
				exec_assign(r, c[i]);
			else if (is(c[i], "augmented_assignment"))
				exec_augassign(r, c[i]);
			else if (is(c[i], "call"))
				eval_call(r, c[i], true);
			else
				eval(r, c[i]);
		}
	} else if (strcmp(t, "import_statement") == 0 || strcmp(t, "import_from_statement") == 0) {
		exec_import(r, n);
	} else if (strcmp(t, "function_definition") == 0) {
		exec_def(r, n, NULL, 0, n);
	} else if (strcmp(t, "decorated_definition") == 0) {
		TSNode def = field(n, "definition");
		TSNode *c = kids(r, n, &k);
		TSNode *decos = arena_array(&r->a, k ? k : 1, sizeof *decos);
		size_t nd = 0;
		for (size_t i = 0; i < k; i++)
			if (is(c[i], "decorator"))
				decos[nd++] = c[i];
		if (is(def, "function_definition"))
			exec_def(r, def, decos, nd, n);
		else if (is(def, "class_definition"))
			exec_class(r, def);
	} else if (strcmp(t, "class_definition") == 0) {
		exec_class(r, n);
	} else if (strcmp(t, "with_statement") == 0) {
		exec_with(r, n);
	} else if (strcmp(t, "for_statement") == 0) {
		exec_for(r, n);
	} else if (strcmp(t, "if_statement") == 0) {
		exec_if(r, n);
	} else if (strcmp(t, "try_statement") == 0) {
		/* the body runs; handlers only on an error the reader cannot see */
		exec_block(r, field(n, "body"));
		TSNode *c = kids(r, n, &k);
		for (size_t i = 0; i < k && !r->returning; i++) {
			if (is(c[i], "else_clause"))
				exec_block(r, field(c[i], "body"));
			else if (is(c[i], "finally_clause")) {
				size_t m;
				TSNode *b = kids(r, c[i], &m);
				if (m)
					exec_block(r, b[m - 1]);
			}
		}
	} else if (strcmp(t, "while_statement") == 0 || strcmp(t, "match_statement") == 0) {
		if (has_call(r, field(n, "body"), 0))
			warn(r, n, "a %s loop is not unrolled: tasks and dependencies it makes are not "
				   "read", t[0] == 'w' ? "while" : "match");
	} else if (strcmp(t, "return_statement") == 0) {
		TSNode *c = kids(r, n, &k);
		r->retval = k ? eval(r, c[0]) : mk(r, V_NONE, n);
		r->returning = true;
	} else if (strcmp(t, "break_statement") == 0) {
		r->breaking = true;
	} else if (strcmp(t, "continue_statement") == 0) {
		r->continuing = true;
	} else if (strcmp(t, "global_statement") == 0) {
		TSNode *c = kids(r, n, &k);
		for (size_t i = 0; i < k; i++)
			strmap_put(&r->scope->global, text(r, c[i]), r);
	} else if (strcmp(t, "exec_statement") == 0) {
		warn(r, n, "exec is not read statically");
	} else if (strcmp(t, "ERROR") == 0) {
		/* read the statements that survived the syntax error */
		TSNode *c = kids(r, n, &k);
		for (size_t i = 0; i < k && !r->stop; i++) {
			const char *ct = ts_node_type(c[i]);
			if (endswith(ct, "_statement") || endswith(ct, "_definition"))
				exec_stmt(r, c[i]);
		}
	}
	r->nest--;
}

static void exec_block(struct rd *r, TSNode n)
{
	if (ts_node_is_null(n))
		return;
	size_t k;
	TSNode *c = kids(r, n, &k);
	for (size_t i = 0; i < k; i++) {
		if (r->returning || r->breaking || r->continuing || r->stop)
			return;
		exec_stmt(r, c[i]);
	}
}

/* ---- the result ---- */

static char *dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int int_of(struct val *v)
{
	if (v && v->k == V_INT && v->i >= 0 && v->i <= INT_MAX)
		return (int)v->i;
	return -1;
}

/* a default argument for t: its own default_args, its groups', its DAG's */
static struct val *task_default(struct task *t, const char *key)
{
	struct val *v;
	if (t->dargs && (v = dict_get(t->dargs, key)))
		return v;
	for (struct group *g = t->grp; g; g = g->parent)
		if (g->dargs && (v = dict_get(g->dargs, key)))
			return v;
	if (t->dag && t->dag->dargs && (v = dict_get(t->dag->dargs, key)))
		return v;
	return NULL;
}

static void fill_task(struct rd *r, struct af_task *o, struct task *t)
{
	o->id = xstrdup(t->id);
	o->operator= xstrdup(t->op ? t->op : "");
	o->group = t->grp ? dup(t->grp->id) : NULL;
	py_linecol(t->at, &o->line, &o->col);
	o->off = ts_node_start_byte(t->at);
	o->mapped = t->mapped;
	o->setup = t->setup;
	o->teardown = t->teardown;
	o->branch = t->branch;
	o->sensor = t->sensor;
	o->multiple_outputs = t->multiple_outputs;
	struct val *v = t->retries ? t->retries : task_default(t, "retries");
	o->retries = int_of(v);
	v = t->retry_delay ? t->retry_delay : task_default(t, "retry_delay");
	o->retry_delay = v ? dup(delay_text(r, v)) : NULL;
	o->callable = dup(t->callable);
	o->callable_module = dup(t->module);
	o->bash_command = dup(t->bash);
	o->nargs = t->nargs;
	o->args = t->nargs ? xcalloc(t->nargs, sizeof *o->args) : NULL;
	for (size_t i = 0; i < t->nargs; i++) {
		struct kw *k = &t->args[i];
		o->args[i].name = xstrdup(k->name);
		o->args[i].is_string = k->v->k == V_STR;
		o->args[i].value = xstrdup(k->v->k == V_STR ? k->v->s : text(r, k->node));
	}
}

static void fill_dag(struct rd *r, struct af_dag *o, struct dagb *g)
{
	o->dag_id = xstrdup(g->id);
	py_linecol(g->at, &o->line, &o->col);
	o->off = ts_node_start_byte(g->at);
	o->sched_kind = g->kind;
	o->schedule = dup(g->sched);
	o->cron = dup(g->cron);
	o->ndatasets = g->nds;
	o->datasets = g->nds ? xcalloc(g->nds, sizeof *o->datasets) : NULL;
	for (size_t i = 0; i < g->nds; i++)
		o->datasets[i] = xstrdup(g->ds[i]);
	o->start_date = dup(g->start);
	o->catchup = g->catchup;
	struct val *v = g->dargs ? dict_get(g->dargs, "owner") : NULL;
	o->owner = v && v->k == V_STR ? xstrdup(v->s) : NULL;
	o->retries = int_of(g->dargs ? dict_get(g->dargs, "retries") : NULL);
	v = g->dargs ? dict_get(g->dargs, "retry_delay") : NULL;
	o->retry_delay = v ? dup(delay_text(r, v)) : NULL;
	o->tasks = g->ntasks ? xcalloc(g->ntasks, sizeof *o->tasks) : NULL;
	o->edges = g->nedges ? xcalloc(g->nedges, sizeof *o->edges) : NULL;
}

static void finish(struct rd *r, struct af_file *out)
{
	/* the DAGs Airflow loads; of two with one id, the later wins */
	struct strmap byid = {0};
	for (size_t i = 0; i < r->ndags; i++) {
		struct dagb *g = r->dags[i];
		if (!g->entered && g->gbind <= 0)
			continue;
		struct dagb *old = strmap_get(&byid, g->id);
		if (old) {
			warn(r, g->at, "DAG id '%s' is defined twice in this file: Airflow keeps this "
				       "one", g->id);
			old->outd = (struct af_dag *)1; /* dropped */
		}
		strmap_put(&byid, g->id, g);
	}
	strmap_free(&byid);
	size_t n = 0;
	for (size_t i = 0; i < r->ndags; i++) {
		struct dagb *g = r->dags[i];
		if ((g->entered || g->gbind > 0) && !g->outd)
			n++;
		else
			g->outd = (struct af_dag *)1;
	}
	out->dags = n ? xcalloc(n, sizeof *out->dags) : NULL;
	for (size_t i = 0; i < r->ntasks; i++)
		if (r->tasks[i]->dag)
			r->tasks[i]->out = r->tasks[i]->dag->ntasks++;
	for (size_t i = 0; i < r->nedges; i++)
		if (r->edges[i].up->dag)
			r->edges[i].up->dag->nedges++;
	for (size_t i = 0; i < r->ndags; i++) {
		struct dagb *g = r->dags[i];
		if (g->outd)
			continue;
		g->outd = &out->dags[out->ndags++];
		fill_dag(r, g->outd, g);
	}
	for (size_t i = 0; i < r->ntasks; i++) {
		struct task *t = r->tasks[i];
		if (!t->dag || t->dag->outd == (struct af_dag *)1)
			continue;
		fill_task(r, &t->dag->outd->tasks[t->out], t);
		t->dag->outd->ntasks++;
	}
	for (size_t i = 0; i < r->nedges; i++) {
		struct edge *e = &r->edges[i];
		struct dagb *g = e->up->dag;
		if (!g || g != e->down->dag || g->outd == (struct af_dag *)1)
			continue;
		g->outd->edges[g->outd->nedges++] =
			(struct af_edge){e->up->out, e->down->out, dup(e->label)};
	}
}

void af_read(struct py_scanner *scanner, struct diags *d, int32_t file, const char *text,
	     size_t len, struct af_file *out)
{
	memset(out, 0, sizeof *out);
	if (!scanner || !text)
		return;
	struct py_file pf;
	memset(&pf, 0, sizeof pf);
	if (!py_parse(scanner, text, len, &pf)) {
		py_file_free(&pf);
		return;
	}
	struct rd r;
	memset(&r, 0, sizeof r);
	r.pf = &pf;
	r.d = d;
	r.file = file;
	r.cur = ts_tree_cursor_new(pf.root);
	r.globals = r.scope = new_scope(&r, NULL);
	/* Airflow imports a DAG file under a made-up module name */
	put_var(&r, r.globals, "__name__", mkstr(&r, "unusual_prefix_dag_file", pf.root));
	if (pf.has_error) {
		out->parse_error = true;
		warn(&r, pf.first_error, "syntax error: the reader reads what it can of this file");
	}
	exec_block(&r, pf.root);
	finish(&r, out);

	ts_tree_cursor_delete(&r.cur);
	for (size_t i = 0; i < r.nscopes; i++) {
		strmap_free(&r.scopes[i]->vars);
		strmap_free(&r.scopes[i]->global);
	}
	for (size_t i = 0; i < r.ndags; i++) {
		strmap_free(&r.dags[i]->ids);
		strmap_free(&r.dags[i]->groups);
		strmap_free(&r.dags[i]->suffix);
	}
	free(r.scopes);
	free(r.tasks);
	free(r.edges);
	free(r.eset);
	free(r.eidx);
	free(r.dags);
	free(r.fr);
	strmap_free(&r.warned);
	arena_free(&r.a);
	py_file_free(&pf);
}

void af_file_free(struct af_file *f)
{
	for (size_t i = 0; i < f->ndags; i++) {
		struct af_dag *g = &f->dags[i];
		for (size_t j = 0; j < g->ntasks; j++) {
			struct af_task *t = &g->tasks[j];
			free(t->id);
			free(t->operator);
			free(t->group);
			free(t->retry_delay);
			free(t->callable);
			free(t->callable_module);
			free(t->bash_command);
			for (size_t k = 0; k < t->nargs; k++) {
				free(t->args[k].name);
				free(t->args[k].value);
			}
			free(t->args);
		}
		for (size_t j = 0; j < g->nedges; j++)
			free(g->edges[j].label);
		for (size_t j = 0; j < g->ndatasets; j++)
			free(g->datasets[j]);
		free(g->datasets);
		free(g->dag_id);
		free(g->schedule);
		free(g->cron);
		free(g->start_date);
		free(g->owner);
		free(g->retry_delay);
		free(g->tasks);
		free(g->edges);
	}
	free(f->dags);
	memset(f, 0, sizeof *f);
}

bool af_maybe_dag(const char *text, size_t len)
{
	return text && (memmem(text, len, "airflow", 7) || memmem(text, len, "DAG", 3));
}

const char *af_sched_name(enum af_sched k)
{
	static const char *const names[] = {
		[AF_SCHED_UNSET] = "unset",         [AF_SCHED_NONE] = "none",
		[AF_SCHED_CRON] = "cron",           [AF_SCHED_PRESET] = "preset",
		[AF_SCHED_TIMEDELTA] = "timedelta", [AF_SCHED_DATASET] = "dataset",
		[AF_SCHED_ASSET_OR_TIME] = "asset_or_time", [AF_SCHED_OTHER] = "other",
	};
	return (size_t)k < LEN(names) && names[k] ? names[k] : "other";
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *int_or_null(int v)
{
	return v >= 0 ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

struct cJSON *af_dag_json(const struct af_dag *g, const char *file)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "dag_id", g->dag_id);
	cJSON_AddItemToObject(o, "file", str_or_null(file));
	cJSON_AddNumberToObject(o, "line", g->line);
	cJSON_AddItemToObject(o, "schedule", str_or_null(g->schedule));
	cJSON_AddStringToObject(o, "schedule_kind", af_sched_name(g->sched_kind));
	cJSON_AddItemToObject(o, "cron", str_or_null(g->cron));
	cJSON *ds = cJSON_AddArrayToObject(o, "datasets");
	for (size_t i = 0; i < g->ndatasets; i++)
		cJSON_AddItemToArray(ds, cJSON_CreateString(g->datasets[i]));
	cJSON_AddItemToObject(o, "start_date", str_or_null(g->start_date));
	cJSON_AddItemToObject(o, "catchup",
			      g->catchup < 0 ? cJSON_CreateNull() : cJSON_CreateBool(g->catchup));
	cJSON_AddItemToObject(o, "owner", str_or_null(g->owner));
	cJSON_AddItemToObject(o, "retries", int_or_null(g->retries));
	cJSON_AddItemToObject(o, "retry_delay", str_or_null(g->retry_delay));
	cJSON *ts = cJSON_AddArrayToObject(o, "tasks");
	for (size_t i = 0; i < g->ntasks; i++) {
		const struct af_task *t = &g->tasks[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "id", t->id);
		cJSON_AddStringToObject(j, "operator", t->operator);
		cJSON_AddNumberToObject(j, "line", t->line);
		cJSON_AddItemToObject(j, "group", str_or_null(t->group));
		cJSON_AddBoolToObject(j, "mapped", t->mapped);
		cJSON_AddBoolToObject(j, "setup", t->setup);
		cJSON_AddBoolToObject(j, "teardown", t->teardown);
		cJSON_AddBoolToObject(j, "branch", t->branch);
		cJSON_AddBoolToObject(j, "sensor", t->sensor);
		cJSON_AddBoolToObject(j, "multiple_outputs", t->multiple_outputs);
		cJSON_AddItemToObject(j, "retries", int_or_null(t->retries));
		cJSON_AddItemToObject(j, "retry_delay", str_or_null(t->retry_delay));
		cJSON_AddItemToObject(j, "callable", str_or_null(t->callable));
		cJSON_AddItemToObject(j, "callable_module", str_or_null(t->callable_module));
		cJSON_AddItemToObject(j, "bash_command", str_or_null(t->bash_command));
		cJSON_AddItemToArray(ts, j);
	}
	cJSON *es = cJSON_AddArrayToObject(o, "edges");
	cJSON *ls = cJSON_AddArrayToObject(o, "labels");
	for (size_t i = 0; i < g->nedges; i++) {
		const struct af_edge *e = &g->edges[i];
		if (e->up >= g->ntasks || e->down >= g->ntasks)
			continue;
		cJSON *p = cJSON_CreateArray();
		cJSON_AddItemToArray(p, cJSON_CreateString(g->tasks[e->up].id));
		cJSON_AddItemToArray(p, cJSON_CreateString(g->tasks[e->down].id));
		cJSON_AddItemToArray(es, p);
		if (e->label) {
			cJSON *l = cJSON_CreateArray();
			cJSON_AddItemToArray(l, cJSON_CreateString(g->tasks[e->up].id));
			cJSON_AddItemToArray(l, cJSON_CreateString(g->tasks[e->down].id));
			cJSON_AddItemToArray(l, cJSON_CreateString(e->label));
			cJSON_AddItemToArray(ls, l);
		}
	}
	return o;
}
