/* quick.c: the quick rebuild (see quick.h).
 *
 * When the only inputs that changed since the last build are SQL files of
 * models, and each one still references exactly what it did (the same refs,
 * sources, vars and config() arguments: equal ir_facts), the graph is the
 * graph of the last build. The edit then reaches three things and nothing
 * else: the model's own file under models/, the hashes of the model and of
 * its tests in the registry, and the registry's record of that file's hash.
 *
 * So this path reads the changed SQL files, the spec files that define
 * their models (for the config() dpc writes above the SQL), and the
 * registry. It makes each model's file with the dbt back end's own function
 * and the hashes with the IR's, and patches the registry line by line: a
 * line it changes is parsed and printed again by cJSON, as emit_registry
 * prints it; the others are kept byte for byte.
 *
 * Whenever that reasoning might not hold, it declines and the full
 * compilation runs: the bytes of a spec file or a CSV changed, or a file
 * came or went in an include folder; an
 * output is not as recorded; the SQL has diagnostics or new facts; a file
 * feeds two models; the registry is not the one dpc wrote.
 * tests/cli/quick.sh checks that both paths write the same bytes. */
#define _GNU_SOURCE /* memmem */
#include "quick.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "compile.h"
#include "sqlscan.h"

struct edit {
	const struct state_input *in;
	char *text;
	size_t len;
	int64_t stamp[3];
	struct hash hash;        /* of the text */
	bool changed;            /* the bytes differ, not only the stat */
	const char *materialized;
	const char *specfile;    /* where the model is defined (from the registry) */
	const char *output;      /* its file under models/ (from the registry) */
	char *line;              /* its line in the registry text */
	size_t linelen;
	struct hash nodehash;    /* the model's new content hash */
	struct hash outhash;     /* the hash of its new file */
};

static bool
decline(struct quick *q, char *why)
{
	free(q->why);
	q->why = why;
	return false;
}

/* the string value of "key":"..." in a registry line, NUL-terminated in
 * buf (of size cap); NULL if absent or too long. Registry ids and paths
 * need no JSON escapes; one that has any is refused */
static char *
field(const char *line, size_t len, const char *key, char *buf, size_t cap)
{
	char pat[32];
	int n = snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *at = memmem(line, len, pat, (size_t)n);
	if (!at)
		return NULL;
	const char *v = at + n, *e = memchr(v, '"', (size_t)(line + len - v));
	if (!e || (size_t)(e - v) >= cap || memchr(v, '\\', (size_t)(e - v)))
		return NULL;
	memcpy(buf, v, (size_t)(e - v));
	buf[e - v] = '\0';
	return buf;
}

/* the line of text around p, in [text, end) */
static void
linearound(const char *text, const char *end, const char *p, const char **line, size_t *len)
{
	const char *s = p;
	while (s > text && s[-1] != '\n')
		s--;
	const char *e = memchr(p, '\n', (size_t)(end - p));
	*line = s;
	*len = (size_t)((e ? e : end) - s);
}

/* set the "hash" of a registry line to h, in place: a hash is always 32
 * hex digits, so the line keeps its length and every other byte */
static bool
patchhash(char *line, size_t len, struct hash h)
{
	static const char key[] = "\"hash\":\"";
	char *at = memmem(line, len, key, sizeof(key) - 1);
	if (!at || (size_t)(at - line) + sizeof(key) - 1 + 33 > len || at[sizeof(key) - 1 + 32] != '"')
		return false;
	char hex[33];
	hash_hex(h, hex);
	memcpy(at + sizeof(key) - 1, hex, 32);
	return true;
}

/* the first line of the registry starting with the text of fmt */
static char *
findline(char *text, size_t len, const char *fmt, const char *arg)
{
	char *pat = xasprintf(fmt, arg);
	size_t n = strlen(pat);
	char *at = memmem(text, len, pat, n);
	free(pat);
	return at ? at + 1 : NULL; /* past the newline the pattern starts with */
}

/* read the changed SQL files; false (declining) unless each is the SQL of
 * one model and references what it did */
