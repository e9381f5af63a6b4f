/* yamlout.c: writing YAML with libyaml's emitter (see struct yw in emit.h),
 * and the output set all back ends fill. */
#include "emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <errno.h>
#include <unistd.h>

/* append out to the set, under the writer's lock when there is one */
static void
push(struct outset *o, struct output out)
{
	if (o->lock)
		pthread_mutex_lock(o->lock);
	VEC_PUSH(o->v, o->n, o->cap);
	o->v[o->n++] = out;
	if (o->added)
		o->added(o->arg);
	if (o->lock)
		pthread_mutex_unlock(o->lock);
}

static void
add(struct outset *o, char *path, char *data, size_t len, const char *node, bool once, bool yields)
{
	data = xreallocarray(data, len + 1, 1); /* give back what a growing buffer left over */
	struct output out = {path, data, len, node, hash_bytes(data, len), false, once, -1, 0, yields};
	push(o, out);
}

void
outset_add(struct outset *o, char *path, char *data, size_t len, const char *node)
{
	add(o, path, data, len, node, false, false);
}

void
outset_add_once(struct outset *o, char *path, char *data, size_t len, const char *node)
{
	add(o, path, data, len, node, true, false);
}

void
outset_add_yielding(struct outset *o, char *path, char *data, size_t len, const char *node)
{
	add(o, path, data, len, node, false, true);
}

void
outset_add_mapped(struct outset *o, char *path, char *data, size_t len, const char *node)
{
	struct output out = {path, data, len, node, hash_bytes(data, len), true, false, -1, 0, false};
	push(o, out);
}

void
ostream_begin(struct ostream *s, struct outset *o, char *path, const char *node)
{
	*s = (struct ostream){.o = o, .path = path, .node = node, .fd = -1};
	if (o->open_stream)
		s->fd = o->open_stream(o->arg, path);
	if (s->fd >= 0)
		hasher_init(&s->h); /* in memory, outset_add hashes the whole */
}

/* write out and hash what b holds */
static void
spill(struct ostream *s)
{
	hasher_bytes(&s->h, s->b.data, s->b.len);
	for (size_t off = 0; off < s->b.len && !s->err;) {
		ssize_t w = write(s->fd, s->b.data + off, s->b.len - off);
		if (w < 0 && errno != EINTR)
			s->err = errno;
		else if (w > 0)
			off += (size_t)w;
	}
	s->len += s->b.len;
	s->b.len = 0;
}

void
ostream_flush(struct ostream *s)
{
	if (s->fd >= 0 && s->b.len >= ((size_t)1 << 20))
		spill(s);
}

void
ostream_end(struct ostream *s)
{
	if (s->fd < 0) {
		size_t len = s->b.len;
		outset_add(s->o, s->path, buf_take(&s->b), len, s->node);
		return;
	}
	spill(s); /* the last piece, whatever its size */
	buf_free(&s->b);
	push(s->o, (struct output){s->path, NULL, s->len, s->node, hasher_done(&s->h), false, false, s->fd, s->err,
				   false});
}

static int
cmpout(const void *a, const void *b)
{
	return strcmp(((const struct output *)a)->path, ((const struct output *)b)->path);
}

static int
cmpoutp(const void *a, const void *b)
{
	return strcmp((*(const struct output *const *)a)->path, (*(const struct output *const *)b)->path);
}

const struct output **
outset_sorted(const struct outset *o)
{
	const struct output **v = xreallocarray(NULL, o->n + 1, sizeof(*v));
	for (size_t i = 0; i < o->n; i++)
		v[i] = &o->v[i];
	qsort(v, o->n, sizeof(*v), cmpoutp);
	return v;
}

void
outset_sort(struct outset *o)
{
	if (o->n > 1)
		qsort(o->v, o->n, sizeof(*o->v), cmpout);
}

void
outset_free(struct outset *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].path);
		if (o->v[i].mapped)
			munmap(o->v[i].data, o->v[i].len);
		else
			free(o->v[i].data);
		if (o->v[i].fd >= 0)
			close(o->v[i].fd);
	}
	free(o->v);
	strmap_free(&o->early);
	*o = (struct outset){0};
}

static int
sink(void *data, unsigned char *p, size_t n)
{
	buf_put(data, p, n);
	return 1;
}

static void
emit(struct yw *w, yaml_event_t *ev)
{
	if (w->failed || !yaml_emitter_emit(&w->e, ev))
		w->failed = true;
}

