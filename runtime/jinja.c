/* jinja.c: the evaluator of the Jinja renderer behind `dpc run` (see
 * jinja.h), its second half: it walks the tree jinja_parse.c builds.
 *
 * Values live in an arena, one per render, and text goes into a struct buf.
 * The dbt functions, Jinja's globals, filters, tests and the methods of
 * strings, lists and dicts are tables of struct callable, bound by one
 * function (bind) to their parameters by position or name. What dpc does
 * not render is found lazily, as dbt finds it: a package macro in an
 * {% if %} branch that is not taken is no error.
 *
 * Every limit (LIM_*, jinja_int.h) is an error at the construct that
 * reached it: evaluation depth, macro recursion, loop iterations, output
 * size, value memory, and the steps of lookups and scans that allocate
 * nothing (so that no template runs for minutes). */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja_int.h"

/* ---- lists, dicts, loops ---- */

struct list {
	struct val *v;
	size_t n, cap;
	bool tuple;
};

struct dict {
	struct val *k, *v; /* in insertion order */
	size_t n, cap;
	bool ns; /* a namespace(): {% set ns.x = ... %} may assign to it */
};

struct loopst {
	size_t i, n;
	const struct list *items;
};

enum obj { OBJ_EXCEPTIONS, OBJ_BUILTINS, OBJ_TARGET };

/* ---- evaluation: state, errors, memory ---- */

/* what a statement or an expression ends with */
enum { OK, ERR, BRK, CONT, RET };

struct var {
	const char *name;
	struct val v;
};

/* a level of variables: the template, a {% for %} body, a macro call */
struct scope {
	struct scope *up;
	struct var *v;
	size_t n, cap;
};

struct jj_macros {
	struct arena a;
	struct strmap map; /* name -> struct macro */
};

struct rt {
	struct arena a; /* the values of this render */
	size_t mem;     /* bytes taken from it */
	const struct jj_host *host;
	const struct jj_macros *macros;
	struct jj_result *res;
	struct buf *out;      /* where text goes now: the output or a macro's */
	size_t emitted;       /* bytes written to every buffer so far */
	const struct src *src; /* the file the running code comes from */
	struct scope *sc;     /* the innermost scope */
	struct scope *top;    /* the template's own */
	int depth, mdepth;
	size_t iters;
	size_t work; /* steps of lookups and scans, which allocate nothing */
	struct val ret;  /* the value of {{ return(x) }} */
	bool returning;  /* return() was called: the macro's statements stop */
	bool failed;
};

/* record the render's error (only the first counts); returns ERR */
static int
rterr(struct rt *rt, uint32_t off, uint32_t len, bool needs_dbt, const char *msg)
{
	if (rt->failed)
		return ERR;
	rt->failed = true;
	jinja_adderr(rt->res, rt->src, off, len, needs_dbt, msg);
	return ERR;
}

static int
rterr_v(struct rt *rt, uint32_t off, uint32_t len, bool needs_dbt, const char *fmt, va_list ap)
{
	char msg[512];
	if (rt->failed)
		return ERR;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	return rterr(rt, off, len, needs_dbt, msg);
}

/* an error at expression e (or at the tag of node n with nerr) */
__attribute__((format(printf, 4, 5))) static int
xerr(struct rt *rt, const struct expr *e, bool needs_dbt, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = rterr_v(rt, e ? e->off : 0, e ? e->len : 0, needs_dbt, fmt, ap);
	va_end(ap);
	return r;
}

__attribute__((format(printf, 4, 5))) static int
nerr(struct rt *rt, const struct node *n, bool needs_dbt, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = rterr_v(rt, n->off, n->len, needs_dbt, fmt, ap);
	va_end(ap);
	return r;
}

static void *
ralloc(struct rt *rt, size_t n)
{
	rt->mem += n;
	return arena_alloc(&rt->a, n);
}

/* the source text of e, for messages: "'" SRCFMT "'", SRCARG(rt, e) */
#define SRCFMT "%.*s"
#define SRCARG(rt, e) (int)((e)->len > 80 ? 80 : (e)->len), (rt)->src->text + (e)->off

/* ---- values ---- */

static struct val
mkstr(const char *p, size_t n)
{
	struct val v = {.k = V_STR};
	v.u.s.p = p;
	v.u.s.n = n;
	return v;
}

static struct val
mkint(int64_t i)
{
	struct val v = {.k = V_INT};
	v.u.i = i;
	return v;
}

static struct val
mkfloat(double f)
{
	struct val v = {.k = V_FLOAT};
	v.u.f = f;
	return v;
}

static struct val
mkbool(bool b)
{
	struct val v = {.k = V_BOOL};
	v.u.b = b;
	return v;
}

static struct val
mkundef(const char *name)
{
	struct val v = {.k = V_UNDEF};
	v.u.s.p = name;
	v.u.s.n = name ? strlen(name) : 0;
	return v;
}

static const struct val vnone = {.k = V_NONE};

/* a copy of n bytes in the arena */
static struct val
newstr(struct rt *rt, const char *p, size_t n)
{
	char *s = ralloc(rt, n + 1);
	if (n)
		memcpy(s, p, n);
	return mkstr(s, n);
}

/* the end of a string built in b: when st is OK, *out is a copy of it in the
 * arena; b is freed either way. Returns st */
static int
bufstr(struct rt *rt, struct buf *b, int st, struct val *out)
{
	if (st == OK)
		*out = newstr(rt, b->data ? b->data : "", b->len);
	buf_free(b);
	return st;
}

static struct list *
newlist(struct rt *rt, size_t cap)
{
	struct list *l = ralloc(rt, sizeof(*l));
	if (cap) {
		l->v = ralloc(rt, cap * sizeof(*l->v));
		l->cap = cap;
	}
	return l;
}

static struct val
listval(struct list *l)
{
	struct val v = {.k = V_LIST};
	v.u.l = l;
	return v;
}

static struct val
dictval(struct dict *d)
{
	struct val v = {.k = V_DICT};
	v.u.d = d;
	return v;
}

static int
lpush(struct rt *rt, const struct expr *at, struct list *l, struct val v)
{
	if (l->n == l->cap) {
		if (l->n >= LIM_LIST)
			return xerr(rt, at, false, "a list longer than %d items", LIM_LIST);
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct val *nv = ralloc(rt, cap * sizeof(*nv));
		if (l->n)
			memcpy(nv, l->v, l->n * sizeof(*nv));
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = v;
	return OK;
}

static bool veq(struct rt *rt, const struct val *a, const struct val *b, int depth);
static const char *tname(const struct val *v);

static struct val *
dget(struct rt *rt, const struct dict *d, const struct val *k)
{
	for (size_t i = 0; i < d->n; i++)
		if (veq(rt, &d->k[i], k, 0))
			return &d->v[i];
	return NULL;
}

static struct val *
dgets(struct rt *rt, const struct dict *d, const char *name)
{
	size_t n = strlen(name);
	rt->work += d->n;
	for (size_t i = 0; i < d->n; i++)
		if ((d->k[i].k == V_STR || d->k[i].k == V_REL) && d->k[i].u.s.n == n && memcmp(d->k[i].u.s.p, name, n) == 0)
			return &d->v[i];
	return NULL;
}

static int
dput(struct rt *rt, const struct expr *at, struct dict *d, struct val k, struct val v)
{
	if ((k.k == V_LIST && !k.u.l->tuple) || k.k == V_DICT || k.k == V_UNDEF)
		return xerr(rt, at, false, "a dict key cannot be %s", k.k == V_UNDEF ? "undefined" : tname(&k));
	struct val *old = dget(rt, d, &k);
	if (old) {
		*old = v;
		return OK;
	}
	if (d->n == d->cap) {
		if (d->n >= LIM_LIST)
			return xerr(rt, at, false, "a dict larger than %d items", LIM_LIST);
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct val *nk = ralloc(rt, cap * sizeof(*nk)), *nv = ralloc(rt, cap * sizeof(*nv));
		if (d->n) {
			memcpy(nk, d->k, d->n * sizeof(*nk));
			memcpy(nv, d->v, d->n * sizeof(*nv));
		}
		d->k = nk;
		d->v = nv;
		d->cap = cap;
	}
	d->k[d->n] = k;
	d->v[d->n++] = v;
	return OK;
}

static bool
isnum(const struct val *v)
{
	return v->k == V_INT || v->k == V_FLOAT || v->k == V_BOOL;
}

static bool
isstr(const struct val *v)
{
	return v->k == V_STR || v->k == V_REL;
}

static double
fnum(const struct val *v)
{
	return v->k == V_FLOAT ? v->u.f : v->k == V_INT ? (double)v->u.i : v->k == V_BOOL ? v->u.b : 0;
}

static int64_t
inum(const struct val *v)
{
	return v->k == V_INT ? v->u.i : v->k == V_BOOL ? v->u.b : 0;
}

static bool
truthy(const struct val *v)
{
	switch (v->k) {
	case V_UNDEF:
	case V_NONE:
		return false;
	case V_BOOL:
		return v->u.b;
	case V_INT:
		return v->u.i != 0;
	case V_FLOAT:
		return v->u.f != 0;
	case V_STR:
	case V_REL:
		return v->u.s.n != 0;
	case V_LIST:
		return v->u.l->n != 0;
	case V_DICT:
		return v->u.d->n != 0;
	default:
		return true;
	}
}

/* Python's name for the type of v, for messages */
static const char *
tname(const struct val *v)
{
	static const char *const names[] = {
		[V_UNDEF] = "Undefined", [V_NONE] = "NoneType", [V_BOOL] = "bool", [V_INT] = "int",
		[V_FLOAT] = "float", [V_STR] = "str", [V_REL] = "Relation", [V_LIST] = "list",
		[V_DICT] = "dict", [V_MACRO] = "macro", [V_FUNC] = "function", [V_OBJ] = "object",
		[V_LOOP] = "LoopContext",
	};
	if (v->k == V_LIST && v->u.l->tuple)
		return "tuple";
	if (v->k == V_DICT && v->u.d->ns)
		return "Namespace";
	return names[v->k];
}

static bool
veq(struct rt *rt, const struct val *a, const struct val *b, int depth)
{
	rt->work++;
	if (isnum(a) && isnum(b)) {
		if (a->k == V_FLOAT || b->k == V_FLOAT)
			return fnum(a) == fnum(b);
		return inum(a) == inum(b);
	}
	if (isstr(a) && isstr(b))
		return a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
	if (a->k != b->k)
		return false;
	switch (a->k) {
	case V_UNDEF:
	case V_NONE:
		return true;
	case V_LIST:
		if (a->u.l->n != b->u.l->n || a->u.l->tuple != b->u.l->tuple)
			return false;
		if (a->u.l == b->u.l)
			return true;
		if (depth > LIM_REPR)
			return false;
		for (size_t i = 0; i < a->u.l->n; i++)
			if (!veq(rt, &a->u.l->v[i], &b->u.l->v[i], depth + 1))
				return false;
		return true;
	case V_DICT:
		if (a->u.d->n != b->u.d->n)
			return false;
		if (a->u.d == b->u.d)
			return true;
		if (depth > LIM_REPR)
			return false;
		for (size_t i = 0; i < a->u.d->n; i++) {
			const struct val *o = dget(rt, b->u.d, &a->u.d->k[i]);
			if (!o || !veq(rt, &a->u.d->v[i], o, depth + 1))
				return false;
		}
		return true;
	case V_MACRO:
		return a->u.m.m == b->u.m.m;
	case V_FUNC:
	case V_OBJ:
		return a->id == b->id;
	default:
		return a->u.lp == b->u.lp;
	}
}

/* order a and b as Python does (*r < 0, 0, > 0); an error for types that
 * have no order between them */
static int
vcmp(struct rt *rt, const struct expr *at, const struct val *a, const struct val *b, int *r, int depth)
{
	if (isnum(a) && isnum(b)) {
		if (a->k == V_FLOAT || b->k == V_FLOAT) {
			double x = fnum(a), y = fnum(b);
			*r = x < y ? -1 : x > y ? 1 : 0;
		} else {
			int64_t x = inum(a), y = inum(b);
			*r = x < y ? -1 : x > y ? 1 : 0;
		}
		return OK;
	}
	if (isstr(a) && isstr(b)) {
		size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
		int c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
		*r = c ? c : a->u.s.n < b->u.s.n ? -1 : a->u.s.n > b->u.s.n ? 1 : 0;
		return OK;
	}
	if (a->k == V_LIST && b->k == V_LIST && depth < LIM_REPR) {
		for (size_t i = 0; i < a->u.l->n && i < b->u.l->n; i++) {
			if (veq(rt, &a->u.l->v[i], &b->u.l->v[i], depth + 1))
				continue;
			return vcmp(rt, at, &a->u.l->v[i], &b->u.l->v[i], r, depth + 1);
		}
		*r = a->u.l->n < b->u.l->n ? -1 : a->u.l->n > b->u.l->n ? 1 : 0;
		return OK;
	}
	return xerr(rt, at, false, "cannot compare %s with %s", tname(a), tname(b));
}

/* ---- printing values as Python's str() and repr() ---- */

/* append to b, within the limits */
static int
bput(struct rt *rt, const struct expr *at, struct buf *b, const char *p, size_t n)
{
	if (b->len + n > LIM_OUT || rt->emitted + n > LIM_EMIT) {
		if (at)
			return xerr(rt, at, false, "rendered text larger than %zu MiB", LIM_OUT >> 20);
		return rterr(rt, 0, 0, false, "rendered text too large");
	}
	rt->emitted += n;
	buf_put(b, p, n);
	return OK;
}

/* a double as Python's repr(): the shortest text that reads back the same */
static size_t
pyfloat(double x, char out[40])
{
	char tmp[40], dig[24];
	int prec, exp, nd = 0;
	const char *s;
	char *o = out;

	if (x != x)
		return (size_t)snprintf(out, 40, "nan");
	if (x > DBL_MAX || x < -DBL_MAX)
		return (size_t)snprintf(out, 40, x > 0 ? "inf" : "-inf");
	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	if (prec == 17)
		snprintf(tmp, sizeof(tmp), "%.16e", x);
	s = tmp;
	if (*s == '-')
		*o++ = *s++;
	for (; *s && *s != 'e'; s++)
		if (isdigit_(*s))
			dig[nd++] = *s;
	exp = atoi(s + 1);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	if (exp >= -5 + 1 && exp < 16) {
		int point = exp + 1; /* digits before the decimal point */
		if (point <= 0) {
			*o++ = '0';
			*o++ = '.';
			for (int i = 0; i < -point; i++)
				*o++ = '0';
			memcpy(o, dig, (size_t)nd);
			o += nd;
		} else if (point >= nd) {
			memcpy(o, dig, (size_t)nd);
			o += nd;
			for (int i = nd; i < point; i++)
				*o++ = '0';
			*o++ = '.';
			*o++ = '0';
		} else {
			memcpy(o, dig, (size_t)point);
			o += point;
			*o++ = '.';
			memcpy(o, dig + point, (size_t)(nd - point));
			o += nd - point;
		}
	} else {
		*o++ = dig[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, dig + 1, (size_t)(nd - 1));
			o += nd - 1;
		}
		o += snprintf(o, 12, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	}
	*o = '\0';
	return (size_t)(o - out);
}

static int put(struct rt *rt, const struct expr *at, struct buf *b, const struct val *v, bool repr, int depth);

/* a string as Python's repr() writes it */
static int
putrepr(struct rt *rt, const struct expr *at, struct buf *b, const char *p, size_t n)
{
	char q = memchr(p, '\'', n) && !memchr(p, '"', n) ? '"' : '\'';
	size_t run = 0;

	if (bput(rt, at, b, &q, 1) != OK)
		return ERR;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		char esc[8];
		size_t el = 0;
		if (c == (unsigned char)q || c == '\\')
			el = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			el = (size_t)snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\r')
			el = (size_t)snprintf(esc, sizeof(esc), "\\r");
		else if (c == '\t')
			el = (size_t)snprintf(esc, sizeof(esc), "\\t");
		else if (c < 0x20 || c == 0x7f)
			el = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
		if (!el) {
			run++;
			continue;
		}
		if ((run && bput(rt, at, b, p + i - run, run) != OK) || bput(rt, at, b, esc, el) != OK)
			return ERR;
		run = 0;
	}
	if (run && bput(rt, at, b, p + n - run, run) != OK)
		return ERR;
	return bput(rt, at, b, &q, 1);
}

