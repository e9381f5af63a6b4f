/* analyze.c: `dpc analyze` (see analyze.h). Walks the tree, hands its files
 * to workers (one per thread, each with its own arena, warnings and Python
 * parser), then puts what they found into one graph and prints it.
 *
 * The walk opens every folder with openat and reads it with fdopendir. It
 * never follows a symbolic link to a folder: a link inside the tree only
 * repeats what the walk reaches anyway, one leading out of the tree is not
 * analyzed, and one pointing back at a folder above it is a loop; the last
 * two are warnings. Folders entered are kept by device and inode, so a loop
 * made some other way (a bind mount) is caught too. It skips hidden folders
 * (.git, .venv, .dpc, ...), node_modules, __pycache__, target, dbt_packages,
 * virtualenvs (a folder holding pyvenv.cfg), and dpc's own output: data/
 * beside a pipeline.yaml, or holding assets/registry.json. (Old dbt projects
 * keep seeds in a data/ folder, so data/ alone is not skipped.)
 *
 * Determinism: the walk sorts each folder, jobs are in path order, and the
 * graph and the warnings are sorted before printing, so the output does not
 * depend on the number of threads or on which thread did what. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "analyze_int.h"
#include "compile.h"

/* ---- small helpers ---- */

void
an_lines_init(struct an_lines *l, const char *text, size_t len)
{
	*l = (struct an_lines){.text = text, .len = len};
}

struct an_at
an_place(struct an_lines *l, const char *file, size_t off)
{
	if (!l->starts) {
		size_t cap = 64;
		l->starts = xreallocarray(NULL, cap, sizeof(*l->starts));
		l->starts[l->n++] = 0;
		for (const char *p = l->text, *e = l->text + l->len; (p = memchr(p, '\n', (size_t)(e - p)));) {
			p++;
			VEC_PUSH(l->starts, l->n, cap);
			l->starts[l->n++] = (uint32_t)(p - l->text);
		}
	}
	if (off > l->len)
		off = l->len;
	size_t lo = 0, hi = l->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	unsigned col = 1;
	for (size_t i = l->starts[lo]; i < off; i++)
		col += ((unsigned char)l->text[i] & 0xC0) != 0x80; /* characters, as diag.c counts */
	return (struct an_at){file, (uint32_t)off, (unsigned)lo + 1, col};
}

void
an_lines_free(struct an_lines *l)
{
	free(l->starts);
	*l = (struct an_lines){0};
}

bool
an_ident(const char *s)
{
	return s && is_ident(s) && strlen(s) <= 63;
}

void
an_wwarn(struct an_worker *w, const char *path, uint32_t off, uint32_t len, const char *fmt, ...)
{
	int32_t f = diag_file(&w->d, path, NULL, 0);
	struct buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	diag_add(&w->d, SEV_WARNING, (struct loc){f, off, len ? len : 1}, "%s", b.data);
	buf_free(&b);
}

void
an_warn(struct analysis *an, struct an_at at, const char *fmt, ...)
{
	struct loc loc = NOLOC;
	if (at.file)
		loc = (struct loc){diag_file(&an->d, at.file, NULL, 0), at.off, 1};
	struct buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	diag_add(&an->d, SEV_WARNING, loc, "%s", b.data);
	buf_free(&b);
}

/* ---- the graph ---- */

const char *
an_find(struct analysis *an, const char *kind, const char *name)
{
	char *id = xasprintf("%s:%s", kind, name);
	uintptr_t i = (uintptr_t)strmap_get(&an->byid, id);
	free(id);
	return i ? an->nodes[i - 1].id : NULL;
}

const char *
an_node(struct analysis *an, const char *kind, const char *name, struct an_at at, const char *group,
	const char *detail)
{
	const char *id = arena_printf(&an->a, "%s:%s", kind, name);
	if (strmap_get(&an->byid, id)) {
		uintptr_t first = (uintptr_t)strmap_get(&an->byid, id);
		const struct an_node *o = &an->nodes[first - 1];
		an_warn(an, at, "%s '%s' is defined twice (first in %s:%u); this one is '%s@%s'",
			kind, name, o->file ? o->file : "?", o->line, name, at.file ? at.file : "?");
		id = arena_printf(&an->a, "%s:%s@%s", kind, name, at.file ? at.file : "?");
		for (int k = 2; strmap_get(&an->byid, id); k++)
			id = arena_printf(&an->a, "%s:%s@%s#%d", kind, name, at.file ? at.file : "?", k);
	}
	VEC_PUSH(an->nodes, an->nnodes, an->capnodes);
	an->nodes[an->nnodes] = (struct an_node){id, kind, name, at.file, at.line, at.col, group, detail, NULL, 0};
	strmap_put(&an->byid, id, (void *)(uintptr_t)(an->nnodes + 1));
	an->nnodes++;
	return id;
}

void
an_columns(struct analysis *an, const char *id, const struct an_col *cols, size_t n)
{
	uintptr_t i = (uintptr_t)strmap_get(&an->byid, id);
	if (i)
		an->nodes[i - 1].cols = cols, an->nodes[i - 1].ncols = n;
}

const char *
an_external(struct analysis *an, const char *name)
{
	const char *id = an_find(an, "external", name);
	return id ? id : an_node(an, "external", name, (struct an_at){0}, NULL, NULL);
}

void
an_edge(struct analysis *an, const char *from, const char *to, const char *kind, struct an_at at)
{
	VEC_PUSH(an->edges, an->nedges, an->capedges);
	an->edges[an->nedges++] = (struct an_edge){from, to, kind, at};
}

static int
cmpnode(const void *a, const void *b)
{
	return strcmp(((const struct an_node *)a)->id, ((const struct an_node *)b)->id);
}

static int
cmpedge(const void *pa, const void *pb)
{
	const struct an_edge *a = pa, *b = pb;
	int c = strcmp(a->from, b->from);
	if (!c)
		c = strcmp(a->to, b->to);
	if (!c)
		c = strcmp(a->kind, b->kind);
	return c;
}

/* sort nodes and edges; drop repeated edges (a model that refs another twice) */
static void
sortgraph(struct analysis *an)
{
	if (an->nnodes > 1) /* qsort wants a non-NULL array even when empty */
		qsort(an->nodes, an->nnodes, sizeof(*an->nodes), cmpnode);
	strmap_free(&an->byid);
	for (size_t i = 0; i < an->nnodes; i++)
		strmap_put(&an->byid, an->nodes[i].id, (void *)(uintptr_t)(i + 1));
	if (an->nedges > 1)
		qsort(an->edges, an->nedges, sizeof(*an->edges), cmpedge);
	size_t n = 0;
	for (size_t i = 0; i < an->nedges; i++)
		if (!n || cmpedge(&an->edges[n - 1], &an->edges[i]) != 0)
			an->edges[n++] = an->edges[i];
	an->nedges = n;
}

