/* csv.c: reading seed CSV files (see csv.h). One pass over a copy of the
 * bytes: quotes are removed and "" unescaped in place, since a field never
 * grows, and each field is NUL-terminated where its delimiter was. */
#include "csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct parser {
	const char *in;
	size_t len, p;  /* input and read position */
	char *buf;
	size_t w;       /* write position in buf */
	unsigned line;  /* of p, from 1 */
	char delim;
};

/* the end of a line at p: \n or \r\n; 0 when there is none, else its length */
static size_t
eol(const struct parser *r)
{
	if (r->p < r->len && r->in[r->p] == '\n')
		return 1;
	if (r->p + 1 < r->len && r->in[r->p] == '\r' && r->in[r->p + 1] == '\n')
		return 2;
	if (r->p + 1 == r->len && r->in[r->p] == '\r')
		return 1;
	return 0;
}

/* one field at p into buf; *null when it is empty and unquoted. Returns 0,
 * or -1 with *err */
static int
field(struct parser *r, size_t *start, bool *null, char **err)
{
	*start = r->w;
	*null = false;
	if (r->p < r->len && r->in[r->p] == '"') {
		unsigned opened = r->line;
		r->p++;
		for (;;) {
			if (r->p >= r->len) {
				*err = xasprintf("line %u: a quoted field is never closed", opened);
				return -1;
			}
			char c = r->in[r->p];
			if (c == '"') {
				if (r->p + 1 < r->len && r->in[r->p + 1] == '"') {
					r->buf[r->w++] = '"';
					r->p += 2;
					continue;
				}
				r->p++;
				break;
			}
			if (c == '\n')
				r->line++;
			r->buf[r->w++] = c;
			r->p++;
		}
		if (r->p < r->len && r->in[r->p] != r->delim && !eol(r)) {
			*err = xasprintf("line %u: characters after a closing quote (a quote inside a quoted field is written \"\")",
					 r->line);
			return -1;
		}
	} else {
		while (r->p < r->len && r->in[r->p] != r->delim && !eol(r))
			r->buf[r->w++] = r->in[r->p++];
		*null = r->w == *start;
	}
	r->buf[r->w++] = '\0';
	return 0;
}

int
csv_parse(const char *text, size_t len, char delim, struct csv *out, char **err)
{
	*out = (struct csv){0};
	*err = NULL;
	struct parser r = {.in = text, .len = len, .line = 1, .delim = delim};
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r.p = 3;
	/* every field ends in a NUL where a delimiter or line end was, but the
	 * last one may have none */
	r.buf = out->buf = xmalloc(len + 2);
	size_t *offs = NULL, noffs = 0, cap = 0; /* field start, or SIZE_MAX for NULL */
	size_t ncols = 0, nrows = 0;
	while (r.p < r.len) {
		size_t e = eol(&r);
		if (e) { /* a line with nothing on it */
			r.p += e;
			r.line++;
			continue;
		}
		unsigned line = r.line;
		size_t nf = 0;
		for (;;) {
			size_t start;
			bool null;
			if (field(&r, &start, &null, err) != 0)
				goto fail;
			VEC_PUSH(offs, noffs, cap);
			offs[noffs++] = null ? SIZE_MAX : start;
			nf++;
			if (r.p < r.len && r.in[r.p] == delim) {
				r.p++;
				continue;
			}
			if ((e = eol(&r))) {
				r.p += e;
				r.line++;
			}
			break;
		}
		if (nrows == 0 && ncols == 0) {
			ncols = nf;
		} else if (nf != ncols) {
			*err = xasprintf("line %u: %zu field%s, but the header names %zu column%s", line, nf,
					 nf == 1 ? "" : "s", ncols, ncols == 1 ? "" : "s");
			goto fail;
		} else {
			nrows++;
		}
	}
	if (ncols == 0) {
		*err = xstrdup("the file is empty; its first line names the columns");
		goto fail;
	}
	out->ncols = ncols;
	out->nrows = nrows;
	out->head = xcalloc(ncols, sizeof(*out->head));
	out->cells = xcalloc(nrows * ncols + 1, sizeof(*out->cells));
	for (size_t i = 0; i < noffs; i++) {
		struct csv_field *f = i < ncols ? &out->head[i] : &out->cells[i - ncols];
		if (offs[i] != SIZE_MAX) {
			f->s = r.buf + offs[i];
			f->len = strlen(f->s);
		}
	}
	for (size_t i = 0; i < ncols; i++) {
		if (!out->head[i].s) {
			*err = xasprintf("column %zu of the header has no name", i + 1);
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(out->head[i].s, out->head[j].s) == 0) {
				*err = xasprintf("the header names column '%s' twice", out->head[i].s);
				goto fail;
			}
	}
	free(offs);
	return 0;
fail:
	free(offs);
	return -1;
}

void
csv_free(struct csv *c)
{
	free(c->head);
	free(c->cells);
	free(c->buf);
	*c = (struct csv){0};
}

static bool
digits(const char *s, size_t *n)
{
	size_t i = 0;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	*n = i;
	return i > 0;
}

/* a whole number that fits in 64 bits and keeps its text when read back */
static bool
isint(const char *s)
{
	if (*s == '-')
		s++;
	size_t n;
	if (!digits(s, &n) || s[n] || n > 18)
		return false;
	return n == 1 || s[0] != '0';
}

/* [-]digits[.digits][e[+-]digits], or .digits */
static bool
isreal(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	size_t a = 0, b = 0, n;
	if (digits(s, &n)) {
		if (n > 1 && s[0] == '0')
			return false; /* a code such as 007.5 */
		a = n, s += n;
	}
	if (*s == '.') {
		s++;
		if (digits(s, &n))
			b = n, s += n;
	}
	if (a + b == 0 || a + b > 15)
		return false; /* more digits than a double keeps: text keeps them all */
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!digits(s, &n))
			return false;
		s += n;
	}
	return *s == '\0';
}

const char *
csv_infer(const struct csv *c, size_t col)
{
	bool ints = true, reals = true, any = false;
	for (size_t i = 0; i < c->nrows && (ints || reals); i++) {
		const char *s = c->cells[i * c->ncols + col].s;
		if (!s)
			continue;
		any = true;
		if (ints && !isint(s))
			ints = false;
		if (!ints && reals && !isreal(s))
			reals = false;
	}
	return !any ? "TEXT" : ints ? "INTEGER" : reals ? "REAL" : "TEXT";
}