/* v as str() (repr false) or repr() writes it */
static int
put(struct rt *rt, const struct expr *at, struct buf *b, const struct val *v, bool repr, int depth)
{
	char tmp[64];
	size_t n;

	switch (v->k) {
	case V_UNDEF:
		return repr ? bput(rt, at, b, "Undefined", 9) : OK;
	case V_NONE:
		return bput(rt, at, b, "None", 4);
	case V_BOOL:
		return v->u.b ? bput(rt, at, b, "True", 4) : bput(rt, at, b, "False", 5);
	case V_INT:
		n = (size_t)snprintf(tmp, sizeof(tmp), "%" PRId64, v->u.i);
		return bput(rt, at, b, tmp, n);
	case V_FLOAT:
		n = pyfloat(v->u.f, tmp);
		return bput(rt, at, b, tmp, n);
	case V_STR:
		return repr ? putrepr(rt, at, b, v->u.s.p, v->u.s.n) : bput(rt, at, b, v->u.s.p, v->u.s.n);
	case V_REL:
		return bput(rt, at, b, v->u.s.p, v->u.s.n);
	case V_LIST: {
		const struct list *l = v->u.l;
		if (depth > LIM_REPR)
			return xerr(rt, at, false, "a list nested too deeply to print");
		if (bput(rt, at, b, l->tuple ? "(" : "[", 1) != OK)
			return ERR;
		for (size_t i = 0; i < l->n; i++)
			if ((i && bput(rt, at, b, ", ", 2) != OK) || put(rt, at, b, &l->v[i], true, depth + 1) != OK)
				return ERR;
		if (l->tuple && l->n == 1 && bput(rt, at, b, ",", 1) != OK)
			return ERR;
		return bput(rt, at, b, l->tuple ? ")" : "]", 1);
	}
	case V_DICT: {
		const struct dict *d = v->u.d;
		if (depth > LIM_REPR)
			return xerr(rt, at, false, "a dict nested too deeply to print");
		if (d->ns && bput(rt, at, b, "<Namespace ", 11) != OK)
			return ERR;
		if (bput(rt, at, b, "{", 1) != OK)
			return ERR;
		for (size_t i = 0; i < d->n; i++)
			if ((i && bput(rt, at, b, ", ", 2) != OK) || put(rt, at, b, &d->k[i], true, depth + 1) != OK ||
			    bput(rt, at, b, ": ", 2) != OK || put(rt, at, b, &d->v[i], true, depth + 1) != OK)
				return ERR;
		return bput(rt, at, b, d->ns ? "}>" : "}", d->ns ? 2 : 1);
	}
	case V_MACRO:
		n = (size_t)snprintf(tmp, sizeof(tmp), "<Macro '%.40s'>", v->u.m.m->name);
		return bput(rt, at, b, tmp, n);
	case V_LOOP:
		n = (size_t)snprintf(tmp, sizeof(tmp), "<LoopContext %zu/%zu>", v->u.lp->i + 1, v->u.lp->n);
		return bput(rt, at, b, tmp, n);
	default:
		return bput(rt, at, b, "<function>", 10);
	}
}

/* v as a string value: strings as they are, anything else printed */
static int
tostr(struct rt *rt, const struct expr *at, const struct val *v, struct val *out)
{
	if (isstr(v)) {
		*out = mkstr(v->u.s.p, v->u.s.n);
		return OK;
	}
	if (v->k == V_UNDEF) {
		*out = mkstr("", 0);
		return OK;
	}
	char tmp[40];
	if (v->k == V_INT || v->k == V_FLOAT || v->k == V_BOOL || v->k == V_NONE) {
		size_t n;
		if (v->k == V_INT)
			n = (size_t)snprintf(tmp, sizeof(tmp), "%" PRId64, v->u.i);
		else if (v->k == V_FLOAT)
			n = pyfloat(v->u.f, tmp);
		else
			n = (size_t)snprintf(tmp, sizeof(tmp), "%s", v->k == V_NONE ? "None" : v->u.b ? "True" : "False");
		*out = newstr(rt, tmp, n);
		return OK;
	}
	struct buf b = {0};
	int st = put(rt, at, &b, v, false, 0);
	return bufstr(rt, &b, st, out);
}

/* write text into the current output, "\r\n" and "\r" as "\n" */
static int
emitdata(struct rt *rt, const struct node *n, const char *p, size_t len)
{
	const char *cr = memchr(p, '\r', len);
	if (!cr) {
		if (rt->out->len + len > LIM_OUT || rt->emitted + len > LIM_EMIT)
			return nerr(rt, n, false, "rendered text larger than %zu MiB", LIM_OUT >> 20);
		rt->emitted += len;
		buf_put(rt->out, p, len);
		return OK;
	}
	while (len) {
		cr = memchr(p, '\r', len);
		size_t run = cr ? (size_t)(cr - p) : len;
		if (emitdata(rt, n, p, run) != OK)
			return ERR;
		if (!cr)
			break;
		if (emitdata(rt, n, "\n", 1) != OK)
			return ERR;
		run++;
		if (run < len && p[run] == '\n')
			run++;
		p += run;
		len -= run;
	}
	return OK;
}

/* ---- scopes ---- */

static const struct val *
getvar(struct rt *rt, const struct scope *sc, const char *name)
{
	for (; sc; sc = sc->up, rt->work += sc ? sc->n : 0)
		for (size_t i = 0; i < sc->n; i++)
			if (sc->v[i].name[0] == name[0] && strcmp(sc->v[i].name, name) == 0)
				return &sc->v[i].v;
	return NULL;
}

static void
setvar(struct rt *rt, struct scope *sc, const char *name, struct val v)
{
	rt->work += sc->n;
	for (size_t i = 0; i < sc->n; i++) {
		if (strcmp(sc->v[i].name, name) == 0) {
			sc->v[i].v = v;
			return;
		}
	}
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 8;
		struct var *nv = ralloc(rt, cap * sizeof(*nv));
		if (sc->n)
			memcpy(nv, sc->v, sc->n * sizeof(*nv));
		sc->v = nv;
		sc->cap = cap;
	}
	sc->v[sc->n].name = name;
	sc->v[sc->n++].v = v;
}

/* the first nd[0..m) in h[0..n), or NULL; the comparisons count as work,
 * and a search that runs out of it gives up (the render then fails) */
static const char *
find(struct rt *rt, const char *h, size_t n, const char *nd, size_t m)
{
	if (m == 0)
		return h;
	for (size_t i = 0; i + m <= n;) {
		const char *q = memchr(h + i, nd[0], n - m + 1 - i);
		if (!q)
			return NULL;
		rt->work += m;
		if (rt->work > LIM_WORK)
			return NULL;
		if (memcmp(q, nd, m) == 0)
			return q;
		i = (size_t)(q - h) + 1;
	}
	return NULL;
}

/* ---- UTF-8 ---- */

/* bytes of the character at p (at most n); a stray byte counts as one */
static size_t
u8char(const char *p, size_t n)
{
	unsigned char c = (unsigned char)p[0];
	size_t l = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
	if (l > n)
		return 1;
	for (size_t i = 1; i < l; i++)
		if (((unsigned char)p[i] & 0xC0) != 0x80)
			return 1;
	return l;
}

static size_t
u8len(const char *p, size_t n)
{
	size_t cnt = 0;
	for (size_t i = 0; i < n; i += u8char(p + i, n - i))
		cnt++;
	return cnt;
}

/* the byte offset of character i (n when past the end) */
static size_t
u8off(const char *p, size_t n, size_t i)
{
	size_t off = 0;
	while (i-- && off < n)
		off += u8char(p + off, n - off);
	return off;
}

/* ---- calls ---- */

/* the arguments of a call to a function, filter, test or method */
struct call {
	const struct expr *at; /* the call, for errors */
	const char *what;      /* the callee, for messages */
	struct val *v;         /* as given; v[0] is a filter's, test's or method's input */
	const char **kw;       /* their names, NULL for positional ones */
	size_t n;
	const struct val *arg[8]; /* bound to the parameters; NULL when not given */
	struct val small[8];
	const char *smallkw[8];
};

typedef int (*callfn)(struct rt *rt, struct call *c, struct val *out);

struct callable {
	const char *name;
	callfn fn;
	/* the parameters in order; "*" first: the arguments are left unbound */
	const char *params[8];
};

static uint8_t
findin(const struct callable *tab, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (tab[i].name[0] == name[0] && strcmp(tab[i].name, name) == 0)
			return (uint8_t)i;
	return NOTFOUND;
}

static int
bind(struct rt *rt, struct call *c, const struct callable *f)
{
	size_t np = 0, pos = 0;

	if (f->params[0] && strcmp(f->params[0], "*") == 0)
		return OK;
	while (np < LEN(f->params) && f->params[np])
		np++;
	memset(c->arg, 0, sizeof(c->arg));
	for (size_t i = 0; i < c->n; i++) {
		if (!c->kw[i]) {
			if (pos >= np)
				return xerr(rt, c->at, false, "%s takes at most %zu argument%s", c->what, np,
					    np == 1 ? "" : "s");
			c->arg[pos++] = &c->v[i];
			continue;
		}
		size_t j;
		for (j = 0; j < np; j++)
			if (strcmp(f->params[j], c->kw[i]) == 0)
				break;
		if (j == np)
			return xerr(rt, c->at, false, "%s got an unexpected keyword argument '%s'", c->what, c->kw[i]);
		if (c->arg[j])
			return xerr(rt, c->at, false, "%s got two values for argument '%s'", c->what, c->kw[i]);
		c->arg[j] = &c->v[i];
	}
	return OK;
}

static int
need(struct rt *rt, struct call *c, size_t i, const char *name)
{
	if (c->arg[i])
		return OK;
	return xerr(rt, c->at, false, "%s is missing its argument '%s'", c->what, name);
}

/* argument i as a string (undefined as ""); NULL arguments give def */
static int
argstr(struct rt *rt, struct call *c, size_t i, const char *def, const char **p, size_t *n)
{
	const struct val *v = c->arg[i];
	*p = "";
	*n = 0;
	if (!v || v->k == V_NONE) {
		if (!def && v)
			return xerr(rt, c->at, false, "%s: argument %zu must be a string, not None", c->what, i + 1);
		*p = def ? def : "";
		*n = def ? strlen(def) : 0;
		return OK;
	}
	if (v->k == V_UNDEF)
		return xerr(rt, c->at, false, "%s: argument %zu is undefined%s%s", c->what, i + 1, v->u.s.p ? ": " : "",
			    v->u.s.p ? v->u.s.p : "");
	if (!isstr(v))
		return xerr(rt, c->at, false, "%s: argument %zu must be a string, not %s", c->what, i + 1, tname(v));
	*p = v->u.s.p;
	*n = v->u.s.n;
	return OK;
}

static int
argint(struct rt *rt, struct call *c, size_t i, int64_t def, int64_t *out)
{
	const struct val *v = c->arg[i];
	*out = def;
	if (!v || v->k == V_NONE) {
		*out = def;
		return OK;
	}
	if (v->k != V_INT && v->k != V_BOOL)
		return xerr(rt, c->at, false, "%s: argument %zu must be an integer, not %s", c->what, i + 1, tname(v));
	*out = inum(v);
	return OK;
}

/* the input of a filter or method as a string */
static int
instr(struct rt *rt, struct call *c, const char **p, size_t *n)
{
	struct val s;
	*p = "";
	*n = 0;
	if (tostr(rt, c->at, &c->v[0], &s) != OK)
		return ERR;
	*p = s.u.s.p;
	*n = s.u.s.n;
	return OK;
}

/* a NUL-terminated copy of a string value */
static const char *
cstr(struct rt *rt, const struct val *v)
{
	char *s = ralloc(rt, v->u.s.n + 1);
	memcpy(s, v->u.s.p, v->u.s.n);
	return s;
}

/* the items of an iterable: a list itself (not to be changed), a dict's
 * keys, a string's characters; undefined iterates as empty */
static int
items(struct rt *rt, const struct expr *at, const struct val *v, struct list **out)
{
	struct list *l;
	switch (v->k) {
	case V_LIST:
		*out = v->u.l;
		return OK;
	case V_UNDEF:
		*out = newlist(rt, 0);
		return OK;
	case V_DICT:
		l = newlist(rt, v->u.d->n);
		for (size_t i = 0; i < v->u.d->n; i++)
			l->v[l->n++] = v->u.d->k[i];
		*out = l;
		return OK;
	case V_STR:
	case V_REL: {
		const char *p = v->u.s.p;
		size_t n = v->u.s.n;
		l = newlist(rt, 0);
		for (size_t i = 0; i < n;) {
			size_t cl = u8char(p + i, n - i);
			if (lpush(rt, at, l, mkstr(p + i, cl)) != OK)
				return ERR;
			i += cl;
		}
		*out = l;
		return OK;
	}
	default:
		return xerr(rt, at, false, "'%s' object is not iterable", tname(v));
	}
}

/* a JSON text as a value (var() answers); false when it is not JSON */
static bool
json(struct rt *rt, const char **pp, const char *end, struct val *out, int depth)
{
	const char *p = *pp;
	while (p < end && isws(*p))
		p++;
	if (p >= end || depth > LIM_REPR)
		return false;
	if (*p == '[' || *p == '{') {
		bool obj = *p++ == '{';
		struct list *l = obj ? NULL : newlist(rt, 0);
		struct dict *d = obj ? ralloc(rt, sizeof(*d)) : NULL;
		for (;;) {
			while (p < end && isws(*p))
				p++;
			if (p < end && *p == (obj ? '}' : ']') && (obj ? d->n : l->n) == 0) {
				p++;
				break;
			}
			struct val k, v;
			if (obj) {
				if (!json(rt, &p, end, &k, depth + 1) || k.k != V_STR)
					return false;
				while (p < end && isws(*p))
					p++;
				if (p >= end || *p++ != ':')
					return false;
			}
			if (!json(rt, &p, end, &v, depth + 1))
				return false;
			if (obj ? dput(rt, NULL, d, k, v) != OK : lpush(rt, NULL, l, v) != OK)
				return false;
			while (p < end && isws(*p))
				p++;
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == (obj ? '}' : ']')) {
				p++;
				break;
			}
			return false;
		}
		*out = obj ? dictval(d) : listval(l);
	} else if (*p == '"') {
		struct buf b = {0};
		for (p++; p < end && *p != '"'; p++) {
			if (*p != '\\') {
				buf_putc(&b, *p);
				continue;
			}
			if (++p >= end)
				break;
			const char *esc = strchr("\"\\/bfnrt", *p);
			if (esc && *p) {
				buf_putc(&b, "\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrt"]);
			} else if (*p == 'u' && end - p > 4) {
				unsigned cp = 0;
				for (int i = 1; i <= 4; i++) {
					char h = p[i];
					int x = isdigit_(h) ? h - '0' : (h | 32) >= 'a' && (h | 32) <= 'f' ? (h | 32) - 'a' + 10 : -1;
					if (x < 0) {
						buf_free(&b);
						return false;
					}
					cp = cp * 16 + (unsigned)x;
				}
				p += 4;
				if (cp < 0x80) {
					buf_putc(&b, (char)cp);
				} else if (cp < 0x800) {
					buf_putc(&b, (char)(0xC0 | cp >> 6));
					buf_putc(&b, (char)(0x80 | (cp & 0x3F)));
				} else {
					buf_putc(&b, (char)(0xE0 | cp >> 12));
					buf_putc(&b, (char)(0x80 | ((cp >> 6) & 0x3F)));
					buf_putc(&b, (char)(0x80 | (cp & 0x3F)));
				}
			} else {
				buf_free(&b);
				return false;
			}
		}
		if (p >= end) {
			buf_free(&b);
			return false;
		}
		p++;
		*out = newstr(rt, b.data ? b.data : "", b.len);
		buf_free(&b);
	} else if ((size_t)(end - p) >= 4 && memcmp(p, "true", 4) == 0) {
		*out = mkbool(true);
		p += 4;
	} else if ((size_t)(end - p) >= 5 && memcmp(p, "false", 5) == 0) {
		*out = mkbool(false);
		p += 5;
	} else if ((size_t)(end - p) >= 4 && memcmp(p, "null", 4) == 0) {
		*out = vnone;
		p += 4;
	} else if (*p == '-' || isdigit_(*p)) {
		const char *q = p + (*p == '-');
		bool frac = false;
		if (q >= end || !isdigit_(*q) || (*q == '0' && q + 1 < end && isdigit_(q[1])))
			return false;
		while (q < end && isdigit_(*q))
			q++;
		if (q < end && *q == '.') {
			frac = true;
			if (++q >= end || !isdigit_(*q))
				return false;
			while (q < end && isdigit_(*q))
				q++;
		}
		if (q < end && (*q == 'e' || *q == 'E')) {
			frac = true;
			q++;
			if (q < end && (*q == '+' || *q == '-'))
				q++;
			if (q >= end || !isdigit_(*q))
				return false;
			while (q < end && isdigit_(*q))
				q++;
		}
		char tmp[64];
		if ((size_t)(q - p) >= sizeof(tmp))
			return false;
		memcpy(tmp, p, (size_t)(q - p));
		tmp[q - p] = '\0';
		if (frac) {
			*out = mkfloat(strtod(tmp, NULL));
		} else {
			char *e;
			errno = 0;
			long long v = strtoll(tmp, &e, 10);
			if (errno)
				*out = mkfloat(strtod(tmp, NULL));
			else
				*out = mkint(v);
		}
		p = q;
	} else {
		return false;
	}
	*pp = p;
	return true;
}

/* ---- dbt and Jinja functions ---- */

static struct val
relval(struct rt *rt, const char *s)
{
	struct val v = newstr(rt, s, strlen(s));
	v.k = V_REL;
	return v;
}

