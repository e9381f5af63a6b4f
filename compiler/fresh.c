/* fresh.c: the fresh build (see build.h).
 *
 * When nothing dpc generates exists yet (no output records, no layout root
 * on disk), no file can drift and none needs comparing, so each output is
 * written as soon as it is made, from the moment the spec is read, and the
 * layout roots appear whole at the end:
 *
 * - A file under a layout root (all but the CI files and the files written
 *   once) is written, with its name, into a copy of its root built in
 *   .dpc/tmp/stage<k>. The graph adds each model's dbt file as soon as it
 *   has scanned the model's SQL (dbt_model_early), so most of the writing
 *   overlaps the front end. Nothing there is visible. A compilation that
 *   fails (writer_abort), or a killed build, leaves its copy: the next
 *   fresh build writes over it in place and removes what it did not write
 *   (deleting thousands of files costs more than writing them, and far more
 *   on a file system mounted with discard, where freeing blocks waits for
 *   the disk).
 * - Each file gets a pending record in the state DB as it is written, in a
 *   transaction committed once the compilation is good (writer_go); from
 *   then on, newer records are committed and a syncfs makes the records and
 *   the bytes written before it durable, again and again while there is
 *   something new. A third thread does that, so no one waits for the disk
 *   while there is other work.
 * - Once every file is durable, each staged root is renamed into place (one
 *   directory operation per root, never replacing anything), and a last
 *   syncfs makes the names durable before plan_record vouches for them.
 * - A file outside the roots is born unnamed (O_TMPFILE) in .dpc/tmp and
 *   linked into its folder once durable, as plan_apply does; so is every
 *   file when the roots are not on the file system of .dpc.
 *
 * So a name appears only after its bytes and its pending record are
 * durable: a killed fresh build leaves whole files (whole roots, in fact),
 * which the next build recognises by their pending records
 * (tests/cli/kill.sh). The writing is done in chunks by a writer thread,
 * and by the thread that adds outputs whenever it would otherwise wait for
 * it (too many bytes in memory, or writer_finish). */

#define _GNU_SOURCE /* syncfs, renameat2 */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>


/* one output on its way: what the writer keeps of it */
struct wfile {
	const char *path, *node; /* borrowed from the output */
	struct hash hash;
	int stage;               /* the staged root it is written in, or -1 */
	int fd;                  /* not staged: the unnamed file, until named; or -1 */
	unsigned tmp;            /* without O_TMPFILE: its name in .dpc/tmp, plus 1 */
	struct fstamp st;        /* its stamp as written (naming keeps it) */
	bool once;               /* written only when absent */
	bool placed;             /* in place, or in its staged root */
	bool moved;              /* copied to be named (relink): not as recorded */
};

/* the wfiles, in blocks that never move, so that threads working on
 * different outputs need no lock to reach theirs */
#define WBLOCK 4096
#define WBLOCKS 4096

/* outputs written or named at once */
#define WRITER_CHUNK 128
/* the bytes of outputs made but not yet written, at most: beyond it, the
 * thread making them writes too. The SQL a model's file is made of is
 * dropped as the file is made, so this is most of what the early writing
 * adds to the peak memory (4 MiB was no faster, and a little over 1 MiB
 * more at the peak) */
#define WRITER_MAX_BACKLOG ((size_t)2 << 20)
/* open files left for everything but the unnamed ones */
#define WRITER_FD_RESERVE 256

/* a layout root built in .dpc/tmp/stage<k> */
struct wroot {
	const char *path;        /* "data/dbt" */
	size_t len;
	bool staged;             /* on .dpc/tmp's file system: built there */
	bool stale;              /* a failed or killed build left its copy: written over */
	bool used;               /* something was written in it */
};

/* a chunk of work some thread has taken */
struct wchunk {
	size_t from, to, end;    /* outputs [from, to), done up to end */
	bool naming;             /* names, else bytes */
	bool used, done;
};

/* what a thread copies out of an output under the lock to write it */
struct wjob {
	const char *data;
	size_t len;
	int fd, err;
};

