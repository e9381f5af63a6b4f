/* analyze_py.c: Python files for `dpc analyze`: Airflow DAGs (through the
 * Airflow reader, airflow.h), Dagster assets and dlt pipelines (from the
 * facts pyscan.h records).
 *
 * Dagster: functions decorated @asset, @dg.asset, @dagster.asset or
 * @multi_asset (under whatever name the file imports them), their name= or
 * key=, group_name=, deps=[...] (names, asset functions, AssetKey, AssetDep,
 * AssetSpec), ins={...: AssetIn(...)}, and the function's arguments: an
 * argument naming another asset is a dependency (resolved once every file
 * is read). dlt: @dlt.resource, @dlt.transformer (data_from=) and
 * @dlt.source functions, dlt.resource(...) assigned to a name, the resources
 * a source's body mentions, dlt.pipeline(...) and what pipeline.run(...)
 * is given.
 *
 * A file is parsed only when it mentions airflow, dagster or dlt. A syntax
 * error is a warning at its place; the facts of the rest of the file are
 * still used. */
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"
#include "pyscan.h"

struct px {
	struct an_worker *w;
	struct an_job *j;
	struct py_file *f;
	struct strmap alias;     /* a name the file imports → its dotted origin */
	struct an_pyres *r;
	size_t capassets, capdlt, caplinks;
	struct strmap dltfn;     /* function or variable name → dlt index + 1 */
};

static const char *
keep(struct px *x, char *s)
{
	if (!s)
		return NULL;
	const char *k = arena_strdup(&x->w->a, s);
	free(s);
	return k;
}

static struct an_at
nodeat(struct px *x, TSNode n)
{
	uint32_t line, col;
	py_linecol(n, &line, &col);
	return (struct an_at){x->j->path, ts_node_start_byte(n), line, col};
}

static void
nwarn(struct px *x, TSNode n, const char *msg)
{
	uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
	an_wwarn(x->w, x->j->path, a, b > a ? b - a : 1, "%s", msg);
}

static bool
istype(TSNode n, const char *type)
{
	return !ts_node_is_null(n) && strcmp(ts_node_type(n), type) == 0;
}

/* import a as b, from m import c as d: what the file's names stand for */
static void
imports(struct px *x)
{
	for (size_t i = 0; i < x->f->nimports; i++) {
		const struct py_import *im = &x->f->imports[i];
		if (im->wildcard)
			continue;
		char *mod = py_strdup(x->f, im->module);
		char *origin, *local;
		if (ts_node_is_null(im->name)) { /* import a.b [as c] */
			origin = xstrdup(mod);
			local = ts_node_is_null(im->alias) ? xstrndup(mod, strcspn(mod, ".")) : py_strdup(x->f, im->alias);
			if (ts_node_is_null(im->alias)) {
				free(origin);
				origin = xstrdup(local);
			}
		} else { /* from m import n [as c] */
			char *nm = py_strdup(x->f, im->name);
			origin = xasprintf("%s.%s", mod, nm);
			local = ts_node_is_null(im->alias) ? xstrdup(nm) : py_strdup(x->f, im->alias);
			free(nm);
		}
		strmap_put(&x->alias, keep(x, local), (void *)keep(x, origin));
		free(mod);
	}
}

/* what an expression names once the file's imports are applied
 * ("dg.asset" with import dagster as dg: "dagster.asset"); owned */
static char *
canonical(struct px *x, TSNode n, bool *imported)
{
	char *d = py_dotted(x->f, n);
	*imported = false;
	if (!d)
		return NULL;
	size_t k = strcspn(d, ".");
	char *first = xstrndup(d, k);
	const char *origin = strmap_get(&x->alias, first);
	free(first);
	if (!origin)
		return d;
	*imported = true;
	char *c = xasprintf("%s%s", origin, d + k);
	free(d);
	return c;
}

/* is n (a decorator's expression, or a call's function) one of want, as
 * imported, or spelled as one of plain when the file does not say where its
 * first name comes from? */
static bool
names(struct px *x, TSNode n, const char *want, const char *const *plain, size_t nplain)
{
	bool imported;
	char *c = canonical(x, n, &imported);
	if (!c)
		return false;
	bool ok = strcmp(c, want) == 0;
	for (size_t i = 0; !ok && !imported && i < nplain; i++)
		ok = strcmp(c, plain[i]) == 0;
	free(c);
	return ok;
}

