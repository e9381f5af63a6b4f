/* build.c: plan and apply (see build.h).
 *
 * A file dpc wants is SAME (bytes equal), ADD (missing), UPDATE (differs,
 * and what is there is what dpc last wrote) or DRIFT (differs, and what is
 * there is not dpc's: a hand edit, or a user file in the way). A file dpc
 * wrote before and wants no more is DELETE, or DRIFT if it was edited.
 * "What dpc last wrote" comes from the state DB, or from the outputs list
 * of the registry.json on disk when there is no DB.
 *
 * Writes go to .dpc/tmp, are synced once with syncfs, then renamed into
 * place; the DB records the pending hashes before the renames and the final
 * ones after, so a build killed at any instant leaves every file old or new
 * and the next build recognises both. */
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

static struct step *
addstep(struct plan *p, enum action act, const char *path, const char *node, char *reason)
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

/* does the file start with dpc's header? (a generated file with no record) */
static bool
marked(const char *data, size_t len)
{
	const char *nl = memchr(data, '\n', len);
	size_t n = nl ? (size_t)(nl - data) : len;
	const char *m = DPC_MARK;
	size_t ml = strlen(m);
	for (size_t i = 0; i + ml <= n && i < 4; i++)
		if (memcmp(data + i, m, ml) == 0)
			return true;
	return false;
}