struct writer {
	struct outset *out;
	struct state *st;
	int rootfd, tmpfd;       /* tmpfd: .dpc/tmp */
	dev_t tmpdev;
	bool sync;               /* not DPC_NO_SYNC */
	size_t budget;           /* unnamed files open at once, at most */
	atomic_size_t nopen;     /* unnamed files open now */
	bool early_ok;           /* model files may be written before go (their root is staged) */
	struct wroot roots[3];
	size_t nroots;
	pthread_t th, syncth;
	bool syncing;            /* the sync thread runs (writer_start) */
	pthread_mutex_t lock;
	pthread_cond_t wake;     /* the workers: outputs, go, a chunk or a sync done, the end */
	pthread_cond_t ask;      /* the sync thread: something to record, go, the end */
	/* outputs [0, named) are named (or staged); [named, durable) are
	 * synced with their pending records; [durable, recorded) have pending
	 * records; [recorded, written) are written; [written, out->n) are
	 * bytes in memory (or being written) */
	size_t named, durable, recorded, written;
	size_t wclaim, nclaim;   /* the next output to take for writing, for naming */
	size_t backlog;          /* bytes of outputs added and not yet written */
	struct wchunk flight[4]; /* chunks taken; one per thread at most */
	struct wjob *jobs[2];    /* per worker: the writer thread's, the adder's */
	struct state_input *in;  /* from writer_go: recorded with the first commit, then freed */
	size_t nin;
	bool go;                 /* the compilation is good: commits and names may come */
	bool done;               /* the back ends are finished */
	bool quit;               /* stop (writer_abort, or the end) */
	bool idle;               /* the writer thread waits for work */
	char *err;               /* the first failure; owned */
	struct wfile *blocks[WBLOCKS];
	/* below: under dirlock, shared by the workers */
	pthread_mutex_t dirlock;
	bool tmpfile_ok;         /* O_TMPFILE works in .dpc/tmp */
	unsigned ntmp;
	struct strmap dirs;      /* folder → its fd + 1, beneath the root */
	struct strmap sdirs;     /* the same beneath .dpc/tmp ("stage<k>/...") */
	int *dirfds;             /* the same fds, to close */
	size_t ndirfds, capdirfds;
	struct strmap devs;      /* folder → 2 when on .dpc/tmp's file system, else 1 */
	struct arena a;          /* the keys of dirs and devs */
};

static struct wfile *
wfile(struct writer *w, size_t i)
{
	return &w->blocks[i / WBLOCK][i % WBLOCK];
}

/* is folder dir on .dpc/tmp's file system? Its nearest existing ancestor
 * tells, since a folder made in it stays on it */
static bool
samefs(struct writer *w, const char *dir)
{
	pthread_mutex_lock(&w->dirlock);
	uintptr_t known = (uintptr_t)strmap_get(&w->devs, dir);
	pthread_mutex_unlock(&w->dirlock);
	if (known)
		return known == 2;
	char *p = xstrdup(dir);
	struct stat sb;
	bool same = false;
	for (;;) {
		int fd = strcmp(p, ".") == 0 ? dup(w->rootfd) : open_beneath(w->rootfd, p, O_RDONLY | O_PATH, 0);
		if (fd >= 0) {
			same = fstat(fd, &sb) == 0 && sb.st_dev == w->tmpdev;
			close(fd);
			break;
		}
		char *slash = strrchr(p, '/');
		if (errno != ENOENT)
			break; /* writing will say what is wrong */
		if (slash)
			*slash = '\0';
		else
			strcpy(p, ".");
	}
	free(p);
	pthread_mutex_lock(&w->dirlock);
	if (!strmap_get(&w->devs, dir))
		strmap_put(&w->devs, arena_strdup(&w->a, dir), (void *)(uintptr_t)(same ? 2 : 1));
	pthread_mutex_unlock(&w->dirlock);
	return same;
}

/* the folder dir, opened (and created) beneath the root, or beneath
 * .dpc/tmp when staged; kept open */
static int
folderfd(struct writer *w, bool staged, const char *dir)
{
	struct strmap *m = staged ? &w->sdirs : &w->dirs;
	pthread_mutex_lock(&w->dirlock);
	uintptr_t known = (uintptr_t)strmap_get(m, dir);
	int fd = known ? (int)(known - 1) : opendir_beneath(staged ? w->tmpfd : w->rootfd, dir);
	if (!known && fd >= 0) {
		strmap_put(m, arena_strdup(&w->a, dir), (void *)(uintptr_t)(fd + 1));
		VEC_PUSH(w->dirfds, w->ndirfds, w->capdirfds);
		w->dirfds[w->ndirfds++] = fd;
	}
	int e = errno;
	pthread_mutex_unlock(&w->dirlock);
	errno = e;
	return fd;
}