static const char *const asset_plain[] = {"asset", "dg.asset", "dagster.asset"};
static const char *const multi_plain[] = {"multi_asset", "dg.multi_asset", "dagster.multi_asset"};

/* the function a decorator calls and its call fact: @asset or @asset(...) */
static TSNode
decofunc(struct px *x, TSNode deco, const struct py_call **call)
{
	*call = NULL;
	if (istype(deco, "call")) {
		*call = py_call_at(x->f, deco);
		return ts_node_child_by_field_name(deco, "function", 8);
	}
	return deco;
}

/* a string, or a list of strings joined by "/" (an asset key's path) */
static char *
keypath(struct px *x, TSNode n)
{
	char *s = py_string(x->f, n);
	if (s || !(istype(n, "list") || istype(n, "tuple")))
		return s;
	struct buf b = {0};
	uint32_t k = ts_node_named_child_count(n);
	for (uint32_t i = 0; i < k; i++) {
		char *p = py_string(x->f, ts_node_named_child(n, i));
		if (!p) {
			buf_free(&b);
			return NULL;
		}
		if (b.len)
			buf_putc(&b, '/');
		buf_puts(&b, p);
		free(p);
	}
	return b.len ? buf_take(&b) : (buf_free(&b), NULL);
}

/* one entry of deps=[...]: an asset's name, or NULL (warned) */
static const char *
depname(struct px *x, TSNode n)
{
	if (istype(n, "string") || istype(n, "concatenated_string"))
		return keep(x, py_string(x->f, n));
	if (istype(n, "identifier"))
		return keep(x, py_strdup(x->f, n));
	if (istype(n, "attribute"))
		return keep(x, py_strdup(x->f, ts_node_child_by_field_name(n, "attribute", 9)));
	if (istype(n, "call")) {
		const struct py_call *c = py_call_at(x->f, n);
		char *fn = py_dotted(x->f, ts_node_child_by_field_name(n, "function", 8));
		const char *last = fn ? strrchr(fn, '.') : NULL;
		last = last ? last + 1 : fn;
		const char *out = NULL;
		if (c && last && c->nargs >= 1) {
			if (strcmp(last, "AssetKey") == 0)
				out = keep(x, keypath(x, c->args[0]));
			else if (strcmp(last, "AssetDep") == 0 || strcmp(last, "AssetSpec") == 0)
				out = depname(x, c->args[0]);
		} else if (c && last && (strcmp(last, "AssetDep") == 0 || strcmp(last, "AssetSpec") == 0)) {
			TSNode k = py_kwarg(x->f, c, "key");
			if (!ts_node_is_null(k))
				out = depname(x, k);
		}
		free(fn);
		if (out)
			return out;
	}
	nwarn(x, n, "a Dagster dependency dpc cannot read without running the code; left out");
	return NULL;
}

static void
adddeps(struct px *x, struct an_asset *a, TSNode list)
{
	if (ts_node_is_null(list))
		return;
	if (!istype(list, "list") && !istype(list, "tuple") && !istype(list, "set")) {
		nwarn(x, list, "deps= is not a list dpc can read without running the code; left out");
		return;
	}
	uint32_t k = ts_node_named_child_count(list);
	a->deps = arena_array(&x->w->a, a->ndeps + k + 1, sizeof(*a->deps));
	for (uint32_t i = 0; i < k; i++) {
		TSNode e = ts_node_named_child(list, i);
		if (istype(e, "comment"))
			continue;
		const char *d = depname(x, e);
		if (d)
			a->deps[a->ndeps++] = d;
	}
}

/* ins={"param": AssetIn("key")}: the keys become dependencies; the params
 * they name are not looked up again */