/* ---- the walk ---- */

struct walk {
	struct analysis *an;
	struct strmap seen;         /* "dev:ino" of every folder entered */
	struct ancestor {
		dev_t dev;
		ino_t ino;
		const char *path;
	} *stack;
	size_t depth, cap;
	char *rootreal;             /* the root's real path, for links leading out */
	const char **files;         /* relative paths of files worth a look */
	size_t nfiles, capfiles;
};

struct entry {
	const char *name;
	unsigned char type;
};

static int
cmpentry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static bool
hasext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);
	return n > e && strcmp(name + n - e, ext) == 0;
}

static bool
wanted(const char *name)
{
	static const char *const exts[] = {".sql", ".py", ".yml", ".yaml", ".csv"};
	for (size_t i = 0; i < LEN(exts); i++)
		if (hasext(name, exts[i]))
			return true;
	return false;
}

static bool
skipdir(const char *name, bool hasspec)
{
	static const char *const names[] = {"node_modules", "__pycache__", "target", "dbt_packages",
					    "dbt_modules", "venv", "site-packages"};
	if (name[0] == '.')
		return true;
	if (hasspec && strcmp(name, "data") == 0)
		return true; /* dpc's output beside its spec */
	for (size_t i = 0; i < LEN(names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static const char *
seenkey(struct walk *w, const struct stat *st)
{
	return arena_printf(&w->an->a, "%llx:%llx", (unsigned long long)st->st_dev,
			    (unsigned long long)st->st_ino);
}

static void walkdir(struct walk *w, int fd, const char *rel);

/* a symbolic link: only a warning when it loops or leads out of the tree */
static void
walklink(struct walk *w, int dfd, const char *name, const char *rel)
{
	struct analysis *an = w->an;
	struct an_at at = {rel, 0, 0, 0};
	struct stat st;
	if (fstatat(dfd, name, &st, 0) != 0) {
		if (errno == ELOOP)
			an_warn(an, at, "symbolic link loop; not followed");
		else if (wanted(name))
			an_warn(an, at, "broken symbolic link: %s", strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && wanted(name)))
		return;
	if (S_ISDIR(st.st_mode))
		for (size_t i = 0; i < w->depth; i++)
			if (w->stack[i].dev == st.st_dev && w->stack[i].ino == st.st_ino) {
				an_warn(an, at, "symbolic link loop: it points back to %s; not followed",
					*w->stack[i].path ? w->stack[i].path : "the analyzed folder");
				return;
			}
	char *full = xasprintf("%s/%s", an->root, rel);
	char *real = realpath(full, NULL);
	size_t n = strlen(w->rootreal);
	bool inside = real && strncmp(real, w->rootreal, n) == 0 &&
		      (real[n] == '/' || real[n] == '\0' || (n == 1 && w->rootreal[0] == '/'));
	if (!inside)
		an_warn(an, at, "symbolic link leads out of the analyzed folder (to %s); not followed",
			real ? real : "?");
	/* inside: the walk reaches its target at its own place */
	free(real);
	free(full);
}

static void
walkdir(struct walk *w, int fd, const char *rel)
{
	struct analysis *an = w->an;
	DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	struct entry *v = NULL;
	size_t n = 0, cap = 0;
	bool hasspec = false;
	for (struct dirent *e; (e = readdir(dir));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		hasspec |= strcmp(e->d_name, "pipeline.yaml") == 0;
		VEC_PUSH(v, n, cap);
		v[n++] = (struct entry){arena_strdup(&an->a, e->d_name), e->d_type};
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmpentry);
	int dfd = dirfd(dir);
	for (size_t i = 0; i < n; i++) {
		const char *name = v[i].name;
		unsigned char type = v[i].type;
		struct stat st;
		if (type == DT_UNKNOWN) {
			if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		}
		if (type == DT_DIR && skipdir(name, hasspec))
			continue;
		if (type != DT_DIR && type != DT_LNK && !(type == DT_REG && wanted(name)))
			continue;
		const char *crel = *rel ? arena_printf(&an->a, "%s/%s", rel, name) : name;
		if (type == DT_LNK) {
			walklink(w, dfd, name, crel);
			continue;
		}
		if (type == DT_REG) {
			VEC_PUSH(w->files, w->nfiles, w->capfiles);
			w->files[w->nfiles++] = crel;
			continue;
		}
		int cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			an_warn(an, (struct an_at){crel, 0, 0, 0}, "cannot read folder: %s", strerror(errno));
			continue;
		}
		/* a virtualenv; dpc's output (its registry) wherever the spec is */
		if (fstat(cfd, &st) != 0 || faccessat(cfd, "pyvenv.cfg", F_OK, 0) == 0 ||
		    (strcmp(name, "data") == 0 && faccessat(cfd, "assets/registry.json", F_OK, 0) == 0)) {
			close(cfd);
			continue;
		}
		if (strmap_put(&w->seen, seenkey(w, &st), (void *)1)) {
			an_warn(an, (struct an_at){crel, 0, 0, 0}, "folder seen before (a loop); not analyzed again");
			close(cfd);
			continue;
		}
		if (w->depth >= 256) {
			an_warn(an, (struct an_at){crel, 0, 0, 0}, "folders nested too deep; not analyzed");
			close(cfd);
			continue;
		}
		VEC_PUSH(w->stack, w->depth, w->cap);
		w->stack[w->depth++] = (struct ancestor){st.st_dev, st.st_ino, crel};
		walkdir(w, cfd, crel);
		w->depth--;
	}
	free(v);
	closedir(dir);
}

/* ---- jobs ---- */

static int
jobrank(enum an_jobkind k)
{
	/* the costly ones first, so the threads finish together */
	return k == J_PY ? 0 : k == J_MIGRATIONS ? 1 : 2;
}

static int
cmpjob(const void *pa, const void *pb)
{
	const struct an_job *a = pa, *b = pb;
	int ra = jobrank(a->kind), rb = jobrank(b->kind);
	if (ra != rb)
		return ra - rb;
	return strcmp(a->path, b->path);
}

/* does path lie under dir ("" is the root)? the rest of it, or NULL */
static const char *
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (!n)
		return path;
	return strncmp(path, dir, n) == 0 && path[n] == '/' ? path + n + 1 : NULL;
}

static const char *
underany(const char *path, const char *const *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *r = under(path, dirs[i]);
		if (r)
			return r;
	}
	return NULL;
}