static bool
readedits(struct quick *q, struct state *st, const struct changes *ch, int rootfd,
	  struct edit *ed, size_t *nchanged)
{
	*nchanged = 0;
	for (size_t i = 0; i < ch->ninputs; i++) {
		const struct state_input *in = &st->inputs[ch->inputs[i]];
		struct edit *e = &ed[i];
		e->in = in;
		int err = read_beneath(rootfd, in->path, INPUT_MAX_BYTES, &e->text, &e->len, e->stamp);
		if (err)
			return decline(q, xasprintf("%s: %s", in->path, err == EISDIR ? "a file was added or removed"
											: strerror(err)));
		e->hash = hash_bytes(e->text, e->len);
		e->changed = !hash_eq(e->hash, in->hash);
		if (!e->changed)
			continue; /* touched, or recorded as racily clean: the same bytes */
		if (!in->node || !in->has_facts)
			return decline(q, xasprintf("%s changed, and it is not the SQL file of one model", in->path));
		if (!ir_istext(e->text, e->len))
			return decline(q, xasprintf("%s is not UTF-8 text", in->path));
		struct sql_scan sc = {0};
		sqlscan(e->text, e->len, &sc);
		bool same = !sc.nproblems && hash_eq(ir_facts(&sc), in->facts);
		e->materialized = NULL;
		for (size_t k = 0; same && k < sc.nfinds; k++)
			if (sc.finds[k].kind == SQL_CONFIG)
				e->materialized = ir_materialized(e->materialized ? e->materialized : "", &sc.finds[k]);
		sqlscan_free(&sc);
		if (!same)
			return decline(q, xasprintf("%s now references something else, or has a problem to report",
						    in->path));
		++*nchanged;
	}
	return true;
}

bool
quick_plan(struct quick *q, struct state *st, const struct changes *ch, int rootfd, const char *root,
	   const char *specpath, struct plan *p)
{
	*q = (struct quick){0};
	q->diags.root = root;
	*p = (struct plan){0};
	if (!ch->ninputs && !ch->noutputs)
		return decline(q, xstrdup("no record of an earlier build to start from"));
	if (!ch->complete)
		return decline(q, xstrdup("too many files changed"));
	if (ch->noutputs)
		return decline(q, xstrdup("a generated file is not as dpc left it"));
	char *reg = state_meta(st, "registry");
	struct state_output *regrec = reg ? state_output(st, reg) : NULL;
	if (!regrec) {
		free(reg);
		return decline(q, xstrdup("the last build left no registry"));
	}
	q->registry = arena_strdup(&q->arena, reg);
	free(reg);

	struct edit ed[STAT_MAX_DIFFS] = {{0}};
	size_t n = ch->ninputs, nchanged;
	bool ok = readedits(q, st, ch, rootfd, ed, &nchanged);
	char *rtext = NULL;
	size_t rlen = 0;
	struct strmap byid = {0}, only = {0};
	if (!ok || !nchanged)
		goto inputs;

	/* the registry as dpc wrote it (its stamp is as recorded): where each
	 * model is defined, its file. A private mapping: only the pages
	 * patched are copied */
	int fd = open_beneath(rootfd, q->registry, O_RDONLY, 0);
	struct stat sb;
	if (fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size > 0 && (uint64_t)sb.st_size < ((uint64_t)1 << 31)) {
		rlen = (size_t)sb.st_size;
		rtext = mmap(NULL, rlen, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		if (rtext == MAP_FAILED)
			rtext = NULL;
	}
	if (fd >= 0)
		close(fd);
	if (!rtext) {
		ok = decline(q, xasprintf("cannot read %s", q->registry));
		goto inputs;
	}
	for (size_t i = 0; i < n; i++)
		if (ed[i].changed && strmap_put(&byid, ed[i].in->node, &ed[i]))
			ok = decline(q, xasprintf("%s: two files of one model changed", ed[i].in->path));
	const char *end = rtext + rlen, *line;
	size_t len;
	for (size_t i = 0; ok && i < n; i++) {
		struct edit *e = &ed[i];
		char *at = e->changed ? findline(rtext, rlen, "\n{\"id\":\"%s\",", e->in->node) : NULL;
		if (!at)
			continue;
		linearound(rtext, end, at, &line, &len);
		e->line = (char *)line;
		e->linelen = len;
		cJSON *o = cJSON_ParseWithLength(line, len - (len && line[len - 1] == ','));
		const cJSON *outs = cJSON_GetObjectItemCaseSensitive(o, "outputs");
		const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(o, "defined_at"), "file"));
		const char *mat = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "materialized"));
		if (file && mat && cJSON_GetArraySize(outs) == 1 && cJSON_IsString(cJSON_GetArrayItem(outs, 0))) {
			e->specfile = arena_strdup(&q->arena, file);
			e->output = arena_strdup(&q->arena, cJSON_GetArrayItem(outs, 0)->valuestring);
			e->materialized = e->materialized ? e->materialized : arena_strdup(&q->arena, mat);
			strmap_put(&only, e->specfile, (void *)1);
		}
		cJSON_Delete(o);
	}
	for (size_t i = 0; ok && i < n; i++)
		if (ed[i].changed && !ed[i].output)
			ok = decline(q, xasprintf("the registry does not list the file of %s", ed[i].in->node));
	if (!ok)
		goto inputs;

	/* the spec files that define the models: for the config() dpc writes */
	struct spec *s = spec_load_only(&q->arena, &q->diags, root, specpath, &only);
	if (!s || q->diags.nerrors) {
		ok = decline(q, xstrdup("the spec did not read cleanly"));
		goto inputs;
	}
	struct strmap models = {0};
	for (size_t i = 0; i < s->nmodels; i++)
		strmap_put(&models, s->models[i].name, &s->models[i]);
	struct node node;
	struct graph g = {.spec = s, .diags = &q->diags, .nodes = &node, .n = 1};
	for (size_t i = 0; ok && i < n; i++) {
		struct edit *e = &ed[i];
		if (!e->changed)
			continue;
		const struct spec_model *m = strmap_get(&models, e->in->node + strlen("model."));
		if (!m) {
			ok = decline(q, xasprintf("%s is not in %s", e->in->node, e->specfile));
			break;
		}
		/* a config(materialized=) in the SQL was applied when it was scanned;
		 * without one, the spec's setting stands */
		const char *mat = e->materialized && *e->materialized ? e->materialized : m->materialized;
		node = (struct node){.kind = N_MODEL, .id = e->in->node, .name = m->name, .loc = m->loc,
				     .layer = m->layer, .materialized = mat, .file = e->in->path,
				     .text = e->text, .textlen = e->len, .model = m};
		char *path = dbt_model_path(s, &node);
		if (strcmp(path, e->output) != 0) {
			ok = decline(q, xasprintf("%s would move from %s to %s", e->in->node, e->output, path));
			free(path);
			break;
		}
		size_t dlen;
		char *data = dbt_sqlfile(&g, &node, &dlen);
		outset_add(&q->out, path, data, dlen, e->in->node);
		e->outhash = q->out.v[q->out.n - 1].hash;
		e->nodehash = ir_model_hash(m->hash, e->text, e->len, mat);
	}
	strmap_free(&models);
	if (!ok)
		goto inputs;

	/* the registry, patched in place: the models' lines, their tests' (which
	 * name the model they test), their files' */
	for (size_t i = 0; ok && i < n; i++) {
		struct edit *e = &ed[i];
		if (!e->changed)
			continue;
		ok = patchhash(e->line, e->linelen, e->nodehash);
		char *pat = xasprintf("\"tests\":\"%s\",", e->in->node);
		size_t pl = strlen(pat);
		for (char *at = rtext; ok && (at = memmem(at, (size_t)(end - at), pat, pl)); at += pl) {
			char id[512];
			linearound(rtext, end, at, &line, &len);
			ok = field(line, len, "id", id, sizeof(id)) && patchhash((char *)line, len, ir_test_hash(e->nodehash, id));
		}
		free(pat);
		char *at = ok ? findline(rtext, rlen, "\n{\"path\":\"%s\",", e->output) : NULL;
		if (at) {
			linearound(rtext, end, at, &line, &len);
			ok = patchhash((char *)line, len, e->outhash);
		}
		if (!ok)
			decline(q, xstrdup("a registry line did not read"));
	}
	if (ok) {
		outset_add_mapped(&q->out, xstrdup(q->registry), rtext, rlen, "project");
		rtext = NULL;
		outset_sort(&q->out);
	}