/* the staged root path is in, or -1 */
static int
stageof(const struct writer *w, const char *path)
{
	for (size_t k = 0; k < w->nroots; k++)
		if (w->roots[k].staged && strncmp(path, w->roots[k].path, w->roots[k].len) == 0 &&
		    path[w->roots[k].len] == '/')
			return (int)k;
	return -1;
}

static void
tmpname(char name[16], unsigned tmp)
{
	snprintf(name, 16, "%u", tmp - 1);
}

static void
closefile(struct writer *w, struct wfile *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		atomic_fetch_sub(&w->nopen, 1);
	}
	f->fd = -1;
	if (f->tmp && !f->placed) {
		char name[16];
		tmpname(name, f->tmp);
		unlinkat(w->tmpfd, name, 0);
	}
	f->tmp = 0;
}

/* stamp f from fd */
static int
stampfile(struct wfile *f, int fd)
{
	struct stat sb;
	if (fstat(fd, &sb) != 0)
		return -1;
	f->st = (struct fstamp){(int64_t)sb.st_size, (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec,
				(int64_t)sb.st_ino, true};
	return 0;
}

/* the folder sdir ("stage<k>/a/b") beneath .dpc/tmp, made; what is in
 * its way (a stale file where a folder goes) is removed: a staged root is
 * dpc's alone */
static int
stagedir(struct writer *w, const char *sdir)
{
	int fd = folderfd(w, true, sdir);
	if (fd >= 0 || (errno != ENOTDIR && errno != EEXIST && errno != ELOOP))
		return fd;
	char *p = xstrdup(sdir);
	for (char *q = strchr(p, '/'); q; q = strchr(q + 1, '/')) {
		*q = '\0';
		struct stat sb;
		if (fstatat(w->tmpfd, p, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(sb.st_mode))
			unlinkat(w->tmpfd, p, 0);
		*q = '/';
	}
	struct stat sb;
	if (fstatat(w->tmpfd, p, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(sb.st_mode))
		unlinkat(w->tmpfd, p, 0);
	free(p);
	return folderfd(w, true, sdir);
}

/* open path's file in staged root k for writing: created, or a stale one
 * reused (truncated when trunc); an fd or -1 */
static int
openstaged(struct writer *w, const char *path, int k, bool trunc)
{
	const char *base;
	char *dir = dirof(path + w->roots[k].len + 1, &base);
	char *sdir = xasprintf("stage%d/%s", k, dir);
	int dfd = stagedir(w, sdir);
	free(sdir);
	free(dir);
	if (dfd < 0)
		return -1;
	if (!w->roots[k].stale)
		return openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (trunc ? O_TRUNC : 0);
	int fd = openat(dfd, base, flags, 0666);
	if (fd < 0 && (errno == EISDIR || errno == ELOOP)) { /* a stale folder or link in the way */
		rmtree(dfd, base);
		fd = openat(dfd, base, flags, 0666);
	}
	return fd;
}

/* Remove from a stale staged root what this build did not write: dfd is
 * the folder at rel (a path inside the project, in b) */
static void
sweep(int dfd, struct buf *b, const struct strmap *written)
{
	int scan = dup(dfd);
	DIR *dp = scan >= 0 ? fdopendir(scan) : NULL;
	if (!dp) {
		if (scan >= 0)
			close(scan);
		return;
	}
	/* the names first: a folder changing under readdir may hide some */
	char **names = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *de; (de = readdir(dp));) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		VEC_PUSH(names, n, cap);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	size_t len = b->len;
	for (size_t i = 0; i < n; i++) {
		b->len = len;
		buf_printf(b, "/%s", names[i]);
		struct stat sb;
		if (fstatat(dfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			free(names[i]);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			int sub = openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				sweep(sub, b, written);
				close(sub);
			}
			unlinkat(dfd, names[i], AT_REMOVEDIR); /* when it is left empty */
		} else if (!strmap_get(written, b->data)) {
			unlinkat(dfd, names[i], 0);
		}
		free(names[i]);
	}
	b->len = len;
	b->data[len] = '\0';
	free(names);
}

/* Write one output's bytes: into its staged root, with its name, or into
 * an unnamed file (fd >= 0: a streamed output's, written already). 0, or
 * -1 with *err */
static int
writefile(struct writer *w, struct wfile *f, const struct wjob *j, char **err)
{
	int fd = j->fd;
	const char *base;
	if (j->err) {
		*err = xasprintf("cannot write %s: %s", f->path, strerror(j->err));
		goto fail;
	}
	if (fd >= 0) {
		if (stampfile(f, fd) != 0)
			goto failno;
		if (f->stage >= 0) {
			close(fd); /* streamed into its staged root: named there */
			f->placed = true;
		} else {
			f->fd = fd;
			atomic_fetch_add(&w->nopen, 1);
		}
		return 0;
	}
	if (f->stage >= 0) {
		fd = openstaged(w, f->path, f->stage, false);
		/* over a stale file: its bytes are replaced in place, since freeing
		 * its blocks may wait for the disk (discard) */
		if (fd < 0 || writeall(fd, j->data, j->len) != 0 || ftruncate(fd, (off_t)j->len) != 0 ||
		    stampfile(f, fd) != 0)
			goto failno;
		close(fd);
		f->placed = true;
		return 0;
	}
	char *dir = dirof(f->path, &base);
	bool here = samefs(w, dir);
	int dfd = here ? w->tmpfd : folderfd(w, false, dir);
	free(dir);
	if (dfd < 0) {
		*err = xasprintf("cannot create the folder of %s: %s%s", f->path, strerror(errno),
				 errno == EXDEV ? " (a symlink leads out of the project)" : "");
		return -1;
	}
	pthread_mutex_lock(&w->dirlock);
	bool tmpfile_ok = w->tmpfile_ok;
	pthread_mutex_unlock(&w->dirlock);
	if (tmpfile_ok || !here) {
		fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
		if (fd < 0 && here && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
			pthread_mutex_lock(&w->dirlock);
			w->tmpfile_ok = tmpfile_ok = false;
			pthread_mutex_unlock(&w->dirlock);
		}
	}
	if (fd < 0 && here && !tmpfile_ok) {
		/* no O_TMPFILE: a named file in .dpc/tmp, renamed into place */
		char name[16];
		pthread_mutex_lock(&w->dirlock);
		f->tmp = ++w->ntmp;
		pthread_mutex_unlock(&w->dirlock);
		tmpname(name, f->tmp);
		fd = openat(w->tmpfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	}
	if (fd < 0 || writeall(fd, j->data, j->len) != 0 || stampfile(f, fd) != 0)
		goto failno;
	if (f->tmp) {
		close(fd); /* named already: nothing to keep open */
	} else {
		f->fd = fd;
		atomic_fetch_add(&w->nopen, 1);
	}
	return 0;
failno:
	*err = xasprintf("cannot write a temporary file for %s: %s", f->path, strerror(errno));
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* name f in folder dfd when its unnamed file cannot be linked there (a
 * mount point between): copy it into a file born there, synced on its own */
static int
relink(struct writer *w, struct wfile *f, int dfd, const char *base)
{
	int fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	char buf[1 << 16];
	ssize_t r;
	for (off_t off = 0; (r = pread(f->fd, buf, sizeof(buf), off)) > 0; off += r)
		if (writeall(fd, buf, (size_t)r) != 0)
			break;
	if (r != 0 || (w->sync && fsync(fd) != 0) || stampfile(f, fd) != 0 || linkinto(fd, dfd, base) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	f->moved = true;
	close(fd);
	return 0;
}

/* give a durable file that is not staged its name */
static int
namefile(struct writer *w, struct wfile *f, char **err)
{
	if (f->stage >= 0)
		return 0; /* its root is renamed into place at the end */
	if (f->once) {
		/* written only when absent; the rest of the tree is new, but a
		 * file written once may live outside it */
		int fd = open_beneath(w->rootfd, f->path, O_RDONLY | O_PATH, 0);
		if (fd >= 0) {
			close(fd);
			closefile(w, f);
			return 0;
		}
	}
	const char *base;
	char *dir = dirof(f->path, &base);
	int dfd = folderfd(w, false, dir);
	free(dir);
	if (dfd < 0) {
		*err = xasprintf("cannot create the folder of %s: %s%s", f->path, strerror(errno),
				 errno == EXDEV ? " (a symlink leads out of the project)" : "");
		return -1;
	}
	int r;
	if (f->tmp) {
		char name[16];
		tmpname(name, f->tmp);
		r = renameat(w->tmpfd, name, dfd, base);
	} else {
		r = linkinto(f->fd, dfd, base);
		if (r != 0 && errno == EXDEV)
			r = relink(w, f, dfd, base);
	}
	if (r != 0) {
		*err = xasprintf("cannot write %s: %s", f->path, strerror(errno));
		return -1;
	}
	f->placed = true;
	closefile(w, f);
	return 0;
}

/* Take a chunk of work (under the lock): names for durable files first,
 * since they give descriptors back, else bytes for what is made, within
 * the budget of descriptors. The flight slot, or -1 when there is none */
static int
claim(struct writer *w, struct wjob *jobs)
{
	int k = 0;
	while (k < (int)LEN(w->flight) && w->flight[k].used)
		k++;
	if (k == (int)LEN(w->flight))
		return -1;
	struct wchunk *c = &w->flight[k];
	size_t n = w->out->n;
	if (w->nclaim < w->durable) {
		size_t to = w->durable - w->nclaim > WRITER_CHUNK ? w->nclaim + WRITER_CHUNK : w->durable;
		*c = (struct wchunk){w->nclaim, to, w->nclaim, true, true, false};
		w->nclaim = to;
		return k;
	}
	/* staged files keep no descriptor; the others do until named */
	size_t open = atomic_load(&w->nopen);
	if (w->wclaim >= n || open >= w->budget)
		return -1;
	size_t from = w->wclaim, to = n - from > WRITER_CHUNK ? from + WRITER_CHUNK : n;
	if (to - from > w->budget - open)
		to = from + (w->budget - open);
	if (to > (size_t)WBLOCK * WBLOCKS) {
		if (!w->err)
			w->err = xstrdup("too many generated files for one build");
		return -1;
	}
	for (size_t i = from; i < to; i++) {
		if (!w->blocks[i / WBLOCK])
			w->blocks[i / WBLOCK] = xcalloc(WBLOCK, sizeof(struct wfile));
		struct output *o = &w->out->v[i];
		int stage = o->once ? -1 : stageof(w, o->path);
		*wfile(w, i) = (struct wfile){.path = o->path, .node = o->node, .hash = o->hash, .stage = stage,
					      .fd = -1, .once = o->once};
		if (stage >= 0)
			w->roots[stage].used = true;
		jobs[i - from] = (struct wjob){o->data, o->len, o->fd, o->err};
		o->fd = -1; /* the writer's now */
	}
	*c = (struct wchunk){from, to, from, false, true, false};
	w->wclaim = to;
	return k;
}

/* a chunk is done: move the counters over every finished chunk in order */
static void
finished(struct writer *w)
{
	for (bool moved = true; moved;) {
		moved = false;
		for (size_t k = 0; k < LEN(w->flight); k++) {
			struct wchunk *c = &w->flight[k];
			size_t *at = c->naming ? &w->named : &w->written;
			if (!c->used || !c->done || c->from != *at)
				continue;
			*at = c->end; /* short of to when it failed: nothing after moves */
			c->used = false;
			moved = true;
		}
	}
}

/* Do one chunk of work, as worker 0 (the writer thread) or 1 (the thread
 * adding outputs). Called with the lock held, returns with it held; false
 * when there was no work to take */
static bool
work(struct writer *w, int worker)
{
	struct wjob *jobs = w->jobs[worker];
	int k = w->err || w->quit ? -1 : claim(w, jobs);
	if (k < 0)
		return false;
	struct wchunk c = w->flight[k];
	pthread_mutex_unlock(&w->lock);
	char *err = NULL;
	size_t i = c.from;
	if (c.naming) {
		while (i < c.to && namefile(w, wfile(w, i), &err) == 0)
			i++;
	} else {
		while (i < c.to && writefile(w, wfile(w, i), &jobs[i - c.from], &err) == 0)
			i++;
	}
	pthread_mutex_lock(&w->lock);
	if (err && !w->err)
		w->err = err;
	else
		free(err);
	if (!c.naming) {
		/* written: the bytes need not stay in memory */
		for (size_t j = c.from; j < i; j++) {
			struct output *o = &w->out->v[j];
			if (o->data)
				w->backlog -= o->len;
			if (!o->mapped) {
				free(o->data);
				o->data = NULL;
			}
		}
		/* not reached: a streamed output keeps its file */
		for (size_t j = i + 1; j < c.to; j++)
			w->out->v[j].fd = jobs[j - c.from].fd;
		pthread_cond_signal(&w->ask);
	}
	w->flight[k].end = i;
	w->flight[k].done = true;
	finished(w);
	pthread_cond_broadcast(&w->wake);
	return true;
}

/* the pending records of files[from, to), in the open transaction */
static void
recordfiles(struct writer *w, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct wfile *f = wfile(w, i);
		if (f->once)
			continue;
		/* with its stamp: once the names are durable, clearing the
		 * pending hash makes it the final record (plan_record) */
		struct state_output o = {.path = (char *)f->path, .node = (char *)f->node, .hash = f->hash,
					 .pending = f->hash, .has_pending = true, .st = f->st};
		state_put_output(w->st, &o);
	}
}

static void *
writeloop(void *arg)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!w->quit && !w->err) {
		if (work(w, 0))
			continue;
		if (w->done && w->named == w->out->n)
			break;
		w->idle = true;
		pthread_cond_wait(&w->wake, &w->lock);
		w->idle = false;
	}
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* The sync thread: the pending records of what is written, in one
 * transaction until writer_go commits it (a compilation that fails rolls
 * it back); from then on, a commit and a syncfs, which makes the records
 * and the bytes before them durable, again and again while there is
 * something new. Nothing is synced before go: a failed compilation drops
 * its files, which is cheap while their blocks are not yet allocated (on a
 * file system mounted with discard, freeing blocks waits for the disk). */
static void *
syncloop(void *arg)
{
	struct writer *w = arg;
	bool open = false; /* a transaction is open */
	pthread_mutex_lock(&w->lock);
	while (!w->quit && !w->err) {
		if (w->recorded == w->written && (!w->go || (w->durable == w->recorded && !w->in))) {
			pthread_cond_wait(&w->ask, &w->lock);
			continue;
		}
		size_t from = w->recorded, to = w->written;
		bool go = w->go;
		struct state_input *in = go ? w->in : NULL;
		size_t nin = w->nin;
		if (go)
			w->in = NULL;
		pthread_mutex_unlock(&w->lock);
		int rc = 0;
		if (!open && (rc = state_begin(w->st)) == 0)
			open = true;
		if (rc == 0) {
			recordfiles(w, from, to);
			if (in) /* the inputs, known at go: plan_record leaves them */
				state_sync_inputs(w->st, in, nin);
		}
		state_inputs_free(in, nin); /* recorded: not needed again */
		if (rc == 0 && go) {
			rc = state_commit(w->st);
			open = false;
			if (rc == 0 && w->sync)
				syncfs(w->tmpfd); /* cheaper than an fsync per file, same guarantee */
		}
		pthread_mutex_lock(&w->lock);
		if (rc != 0) {
			if (!w->err)
				w->err = xstrdup("cannot write the state DB");
			break;
		}
		w->recorded = to;
		if (go)
			w->durable = to;
		pthread_cond_broadcast(&w->wake);
	}
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	if (open)
		state_rollback(w->st); /* stopped before go: nothing is recorded */
	return NULL;
}

static int
writer_stream(void *arg, const char *path)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	bool go = w->go;
	int stage = stageof(w, path);
	if (stage >= 0)
		w->roots[stage].used = true;
	pthread_mutex_unlock(&w->lock);
	if (!go)
		return -1; /* no folder may appear before the compilation is good */
	const char *base;
	if (stage >= 0)
		return openstaged(w, path, stage, true);
	char *dir = dirof(path, &base);
	int dfd = opendir_beneath(w->rootfd, dir);
	free(dir);
	int fd = dfd >= 0 ? openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0666) : -1;
	if (dfd >= 0)
		close(dfd);
	return fd;
}

/* an output was added (under the lock): wake the writer, and with too
 * many bytes in memory, help it instead of waiting */
static void
writer_added(void *arg)
{
	struct writer *w = arg;
	const struct output *o = &w->out->v[w->out->n - 1];
	if (o->data)
		w->backlog += o->len;
	if (w->idle && w->out->n - w->written >= 32)
		pthread_cond_signal(&w->wake);
	while (w->backlog > WRITER_MAX_BACKLOG && !w->err && !w->quit)
		if (!work(w, 1))
			pthread_cond_wait(&w->wake, &w->lock);
}

bool
fresh_tree(struct state *st, int rootfd, const char *const roots[3], const char *agents)
{
	if (st->noutputs)
		return false;
	/* the CI workflows and AGENTS.md live outside the layout roots: a file
	 * there may be the user's, which only the ordinary build tells (as
	 * drift, or a file it leaves alone) */
	for (size_t i = 0; i < 3 + emit_nfixed + 1; i++) {
		const char *path = i < 3 ? roots[i] : i < 3 + emit_nfixed ? emit_fixed[i - 3] : agents;
		if (!path)
			continue;
		int fd = open_beneath(rootfd, path, O_RDONLY | O_PATH, 0);
		if (fd >= 0)
			close(fd);
		if (fd >= 0 || errno != ENOENT)
			return false;
	}
	return true;
}

/* unnamed files open at once: within the open-file limit */
static size_t
fdbudget(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 4096 + WRITER_FD_RESERVE)
		return 4096;
	return rl.rlim_cur > 2 * WRITER_FD_RESERVE ? (size_t)rl.rlim_cur - WRITER_FD_RESERVE
		: rl.rlim_cur > 32 ? (size_t)rl.rlim_cur / 2 : 16;
}

