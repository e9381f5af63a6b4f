/* util.h: allocation, arenas, growable buffers, string maps, hashing and
 * small file helpers shared by every phase.
 *
 * Ownership: x-allocators return memory owned by the caller (free it);
 * arena_* memory is owned by the arena and freed all at once by arena_free.
 * The x-allocators abort on out-of-memory: there is no sensible recovery for
 * a compiler, and a NULL check at every call site would hide real bugs. */
#ifndef DPC_UTIL_H
#define DPC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* allocate or abort on exhaustion; owned by the caller */
void *xmalloc(size_t n);
/* zeroed array allocation with an overflow check; owned by the caller */
void *xcalloc(size_t n, size_t size);
/* resize an array of n elements of size bytes, checking n * size for overflow */
void *xreallocarray(void *p, size_t n, size_t size);
/* duplicate a string; owned by the caller */
char *xstrdup(const char *s);
/* duplicate n bytes of s and add a terminating NUL; owned by the caller */
char *xstrndup(const char *s, size_t n);
/* printf into a new string; owned by the caller */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* grow a vector (v, n, cap) so that one more element fits */
#define VEC_PUSH(v, n, cap)                                                  \
	do {                                                                 \
		if ((n) == (cap)) {                                          \
			(cap) = (cap) ? (cap) * 2 : 8;                       \
			(v) = xreallocarray((v), (cap), sizeof(*(v)));       \
		}                                                            \
	} while (0)

/* A bump allocator: one per compilation, freed at once. */
struct arena {
	struct arena_block *head;
};

/* allocate n zeroed bytes, aligned for any type; owned by the arena */
void *arena_alloc(struct arena *a, size_t n);
/* allocate an array of n zeroed elements with an overflow check */
void *arena_array(struct arena *a, size_t n, size_t size);
/* copy a string into the arena */
char *arena_strdup(struct arena *a, const char *s);
/* copy n bytes into the arena and add a NUL */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* printf into the arena */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* free every block of the arena; the arena may be reused afterwards */
void arena_free(struct arena *a);

/* A growable byte buffer, always NUL-terminated once anything was put. */
struct buf {
	char *data;
	size_t len, cap;
};

/* make room for n more bytes (and the NUL kept after them) */
void buf_reserve(struct buf *b, size_t n);
void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* s as a single-quoted SQL string literal, quotes doubled */
void buf_sqlstr(struct buf *b, const char *s);
/* s as a quoted SQL identifier: "s", with " doubled */
void buf_sqlident(struct buf *b, const char *s);
/* free the buffer's memory and reset it to empty */
void buf_free(struct buf *b);
/* take ownership of the bytes (never NULL); the buffer is reset */
char *buf_take(struct buf *b);

/* A string-keyed hash map of borrowed keys to borrowed values. */
struct strmap {
	struct strmap_slot *slots;
	size_t n, cap;
};

/* look a key up; returns NULL if it is absent */
void *strmap_get(const struct strmap *m, const char *key);
/* insert or replace; key must outlive the map; returns the previous value or NULL */
void *strmap_put(struct strmap *m, const char *key, void *val);
void strmap_free(struct strmap *m);

/* 128-bit content hash (xxh3-128) */
struct hash {
	uint64_t hi, lo;
};

struct hash hash_bytes(const void *p, size_t n);
bool hash_eq(struct hash a, struct hash b);
/* 32 lowercase hex digits and a NUL into out */
void hash_hex(struct hash h, char out[33]);
/* parse 32 hex digits; returns false if s is not one */
bool hash_parse(const char *s, struct hash *h);

/* Incremental hashing of several fields; each field is length-prefixed so
 * that ("ab","c") and ("a","bc") differ. */
struct hasher {
	void *state;
};
void hasher_init(struct hasher *h);
void hasher_add(struct hasher *h, const void *p, size_t n);
/* the bytes as they are, unframed: the digest of pieces added this way is
 * hash_bytes of their concatenation */
void hasher_bytes(struct hasher *h, const void *p, size_t n);
void hasher_str(struct hasher *h, const char *s); /* NULL hashes differently from "" */
struct hash hasher_done(struct hasher *h);         /* also frees the state */

/* write all n bytes to fd; 0, or -1 with errno */
int writeall(int fd, const char *p, size_t n);
/* Read a whole file into a NUL-terminated buffer owned by the caller.
 * Returns 0, or an errno value; files larger than max give EFBIG. */
int read_file(const char *path, size_t max, char **data, size_t *len);

/* true when s is a plain identifier: [A-Za-z_][A-Za-z0-9_]* */
bool is_ident(const char *s);

/* Damerau-Levenshtein distance, capped at cap + 1 */
size_t edit_distance(const char *a, const char *b, size_t cap);
/* the candidate closest to word, or NULL when none is close enough */
const char *did_you_mean(const char *word, const char *const *cands, size_t n);

/* compare for qsort over arrays of char * */
int cmp_str(const void *a, const void *b);

/* the number of folders in a relative path, "." parts not counted
 * ("data/dagster": 2, "./data": 1) */
size_t path_depth(const char *path);

/* open path (relative) beneath the directory rootfd, refusing to leave it
 * through "..", absolute symlinks or symlinks pointing outside (EXDEV).
 * Returns a file descriptor or -1 with errno set. */
int open_beneath(int rootfd, const char *path, int flags, unsigned mode);

/* read a file opened beneath rootfd; like read_file. stamp, when not NULL,
 * receives the file's size, mtime (ns) and inode as read. */
int read_beneath(int rootfd, const char *path, size_t max, char **data, size_t *len,
		 int64_t stamp[3]);

/* Files given in memory instead of on disk: what an edit would write,
 * compiled before it is (specedit.h). Paths are relative to the project;
 * texts are borrowed. */
struct overlay {
	const char *path;
	const char *text;
	size_t len;
};
struct overlays {
	const struct overlay *v;
	size_t n;
};
/* the file of ov (which may be NULL) at path, "./" parts and doubled
 * slashes aside; NULL when ov has none */
const struct overlay *overlay_find(const struct overlays *ov, const char *path);

#endif
