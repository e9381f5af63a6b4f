/* util.c: the small pieces every phase uses (see util.h). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static void
oom(void)
{
	fputs("dpc: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom();
	size_t bytes = n * size;
	p = realloc(p, bytes ? bytes : 1);
	if (!p)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_take(&b);
}

/* Arena blocks are at least 64 KiB; bigger requests get a block of their own. */
struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

#define ARENA_BLOCK (64 * 1024)

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t align = sizeof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	if (!b || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		b = xmalloc(sizeof(*b) + cap);
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

void *
arena_array(struct arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom();
	return arena_alloc(a, n * size);
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	char *p = arena_strndup(a, b.data ? b.data : "", b.len);
	buf_free(&b);
	return p;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

void
buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->data = xreallocarray(b->data, cap, 1);
	b->cap = cap;
}

void
buf_put(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* s between two q, each q in it doubled: SQL's quoting of both kinds */
static void
sqlquote(struct buf *b, const char *s, char q)
{
	buf_putc(b, q);
	for (; *s; s++) {
		if (*s == q)
			buf_putc(b, q);
		buf_putc(b, *s);
	}
	buf_putc(b, q);
}

void
buf_sqlstr(struct buf *b, const char *s)
{
	sqlquote(b, s, '\'');
}

void
buf_sqlident(struct buf *b, const char *s)
{
	sqlquote(b, s, '"');
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
buf_take(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

/* Open addressing with linear probing; the table is kept at most half full. */
struct strmap_slot {
	const char *key;
	void *val;
	uint64_t h;
};

static uint64_t
strhash(const char *s)
{
	return XXH3_64bits(s, strlen(s));
}

static void
strmap_grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	struct strmap_slot *slots = xcalloc(cap, sizeof(*slots));
	for (size_t i = 0; i < m->cap; i++) {
		struct strmap_slot *s = &m->slots[i];
		if (!s->key)
			continue;
		size_t j = s->h & (cap - 1);
		while (slots[j].key)
			j = (j + 1) & (cap - 1);
		slots[j] = *s;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	uint64_t h = strhash(key);
	for (size_t j = h & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
		struct strmap_slot *s = &m->slots[j];
		if (!s->key)
			return NULL;
		if (s->h == h && strcmp(s->key, key) == 0)
			return s->val;
	}
}

void *
strmap_put(struct strmap *m, const char *key, void *val)
{
	if (2 * (m->n + 1) > m->cap)
		strmap_grow(m);
	uint64_t h = strhash(key);
	for (size_t j = h & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
		struct strmap_slot *s = &m->slots[j];
		if (!s->key) {
			s->key = key;
			s->val = val;
			s->h = h;
			m->n++;
			return NULL;
		}
		if (s->h == h && strcmp(s->key, key) == 0) {
			void *old = s->val;
			s->val = val;
			return old;
		}
	}
}

void
strmap_free(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->n = m->cap = 0;
}

struct hash
hash_bytes(const void *p, size_t n)
{
	XXH128_hash_t x = XXH3_128bits(p, n);
	return (struct hash){x.high64, x.low64};
}

bool
hash_eq(struct hash a, struct hash b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

void
hash_hex(struct hash h, char out[33])
{
	static const char digits[] = "0123456789abcdef";
	uint64_t v[2] = {h.hi, h.lo};
	for (int i = 0; i < 32; i++)
		out[i] = digits[(v[i / 16] >> (60 - 4 * (i % 16))) & 15];
	out[32] = '\0';
}

bool
hash_parse(const char *s, struct hash *h)
{
	uint64_t v[2] = {0, 0};
	for (int i = 0; i < 32; i++) {
		int c = s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return false;
		v[i / 16] = v[i / 16] << 4 | (uint64_t)d;
	}
	if (s[32])
		return false;
	h->hi = v[0];
	h->lo = v[1];
	return true;
}

void
hasher_init(struct hasher *h)
{
	h->state = XXH3_createState();
	if (!h->state)
		oom();
	XXH3_128bits_reset(h->state);
}

void
hasher_add(struct hasher *h, const void *p, size_t n)
{
	uint64_t len = n;
	XXH3_128bits_update(h->state, &len, sizeof(len));
	XXH3_128bits_update(h->state, p, n);
}

void
hasher_bytes(struct hasher *h, const void *p, size_t n)
{
	XXH3_128bits_update(h->state, p, n);
}

void
hasher_str(struct hasher *h, const char *s)
{
	if (s) {
		hasher_add(h, s, strlen(s));
	} else {
		uint64_t none = UINT64_MAX;
		XXH3_128bits_update(h->state, &none, sizeof(none));
	}
}

struct hash
hasher_done(struct hasher *h)
{
	XXH128_hash_t x = XXH3_128bits_digest(h->state);
	XXH3_freeState(h->state);
	h->state = NULL;
	return (struct hash){x.high64, x.low64};
}

static int
read_fd(int fd, size_t max, char **data, size_t *len, int64_t stamp[3])
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	}
	if (stamp) {
		stamp[0] = (int64_t)st.st_size;
		stamp[1] = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		stamp[2] = (int64_t)st.st_ino;
	}
	if ((uintmax_t)st.st_size > max) {
		close(fd);
		return EFBIG;
	}
	/* room for the size fstat gave, the NUL, and one byte more, so that the
	 * read that finds the end needs no bigger buffer: a file that grows
	 * meanwhile is still read whole */
	size_t cap = (size_t)st.st_size + 2, n = 0;
	char *p = xmalloc(cap);
	for (;;) {
		if (n + 1 == cap) {
			if (cap > max) {
				free(p);
				close(fd);
				return EFBIG;
			}
			cap *= 2;
			p = xreallocarray(p, cap, 1);
		}
		ssize_t r = read(fd, p + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(p);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	p[n] = '\0';
	*data = p;
	*len = n;
	return 0;
}

int
writeall(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
read_file(const char *path, size_t max, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	return read_fd(fd, max, data, len, NULL);
}

size_t
path_depth(const char *path)
{
	size_t n = 0;
	for (const char *p = path; *p;) {
		size_t k = strcspn(p, "/");
		if (k && !(k == 1 && *p == '.'))
			n++;
		p += k;
		p += *p == '/';
	}
	return n;
}

int
open_beneath(int rootfd, const char *path, int flags, unsigned mode)
{
	/* openat2 lets the kernel enforce the rule in one call (Linux 5.6+) */
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_BENEATH};
	if (flags & O_CREAT)
		how.mode = mode;
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return (int)fd;
	/* an older kernel: refuse any symlink on the way instead */
	if (path[0] == '/' || strstr(path, "..")) {
		errno = EXDEV;
		return -1;
	}
	return openat(rootfd, path, flags | O_CLOEXEC | O_NOFOLLOW, mode);
}

int
read_beneath(int rootfd, const char *path, size_t max, char **data, size_t *len, int64_t stamp[3])
{
	int fd = open_beneath(rootfd, path, O_RDONLY, 0);
	if (fd < 0)
		return errno;
	return read_fd(fd, max, data, len, stamp);
}

/* compare two relative paths part by part, skipping "." parts and empty
 * ones ("./a//b" is "a/b") */
static bool
samepath(const char *a, const char *b)
{
	for (;;) {
		while (*a == '/' || (a[0] == '.' && (a[1] == '/' || !a[1])))
			a += *a == '/' ? 1 : 1 + (a[1] == '/');
		while (*b == '/' || (b[0] == '.' && (b[1] == '/' || !b[1])))
			b += *b == '/' ? 1 : 1 + (b[1] == '/');
		size_t n = strcspn(a, "/"), m = strcspn(b, "/");
		if (n != m || memcmp(a, b, n) != 0)
			return false;
		if (!n)
			return true;
		a += n;
		b += m;
	}
}

const struct overlay *
overlay_find(const struct overlays *ov, const char *path)
{
	for (size_t i = 0; ov && i < ov->n; i++)
		if (samepath(ov->v[i].path, path))
			return &ov->v[i];
	return NULL;
}

bool
is_ident(const char *s)
{
	if (!s || !(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
		return false;
	for (s++; *s; s++)
		if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

size_t
edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	/* three rows suffice for the optimal-string-alignment distance */
	size_t rows[3][65], *pp = rows[0], *p = rows[1], *c = rows[2];
	for (size_t j = 0; j <= lb; j++)
		p[j] = j;
	for (size_t i = 1; i <= la; i++) {
		c[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (p[j - 1] + cost < v)
				v = p[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
		}
		size_t *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	return p[lb] > cap ? cap + 1 : p[lb];
}

const char *
did_you_mean(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word);
	size_t cap = len < 3 ? 0 : len < 4 ? 1 : len < 8 ? 2 : 3; /* no guesses for one or two letters */
	const char *best = NULL;
	size_t bestd = cap + 1;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, cands[i], cap);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return best;
}

int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
