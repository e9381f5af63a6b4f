/* diff.c: Myers' O(ND) difference algorithm over lines, printed as a
 * unified diff (see diff.h). */
#include "diff.h"

#include <stdlib.h>
#include <string.h>

#define MAXD 2000 /* beyond this many edits, summarise instead */

struct line {
	const char *s;
	size_t n;
	uint64_t h;
};

static struct line *
split(const char *t, size_t len, size_t *count)
{
	size_t cap = 16, n = 0;
	struct line *v = xreallocarray(NULL, cap, sizeof(*v));
	for (size_t i = 0; i < len;) {
		const char *e = memchr(t + i, '\n', len - i);
		size_t l = e ? (size_t)(e - (t + i)) + 1 : len - i;
		VEC_PUSH(v, n, cap);
		struct hash h = hash_bytes(t + i, l);
		v[n++] = (struct line){t + i, l, h.lo};
		i += l;
	}
	*count = n;
	return v;
}

static bool
same(const struct line *a, const struct line *b)
{
	return a->h == b->h && a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

enum op { KEEP, DEL, INS };

static void
putline(struct buf *out, char mark, const struct line *l)
{
	buf_putc(out, mark);
	buf_put(out, l->s, l->n);
	if (!l->n || l->s[l->n - 1] != '\n')
		buf_puts(out, "\n\\ No newline at end of file\n");
}

void
diff_unified(struct buf *out, const char *la, const char *a, size_t alen, const char *lb,
	     const char *b, size_t blen)
{
	size_t n, m;
	struct line *x = split(a, alen, &n), *y = split(b, blen, &m);
	long max = (long)(n + m), off = max + 1;
	long dmax = max < MAXD ? max : MAXD;
	/* the V array of every round, to walk the path back afterwards */
	long *v = xcalloc((size_t)(2 * max + 3), sizeof(long));
	long **trace = xcalloc((size_t)dmax + 1, sizeof(long *));
	long d, found = -1;
	for (d = 0; d <= dmax && found < 0; d++) {
		/* round d reads only diagonals -d..d: keep just those */
		trace[d] = xreallocarray(NULL, (size_t)(2 * d + 1), sizeof(long));
		memcpy(trace[d], v + off - d, (size_t)(2 * d + 1) * sizeof(long));
		for (long k = -d; k <= d; k += 2) {
			long px = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
											   : v[off + k - 1] + 1;
			long py = px - k;
			while (px < (long)n && py < (long)m && same(&x[px], &y[py]))
				px++, py++;
			v[off + k] = px;
			if (px >= (long)n && py >= (long)m) {
				found = d;
				break;
			}
		}
	}
	buf_printf(out, "--- %s\n+++ %s\n", la, lb);
	if (found < 0) {
		buf_printf(out, "@@ files differ in more than %d lines; not shown @@\n", MAXD);
		goto done;
	}
	/* walk back from (n, m) to (0, 0) collecting operations in reverse */
	size_t nops = 0;
	enum op *ops = xreallocarray(NULL, n + m + 1, sizeof(*ops));
	long px = (long)n, py = (long)m;
	for (d = found; d > 0; d--) {
		long *pv = trace[d] + d; /* V as it was when round d began, indexed by k */
		long k = px - py;
		long pk = (k == -d || (k != d && pv[k - 1] < pv[k + 1])) ? k + 1 : k - 1;
		long sx = pv[pk], sy = sx - pk;
		while (px > sx && py > sy + (pk == k + 1))
			ops[nops++] = KEEP, px--, py--;
		if (pk == k + 1)
			ops[nops++] = INS, py--;
		else
			ops[nops++] = DEL, px--;
	}
	while (px > 0 && py > 0)
		ops[nops++] = KEEP, px--, py--;
	for (size_t i = 0; i < nops / 2; i++) {
		enum op t = ops[i];
		ops[i] = ops[nops - 1 - i];
		ops[nops - 1 - i] = t;
	}
	/* hunks: changes closer than 7 unchanged lines share one, with 3 lines
	 * of context on each side */
	size_t i = 0, ai = 0, bi = 0;
	while (i < nops) {
		if (ops[i] == KEEP) {
			i++, ai++, bi++;
			continue;
		}
		size_t last = i; /* the last change of this hunk */
		for (size_t j = i + 1; j < nops && j <= last + 7; j++)
			if (ops[j] != KEEP)
				last = j;
		size_t ctx = ai < 3 ? ai : 3;
		size_t hs = i - ctx, he = last + 1 + 3 < nops ? last + 1 + 3 : nops;
		size_t ha = ai - ctx, hb = bi - ctx, ca = 0, cb = 0;
		for (size_t j = hs; j < he; j++) {
			ca += ops[j] != INS;
			cb += ops[j] != DEL;
		}
		buf_printf(out, "@@ -%zu,%zu +%zu,%zu @@\n", ca ? ha + 1 : ha, ca, cb ? hb + 1 : hb, cb);
		size_t xa = ha, yb = hb;
		for (size_t j = hs; j < he; j++) {
			if (ops[j] == KEEP)
				putline(out, ' ', &x[xa++]), yb++;
			else if (ops[j] == DEL)
				putline(out, '-', &x[xa++]);
			else
				putline(out, '+', &y[yb++]);
		}
		ai = xa, bi = yb, i = he;
	}
	free(ops);
done:
	for (long j = 0; j <= dmax; j++)
		free(trace[j]);
	free(trace);
	free(v);
	free(x);
	free(y);
}