static void
addins(struct px *x, struct an_asset *a, TSNode dict, struct strmap *taken)
{
	if (!istype(dict, "dictionary"))
		return;
	uint32_t k = ts_node_named_child_count(dict);
	const char **v = arena_array(&x->w->a, a->ndeps + k + 1, sizeof(*v));
	for (size_t i = 0; i < a->ndeps; i++)
		v[i] = a->deps[i];
	a->deps = v;
	for (uint32_t i = 0; i < k; i++) {
		TSNode pair = ts_node_named_child(dict, i);
		if (!istype(pair, "pair"))
			continue;
		const char *param = keep(x, py_string(x->f, ts_node_child_by_field_name(pair, "key", 3)));
		TSNode val = ts_node_child_by_field_name(pair, "value", 5);
		const struct py_call *c = istype(val, "call") ? py_call_at(x->f, val) : NULL;
		if (!param)
			continue;
		strmap_put(taken, param, (void *)1);
		const char *key = param;
		if (c) {
			TSNode kn = c->nargs ? c->args[0] : py_kwarg(x->f, c, "key");
			if (!ts_node_is_null(kn)) {
				const char *d = keep(x, keypath(x, kn));
				if (!d && istype(kn, "call"))
					d = depname(x, kn);
				key = d ? d : param;
			}
		}
		a->deps[a->ndeps++] = key;
	}
}

/* the names of a function's parameters */
static void
params(struct px *x, struct an_asset *a, TSNode func, const struct strmap *taken)
{
	TSNode ps = ts_node_child_by_field_name(func, "parameters", 10);
	uint32_t k = istype(ps, "parameters") ? ts_node_named_child_count(ps) : 0;
	a->params = arena_array(&x->w->a, k + 1, sizeof(*a->params));
	for (uint32_t i = 0; i < k; i++) {
		TSNode p = ts_node_named_child(ps, i);
		TSNode nm = istype(p, "identifier") ? p : ts_node_child_by_field_name(p, "name", 4);
		if (istype(p, "typed_parameter"))
			nm = ts_node_named_child(p, 0);
		if (!istype(nm, "identifier"))
			continue;
		const char *s = keep(x, py_strdup(x->f, nm));
		if (strcmp(s, "context") == 0 || strcmp(s, "self") == 0 || strcmp(s, "config") == 0 ||
		    s[0] == '_' || strmap_get(taken, s))
			continue;
		a->params[a->nparams++] = s;
	}
}

static struct an_asset *
newasset(struct px *x, const char *name, const char *function, TSNode at)
{
	VEC_PUSH(x->r->assets, x->r->nassets, x->capassets);
	struct an_asset *a = &x->r->assets[x->r->nassets++];
	*a = (struct an_asset){.name = name, .function = function, .at = nodeat(x, at)};
	return a;
}

static void
dagster(struct px *x, const struct py_def *d)
{
	for (size_t k = 0; k < d->ndecorators; k++) {
		const struct py_call *c;
		TSNode fn = decofunc(x, d->decorators[k], &c);
		bool single = names(x, fn, "dagster.asset", asset_plain, LEN(asset_plain));
		bool multi = !single && names(x, fn, "dagster.multi_asset", multi_plain, LEN(multi_plain));
		if (!single && !multi)
			continue;
		const char *function = keep(x, py_strdup(x->f, d->name));
		const char *group = c ? keep(x, py_string(x->f, py_kwarg(x->f, c, "group_name"))) : NULL;
		struct strmap taken = {0};
		struct an_asset proto = {0};
		if (c) {
			adddeps(x, &proto, py_kwarg(x->f, c, "deps"));
			addins(x, &proto, py_kwarg(x->f, c, "ins"), &taken);
		}
		params(x, &proto, d->func, &taken);
		strmap_free(&taken);
		/* the assets this decorator makes */
		const char *one[1] = {function};
		const char **outs = one;
		size_t nouts = 1;
		TSNode outat[1] = {d->name};
		TSNode *outnodes = outat;
		if (single && c) {
			const char *nm = keep(x, py_string(x->f, py_kwarg(x->f, c, "name")));
			TSNode key = py_kwarg(x->f, c, "key");
			const char *kp = ts_node_is_null(key) ? NULL : depname(x, key);
			one[0] = kp ? kp : nm ? nm : function;
			TSNode prefix = py_kwarg(x->f, c, "key_prefix");
			const char *pre = ts_node_is_null(prefix) ? NULL : keep(x, keypath(x, prefix));
			if (pre && !kp)
				one[0] = arena_printf(&x->w->a, "%s/%s", pre, one[0]);
		} else if (multi) {
			TSNode o = c ? py_kwarg(x->f, c, "outs") : (TSNode){{0}, NULL, NULL};
			TSNode s = c ? py_kwarg(x->f, c, "specs") : (TSNode){{0}, NULL, NULL};
			TSNode list = istype(o, "dictionary") ? o : s;
			uint32_t n = (istype(list, "dictionary") || istype(list, "list")) ? ts_node_named_child_count(list) : 0;
			outs = arena_array(&x->w->a, n + 1, sizeof(*outs));
			outnodes = xcalloc(n + 1, sizeof(*outnodes));
			nouts = 0;
			for (uint32_t i = 0; i < n; i++) {
				TSNode e = ts_node_named_child(list, i);
				const char *nm = NULL;
				if (istype(e, "pair"))
					nm = keep(x, py_string(x->f, ts_node_child_by_field_name(e, "key", 3)));
				else if (istype(e, "call"))
					nm = depname(x, e);
				if (nm) {
					outnodes[nouts] = e;
					outs[nouts++] = nm;
				}
			}
			if (!nouts)
				nwarn(x, d->decorators[k], "a multi_asset whose outs or specs dpc cannot read; left out");
		}
		for (size_t i = 0; i < nouts; i++) {
			struct an_asset *a = newasset(x, outs[i], function, outnodes[i]);
			a->group = group;
			a->deps = proto.deps, a->ndeps = proto.ndeps;
			a->params = proto.params, a->nparams = proto.nparams;
		}
		if (outnodes != outat)
			free(outnodes);
		return;
	}
}