inputs:
	if (ok) {
		/* the plan: the files that change; every other one is as recorded */
		p->partial = true;
		for (size_t i = 0; i < q->out.n; i++) {
			const struct output *o = &q->out.v[i];
			struct state_output *rec = state_output(st, o->path);
			if (!rec) {
				ok = decline(q, xasprintf("%s has no record", o->path));
				break;
			}
			if (hash_eq(rec->hash, o->hash))
				continue;
			struct step *up = plan_add(p, A_UPDATE, o->path, o->node,
						   xasprintf("%s changed", o->node));
			up->out = o;
			up->ondisk = true;
			up->diskhash = rec->hash;
		}
		p->count[A_SAME] = st->noutputs - p->count[A_UPDATE];
		/* the inputs: as recorded, but for the files read again */
		q->inputs = xreallocarray(NULL, st->ninputs + 1, sizeof(*q->inputs));
		q->ninputs = st->ninputs;
		memcpy(q->inputs, st->inputs, st->ninputs * sizeof(*q->inputs));
		for (size_t i = 0; i < n; i++) {
			struct state_input *in = &q->inputs[ch->inputs[i]];
			in->st = input_stamp(rootfd, in->path, ed[i].stamp);
			in->hash = ed[i].hash;
		}
	}
	if (!ok)
		plan_free(p), *p = (struct plan){0};
	for (size_t i = 0; i < n; i++)
		free(ed[i].text);
	if (rtext)
		munmap(rtext, rlen);
	strmap_free(&byid);
	strmap_free(&only);
	return ok;
}

void
quick_free(struct quick *q)
{
	outset_free(&q->out);
	diag_free(&q->diags);
	arena_free(&q->arena);
	free(q->inputs);
	free(q->why);
}