static void
writer_free(struct writer *w)
{
	for (size_t i = 0; i < w->wclaim; i++)
		closefile(w, wfile(w, i));
	for (size_t i = 0; i < WBLOCKS && w->blocks[i]; i++)
		free(w->blocks[i]);
	for (size_t i = 0; i < w->ndirfds; i++)
		close(w->dirfds[i]);
	/* staged roots not put in place (a failure) stay: deleting thousands of
	 * files costs more than writing them, and the next fresh build writes
	 * over them */
	free(w->dirfds);
	free(w->jobs[0]);
	free(w->jobs[1]);
	free(w->err);
	state_inputs_free(w->in, w->nin); /* not recorded: the build failed */
	close(w->tmpfd);
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->dirlock);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->ask);
	strmap_free(&w->dirs);
	strmap_free(&w->sdirs);
	strmap_free(&w->devs);
	arena_free(&w->a);
	free(w);
}

/* stop both threads: at once (quit), or once everything is named */
static void
writer_stop(struct writer *w, bool quit)
{
	struct outset *out = w->out;
	pthread_mutex_lock(&w->lock);
	w->done = true;
	w->quit |= quit;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->th, NULL);
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_cond_signal(&w->ask);
	pthread_mutex_unlock(&w->lock);
	if (w->syncing)
		pthread_join(w->syncth, NULL);
	out->lock = NULL;
	out->added = NULL;
	out->open_stream = NULL;
	out->arg = NULL;
}

