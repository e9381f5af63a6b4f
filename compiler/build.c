/* build.c: plan and apply (see build.h).
 *
 * A file dpc wants is SAME (bytes equal), ADD (missing), UPDATE (differs,
 * and what is there is what dpc last wrote) or DRIFT (differs, and what is
 * there is not dpc's: a hand edit, or a user file in the way). A file dpc
 * wrote before and wants no more is DELETE, or DRIFT if it was edited. An
 * output that yields (AGENTS.md) gets no step at all when the file at its
 * path lacks dpc's header: that file is the user's (plan.yielded names it).
 * "What dpc last wrote" comes from the state DB, or from the outputs list
 * of the registry.json on disk when there is no DB.
 *
 * The DB records the pending hashes before any name changes and the final
 * ones after. A new file is written unnamed (O_TMPFILE) in its folder and
 * linked in; a changed one is written to .dpc/tmp and renamed over the old.
 * Each batch of files is synced once with syncfs before it is named, so a
 * build killed at any instant leaves every file old or new, and the next
 * build recognises both. The first build of a project goes another way
 * (fresh.c), with the helpers below. */
#define _GNU_SOURCE /* syncfs */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

const char *
action_name(enum action a)
{
	static const char *const names[] = {"same", "add", "update", "delete", "drift"};
	return names[a];
}

static void
knownoutput(cJSON *o, void *arg)
{
	struct plan *p = arg;
	const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "path"));
	const char *oh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "hash"));
	struct hash h;
	if (!op || !oh || !hash_parse(oh, &h))
		return;
	struct hash *hp = arena_alloc(&p->arena, sizeof(*hp));
	*hp = h;
	const char *key = arena_strdup(&p->arena, op);
	if (strmap_put(&p->known, key, hp))
		return;
	VEC_PUSH(p->knownpaths, p->nknown, p->capknown);
	p->knownpaths[p->nknown++] = key;
}

/* the outputs list of the registry.json on disk: path → hash */
static void
loadregistry(struct plan *p, struct compilation *c)
{
	char *path = xasprintf("%s/registry.json", c->spec->layout_assets);
	char *text;
	size_t len;
	int e = read_beneath(c->rootfd, path, (size_t)256 << 20, &text, &len, NULL);
	if (e) {
		free(path);
		return;
	}
	/* the registry cannot carry a comment header; its generator field says whose it is */
	if (registry_each(text, len, "outputs", knownoutput, p))
		p->registry = arena_strdup(&p->arena, path);
	free(path);
	free(text);
}

struct step *
plan_add(struct plan *p, enum action act, const char *path, const char *node, char *reason)
{
	VEC_PUSH(p->v, p->n, p->cap);
	struct step *s = &p->v[p->n++];
	*s = (struct step){.act = act, .path = path, .node = node, .reason = reason};
	p->count[act]++;
	return s;
}

/* is h what dpc wrote at path, by the DB or the old registry? */
static bool
ours(struct plan *p, struct state_output *rec, const char *path, struct hash h)
{
	if (rec && (hash_eq(rec->hash, h) || (rec->has_pending && hash_eq(rec->pending, h))))
		return true;
	struct hash *k = strmap_get(&p->known, path);
	return k && hash_eq(*k, h);
}

/* does the file start with dpc's header? (a generated file with no record)
 * After the comment marker: "# ", "-- ", "// ", "<!-- " */
static bool
marked(const char *data, size_t len)
{
	const char *nl = memchr(data, '\n', len);
	size_t n = nl ? (size_t)(nl - data) : len;
	const char *m = DPC_MARK;
	size_t ml = strlen(m);
	for (size_t i = 0; i + ml <= n && i < 6; i++)
		if (memcmp(data + i, m, ml) == 0)
			return true;
	return false;
}

void
plan_init(struct plan *p, const struct compilation *c)
{
	*p = (struct plan){.roots = {c->spec->layout_dbt, c->spec->layout_assets}};
	p->regout = arena_printf(&p->arena, "%s/registry.json", c->spec->layout_assets);
}

