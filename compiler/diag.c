/* diag.c: recording and printing diagnostics (see diag.h). */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>

#include <cJSON.h>

#include "util.h"

int32_t
diag_file(struct diags *d, const char *path, char *text, size_t len)
{
	uintptr_t known = (uintptr_t)strmap_get(&d->index, path);
	if (known) {
		struct srcfile *f = &d->files[known - 1];
		if (!f->text && text) {
			f->text = text;
			f->len = len;
			if (!f->hashed)
				f->hash = hash_bytes(text, len), f->hashed = true;
		} else {
			free(text);
		}
		return (int32_t)(known - 1);
	}
	VEC_PUSH(d->files, d->nfiles, d->capfiles);
	d->files[d->nfiles] = (struct srcfile){.path = xstrdup(path), .text = text, .len = len};
	if (text)
		d->files[d->nfiles].hash = hash_bytes(text, len), d->files[d->nfiles].hashed = true;
	strmap_put(&d->index, d->files[d->nfiles].path, (void *)(uintptr_t)(d->nfiles + 1));
	return (int32_t)d->nfiles++;
}

static char *
vfmt(const char *fmt, va_list ap)
{
	struct buf b = {0};
	buf_vprintf(&b, fmt, ap);
	return buf_take(&b);
}

struct diag *
diag_add(struct diags *d, enum severity sev, struct loc loc, const char *fmt, ...)
{
	if (sev == SEV_ERROR)
		d->nerrors++;
	else if (sev == SEV_WARNING)
		d->nwarnings++;
	VEC_PUSH(d->v, d->n, d->cap);
	struct diag *g = &d->v[d->n++];
	va_list ap;
	va_start(ap, fmt);
	*g = (struct diag){sev, loc, vfmt(fmt, ap), NULL, NOLOC, NULL};
	va_end(ap);
	if (g->loc.file >= 0 && g->loc.len == 0)
		g->loc.len = 1;
	return g;
}

void
diag_hint(struct diag *g, const char *candidate)
{
	if (!g->msg || !candidate)
		return;
	free(g->hint);
	g->hint = xstrdup(candidate);
}

void
diag_note(struct diag *g, struct loc loc, const char *fmt, ...)
{
	if (!g->msg)
		return;
	va_list ap;
	va_start(ap, fmt);
	free(g->note);
	g->note = vfmt(fmt, ap);
	va_end(ap);
	g->note_loc = loc;
}

struct loc
diag_subloc(const struct diags *d, struct loc whole, const char *value, size_t off, size_t len)
{
	size_t n = strlen(value);
	if (whole.file < 0 || (size_t)whole.file >= d->nfiles || off > n || strchr(value, '\n'))
		return whole;
	const struct srcfile *f = &d->files[whole.file];
	size_t end = (size_t)whole.off + whole.len;
	if (!f->text || end > f->len || n > whole.len)
		return whole;
	/* the first match inside the span: quotes before it, none inside */
	for (size_t i = whole.off; i + n <= end; i++)
		if (memcmp(f->text + i, value, n) == 0) {
			if (off + len > n)
				len = n - off;
			return (struct loc){whole.file, (uint32_t)(i + off), (uint32_t)(len ? len : 1)};
		}
	return whole;
}

static struct srcfile *
loadfile(struct diags *d, int32_t idx)
{
	if (idx < 0 || (size_t)idx >= d->nfiles)
		return NULL;
	struct srcfile *f = &d->files[idx];
	if (!f->text) {
		char *path = d->root ? xasprintf("%s/%s", d->root, f->path) : xstrdup(f->path);
		if (read_file(path, (size_t)1 << 30, &f->text, &f->len) != 0) {
			f->text = NULL;
			f->len = 0;
		}
		free(path);
		if (!f->text)
			return f;
	}
	if (!f->lines) {
		size_t n = 1;
		for (size_t i = 0; i < f->len; i++)
			n += f->text[i] == '\n';
		f->lines = xreallocarray(NULL, n, sizeof(*f->lines));
		f->lines[0] = 0;
		f->nlines = 1;
		for (size_t i = 0; i < f->len; i++)
			if (f->text[i] == '\n')
				f->lines[f->nlines++] = (uint32_t)(i + 1);
	}
	return f;
}

/* index of the line holding off: binary search over line starts */
static size_t
lineof(const struct srcfile *f, uint32_t off)
{
	size_t lo = 0, hi = f->nlines;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

bool
diag_linecol(struct diags *d, struct loc loc, unsigned *line, unsigned *col)
{
	struct srcfile *f = loadfile(d, loc.file);
	if (!f || !f->text)
		return false;
	uint32_t off = loc.off > f->len ? (uint32_t)f->len : loc.off;
	size_t l = lineof(f, off);
	*line = (unsigned)l + 1;
	/* columns count characters, not bytes: skip UTF-8 continuation bytes */
	unsigned c = 1;
	for (uint32_t i = f->lines[l]; i < off; i++)
		if (((unsigned char)f->text[i] & 0xC0) != 0x80)
			c++;
	*col = c;
	return true;
}

static int
cmpdiag(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;
	if (a->loc.file != b->loc.file)
		return a->loc.file < b->loc.file ? -1 : 1;
	if (a->loc.off != b->loc.off)
		return a->loc.off < b->loc.off ? -1 : 1;
	if (a->sev != b->sev)
		return a->sev > b->sev ? -1 : 1;
	return strcmp(a->msg, b->msg);
}

void
diag_sort(struct diags *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), cmpdiag);
}

