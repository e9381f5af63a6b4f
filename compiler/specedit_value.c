/* specedit_value.c: values for the spec edits (specedit.h): a JSON value
 * as the YAML text spliced into a spec, laid out as the file lays out its
 * own, every scalar written by libyaml's emitter (yamlout.c's struct yw),
 * which quotes what a reader would take for something else; and a YAML
 * tree as JSON, typed as dpc reads it, which an edit is checked against. */
#include "specedit.h"

#include <stdlib.h>
#include <string.h>

#include "emit.h"

static void
spaces(struct buf *b, size_t n)
{
	while (n--)
		buf_putc(b, ' ');
}

/* the bytes libyaml wrote for w's document, without its final line break
 * and any end marker; NULL when the emitter refused */
static char *
ywdone(struct yw *w, size_t *len)
{
	char *s = yw_end(w, len);
	if (w->failed) {
		free(s);
		return NULL;
	}
	/* one line break: more would be a kept literal's (|+) empty lines */
	if (*len && s[*len - 1] == '\n')
		s[--*len] = '\0';
	if (*len >= 3 && strcmp(s + *len - 3, "...") == 0 && (*len == 3 || s[*len - 4] == '\n')) {
		*len -= 3;
		if (*len && s[*len - 1] == '\n')
			(*len)--;
		s[*len] = '\0';
	}
	return s;
}

/* what libyaml writes for the one-pair map {k: s} (ywdone) */
static char *
keyed(const char *s, size_t *n)
{
	struct yw w;
	yw_begin(&w, NULL);
	yw_map(&w);
	yw_literal(&w, "k");
	yw_str(&w, s);
	yw_endmap(&w);
	return ywdone(&w, n);
}

/* s as a scalar inside a flow collection */
static bool
flowstr(struct buf *b, const char *s)
{
	struct yw w;
	yw_begin(&w, NULL);
	yw_flowseq(&w);
	yw_str(&w, s);
	yw_endseq(&w);
	size_t n;
	char *out = ywdone(&w, &n);
	char *open = out ? strchr(out, '[') : NULL, *close = out ? strrchr(out, ']') : NULL;
	bool ok = open && close && close > open;
	if (ok)
		buf_put(b, open + 1, (size_t)(close - open - 1));
	free(out);
	return ok;
}

void
sedit_scalar(struct buf *b, const char *s)
{
	/* the block form of a string (below) when it fits on one line */
	if (!strchr(s, '\n')) {
		size_t n;
		char *out = keyed(s, &n);
		if (out && strncmp(out, "k: ", 3) == 0 && !strchr(out, '\n')) {
			buf_puts(b, out + 3);
			free(out);
			return;
		}
		free(out);
	}
	if (!flowstr(b, s))
		buf_puts(b, "\"\"");
}

static void
number(struct buf *b, double d)
{
	double a = d < 0 ? -d : d;
	if (a < 9007199254740992.0 && d == (double)(long long)d)
		buf_printf(b, "%lld", (long long)d);
	else
		buf_printf(b, "%.17g", d);
}

/* a scalar (or an empty collection) in flow style */
static bool
flowscalar(struct buf *b, const cJSON *v)
{
	if (cJSON_IsNull(v))
		buf_puts(b, "null");
	else if (cJSON_IsTrue(v))
		buf_puts(b, "true");
	else if (cJSON_IsFalse(v))
		buf_puts(b, "false");
	else if (cJSON_IsNumber(v))
		number(b, v->valuedouble);
	else if (cJSON_IsString(v))
		return flowstr(b, v->valuestring);
	else
		return false;
	return true;
}

static bool
isscalar(const cJSON *v)
{
	return !cJSON_IsArray(v) && !cJSON_IsObject(v);
}

/* a key: text dpc writes on one line */
bool
sedit_keytext(struct buf *b, const char *k, char **err)
{
	for (const unsigned char *p = (const unsigned char *)k; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			*err = xasprintf("the key '%s' has a control character or a line break in it", k);
			return false;
		}
	if (strlen(k) > 200) {
		*err = xasprintf("the key '%.40s...' is longer than 200 bytes", k);
		return false;
	}
	if (!flowstr(b, k)) {
		*err = xasprintf("the key '%s' is not valid UTF-8", k);
		return false;
	}
	return true;
}

bool
sedit_flowvalue(struct buf *b, const cJSON *v, char **err)
{
	const cJSON *c;
	if (cJSON_IsArray(v)) {
		buf_putc(b, '[');
		cJSON_ArrayForEach(c, v)
		{
			if (c != v->child)
				buf_puts(b, ", ");
			if (!sedit_flowvalue(b, c, err))
				return false;
		}
		buf_putc(b, ']');
		return true;
	}
	if (cJSON_IsObject(v)) {
		buf_putc(b, '{');
		cJSON_ArrayForEach(c, v)
		{
			if (c != v->child)
				buf_puts(b, ", ");
			if (!sedit_keytext(b, c->string, err))
				return false;
			buf_puts(b, ": ");
			if (!sedit_flowvalue(b, c, err))
				return false;
		}
		buf_putc(b, '}');
		return true;
	}
	if (!flowscalar(b, v)) {
		*err = xstrdup("a string is not valid UTF-8");
		return false;
	}
	return true;
}

/* a list dpc writes in flow style: scalars on one line each */
static bool
flowable(const cJSON *v)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, v)
	{
		if (!isscalar(c) || (cJSON_IsString(c) && strchr(c->valuestring, '\n')))
			return false;
	}
	return true;
}

/* string s after "key:" (the key at column kc): " value", or " |-" and
 * the lines of a literal block at column in. libyaml writes it for a key
 * at column 0, with its lines at 2; they are moved to in */