struct writer *
writer_start(struct outset *out, struct state *st, int rootfd, const char *const roots[3], char **err)
{
	struct writer *w = xcalloc(1, sizeof(*w));
	w->out = out;
	w->st = st;
	w->rootfd = rootfd;
	w->sync = !getenv("DPC_NO_SYNC");
	w->tmpfile_ok = true;
	struct stat sb;
	w->tmpfd = opentmp(rootfd, true, err);
	if (w->tmpfd < 0 || fstat(w->tmpfd, &sb) != 0) {
		if (w->tmpfd >= 0) {
			*err = xasprintf("cannot look at .dpc/tmp: %s", strerror(errno));
			close(w->tmpfd);
		}
		free(w);
		return NULL;
	}
	w->tmpdev = sb.st_dev;
	w->budget = fdbudget();
	w->jobs[0] = xreallocarray(NULL, WRITER_CHUNK, sizeof(struct wjob));
	w->jobs[1] = xreallocarray(NULL, WRITER_CHUNK, sizeof(struct wjob));
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->dirlock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->ask, NULL);
	/* the roots, each built in .dpc/tmp when both are on one file system
	 * (a root inside another is part of that one's copy) */
	for (size_t i = 0; i < 3; i++) {
		if (!roots[i] || !*roots[i])
			continue;
		bool inside = false;
		for (size_t j = 0; j < 3; j++) {
			size_t lj = roots[j] ? strlen(roots[j]) : 0;
			inside |= j != i && lj && strncmp(roots[i], roots[j], lj) == 0 &&
				  (roots[i][lj] == '/' || (roots[i][lj] == '\0' && j < i));
		}
		if (inside)
			continue;
		char name[32];
		snprintf(name, sizeof(name), "stage%zu", w->nroots);
		w->roots[w->nroots++] = (struct wroot){.path = arena_strdup(&w->a, roots[i]), .len = strlen(roots[i]),
						       .staged = samefs(w, roots[i]),
						       .stale = fstatat(w->tmpfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0};
	}
	/* the model files, made during the graph, go under the dbt root */
	if (roots[0]) {
		char *probe = xasprintf("%s/models", roots[0]);
		w->early_ok = stageof(w, probe) >= 0;
		free(probe);
	}
	if (pthread_create(&w->th, NULL, writeloop, w) != 0) {
		*err = xstrdup("cannot start a thread");
		writer_free(w);
		return NULL;
	}
	if (pthread_create(&w->syncth, NULL, syncloop, w) != 0) {
		*err = xstrdup("cannot start a thread");
		writer_stop(w, true);
		writer_free(w);
		return NULL;
	}
	w->syncing = true;
	out->lock = &w->lock;
	out->added = writer_added;
	out->open_stream = writer_stream;
	out->arg = w;
	return w;
}