static int
f_ref(struct rt *rt, struct call *c, struct val *out)
{
	const struct jj_host *h = rt->host;
	if (c->arg[2] || c->arg[3])
		return xerr(rt, c->at, true, "versioned ref() needs dbt");
	if (need(rt, c, 0, "name") != OK)
		return ERR;
	for (size_t i = 0; i < 2; i++)
		if (c->arg[i] && c->arg[i]->k != V_STR)
			return xerr(rt, c->at, false, "ref(): arguments must be strings, not %s", tname(c->arg[i]));
	const char *a = cstr(rt, c->arg[0]), *b = c->arg[1] ? cstr(rt, c->arg[1]) : NULL, *why = NULL;
	char *res = NULL;
	if (!h || !h->ref)
		return xerr(rt, c->at, true, "ref() needs dbt: this render knows no relations");
	if (!h->ref(h->ctx, b ? a : NULL, b ? b : a, &res, &why) || !res)
		return why ? xerr(rt, c->at, false, "%s", why)
			   : xerr(rt, c->at, false, "ref('%s'): no such model", b ? b : a);
	*out = relval(rt, res);
	return OK;
}

static int
f_source(struct rt *rt, struct call *c, struct val *out)
{
	const struct jj_host *h = rt->host;
	if (need(rt, c, 0, "source_name") != OK || need(rt, c, 1, "table_name") != OK)
		return ERR;
	for (size_t i = 0; i < 2; i++)
		if (c->arg[i]->k != V_STR)
			return xerr(rt, c->at, false, "source(): arguments must be strings, not %s", tname(c->arg[i]));
	const char *a = cstr(rt, c->arg[0]), *b = cstr(rt, c->arg[1]), *why = NULL;
	char *res = NULL;
	if (!h || !h->source)
		return xerr(rt, c->at, true, "source() needs dbt: this render knows no relations");
	if (!h->source(h->ctx, a, b, &res, &why) || !res)
		return why ? xerr(rt, c->at, false, "%s", why)
			   : xerr(rt, c->at, false, "source('%s', '%s'): no such source table", a, b);
	*out = relval(rt, res);
	return OK;
}

static int
f_var(struct rt *rt, struct call *c, struct val *out)
{
	const struct jj_host *h = rt->host;
	char *text = NULL;
	if (need(rt, c, 0, "name") != OK)
		return ERR;
	if (c->arg[0]->k != V_STR)
		return xerr(rt, c->at, false, "var(): the name must be a string, not %s", tname(c->arg[0]));
	const char *name = cstr(rt, c->arg[0]);
	if (h && h->var && h->var(h->ctx, name, &text) && text) {
		const char *p = text, *end = text + strlen(text);
		if (json(rt, &p, end, out, 0)) {
			while (p < end && isws(*p))
				p++;
			if (p == end)
				return OK;
		}
		*out = newstr(rt, text, strlen(text));
		return OK;
	}
	if (c->arg[1]) {
		*out = *c->arg[1];
		return OK;
	}
	if (!h || !h->var)
		return xerr(rt, c->at, true, "var('%s') needs dbt: this render has no variables", name);
	return xerr(rt, c->at, false, "var('%s') is not set: give it in the spec's vars or with --vars, or give var() a default",
		    name);
}

static int
f_env_var(struct rt *rt, struct call *c, struct val *out)
{
	const struct jj_host *h = rt->host;
	if (need(rt, c, 0, "name") != OK)
		return ERR;
	if (c->arg[0]->k != V_STR)
		return xerr(rt, c->at, false, "env_var(): the name must be a string, not %s", tname(c->arg[0]));
	const char *name = cstr(rt, c->arg[0]);
	const char *v = h && h->env ? h->env(h->ctx, name) : getenv(name);
	if (v) {
		*out = newstr(rt, v, strlen(v));
		return OK;
	}
	if (c->arg[1]) {
		if (c->arg[1]->k == V_NONE || c->arg[1]->k == V_UNDEF)
			*out = *c->arg[1];
		else if (tostr(rt, c->at, c->arg[1], out) != OK)
			return ERR;
		return OK;
	}
	return xerr(rt, c->at, false, "env_var('%s'): the environment variable is not set and no default was given", name);
}

static int
f_is_incremental(struct rt *rt, struct call *c, struct val *out)
{
	(void)c;
	*out = mkbool(rt->host && rt->host->is_incremental);
	return OK;
}

static int
f_return(struct rt *rt, struct call *c, struct val *out)
{
	if (!rt->mdepth)
		return xerr(rt, c->at, false, "return() outside a macro");
	rt->ret = c->arg[0] ? *c->arg[0] : vnone;
	rt->returning = true;
	*out = mkstr("", 0);
	return OK;
}

/* log(), exceptions.warn() and config(...) render nothing (the runner takes
 * a model's settings from the spec, not from config()) */
static int
f_nothing(struct rt *rt, struct call *c, struct val *out)
{
	(void)rt;
	(void)c;
	*out = mkstr("", 0);
	return OK;
}

static int
f_raise(struct rt *rt, struct call *c, struct val *out)
{
	struct val m;
	(void)out;
	if (need(rt, c, 0, "msg") != OK || tostr(rt, c->at, c->arg[0], &m) != OK)
		return ERR;
	return xerr(rt, c->at, false, "%.*s", (int)(m.u.s.n > 400 ? 400 : m.u.s.n), m.u.s.p);
}

static int
f_range(struct rt *rt, struct call *c, struct val *out)
{
	int64_t a, b, step, n;
	if (need(rt, c, 0, "stop") != OK || argint(rt, c, 0, 0, &a) != OK || argint(rt, c, 1, 0, &b) != OK ||
	    argint(rt, c, 2, 1, &step) != OK)
		return ERR;
	if (!c->arg[1]) {
		b = a;
		a = 0;
	}
	if (step == 0)
		return xerr(rt, c->at, false, "range() step must not be zero");
	if (step > 0)
		n = b > a ? (int64_t)(((uint64_t)b - (uint64_t)a - 1) / (uint64_t)step + 1) : 0;
	else
		n = a > b ? (int64_t)(((uint64_t)a - (uint64_t)b - 1) / (uint64_t)(-(step + 1) + 1ull) + 1) : 0;
	if (n < 0 || n > LIM_LIST)
		return xerr(rt, c->at, false, "range() of more than %d items", LIM_LIST);
	struct list *l = newlist(rt, (size_t)n);
	for (int64_t i = 0; i < n; i++)
		l->v[l->n++] = mkint(a + i * step);
	*out = listval(l);
	return OK;
}

/* dict(a=1) and namespace(a=1), or namespace(a_dict) */
static int
mkdictlike(struct rt *rt, struct call *c, struct val *out, bool ns)
{
	struct dict *d = ralloc(rt, sizeof(*d));
	d->ns = ns;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->kw[i]) {
			if (i > 0 || c->v[i].k != V_DICT)
				return xerr(rt, c->at, true, "%s with positional arguments needs dbt", c->what);
			for (size_t j = 0; j < c->v[i].u.d->n; j++)
				if (dput(rt, c->at, d, c->v[i].u.d->k[j], c->v[i].u.d->v[j]) != OK)
					return ERR;
			continue;
		}
		if (dput(rt, c->at, d, mkstr(c->kw[i], strlen(c->kw[i])), c->v[i]) != OK)
			return ERR;
	}
	*out = dictval(d);
	return OK;
}

static int
f_dict(struct rt *rt, struct call *c, struct val *out)
{
	return mkdictlike(rt, c, out, false);
}

static int
f_namespace(struct rt *rt, struct call *c, struct val *out)
{
	return mkdictlike(rt, c, out, true);
}

enum fn { F_REF, F_SOURCE, F_VAR, F_ENV_VAR, F_CONFIG, F_IS_INCREMENTAL, F_RETURN, F_LOG, F_RANGE, F_DICT, F_NAMESPACE, F_RAISE, F_WARN };

static const struct callable functions[] = {
	[F_REF] = {"ref", f_ref, {"a", "b", "v", "version"}},
	[F_SOURCE] = {"source", f_source, {"source_name", "table_name"}},
	[F_VAR] = {"var", f_var, {"name", "default"}},
	[F_ENV_VAR] = {"env_var", f_env_var, {"name", "default"}},
	[F_CONFIG] = {"config", f_nothing, {"*"}},
	[F_IS_INCREMENTAL] = {"is_incremental", f_is_incremental, {NULL}},
	[F_RETURN] = {"return", f_return, {"value"}},
	[F_LOG] = {"log", f_nothing, {"msg", "info"}},
	[F_RANGE] = {"range", f_range, {"start", "stop", "step"}},
	[F_DICT] = {"dict", f_dict, {"*"}},
	[F_NAMESPACE] = {"namespace", f_namespace, {"*"}},
	/* reached only as exceptions.raise_compiler_error and exceptions.warn */
	[F_RAISE] = {"exceptions.raise_compiler_error", f_raise, {"msg"}},
	[F_WARN] = {"exceptions.warn", f_nothing, {"msg"}},
};

uint8_t
jinja_find_function(const char *name)
{
	return findin(functions, F_RAISE, name);
}

/* ---- filters ---- */

static char
lowerc(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static char
upperc(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

/* the other case of a letter written in two UTF-8 bytes (Latin-1, Latin
 * Extended-A, Greek, Cyrillic), or cp itself */
static unsigned
case2(unsigned cp, bool up)
{
	unsigned lo = cp, hi = cp;
	if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) ||
	    (cp >= 0x410 && cp <= 0x42F))
		lo = cp + 32;
	else if ((cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) || (cp >= 0x3B1 && cp <= 0x3CB && cp != 0x3C2) ||
		 (cp >= 0x430 && cp <= 0x44F))
		hi = cp - 32;
	else if (cp == 0x386 || cp == 0x38C)
		lo = cp == 0x386 ? 0x3AC : 0x3CC;
	else if (cp == 0x3AC || cp == 0x3CC)
		hi = cp == 0x3AC ? 0x386 : 0x38C;
	else if (cp >= 0x388 && cp <= 0x38A)
		lo = cp + 37;
	else if (cp >= 0x3AD && cp <= 0x3AF)
		hi = cp - 37;
	else if (cp == 0x38E || cp == 0x38F)
		lo = cp + 63;
	else if (cp == 0x3CD || cp == 0x3CE)
		hi = cp - 63;
	else if (cp >= 0x400 && cp <= 0x40F)
		lo = cp + 80;
	else if (cp >= 0x450 && cp <= 0x45F)
		hi = cp - 80;
	else if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) /* even: upper */
		(cp & 1) ? (hi = cp - 1) : (lo = cp + 1);
	else if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) /* odd: upper */
		(cp & 1) ? (lo = cp + 1) : (hi = cp - 1);
	return up ? hi : lo;
}

/* a copy of the input string with its letters' case changed; mode: 'l'
 * lower, 'u' upper, 'c' capitalize, 't' Jinja's title filter (words split
 * at spaces, '-' and opening brackets), 'T' Python's str.title() (at any
 * character that is not a letter) */