void
plan_make(struct plan *p, struct compilation *c, struct state *st)
{
	plan_init(p, c);
	/* the DB knows what dpc wrote; the committed registry stands in without one */
	if (!st || st->fresh || !st->noutputs)
		loadregistry(p, c);
	struct strmap wanted = {0};
	for (size_t i = 0; i < c->out.n; i++) {
		const struct output *o = &c->out.v[i];
		strmap_put(&wanted, o->path, (void *)o);
		if (o->once) {
			/* written when absent; once there, the user's */
			int fd = open_beneath(c->rootfd, o->path, O_RDONLY | O_PATH, 0);
			if (fd >= 0) {
				close(fd);
				continue;
			}
			struct step *s = errno == ENOENT
				? plan_add(p, A_ADD, o->path, o->node, xstrdup("missing (written once, then yours)"))
				: plan_add(p, A_DRIFT, o->path, o->node,
					   xasprintf("cannot look at it: %s", strerror(errno)));
			s->out = o;
			continue;
		}
		struct state_output *rec = st ? state_output(st, o->path) : NULL;
		/* the stat says the file is as dpc left it: no need to read it */
		if (rec && hash_eq(rec->hash, o->hash) && !rec->has_pending &&
		    fstamp_eq(rec->st, fstamp_of(c->rootfd, o->path))) {
			struct step *s = plan_add(p, A_SAME, o->path, o->node, NULL);
			s->out = o;
			s->recorded = true;
			continue;
		}
		char *data = NULL;
		size_t len = 0;
		int e = read_beneath(c->rootfd, o->path, (size_t)1 << 30, &data, &len, NULL);
		struct step *s;
		if (e == ENOENT) {
			s = plan_add(p, A_ADD, o->path, o->node, xstrdup("missing"));
		} else if (e == EXDEV || e == ELOOP) {
			s = plan_add(p, A_DRIFT, o->path, o->node,
				    xstrdup("a symlink on its path leads out of the project; dpc will not write there"));
		} else if (e) {
			s = plan_add(p, A_DRIFT, o->path, o->node,
				    xasprintf("cannot read it: %s", strerror(e)));
		} else {
			struct hash h = hash_bytes(data, len);
			if (!hash_eq(h, o->hash) && o->yields && !marked(data, len)) {
				/* the user's own file (AGENTS.md): no step, even with --force */
				VEC_PUSH(p->yielded, p->nyielded, p->capyielded);
				p->yielded[p->nyielded++] = o->path;
				free(data);
				continue;
			}
			if (hash_eq(h, o->hash))
				s = plan_add(p, A_SAME, o->path, o->node, NULL);
			else if (ours(p, rec, o->path, h))
				s = plan_add(p, A_UPDATE, o->path, o->node,
					    xasprintf("%s changed", o->node));
			else if (!rec && !strmap_get(&p->known, o->path) &&
				 (marked(data, len) || (p->registry && strcmp(p->registry, o->path) == 0)))
				s = plan_add(p, A_UPDATE, o->path, o->node,
					    xasprintf("%s changed (no record of the last build)", o->node));
			else
				s = plan_add(p, A_DRIFT, o->path, o->node,
					    xstrdup(rec || strmap_get(&p->known, o->path)
							    ? "edited by hand since dpc wrote it"
							    : "a file dpc did not write is in the way"));
			s->ondisk = true;
			s->diskhash = h;
		}
		s->out = o;
		free(data);
	}
	/* files dpc wrote before and wants no more: in the DB or the old registry */
	struct strmap stale = {0};
	for (size_t i = 0; i < (st ? st->noutputs : 0) + p->nknown; i++) {
		const char *path = st && i < st->noutputs ? st->outputs[i].path
							  : p->knownpaths[i - (st ? st->noutputs : 0)];
		if (strmap_get(&wanted, path) || strmap_put(&stale, path, (void *)1))
			continue;
		struct state_output *rec = st ? state_output(st, path) : NULL;
		char *data = NULL;
		size_t len = 0;
		int e = read_beneath(c->rootfd, path, (size_t)1 << 30, &data, &len, NULL);
		if (e == ENOENT)
			continue; /* already gone: only the record remains, dropped on apply */
		struct step *s;
		if (e)
			s = plan_add(p, A_DRIFT, path, rec ? rec->node : "", xasprintf("cannot read it: %s", strerror(e)));
		else if (ours(p, rec, path, hash_bytes(data, len)))
			s = plan_add(p, A_DELETE, path, rec ? rec->node : "", xstrdup("no longer generated"));
		else
			s = plan_add(p, A_DRIFT, path, rec ? rec->node : "",
				    xstrdup("no longer generated, but edited by hand since dpc wrote it"));
		s->ondisk = true;
		free(data);
	}
	strmap_free(&stale);
	strmap_free(&wanted);
}