static void
addjob(struct analysis *an, size_t *cap, struct an_job j)
{
	VEC_PUSH(an->jobs, an->njobs, *cap);
	an->jobs[an->njobs++] = j;
}

static char *
readall(int fd, size_t size, size_t *len)
{
	char *p = xmalloc(size + 1);
	size_t n = 0;
	for (;;) {
		if (n == size) {
			size = size ? size * 2 : 4096;
			p = xreallocarray(p, size + 1, 1);
		}
		ssize_t r = read(fd, p + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(p);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > ANALYZE_MAX_BYTES) {
			free(p);
			errno = EFBIG;
			return NULL;
		}
	}
	p[n] = '\0';
	*len = n;
	return p;
}

/* read a file of the tree, or warn and return NULL */
static char *
readfile(struct analysis *an, struct an_worker *w, const char *path, size_t *len)
{
	/* a file named on the command line may be a link; the walk adds none */
	int fd = openat(an->rootfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (an->one_file ? 0 : O_NOFOLLOW));
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		an_wwarn(w, path, 0, 1, "cannot read: %s", strerror(e));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	if ((size_t)st.st_size > ANALYZE_MAX_BYTES) {
		/* keep its first line, so that the warning has a place without
		 * reading the whole file again when it is printed */
		char head[256];
		ssize_t r = read(fd, head, sizeof(head));
		size_t hn = r > 0 ? (size_t)r : 0;
		char *nl = memchr(head, '\n', hn);
		if (nl)
			hn = (size_t)(nl - head);
		close(fd);
		diag_file(&w->d, path, xstrndup(head, hn), hn);
		an_wwarn(w, path, 0, 1, "file of %lld bytes is larger than %zu MiB; not analyzed",
			 (long long)st.st_size, ANALYZE_MAX_BYTES >> 20);
		return NULL;
	}
	char *text = readall(fd, (size_t)st.st_size, len);
	int e = errno;
	close(fd);
	if (!text) {
		an_wwarn(w, path, 0, 1, "cannot read: %s", strerror(e));
		return NULL;
	}
	w->nread++;
	if (memchr(text, '\0', *len)) {
		an_wwarn(w, path, 0, 1, "binary file (it holds NUL bytes); not analyzed");
		free(text);
		return NULL;
	}
	return text;
}

static void
migrations_job(struct an_worker *w, struct an_job *j)
{
	struct an_migres *r = arena_alloc(&w->a, sizeof(*r));
	r->m = pg_model_new();
	for (size_t i = 0; i < j->nfiles; i++) {
		size_t len;
		char *text = readfile(w->an, w, j->files[i], &len);
		if (!text)
			continue;
		struct pg_file f = {j->files[i], text, len, -1, false};
		pgschema_read(r->m, &w->d, &f);
		free(text);
	}
	j->res = r;
}

static void
dojob(struct an_worker *w, struct an_job *j)
{
	if (j->kind == J_MIGRATIONS) {
		migrations_job(w, j);
		return;
	}
	size_t len;
	char *text = readfile(w->an, w, j->path, &len);
	if (!text)
		return;
	switch (j->kind) {
	case J_PY:
		py_job(w, j, text, len);
		break;
	case J_SCRIPT:
		script_job(w, j, text, len);
		break;
	case J_MODEL:
	case J_STEST:
	case J_PROPS:
	case J_SEED:
		dbt_job(w, j, text, len);
		break;
	case J_MIGRATIONS:
		break;
	}
	free(text);
}

struct pool {
	struct analysis *an;
	atomic_size_t next;
};

struct worker_arg {
	struct pool *pool;
	struct an_worker *w;
};

static void *
work(void *arg)
{
	struct worker_arg *a = arg;
	struct analysis *an = a->pool->an;
	for (;;) {
		size_t i = atomic_fetch_add(&a->pool->next, 1);
		if (i >= an->njobs)
			break;
		dojob(a->w, &an->jobs[i]);
	}
	return NULL;
}

static void
runjobs(struct analysis *an, int threads)
{
	if (threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n < 1 ? 1 : n > 4 ? 4 : (int)n;
	}
	if (an->njobs < 16)
		threads = 1;
	an->nworkers = (size_t)threads;
	an->workers = xcalloc(an->nworkers, sizeof(*an->workers));
	struct pool pool = {an, 0};
	struct worker_arg *args = xcalloc(an->nworkers, sizeof(*args));
	pthread_t *tids = xcalloc(an->nworkers, sizeof(*tids));
	bool *started = xcalloc(an->nworkers, sizeof(*started));
	for (size_t i = 0; i < an->nworkers; i++) {
		an->workers[i].an = an;
		an->workers[i].d.root = an->d.root;
		args[i] = (struct worker_arg){&pool, &an->workers[i]};
	}
	for (size_t i = 1; i < an->nworkers; i++)
		started[i] = pthread_create(&tids[i], NULL, work, &args[i]) == 0;
	work(&args[0]);
	for (size_t i = 1; i < an->nworkers; i++)
		if (started[i])
			pthread_join(tids[i], NULL);
	/* a thread that could not start left its share to the others */
	for (size_t i = 0; i < an->nworkers; i++)
		an->nread += an->workers[i].nread;
	free(started);
	free(tids);
	free(args);
}

void
an_mergediags(struct analysis *an, struct diags *from)
{
	for (size_t i = 0; i < from->n; i++) {
		const struct diag *g = &from->v[i];
		if (g->sev == SEV_NOTE)
			continue;
		struct loc loc = g->loc;
		if (loc.file >= 0) {
			struct srcfile *f = &from->files[loc.file];
			loc.file = diag_file(&an->d, f->path, f->text, f->len);
			f->text = NULL;
		}
		struct diag *ng = diag_add(&an->d, SEV_WARNING, loc, "%s", g->msg);
		diag_hint(ng, g->hint);
	}
}

static int
cmpsrc(const void *a, const void *b)
{
	const struct srcfile *x = *(const struct srcfile *const *)a, *y = *(const struct srcfile *const *)b;
	return strcmp(x->path, y->path);
}