static int
casemap(struct rt *rt, struct call *c, struct val *out, char mode)
{
	const char *p;
	size_t n;
	if (instr(rt, c, &p, &n) != OK)
		return ERR;
	char *s = ralloc(rt, n + 1);
	bool word = false;
	for (size_t i = 0; i < n;) {
		size_t cl = u8char(p + i, n - i);
		unsigned cp = cl == 1 ? (unsigned char)p[i] : cl == 2 ? ((p[i] & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu) : 0;
		bool alpha = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || case2(cp, true) != case2(cp, false);
		bool up = mode == 'u' || (mode == 'c' && i == 0) || ((mode == 't' || mode == 'T') && !word);
		if (mode == 'T')
			word = alpha;
		else if (mode == 't')
			word = !(isws(p[i]) || p[i] == '-' || p[i] == '(' || p[i] == '{' || p[i] == '[' || p[i] == '<');
		if (cl == 1) {
			s[i] = up ? upperc(p[i]) : lowerc(p[i]);
		} else if (cl == 2 && cp >= 0x80) {
			unsigned m = case2(cp, up);
			if (m < 0x80 || m >= 0x800)
				m = cp;
			s[i] = (char)(0xC0 | m >> 6);
			s[i + 1] = (char)(0x80 | (m & 0x3F));
		} else {
			memcpy(s + i, p + i, cl);
		}
		i += cl;
	}
	*out = mkstr(s, n);
	return OK;
}

static int
fl_lower(struct rt *rt, struct call *c, struct val *out)
{
	return casemap(rt, c, out, 'l');
}

static int
fl_upper(struct rt *rt, struct call *c, struct val *out)
{
	return casemap(rt, c, out, 'u');
}

static int
fl_capitalize(struct rt *rt, struct call *c, struct val *out)
{
	return casemap(rt, c, out, 'c');
}

static int
fl_title(struct rt *rt, struct call *c, struct val *out)
{
	return casemap(rt, c, out, 't');
}

static int
m_title(struct rt *rt, struct call *c, struct val *out)
{
	return casemap(rt, c, out, 'T');
}

/* strip the characters of arg 1 (whitespace when not given) from the
 * left (how & 1) and the right (how & 2) */
static int
strip(struct rt *rt, struct call *c, struct val *out, int how)
{
	const char *p, *set = NULL;
	size_t n, ns = 0;
	if (instr(rt, c, &p, &n) != OK)
		return ERR;
	if (c->arg[1] && c->arg[1]->k != V_NONE && argstr(rt, c, 1, NULL, &set, &ns) != OK)
		return ERR;
	size_t a = 0, b = n;
#define STRIPPED(ch) (set ? memchr(set, (ch), ns) != NULL : isws(ch))
	if (how & 1)
		while (a < b && STRIPPED(p[a]))
			a++;
	if (how & 2)
		while (b > a && STRIPPED(p[b - 1]))
			b--;
#undef STRIPPED
	*out = mkstr(p + a, b - a);
	return OK;
}

static int
fl_trim(struct rt *rt, struct call *c, struct val *out)
{
	return strip(rt, c, out, 3);
}

static int
m_lstrip(struct rt *rt, struct call *c, struct val *out)
{
	return strip(rt, c, out, 1);
}

static int
m_rstrip(struct rt *rt, struct call *c, struct val *out)
{
	return strip(rt, c, out, 2);
}

static int
fl_replace(struct rt *rt, struct call *c, struct val *out)
{
	const char *p, *old, *new_;
	size_t n, no, nn;
	int64_t count;
	struct buf b = {0};
	int st = OK;

	if (need(rt, c, 1, "old") != OK || need(rt, c, 2, "new") != OK || instr(rt, c, &p, &n) != OK ||
	    argstr(rt, c, 1, NULL, &old, &no) != OK || argstr(rt, c, 2, NULL, &new_, &nn) != OK ||
	    argint(rt, c, 3, -1, &count) != OK)
		return ERR;
	if (no == 0) {
		/* Python puts new before every character and at the end */
		for (size_t i = 0; i <= n && st == OK;) {
			if (count != 0) {
				st = bput(rt, c->at, &b, new_, nn);
				count--;
			}
			if (i == n || st != OK)
				break;
			size_t cl = u8char(p + i, n - i);
			st = bput(rt, c->at, &b, p + i, cl);
			i += cl;
		}
	} else {
		size_t i = 0, run = 0;
		while (i < n && st == OK) {
			const char *hit = count != 0 ? find(rt, p + i, n - i, old, no) : NULL;
			if (!hit)
				break;
			i = (size_t)(hit - p);
			st = bput(rt, c->at, &b, p + run, i - run);
			if (st == OK)
				st = bput(rt, c->at, &b, new_, nn);
			i += no;
			run = i;
			count--;
		}
		if (st == OK)
			st = bput(rt, c->at, &b, p + run, n - run);
	}
	return bufstr(rt, &b, st, out);
}

static int getattr_(struct rt *rt, const struct expr *at, const struct val *obj, const char *name, struct val *out);

/* item i's attribute (a dotted path such as "a.b") */
static int
attrpath(struct rt *rt, const struct expr *at, const struct val *v, const char *path, size_t plen, struct val *out)
{
	*out = *v;
	while (plen) {
		const char *dot = memchr(path, '.', plen);
		size_t l = dot ? (size_t)(dot - path) : plen;
		char name[128];
		if (l >= sizeof(name))
			return xerr(rt, at, false, "attribute name too long");
		memcpy(name, path, l);
		name[l] = '\0';
		struct val in = *out;
		if (isdigit_(name[0]) && in.k == V_LIST) {
			size_t i = (size_t)strtoull(name, NULL, 10);
			*out = i < in.u.l->n ? in.u.l->v[i] : mkundef(NULL);
		} else if (getattr_(rt, at, &in, name, out) != OK) {
			return ERR;
		}
		path += l + (dot != NULL);
		plen -= l + (dot != NULL);
	}
	return OK;
}

static int
fl_join(struct rt *rt, struct call *c, struct val *out)
{
	const char *sep, *attr = NULL;
	size_t ns, na = 0;
	struct list *l;
	struct buf b = {0};
	int st = OK;

	if (argstr(rt, c, 1, "", &sep, &ns) != OK || (c->arg[2] && argstr(rt, c, 2, NULL, &attr, &na) != OK) ||
	    items(rt, c->at, &c->v[0], &l) != OK)
		return ERR;
	for (size_t i = 0; i < l->n && st == OK; i++) {
		struct val v = l->v[i];
		if (attr && (st = attrpath(rt, c->at, &l->v[i], attr, na, &v)) != OK)
			break;
		if (i)
			st = bput(rt, c->at, &b, sep, ns);
		if (st == OK)
			st = put(rt, c->at, &b, &v, false, 0);
	}
	return bufstr(rt, &b, st, out);
}

static int
fl_default(struct rt *rt, struct call *c, struct val *out)
{
	(void)rt;
	bool use = c->v[0].k == V_UNDEF || (c->arg[2] && truthy(c->arg[2]) && !truthy(&c->v[0]));
	*out = !use ? c->v[0] : c->arg[1] ? *c->arg[1] : mkstr("", 0);
	return OK;
}

static int
fl_length(struct rt *rt, struct call *c, struct val *out)
{
	const struct val *v = &c->v[0];
	switch (v->k) {
	case V_STR:
	case V_REL:
		rt->work += v->u.s.n;
		*out = mkint((int64_t)u8len(v->u.s.p, v->u.s.n));
		return OK;
	case V_LIST:
		*out = mkint((int64_t)v->u.l->n);
		return OK;
	case V_DICT:
		*out = mkint((int64_t)v->u.d->n);
		return OK;
	case V_UNDEF:
		*out = mkint(0);
		return OK;
	default:
		return xerr(rt, c->at, false, "object of type '%s' has no len()", tname(v));
	}
}

/* a new list of the input's items */
static int
fl_list(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l, *copy;
	if (items(rt, c->at, &c->v[0], &l) != OK)
		return ERR;
	copy = newlist(rt, l->n);
	if (l->n)
		memcpy(copy->v, l->v, l->n * sizeof(*l->v));
	copy->n = l->n;
	*out = listval(copy);
	return OK;
}

/* parse Python's int() text: [ws][sign]digits[ws], '_' between digits */
static bool
parseint(const char *p, size_t n, int base, int64_t *out)
{
	size_t i = 0;
	bool neg = false, any = false;
	uint64_t v = 0;

	while (i < n && isws(p[i]))
		i++;
	while (n > i && isws(p[n - 1]))
		n--;
	if (i < n && (p[i] == '+' || p[i] == '-'))
		neg = p[i++] == '-';
	if (base == 16 && n - i > 2 && p[i] == '0' && (p[i + 1] | 32) == 'x')
		i += 2;
	for (; i < n; i++) {
		char ch = p[i];
		int d = isdigit_(ch) ? ch - '0' : (ch | 32) >= 'a' && (ch | 32) <= 'z' ? (ch | 32) - 'a' + 10 : -1;
		if (ch == '_' && any && i + 1 < n && p[i + 1] != '_')
			continue;
		if (d < 0 || d >= base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
		any = true;
	}
	if (!any || v > (uint64_t)INT64_MAX + neg)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static bool
parsefloat(const char *p, size_t n, double *out)
{
	char tmp[128], *end;
	while (n && isws(*p))
		p++, n--;
	while (n && isws(p[n - 1]))
		n--;
	if (!n || n >= sizeof(tmp))
		return false;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!(isdigit_(tmp[i]) || strchr("+-.eE", tmp[i]) || (tmp[i] | 32) == 'i' || (tmp[i] | 32) == 'n' ||
		      (tmp[i] | 32) == 'f' || (tmp[i] | 32) == 'a' || (tmp[i] | 32) == 't' || (tmp[i] | 32) == 'y'))
			return false;
	*out = strtod(tmp, &end);
	return *end == '\0';
}

static int
fl_int(struct rt *rt, struct call *c, struct val *out)
{
	const struct val *v = &c->v[0];
	int64_t base = 10, i;
	double f;
	if (argint(rt, c, 2, 10, &base) != OK)
		return ERR;
	if (base < 2 || base > 36)
		return xerr(rt, c->at, false, "int(): base must be between 2 and 36");
	switch (v->k) {
	case V_INT:
	case V_BOOL:
		*out = mkint(inum(v));
		return OK;
	case V_FLOAT:
		if (v->u.f != v->u.f || v->u.f >= 9.2233720368547758e18 || v->u.f <= -9.2233720368547758e18)
			break;
		*out = mkint((int64_t)v->u.f);
		return OK;
	case V_STR:
	case V_REL:
		if (parseint(v->u.s.p, v->u.s.n, (int)base, &i)) {
			*out = mkint(i);
			return OK;
		}
		if (parsefloat(v->u.s.p, v->u.s.n, &f) && f == f && f < 9.2233720368547758e18 && f > -9.2233720368547758e18) {
			*out = mkint((int64_t)f);
			return OK;
		}
		break;
	default:
		break;
	}
	*out = c->arg[1] ? *c->arg[1] : mkint(0);
	return OK;
}

static int
fl_float(struct rt *rt, struct call *c, struct val *out)
{
	const struct val *v = &c->v[0];
	double f;
	(void)rt;
	if (isnum(v)) {
		*out = mkfloat(fnum(v));
		return OK;
	}
	if (isstr(v) && parsefloat(v->u.s.p, v->u.s.n, &f)) {
		*out = mkfloat(f);
		return OK;
	}
	*out = c->arg[1] ? *c->arg[1] : mkfloat(0);
	return OK;
}

static int
fl_string(struct rt *rt, struct call *c, struct val *out)
{
	return tostr(rt, c->at, &c->v[0], out);
}

static int
fl_first(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l;
	if (isstr(&c->v[0])) {
		const struct val *v = &c->v[0];
		*out = v->u.s.n ? mkstr(v->u.s.p, u8char(v->u.s.p, v->u.s.n)) : mkundef(NULL);
		return OK;
	}
	if (items(rt, c->at, &c->v[0], &l) != OK)
		return ERR;
	*out = l->n ? l->v[0] : mkundef(NULL);
	return OK;
}

static int
fl_last(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l;
	if (items(rt, c->at, &c->v[0], &l) != OK)
		return ERR;
	*out = l->n ? l->v[l->n - 1] : mkundef(NULL);
	return OK;
}

/* the key a sort or unique compares: an attribute, and lower-cased text */
static int
sortkey(struct rt *rt, struct call *c, const struct val *v, size_t attr_arg, size_t cs_arg, struct val *key)
{
	const char *attr;
	size_t na;
	*key = *v;
	if (c->arg[attr_arg] && c->arg[attr_arg]->k != V_NONE) {
		if (argstr(rt, c, attr_arg, NULL, &attr, &na) != OK || attrpath(rt, c->at, v, attr, na, key) != OK)
			return ERR;
	}
	if (isstr(key) && !(c->arg[cs_arg] && truthy(c->arg[cs_arg]))) {
		char *s = ralloc(rt, key->u.s.n + 1);
		for (size_t i = 0; i < key->u.s.n; i++)
			s[i] = lowerc(key->u.s.p[i]);
		*key = mkstr(s, key->u.s.n);
	}
	return OK;
}

/* a stable merge sort of v[0..n) by keys k, descending when rev */
static int
msort(struct rt *rt, const struct expr *at, struct val *v, struct val *k, struct val *tv, struct val *tk, size_t n,
      bool rev)
{
	if (n < 2)
		return OK;
	size_t h = n / 2;
	if (msort(rt, at, v, k, tv, tk, h, rev) != OK || msort(rt, at, v + h, k + h, tv, tk, n - h, rev) != OK)
		return ERR;
	size_t i = 0, j = h, o = 0;
	while (i < h || j < n) {
		bool left;
		if (i == h) {
			left = false;
		} else if (j == n) {
			left = true;
		} else {
			int r;
			if (vcmp(rt, at, &k[i], &k[j], &r, 0) != OK)
				return ERR;
			left = rev ? r >= 0 : r <= 0;
		}
		size_t from = left ? i++ : j++;
		tv[o] = v[from];
		tk[o++] = k[from];
	}
	memcpy(v, tv, n * sizeof(*v));
	memcpy(k, tk, n * sizeof(*k));
	return OK;
}

static int
fl_sort(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l, *r;
	if (items(rt, c->at, &c->v[0], &l) != OK)
		return ERR;
	size_t n = l->n;
	r = newlist(rt, n);
	struct val *k = ralloc(rt, (n + 1) * sizeof(*k)), *tv = ralloc(rt, (n + 1) * sizeof(*tv)),
		   *tk = ralloc(rt, (n + 1) * sizeof(*tk));
	for (size_t i = 0; i < n; i++) {
		r->v[i] = l->v[i];
		if (sortkey(rt, c, &l->v[i], 3, 2, &k[i]) != OK)
			return ERR;
	}
	r->n = n;
	if (msort(rt, c->at, r->v, k, tv, tk, n, c->arg[1] && truthy(c->arg[1])) != OK)
		return ERR;
	*out = listval(r);
	return OK;
}

static int
fl_unique(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l, *r, *keys;
	if (items(rt, c->at, &c->v[0], &l) != OK)
		return ERR;
	r = newlist(rt, 0);
	keys = newlist(rt, 0);
	for (size_t i = 0; i < l->n; i++) {
		struct val k;
		size_t j;
		if (sortkey(rt, c, &l->v[i], 2, 1, &k) != OK)
			return ERR;
		for (j = 0; j < keys->n; j++)
			if (veq(rt, &keys->v[j], &k, 0))
				break;
		if (j < keys->n)
			continue;
		if (lpush(rt, c->at, keys, k) != OK || lpush(rt, c->at, r, l->v[i]) != OK)
			return ERR;
	}
	*out = listval(r);
	return OK;
}

static int
fl_reverse(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l, *r;
	if (isstr(&c->v[0])) {
		const char *p = c->v[0].u.s.p;
		size_t n = c->v[0].u.s.n;
		char *s = ralloc(rt, n + 1);
		for (size_t i = 0; i < n;) {
			size_t cl = u8char(p + i, n - i);
			memcpy(s + n - i - cl, p + i, cl);
			i += cl;
		}
		*out = mkstr(s, n);
		return OK;
	}
	if (items(rt, c->at, &c->v[0], &l) != OK)
		return ERR;
	r = newlist(rt, l->n);
	for (size_t i = 0; i < l->n; i++)
		r->v[i] = l->v[l->n - 1 - i];
	r->n = l->n;
	*out = listval(r);
	return OK;
}

static int
fl_abs(struct rt *rt, struct call *c, struct val *out)
{
	const struct val *v = &c->v[0];
	if (v->k == V_FLOAT) {
		*out = mkfloat(v->u.f < 0 ? -v->u.f : v->u.f);
		return OK;
	}
	if (v->k == V_INT || v->k == V_BOOL) {
		int64_t i = inum(v);
		if (i == INT64_MIN)
			return xerr(rt, c->at, false, "integer overflow");
		*out = mkint(i < 0 ? -i : i);
		return OK;
	}
	return xerr(rt, c->at, false, "bad operand type for abs(): '%s'", tname(v));
}

/* floor without libm: exact for every double */
static double
floord(double x)
{
	if (!(x > -4503599627370496.0 && x < 4503599627370496.0))
		return x; /* no fraction (or NaN) */
	double t = (double)(int64_t)x;
	return t > x ? t - 1 : t;
}

static int
fl_round(struct rt *rt, struct call *c, struct val *out)
{
	const char *method;
	size_t nm;
	int64_t prec;
	if (!isnum(&c->v[0]))
		return xerr(rt, c->at, false, "round: the value must be a number, not %s", tname(&c->v[0]));
	if (argint(rt, c, 1, 0, &prec) != OK || argstr(rt, c, 2, "common", &method, &nm) != OK)
		return ERR;
	if (prec < 0 || prec > 15)
		return xerr(rt, c->at, true, "round() with precision %" PRId64 " needs dbt", prec);
	if (c->v[0].k != V_FLOAT && nm == 6 && memcmp(method, "common", 6) == 0) {
		*out = mkint(inum(&c->v[0])); /* Python's round() keeps an int an int */
		return OK;
	}
	double x = fnum(&c->v[0]), scale = 1;
	for (int64_t i = 0; i < prec; i++)
		scale *= 10;
	if (nm == 6 && memcmp(method, "common", 6) == 0) {
		/* Python's round(): to nearest, ties to even, on the exact value */
		char tmp[400];
		snprintf(tmp, sizeof(tmp), "%.*f", (int)prec, x);
		*out = mkfloat(strtod(tmp, NULL));
	} else if ((nm == 4 && memcmp(method, "ceil", 4) == 0) || (nm == 5 && memcmp(method, "floor", 5) == 0)) {
		bool ceil = method[0] == 'c';
		double y = x * scale;
		double f = ceil ? -floord(-y) : floord(y);
		*out = mkfloat(f / scale);
	} else {
		return xerr(rt, c->at, false, "round: method must be 'common', 'ceil' or 'floor'");
	}
	return OK;
}

static int arith(struct rt *rt, const struct expr *at, int op, const struct val *a, const struct val *b, struct val *out);

static int
fl_sum(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l;
	const char *attr = NULL;
	size_t na = 0;
	if (items(rt, c->at, &c->v[0], &l) != OK ||
	    (c->arg[1] && c->arg[1]->k != V_NONE && argstr(rt, c, 1, NULL, &attr, &na) != OK))
		return ERR;
	struct val acc = c->arg[2] ? *c->arg[2] : mkint(0);
	rt->work += l->n;
	for (size_t i = 0; i < l->n; i++) {
		struct val v = l->v[i];
		if (attr && attrpath(rt, c->at, &l->v[i], attr, na, &v) != OK)
			return ERR;
		if (arith(rt, c->at, O_ADD, &acc, &v, &acc) != OK)
			return ERR;
	}
	*out = acc;
	return OK;
}

static int
minmax(struct rt *rt, struct call *c, struct val *out, bool max)
{
	struct list *l;
	struct val best, bk;
	if (items(rt, c->at, &c->v[0], &l) != OK)
		return ERR;
	if (!l->n) {
		*out = mkundef(NULL);
		return OK;
	}
	rt->work += l->n;
	for (size_t i = 0; i < l->n; i++) {
		struct val k;
		int r;
		if (sortkey(rt, c, &l->v[i], 2, 1, &k) != OK)
			return ERR;
		if (i && vcmp(rt, c->at, &k, &bk, &r, 0) != OK)
			return ERR;
		if (i == 0 || (max ? r > 0 : r < 0)) {
			best = l->v[i];
			bk = k;
		}
	}
	*out = best;
	return OK;
}

static int
fl_min(struct rt *rt, struct call *c, struct val *out)
{
	return minmax(rt, c, out, false);
}

static int
fl_max(struct rt *rt, struct call *c, struct val *out)
{
	return minmax(rt, c, out, true);
}

static int callf(struct rt *rt, const struct callable *f, struct call *c, struct val *out);
static const struct callable *filter_at(uint8_t i);

/* map(attribute='x', default=d) or map('filter', args...) */
static int
fl_map(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l, *r;
	const char *attr = NULL, *fname = NULL;
	const struct val *def = NULL;
	size_t na = 0, first = 1;

	for (size_t i = 1; i < c->n; i++) {
		if (c->kw[i] && strcmp(c->kw[i], "attribute") == 0 && isstr(&c->v[i])) {
			attr = c->v[i].u.s.p;
			na = c->v[i].u.s.n;
		} else if (c->kw[i] && strcmp(c->kw[i], "default") == 0) {
			def = &c->v[i];
		} else if (i == 1 && !c->kw[i] && c->v[i].k == V_STR) {
			fname = cstr(rt, &c->v[i]);
			first = 2;
		} else {
			return xerr(rt, c->at, true, "this form of map() needs dbt");
		}
	}
	if (!attr && !fname)
		return xerr(rt, c->at, false, "map() needs a filter name or attribute=");
	uint8_t fi = fname ? jinja_find_filter(fname) : NOTFOUND;
	if (fname && fi == NOTFOUND)
		return xerr(rt, c->at, true, "filter '%s' needs dbt", fname);
	if (items(rt, c->at, &c->v[0], &l) != OK)
		return ERR;
	r = newlist(rt, l->n);
	for (size_t i = 0; i < l->n; i++) {
		struct val v;
		if (attr) {
			if (attrpath(rt, c->at, &l->v[i], attr, na, &v) != OK)
				return ERR;
			if (v.k == V_UNDEF && def)
				v = *def;
		} else {
			struct call fc = {.at = c->at, .what = fname};
			fc.n = c->n - first + 1;
			fc.v = fc.n <= LEN(fc.small) ? fc.small : ralloc(rt, fc.n * sizeof(*fc.v));
			fc.kw = fc.n <= LEN(fc.smallkw) ? fc.smallkw : ralloc(rt, fc.n * sizeof(*fc.kw));
			fc.v[0] = l->v[i];
			fc.kw[0] = NULL;
			for (size_t j = first; j < c->n; j++) {
				fc.v[j - first + 1] = c->v[j];
				fc.kw[j - first + 1] = c->kw[j];
			}
			if (callf(rt, filter_at(fi), &fc, &v) != OK)
				return ERR;
		}
		r->v[r->n++] = v;
	}
	*out = listval(r);
	return OK;
}

static struct list *
pairs(struct rt *rt, const struct dict *d, int which)
{
	struct list *r = newlist(rt, d->n);
	for (size_t i = 0; i < d->n; i++) {
		if (which == 0) {
			r->v[i] = d->k[i];
		} else if (which == 1) {
			r->v[i] = d->v[i];
		} else {
			struct list *t = newlist(rt, 2);
			t->tuple = true;
			t->v[0] = d->k[i];
			t->v[1] = d->v[i];
			t->n = 2;
			r->v[i] = listval(t);
		}
	}
	r->n = d->n;
	return r;
}

static int
fl_items(struct rt *rt, struct call *c, struct val *out)
{
	if (c->v[0].k == V_UNDEF) {
		*out = listval(newlist(rt, 0));
		return OK;
	}
	if (c->v[0].k != V_DICT)
		return xerr(rt, c->at, false, "items: a dict is needed, not %s", tname(&c->v[0]));
	*out = listval(pairs(rt, c->v[0].u.d, 2));
	return OK;
}

/* safe, and dbt's as_text, as_bool, as_native, as_number (which do nothing
 * when rendering text) */
static int
fl_same(struct rt *rt, struct call *c, struct val *out)
{
	(void)rt;
	*out = c->v[0];
	return OK;
}

static int
fl_attr(struct rt *rt, struct call *c, struct val *out)
{
	const char *p;
	size_t n;
	if (need(rt, c, 1, "name") != OK || argstr(rt, c, 1, NULL, &p, &n) != OK)
		return ERR;
	char name[128];
	if (n >= sizeof(name))
		return xerr(rt, c->at, false, "attribute name too long");
	memcpy(name, p, n);
	name[n] = '\0';
	return getattr_(rt, c->at, &c->v[0], name, out);
}

static const struct callable filters[] = {
	{"lower", fl_lower, {"value"}},
	{"upper", fl_upper, {"value"}},
	{"capitalize", fl_capitalize, {"value"}},
	{"title", fl_title, {"value"}},
	{"trim", fl_trim, {"value", "chars"}},
	{"replace", fl_replace, {"s", "old", "new", "count"}},
	{"join", fl_join, {"value", "d", "attribute"}},
	{"default", fl_default, {"value", "default_value", "boolean"}},
	{"d", fl_default, {"value", "default_value", "boolean"}},
	{"length", fl_length, {"obj"}},
	{"count", fl_length, {"obj"}},
	{"list", fl_list, {"value"}},
	{"int", fl_int, {"value", "default", "base"}},
	{"float", fl_float, {"value", "default"}},
	{"string", fl_string, {"value"}},
	{"first", fl_first, {"seq"}},
	{"last", fl_last, {"seq"}},
	{"sort", fl_sort, {"value", "reverse", "case_sensitive", "attribute"}},
	{"unique", fl_unique, {"value", "case_sensitive", "attribute"}},
	{"reverse", fl_reverse, {"value"}},
	{"abs", fl_abs, {"x"}},
	{"round", fl_round, {"value", "precision", "method"}},
	{"sum", fl_sum, {"iterable", "attribute", "start"}},
	{"min", fl_min, {"value", "case_sensitive", "attribute"}},
	{"max", fl_max, {"value", "case_sensitive", "attribute"}},
	{"map", fl_map, {"*"}},
	{"items", fl_items, {"value"}},
	{"attr", fl_attr, {"obj", "name"}},
	{"safe", fl_same, {"value"}},
	{"as_text", fl_same, {"value"}},
	{"as_bool", fl_same, {"value"}},
	{"as_native", fl_same, {"value"}},
	{"as_number", fl_same, {"value"}},
};

uint8_t
jinja_find_filter(const char *name)
{
	return findin(filters, LEN(filters), name);
}

static const struct callable *
filter_at(uint8_t i)
{
	return &filters[i];
}

/* ---- tests ---- */

static int
t_defined(struct rt *rt, struct call *c, struct val *out)
{
	(void)rt;
	*out = mkbool(c->v[0].k != V_UNDEF);
	return OK;
}

static int
t_undefined(struct rt *rt, struct call *c, struct val *out)
{
	(void)rt;
	*out = mkbool(c->v[0].k == V_UNDEF);
	return OK;
}

static int
t_none(struct rt *rt, struct call *c, struct val *out)
{
	(void)rt;
	*out = mkbool(c->v[0].k == V_NONE);
	return OK;
}

/* the kind tests: which is the test's name */
static int
t_kind(struct rt *rt, struct call *c, struct val *out)
{
	const struct val *v = &c->v[0];
	const char *w = c->what;
	bool r;
	(void)rt;
	if (strcmp(w, "boolean") == 0)
		r = v->k == V_BOOL;
	else if (strcmp(w, "true") == 0)
		r = v->k == V_BOOL && v->u.b;
	else if (strcmp(w, "false") == 0)
		r = v->k == V_BOOL && !v->u.b;
	else if (strcmp(w, "integer") == 0)
		r = v->k == V_INT;
	else if (strcmp(w, "float") == 0)
		r = v->k == V_FLOAT;
	else if (strcmp(w, "number") == 0)
		r = isnum(v);
	else if (strcmp(w, "string") == 0)
		r = v->k == V_STR;
	else if (strcmp(w, "mapping") == 0)
		r = v->k == V_DICT;
	else if (strcmp(w, "sequence") == 0)
		r = v->k == V_LIST || v->k == V_STR || v->k == V_DICT;
	else if (strcmp(w, "iterable") == 0)
		r = v->k == V_LIST || v->k == V_STR || v->k == V_DICT || v->k == V_UNDEF;
	else if (strcmp(w, "callable") == 0)
		r = v->k == V_MACRO || v->k == V_FUNC;
	else if (strcmp(w, "lower") == 0 || strcmp(w, "upper") == 0) {
		bool up = w[0] == 'u';
		r = isstr(v);
		for (size_t i = 0; r && i < v->u.s.n; i++)
			if (up ? (v->u.s.p[i] >= 'a' && v->u.s.p[i] <= 'z') : (v->u.s.p[i] >= 'A' && v->u.s.p[i] <= 'Z'))
				r = false;
	} else
		r = false;
	*out = mkbool(r);
	return OK;
}

static int
t_parity(struct rt *rt, struct call *c, struct val *out)
{
	if (c->v[0].k != V_INT && c->v[0].k != V_BOOL)
		return xerr(rt, c->at, false, "test '%s' needs an integer, not %s", c->what, tname(&c->v[0]));
	int64_t i = inum(&c->v[0]);
	*out = mkbool(((i % 2 != 0) ? 1 : 0) == (c->what[0] == 'o'));
	return OK;
}

static int
t_divisibleby(struct rt *rt, struct call *c, struct val *out)
{
	int64_t d;
	if (need(rt, c, 1, "num") != OK || argint(rt, c, 1, 1, &d) != OK)
		return ERR;
	if (c->v[0].k != V_INT && c->v[0].k != V_BOOL)
		return xerr(rt, c->at, false, "divisibleby needs an integer, not %s", tname(&c->v[0]));
	if (d == 0)
		return xerr(rt, c->at, false, "integer division or modulo by zero");
	*out = mkbool(d == -1 || inum(&c->v[0]) % d == 0);
	return OK;
}

static int compare(struct rt *rt, const struct expr *at, int op, const struct val *a, const struct val *b, bool *r);

static int
t_compare(struct rt *rt, struct call *c, struct val *out)
{
	static const struct {
		const char *name;
		int op;
	} map[] = {{"eq", O_EQ}, {"equalto", O_EQ}, {"sameas", O_EQ}, {"ne", O_NE}, {"lt", O_LT}, {"lessthan", O_LT},
		   {"le", O_LE}, {"gt", O_GT}, {"greaterthan", O_GT}, {"ge", O_GE}, {"in", O_IN}};
	bool r;
	size_t i;
	if (need(rt, c, 1, "other") != OK)
		return ERR;
	for (i = 0; i < LEN(map); i++)
		if (strcmp(map[i].name, c->what) == 0)
			break;
	if (strcmp(c->what, "sameas") == 0) {
		/* identity: scalars by value (Python caches small ones) */
		const struct val *a = &c->v[0], *b = c->arg[1];
		r = a->k == b->k && (a->k == V_LIST ? a->u.l == b->u.l : a->k == V_DICT ? a->u.d == b->u.d : veq(rt, a, b, 0));
	} else if (compare(rt, c->at, map[i].op, &c->v[0], c->arg[1], &r) != OK) {
		return ERR;
	}
	*out = mkbool(r);
	return OK;
}

static const struct callable tests[] = {
	{"defined", t_defined, {"value"}},
	{"undefined", t_undefined, {"value"}},
	{"none", t_none, {"value"}},
	{"boolean", t_kind, {"value"}},
	{"true", t_kind, {"value"}},
	{"false", t_kind, {"value"}},
	{"integer", t_kind, {"value"}},
	{"float", t_kind, {"value"}},
	{"number", t_kind, {"value"}},
	{"string", t_kind, {"value"}},
	{"mapping", t_kind, {"value"}},
	{"sequence", t_kind, {"value"}},
	{"iterable", t_kind, {"value"}},
	{"callable", t_kind, {"value"}},
	{"lower", t_kind, {"value"}},
	{"upper", t_kind, {"value"}},
	{"even", t_parity, {"value"}},
	{"odd", t_parity, {"value"}},
	{"divisibleby", t_divisibleby, {"value", "num"}},
	{"eq", t_compare, {"value", "other"}},
	{"equalto", t_compare, {"value", "other"}},
	{"sameas", t_compare, {"value", "other"}},
	{"ne", t_compare, {"value", "other"}},
	{"lt", t_compare, {"value", "other"}},
	{"lessthan", t_compare, {"value", "other"}},
	{"le", t_compare, {"value", "other"}},
	{"gt", t_compare, {"value", "other"}},
	{"greaterthan", t_compare, {"value", "other"}},
	{"ge", t_compare, {"value", "other"}},
	{"in", t_compare, {"value", "other"}},
};

uint8_t
jinja_find_test(const char *name)
{
	return findin(tests, LEN(tests), name);
}

/* ---- methods of strings, lists, dicts, relations and loops ---- */

static int
m_split(struct rt *rt, struct call *c, struct val *out)
{
	const char *p, *sep = NULL;
	size_t n, ns = 0;
	int64_t max;
	struct list *l = newlist(rt, 0);

	if (instr(rt, c, &p, &n) != OK || argint(rt, c, 2, -1, &max) != OK)
		return ERR;
	if (c->arg[1] && c->arg[1]->k != V_NONE && argstr(rt, c, 1, NULL, &sep, &ns) != OK)
		return ERR;
	if (sep && ns == 0)
		return xerr(rt, c->at, false, "split(): empty separator");
	size_t i = 0;
	if (!sep) {
		/* runs of whitespace separate, and none is kept at the start;
		 * once maxsplit is spent the rest is one item, as it is */
		for (;;) {
			while (i < n && isws(p[i]))
				i++;
			if (i >= n)
				break;
			size_t j = i;
			if (max == 0)
				j = n;
			else
				while (j < n && !isws(p[j]))
					j++;
			if (lpush(rt, c->at, l, mkstr(p + i, j - i)) != OK)
				return ERR;
			if (max > 0)
				max--;
			i = j;
		}
	} else {
		for (;;) {
			const char *hit = max != 0 ? find(rt, p + i, n - i, sep, ns) : NULL;
			if (!hit) {
				if (lpush(rt, c->at, l, mkstr(p + i, n - i)) != OK)
					return ERR;
				break;
			}
			if (lpush(rt, c->at, l, mkstr(p + i, (size_t)(hit - p) - i)) != OK)
				return ERR;
			i = (size_t)(hit - p) + ns;
			if (max > 0)
				max--;
		}
	}
	*out = listval(l);
	return OK;
}

/* startswith / endswith: a string or a tuple of strings */
static int
affix(struct rt *rt, struct call *c, struct val *out, bool end)
{
	const char *p;
	size_t n;
	if (need(rt, c, 1, "prefix") != OK || instr(rt, c, &p, &n) != OK)
		return ERR;
	const struct val *a = c->arg[1];
	size_t cnt = a->k == V_LIST ? a->u.l->n : 1;
	for (size_t i = 0; i < cnt; i++) {
		const struct val *x = a->k == V_LIST ? &a->u.l->v[i] : a;
		if (!isstr(x))
			return xerr(rt, c->at, false, "%s: the argument must be a string or a tuple of strings", c->what);
		size_t xn = x->u.s.n;
		if (xn <= n && memcmp(end ? p + n - xn : p, x->u.s.p, xn) == 0) {
			*out = mkbool(true);
			return OK;
		}
	}
	*out = mkbool(false);
	return OK;
}

static int
m_startswith(struct rt *rt, struct call *c, struct val *out)
{
	return affix(rt, c, out, false);
}

static int
m_endswith(struct rt *rt, struct call *c, struct val *out)
{
	return affix(rt, c, out, true);
}

/* sep.join(items): every item must be a string, as in Python */
static int
m_join(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l;
	struct buf b = {0};
	int st = OK;
	if (need(rt, c, 1, "iterable") != OK || items(rt, c->at, c->arg[1], &l) != OK)
		return ERR;
	for (size_t i = 0; i < l->n && st == OK; i++) {
		if (!isstr(&l->v[i])) {
			st = xerr(rt, c->at, false, "join: item %zu is %s, not a string", i, tname(&l->v[i]));
			break;
		}
		if (i)
			st = bput(rt, c->at, &b, c->v[0].u.s.p, c->v[0].u.s.n);
		if (st == OK)
			st = bput(rt, c->at, &b, l->v[i].u.s.p, l->v[i].u.s.n);
	}
	return bufstr(rt, &b, st, out);
}

/* count(sub) and find(sub) */
static int
m_search(struct rt *rt, struct call *c, struct val *out)
{
	const char *p, *sub;
	size_t n, ns;
	bool count = c->what[0] == 'c';
	int64_t hits = 0, first = -1;
	if (need(rt, c, 1, "sub") != OK || instr(rt, c, &p, &n) != OK || argstr(rt, c, 1, NULL, &sub, &ns) != OK)
		return ERR;
	rt->work += n;
	for (size_t i = 0; ns && i + ns <= n;) {
		const char *hit = find(rt, p + i, n - i, sub, ns);
		if (!hit)
			break;
		i = (size_t)(hit - p);
		if (first < 0)
			first = (int64_t)u8len(p, i);
		hits++;
		if (!count)
			break;
		i += ns;
	}
	if (!count && ns == 0)
		first = 0;
	if (count && ns == 0)
		hits = (int64_t)u8len(p, n) + 1;
	*out = mkint(count ? hits : first);
	return OK;
}

/* '{} and {0} and {name}'.format(...): no format specs */
static int
m_format(struct rt *rt, struct call *c, struct val *out)
{
	const char *p = c->v[0].u.s.p;
	size_t n = c->v[0].u.s.n, auto_ = 1;
	struct buf b = {0};
	int st = OK;
	for (size_t i = 0; i < n && st == OK; i++) {
		if ((p[i] == '{' || p[i] == '}') && i + 1 < n && p[i + 1] == p[i]) {
			st = bput(rt, c->at, &b, p + i, 1);
			i++;
			continue;
		}
		if (p[i] != '{') {
			st = p[i] == '}' ? xerr(rt, c->at, false, "format: single '}'") : bput(rt, c->at, &b, p + i, 1);
			continue;
		}
		const char *close = memchr(p + i, '}', n - i);
		if (!close) {
			st = xerr(rt, c->at, false, "format: '{' without '}'");
			break;
		}
		size_t fl = (size_t)(close - p) - i - 1;
		const char *field = p + i + 1;
		const struct val *v = NULL;
		if (memchr(field, ':', fl) || memchr(field, '!', fl) || memchr(field, '.', fl) || memchr(field, '[', fl)) {
			st = xerr(rt, c->at, true, "format specs need dbt");
			break;
		}
		if (fl == 0 || isdigit_(field[0])) {
			size_t idx = fl ? (size_t)strtoul(field, NULL, 10) + 1 : auto_++;
			size_t pos = 0;
			for (size_t j = 1; j < c->n; j++)
				if (!c->kw[j] && ++pos == idx)
					v = &c->v[j];
		} else {
			for (size_t j = 1; j < c->n; j++)
				if (c->kw[j] && strlen(c->kw[j]) == fl && memcmp(c->kw[j], field, fl) == 0)
					v = &c->v[j];
		}
		if (!v) {
			st = xerr(rt, c->at, false, "format: no argument for {%.*s}", (int)(fl > 40 ? 40 : fl), field);
			break;
		}
		st = put(rt, c->at, &b, v, false, 0);
		i = (size_t)(close - p);
	}
	return bufstr(rt, &b, st, out);
}

static int
mutable(struct rt *rt, struct call *c)
{
	if (c->v[0].u.l->tuple)
		return xerr(rt, c->at, false, "a tuple cannot be changed (%s)", c->what);
	return OK;
}

static int
m_append(struct rt *rt, struct call *c, struct val *out)
{
	if (need(rt, c, 1, "x") != OK || mutable(rt, c) != OK || lpush(rt, c->at, c->v[0].u.l, *c->arg[1]) != OK)
		return ERR;
	*out = vnone;
	return OK;
}

static int
m_extend(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l;
	if (need(rt, c, 1, "iterable") != OK || mutable(rt, c) != OK || items(rt, c->at, c->arg[1], &l) != OK)
		return ERR;
	size_t n = l->n; /* l may be the list itself */
	for (size_t i = 0; i < n; i++)
		if (lpush(rt, c->at, c->v[0].u.l, l->v[i]) != OK)
			return ERR;
	*out = vnone;
	return OK;
}

/* a list index, negative from the end; false when out of range */
static bool
index_(int64_t i, size_t n, size_t *out)
{
	if (i < 0)
		i += (int64_t)n;
	if (i < 0 || (uint64_t)i >= n)
		return false;
	*out = (size_t)i;
	return true;
}

static int
m_pop(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l = c->v[0].u.l;
	int64_t i;
	size_t at;
	if (mutable(rt, c) != OK || argint(rt, c, 1, -1, &i) != OK)
		return ERR;
	if (!index_(i, l->n, &at))
		return xerr(rt, c->at, false, "pop index out of range");
	*out = l->v[at];
	memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof(*l->v));
	l->n--;
	return OK;
}

static int
m_insert(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l = c->v[0].u.l;
	int64_t i;
	if (need(rt, c, 1, "index") != OK || need(rt, c, 2, "object") != OK || mutable(rt, c) != OK ||
	    argint(rt, c, 1, 0, &i) != OK)
		return ERR;
	if (i < 0)
		i += (int64_t)l->n;
	size_t at = i < 0 ? 0 : (uint64_t)i > l->n ? l->n : (size_t)i;
	if (lpush(rt, c->at, l, vnone) != OK)
		return ERR;
	memmove(l->v + at + 1, l->v + at, (l->n - 1 - at) * sizeof(*l->v));
	l->v[at] = *c->arg[2];
	*out = vnone;
	return OK;
}

/* index(x), count(x), remove(x) on a list */
static int
m_find(struct rt *rt, struct call *c, struct val *out)
{
	struct list *l = c->v[0].u.l;
	int64_t hits = 0;
	if (need(rt, c, 1, "value") != OK)
		return ERR;
	for (size_t i = 0; i < l->n; i++) {
		if (!veq(rt, &l->v[i], c->arg[1], 0))
			continue;
		if (c->what[0] == 'i') {
			*out = mkint((int64_t)i);
			return OK;
		}
		if (c->what[0] == 'r') {
			if (mutable(rt, c) != OK)
				return ERR;
			memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof(*l->v));
			l->n--;
			*out = vnone;
			return OK;
		}
		hits++;
	}
	if (c->what[0] != 'c')
		return xerr(rt, c->at, false, "%s: the value is not in the list", c->what);
	*out = mkint(hits);
	return OK;
}