void
yw_begin(struct yw *w, const char *header)
{
	*w = (struct yw){0};
	if (header)
		buf_printf(&w->out, "# %s\n", header);
	yaml_emitter_initialize(&w->e);
	yaml_emitter_set_output(&w->e, sink, &w->out);
	yaml_emitter_set_unicode(&w->e, 1);
	yaml_emitter_set_width(&w->e, -1); /* never fold long strings */
	yaml_emitter_set_indent(&w->e, 2);
	yaml_event_t ev;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit(w, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit(w, &ev);
}

void
yw_map(struct yw *w)
{
	yaml_event_t ev;
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	emit(w, &ev);
}

void
yw_endmap(struct yw *w)
{
	yaml_event_t ev;
	yaml_mapping_end_event_initialize(&ev);
	emit(w, &ev);
}

static void
seq(struct yw *w, yaml_sequence_style_t style)
{
	yaml_event_t ev;
	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, style);
	emit(w, &ev);
}

void
yw_seq(struct yw *w)
{
	seq(w, YAML_BLOCK_SEQUENCE_STYLE);
}

void
yw_flowseq(struct yw *w)
{
	seq(w, YAML_FLOW_SEQUENCE_STYLE);
}

void
yw_endseq(struct yw *w)
{
	yaml_event_t ev;
	yaml_sequence_end_event_initialize(&ev);
	emit(w, &ev);
}

static void
scalar(struct yw *w, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1, style);
	emit(w, &ev);
}

/* Would a YAML 1.1 or 1.2 reader resolve this plain scalar to something
 * other than a string? dbt reads YAML with PyYAML (1.1): yes/no/on/off are
 * booleans there. */
static bool
ambiguous(const char *s)
{
	static const char *const words[] = {
		"", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
		"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
		"y", "Y", "n", "N", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "-.inf", "+.inf",
	};
	if (strlen(s) <= 5) /* the longest word */
		for (size_t i = 0; i < LEN(words); i++)
			if (strcmp(s, words[i]) == 0)
				return true;
	/* anything that starts like a number, a date or a sexagesimal */
	const char *p = s;
	if (*p == '+' || *p == '-' || *p == '.')
		p++;
	return *p >= '0' && *p <= '9';
}

void
yw_str(struct yw *w, const char *s)
{
	/* double quotes read better than doubled single quotes for Jinja */
	scalar(w, s, strchr(s, '\'') && !strchr(s, '\n') ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
		     : ambiguous(s)		  ? YAML_SINGLE_QUOTED_SCALAR_STYLE
		     : strchr(s, '\n')		  ? YAML_LITERAL_SCALAR_STYLE
						  : YAML_ANY_SCALAR_STYLE);
}

void
yw_literal(struct yw *w, const char *s)
{
	scalar(w, s, YAML_PLAIN_SCALAR_STYLE);
}

void
yw_int(struct yw *w, long long v)
{
	char s[32];
	snprintf(s, sizeof(s), "%lld", v);
	yw_literal(w, s);
}

void
yw_bool(struct yw *w, bool v)
{
	yw_literal(w, v ? "true" : "false");
}

void
yw_null(struct yw *w)
{
	yw_literal(w, "null");
}

void
yw_kv(struct yw *w, const char *key, const char *val)
{
	if (!val)
		return;
	yw_str(w, key);
	yw_str(w, val);
}

/* a plain number as YAML 1.2 and PyYAML's 1.1 both read it */
static bool
plainfloat(const char *s)
{
	char *end;
	if (!*s || strchr(s, '_') || strchr(s, ':'))
		return false;
	(void)strtod(s, &end);
	return *end == '\0' && strchr(s, '.') && (s[0] != '0' || s[1] == '.');
}

void
yw_node(struct yw *w, const struct ynode *n)
{
	long long i;
	bool b;
	switch (n->kind) {
	case Y_SCALAR:
		/* keep the spec's own typing (YAML 1.2, as dpc reads it) in a form
		 * PyYAML (1.1, as dbt reads it) types the same way: 0123 is 123,
		 * not octal; yes and on stay strings */
		if (!n->plain)
			scalar(w, n->str, YAML_SINGLE_QUOTED_SCALAR_STYLE);
		else if (ynull(n))
			yw_null(w);
		else if (ybool(n, &b))
			yw_bool(w, b);
		else if (yint(n, &i))
			yw_int(w, i);
		else if (plainfloat(n->str))
			yw_literal(w, n->str);
		else
			yw_str(w, n->str);
		return;
	case Y_SEQ:
		yw_seq(w);
		for (size_t k = 0; k < n->n; k++)
			yw_node(w, n->items[k]);
		yw_endseq(w);
		return;
	case Y_MAP:
		yw_map(w);
		for (size_t k = 0; k < n->n; k++)
			yw_node(w, n->items[k]);
		yw_endmap(w);
		return;
	}
}

char *
yw_end(struct yw *w, size_t *len)
{
	yaml_event_t ev;
	yaml_document_end_event_initialize(&ev, 1);
	emit(w, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit(w, &ev);
	yaml_emitter_flush(&w->e);
	yaml_emitter_delete(&w->e);
	*len = w->out.len;
	return buf_take(&w->out);
}