/* ---- dlt ---- */

static size_t
newdlt(struct px *x, const char *kind, const char *name, const char *function, const char *detail, TSNode at)
{
	VEC_PUSH(x->r->dlt, x->r->ndlt, x->capdlt);
	x->r->dlt[x->r->ndlt] = (struct an_dlt){kind, name, detail, function, nodeat(x, at)};
	if (function && !strmap_get(&x->dltfn, function))
		strmap_put(&x->dltfn, function, (void *)(uintptr_t)(x->r->ndlt + 1));
	return x->r->ndlt++;
}

static void
addlink(struct px *x, size_t from, size_t to, const char *kind, TSNode at)
{
	VEC_PUSH(x->r->links, x->r->nlinks, x->caplinks);
	x->r->links[x->r->nlinks++] = (struct an_link){from, to, kind, nodeat(x, at)};
}

static const char *const res_plain[] = {"dlt.resource"};
static const char *const tr_plain[] = {"dlt.transformer"};
static const char *const src_plain[] = {"dlt.source"};
static const char *const pipe_plain[] = {"dlt.pipeline"};

/* identifiers under n that name a resource of this file: what a source holds */
static void
mentions(struct px *x, TSNode n, size_t source, int depth)
{
	if (depth > 200)
		return;
	if (istype(n, "identifier")) {
		size_t len;
		const char *t = py_text(x->f, n, &len);
		char *s = xstrndup(t, len);
		uintptr_t k = (uintptr_t)strmap_get(&x->dltfn, s);
		free(s);
		if (k && k - 1 != source && strcmp(x->r->dlt[k - 1].kind, "dlt_resource") == 0)
			addlink(x, k - 1, source, "yields", n);
		return;
	}
	uint32_t c = ts_node_named_child_count(n);
	for (uint32_t i = 0; i < c; i++)
		mentions(x, ts_node_named_child(n, i), source, depth + 1);
}