static int
m_copy(struct rt *rt, struct call *c, struct val *out)
{
	if (c->v[0].k == V_DICT) {
		struct dict *d = ralloc(rt, sizeof(*d));
		for (size_t i = 0; i < c->v[0].u.d->n; i++)
			if (dput(rt, c->at, d, c->v[0].u.d->k[i], c->v[0].u.d->v[i]) != OK)
				return ERR;
		*out = dictval(d);
		return OK;
	}
	return fl_list(rt, c, out);
}

static int
m_keys(struct rt *rt, struct call *c, struct val *out)
{
	int which = c->what[0] == 'k' ? 0 : c->what[0] == 'v' ? 1 : 2;
	*out = listval(pairs(rt, c->v[0].u.d, which));
	return OK;
}

static int
m_get(struct rt *rt, struct call *c, struct val *out)
{
	const struct val *v;
	if (need(rt, c, 1, "key") != OK)
		return ERR;
	v = dget(rt, c->v[0].u.d, c->arg[1]);
	*out = v ? *v : c->arg[2] ? *c->arg[2] : vnone;
	return OK;
}

static int
m_dpop(struct rt *rt, struct call *c, struct val *out)
{
	struct dict *d = c->v[0].u.d;
	if (need(rt, c, 1, "key") != OK)
		return ERR;
	for (size_t i = 0; i < d->n; i++) {
		if (!veq(rt, &d->k[i], c->arg[1], 0))
			continue;
		*out = d->v[i];
		memmove(d->k + i, d->k + i + 1, (d->n - i - 1) * sizeof(*d->k));
		memmove(d->v + i, d->v + i + 1, (d->n - i - 1) * sizeof(*d->v));
		d->n--;
		return OK;
	}
	if (!c->arg[2])
		return xerr(rt, c->at, false, "pop: key not in the dict");
	*out = *c->arg[2];
	return OK;
}