void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free((char *)p->v[i].reason);
	}
	free(p->v);
	free(p->yielded);
	free(p->knownpaths);
	strmap_free(&p->known);
	arena_free(&p->arena);
}

int
opendir_beneath(int rootfd, const char *dir)
{
	int fd = open_beneath(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	/* create it one component at a time, each beneath the root */
	char *p = xstrdup(dir);
	for (char *q = p;; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;
		*q = '\0';
		if (mkdirat(rootfd, p, 0777) != 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		int t = open_beneath(rootfd, p, O_RDONLY | O_DIRECTORY, 0);
		if (t < 0) {
			free(p);
			return -1;
		}
		close(t);
		*q = c;
		if (!c)
			break;
	}
	free(p);
	return open_beneath(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
}

char *
dirof(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	*base = slash ? slash + 1 : path;
	return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
}

/* after deleting path, remove the folders it leaves empty, up to (not
 * including) its layout root: a deleted layer leaves no empty folder */
static void
prune(const struct plan *p, int rootfd, const char *path)
{
	char *dir = xstrdup(path);
	for (char *slash; (slash = strrchr(dir, '/'));) {
		*slash = '\0';
		bool isroot = false;
		for (size_t i = 0; i < LEN(p->roots); i++)
			isroot |= !p->roots[i] || strcmp(dir, p->roots[i]) == 0 ||
				  strncmp(p->roots[i], dir, strlen(dir)) == 0;
		/* .github and .github/workflows are GitHub's, not dpc's */
		for (size_t i = 0; i < emit_nfixed; i++)
			isroot |= strncmp(emit_fixed[i], dir, strlen(dir)) == 0 && emit_fixed[i][strlen(dir)] == '/';
		if (isroot || unlinkat(rootfd, dir, AT_REMOVEDIR) != 0)
			break; /* not empty, or not dpc's to remove */
	}
	free(dir);
}

/* Before anything is written: every folder a step touches must be inside
 * the project (a layout root that is a symlink out fails here, not halfway
 * through the renames). Folders that do not exist yet are fine. */
static int
checkdirs(struct plan *p, int rootfd, char **err)
{
	struct strmap seen = {0};
	int rc = 0;
	for (size_t i = 0; i < p->n && rc == 0; i++) {
		if (p->v[i].act == A_SAME)
			continue;
		const char *base;
		char *dir = dirof(p->v[i].path, &base);
		if (!strmap_get(&seen, dir)) {
			int fd = open_beneath(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
			if (fd >= 0) {
				close(fd);
			} else if (errno != ENOENT) {
				*err = xasprintf("cannot write %s: %s%s", p->v[i].path, strerror(errno),
						 errno == EXDEV || errno == ELOOP ? " (a symlink leads out of the project)" : "");
				rc = -1;
			}
			strmap_put(&seen, arena_strdup(&p->arena, dir), (void *)1);
		}
		free(dir);
	}
	strmap_free(&seen);
	return rc;
}

/* a write in flight: the new bytes in an unnamed file (O_TMPFILE) in the
 * output's own folder, linked into place once synced; or, to replace a file,
 * a named file in .dpc/tmp renamed over it */
struct pending {
	const char *path;
	int fd;         /* the O_TMPFILE, or -1 when the bytes are in .dpc/tmp */
	int dfd;        /* the output's folder; owned by the batch's folder list */
	const char *base;
	char tmpname[24];
};

/* files written before one sync, then named together */
struct batch {
	struct pending *v;
	size_t n, cap;
	int *dirs;           /* the folders the batch opened */
	size_t ndirs;
	char *lastdir;
	int rootfd, tmpfd;   /* tmpfd: .dpc/tmp */
	size_t ntmp;         /* names used in .dpc/tmp */
	bool sync;           /* not DPC_NO_SYNC */
	bool tmpfile_ok;     /* O_TMPFILE works on this file system */
};

/* files written before one sync: bounded by the open-file limit, since each
 * unnamed file stays open until it is linked */
static size_t
batchsize(void)
{
	struct rlimit rl;
	size_t n = 4096;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 2 < n)
		n = rl.rlim_cur > 64 ? (size_t)rl.rlim_cur / 2 : 16;
	return n;
}

void
rmtree(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) == 0 || (errno != EISDIR && errno != EPERM))
		return;
	for (int pass = 0; pass < 4; pass++) {
		int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
		if (!dp) {
			if (fd >= 0)
				close(fd);
			return;
		}
		for (struct dirent *de; (de = readdir(dp));)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				rmtree(dirfd(dp), de->d_name);
		closedir(dp);
		if (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno != ENOTEMPTY)
			return;
	}
}

int
opentmp(int rootfd, bool keepstage, char **err)
{
	int tmpfd = opendir_beneath(rootfd, ".dpc/tmp");
	if (tmpfd < 0) {
		*err = xasprintf("cannot create .dpc/tmp: %s", strerror(errno));
		return -1;
	}
	int scan = dup(tmpfd);
	DIR *dp = scan >= 0 ? fdopendir(scan) : NULL;
	for (struct dirent *de; dp && (de = readdir(dp));)
		if (de->d_name[0] != '.' && !(keepstage && strncmp(de->d_name, "stage", 5) == 0))
			rmtree(tmpfd, de->d_name); /* a file, or a staged root (see the fresh build) */
	if (dp)
		closedir(dp);
	else if (scan >= 0)
		close(scan);
	return tmpfd;
}

static int
batch_open(struct batch *b, int rootfd, char **err)
{
	size_t cap = batchsize();
	*b = (struct batch){.cap = cap, .rootfd = rootfd, .sync = !getenv("DPC_NO_SYNC"), .tmpfile_ok = true};
	b->tmpfd = opentmp(rootfd, false, err);
	if (b->tmpfd < 0)
		return -1;
	b->v = xreallocarray(NULL, cap, sizeof(*b->v));
	b->dirs = xreallocarray(NULL, cap, sizeof(*b->dirs));
	return 0;
}

int
linkinto(int fd, int dfd, const char *base)
{
	if (linkat(fd, "", dfd, base, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != EPERM && errno != ENOENT)
		return -1;
	/* without CAP_DAC_READ_SEARCH: the same through /proc */
	char proc[40];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dfd, base, AT_SYMLINK_FOLLOW);
}

/* sync the batch's bytes once, then give every file its name */
static int
batch_flush(struct batch *b, char **err)
{
	int rc = 0;
	if (b->n && b->sync)
		syncfs(b->tmpfd); /* cheaper than an fsync per file, same guarantee */
	for (size_t i = 0; i < b->n; i++) {
		struct pending *w = &b->v[i];
		if (rc == 0) {
			int r = w->fd >= 0 ? linkinto(w->fd, w->dfd, w->base)
					   : renameat(b->tmpfd, w->tmpname, w->dfd, w->base);
			if (r != 0) {
				*err = xasprintf("cannot write %s: %s", w->path, strerror(errno));
				rc = -1;
			}
		}
		if (w->fd >= 0)
			close(w->fd);
	}
	for (size_t i = 0; i < b->ndirs; i++)
		close(b->dirs[i]);
	b->n = b->ndirs = 0;
	return rc;
}

/* Write the bytes of path, to be named at the next flush (which this may
 * do first, when the batch is full). isnew: nothing is at path, so the file
 * is born unnamed in its folder and linked in (one directory operation, as
 * cp does, and nothing left behind if the build is killed); otherwise it
 * goes to .dpc/tmp and is renamed over the old file. written receives the
 * stamp the file will have in place (link and rename change neither). */
static int
batch_write(struct batch *b, const char *path, const char *data, size_t len, bool isnew,
	    struct fstamp *written, char **err)
{
	if (b->n == b->cap && batch_flush(b, err) != 0)
		return -1;
	const char *base;
	char *dir = dirof(path, &base);
	if (!b->ndirs || !b->lastdir || strcmp(b->lastdir, dir) != 0) {
		int dfd = opendir_beneath(b->rootfd, dir);
		if (dfd < 0) {
			*err = xasprintf("cannot create the folder of %s: %s%s", path, strerror(errno),
					 errno == EXDEV ? " (a symlink leads out of the project)" : "");
			free(dir);
			return -1;
		}
		b->dirs[b->ndirs++] = dfd;
		free(b->lastdir);
		b->lastdir = dir;
	} else {
		free(dir);
	}
	struct pending *w = &b->v[b->n++];
	*w = (struct pending){.path = path, .fd = -1, .dfd = b->dirs[b->ndirs - 1], .base = base};
	int fd = -1;
	if (isnew && b->tmpfile_ok) {
		fd = openat(w->dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
		if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
			b->tmpfile_ok = false;
		w->fd = fd;
	}
	if (w->fd < 0) {
		snprintf(w->tmpname, sizeof(w->tmpname), "%zu", b->ntmp++);
		fd = openat(b->tmpfd, w->tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	}
	struct stat sb;
	if (fd < 0 || writeall(fd, data, len) != 0 || fstat(fd, &sb) != 0) {
		*err = xasprintf("cannot write a temporary file for %s: %s", path, strerror(errno));
		if (fd >= 0 && w->fd < 0)
			close(fd);
		return -1;
	}
	*written = (struct fstamp){(int64_t)sb.st_size, (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec,
				   (int64_t)sb.st_ino, true};
	if (w->fd < 0)
		close(fd);
	return 0;
}

static void
batch_close(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].fd >= 0)
			close(b->v[i].fd);
	for (size_t i = 0; i < b->ndirs; i++)
		close(b->dirs[i]);
	if (b->tmpfd >= 0)
		close(b->tmpfd);
	free(b->v);
	free(b->dirs);
	free(b->lastdir);
}

static bool
writing(const struct step *s, bool force)
{
	return s->act == A_ADD || s->act == A_UPDATE || (s->act == A_DRIFT && force && s->out);
}

int
plan_apply(struct plan *p, int rootfd, struct state *st, const struct state_input *in, size_t nin,
	   bool force, char **err)
{
	int rc = -1;
	if (checkdirs(p, rootfd, err) != 0)
		return -1;
	struct batch b;
	if (batch_open(&b, rootfd, err) != 0)
		return -1;

	/* 1: record what is about to be written. hash: what is on disk now
	 * (dpc's, or it would be drift); pending: what replaces it. A build
	 * killed before a file's name changes leaves the first, after the
	 * second, and the next build recognises both */
	if (state_begin(st) != 0) {
		*err = xstrdup("cannot write the state DB (locked?)");
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->v[i];
		if (!writing(s, force) || s->out->once)
			continue;
		struct state_output *rec = state_output(st, s->path);
		struct state_output o = {.path = (char *)s->path, .node = (char *)s->node,
					 .hash = s->ondisk ? s->diskhash : rec ? rec->hash : s->out->hash,
					 .pending = s->out->hash, .has_pending = true};
		state_put_output(st, &o);
	}
	if (state_commit(st) != 0) {
		*err = xstrdup("cannot commit to the state DB");
		goto out;
	}

	/* 2: write, in batches; each is synced, then named */
	size_t nw = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->v[i];
		if (!writing(s, force))
			continue;
		if (batch_write(&b, s->path, s->out->data, s->out->len, s->act == A_ADD, &s->written, err) != 0)
			goto out;
		nw++;
	}
	if (batch_flush(&b, err) != 0)
		goto out;

	/* 3: delete what is no longer generated, and the folders it empties */
	long deleted = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->v[i];
		if (!(s->act == A_DELETE || (s->act == A_DRIFT && force && !s->out)))
			continue;
		const char *base;
		char *dir = dirof(s->path, &base);
		int dfd = open_beneath(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
		free(dir);
		int r = dfd < 0 ? (errno == ENOENT ? 0 : -1) : unlinkat(dfd, base, 0);
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		if (r != 0 && e != ENOENT) {
			*err = xasprintf("cannot delete %s: %s", s->path, strerror(e));
			goto out;
		}
		prune(p, rootfd, s->path);
		deleted++;
	}
	/* the names, durable before the records that vouch for them */
	if ((nw || deleted) && b.sync)
		syncfs(b.tmpfd);
	rc = plan_record(p, rootfd, st, in, nin, force, err);
out:
	batch_close(&b);
	return rc;
}

struct hash
inputs_hash(const struct state_input *in, size_t nin)
{
	struct hasher h;
	hasher_init(&h);
	for (size_t i = 0; i < nin; i++) {
		hasher_str(&h, in[i].path);
		hasher_add(&h, &in[i].hash, sizeof(in[i].hash));
	}
	return hasher_done(&h);
}

int
plan_record(struct plan *p, int rootfd, struct state *st, const struct state_input *in, size_t nin,
	    bool force, char **err)
{
	/* the final record: outputs with their stamps, inputs, meta, the log */
	if (state_begin(st) != 0) {
		*err = xstrdup("cannot write the state DB");
		return -1;
	}
	long written = 0, deleted = 0;
	if (p->settle)
		state_settle_outputs(st);
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->v[i];
		written += s->recorded && s->act != A_SAME;
		if (s->recorded || (s->out && s->out->once))
			continue; /* its row is exact already, or it is not dpc's to record */
		if (s->out && (s->act != A_DRIFT || force)) {
			struct state_output o = {.path = (char *)s->path, .node = (char *)s->node,
						 .hash = s->out->hash,
						 .st = s->written.exists ? s->written : fstamp_of(rootfd, s->path)};
			state_put_output(st, &o);
			written += s->act != A_SAME;
		} else if (!s->out && (s->act == A_DELETE || force)) {
			state_del_output(st, s->path);
			deleted++;
		}
	}
	/* records of files that are gone and no longer wanted (a partial plan
	 * leaves out the files it did not look at) */
	struct strmap planned = {0};
	for (size_t i = 0; i < p->n; i++)
		strmap_put(&planned, p->v[i].path, (void *)1);
	for (size_t i = 0; i < st->noutputs && !p->partial; i++)
		if (!strmap_get(&planned, st->outputs[i].path))
			state_del_output(st, st->outputs[i].path);
	strmap_free(&planned);
	char hex[33];
	if (p->inputs_recorded) {
		hash_hex(p->inhash, hex);
	} else {
		state_sync_inputs(st, in, nin);
		hash_hex(inputs_hash(in, nin), hex);
	}
	state_set_meta(st, "dpc", dpc_build_id);
	if (p->regout)
		state_set_meta(st, "registry", p->regout);
	state_set_meta(st, "spec", hex);
	state_log_build(st, hex, written, deleted);
	if (state_commit(st) != 0) {
		*err = xstrdup("cannot commit to the state DB");
		return -1;
	}
	return 0;
}