static void
dltdefs(struct px *x)
{
	size_t *sources = xcalloc(x->f->ndefs + 1, sizeof(*sources));
	TSNode *bodies = xcalloc(x->f->ndefs + 1, sizeof(*bodies));
	size_t nsources = 0;
	for (size_t i = 0; i < x->f->ndefs; i++) {
		const struct py_def *d = &x->f->defs[i];
		for (size_t k = 0; k < d->ndecorators; k++) {
			const struct py_call *c;
			TSNode fn = decofunc(x, d->decorators[k], &c);
			bool res = names(x, fn, "dlt.resource", res_plain, 1);
			bool tr = !res && names(x, fn, "dlt.transformer", tr_plain, 1);
			bool src = !res && !tr && names(x, fn, "dlt.source", src_plain, 1);
			if (!res && !tr && !src)
				continue;
			const char *function = keep(x, py_strdup(x->f, d->name));
			const char *nm = c ? keep(x, py_string(x->f, py_kwarg(x->f, c, "name"))) : NULL;
			const char *disp = c ? keep(x, py_string(x->f, py_kwarg(x->f, c, "write_disposition"))) : NULL;
			size_t idx = newdlt(x, src ? "dlt_source" : "dlt_resource", nm ? nm : function, function, disp, d->name);
			if (src) {
				sources[nsources] = idx;
				bodies[nsources++] = ts_node_child_by_field_name(d->func, "body", 4);
			}
			if (tr && c) {
				TSNode from = py_kwarg(x->f, c, "data_from");
				char *up = istype(from, "identifier") ? py_strdup(x->f, from) : NULL;
				uintptr_t k2 = up ? (uintptr_t)strmap_get(&x->dltfn, up) : 0;
				if (k2)
					addlink(x, k2 - 1, idx, "data_from", from);
				free(up);
			}
			break;
		}
	}
	/* name = dlt.resource(...), name = dlt.pipeline(...) */
	for (size_t i = 0; i < x->f->nassigns; i++) {
		const struct py_assign *a = &x->f->assigns[i];
		if (!istype(a->left, "identifier") || !istype(a->right, "call"))
			continue;
		const struct py_call *c = py_call_at(x->f, a->right);
		if (!c)
			continue;
		const char *var = keep(x, py_strdup(x->f, a->left));
		if (names(x, c->func, "dlt.resource", res_plain, 1) || names(x, c->func, "dlt.source", src_plain, 1)) {
			const char *nm = keep(x, py_string(x->f, py_kwarg(x->f, c, "name")));
			bool src = names(x, c->func, "dlt.source", src_plain, 1);
			newdlt(x, src ? "dlt_source" : "dlt_resource", nm ? nm : var, var, NULL, a->left);
		}
	}
	for (size_t i = 0; i < nsources; i++)
		if (!ts_node_is_null(bodies[i]))
			mentions(x, bodies[i], sources[i], 0);
	free(sources);
	free(bodies);
}

/* the destination a pipeline names: a string, or the expression */
static const char *
destination(struct px *x, const struct py_call *c)
{
	TSNode d = py_kwarg(x->f, c, "destination");
	if (ts_node_is_null(d))
		return NULL;
	char *s = py_string(x->f, d);
	if (s)
		return keep(x, s);
	TSNode fn = istype(d, "call") ? ts_node_child_by_field_name(d, "function", 8) : d;
	char *dot = py_dotted(x->f, fn);
	return dot ? keep(x, dot) : NULL;
}

/* the dlt thing an expression given to run() stands for: a resource or
 * source called or named, or a variable assigned one */
static void
rundata(struct px *x, TSNode n, size_t pipe, TSNode at, int depth)
{
	if (depth > 8 || ts_node_is_null(n))
		return;
	if (istype(n, "list") || istype(n, "tuple")) {
		uint32_t k = ts_node_named_child_count(n);
		for (uint32_t i = 0; i < k; i++)
			rundata(x, ts_node_named_child(n, i), pipe, at, depth + 1);
		return;
	}
	if (istype(n, "call")) {
		TSNode fn = ts_node_child_by_field_name(n, "function", 8);
		if (istype(fn, "attribute")) /* source().with_resources(...) */
			fn = ts_node_child_by_field_name(fn, "object", 6);
		rundata(x, fn, pipe, at, depth + 1);
		return;
	}
	if (!istype(n, "identifier"))
		return;
	char *s = py_strdup(x->f, n);
	uintptr_t k = (uintptr_t)strmap_get(&x->dltfn, s);
	if (k) {
		addlink(x, k - 1, pipe, "run", at);
	} else {
		/* a variable: the last assignment to it before the run */
		TSNode val = {{0}, NULL, NULL};
		for (size_t i = 0; i < x->f->nassigns; i++) {
			const struct py_assign *a = &x->f->assigns[i];
			if (ts_node_start_byte(a->node) < ts_node_start_byte(at) && istype(a->left, "identifier") &&
			    py_text_is(x->f, a->left, s))
				val = a->right;
		}
		if (!ts_node_is_null(val))
			rundata(x, val, pipe, at, depth + 1);
	}
	free(s);
}