static int
m_update(struct rt *rt, struct call *c, struct val *out)
{
	struct dict *d = c->v[0].u.d;
	for (size_t i = 1; i < c->n; i++) {
		if (c->kw[i]) {
			if (dput(rt, c->at, d, mkstr(c->kw[i], strlen(c->kw[i])), c->v[i]) != OK)
				return ERR;
		} else if (c->v[i].k == V_DICT) {
			const struct dict *o = c->v[i].u.d;
			for (size_t j = 0; j < o->n; j++)
				if (dput(rt, c->at, d, o->k[j], o->v[j]) != OK)
					return ERR;
		} else {
			return xerr(rt, c->at, false, "update: a dict is needed, not %s", tname(&c->v[i]));
		}
	}
	*out = vnone;
	return OK;
}

static int
m_render(struct rt *rt, struct call *c, struct val *out)
{
	(void)rt;
	*out = mkstr(c->v[0].u.s.p, c->v[0].u.s.n);
	return OK;
}

static int
m_cycle(struct rt *rt, struct call *c, struct val *out)
{
	if (c->n < 2)
		return xerr(rt, c->at, false, "loop.cycle() needs at least one value");
	*out = c->v[1 + c->v[0].u.lp->i % (c->n - 1)];
	return OK;
}

static const struct callable str_methods[] = {
	{"upper", fl_upper, {"self"}},
	{"lower", fl_lower, {"self"}},
	{"strip", fl_trim, {"self", "chars"}},
	{"lstrip", m_lstrip, {"self", "chars"}},
	{"rstrip", m_rstrip, {"self", "chars"}},
	{"replace", fl_replace, {"self", "old", "new", "count"}},
	{"split", m_split, {"self", "sep", "maxsplit"}},
	{"startswith", m_startswith, {"self", "prefix"}},
	{"endswith", m_endswith, {"self", "suffix"}},
	{"join", m_join, {"self", "iterable"}},
	{"title", m_title, {"self"}},
	{"capitalize", fl_capitalize, {"self"}},
	{"count", m_search, {"self", "sub"}},
	{"find", m_search, {"self", "sub"}},
	{"format", m_format, {"*"}},
};

static const struct callable list_methods[] = {
	{"append", m_append, {"self", "x"}},
	{"extend", m_extend, {"self", "iterable"}},
	{"pop", m_pop, {"self", "index"}},
	{"insert", m_insert, {"self", "index", "object"}},
	{"index", m_find, {"self", "value"}},
	{"count", m_find, {"self", "value"}},
	{"remove", m_find, {"self", "value"}},
	{"copy", m_copy, {"self"}},
};

static const struct callable dict_methods[] = {
	{"items", m_keys, {"self"}},
	{"keys", m_keys, {"self"}},
	{"values", m_keys, {"self"}},
	{"get", m_get, {"self", "key", "default"}},
	{"pop", m_dpop, {"self", "key", "default"}},
	{"update", m_update, {"*"}},
	{"copy", m_copy, {"self"}},
};

static const struct callable rel_methods[] = {
	{"render", m_render, {"self"}},
};

static const struct callable loop_methods[] = {
	{"cycle", m_cycle, {"*"}},
};

static const struct callable *
find_method(const struct val *v, const char *name)
{
	const struct callable *tab;
	size_t n;
	uint8_t i;
	switch (v->k) {
	case V_STR:
		tab = str_methods, n = LEN(str_methods);
		break;
	case V_LIST:
		tab = list_methods, n = LEN(list_methods);
		break;
	case V_DICT:
		tab = dict_methods, n = LEN(dict_methods);
		break;
	case V_REL:
		tab = rel_methods, n = LEN(rel_methods);
		break;
	case V_LOOP:
		tab = loop_methods, n = LEN(loop_methods);
		break;
	default:
		return NULL;
	}
	i = findin(tab, n, name);
	return i == NOTFOUND ? NULL : &tab[i];
}

/* ---- expressions ---- */

static int eval(struct rt *rt, const struct expr *e, struct val *out);
static int exec(struct rt *rt, const struct body *b);

/* names only dbt provides: using one needs dbt */
static const char *const dbt_only[] = {
	"adapter", "api", "caller", "compiled_code", "context", "cycler", "database",
	"dbt", "dbt_version", "diff_of_two_dicts", "dispatch", "doc", "flags",
	"fromjson", "fromyaml", "graph", "invocation_id", "joiner", "lipsum",
	"load_agate_table", "load_relation", "load_result", "local_md5", "model",
	"modules", "post_hooks", "pre_hooks", "print", "project_name", "render",
	"run_query", "run_started_at", "schema", "selected_resources", "set",
	"set_strict", "sql", "statement", "store_raw_result", "store_result",
	"submit_python_job", "thread_id", "tojson", "toyaml", "write", "zip",
};

static int
callf(struct rt *rt, const struct callable *f, struct call *c, struct val *out)
{
	if (!c->what)
		c->what = f->name;
	if (bind(rt, c, f) != OK)
		return ERR;
	return f->fn(rt, c, out);
}

/* a name's value: a variable, a project macro, a dbt or Jinja global;
 * whole is the expression it heads, for messages */
static int
lookup_name(struct rt *rt, const struct expr *e, const struct expr *whole, struct val *out)
{
	const struct val *v = getvar(rt, rt->sc, e->name);
	const struct jj_host *h = rt->host;
	const char *n = e->name;

	if (v) {
		*out = *v;
		return OK;
	}
	if (rt->macros) {
		const struct macro *m = strmap_get(&rt->macros->map, n);
		if (m) {
			out->k = V_MACRO;
			out->u.m.m = m;
			out->u.m.sc = NULL;
			return OK;
		}
	}
	if (e->op != NOTFOUND) {
		out->k = V_FUNC;
		out->id = e->op;
		return OK;
	}
	if (strcmp(n, "this") == 0) {
		if (!h || !h->this_relation)
			return xerr(rt, whole, true, "'" SRCFMT "' needs dbt: this render has no current relation",
				    SRCARG(rt, whole));
		*out = relval(rt, h->this_relation);
		return OK;
	}
	if (strcmp(n, "execute") == 0) {
		*out = mkbool(true);
		return OK;
	}
	if (strcmp(n, "exceptions") == 0 || strcmp(n, "builtins") == 0 ||
	    (strcmp(n, "target") == 0 && h && (h->target_name || h->target_schema || h->target_type))) {
		out->k = V_OBJ;
		out->id = n[0] == 'e' ? OBJ_EXCEPTIONS : n[0] == 'b' ? OBJ_BUILTINS : OBJ_TARGET;
		return OK;
	}
	for (size_t i = 0; i < LEN(dbt_only); i++)
		if (strcmp(dbt_only[i], n) == 0 || strcmp(n, "target") == 0)
			return xerr(rt, whole, true, "'" SRCFMT "' needs dbt: dpc does not render '%s'", SRCARG(rt, whole),
				    n);
	*out = mkundef(n);
	return OK;
}

/* evaluate e, which whole starts with (its messages name whole) */
static int
evalobj(struct rt *rt, const struct expr *e, const struct expr *whole, struct val *out)
{
	if (e->k == E_NAME)
		return lookup_name(rt, e, whole, out);
	return eval(rt, e, out);
}

/* one part of a relation's name: "db"."schema"."table" */
static struct val
relpart(const struct val *rel, int fromend)
{
	const char *p = rel->u.s.p;
	size_t n = rel->u.s.n, starts[8], ends[8];
	int k = 0;
	bool q = false;
	size_t st = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && (p[i] == '"' || p[i] == '`'))
			q = !q;
		if (i == n || (p[i] == '.' && !q)) {
			if (k == 8)
				memmove(starts, starts + 1, 7 * sizeof(*starts)), memmove(ends, ends + 1, 7 * sizeof(*ends)), k--;
			starts[k] = st;
			ends[k++] = i;
			st = i + 1;
		}
	}
	if (fromend >= k)
		return vnone;
	size_t a = starts[k - 1 - fromend], b = ends[k - 1 - fromend];
	if (b - a >= 2 && (p[a] == '"' || p[a] == '`') && p[b - 1] == p[a])
		a++, b--;
	return mkstr(p + a, b - a);
}

static int
getattr_(struct rt *rt, const struct expr *at, const struct val *obj, const char *name, struct val *out)
{
	const struct jj_host *h = rt->host;
	switch (obj->k) {
	case V_DICT: {
		const struct val *v = dgets(rt, obj->u.d, name);
		*out = v ? *v : mkundef(name);
		return OK;
	}
	case V_LOOP: {
		const struct loopst *l = obj->u.lp;
		if (strcmp(name, "index") == 0)
			*out = mkint((int64_t)l->i + 1);
		else if (strcmp(name, "index0") == 0)
			*out = mkint((int64_t)l->i);
		else if (strcmp(name, "first") == 0)
			*out = mkbool(l->i == 0);
		else if (strcmp(name, "last") == 0)
			*out = mkbool(l->i + 1 == l->n);
		else if (strcmp(name, "length") == 0)
			*out = mkint((int64_t)l->n);
		else if (strcmp(name, "revindex") == 0)
			*out = mkint((int64_t)(l->n - l->i));
		else if (strcmp(name, "revindex0") == 0)
			*out = mkint((int64_t)(l->n - l->i - 1));
		else if (strcmp(name, "previtem") == 0)
			*out = l->i ? l->items->v[l->i - 1] : mkundef(name);
		else if (strcmp(name, "nextitem") == 0)
			*out = l->i + 1 < l->n ? l->items->v[l->i + 1] : mkundef(name);
		else if (strcmp(name, "depth") == 0)
			*out = mkint(1);
		else if (strcmp(name, "depth0") == 0)
			*out = mkint(0);
		else
			*out = mkundef(name);
		return OK;
	}
	case V_REL:
		if (strcmp(name, "identifier") == 0 || strcmp(name, "name") == 0 || strcmp(name, "table") == 0)
			*out = relpart(obj, 0);
		else if (strcmp(name, "schema") == 0)
			*out = relpart(obj, 1);
		else if (strcmp(name, "database") == 0)
			*out = relpart(obj, 2);
		else
			return xerr(rt, at, true, "'" SRCFMT "' needs dbt: dpc's relations have only database, schema, identifier",
				    SRCARG(rt, at));
		return OK;
	case V_OBJ:
		if (obj->id == OBJ_EXCEPTIONS && strcmp(name, "raise_compiler_error") == 0) {
			out->k = V_FUNC;
			out->id = F_RAISE;
			return OK;
		}
		if (obj->id == OBJ_EXCEPTIONS && strcmp(name, "warn") == 0) {
			out->k = V_FUNC;
			out->id = F_WARN;
			return OK;
		}
		if (obj->id == OBJ_BUILTINS && (strcmp(name, "ref") == 0 || strcmp(name, "source") == 0 ||
						strcmp(name, "config") == 0)) {
			out->k = V_FUNC;
			out->id = name[0] == 'r' ? F_REF : name[0] == 's' ? F_SOURCE : F_CONFIG;
			return OK;
		}
		if (obj->id == OBJ_TARGET) {
			const char *v = strcmp(name, "name") == 0     ? h->target_name
					: strcmp(name, "schema") == 0 ? h->target_schema
					: strcmp(name, "type") == 0   ? h->target_type
								      : NULL;
			if (v) {
				*out = newstr(rt, v, strlen(v));
				return OK;
			}
		}
		return xerr(rt, at, true, "'" SRCFMT "' needs dbt", SRCARG(rt, at));
	case V_UNDEF:
		if (obj->u.s.p && strcmp(obj->u.s.p, "loop") == 0)
			return xerr(rt, at, false, "'" SRCFMT "': 'loop' is defined only inside {%% for %%}", SRCARG(rt, at));
		if (obj->u.s.p)
			return xerr(rt, at, true,
				    "'" SRCFMT "' needs dbt: '%s' is not defined (package macros and dbt objects are rendered only by dbt)",
				    SRCARG(rt, at), obj->u.s.p);
		return xerr(rt, at, false, "'" SRCFMT "': the object is undefined", SRCARG(rt, at));
	default:
		*out = mkundef(name);
		return OK;
	}
}

static int
getitem(struct rt *rt, const struct expr *at, const struct val *obj, const struct val *key, struct val *out)
{
	size_t i;
	switch (obj->k) {
	case V_LIST:
		if ((key->k == V_INT || key->k == V_BOOL) && index_(inum(key), obj->u.l->n, &i))
			*out = obj->u.l->v[i];
		else
			*out = mkundef(NULL);
		return OK;
	case V_STR:
	case V_REL:
		if (key->k == V_INT || key->k == V_BOOL) {
			const char *p = obj->u.s.p;
			size_t n = obj->u.s.n;
			rt->work += n;
			if (index_(inum(key), u8len(p, n), &i)) {
				size_t off = u8off(p, n, i);
				*out = mkstr(p + off, u8char(p + off, n - off));
				return OK;
			}
		}
		*out = mkundef(NULL);
		return OK;
	case V_DICT: {
		const struct val *v = dget(rt, obj->u.d, key);
		*out = v ? *v : mkundef(NULL);
		return OK;
	}
	case V_UNDEF:
		return getattr_(rt, at, obj, "", out);
	default:
		if (key->k == V_STR && key->u.s.n < 64 && !memchr(key->u.s.p, '\0', key->u.s.n)) {
			char name[64];
			memcpy(name, key->u.s.p, key->u.s.n);
			name[key->u.s.n] = '\0';
			return getattr_(rt, at, obj, name, out);
		}
		*out = mkundef(NULL);
		return OK;
	}
}