void
plan_make(struct plan *p, struct compilation *c, struct state *st)
{
	*p = (struct plan){0};
	/* the DB knows what dpc wrote; the committed registry stands in without one */
	if (!st || st->fresh || !st->noutputs)
		loadregistry(p, c);
	struct strmap wanted = {0};
	for (size_t i = 0; i < c->out.n; i++) {
		const struct output *o = &c->out.v[i];
		strmap_put(&wanted, o->path, (void *)o);
		struct state_output *rec = st ? state_output(st, o->path) : NULL;
		/* the stat says the file is as dpc left it: no need to read it */
		if (rec && hash_eq(rec->hash, o->hash) && !rec->has_pending &&
		    fstamp_eq(rec->st, fstamp_of(c->rootfd, o->path))) {
			struct step *s = addstep(p, A_SAME, o->path, o->node, NULL);
			s->out = o;
			s->recorded = true;
			continue;
		}
		char *data = NULL;
		size_t len = 0;
		int e = read_beneath(c->rootfd, o->path, (size_t)1 << 30, &data, &len, NULL);
		struct step *s;
		if (e == ENOENT) {
			s = addstep(p, A_ADD, o->path, o->node, xstrdup("missing"));
		} else if (e == EXDEV || e == ELOOP) {
			s = addstep(p, A_DRIFT, o->path, o->node,
				    xstrdup("a symlink on its path leads out of the project; dpc will not write there"));
		} else if (e) {
			s = addstep(p, A_DRIFT, o->path, o->node,
				    xasprintf("cannot read it: %s", strerror(e)));
		} else {
			struct hash h = hash_bytes(data, len);
			if (hash_eq(h, o->hash))
				s = addstep(p, A_SAME, o->path, o->node, NULL);
			else if (ours(p, rec, o->path, h))
				s = addstep(p, A_UPDATE, o->path, o->node,
					    xasprintf("%s changed", o->node));
			else if (!rec && !strmap_get(&p->known, o->path) &&
				 (marked(data, len) || (p->registry && strcmp(p->registry, o->path) == 0)))
				s = addstep(p, A_UPDATE, o->path, o->node,
					    xasprintf("%s changed (no record of the last build)", o->node));
			else
				s = addstep(p, A_DRIFT, o->path, o->node,
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
			s = addstep(p, A_DRIFT, path, rec ? rec->node : "", xasprintf("cannot read it: %s", strerror(e)));
		else if (ours(p, rec, path, hash_bytes(data, len)))
			s = addstep(p, A_DELETE, path, rec ? rec->node : "", xstrdup("no longer generated"));
		else
			s = addstep(p, A_DRIFT, path, rec ? rec->node : "",
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
	free(p->knownpaths);
	strmap_free(&p->known);
	arena_free(&p->arena);
}

/* open (creating) the folder of path beneath rootfd; returns an fd or -1 */
static int
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

static int
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

/* split "a/b/c.sql" into its folder ("a/b", or "." ) and name */
static char *
dirof(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	*base = slash ? slash + 1 : path;
	return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
}

/* after deleting path, remove the folders it leaves empty, up to (not
 * including) its layout root: a deleted layer leaves no empty folder */
static void
prune(struct compilation *c, const char *path)
{
	const char *roots[] = {c->spec->layout_dbt, c->spec->layout_assets};
	char *dir = xstrdup(path);
	for (char *slash; (slash = strrchr(dir, '/'));) {
		*slash = '\0';
		bool isroot = false;
		for (size_t i = 0; i < LEN(roots); i++)
			isroot |= strcmp(dir, roots[i]) == 0 || strncmp(roots[i], dir, strlen(dir)) == 0;
		if (isroot || unlinkat(c->rootfd, dir, AT_REMOVEDIR) != 0)
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

int
plan_apply(struct plan *p, struct compilation *c, struct state *st, bool force, char **err)
{
	int rc = -1, lastfd = -1; /* the folder renamed into last, kept open */
	char *lastdir = NULL;
	if (checkdirs(p, c->rootfd, err) != 0)
		return -1;
	int tmpfd = opendir_beneath(c->rootfd, ".dpc/tmp");
	if (tmpfd < 0) {
		*err = xasprintf("cannot create .dpc/tmp: %s", strerror(errno));
		return -1;
	}
	/* leftovers of a killed build: every file in .dpc/tmp */
	int scan = dup(tmpfd);
	DIR *dp = scan >= 0 ? fdopendir(scan) : NULL;
	for (struct dirent *de; dp && (de = readdir(dp));)
		if (de->d_name[0] != '.')
			unlinkat(tmpfd, de->d_name, 0);
	if (dp)
		closedir(dp);
	else if (scan >= 0)
		close(scan);
	size_t nw = 0;
	/* 1: write every new file to .dpc/tmp/<n> */
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->v[i];
		if (!(s->act == A_ADD || s->act == A_UPDATE || (s->act == A_DRIFT && force && s->out)))
			continue;
		char name[32];
		snprintf(name, sizeof(name), "%zu", nw++);
		int fd = openat(tmpfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		struct stat sb;
		if (fd < 0 || writeall(fd, s->out->data, s->out->len) != 0 || fstat(fd, &sb) != 0) {
			*err = xasprintf("cannot write a temporary file for %s: %s", s->path, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		/* the stamp the file will have in place: a rename changes neither */
		s->written = (struct fstamp){(int64_t)sb.st_size,
					     (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec,
					     (int64_t)sb.st_ino, true};
		close(fd);
	}
	/* one sync for all of them: cheaper than an fsync per file, same guarantee */
	if (nw && !getenv("DPC_NO_SYNC"))
		syncfs(tmpfd);
	/* 2: record what is about to be written */
	if (state_begin(st) != 0) {
		*err = xstrdup("cannot write the state DB (locked?)");
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->v[i];
		struct state_output *rec = state_output(st, s->path);
		if (s->out && s->act != A_SAME && (s->act != A_DRIFT || force)) {
			/* hash: what is on disk now (dpc's, or it would be drift);
			 * pending: what is about to replace it. A build killed
			 * before the rename leaves the first, after it the second */
			struct state_output o = {.path = (char *)s->path, .node = (char *)s->node,
						 .hash = s->ondisk ? s->diskhash : rec ? rec->hash : s->out->hash,
						 .pending = s->out->hash, .has_pending = true};
			state_put_output(st, &o);
		}
	}
	if (state_commit(st) != 0) {
		*err = xstrdup("cannot commit to the state DB");
		goto out;
	}
	/* 3: rename into place, delete what is no longer generated */
	nw = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->v[i];
		bool write = s->act == A_ADD || s->act == A_UPDATE || (s->act == A_DRIFT && force && s->out);
		bool del = s->act == A_DELETE || (s->act == A_DRIFT && force && !s->out);
		if (!write && !del)
			continue;
		const char *base;
		char *dir = dirof(s->path, &base);
		/* outputs are sorted by path: the folder is usually the last one */
		int dfd = lastdir && strcmp(lastdir, dir) == 0 ? lastfd : -1;
		if (dfd < 0) {
			if (lastfd >= 0)
				close(lastfd);
			free(lastdir);
			lastdir = dir;
			dir = NULL;
			dfd = lastfd = opendir_beneath(c->rootfd, lastdir);
		}
		free(dir);
		if (dfd < 0) {
			*err = xasprintf("cannot create the folder of %s: %s%s", s->path, strerror(errno),
					 errno == EXDEV ? " (a symlink leads out of the project)" : "");
			goto out;
		}
		if (write) {
			char name[32];
			snprintf(name, sizeof(name), "%zu", nw++);
			if (renameat(tmpfd, name, dfd, base) != 0) {
				*err = xasprintf("cannot write %s: %s", s->path, strerror(errno));
				goto out;
			}
		} else if (unlinkat(dfd, base, 0) != 0 && errno != ENOENT) {
			*err = xasprintf("cannot delete %s: %s", s->path, strerror(errno));
			goto out;
		} else {
			/* the folder may go with its last file: do not reuse its fd */
			prune(c, s->path);
			close(lastfd);
			lastfd = -1;
			free(lastdir);
			lastdir = NULL;
		}
	}
	if (nw && !getenv("DPC_NO_SYNC"))
		syncfs(tmpfd);
	/* 4: the final record: outputs with their stamps, inputs, meta, the log */
	if (state_begin(st) != 0) {
		*err = xstrdup("cannot write the state DB");
		goto out;
	}
	long written = 0, deleted = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct step *s = &p->v[i];
		if (s->recorded)
			continue; /* its row is exact already: a no-change build writes no rows */
		if (s->out && (s->act != A_DRIFT || force)) {
			struct state_output o = {.path = (char *)s->path, .node = (char *)s->node,
						 .hash = s->out->hash,
						 .st = s->written.exists ? s->written : fstamp_of(c->rootfd, s->path)};
			state_put_output(st, &o);
			written += s->act != A_SAME;
		} else if (!s->out && (s->act == A_DELETE || force)) {
			state_del_output(st, s->path);
			deleted++;
		}
	}
	/* records of files that are gone and no longer wanted */
	struct strmap planned = {0};
	for (size_t i = 0; i < p->n; i++)
		strmap_put(&planned, p->v[i].path, (void *)1);
	for (size_t i = 0; i < st->noutputs; i++)
		if (!strmap_get(&planned, st->outputs[i].path))
			state_del_output(st, st->outputs[i].path);
	strmap_free(&planned);
	size_t nin;
	struct state_input *in = compile_inputs(c, &nin);
	state_sync_inputs(st, in, nin);
	struct hasher h;
	hasher_init(&h);
	for (size_t i = 0; i < nin; i++) {
		hasher_str(&h, in[i].path);
		hasher_add(&h, &in[i].hash, sizeof(in[i].hash));
	}
	char hex[33];
	hash_hex(hasher_done(&h), hex);
	for (size_t i = 0; i < nin; i++)
		free(in[i].path);
	free(in);
	state_set_meta(st, "dpc", dpc_build_id);
	state_set_meta(st, "spec", hex);
	state_log_build(st, hex, written, deleted);
	if (state_commit(st) != 0) {
		*err = xstrdup("cannot commit to the state DB");
		goto out;
	}
	rc = 0;
out:
	if (lastfd >= 0)
		close(lastfd);
	free(lastdir);
	close(tmpfd);
	return rc;
}

/* one half of the no-op check's stats; the two halves run on two threads,
 * since the no-op build is mostly waiting on stat */
struct statjob {
	struct state *st;
	int rootfd;
	size_t from, to;   /* over inputs then outputs, as one sequence */
	size_t bad;        /* index of the first difference found, or SIZE_MAX */
};

static void *
statrange(void *arg)
{
	struct statjob *j = arg;
	struct state *st = j->st;
	j->bad = SIZE_MAX;
	for (size_t i = j->from; i < j->to; i++) {
		bool same;
		if (i < st->ninputs) {
			same = fstamp_eq(st->inputs[i].st, fstamp_of(j->rootfd, st->inputs[i].path));
		} else {
			struct state_output *o = &st->outputs[i - st->ninputs];
			same = !o->has_pending && fstamp_eq(o->st, fstamp_of(j->rootfd, o->path));
		}
		if (!same) {
			j->bad = i;
			break;
		}
	}
	return NULL;
}

bool
state_uptodate(struct state *st, int rootfd, char **why)
{
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
	struct statjob jobs[2] = {{st, rootfd, 0, n / 2, SIZE_MAX}, {st, rootfd, n / 2, n, SIZE_MAX}};
	pthread_t th;
	bool threaded = n > 256 && pthread_create(&th, NULL, statrange, &jobs[1]) == 0;
	statrange(&jobs[0]);
	if (threaded)
		pthread_join(th, NULL);
	else
		statrange(&jobs[1]);
	size_t bad = jobs[0].bad != SIZE_MAX ? jobs[0].bad : jobs[1].bad;
	if (bad == SIZE_MAX)
		return true;
	if (bad < st->ninputs)
		*why = xasprintf("input %s changed", st->inputs[bad].path);
	else
		*why = xasprintf("output %s changed", st->outputs[bad - st->ninputs].path);
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