bool
writer_early(struct writer *w)
{
	pthread_mutex_lock(&w->lock);
	bool ok = w->early_ok && !w->go && !w->err;
	pthread_mutex_unlock(&w->lock);
	return ok;
}

void
writer_go(struct writer *w, struct state_input *in, size_t nin)
{
	pthread_mutex_lock(&w->lock);
	w->go = true;
	w->in = in;
	w->nin = nin;
	pthread_cond_broadcast(&w->wake);
	pthread_cond_signal(&w->ask);
	pthread_mutex_unlock(&w->lock);
}

void
writer_abort(struct writer *w)
{
	writer_stop(w, true);
	writer_free(w); /* the unnamed files go; the staged roots wait for the next build */
}

static int
cmpstep(const void *a, const void *b)
{
	return strcmp(((const struct step *)a)->path, ((const struct step *)b)->path);
}

/* rename each staged root into place, its parent folder made first; a
 * stale one is first rid of what this build did not write */
static int
placeroots(struct writer *w, char **err)
{
	struct strmap written = {0};
	for (size_t k = 0; k < w->nroots && !written.n; k++)
		if (w->roots[k].used && w->roots[k].stale)
			for (size_t i = 0; i < w->out->n; i++)
				strmap_put(&written, w->out->v[i].path, (void *)1);
	for (size_t k = 0; k < w->nroots; k++) {
		struct wroot *r = &w->roots[k];
		char name[32];
		snprintf(name, sizeof(name), "stage%zu", k);
		if (r->stale && r->used) {
			int dfd = openat(w->tmpfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (dfd >= 0) {
				struct buf b = {0};
				buf_puts(&b, r->path);
				sweep(dfd, &b, &written);
				buf_free(&b);
				close(dfd);
			}
		} else if (r->stale) {
			rmtree(w->tmpfd, name); /* a stale copy of a root this build has nothing in */
		}
		if (!r->used)
			continue;
		const char *base;
		char *dir = dirof(r->path, &base);
		int dfd = folderfd(w, false, dir);
		free(dir);
		int rc = dfd < 0 ? -1 : renameat2(w->tmpfd, name, dfd, base, RENAME_NOREPLACE);
		if (rc != 0 && dfd >= 0 && errno == EINVAL) /* a file system without it */
			rc = renameat(w->tmpfd, name, dfd, base);
		if (rc != 0) {
			*err = xasprintf("cannot write %s: %s%s", r->path, strerror(errno),
					 errno == EEXIST || errno == ENOTEMPTY ? " (it appeared during the build)" : "");
			strmap_free(&written);
			return -1;
		}
	}
	strmap_free(&written);
	return 0;
}

int
writer_finish(struct writer *w, struct plan *p, char **err)
{
	/* help the writer until every file is durable and named (or staged) */
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_broadcast(&w->wake);
	pthread_cond_signal(&w->ask);
	while (!w->err && !w->quit && w->named < w->out->n)
		if (!work(w, 1))
			pthread_cond_wait(&w->wake, &w->lock);
	pthread_mutex_unlock(&w->lock);
	writer_stop(w, false);
	if (!w->err && placeroots(w, &w->err) == 0 && w->sync)
		syncfs(w->tmpfd); /* the names, durable before the records vouch for them */
	struct outset *out = w->out;
	/* the plan of what was done: every file added */
	for (size_t i = 0; i < out->n; i++) {
		const struct wfile *f = i < w->named ? wfile(w, i) : NULL;
		bool placed = f && f->placed && !w->err;
		if (out->v[i].once && !placed)
			continue; /* there already: left alone */
		struct step *s = plan_add(p, A_ADD, out->v[i].path, out->v[i].node,
					  xstrdup(out->v[i].once ? "missing (written once, then yours)" : "missing"));
		s->out = &out->v[i];
		s->written = placed ? f->st : (struct fstamp){0};
		s->recorded = placed && !out->v[i].once && !f->moved;
	}
	p->settle = true;
	p->inputs_recorded = true; /* p->inhash is the caller's */
	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), cmpstep);
	int rc = 0;
	if (w->err) {
		*err = w->err;
		w->err = NULL;
		rc = -1;
	}
	writer_free(w);
	return rc;
}