void
an_sortdiags(struct analysis *an)
{
	struct diags *d = &an->d;
	const struct srcfile **v = xreallocarray(NULL, d->nfiles + 1, sizeof(*v));
	for (size_t i = 0; i < d->nfiles; i++)
		v[i] = &d->files[i];
	qsort(v, d->nfiles, sizeof(*v), cmpsrc);
	int32_t *map = xreallocarray(NULL, d->nfiles + 1, sizeof(*map));
	struct srcfile *files = xreallocarray(NULL, d->nfiles + 1, sizeof(*files));
	for (size_t i = 0; i < d->nfiles; i++) {
		map[v[i] - d->files] = (int32_t)i;
		files[i] = *v[i];
	}
	strmap_free(&d->index);
	for (size_t i = 0; i < d->nfiles; i++)
		strmap_put(&d->index, files[i].path, (void *)(uintptr_t)(i + 1));
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].loc.file >= 0)
			d->v[i].loc.file = map[d->v[i].loc.file];
		if (d->v[i].note_loc.file >= 0)
			d->v[i].note_loc.file = map[d->v[i].note_loc.file];
	}
	free(d->files);
	d->files = files;
	d->capfiles = d->nfiles;
	free(map);
	free(v);
	diag_sort(d);
}

/* ---- from the workers' results to the graph ---- */

static void
airflow_graph(struct analysis *an, struct an_job *j, struct an_pyres *r)
{
	for (size_t k = 0; k < r->af.ndags; k++) {
		const struct af_dag *dag = &r->af.dags[k];
		struct an_at at = {j->path, dag->off, dag->line, dag->col};
		const char *did = an_node(an, "airflow_dag", dag->dag_id, at, NULL, dag->schedule);
		const char *dagname = did + strlen("airflow_dag:");
		const char **ids = xreallocarray(NULL, dag->ntasks + 1, sizeof(*ids));
		for (size_t t = 0; t < dag->ntasks; t++) {
			const struct af_task *task = &dag->tasks[t];
			struct an_at tat = {j->path, task->off, task->line, task->col};
			ids[t] = an_node(an, "airflow_task", arena_printf(&an->a, "%s.%s", dagname, task->id), tat,
					 dagname, task->operator);
		}
		for (size_t e = 0; e < dag->nedges; e++) {
			const struct af_edge *ed = &dag->edges[e];
			if (ed->up < dag->ntasks && ed->down < dag->ntasks)
				an_edge(an, ids[ed->up], ids[ed->down], "airflow", (struct an_at){j->path, 0, 0, 0});
		}
		free(ids);
	}
}

/* an asset, model, seed, resource or table of that name */
static const char *
assetlike(struct analysis *an, const char *name, struct strmap *byfunc)
{
	static const char *const kinds[] = {"dagster_asset", "dbt_model", "dbt_seed", "dlt_resource",
					    "sql_table", "supabase_table"};
	const char *id;
	for (size_t i = 0; i < LEN(kinds); i++)
		if ((id = an_find(an, kinds[i], name)))
			return id;
	return byfunc ? strmap_get(byfunc, name) : NULL;
}

static void
python_graph(struct analysis *an)
{
	struct strmap byfunc = {0}; /* a Dagster asset's function name → its id */
	const char **assetids = NULL;
	size_t nassets = 0, cap = 0;
	for (size_t i = 0; i < an->njobs; i++) {
		struct an_job *j = &an->jobs[i];
		struct an_pyres *r = j->res;
		if (j->kind != J_PY || !r)
			continue;
		if (r->has_af)
			airflow_graph(an, j, r);
		for (size_t k = 0; k < r->nassets; k++) {
			const struct an_asset *a = &r->assets[k];
			VEC_PUSH(assetids, nassets, cap);
			assetids[nassets] = an_node(an, "dagster_asset", a->name, a->at, a->group, NULL);
			if (!strmap_get(&byfunc, a->function))
				strmap_put(&byfunc, a->function, (void *)assetids[nassets]);
			nassets++;
		}
		const char **ids = xreallocarray(NULL, r->ndlt + 1, sizeof(*ids));
		for (size_t k = 0; k < r->ndlt; k++)
			ids[k] = an_node(an, r->dlt[k].kind, r->dlt[k].name, r->dlt[k].at, NULL, r->dlt[k].detail);
		for (size_t k = 0; k < r->nlinks; k++)
			an_edge(an, ids[r->links[k].from], ids[r->links[k].to], r->links[k].kind, r->links[k].at);
		free(ids);
	}
	/* Dagster dependencies, once every asset is known */
	size_t n = 0;
	for (size_t i = 0; i < an->njobs; i++) {
		struct an_job *j = &an->jobs[i];
		struct an_pyres *r = j->res;
		if (j->kind != J_PY || !r)
			continue;
		for (size_t k = 0; k < r->nassets; k++, n++) {
			const struct an_asset *a = &r->assets[k];
			for (size_t d = 0; d < a->ndeps; d++) {
				const char *up = assetlike(an, a->deps[d], &byfunc);
				an_edge(an, up ? up : an_external(an, a->deps[d]), assetids[n], "deps", a->at);
			}
			for (size_t p = 0; p < a->nparams; p++) {
				const char *up = assetlike(an, a->params[p], NULL);
				if (up && up != assetids[n])
					an_edge(an, up, assetids[n], "argument", a->at);
			}
		}
	}
	free(assetids);
	strmap_free(&byfunc);
}

static void
script_graph(struct analysis *an)
{
	/* tables first where something creates them, then what only reads them */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < an->njobs; i++) {
			struct an_job *j = &an->jobs[i];
			struct an_scriptres *r = j->res;
			if (j->kind != J_SCRIPT || !r)
				continue;
			const char *sid = pass == 0 ? an_node(an, "sql_script", j->path, (struct an_at){j->path, 0, 1, 1}, NULL, NULL)
						    : an_find(an, "sql_script", j->path);
			const struct an_ref *v = pass == 0 ? r->writes : r->reads;
			size_t nv = pass == 0 ? r->nwrites : r->nreads;
			for (size_t k = 0; k < nv; k++) {
				const char *tid = an_find(an, "sql_table", v[k].a);
				if (!tid)
					tid = an_node(an, "sql_table", v[k].a, v[k].at, NULL, NULL);
				if (pass == 0)
					an_edge(an, sid, tid, "writes", v[k].at);
				else
					an_edge(an, tid, sid, "reads", v[k].at);
			}
		}
}