static void
dltpipelines(struct px *x)
{
	struct strmap pipes = {0}; /* a pipeline variable → index + 1 */
	for (size_t i = 0; i < x->f->ncalls; i++) {
		const struct py_call *c = &x->f->calls[i];
		if (!names(x, c->func, "dlt.pipeline", pipe_plain, 1))
			continue;
		TSNode parent = ts_node_parent(c->node);
		const char *var = NULL;
		if (istype(parent, "assignment")) {
			TSNode left = ts_node_child_by_field_name(parent, "left", 4);
			if (istype(left, "identifier"))
				var = keep(x, py_strdup(x->f, left));
		}
		const char *nm = keep(x, py_string(x->f, py_kwarg(x->f, c, "pipeline_name")));
		if (!nm)
			nm = var ? var : arena_printf(&x->w->a, "pipeline_line_%u", nodeat(x, c->node).line);
		size_t idx = newdlt(x, "dlt_pipeline", nm, NULL, destination(x, c), c->node);
		strmap_put(&pipes, arena_printf(&x->w->a, "@%u", ts_node_start_byte(c->node)), (void *)(uintptr_t)(idx + 1));
		if (var)
			strmap_put(&pipes, var, (void *)(uintptr_t)(idx + 1));
	}
	for (size_t i = 0; i < x->f->ncalls && pipes.n; i++) {
		const struct py_call *c = &x->f->calls[i];
		if (!istype(c->func, "attribute"))
			continue;
		TSNode attr = ts_node_child_by_field_name(c->func, "attribute", 9);
		if (!py_text_is(x->f, attr, "run") && !py_text_is(x->f, attr, "extract"))
			continue;
		TSNode obj = ts_node_child_by_field_name(c->func, "object", 6);
		uintptr_t p = 0;
		if (istype(obj, "identifier")) {
			char *s = py_strdup(x->f, obj);
			p = (uintptr_t)strmap_get(&pipes, s);
			free(s);
		} else if (istype(obj, "call")) {
			char *key = xasprintf("@%u", ts_node_start_byte(obj));
			p = (uintptr_t)strmap_get(&pipes, key);
			free(key);
		}
		if (!p)
			continue;
		TSNode data = c->nargs ? c->args[0] : py_kwarg(x->f, c, "data");
		rundata(x, data, p - 1, c->node, 0);
	}
	strmap_free(&pipes);
}

static bool
mentions_word(const char *text, size_t len, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = text, *e = text + len; p + n <= e && (p = memchr(p, w[0], (size_t)(e - p)));) {
		if ((size_t)(e - p) >= n && memcmp(p, w, n) == 0)
			return true;
		p++;
	}
	return false;
}

void
py_job(struct an_worker *w, struct an_job *j, const char *text, size_t len)
{
	bool af = af_maybe_dag(text, len);
	bool dg = mentions_word(text, len, "dagster"), dl = mentions_word(text, len, "dlt");
	if (!af && !dg && !dl)
		return;
	if (!w->py) {
		w->py = py_scanner_new();
		if (!w->py) {
			an_wwarn(w, j->path, 0, 1, "the Python grammar cannot be loaded; Python files are not analyzed");
			return;
		}
	}
	struct an_pyres *r = arena_alloc(&w->a, sizeof(*r));
	j->res = r;
	if (af) {
		int32_t f = diag_file(&w->d, j->path, NULL, 0);
		af_read(w->py, &w->d, f, text, len, &r->af);
		r->has_af = true;
	}
	if (!dg && !dl)
		return;
	struct py_file pf;
	if (!py_scan(w->py, text, len, &pf)) {
		an_wwarn(w, j->path, 0, 1, "Python file could not be parsed");
		return;
	}
	if (pf.too_deep) {
		an_wwarn(w, j->path, 0, 1,
			 "Python file nests deeper than %d levels; its assets and pipelines were not read",
			 PY_MAX_DEPTH);
		py_file_free(&pf);
		return;
	}
	if (pf.has_error && !(af && r->af.parse_error)) {
		uint32_t a = ts_node_start_byte(pf.first_error), b = ts_node_end_byte(pf.first_error);
		an_wwarn(w, j->path, a, b > a ? b - a : 1,
			 "Python syntax error; what follows it may be read only in part");
	}
	struct px x = {.w = w, .j = j, .f = &pf, .r = r};
	imports(&x);
	if (dg)
		for (size_t i = 0; i < pf.ndefs; i++)
			dagster(&x, &pf.defs[i]);
	if (dl) {
		dltdefs(&x);
		dltpipelines(&x);
	}
	strmap_free(&x.dltfn);
	strmap_free(&x.alias);
	py_file_free(&pf);
}

void
py_worker_free(struct an_worker *w)
{
	py_scanner_free(w->py);
	w->py = NULL;
}