static const char *const sevname[] = {"note", "warning", "error"};
static const char *const sevcolor[] = {"\033[1;36m", "\033[1;35m", "\033[1;31m"};

/* print one located message with its source line and a caret under the span */
static void
printone(struct diags *d, FILE *out, bool color, enum severity sev, struct loc loc,
	 const char *msg, const char *hint)
{
	unsigned line, col;
	bool placed = diag_linecol(d, loc, &line, &col);
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	if (placed)
		fprintf(out, "%s%s:%u:%u: %s", bold, d->files[loc.file].path, line, col, reset);
	else if (loc.file >= 0 && (size_t)loc.file < d->nfiles)
		fprintf(out, "%s%s: %s", bold, d->files[loc.file].path, reset);
	else
		fprintf(out, "%sdpc: %s", bold, reset);
	fprintf(out, "%s%s:%s %s", color ? sevcolor[sev] : "", sevname[sev], reset, msg);
	if (hint)
		fprintf(out, "; did you mean '%s'?", hint);
	fputc('\n', out);
	if (!placed)
		return;
	struct srcfile *f = &d->files[loc.file];
	size_t l = lineof(f, loc.off > f->len ? (uint32_t)f->len : loc.off);
	const char *s = f->text + f->lines[l];
	const char *e = memchr(s, '\n', f->len - f->lines[l]);
	size_t n = e ? (size_t)(e - s) : f->len - f->lines[l];
	if (n && s[n - 1] == '\r')
		n--;
	if (n > 240)
		return; /* a caret under a minified line helps nobody */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return; /* binary: do not echo control bytes */
	fprintf(out, "%5u | %.*s\n      | ", line, (int)n, s);
	for (unsigned i = 1; i < col; i++)
		fputc(s[i - 1] == '\t' ? '\t' : ' ', out);
	fputs(color ? sevcolor[sev] : "", out);
	fputc('^', out);
	size_t span = loc.len;
	size_t rest = n > (size_t)(col - 1) ? n - (col - 1) : 0;
	for (size_t i = 1; i < span && i < rest; i++)
		fputc('~', out);
	fprintf(out, "%s\n", reset);
}

void
diag_print(struct diags *d, FILE *out, bool color, size_t limit)
{
	for (size_t i = 0; i < d->n; i++) {
		if (limit && i == limit) {
			fprintf(out, "dpc: %zu more diagnostics not shown\n", d->n - limit);
			break;
		}
		struct diag *g = &d->v[i];
		printone(d, out, color, g->sev, g->loc, g->msg, g->hint);
		if (g->note)
			printone(d, out, color, SEV_NOTE, g->note_loc, g->note, NULL);
	}
}

static cJSON *
locjson(struct diags *d, struct loc loc)
{
	cJSON *o = cJSON_CreateObject();
	unsigned line, col;
	if (loc.file >= 0 && (size_t)loc.file < d->nfiles)
		cJSON_AddStringToObject(o, "file", d->files[loc.file].path);
	if (diag_linecol(d, loc, &line, &col)) {
		cJSON_AddNumberToObject(o, "line", line);
		cJSON_AddNumberToObject(o, "column", col);
	}
	return o;
}

cJSON *
diag_json(struct diags *d)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < d->n; i++) {
		struct diag *g = &d->v[i];
		cJSON *o = locjson(d, g->loc);
		cJSON_AddStringToObject(o, "severity", sevname[g->sev]);
		cJSON_AddStringToObject(o, "message", g->msg);
		if (g->hint)
			cJSON_AddStringToObject(o, "did_you_mean", g->hint);
		if (g->note) {
			cJSON *n = locjson(d, g->note_loc);
			cJSON_AddStringToObject(n, "message", g->note);
			cJSON_AddItemToObject(o, "note", n);
		}
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

void
diag_release_texts(struct diags *d)
{
	diag_release_range(d, 0, d->nfiles);
}

void
diag_release_range(struct diags *d, size_t from, size_t to)
{
	for (size_t i = from; i < to && i < d->nfiles; i++) {
		free(d->files[i].text);
		free(d->files[i].lines);
		d->files[i].text = NULL;
		d->files[i].lines = NULL;
		d->files[i].len = d->files[i].nlines = 0;
	}
#ifdef __GLIBC__
	malloc_trim(0); /* thousands of small texts: hand their pages back */
#endif
}

void
diag_release_file(struct diags *d, const char *path)
{
	uintptr_t i = (uintptr_t)strmap_get(&d->index, path);
	if (!i)
		return;
	struct srcfile *f = &d->files[i - 1];
	free(f->text);
	free(f->lines);
	f->text = NULL;
	f->lines = NULL;
	f->len = f->nlines = 0;
}

void
diag_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].msg);
		free(d->v[i].hint);
		free(d->v[i].note);
	}
	for (size_t i = 0; i < d->nfiles; i++) {
		free(d->files[i].path);
		free(d->files[i].text);
		free(d->files[i].lines);
	}
	free(d->v);
	free(d->files);
	strmap_free(&d->index);
	*d = (struct diags){0};
}