static struct an_at
pgat(const struct pg_origin *o)
{
	return (struct an_at){o->file, o->loc.off, o->line, o->col};
}

static void
supabase_graph(struct analysis *an)
{
	for (size_t i = 0; i < an->njobs; i++) {
		struct an_job *j = &an->jobs[i];
		struct an_migres *r = j->res;
		if (j->kind != J_MIGRATIONS || !r)
			continue;
		const struct pg_model *m = r->m;
		for (size_t t = 0; t < m->ntables; t++) {
			const struct pg_table *tb = m->tables[t];
			const char *id = an_node(an, "supabase_table", arena_printf(&an->a, "%s.%s", tb->schema, tb->name),
						 pgat(&tb->at), tb->schema, NULL);
			struct an_col *cols = arena_array(&an->a, tb->ncols + 1, sizeof(*cols));
			for (size_t c = 0; c < tb->ncols; c++)
				cols[c] = (struct an_col){tb->cols[c]->name, tb->cols[c]->type};
			an_columns(an, id, cols, tb->ncols);
		}
		for (size_t t = 0; t < m->ntables; t++) {
			const struct pg_table *tb = m->tables[t];
			const char *id = an_find(an, "supabase_table", arena_printf(&an->a, "%s.%s", tb->schema, tb->name));
			for (size_t c = 0; c < tb->ncons; c++) {
				const struct pg_constraint *k = tb->cons[c];
				if (k->kind != PG_CON_FOREIGN)
					continue;
				const char *ref = arena_printf(&an->a, "%s.%s", k->ref_schema ? k->ref_schema : "public",
							       k->ref_table);
				const char *to = an_find(an, "supabase_table", ref);
				an_edge(an, to ? to : an_external(an, ref), id, "foreign_key", pgat(&k->at));
			}
		}
	}
}

/* ---- analyze ---- */