/* one half of the stat pass; the two halves run on two threads, since the
 * no-op build is mostly waiting on stat */
struct statjob {
	struct state *st;
	int rootfd;
	size_t from, to;   /* over inputs then outputs, as one sequence */
	size_t *diff;      /* the indexes that differ, up to STAT_MAX_DIFFS */
	size_t ndiff;      /* how many differ; may exceed STAT_MAX_DIFFS */
};

static void *
statrange(void *arg)
{
	struct statjob *j = arg;
	struct state *st = j->st;
	for (size_t i = j->from; i < j->to; i++) {
		bool same;
		if (i < st->ninputs) {
			same = fstamp_eq(st->inputs[i].st, fstamp_of(j->rootfd, st->inputs[i].path));
		} else {
			struct state_output *o = &st->outputs[i - st->ninputs];
			same = !o->has_pending && fstamp_eq(o->st, fstamp_of(j->rootfd, o->path));
		}
		if (!same && j->ndiff++ < STAT_MAX_DIFFS)
			j->diff[j->ndiff - 1] = i;
	}
	return NULL;
}

bool
state_changes(struct state *st, int rootfd, struct changes *ch, char **why)
{
	*ch = (struct changes){0};
	*why = NULL;
	if (st->fresh || !st->ninputs) {
		*why = xstrdup("no state from an earlier build");
		return false;
	}
	char *id = state_meta(st, "dpc");
	bool same = id && strcmp(id, dpc_build_id) == 0;
	free(id);
	if (!same) {
		*why = xstrdup("the state was written by another version of dpc");
		return false;
	}
	size_t n = st->ninputs + st->noutputs;
	size_t d0[STAT_MAX_DIFFS], d1[STAT_MAX_DIFFS];
	struct statjob jobs[2] = {{st, rootfd, 0, n / 2, d0, 0}, {st, rootfd, n / 2, n, d1, 0}};
	pthread_t th;
	bool threaded = n > 256 && pthread_create(&th, NULL, statrange, &jobs[1]) == 0;
	statrange(&jobs[0]);
	if (threaded)
		pthread_join(th, NULL);
	else
		statrange(&jobs[1]);
	ch->complete = jobs[0].ndiff + jobs[1].ndiff <= STAT_MAX_DIFFS;
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < jobs[k].ndiff && i < STAT_MAX_DIFFS; i++) {
			size_t x = jobs[k].diff[i];
			if (x < st->ninputs) {
				if (ch->ninputs < STAT_MAX_DIFFS)
					ch->inputs[ch->ninputs++] = x;
			} else if (ch->noutputs < STAT_MAX_DIFFS) {
				ch->outputs[ch->noutputs++] = x - st->ninputs;
			}
		}
	if (!ch->ninputs && !ch->noutputs)
		return true;
	if (ch->ninputs)
		*why = xasprintf("input %s changed", st->inputs[ch->inputs[0]].path);
	else
		*why = xasprintf("output %s changed", st->outputs[ch->outputs[0]].path);
	return false;
}

int
build_lock(int rootfd, char **err)
{
	int dfd = opendir_beneath(rootfd, ".dpc");
	if (dfd < 0) {
		*err = xasprintf("cannot create .dpc: %s", strerror(errno));
		return -1;
	}
	int fd = openat(dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	close(dfd);
	if (fd < 0) {
		*err = xasprintf("cannot open .dpc/lock: %s", strerror(errno));
		return -1;
	}
	/* wait up to 3 seconds for another build to finish */
	for (int i = 0; i < 60; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK)
			break;
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	*err = xstrdup("another dpc build is running in this project (.dpc/lock is held); try again when it has finished");
	close(fd);
	return -1;
}