/* Python's slice of a list or string; NULL bounds are left out */
static int
slice(struct rt *rt, const struct expr *e, const struct val *obj, const struct val *bound[3], struct val *out)
{
	int64_t v[3] = {0, 0, 1}, len;
	bool given[3];
	const char *p = NULL;
	size_t n = 0;

	if (obj->k == V_LIST) {
		len = (int64_t)obj->u.l->n;
	} else if (isstr(obj)) {
		p = obj->u.s.p;
		n = obj->u.s.n;
		len = (int64_t)u8len(p, n);
		rt->work += n;
	} else if (obj->k == V_UNDEF) {
		return getattr_(rt, e, obj, "", out);
	} else {
		*out = mkundef(NULL);
		return OK;
	}
	for (int i = 0; i < 3; i++) {
		given[i] = bound[i] && bound[i]->k != V_NONE;
		if (!given[i])
			continue;
		if (bound[i]->k != V_INT && bound[i]->k != V_BOOL)
			return xerr(rt, e, false, "slice indices must be integers or None, not %s", tname(bound[i]));
		v[i] = inum(bound[i]);
	}
	int64_t step = v[2];
	if (step == 0)
		return xerr(rt, e, false, "slice step cannot be zero");
	if (step == INT64_MIN)
		step = -INT64_MAX;
	int64_t start = given[0] ? v[0] : step < 0 ? len - 1 : 0;
	int64_t stop = given[1] ? v[1] : step < 0 ? -1 : len;
	for (int i = 0; i < 2; i++) {
		int64_t *x = i ? &stop : &start;
		if (!given[i])
			continue;
		if (*x < 0) {
			*x = *x < -len ? (step < 0 ? -1 : 0) : *x + len;
		} else if (*x >= len) {
			*x = step < 0 ? len - 1 : len;
		}
	}
	int64_t cnt = step > 0 ? (start < stop ? (stop - start - 1) / step + 1 : 0)
			       : (stop < start ? (start - stop - 1) / -step + 1 : 0);
	if (obj->k == V_LIST) {
		struct list *l = newlist(rt, (size_t)cnt);
		l->tuple = obj->u.l->tuple;
		for (int64_t i = 0; i < cnt; i++)
			l->v[l->n++] = obj->u.l->v[start + i * step];
		*out = listval(l);
		return OK;
	}
	/* a string: by characters */
	size_t *offs = ralloc(rt, ((size_t)len + 1) * sizeof(*offs));
	size_t k = 0;
	for (size_t i = 0; i < n; i += u8char(p + i, n - i))
		offs[k++] = i;
	offs[k] = n;
	char *s = ralloc(rt, n + 1);
	size_t o = 0;
	for (int64_t i = 0; i < cnt; i++) {
		size_t c = (size_t)(start + i * step);
		memcpy(s + o, p + offs[c], offs[c + 1] - offs[c]);
		o += offs[c + 1] - offs[c];
	}
	*out = mkstr(s, o);
	return OK;
}

static int
contains(struct rt *rt, const struct expr *at, const struct val *hay, const struct val *needle, bool *r)
{
	switch (hay->k) {
	case V_STR:
	case V_REL:
		if (!isstr(needle))
			return xerr(rt, at, false, "'in <string>' requires a string as left operand, not %s", tname(needle));
		rt->work += hay->u.s.n;
		*r = needle->u.s.n == 0 || find(rt, hay->u.s.p, hay->u.s.n, needle->u.s.p, needle->u.s.n) != NULL;
		return OK;
	case V_LIST:
		*r = false;
		for (size_t i = 0; !*r && i < hay->u.l->n; i++)
			*r = veq(rt, &hay->u.l->v[i], needle, 0);
		return OK;
	case V_DICT:
		*r = dget(rt, hay->u.d, needle) != NULL;
		return OK;
	case V_UNDEF:
		*r = false;
		return OK;
	default:
		return xerr(rt, at, false, "argument of type '%s' is not iterable", tname(hay));
	}
}

static int
compare(struct rt *rt, const struct expr *at, int op, const struct val *a, const struct val *b, bool *r)
{
	int c;
	switch (op) {
	case O_EQ:
		*r = veq(rt, a, b, 0);
		return OK;
	case O_NE:
		*r = !veq(rt, a, b, 0);
		return OK;
	case O_IN:
	case O_NOTIN:
		if (contains(rt, at, b, a, r) != OK)
			return ERR;
		if (op == O_NOTIN)
			*r = !*r;
		return OK;
	default:
		if (vcmp(rt, at, a, b, &c, 0) != OK)
			return ERR;
		*r = op == O_LT ? c < 0 : op == O_LE ? c <= 0 : op == O_GT ? c > 0 : c >= 0;
		return OK;
	}
}

static const char *const opnames[] = {
	[O_ADD] = "+", [O_SUB] = "-", [O_MUL] = "*", [O_DIV] = "/", [O_FLOORDIV] = "//", [O_MOD] = "%", [O_POW] = "**",
};

/* x repeated k times: a string or a list */
static int
repeat(struct rt *rt, const struct expr *at, const struct val *x, int64_t k, struct val *out)
{
	if (k < 0)
		k = 0;
	if (x->k == V_LIST) {
		if (x->u.l->n && (uint64_t)k > LIM_LIST / x->u.l->n)
			return xerr(rt, at, false, "a list longer than %d items", LIM_LIST);
		struct list *l = newlist(rt, x->u.l->n * (size_t)k);
		l->tuple = x->u.l->tuple;
		for (int64_t i = 0; i < k; i++)
			for (size_t j = 0; j < x->u.l->n; j++)
				l->v[l->n++] = x->u.l->v[j];
		*out = listval(l);
		return OK;
	}
	size_t n = x->u.s.n;
	if (n && (uint64_t)k > LIM_OUT / n)
		return xerr(rt, at, false, "a string larger than %zu MiB", LIM_OUT >> 20);
	char *s = ralloc(rt, n * (size_t)k + 1);
	for (int64_t i = 0; i < k; i++)
		memcpy(s + (size_t)i * n, x->u.s.p, n);
	*out = mkstr(s, n * (size_t)k);
	return OK;
}

static int
arith(struct rt *rt, const struct expr *at, int op, const struct val *a, const struct val *b, struct val *out)
{
	if (a->k == V_UNDEF || b->k == V_UNDEF) {
		const struct val *u = a->k == V_UNDEF ? a : b;
		if (u->u.s.p)
			return xerr(rt, at, false, "'%s' is undefined", u->u.s.p);
		return xerr(rt, at, false, "an operand of '%s' is undefined", opnames[op]);
	}
	if (isnum(a) && isnum(b)) {
		bool flt = a->k == V_FLOAT || b->k == V_FLOAT;
		int64_t x = inum(a), y = inum(b), r;
		double fx = fnum(a), fy = fnum(b);
		switch (op) {
		case O_ADD:
			if (flt)
				*out = mkfloat(fx + fy);
			else if (__builtin_add_overflow(x, y, &r))
				return xerr(rt, at, false, "integer overflow");
			else
				*out = mkint(r);
			return OK;
		case O_SUB:
			if (flt)
				*out = mkfloat(fx - fy);
			else if (__builtin_sub_overflow(x, y, &r))
				return xerr(rt, at, false, "integer overflow");
			else
				*out = mkint(r);
			return OK;
		case O_MUL:
			if (flt)
				*out = mkfloat(fx * fy);
			else if (__builtin_mul_overflow(x, y, &r))
				return xerr(rt, at, false, "integer overflow");
			else
				*out = mkint(r);
			return OK;
		case O_DIV:
			if (fy == 0)
				return xerr(rt, at, false, "division by zero");
			*out = mkfloat(fx / fy);
			return OK;
		case O_FLOORDIV:
		case O_MOD:
			if (flt ? fy == 0 : y == 0)
				return xerr(rt, at, false, "integer division or modulo by zero");
			if (flt) {
				double q = floord(fx / fy);
				*out = mkfloat(op == O_FLOORDIV ? q : fx - fy * q);
				return OK;
			}
			if (y == -1) {
				if (op == O_MOD) {
					*out = mkint(0);
					return OK;
				}
				if (x == INT64_MIN)
					return xerr(rt, at, false, "integer overflow");
				*out = mkint(-x);
				return OK;
			}
			r = x % y;
			if (op == O_MOD) {
				*out = mkint(r != 0 && (r < 0) != (y < 0) ? r + y : r);
			} else {
				int64_t q = x / y;
				*out = mkint(r != 0 && (r < 0) != (y < 0) ? q - 1 : q);
			}
			return OK;
		case O_POW:
			/* by squaring: only whole exponents (no libm here) */
			if (b->k == V_FLOAT) {
				if (fy != floord(fy) || fy > 1e9 || fy < -1e9)
					return xerr(rt, at, true, "a fractional or huge power needs dbt");
				y = (int64_t)fy;
			}
			if (!flt && y >= 0) {
				int64_t acc = 1, base = x;
				for (int64_t e = y; e; e >>= 1) {
					if ((e & 1) && __builtin_mul_overflow(acc, base, &acc))
						return xerr(rt, at, false, "integer overflow");
					if ((e >> 1) && __builtin_mul_overflow(base, base, &base))
						return xerr(rt, at, false, "integer overflow");
				}
				*out = mkint(acc);
				return OK;
			}
			if (fx == 0 && y < 0)
				return xerr(rt, at, false, "0.0 cannot be raised to a negative power");
			double acc = 1, base = fx;
			for (int64_t e = y < 0 ? -y : y; e; e >>= 1) {
				if (e & 1)
					acc *= base;
				base *= base;
			}
			*out = mkfloat(y < 0 ? 1 / acc : acc);
			return OK;
		}
	}
	if (op == O_ADD && isstr(a) && isstr(b)) {
		if (a->u.s.n + b->u.s.n > LIM_OUT)
			return xerr(rt, at, false, "a string larger than %zu MiB", LIM_OUT >> 20);
		char *s = ralloc(rt, a->u.s.n + b->u.s.n + 1);
		memcpy(s, a->u.s.p, a->u.s.n);
		memcpy(s + a->u.s.n, b->u.s.p, b->u.s.n);
		*out = mkstr(s, a->u.s.n + b->u.s.n);
		return OK;
	}
	if (op == O_ADD && a->k == V_LIST && b->k == V_LIST && a->u.l->tuple == b->u.l->tuple) {
		if (a->u.l->n + b->u.l->n > LIM_LIST)
			return xerr(rt, at, false, "a list longer than %d items", LIM_LIST);
		struct list *l = newlist(rt, a->u.l->n + b->u.l->n);
		l->tuple = a->u.l->tuple;
		for (size_t i = 0; i < a->u.l->n; i++)
			l->v[l->n++] = a->u.l->v[i];
		for (size_t i = 0; i < b->u.l->n; i++)
			l->v[l->n++] = b->u.l->v[i];
		*out = listval(l);
		return OK;
	}
	if (op == O_MUL && (isstr(a) || a->k == V_LIST) && (b->k == V_INT || b->k == V_BOOL))
		return repeat(rt, at, a, inum(b), out);
	if (op == O_MUL && (isstr(b) || b->k == V_LIST) && (a->k == V_INT || a->k == V_BOOL))
		return repeat(rt, at, b, inum(a), out);
	if (op == O_MOD && isstr(a))
		return xerr(rt, at, true, "'%%' string formatting needs dbt");
	return xerr(rt, at, false, "unsupported operand types for %s: '%s' and '%s'", opnames[op], tname(a), tname(b));
}

/* the arguments of call expression e into c, after first (the input of a
 * filter, test or method) when it is given */
static int
evalargs(struct rt *rt, const struct expr *e, const struct val *first, struct call *c)
{
	size_t off = first ? 1 : 0;
	c->at = e;
	c->n = e->n + off;
	c->v = c->n <= LEN(c->small) ? c->small : ralloc(rt, c->n * sizeof(*c->v));
	c->kw = c->n <= LEN(c->smallkw) ? c->smallkw : ralloc(rt, c->n * sizeof(*c->kw));
	if (first) {
		c->v[0] = *first;
		c->kw[0] = NULL;
	}
	for (size_t i = 0; i < e->n; i++) {
		if (eval(rt, e->v[i], &c->v[i + off]) != OK)
			return ERR;
		c->kw[i + off] = e->kw ? e->kw[i] : NULL;
	}
	return OK;
}

/* a copy of the scopes from the current one up to the template's, for a
 * macro defined inside a loop or a macro: its value may outlive them */
static struct scope *
capture(struct rt *rt)
{
	struct scope *head = NULL, **link = &head;
	for (struct scope *s = rt->sc; s; s = s->up) {
		if (s == rt->top) {
			*link = s;
			break;
		}
		struct scope *c = ralloc(rt, sizeof(*c));
		if (s->n) {
			c->v = ralloc(rt, s->n * sizeof(*c->v));
			memcpy(c->v, s->v, s->n * sizeof(*c->v));
		}
		c->n = c->cap = s->n;
		*link = c;
		link = &c->up;
	}
	return head;
}

static int
callmacro(struct rt *rt, const struct expr *at, const struct val *mv, struct call *c, struct val *out)
{
	const struct macro *m = mv->u.m.m;
	struct scope sc = {.up = mv->u.m.sc};
	struct list *varargs = NULL;
	struct dict *kwargs = NULL;
	const struct val **bound = ralloc(rt, (m->nparams + 1) * sizeof(*bound));
	size_t pos = 0;

	if (rt->mdepth >= LIM_MACRO)
		return xerr(rt, at, false, "macro calls nested more than %d deep (endless recursion?)", LIM_MACRO);
	if (m->varargs) {
		varargs = newlist(rt, 0);
		varargs->tuple = true;
	}
	if (m->kwargs)
		kwargs = ralloc(rt, sizeof(*kwargs));
	for (size_t i = 0; i < c->n; i++) {
		if (!c->kw[i]) {
			if (pos < m->nparams)
				bound[pos++] = &c->v[i];
			else if (varargs) {
				if (lpush(rt, at, varargs, c->v[i]) != OK)
					return ERR;
			} else
				return xerr(rt, at, false, "macro '%s' takes %u argument%s, %zu given", m->name, m->nparams,
					    m->nparams == 1 ? "" : "s", i + 1);
			continue;
		}
		size_t j;
		for (j = 0; j < m->nparams; j++)
			if (strcmp(m->params[j], c->kw[i]) == 0)
				break;
		if (j < m->nparams) {
			if (bound[j])
				return xerr(rt, at, false, "macro '%s' got two values for '%s'", m->name, c->kw[i]);
			bound[j] = &c->v[i];
		} else if (kwargs) {
			if (dput(rt, at, kwargs, mkstr(c->kw[i], strlen(c->kw[i])), c->v[i]) != OK)
				return ERR;
		} else {
			return xerr(rt, at, false, "macro '%s' has no parameter '%s'", m->name, c->kw[i]);
		}
	}

	/* run in the macro's own file and scope, writing into its own buffer */
	const struct src *src = rt->src;
	struct scope *outer = rt->sc;
	struct buf *outbuf = rt->out, b = {0};
	int st = OK;
	rt->src = m->src;
	rt->sc = &sc;
	rt->mdepth++;
	for (size_t j = 0; j < m->nparams && st == OK; j++) {
		struct val v = mkundef(m->params[j]);
		if (bound[j])
			v = *bound[j];
		else if (m->defaults[j])
			st = eval(rt, m->defaults[j], &v);
		setvar(rt, &sc, m->params[j], v);
	}
	if (varargs)
		setvar(rt, &sc, "varargs", listval(varargs));
	if (kwargs)
		setvar(rt, &sc, "kwargs", dictval(kwargs));
	rt->out = &b;
	if (st == OK)
		st = exec(rt, &m->body);
	rt->out = outbuf;
	rt->mdepth--;
	rt->sc = outer;
	rt->src = src;
	if (st != ERR) {
		st = OK;
		if (rt->returning) {
			rt->returning = false;
			*out = rt->ret;
		} else {
			*out = newstr(rt, b.data ? b.data : "", b.len);
		}
	}
	buf_free(&b);
	return st;
}

static int
evalcall(struct rt *rt, const struct expr *e, struct val *out)
{
	const struct expr *f = e->a;
	struct val callee, self;
	struct call c = {0};

	if (f->k == E_ATTR) {
		/* x.name(...): a method when x has one of that name */
		if (evalobj(rt, f->a, f, &self) != OK)
			return ERR;
		const struct callable *m = find_method(&self, f->name);
		if (m) {
			if (evalargs(rt, e, &self, &c) != OK)
				return ERR;
			c.what = m->name;
			return callf(rt, m, &c, out);
		}
		if (self.k == V_STR || self.k == V_LIST)
			return xerr(rt, f, true, "'" SRCFMT "()' needs dbt: dpc renders no %s method '%s'", SRCARG(rt, f),
				    tname(&self), f->name);
		if (getattr_(rt, f, &self, f->name, &callee) != OK)
			return ERR;
	} else if (evalobj(rt, f, f, &callee) != OK) {
		return ERR;
	}
	switch (callee.k) {
	case V_MACRO:
		if (evalargs(rt, e, NULL, &c) != OK)
			return ERR;
		c.what = callee.u.m.m->name;
		return callmacro(rt, e, &callee, &c, out);
	case V_FUNC:
		if (evalargs(rt, e, NULL, &c) != OK)
			return ERR;
		return callf(rt, &functions[callee.id], &c, out);
	case V_UNDEF:
		if (f->k == E_NAME)
			return xerr(rt, f, true,
				    "'%s' needs dbt: it is not a macro of this project (package macros and dbt functions are rendered only by dbt)",
				    f->name);
		return xerr(rt, f, true, "'" SRCFMT "' is undefined: it cannot be called", SRCARG(rt, f));
	default:
		return xerr(rt, f, false, "'%s' object is not callable", tname(&callee));
	}
}