static void
classify(struct analysis *an, struct walk *w)
{
	size_t cap = 0;
	/* dbt projects first: they decide what their SQL and YAML files are */
	for (size_t i = 0; i < w->nfiles; i++) {
		const char *p = w->files[i], *base = strrchr(p, '/');
		if (strcmp(base ? base + 1 : p, "dbt_project.yml") != 0)
			continue;
		int fd = openat(an->rootfd, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		size_t len;
		char *text = NULL;
		if (fd >= 0 && fstat(fd, &st) == 0 && (size_t)st.st_size <= ANALYZE_MAX_BYTES)
			text = readall(fd, (size_t)st.st_size, &len);
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (!text) {
			an_warn(an, (struct an_at){p, 0, 0, 0}, "cannot read: %s", strerror(e));
			continue;
		}
		an->nread++;
		struct dbt_project *pr = dbt_project_read(an, p, text, len);
		free(text);
		if (pr) {
			VEC_PUSH(an->projs, an->nprojs, an->capprojs);
			an->projs[an->nprojs++] = pr;
		}
	}
	/* migrations folders: one job each, their files in name order */
	struct strmap migdirs = {0};
	for (size_t i = 0; i < w->nfiles; i++) {
		const char *p = w->files[i];
		const char *rest = NULL;
		struct dbt_project *pr = NULL;
		/* the innermost project holding the file */
		for (size_t k = 0; k < an->nprojs; k++) {
			const char *r = under(p, an->projs[k]->dir);
			if (r && (!pr || strlen(an->projs[k]->dir) > strlen(pr->dir)))
				pr = an->projs[k], rest = r;
		}
		bool sql = hasext(p, ".sql"), yml = hasext(p, ".yml") || hasext(p, ".yaml");
		if (pr) {
			const char *sub;
			if ((sub = underany(rest, pr->model_paths, pr->nmodel_paths))) {
				if (sql || yml)
					addjob(an, &cap, (struct an_job){.kind = sql ? J_MODEL : J_PROPS, .path = p, .proj = pr, .sub = sub});
				else if (hasext(p, ".py"))
					an_warn(an, (struct an_at){p, 0, 0, 0}, "dbt Python models are not analyzed");
				continue;
			}
			if ((sub = underany(rest, pr->seed_paths, pr->nseed_paths))) {
				if (hasext(p, ".csv") || yml)
					addjob(an, &cap, (struct an_job){.kind = yml ? J_PROPS : J_SEED, .path = p, .proj = pr, .sub = sub});
				continue;
			}
			if ((sub = underany(rest, pr->test_paths, pr->ntest_paths))) {
				if (sql || yml)
					addjob(an, &cap, (struct an_job){.kind = sql ? J_STEST : J_PROPS, .path = p, .proj = pr, .sub = sub});
				continue;
			}
			if (hasext(p, ".py"))
				addjob(an, &cap, (struct an_job){.kind = J_PY, .path = p});
			continue; /* macros, snapshots, analyses, the project's own YAML */
		}
		if (hasext(p, ".py")) {
			addjob(an, &cap, (struct an_job){.kind = J_PY, .path = p});
			continue;
		}
		if (!sql)
			continue;
		const char *slash = strrchr(p, '/');
		const char *dir = slash ? arena_strndup(&an->a, p, (size_t)(slash - p)) : "";
		if (hasext(dir, "/supabase/migrations") || strcmp(dir, "supabase/migrations") == 0) {
			uintptr_t k = (uintptr_t)strmap_get(&migdirs, dir);
			if (!k) {
				addjob(an, &cap, (struct an_job){.kind = J_MIGRATIONS, .path = dir});
				k = an->njobs;
				strmap_put(&migdirs, dir, (void *)k);
			}
			struct an_job *j = &an->jobs[k - 1];
			j->files = xreallocarray((void *)j->files, j->nfiles + 1, sizeof(*j->files));
			j->files[j->nfiles++] = p;
			continue;
		}
		addjob(an, &cap, (struct an_job){.kind = J_SCRIPT, .path = p});
	}
	strmap_free(&migdirs);
	an->nfiles = w->nfiles;
	/* the walk is sorted, so each folder's files are in name order */
	if (an->njobs > 1)
		qsort(an->jobs, an->njobs, sizeof(*an->jobs), cmpjob);
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct analysis *
analyze(const char *path, int threads)
{
	double t0 = now();
	phase_time(NULL);
	struct stat st;
	if (stat(path, &st) != 0)
		return NULL;
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return NULL;
	}
	struct analysis *an = xcalloc(1, sizeof(*an));
	an->shown = path;
	an->one_file = S_ISREG(st.st_mode);
	struct walk w = {.an = an};
	if (an->one_file) {
		/* the root is the current folder and the file keeps the path
		 * given, so that what is printed names it as the user did */
		an->root = xstrdup(".");
		w.files = xcalloc(1, sizeof(*w.files));
		w.files[w.nfiles++] = path;
	} else {
		an->root = xstrdup(path);
		an->d.root = an->root;
	}
	an->rootfd = open(an->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (an->rootfd < 0) {
		int e = errno;
		free(w.files);
		analysis_free(an);
		errno = e;
		return NULL;
	}
	if (!an->one_file) {
		w.rootreal = realpath(an->root, NULL);
		if (!w.rootreal)
			w.rootreal = xstrdup(an->root);
		int fd = dup(an->rootfd);
		if (fd >= 0 && fstat(fd, &st) == 0) {
			strmap_put(&w.seen, seenkey(&w, &st), (void *)1);
			VEC_PUSH(w.stack, w.depth, w.cap);
			w.stack[w.depth++] = (struct ancestor){st.st_dev, st.st_ino, ""};
			walkdir(&w, fd, "");
		}
	} else if (!hasext(path, ".py") && !hasext(path, ".sql")) {
		/* YAML and CSV mean something only as part of a dbt project */
		an_warn(an, (struct an_at){path, 0, 0, 0},
			"dpc analyze reads a .py or .sql file alone; give a folder for a dbt project");
		w.nfiles = 0;
	}
	phase_time("walk");
	classify(an, &w);
	runjobs(an, threads);
	phase_time("read");
	for (size_t i = 0; i < an->nworkers; i++)
		an_mergediags(an, &an->workers[i].d);
	dbt_gather(an);
	dbt_graph(an);
	python_graph(an);
	script_graph(an);
	supabase_graph(an);
	sortgraph(an);
	an_sortdiags(an);
	phase_time("graph");
	strmap_free(&w.seen);
	free(w.stack);
	free(w.files);
	free(w.rootreal);
	an->seconds = now() - t0;
	return an;
}

void
analysis_free(struct analysis *an)
{
	if (!an)
		return;
	for (size_t i = 0; i < an->njobs; i++) {
		struct an_job *j = &an->jobs[i];
		if (j->kind == J_PY && j->res) {
			struct an_pyres *r = j->res;
			af_file_free(&r->af);
			free(r->assets);
			free(r->dlt);
			free(r->links);
		}
		if (j->kind == J_MIGRATIONS && j->res)
			pg_model_free(((struct an_migres *)j->res)->m);
		if (j->kind == J_MIGRATIONS)
			free((void *)j->files);
	}
	for (size_t i = 0; i < an->nworkers; i++) {
		py_worker_free(&an->workers[i]);
		diag_free(&an->workers[i].d);
		arena_free(&an->workers[i].a);
	}
	for (size_t i = 0; i < an->nprojs; i++) {
		struct dbt_project *p = an->projs[i];
		free(p->models);
		free(p->seeds);
		free(p->tests);
		free(p->sources);
	}
	free(an->projs);
	free(an->workers);
	free(an->jobs);
	free(an->nodes);
	free(an->edges);
	strmap_free(&an->byid);
	diag_free(&an->d);
	if (an->rootfd > 0)
		close(an->rootfd);
	free(an->root);
	arena_free(&an->a);
	free(an);
}

struct diags *
analysis_diags(struct analysis *an)
{
	return &an->d;
}

/* ---- printing ---- */

/* how each kind of node prints: JSON keys of group and detail, drawing */
static const struct kindinfo {
	const char *kind;
	const char *group_key, *detail_key;
	const char *dot_shape;
	const char *mm_open, *mm_close;
	const char *title;  /* for the text summary */
} kinds[] = {
	{"dbt_model", "project", "materialized", "box", "[\"", "\"]", "dbt models"},
	{"dbt_seed", "project", NULL, "note", "[/\"", "\"/]", "dbt seeds"},
	{"dbt_source", "project", NULL, "cylinder", "[(\"", "\")]", "dbt source tables"},
	{"dbt_test", "project", "test", "diamond", "{\"", "\"}", "dbt tests"},
	{"airflow_dag", NULL, "schedule", "folder", "[\"", "\"]", "Airflow DAGs"},
	{"airflow_task", "dag", "operator", "box", "(\"", "\")", "Airflow tasks"},
	{"dagster_asset", "group", NULL, "box3d", "[[\"", "\"]]", "Dagster assets"},
	{"dlt_source", NULL, NULL, "component", "[[\"", "\"]]", "dlt sources"},
	{"dlt_resource", NULL, NULL, "box", "(\"", "\")", "dlt resources"},
	{"dlt_pipeline", NULL, "destination", "hexagon", "{{\"", "\"}}", "dlt pipelines"},
	{"sql_script", NULL, NULL, "note", "[/\"", "\"/]", "SQL scripts"},
	{"sql_table", NULL, NULL, "cylinder", "[(\"", "\")]", "SQL tables"},
	{"supabase_table", "schema", NULL, "cylinder", "[(\"", "\")]", "Supabase tables"},
	{"external", NULL, NULL, "plaintext", ">\"", "\"]", "names nothing here defines"},
};

static const struct kindinfo *
kindinfo(const char *kind)
{
	for (size_t i = 0; i < LEN(kinds); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return &kinds[i];
	return &kinds[LEN(kinds) - 1];
}

static size_t
countkind(const struct analysis *an, const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < an->nnodes; i++)
		n += strcmp(an->nodes[i].kind, kind) == 0;
	return n;
}

/* the JSON document is written as it is made, a node, an edge or a DAG a
 * line, rather than built as one cJSON tree and printed: at 10,000 models
 * the tree and its text would be several times the analysis itself */
struct jw {
	struct buf b;
	FILE *out;
};

static void
jflush(struct jw *j, bool always)
{
	if (j->b.len && (always || j->b.len > (64u << 10))) {
		fwrite(j->b.data, 1, j->b.len, j->out);
		j->b.len = 0;
	}
}

static void
jstr(struct jw *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	buf_putc(&j->b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		const unsigned char *q = p;
		while (*q >= 0x20 && *q != '"' && *q != '\\')
			q++;
		buf_put(&j->b, p, (size_t)(q - p)); /* the plain run at once */
		if (!*q)
			break;
		char esc[7] = {'\\', (char)*q, 0};
		if (*q == '\n')
			esc[1] = 'n';
		else if (*q == '\t')
			esc[1] = 't';
		else if (*q < 0x20)
			esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[*q >> 4], esc[5] = hex[*q & 15];
		buf_puts(&j->b, esc);
		p = q + 1;
	}
	buf_putc(&j->b, '"');
}

/* "key": "value" after a comma unless first */
static void
jkv(struct jw *j, const char *key, const char *val, bool first)
{
	if (!first)
		buf_puts(&j->b, ", ");
	jstr(j, key);
	buf_puts(&j->b, ": ");
	jstr(j, val);
}

static void
jnum(struct jw *j, const char *key, size_t v)
{
	char d[24];
	size_t n = sizeof(d);
	do
		d[--n] = (char)('0' + v % 10);
	while ((v /= 10));
	buf_puts(&j->b, ", ");
	jstr(j, key);
	buf_puts(&j->b, ": ");
	buf_put(&j->b, d + n, sizeof(d) - n);
}

/* a cJSON item on one line, and freed */
static void
jitem(struct jw *j, cJSON *item)
{
	char *s = cJSON_PrintUnformatted(item);
	buf_puts(&j->b, s ? s : "null");
	cJSON_free(s);
	cJSON_Delete(item);
}

void
analysis_print_json(struct analysis *an, struct cJSON *extra, FILE *out)
{
	struct jw j = {.out = out};
	buf_puts(&j.b, "{\n  ");
	jkv(&j, "command", "analyze", true);
	buf_puts(&j.b, ",\n  ");
	jkv(&j, "root", an->shown, true);
	buf_puts(&j.b, ",\n  \"nodes\": [");
	for (size_t i = 0; i < an->nnodes; i++) {
		const struct an_node *n = &an->nodes[i];
		const struct kindinfo *k = kindinfo(n->kind);
		buf_puts(&j.b, i ? ",\n    {" : "\n    {");
		jkv(&j, "id", n->id, true);
		jkv(&j, "kind", n->kind, false);
		jkv(&j, "name", n->name, false);
		if (n->file) {
			jkv(&j, "file", n->file, false);
			jnum(&j, "line", n->line);
			jnum(&j, "column", n->col);
		}
		if (n->group && k->group_key)
			jkv(&j, k->group_key, n->group, false);
		if (n->detail && k->detail_key)
			jkv(&j, k->detail_key, n->detail, false);
		if (n->ncols) {
			buf_puts(&j.b, ", \"columns\": [");
			for (size_t c = 0; c < n->ncols; c++) {
				buf_puts(&j.b, c ? ", {" : "{");
				jkv(&j, "name", n->cols[c].name, true);
				if (n->cols[c].type)
					jkv(&j, "type", n->cols[c].type, false);
				buf_putc(&j.b, '}');
			}
			buf_putc(&j.b, ']');
		}
		buf_putc(&j.b, '}');
		jflush(&j, false);
	}
	buf_puts(&j.b, an->nnodes ? "\n  ],\n  \"edges\": [" : "],\n  \"edges\": [");
	for (size_t i = 0; i < an->nedges; i++) {
		const struct an_edge *e = &an->edges[i];
		buf_puts(&j.b, i ? ",\n    {" : "\n    {");
		jkv(&j, "from", e->from, true);
		jkv(&j, "to", e->to, false);
		jkv(&j, "kind", e->kind, false);
		if (e->at.file && e->at.line) {
			jkv(&j, "file", e->at.file, false);
			jnum(&j, "line", e->at.line);
		}
		buf_putc(&j.b, '}');
		jflush(&j, false);
	}
	buf_puts(&j.b, an->nedges ? "\n  ],\n  \"dags\": [" : "],\n  \"dags\": [");
	size_t ndags = 0;
	for (size_t i = 0; i < an->njobs; i++) {
		struct an_job *jb = &an->jobs[i];
		struct an_pyres *r = jb->res;
		if (jb->kind != J_PY || !r || !r->has_af)
			continue;
		for (size_t k = 0; k < r->af.ndags; k++) {
			buf_puts(&j.b, ndags++ ? ",\n    " : "\n    ");
			jitem(&j, af_dag_json(&r->af.dags[k], jb->path));
			jflush(&j, false);
		}
	}
	buf_puts(&j.b, ndags ? "\n  ],\n  \"warnings\": [" : "],\n  \"warnings\": [");
	cJSON *w = diag_json(&an->d);
	size_t nw = 0;
	for (cJSON *g = w->child; g; g = g->next) {
		buf_puts(&j.b, nw++ ? ",\n    " : "\n    ");
		char *s = cJSON_PrintUnformatted(g);
		buf_puts(&j.b, s);
		cJSON_free(s);
	}
	cJSON_Delete(w);
	buf_puts(&j.b, nw ? "\n  ],\n  \"summary\": {" : "],\n  \"summary\": {");
	buf_printf(&j.b, "\"files\": %zu, \"files_read\": %zu", an->nfiles, an->nread);
	for (size_t k = 0; k < LEN(kinds); k++) {
		size_t n = countkind(an, kinds[k].kind);
		if (n)
			jnum(&j, kinds[k].kind, n);
	}
	jnum(&j, "edges", an->nedges);
	jnum(&j, "warnings", an->d.nwarnings);
	buf_putc(&j.b, '}');
	for (cJSON *x = extra ? extra->child : NULL; x; x = x->next) {
		buf_puts(&j.b, ",\n  ");
		jstr(&j, x->string);
		buf_puts(&j.b, ": ");
		char *s = cJSON_PrintUnformatted(x);
		buf_puts(&j.b, s);
		cJSON_free(s);
	}
	buf_puts(&j.b, "\n}\n");
	jflush(&j, true);
	buf_free(&j.b);
}

/* a label: the name, or for an Airflow task the task id without its DAG */
static const char *
label(const struct an_node *n)
{
	if (n->group && strcmp(n->kind, "airflow_task") == 0) {
		size_t g = strlen(n->group);
		if (strncmp(n->name, n->group, g) == 0 && n->name[g] == '.')
			return n->name + g + 1;
	}
	return n->name;
}

static void
dotstr(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

/* mermaid labels are in double quotes; a quote inside is an entity */
static void
mmstr(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"')
			buf_puts(b, "#quot;");
		else if (*s == '\n')
			buf_putc(b, ' ');
		else
			buf_putc(b, *s);
	}
}

static bool
drawn(const struct an_node *n)
{
	/* tests and DAGs are not drawn as boxes: a DAG is the frame of its tasks */
	return strcmp(n->kind, "dbt_test") != 0 && strcmp(n->kind, "airflow_dag") != 0;
}

static void
drawnode(struct buf *b, const struct an_node *n, size_t idx, bool mm, const char *indent)
{
	const struct kindinfo *k = kindinfo(n->kind);
	buf_puts(b, indent);
	if (mm) {
		buf_printf(b, "n%zu%s", idx, k->mm_open);
		mmstr(b, label(n));
		buf_printf(b, "%s\n", k->mm_close);
	} else {
		dotstr(b, n->id);
		buf_puts(b, " [label=");
		dotstr(b, label(n));
		buf_printf(b, ", shape=%s%s];\n", k->dot_shape,
			   strcmp(n->kind, "external") == 0 ? ", style=dashed" : "");
	}
}

static void
draw(struct analysis *an, struct buf *b, bool mm)
{
	buf_puts(b, mm ? "flowchart LR\n" : "digraph analyze {\n  rankdir=LR;\n");
	/* each DAG's tasks in a frame of their own */
	for (size_t i = 0; i < an->nnodes; i++) {
		const struct an_node *dag = &an->nodes[i];
		if (strcmp(dag->kind, "airflow_dag") != 0)
			continue;
		if (mm) {
			buf_printf(b, "  subgraph n%zu [\"", i);
			mmstr(b, dag->name);
			buf_puts(b, "\"]\n");
		} else {
			buf_puts(b, "  subgraph ");
			dotstr(b, arena_printf(&an->a, "cluster_%s", dag->name));
			buf_puts(b, " {\n    label=");
			dotstr(b, dag->name);
			buf_puts(b, ";\n");
		}
		for (size_t t = 0; t < an->nnodes; t++) {
			const struct an_node *n = &an->nodes[t];
			if (n->group && strcmp(n->kind, "airflow_task") == 0 && strcmp(n->group, dag->name) == 0)
				drawnode(b, n, t, mm, "    ");
		}
		buf_puts(b, mm ? "  end\n" : "  }\n");
	}
	for (size_t i = 0; i < an->nnodes; i++) {
		const struct an_node *n = &an->nodes[i];
		if (drawn(n) && strcmp(n->kind, "airflow_task") != 0)
			drawnode(b, n, i, mm, "  ");
	}
	for (size_t i = 0; i < an->nedges; i++) {
		const struct an_edge *e = &an->edges[i];
		uintptr_t f = (uintptr_t)strmap_get(&an->byid, e->from), t = (uintptr_t)strmap_get(&an->byid, e->to);
		if (!f || !t || !drawn(&an->nodes[f - 1]) || !drawn(&an->nodes[t - 1]))
			continue;
		if (mm) {
			buf_printf(b, "  n%zu --> n%zu\n", (size_t)f - 1, (size_t)t - 1);
		} else {
			buf_puts(b, "  ");
			dotstr(b, e->from);
			buf_puts(b, " -> ");
			dotstr(b, e->to);
			buf_puts(b, ";\n");
		}
	}
	if (!mm)
		buf_puts(b, "}\n");
}

/* the summary; full: then each node with what it depends on */
static void
text(struct analysis *an, struct buf *b, bool full)
{
	buf_printf(b, "dpc analyze %s: %zu files, %zu read, in %.2f s\n", an->shown, an->nfiles, an->nread,
		   an->seconds);
	for (size_t i = 0; i < an->nprojs; i++)
		buf_printf(b, "  dbt project %s (%s): %zu models, %zu seeds, %zu sources\n", an->projs[i]->name,
			   an->projs[i]->file, an->projs[i]->nmodels, an->projs[i]->nseeds, an->projs[i]->nsources);
	for (size_t k = 0; k < LEN(kinds); k++) {
		size_t n = countkind(an, kinds[k].kind);
		if (n)
			buf_printf(b, "  %6zu %s\n", n, kinds[k].title);
	}
	buf_printf(b, "  %6zu edges, %zu warnings\n", an->nedges, an->d.nwarnings);
	if (!full)
		return;
	/* each node with what it depends on: edges are sorted by from, so
	 * gather them by to first */
	size_t *nin = xcalloc(an->nnodes + 1, sizeof(*nin)), *start = xcalloc(an->nnodes + 1, sizeof(*start));
	size_t *in = xreallocarray(NULL, an->nedges + 1, sizeof(*in));
	for (size_t i = 0; i < an->nedges; i++)
		nin[(uintptr_t)strmap_get(&an->byid, an->edges[i].to) - 1]++;
	for (size_t i = 0; i < an->nnodes; i++)
		start[i + 1] = start[i] + nin[i];
	memset(nin, 0, an->nnodes * sizeof(*nin));
	for (size_t i = 0; i < an->nedges; i++) {
		size_t t = (uintptr_t)strmap_get(&an->byid, an->edges[i].to) - 1;
		in[start[t] + nin[t]++] = i;
	}
	for (size_t k = 0; k < LEN(kinds); k++) {
		bool head = false;
		for (size_t i = 0; i < an->nnodes; i++) {
			const struct an_node *n = &an->nodes[i];
			if (strcmp(n->kind, kinds[k].kind) != 0)
				continue;
			if (!head)
				buf_printf(b, "\n%s:\n", kinds[k].title);
			head = true;
			buf_printf(b, "  %s", n->name);
			if (n->file)
				buf_printf(b, "  (%s:%u)", n->file, n->line);
			if (n->detail)
				buf_printf(b, "  %s", n->detail);
			buf_putc(b, '\n');
			for (size_t e = start[i]; e < start[i] + nin[i]; e++) {
				const struct an_edge *ed = &an->edges[in[e]];
				const struct an_node *u = &an->nodes[(uintptr_t)strmap_get(&an->byid, ed->from) - 1];
				buf_printf(b, "      <- %s %s (%s)\n", u->kind, u->name, ed->kind);
			}
		}
	}
	free(in);
	free(start);
	free(nin);
}

bool
analysis_print(struct analysis *an, const char *format, FILE *out)
{
	struct buf b = {0};
	if (strcmp(format, "text") == 0 || strcmp(format, "summary") == 0)
		text(an, &b, strcmp(format, "text") == 0);
	else if (strcmp(format, "dot") == 0 || strcmp(format, "mermaid") == 0)
		draw(an, &b, strcmp(format, "mermaid") == 0);
	else
		return false;
	fwrite(b.data, 1, b.len, out);
	buf_free(&b);
	return true;
}