static bool
blockstr(struct buf *b, const char *s, size_t kc, size_t in)
{
	size_t n;
	char *out = keyed(s, &n);
	if (!out || strncmp(out, "k:", 2) != 0) {
		free(out);
		return false;
	}
	const char *p = out + 2, *nl = strchr(p, '\n');
	size_t hl = nl ? (size_t)(nl - p) : strlen(p);
	/* a block scalar's header with an indentation indicator ("|2-"): it
	 * counts from the key's column, so it follows the move */
	bool header = hl >= 2 && p[0] == ' ' && (p[1] == '|' || p[1] == '>');
	for (size_t i = 0; i < hl; i++) {
		if (header && p[i] >= '1' && p[i] <= '9' && in - kc >= 1 && in - kc <= 9)
			buf_putc(b, (char)('0' + (in - kc)));
		else
			buf_putc(b, p[i]);
	}
	while (nl) {
		p = nl + 1;
		nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);
		buf_putc(b, '\n');
		if (ll == 0)
			continue;
		if (ll < 2 || p[0] != ' ' || p[1] != ' ') {
			free(out);
			return false;
		}
		spaces(b, in);
		buf_put(b, p + 2, ll - 2);
	}
	free(out);
	return true;
}

/* what follows "key:" for value v, the key at column kc: " scalar",
 * " [a, b]", or lines below the key */
bool
sedit_blockvalue(struct buf *b, const cJSON *v, size_t kc, const struct sedit_style *st, char **err)
{
	const cJSON *c;
	if (cJSON_IsNull(v))
		return true; /* `key:` alone */
	if (cJSON_IsString(v)) {
		if (blockstr(b, v->valuestring, kc, kc + st->step))
			return true;
		*err = xstrdup("a string is not valid UTF-8");
		return false;
	}
	if (isscalar(v)) {
		buf_putc(b, ' ');
		return flowscalar(b, v);
	}
	if (!v->child) {
		buf_puts(b, cJSON_IsArray(v) ? " []" : " {}");
		return true;
	}
	if (cJSON_IsArray(v) && flowable(v)) {
		buf_putc(b, ' ');
		return sedit_flowvalue(b, v, err);
	}
	cJSON_ArrayForEach(c, v)
	{
		buf_putc(b, '\n');
		if (cJSON_IsArray(v)) {
			spaces(b, kc + st->seqin);
			buf_putc(b, '-');
			if (!sedit_blockitem(b, c, kc + st->seqin, st, err))
				return false;
		} else {
			spaces(b, kc + st->step);
			if (!sedit_keytext(b, c->string, err))
				return false;
			buf_putc(b, ':');
			if (!sedit_blockvalue(b, c, kc + st->step, st, err))
				return false;
		}
	}
	return true;
}

/* what follows the "-" of a block list item at column dc */
bool
sedit_blockitem(struct buf *b, const cJSON *v, size_t dc, const struct sedit_style *st, char **err)
{
	const cJSON *c;
	if (cJSON_IsString(v)) {
		if (blockstr(b, v->valuestring, dc, dc + 2))
			return true;
		*err = xstrdup("a string is not valid UTF-8");
		return false;
	}
	buf_putc(b, ' ');
	if (!cJSON_IsObject(v) || !v->child)
		return cJSON_IsArray(v) || isscalar(v) ? sedit_flowvalue(b, v, err) : (buf_puts(b, "{}"), true);
	/* a mapping: its first key on the dash's line, the others below it */
	cJSON_ArrayForEach(c, v)
	{
		if (c != v->child) {
			buf_putc(b, '\n');
			spaces(b, dc + 2);
		}
		if (!sedit_keytext(b, c->string, err))
			return false;
		buf_putc(b, ':');
		if (!sedit_blockvalue(b, c, dc + 2, st, err))
			return false;
	}
	return true;
}

/* a mapping that reads well on one line in flow style: a few scalars and
 * lists of scalars */
bool
sedit_flowable_map(const cJSON *v)
{
	const cJSON *c;
	size_t n = 0;
	cJSON_ArrayForEach(c, v)
	{
		if (++n > 4 || (cJSON_IsString(c) && (strchr(c->valuestring, '\n') || strlen(c->valuestring) > 40)) ||
		    cJSON_IsObject(c) || (cJSON_IsArray(c) && !flowable(c)))
			return false;
	}
	return n > 0;
}

/* ---- YAML as data ---- */

/* does a plain scalar read as a number (not an integer yint takes)? */
static bool
isfloat(const char *s)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	size_t digits = 0;
	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++, digits++;
	}
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* a YAML tree as JSON, scalars typed as dpc reads them (YAML 1.2's core
 * schema: null, true/false, numbers; anything quoted is a string) */
cJSON *
sedit_tojson(const struct ynode *n)
{
	if (n->kind == Y_MAP) {
		cJSON *o = cJSON_CreateObject();
		for (size_t i = 0; i + 1 < n->n; i += 2)
			cJSON_AddItemToObject(o, n->items[i]->kind == Y_SCALAR ? n->items[i]->str : "",
					      sedit_tojson(n->items[i + 1]));
		return o;
	}
	if (n->kind == Y_SEQ) {
		cJSON *a = cJSON_CreateArray();
		for (size_t i = 0; i < n->n; i++)
			cJSON_AddItemToArray(a, sedit_tojson(n->items[i]));
		return a;
	}
	bool b;
	long long v;
	if (!n->plain)
		return cJSON_CreateString(n->str);
	if (ynull(n))
		return cJSON_CreateNull();
	if (ybool(n, &b))
		return cJSON_CreateBool(b);
	if (yint(n, &v))
		return cJSON_CreateNumber((double)v);
	if (isfloat(n->str))
		return cJSON_CreateNumber(strtod(n->str, NULL));
	return cJSON_CreateString(n->str);
}