/* a filter; given is the input of a {% set x | f %} or {% filter f %} chain */
static int
evalfilter(struct rt *rt, const struct expr *e, const struct val *given, struct val *out)
{
	struct val in;
	struct call c = {0};

	if (e->op == NOTFOUND)
		return xerr(rt, e, true, "filter '%s' needs dbt: dpc does not render it", e->name);
	if (!e->a)
		in = *given;
	else if (given && e->a->k == E_FILTER) {
		if (evalfilter(rt, e->a, given, &in) != OK)
			return ERR;
	} else if (eval(rt, e->a, &in) != OK)
		return ERR;
	if (evalargs(rt, e, &in, &c) != OK)
		return ERR;
	c.what = e->name;
	return callf(rt, &filters[e->op], &c, out);
}

static int
eval1(struct rt *rt, const struct expr *e, struct val *out)
{
	struct val a, b;
	bool r;

	switch (e->k) {
	case E_CONST:
		*out = e->val;
		return OK;
	case E_NAME:
		return lookup_name(rt, e, e, out);
	case E_LIST:
	case E_TUPLE: {
		struct list *l = newlist(rt, e->n);
		l->tuple = e->k == E_TUPLE;
		for (size_t i = 0; i < e->n; i++)
			if (eval(rt, e->v[i], &l->v[l->n++]) != OK)
				return ERR;
		*out = listval(l);
		return OK;
	}
	case E_DICT: {
		struct dict *d = ralloc(rt, sizeof(*d));
		for (size_t i = 0; i + 1 < e->n; i += 2)
			if (eval(rt, e->v[i], &a) != OK || eval(rt, e->v[i + 1], &b) != OK || dput(rt, e, d, a, b) != OK)
				return ERR;
		*out = dictval(d);
		return OK;
	}
	case E_ATTR:
		if (evalobj(rt, e->a, e, &a) != OK)
			return ERR;
		return getattr_(rt, e, &a, e->name, out);
	case E_ITEM:
		if (evalobj(rt, e->a, e, &a) != OK || eval(rt, e->b, &b) != OK)
			return ERR;
		return getitem(rt, e, &a, &b, out);
	case E_SLICE: {
		struct val bv[3];
		const struct val *bp[3] = {NULL, NULL, NULL};
		if (evalobj(rt, e->a, e, &a) != OK)
			return ERR;
		for (int i = 0; i < 3; i++) {
			if (!e->v[i])
				continue;
			if (eval(rt, e->v[i], &bv[i]) != OK)
				return ERR;
			bp[i] = &bv[i];
		}
		return slice(rt, e, &a, bp, out);
	}
	case E_CALL:
		return evalcall(rt, e, out);
	case E_FILTER:
		return evalfilter(rt, e, NULL, out);
	case E_TEST: {
		struct call c = {0};
		if (e->op == NOTFOUND)
			return xerr(rt, e, true, "test '%s' needs dbt: dpc does not render it", e->name);
		if (eval(rt, e->a, &a) != OK || evalargs(rt, e, &a, &c) != OK)
			return ERR;
		c.what = e->name;
		if (callf(rt, &tests[e->op], &c, out) != OK)
			return ERR;
		if (e->flag)
			out->u.b = !out->u.b;
		return OK;
	}
	case E_NOT:
		if (eval(rt, e->a, &a) != OK)
			return ERR;
		*out = mkbool(!truthy(&a));
		return OK;
	case E_NEG:
	case E_POS:
		if (eval(rt, e->a, &a) != OK)
			return ERR;
		if (a.k == V_FLOAT) {
			*out = mkfloat(e->k == E_NEG ? -a.u.f : a.u.f);
		} else if (a.k == V_INT || a.k == V_BOOL) {
			int64_t i = inum(&a);
			if (e->k == E_NEG && i == INT64_MIN)
				return xerr(rt, e, false, "integer overflow");
			*out = mkint(e->k == E_NEG ? -i : i);
		} else {
			return xerr(rt, e, false, "bad operand type for unary %c: '%s'", e->k == E_NEG ? '-' : '+', tname(&a));
		}
		return OK;
	case E_BIN:
		if (eval(rt, e->a, &a) != OK || eval(rt, e->b, &b) != OK)
			return ERR;
		return arith(rt, e, e->op, &a, &b, out);
	case E_CONCAT: {
		struct val small[8], *parts = e->n <= LEN(small) ? small : ralloc(rt, e->n * sizeof(*parts));
		size_t total = 0;
		for (size_t i = 0; i < e->n; i++) {
			if (eval(rt, e->v[i], &a) != OK || tostr(rt, e->v[i], &a, &parts[i]) != OK)
				return ERR;
			total += parts[i].u.s.n;
			if (total > LIM_OUT)
				return xerr(rt, e, false, "a string larger than %zu MiB", LIM_OUT >> 20);
		}
		char *s = ralloc(rt, total + 1), *o = s;
		for (size_t i = 0; i < e->n; i++) {
			if (parts[i].u.s.n)
				memcpy(o, parts[i].u.s.p, parts[i].u.s.n);
			o += parts[i].u.s.n;
		}
		*out = mkstr(s, total);
		return OK;
	}
	case E_AND:
	case E_OR:
		if (eval(rt, e->a, &a) != OK)
			return ERR;
		if (truthy(&a) == (e->k == E_OR)) {
			*out = a;
			return OK;
		}
		return eval(rt, e->b, out);
	case E_CMP:
		if (eval(rt, e->v[0], &a) != OK)
			return ERR;
		for (size_t i = 0; i + 1 < e->n; i++) {
			if (eval(rt, e->v[i + 1], &b) != OK || compare(rt, e, e->ops[i], &a, &b, &r) != OK)
				return ERR;
			if (!r) {
				*out = mkbool(false);
				return OK;
			}
			a = b;
		}
		*out = mkbool(true);
		return OK;
	case E_COND:
		if (eval(rt, e->a, &a) != OK)
			return ERR;
		if (truthy(&a))
			return eval(rt, e->b, out);
		if (e->c)
			return eval(rt, e->c, out);
		*out = mkundef(NULL);
		return OK;
	}
	return xerr(rt, e, false, "internal error: unknown expression");
}

static int
eval(struct rt *rt, const struct expr *e, struct val *out)
{
	int st;
	if (rt->mem > LIM_MEM)
		return xerr(rt, e, false, "rendering takes more than %zu MiB of memory", LIM_MEM >> 20);
	if (rt->work > LIM_WORK)
		return xerr(rt, e, false, "rendering takes too long (more than %d steps of lookups)", LIM_WORK);
	if (++rt->depth > LIM_DEPTH) {
		rt->depth--;
		return xerr(rt, e, false, "expressions or macro calls nested more than %d deep", LIM_DEPTH);
	}
	st = eval1(rt, e, out);
	rt->depth--;
	return st;
}

/* ---- statements ---- */

/* v into the targets of a for or set: one name, or several unpacked */
static int
assign(struct rt *rt, const struct node *n, const struct expr *at, const struct val *v)
{
	struct list *l;
	if (!n->unpack) {
		setvar(rt, rt->sc, n->names[0], *v);
		return OK;
	}
	if (v->k != V_LIST && !isstr(v))
		return xerr(rt, at, false, "cannot unpack %s into %u names", tname(v), n->nnames);
	if (items(rt, at, v, &l) != OK)
		return ERR;
	if (l->n != n->nnames)
		return xerr(rt, at, false, "%s %u values to unpack, got %zu", l->n > n->nnames ? "too many:" : "expected",
			    n->nnames, l->n);
	for (uint32_t i = 0; i < n->nnames; i++)
		setvar(rt, rt->sc, n->names[i], l->v[i]);
	return OK;
}

static int
exec_for(struct rt *rt, const struct node *n)
{
	struct val it, cond;
	struct list *l, *snap;
	struct scope sc = {.up = rt->sc};
	struct loopst *ls = ralloc(rt, sizeof(*ls));
	struct val lv = {.k = V_LOOP};
	int st = OK;

	if (eval(rt, n->e, &it) != OK || items(rt, n->e, &it, &l) != OK)
		return ERR;
	/* a copy: the body may change the list it walks */
	snap = newlist(rt, l->n);
	rt->sc = &sc;
	for (size_t i = 0; i < l->n; i++) {
		if (n->cond) {
			/* `for x in xs if c`: loop.length counts the items kept */
			if (++rt->iters > LIM_ITER) {
				st = nerr(rt, n, false, "more than %d loop iterations", LIM_ITER);
				break;
			}
			if (assign(rt, n, n->e, &l->v[i]) != OK || eval(rt, n->cond, &cond) != OK) {
				st = ERR;
				break;
			}
			if (!truthy(&cond))
				continue;
		}
		snap->v[snap->n++] = l->v[i];
	}
	ls->items = snap;
	ls->n = snap->n;
	lv.u.lp = ls;
	for (size_t i = 0; i < snap->n && st == OK; i++) {
		if (++rt->iters > LIM_ITER) {
			st = nerr(rt, n, false, "more than %d loop iterations", LIM_ITER);
			break;
		}
		ls->i = i;
		setvar(rt, &sc, "loop", lv);
		if (assign(rt, n, n->e, &snap->v[i]) != OK) {
			st = ERR;
			break;
		}
		st = exec(rt, &n->body);
		if (st == BRK) {
			st = OK;
			break;
		}
		if (st == CONT)
			st = OK;
	}
	rt->sc = sc.up;
	if (st == OK && snap->n == 0 && n->orelse.n)
		st = exec(rt, &n->orelse);
	return st;
}

/* render a body into a string */
static int
capturebody(struct rt *rt, const struct body *body, struct val *out)
{
	struct buf *outer = rt->out, b = {0};
	int st;
	rt->out = &b;
	st = exec(rt, body);
	rt->out = outer;
	return bufstr(rt, &b, st, out);
}

static int
exec1(struct rt *rt, const struct node *n)
{
	struct val v, s;
	const struct val *ns;

	switch (n->k) {
	case N_DATA:
		return emitdata(rt, n, rt->src->text + n->off, n->len);
	case N_OUT:
		if (eval(rt, n->e, &v) != OK)
			return ERR;
		return put(rt, n->e, rt->out, &v, false, 0);
	case N_IF:
		if (eval(rt, n->e, &v) != OK)
			return ERR;
		return exec(rt, truthy(&v) ? &n->body : &n->orelse);
	case N_FOR:
		return exec_for(rt, n);
	case N_SET:
		if (eval(rt, n->e, &v) != OK)
			return ERR;
		return assign(rt, n, n->e, &v);
	case N_SETATTR:
		ns = getvar(rt, rt->sc, n->names[0]);
		if (!ns || ns->k != V_DICT || !ns->u.d->ns)
			return nerr(rt, n, false, "{%% set %s.%s %%}: only a namespace() takes attributes", n->names[0],
				    n->names[1]);
		if (eval(rt, n->e, &v) != OK)
			return ERR;
		return dput(rt, n->e, ns->u.d, mkstr(n->names[1], strlen(n->names[1])), v);
	case N_SETBLOCK:
		if (capturebody(rt, &n->body, &v) != OK)
			return ERR;
		if (n->e && evalfilter(rt, n->e, &v, &v) != OK)
			return ERR;
		setvar(rt, rt->sc, n->names[0], v);
		return OK;
	case N_FILTER:
		if (capturebody(rt, &n->body, &v) != OK || evalfilter(rt, n->e, &v, &v) != OK ||
		    tostr(rt, n->e, &v, &s) != OK)
			return ERR;
		return bput(rt, n->e, rt->out, s.u.s.p, s.u.s.n);
	case N_MACRO:
		v.k = V_MACRO;
		v.u.m.m = n->m;
		v.u.m.sc = capture(rt);
		setvar(rt, rt->sc, n->m->name, v);
		return OK;
	case N_DO:
		return eval(rt, n->e, &v);
	case N_BREAK:
		return BRK;
	case N_CONTINUE:
		return CONT;
	case N_UNSUP:
		return nerr(rt, n, true, "{%% %s %%} needs dbt", n->names[0]);
	}
	return nerr(rt, n, false, "internal error: unknown statement");
}

static int
exec(struct rt *rt, const struct body *b)
{
	for (uint32_t i = 0; i < b->n; i++) {
		int st;
		if (++rt->depth > LIM_DEPTH) {
			rt->depth--;
			return nerr(rt, b->v[i], false, "blocks or macro calls nested more than %d deep", LIM_DEPTH);
		}
		st = exec1(rt, b->v[i]);
		rt->depth--;
		if (st != OK)
			return st;
		if (rt->returning)
			return RET;
		if (rt->mem > LIM_MEM)
			return nerr(rt, b->v[i], false, "rendering takes more than %zu MiB of memory", LIM_MEM >> 20);
		if (rt->work > LIM_WORK)
			return nerr(rt, b->v[i], false, "rendering takes too long (more than %d steps of lookups)",
				    LIM_WORK);
	}
	return OK;
}

/* ---- the API ---- */

void
jj_render(const char *text, size_t len, const struct jj_macros *macros, const struct jj_host *host,
	  struct jj_result *out)
{
	struct src src = {text ? text : "", text ? len : 0, -1};
	struct rt rt = {.host = host, .macros = macros, .res = out, .src = &src};
	struct scope top = {0};
	struct body body;
	struct buf b = {0};
	int st;

	memset(out, 0, sizeof(*out));
	if (src.len > LIM_SRC) {
		src.len = 0;
		jinja_adderr(out, &src, 0, 0, false, "template larger than 64 MiB");
		return;
	}
	if (!jinja_parse(&src, &rt.a, &body, out)) {
		arena_free(&rt.a);
		return;
	}
	rt.sc = rt.top = &top;
	rt.out = &b;
	st = exec(&rt, &body);
	if (st == OK && !rt.failed) {
		out->len = b.len;
		out->text = buf_take(&b);
	} else {
		if (!rt.failed)
			rterr(&rt, 0, 0, false, "internal error: rendering stopped");
		buf_free(&b);
	}
	arena_free(&rt.a);
}

void
jj_result_free(struct jj_result *r)
{
	if (!r)
		return;
	free(r->text);
	for (size_t i = 0; i < r->nerrors; i++)
		free(r->errors[i].msg);
	free(r->errors);
	memset(r, 0, sizeof(*r));
}

struct jj_macros *
jj_macros_load(const char *const *texts, const size_t *lens, const char *const *paths, size_t n,
	       struct jj_result *errs)
{
	struct jj_macros *m = xcalloc(1, sizeof(*m));
	struct jj_result scratch = {0}, *r = errs ? errs : &scratch;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		struct src *src = arena_alloc(&m->a, sizeof(*src));
		struct body body;
		size_t before = r->nerrors;
		src->file = (int)i;
		if (lens[i] > LIM_SRC) {
			src->text = "";
			jinja_adderr(r, src, 0, 0, false, "macro file larger than 64 MiB");
			continue;
		}
		src->text = arena_strndup(&m->a, texts[i] ? texts[i] : "", texts[i] ? lens[i] : 0);
		src->len = texts[i] ? lens[i] : 0;
		if (!jinja_parse(src, &m->a, &body, r))
			continue;
		/* a file adds its macros only when none clashes with another */
		for (uint32_t j = 0; j < body.n; j++) {
			const struct node *nd = body.v[j];
			if (nd->k != N_MACRO)
				continue;
			const struct macro *old = strmap_get(&m->map, nd->m->name);
			for (uint32_t k = 0; k < j && !old; k++)
				if (body.v[k]->k == N_MACRO && strcmp(body.v[k]->m->name, nd->m->name) == 0)
					old = body.v[k]->m;
			if (!old)
				continue;
			char msg[512];
			const char *where = old->src == src ? "in this file" : "in";
			const char *other = old->src == src ? "" : paths && paths[old->src->file] ? paths[old->src->file] : "another file";
			snprintf(msg, sizeof(msg), "macro '%s' is defined twice (also %s%s%s)", nd->m->name, where,
				 *other ? " " : "", other);
			jinja_adderr(r, src, nd->off, nd->len, false, msg);
		}
		if (r->nerrors > before)
			continue;
		for (uint32_t j = 0; j < body.n; j++)
			if (body.v[j]->k == N_MACRO)
				strmap_put(&m->map, body.v[j]->m->name, body.v[j]->m);
	}
	jj_result_free(&scratch);
	return m;
}

void
jj_macros_free(struct jj_macros *m)
{
	if (!m)
		return;
	strmap_free(&m->map);
	arena_free(&m->a);
	free(m);
}
