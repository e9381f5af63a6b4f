/* cmd_ai.c: dpc ai generate | explain | refactor | reset.
 *
 * The LLM's answer is data, never instructions. It can propose a spec
 * patch (RFC 6902 on the spec read as JSON) and files inside the project;
 * dpc checks the answer's shape, refuses it whole when a file would land
 * outside what a pipeline change may touch, applies it in memory
 * (specedit.h) and compiles the result. Compiler diagnostics go back for a
 * bounded number of repair rounds. Only then does a person (or an agent)
 * see a plan: the spec diff, the files, what dpc build would write, the
 * nodes downstream, destructive migration steps. Nothing is written without
 * --apply or a "yes" typed at a terminal, and nothing returned is executed.
 *
 * Every request goes into the audit log (.dpc/ai.db, llm_call_logged); the
 * row of the answer that was written is marked applied. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "ai.h"
#include "build.h"
#include "cli.h"
#include "compile.h"
#include "emit.h"
#include "llm.h"
#include "specedit.h"
#include "state.h"

#define MAX_SUGGESTIONS 20 /* in one refactor answer */
#define MAX_REQUEST 16384u  /* bytes of --prompt */
#define PLAN_LINES 25 /* generated files listed in text before "... N more" */

static const char usage_ai[] =
	"usage: dpc ai ACTION [OPTIONS]\n"
	"\n"
	"Ask an LLM about this pipeline. It gets a bounded slice of the graph (the\n"
	"nodes the request is about, their columns, tests, lineage and SQL), never\n"
	"the whole repository. Its answer is data: a spec patch and files inside the\n"
	"project, checked and compiled in memory before you see them, and written\n"
	"only with --apply (or a yes typed at a terminal).\n"
	"\n"
	"actions:\n"
	"  generate --prompt TEXT  propose a change as a plan: spec diff, files,\n"
	"                          what dpc build would write, downstream nodes\n"
	"  explain NODE            say in plain words what a model, source, seed,\n"
	"                          test, table or asset does\n"
	"  refactor [NODE]         suggest refactorings, each a spec patch that\n"
	"                          compiles; --apply N writes suggestion N\n"
	"  reset                   close the circuit breaker after provider failures\n"
	"\n"
	"dpc ai ACTION --help tells more. The provider and model come from the\n"
	"spec's ai: section or DPC_AI_PROVIDER, DPC_AI_MODEL, DPC_AI_BASE_URL; the\n"
	"key from OPENAI_API_KEY or ANTHROPIC_API_KEY (docs/ai.md). Every request\n"
	"is in the audit log: dpc log.\n"
	"\n"
	"exit status: 0 done; 1 the provider failed, the answer was refused or never\n"
	"valid, or a write failed; 2 errors in the spec, a prompt template or the\n"
	"command line, an unknown node, or an answer that still does not compile\n"
	"after the repair rounds.\n";

static const char usage_generate[] =
	"usage: dpc ai generate --prompt TEXT [--kind model|asset|test|ci] [--apply]\n"
	"                       [--allow-destructive]\n"
	"\n"
	"Ask for a change to the pipeline. dpc compiles the project, sends the\n"
	"slice of the graph the request's words point at (matching names, columns\n"
	"and descriptions; their lineage, tests and the closest SQL) with the\n"
	"request quoted as data, and expects {explanation, patch, files} back.\n"
	"A file outside the project, under a generated folder (data/, supabase/,\n"
	"the Dagster project), a hidden one (.git/, .dpc/, .github/), a spec file,\n"
	"or not text, refuses the whole answer (exit 1). Otherwise the patch and\n"
	"files are applied in memory and compiled; an answer that is not valid JSON\n"
	"of that shape, or does not apply or compile, goes back with the problems\n"
	"for up to ai.repair_rounds (default 2) more rounds.\n"
	"\n"
	"Then the plan: the spec diff, the project files added or changed, the\n"
	"generated files dpc build would write, change or delete, the nodes\n"
	"downstream of those that changed, and destructive Supabase migration steps.\n"
	"\n"
	"  --prompt TEXT        the request, in plain words (required)\n"
	"  --kind KIND          what to add: model, asset, test or ci (default: any)\n"
	"  --apply, --yes       write the spec and the files (then run dpc build);\n"
	"                       without it nothing is written, but a yes typed at a\n"
	"                       terminal (stdin and stdout a TTY, CI unset) writes\n"
	"  --allow-destructive  let --apply write a change whose migration drops a\n"
	"                       table or column or narrows a type\n"
	"  --format json        one JSON document (docs/ai.md)\n";

static const char usage_explain[] =
	"usage: dpc ai explain NODE\n"
	"\n"
	"Explain in plain words what a node does: a model, source table\n"
	"(source.raw.trips or raw.trips), seed, test, table, embedding or asset, by\n"
	"id (model.fct_orders) or name. The LLM sees the node's spec entry, SQL,\n"
	"columns and tests, and its lineage (three levels up, two down). Writes\n"
	"nothing. --format json prints one document with summary, details, caveats.\n";

static const char usage_refactor[] =
	"usage: dpc ai refactor [NODE] [--apply N] [--allow-destructive]\n"
	"\n"
	"Suggest refactorings of the pipeline, or of one node and its neighbours:\n"
	"duplicate logic, keys without tests, models that should be incremental,\n"
	"names that break the conventions. Each suggestion comes with its reason\n"
	"and a spec patch (and files), applied in memory and compiled: one that\n"
	"does not compile, or would write outside the project, is shown as rejected\n"
	"with the reason (it is not repaired).\n"
	"\n"
	"The suggestions are kept in .dpc/ai/refactor.json with a digest of the\n"
	"project's inputs. --apply N writes suggestion N (1 is the first) of those\n"
	"kept suggestions when the project has not changed since, without a new\n"
	"request; otherwise it asks again and applies suggestion N of the new list,\n"
	"which it shows.\n";

static const char usage_reset[] =
	"usage: dpc ai reset\n"
	"\n"
	"Close the circuit breaker. After ai's breaker threshold of consecutive\n"
	"failed requests to a provider, dpc stops calling it (for the cooldown) and\n"
	"says so; reset closes it at once, once the provider is back.\n";

/* one run of dpc ai */
struct ai {
	struct opts *o;
	cJSON *doc;            /* --format json: the document */
	const char *action;
	const char *prompt, *kind, *node;
	bool apply, allow_destructive;
	long pick;             /* refactor --apply N */
	int rootfd;
	struct compilation c;  /* the project as it is */
	bool compiled;
	const struct spec_ai *sa;
	struct llm_config cfg;
	struct ai_db db;
	struct ai_prompt *repair;
	int requests, repairs;
	int64_t logid;         /* the audit row of the answer used, or -1 */
	cJSON *diags;          /* the diagnostics of the last candidate that did not compile */
};

/* text that holds what the model wrote, printed: a control character
 * (an escape sequence could rewrite the terminal) becomes '?', but for
 * newlines and tabs */
static void
putsafe(const char *s, FILE *f)
{
	for (; s && *s; s++)
		putc((unsigned char)*s < ' ' && *s != '\n' && *s != '\t' ? '?' : *s == 0x7f ? '?' : *s, f);
}

static int
fail(struct ai *a, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* say what went wrong (stderr, or "error" in the document); returns code */
static int
fail(struct ai *a, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct buf b = {0};
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (a->doc) {
		if (!cJSON_GetObjectItemCaseSensitive(a->doc, "error"))
			cJSON_AddStringToObject(a->doc, "error", b.data);
	} else {
		fputs("dpc: ", stderr);
		putsafe(b.data, stderr);
		putc('\n', stderr);
	}
	buf_free(&b);
	return code;
}

/* text mode only */
static void
say(struct ai *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct ai *a, const char *fmt, ...)
{
	if (a->doc)
		return;
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static const cJSON *
item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* ---- the conversation ---- */

enum verdict {
	V_OK,       /* use the answer */
	V_REPAIR,   /* send the problem back (or give up after the last round) */
	V_REFUSE,   /* reject the answer whole: no repair */
};

typedef enum verdict (*checkfn)(struct ai *a, cJSON *ans, void *arg, char **problem, bool *diagnostics);

/* ask, then repair: the answer that passes check (owned), or NULL with
 * the error reported and *code set. One request per round, each logged */
static cJSON *
converse(struct ai *a, const struct ai_prompt *p, char *user, const char *summary, checkfn check, void *arg,
	 int *code)
{
	char **turns = xcalloc(1, sizeof(char *));
	size_t nturns = 0;
	turns[nturns++] = user;
	cJSON *result = NULL;
	int rounds = a->sa->repair_rounds;
	if (!a->doc)
		fprintf(stderr, "dpc: asking %s %s\n", a->cfg.provider_name, a->cfg.model);
	for (int r = 0;; r++) {
		struct llm_request req = {.system = p->system, .turns = (const char *const *)turns, .nturns = nturns,
					  .schema = p->schema, .schema_name = p->schema_name};
		struct llm_response resp = {0};
		char *err = NULL;
		int64_t id = -1;
		enum llm_status st = llm_call_logged(&a->cfg, &a->db, a->action, summary, &req, &resp, &id, &err);
		a->requests++;
		if (st != LLM_OK) {
			*code = fail(a, st == LLM_ERR_CONFIG ? 2 : 1, "%s", err ? err : llm_status_name(st));
			if (a->doc)
				cJSON_AddStringToObject(a->doc, "provider_error", llm_status_name(st));
			free(err);
			break;
		}
		free(err); /* a retry that ended well may leave the first attempt's message */
		char *why = NULL;
		bool diagnostics = false;
		cJSON *ans = ai_answer_json(resp.text, &why);
		enum verdict v = ans ? check(a, ans, arg, &why, &diagnostics) : V_REPAIR;
		if (v == V_OK) {
			a->logid = id;
			result = ans;
			llm_response_free(&resp);
			break;
		}
		cJSON_Delete(ans);
		if (v == V_REFUSE || r >= rounds) {
			if (v == V_REFUSE)
				*code = fail(a, 1, "%s; nothing was written", why);
			else if (a->doc)
				*code = fail(a, diagnostics ? 2 : 1, "no usable answer after %d repair round%s: %s", rounds,
					     rounds == 1 ? "" : "s", why);
			else
				*code = fail(a, diagnostics ? 2 : 1,
					     "%s\ndpc: no usable answer after %d repair round%s; nothing was written", why,
					     rounds, rounds == 1 ? "" : "s");
			free(why);
			llm_response_free(&resp);
			break;
		}
		/* the answer as it came, then what was wrong with it */
		char rs[16], rn[16];
		snprintf(rs, sizeof rs, "%d", r + 1);
		snprintf(rn, sizeof rn, "%d", rounds);
		struct ai_var vars[] = {{"problems", why}, {"round", rs}, {"rounds", rn}};
		turns = xreallocarray(turns, nturns + 2, sizeof(char *));
		turns[nturns++] = resp.text;
		resp.text = NULL;
		turns[nturns++] = ai_prompt_fill(a->repair->user, vars, LEN(vars));
		if (!a->doc) {
			/* the first line of the problem (the diagnostics follow it) */
			size_t n = strcspn(why, "\n");
			while (n && why[n - 1] == ':')
				n--;
			fprintf(stderr, "dpc: the answer cannot be used: %.*s; repair round %d of %d\n", (int)n, why,
				r + 1, rounds);
		}
		free(why);
		a->repairs++;
		llm_response_free(&resp);
	}
	for (size_t i = 0; i < nturns; i++)
		free(turns[i]);
	free(turns);
	return result;
}

static void
printlist(const cJSON *arr, const char *title, const char *none, int limit)
{
	int n = cJSON_GetArraySize(arr);
	if (!n) {
		if (none)
			printf("%s: %s\n", title, none);
		return;
	}
	printf("%s:\n", title);
	int i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, arr) {
		if (limit && i++ == limit) {
			printf("  ... and %d more (--format json lists them all)\n", n - limit);
			break;
		}
		if (cJSON_IsString(e))
			printf("  %s\n", e->valuestring);
		else
			printf("  %-7s %s\n", cJSON_GetStringValue(item(e, "action")),
			       cJSON_GetStringValue(item(e, "path")));
	}
}

/* the plan for people */
static void
printplan(const cJSON *obj)
{
	const char *diff = cJSON_GetStringValue(item(obj, "diff"));
	if (diff && *diff) {
		putchar('\n');
		putsafe(diff, stdout);
	}
	putchar('\n');
	printlist(item(obj, "changes"), "project files", "none", 0);
	printlist(item(obj, "plan"), "dpc build would then write", "nothing", PLAN_LINES);
	printlist(item(obj, "downstream"), "nodes changed and downstream of them", "none", PLAN_LINES);
	printlist(item(obj, "removed"), "nodes removed", NULL, 0);
	printlist(item(obj, "destructive"), "destructive migration steps", "none", 0);
}

/* yes typed at a terminal: stdin and stdout are TTYs, not in CI */
static bool
confirm(const struct ai *a)
{
	const char *ci = getenv("CI");
	if (a->doc || !isatty(0) || !isatty(1) || (ci && *ci))
		return false;
	fputs("dpc: write this change? [y/N] ", stderr);
	char line[64];
	if (!fgets(line, sizeof line, stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

/* write the change (its plan already shown); 0, or an exit code */
static int
writechange(struct ai *a, struct ai_trial *t, bool destr, cJSON *obj)
{
	if (destr && !a->allow_destructive)
		return fail(a, 1,
			    "the change has destructive migration steps (listed above); nothing was written: add "
			    "--allow-destructive to write it, and build with dpc build --allow-destructive");
	/* what will be written, named before: once written, nothing differs */
	struct buf names = {0};
	const struct sedit_change *ch;
	size_t n = sedit_changes(t->se, &ch);
	for (size_t i = 0; i < n; i++)
		buf_printf(&names, "%s %s", i ? "," : "", ch[i].path);
	char *err = NULL;
	if (!sedit_write(t->se, &err)) {
		int code = fail(a, 1, "%s", err);
		free(err);
		buf_free(&names);
		return code;
	}
	state_ai_applied(&a->db, a->logid);
	cJSON_AddBoolToObject(obj, "applied", true);
	say(a, "dpc: wrote%s\ndpc: next: dpc build%s\n", names.data ? names.data : " nothing", destr ? " --allow-destructive" : "");
	buf_free(&names);
	return 0;
}

/* ---- setup shared by the actions ---- */

/* open the project, compile it, resolve the provider, open the log and the
 * repair template; 0 or an exit code (reported) */
static int
setup(struct ai *a)
{
	a->rootfd = openroot(a->o, a->doc);
	if (a->rootfd < 0)
		return 2;
	struct compile_options co = {.allow_destructive = a->allow_destructive};
	bool ok = compile_run_with(&a->c, a->o->dir, a->rootfd, a->o->spec, &co, NULL);
	a->compiled = true;
	if (!ok) {
		if (a->doc) {
			a->diags = diag_json(&a->c.diags);
			cJSON_AddStringToObject(a->doc, "error", "the project has errors (diagnostics); nothing was asked");
		} else {
			diag_print(&a->c.diags, stderr, a->o->color, 100);
			fprintf(stderr, "dpc: the project has %zu error%s; fix %s before asking the LLM\n",
				a->c.diags.nerrors, a->c.diags.nerrors == 1 ? "" : "s",
				a->c.diags.nerrors == 1 ? "it" : "them");
		}
		return 2;
	}
	a->sa = &a->c.spec->ai;
	char *err = NULL;
	if (!llm_config_resolve(&a->cfg, a->sa, &err)) {
		int code = fail(a, 2, "%s", err);
		free(err);
		return code;
	}
	char *dir = xasprintf("%s/.dpc", a->o->dir);
	int rc = state_ai_open(&a->db, dir, true, &err);
	free(dir);
	if (rc != 0) {
		int code = fail(a, 1, "the audit log: %s", err);
		free(err);
		return code;
	}
	static const struct ai_var repairvars[] = {{"problems", ""}, {"round", ""}, {"rounds", ""}};
	a->repair = ai_prompt_load(a->rootfd, a->sa->prompts, "repair", repairvars, LEN(repairvars), false, &err);
	if (!a->repair) {
		int code = fail(a, 2, "%s", err);
		free(err);
		return code;
	}
	return 0;
}

static void
addcontext(struct ai *a, const struct ai_context *x)
{
	if (a->doc) {
		cJSON *cj = cJSON_AddObjectToObject(a->doc, "context");
		cJSON *nodes = cJSON_AddArrayToObject(cj, "nodes");
		for (size_t i = 0; i < x->nnodes; i++)
			cJSON_AddItemToArray(nodes, cJSON_CreateString(x->nodes[i]));
		cJSON *closest = cJSON_AddArrayToObject(cj, "closest");
		for (size_t i = 0; i < x->nclosest; i++)
			cJSON_AddItemToArray(closest, cJSON_CreateString(x->closest[i]));
		cJSON_AddNumberToObject(cj, "bytes", (double)strlen(x->text));
		cJSON_AddNumberToObject(cj, "omitted", (double)x->omitted);
	} else {
		fprintf(stderr, "dpc: context: %zu node%s (%zu in detail), %zu bytes\n", x->nnodes,
			x->nnodes == 1 ? "" : "s", x->nclosest, strlen(x->text));
	}
}

/* the request as a JSON string: quoted data inside the prompt */
static char *
quoted(const char *s)
{
	cJSON *j = cJSON_CreateString(s);
	char *t = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	char *r = xstrdup(t);
	cJSON_free(t);
	return r;
}

/* ---- generate ---- */

static const struct {
	const char *kind, *hint;
} kinds[] = {
	{"any", "whatever the request needs"},
	{"model", "a new model: its entry under /models and its SQL file, in the layer's folder with its prefix"},
	{"asset", "a new asset: its entry under /assets and its Python file defining the function it names"},
	{"test", "data tests: column or model-level tests on existing nodes, or a singular test under /tests"},
	{"ci", "the ci: section (/ci): providers, steps, deploy, secrets"},
};

struct gen {
	struct ai_trial t;      /* the candidate that compiled */
};

static enum verdict
checkgenerate(struct ai *a, cJSON *ans, void *arg, char **problem, bool *diagnostics)
{
	struct gen *g = arg;
	const cJSON *patch = item(ans, "patch"), *files = item(ans, "files");
	if (!cJSON_IsString(item(ans, "explanation"))) {
		*problem = xstrdup("the answer has no \"explanation\" string");
		return V_REPAIR;
	}
	if (!files) /* a change without files may leave the key out */
		files = cJSON_AddArrayToObject(ans, "files");
	if ((*problem = ai_change_shape(patch, files)))
		return V_REPAIR;
	if (!cJSON_GetArraySize(patch) && !cJSON_GetArraySize(files)) {
		*problem = xstrdup("the answer changes nothing: give the patch (and files) that make the change");
		return V_REPAIR;
	}
	if ((*problem = ai_change_refuse(&a->c, files)))
		return V_REFUSE;
	if (ai_trial_run(&a->c, &g->t, patch, files))
		return V_OK;
	*problem = g->t.problem;
	g->t.problem = NULL;
	*diagnostics = g->t.diagnostics;
	if (g->t.diagnostics) {
		cJSON_Delete(a->diags);
		a->diags = diag_json(&g->t.c.diags);
	}
	ai_trial_free(&g->t);
	return V_REPAIR;
}

static int
generate(struct ai *a)
{
	if (!a->prompt || !*a->prompt)
		return fail(a, 2, "generate needs the request: dpc ai generate --prompt \"...\"");
	if (strlen(a->prompt) > MAX_REQUEST)
		return fail(a, 2, "the request is %zu bytes; at most %u: say what to change, the pipeline is sent along",
			    strlen(a->prompt), MAX_REQUEST);
	const char *hint = NULL;
	for (size_t i = 0; i < LEN(kinds); i++)
		if (strcmp(kinds[i].kind, a->kind ? a->kind : "any") == 0)
			hint = kinds[i].hint;
	if (!hint)
		return fail(a, 2, "--kind takes model, asset, test or ci, not '%s'", a->kind);
	int code = setup(a);
	if (code)
		return code;
	struct ai_context x;
	ai_context_build(&x, &a->c, &(struct ai_context_opts){.request = a->prompt});
	addcontext(a, &x);
	char *req = quoted(a->prompt);
	struct ai_var vars[] = {{"project", a->c.spec->project},
				{"request", req},
				{"kind", a->kind ? a->kind : "any"},
				{"kind_hint", hint},
				{"context", x.text}};
	char *err = NULL;
	struct ai_prompt *p = ai_prompt_load(a->rootfd, a->sa->prompts, "generate", vars, LEN(vars), true, &err);
	struct gen g = {0};
	cJSON *ans = NULL;
	if (!p) {
		code = fail(a, 2, "%s", err);
		free(err);
	} else {
		ans = converse(a, p, ai_prompt_fill(p->user, vars, LEN(vars)), a->prompt, checkgenerate, &g, &code);
	}
	free(req);
	ai_context_free(&x);
	ai_prompt_free(p);
	cJSON *obj = a->doc ? a->doc : cJSON_CreateObject();
	cJSON_AddNumberToObject(obj, "rounds", a->requests);
	cJSON_AddNumberToObject(obj, "repairs", a->repairs);
	if (!ans) {
		cJSON_AddBoolToObject(obj, "applied", false);
		if (obj != a->doc)
			cJSON_Delete(obj);
		return code;
	}
	cJSON_AddItemToObject(obj, "explanation", cJSON_DetachItemFromObject(ans, "explanation"));
	cJSON_AddItemToObject(obj, "patch", cJSON_DetachItemFromObject(ans, "patch"));
	cJSON_AddItemToObject(obj, "files", cJSON_DetachItemFromObject(ans, "files"));
	cJSON_Delete(ans);
	cJSON_Delete(a->diags);
	a->diags = diag_json(&g.t.c.diags);
	bool destr = ai_trial_plan(&a->c, &g.t, obj);
	if (!a->doc) {
		if (a->repairs)
			printf("dpc: the answer compiles (after %d repair round%s). The change:\n\n", a->repairs,
			       a->repairs == 1 ? "" : "s");
		else
			printf("dpc: the answer compiles. The change:\n\n");
		putsafe(cJSON_GetStringValue(item(obj, "explanation")), stdout);
		putchar('\n');
		printplan(obj);
	}
	if (a->apply || confirm(a)) {
		code = writechange(a, &g.t, destr, obj);
		if (code)
			cJSON_AddBoolToObject(obj, "applied", false);
	} else {
		cJSON_AddBoolToObject(obj, "applied", false);
		say(a, "dpc: nothing was written; run again with --apply to write the change\n");
	}
	ai_trial_free(&g.t);
	if (obj != a->doc)
		cJSON_Delete(obj);
	return code;
}

/* ---- explain ---- */

/* the node an argument names: an id (model.x, source.raw.trips), a name
 * (x), a source table as src.table, a test's name. NULL with *why */
static const struct node *
findnode(const struct graph *g, const char *arg, char **why)
{
	const struct node *n = graph_find(g, arg);
	if (!n)
		n = graph_byname(g, arg);
	static const char *const prefixes[] = {"source.", "test.", "schedule.", "sensor.", "airflow_dag."};
	for (size_t i = 0; !n && i < LEN(prefixes); i++) {
		char *id = xasprintf("%s%s", prefixes[i], arg);
		n = graph_find(g, id);
		free(id);
	}
	if (n)
		return n;
	const char **cands = xcalloc(2 * g->n + 1, sizeof(char *));
	size_t nc = 0;
	for (size_t i = 0; i < g->n; i++) {
		cands[nc++] = g->nodes[i].id;
		cands[nc++] = g->nodes[i].name;
	}
	const char *h = did_you_mean(arg, cands, nc);
	*why = xasprintf("there is no node '%s' in the pipeline%s%s%s", arg, h ? "; did you mean '" : "", h ? h : "",
			 h ? "'?" : " (dpc graph lists them)");
	free(cands);
	return NULL;
}

static enum verdict
checkexplain(struct ai *a, cJSON *ans, void *arg, char **problem, bool *diagnostics)
{
	(void)a, (void)arg, (void)diagnostics;
	if (!cJSON_GetStringValue(item(ans, "summary"))) {
		*problem = xstrdup("the answer has no \"summary\" string");
		return V_REPAIR;
	}
	static const char *const lists[] = {"details", "caveats"};
	for (size_t i = 0; i < LEN(lists); i++) {
		cJSON *l = cJSON_GetObjectItemCaseSensitive(ans, lists[i]);
		if (!l) {
			cJSON_AddArrayToObject(ans, lists[i]);
			continue;
		}
		bool ok = cJSON_IsArray(l);
		const cJSON *e;
		cJSON_ArrayForEach(e, l) ok = ok && cJSON_IsString(e);
		if (!ok) {
			*problem = xasprintf("\"%s\" must be an array of strings", lists[i]);
			return V_REPAIR;
		}
	}
	return V_OK;
}

static int
explain(struct ai *a)
{
	if (!a->node)
		return fail(a, 2, "explain needs a node: dpc ai explain NODE (a model, source, seed, test, ...)");
	int code = setup(a);
	if (code)
		return code;
	char *why = NULL;
	const struct node *n = findnode(a->c.graph, a->node, &why);
	if (!n) {
		code = fail(a, 2, "%s", why);
		free(why);
		return code;
	}
	/* a generic test is explained with what it tests */
	struct ai_context x;
	ai_context_build(&x, &a->c,
			 &(struct ai_context_opts){.focus = n->kind == N_TEST && !n->singular ? &a->c.graph->nodes[n->tested]
											     : n});
	addcontext(a, &x);
	struct buf focus = {0};
	buf_puts(&focus, n->id);
	if (n->kind == N_TEST && n->test)
		buf_printf(&focus, " (a generic test on %s%s%s)", a->c.graph->nodes[n->tested].id, n->column ? ", column " : "",
			   n->column ? n->column : "");
	struct ai_var vars[] = {{"project", a->c.spec->project},
				{"node", focus.data},
				{"kind", node_kindname(n->kind)},
				{"context", x.text}};
	char *err = NULL;
	struct ai_prompt *p = ai_prompt_load(a->rootfd, a->sa->prompts, "explain", vars, LEN(vars), true, &err);
	cJSON *ans = NULL;
	if (!p) {
		code = fail(a, 2, "%s", err);
		free(err);
	} else {
		char *summary = xasprintf("explain %s", n->id);
		ans = converse(a, p, ai_prompt_fill(p->user, vars, LEN(vars)), summary, checkexplain, NULL, &code);
		free(summary);
	}
	ai_context_free(&x);
	ai_prompt_free(p);
	buf_free(&focus);
	if (a->doc) {
		cJSON_AddStringToObject(a->doc, "node", n->id);
		cJSON_AddStringToObject(a->doc, "kind", node_kindname(n->kind));
		cJSON_AddNumberToObject(a->doc, "rounds", a->requests);
	}
	if (!ans)
		return code;
	if (a->doc) {
		static const char *const keys[] = {"summary", "details", "caveats"};
		for (size_t i = 0; i < LEN(keys); i++)
			cJSON_AddItemToObject(a->doc, keys[i], cJSON_DetachItemFromObject(ans, keys[i]));
	} else {
		printf("%s (%s", n->id, node_kindname(n->kind));
		if (n->file)
			printf(", %s", n->file);
		printf(", defined at %s:%u)\n\n", node_specfile(a->c.graph, n), n->line);
		putsafe(cJSON_GetStringValue(item(ans, "summary")), stdout);
		putchar('\n');
		static const char *const titles[][2] = {{"details", "How it works"}, {"caveats", "Caveats"}};
		for (size_t i = 0; i < LEN(titles); i++) {
			const cJSON *l = item(ans, titles[i][0]), *e;
			if (cJSON_GetArraySize(l))
				printf("\n%s:\n", titles[i][1]);
			cJSON_ArrayForEach(e, l) {
				fputs("  - ", stdout);
				putsafe(e->valuestring, stdout);
				putchar('\n');
			}
		}
	}
	cJSON_Delete(ans);
	return 0;
}

/* ---- refactor ---- */

static const char *const categories[] = {"duplicate_logic", "missing_test", "incremental", "naming", "other"};

static enum verdict
checkrefactor(struct ai *a, cJSON *ans, void *arg, char **problem, bool *diagnostics)
{
	(void)a, (void)arg, (void)diagnostics;
	const cJSON *sv = item(ans, "suggestions"), *s;
	if (!cJSON_IsArray(sv)) {
		*problem = xstrdup("the answer has no \"suggestions\" array ([] when nothing is worth changing)");
		return V_REPAIR;
	}
	if (cJSON_GetArraySize(sv) > MAX_SUGGESTIONS) {
		*problem = xasprintf("%d suggestions; at most %d, the most valuable first", cJSON_GetArraySize(sv),
				     MAX_SUGGESTIONS);
		return V_REPAIR;
	}
	int i = 0;
	cJSON_ArrayForEach(s, sv) {
		i++;
		if (!cJSON_IsObject(s) || !cJSON_GetStringValue(item(s, "title")) ||
		    !cJSON_GetStringValue(item(s, "reason"))) {
			*problem = xasprintf("suggestion %d must be an object with \"title\" and \"reason\" strings", i);
			return V_REPAIR;
		}
	}
	return V_OK;
}

/* where the last suggestions are kept, beneath the project */
#define REFACTOR_SAVED ".dpc/ai/refactor.json"

/* a digest of everything the compilation read: the saved suggestions are
 * good while it is the same */
static void
inputsdigest(struct compilation *c, char hex[33])
{
	size_t n;
	struct state_input *in = compile_inputs(c, &n);
	hash_hex(inputs_hash(in, n), hex);
	state_inputs_free(in, n);
}

/* the saved answer for this project state and focus (owned), or NULL */
static cJSON *
loadsaved(struct ai *a, const char *focus, const char *digest, int64_t *logid)
{
	char *text = NULL;
	size_t len;
	if (read_beneath(a->rootfd, REFACTOR_SAVED, (size_t)16 << 20, &text, &len, NULL) != 0)
		return NULL;
	cJSON *j = cJSON_Parse(text);
	free(text);
	const char *d = cJSON_GetStringValue(item(j, "inputs"));
	const cJSON *f = item(j, "focus"), *ans = item(j, "answer");
	bool same = d && strcmp(d, digest) == 0 && cJSON_IsObject(ans) &&
		    (focus ? cJSON_IsString(f) && strcmp(f->valuestring, focus) == 0 : cJSON_IsNull(f));
	cJSON *r = NULL;
	if (same) {
		const cJSON *id = item(j, "logid");
		*logid = cJSON_IsNumber(id) ? (int64_t)id->valuedouble : -1;
		r = cJSON_DetachItemFromObject(j, "answer");
	}
	cJSON_Delete(j);
	return r;
}

/* keep the answer for --apply N; a failure only costs a new request later */
static void
save(struct ai *a, const char *focus, const char *digest, const cJSON *ans)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "inputs", digest);
	cJSON_AddItemToObject(j, "focus", focus ? cJSON_CreateString(focus) : cJSON_CreateNull());
	cJSON_AddNumberToObject(j, "logid", (double)a->logid);
	cJSON_AddItemToObject(j, "answer", cJSON_Duplicate(ans, true));
	char *text = cJSON_Print(j);
	cJSON_Delete(j);
	mkdirat(a->rootfd, ".dpc", 0777);
	mkdirat(a->rootfd, ".dpc/ai", 0777);
	const char *tmp = REFACTOR_SAVED ".tmp";
	int fd = openat(a->rootfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd >= 0) {
		bool ok = writeall(fd, text, strlen(text)) == 0;
		ok &= close(fd) == 0;
		if (!ok || renameat(a->rootfd, tmp, a->rootfd, REFACTOR_SAVED) != 0)
			unlinkat(a->rootfd, tmp, 0);
	}
	cJSON_free(text);
}

/* check one suggestion: its shape, its paths, and whether it compiles;
 * fills sj (the suggestion as the document shows it) and, when it is
 * valid and keep is set, leaves the compiled change in t */
static bool
vet(struct ai *a, const cJSON *s, cJSON *sj, struct ai_trial *t, bool keep)
{
	const cJSON *patch = item(s, "patch"), *files = item(s, "files");
	cJSON *empty = NULL;
	if (!files)
		files = empty = cJSON_CreateArray();
	const char *cat = cJSON_GetStringValue(item(s, "category"));
	bool known = false;
	for (size_t i = 0; cat && i < LEN(categories) && !known; i++)
		known = strcmp(cat, categories[i]) == 0;
	cJSON_AddStringToObject(sj, "title", cJSON_GetStringValue(item(s, "title")));
	cJSON_AddStringToObject(sj, "category", known ? cat : "other");
	cJSON_AddStringToObject(sj, "reason", cJSON_GetStringValue(item(s, "reason")));
	cJSON_AddItemToObject(sj, "patch", patch ? cJSON_Duplicate(patch, true) : cJSON_CreateArray());
	cJSON_AddItemToObject(sj, "files", cJSON_Duplicate(files, true));
	char *why = !patch ? xstrdup("no \"patch\" ([] for none)") : ai_change_shape(patch, files);
	if (!why && !cJSON_GetArraySize(patch) && !cJSON_GetArraySize(files))
		why = xstrdup("it changes nothing");
	if (!why)
		why = ai_change_refuse(&a->c, files);
	*t = (struct ai_trial){0};
	if (!why && !ai_trial_run(&a->c, t, patch, files)) {
		why = t->problem;
		t->problem = NULL;
		if (t->diagnostics)
			cJSON_AddItemToObject(sj, "diagnostics", diag_json(&t->c.diags));
	}
	if (!why) {
		char *diff = sedit_diff(t->se);
		cJSON_AddStringToObject(sj, "diff", diff);
		free(diff);
	}
	cJSON_AddBoolToObject(sj, "valid", !why);
	if (why)
		cJSON_AddStringToObject(sj, "rejected", why);
	free(why);
	cJSON_Delete(empty);
	bool ok = cJSON_IsTrue(item(sj, "valid"));
	if (!ok || !keep)
		ai_trial_free(t);
	return ok;
}

/* text indented by ind spaces on every line after the first */
static void
putindented(const char *s, const char *ind)
{
	for (const char *p = s; p && *p;) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);
		if (p != s)
			fputs(ind, stdout);
		putsafe(line, stdout);
		putchar('\n');
		free(line);
		p += len + (p[len] == '\n');
	}
}

static void
printsuggestion(const cJSON *sj, int n)
{
	printf("%d. [%s] ", n, cJSON_GetStringValue(item(sj, "category")));
	putsafe(cJSON_GetStringValue(item(sj, "title")), stdout);
	fputs("\n   why: ", stdout);
	putindented(cJSON_GetStringValue(item(sj, "reason")), "        ");
	const char *rej = cJSON_GetStringValue(item(sj, "rejected"));
	if (rej) {
		fputs("   rejected: ", stdout);
		putindented(rej, "     ");
	} else {
		fputs("   change (compiles):\n     ", stdout);
		putindented(cJSON_GetStringValue(item(sj, "diff")), "     ");
	}
	putchar('\n');
}

static int
refactor(struct ai *a)
{
	if (a->apply && a->pick < 1)
		return fail(a, 2, "refactor --apply takes the number of a suggestion: --apply 1 for the first");
	int code = setup(a);
	if (code)
		return code;
	const struct node *n = NULL;
	if (a->node) {
		char *why = NULL;
		n = findnode(a->c.graph, a->node, &why);
		if (!n) {
			code = fail(a, 2, "%s", why);
			free(why);
			return code;
		}
	}
	char digest[33];
	inputsdigest(&a->c, digest);
	cJSON *ans = NULL;
	bool reused = false;
	if (a->apply && (ans = loadsaved(a, n ? n->id : NULL, digest, &a->logid)))
		reused = true;
	if (!ans) {
		struct ai_context x;
		ai_context_build(&x, &a->c, &(struct ai_context_opts){.focus = n, .all_models = !n});
		addcontext(a, &x);
		struct ai_var vars[] = {{"project", a->c.spec->project},
					{"focus", n ? n->id : "the whole pipeline"},
					{"context", x.text}};
		char *err = NULL;
		struct ai_prompt *p = ai_prompt_load(a->rootfd, a->sa->prompts, "refactor", vars, LEN(vars), true, &err);
		if (!p) {
			code = fail(a, 2, "%s", err);
			free(err);
		} else {
			char *summary = xasprintf("refactor %s", n ? n->id : "(the whole pipeline)");
			ans = converse(a, p, ai_prompt_fill(p->user, vars, LEN(vars)), summary, checkrefactor, NULL,
				       &code);
			free(summary);
		}
		ai_context_free(&x);
		ai_prompt_free(p);
		if (ans)
			save(a, n ? n->id : NULL, digest, ans);
	}
	if (a->doc) {
		cJSON_AddItemToObject(a->doc, "node", n ? cJSON_CreateString(n->id) : cJSON_CreateNull());
		cJSON_AddNumberToObject(a->doc, "rounds", a->requests);
		cJSON_AddBoolToObject(a->doc, "reused", reused);
	}
	if (!ans)
		return code;
	const cJSON *sv = item(ans, "suggestions"), *s;
	cJSON *list = cJSON_CreateArray();
	int i = 0, valid = 0;
	struct ai_trial chosen = {0};
	cJSON_ArrayForEach(s, sv) {
		i++;
		cJSON *sj = cJSON_CreateObject();
		cJSON_AddNumberToObject(sj, "n", i);
		/* vet compiles in place: a compilation's graph points at its
		 * diagnostics, so a trial is never copied */
		bool keep = a->apply && i == a->pick;
		struct ai_trial scratch;
		valid += vet(a, s, sj, keep ? &chosen : &scratch, keep);
		cJSON_AddItemToArray(list, sj);
	}
	if (!a->doc) {
		printf("dpc: %d suggestion%s for %s (%d compile%s, %d rejected)%s\n\n", i, i == 1 ? "" : "s",
		       n ? n->id : "the whole pipeline", valid, valid == 1 ? "s" : "", i - valid,
		       reused ? ", as kept from the last dpc ai refactor" : "");
		int k = 0;
		const cJSON *sj;
		cJSON_ArrayForEach(sj, list) printsuggestion(sj, ++k);
	}
	cJSON *applied = NULL;
	if (a->apply) {
		const cJSON *pickj = cJSON_GetArrayItem(list, (int)a->pick - 1);
		if (!pickj) {
			code = fail(a, 2, "there is no suggestion %ld: there %s %d", a->pick, i == 1 ? "is" : "are", i);
		} else if (!chosen.se) {
			code = fail(a, 1, "suggestion %ld was rejected (above); nothing was written", a->pick);
		} else {
			applied = cJSON_CreateObject();
			cJSON_AddNumberToObject(applied, "n", (double)a->pick);
			bool destr = ai_trial_plan(&a->c, &chosen, applied);
			if (!a->doc) {
				printf("dpc: applying suggestion %ld:\n", a->pick);
				printplan(applied);
			}
			code = writechange(a, &chosen, destr, applied);
		}
	} else {
		say(a, "dpc: nothing was written; dpc ai refactor%s%s --apply N writes suggestion N\n", n ? " " : "",
		    n ? a->node : "");
	}
	ai_trial_free(&chosen);
	if (a->doc) {
		cJSON_AddItemToObject(a->doc, "suggestions", list);
		cJSON_AddItemToObject(a->doc, "applied", applied ? applied : cJSON_CreateNull());
	} else {
		cJSON_Delete(list);
		cJSON_Delete(applied);
	}
	cJSON_Delete(ans);
	return code;
}

/* ---- reset ---- */

static int
reset(struct ai *a)
{
	char *dir = xasprintf("%s/.dpc", a->o->dir), *err = NULL;
	struct ai_db db;
	int rc = state_ai_open(&db, dir, false, &err);
	free(dir);
	if (rc != 0) {
		int code = fail(a, 1, "the audit log: %s", err);
		free(err);
		return code;
	}
	int n = db.db ? state_ai_reset_breakers(&db) : 0;
	state_ai_close(&db);
	if (a->doc)
		cJSON_AddNumberToObject(a->doc, "closed", n);
	else if (n)
		printf("dpc: closed %d open circuit breaker%s; dpc ai calls the provider again\n", n, n == 1 ? "" : "s");
	else
		printf("dpc: no circuit breaker was open\n");
	return 0;
}

/* ---- the command line ---- */

static const struct verb {
	const char *name;
	int (*run)(struct ai *);
	const char *usage;
	bool takes_node;
} actions[] = {
	{"generate", generate, usage_generate, false},
	{"explain", explain, usage_explain, true},
	{"refactor", refactor, usage_refactor, true},
	{"reset", reset, usage_reset, false},
};

static bool
number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* read the action's options; 0, or 2 with the error reported */
static int
parseargs(struct ai *a, const struct verb *act, bool *help)
{
	struct opts *o = a->o;
	bool gen = act->run == generate, ref = act->run == refactor;
	for (int i = 1; i < o->nrest; i++) {
		const char *s = o->rest[i];
		const char **val = NULL;
		if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			*help = true;
		} else if (gen && (strcmp(s, "--prompt") == 0 || strcmp(s, "-p") == 0)) {
			val = &a->prompt;
		} else if (gen && strncmp(s, "--prompt=", 9) == 0) {
			a->prompt = s + 9;
		} else if (gen && strcmp(s, "--kind") == 0) {
			val = &a->kind;
		} else if (gen && strncmp(s, "--kind=", 7) == 0) {
			a->kind = s + 7;
		} else if ((gen || ref) && (strcmp(s, "--apply") == 0 || strcmp(s, "--yes") == 0 || strcmp(s, "-y") == 0)) {
			a->apply = true;
			if (ref && strcmp(s, "--apply") == 0 && i + 1 < o->nrest && number(o->rest[i + 1]))
				a->pick = atol(o->rest[++i]);
		} else if (ref && strncmp(s, "--apply=", 8) == 0 && number(s + 8)) {
			a->apply = true;
			a->pick = atol(s + 8);
		} else if ((gen || ref) && strcmp(s, "--allow-destructive") == 0) {
			a->allow_destructive = true;
		} else if (s[0] == '-' && s[1]) {
			return fail(a, 2, "unknown option '%s' for dpc ai %s (dpc ai %s --help)", s, act->name, act->name);
		} else if (act->takes_node && !a->node) {
			a->node = s;
		} else {
			return fail(a, 2, "unexpected argument '%s' for dpc ai %s%s", s, act->name,
				    gen ? " (the request goes in --prompt \"...\")" : "");
		}
		if (val) {
			if (++i == o->nrest)
				return fail(a, 2, "%s needs a value", s);
			*val = o->rest[i];
		}
	}
	return 0;
}

int
cmd_ai(struct opts *o)
{
	struct ai a = {.o = o, .doc = json(o) ? newdoc("ai") : NULL, .rootfd = -1, .logid = -1};
	const char *name = o->nrest ? o->rest[0] : NULL;
	if (!name || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		if (a.doc) {
			cJSON_AddStringToObject(a.doc, "usage", usage_ai);
			return finish(a.doc, name ? 0 : 2);
		}
		fputs(usage_ai, name ? stdout : stderr);
		return name ? 0 : 2;
	}
	const struct verb *act = NULL;
	for (size_t i = 0; i < LEN(actions); i++)
		if (strcmp(actions[i].name, name) == 0)
			act = &actions[i];
	int code;
	if (!act) {
		const char *names[LEN(actions)];
		for (size_t i = 0; i < LEN(actions); i++)
			names[i] = actions[i].name;
		const char *h = did_you_mean(name, names, LEN(names));
		code = fail(&a, 2, "unknown action '%s'%s%s%s: dpc ai generate, explain, refactor or reset", name,
			    h ? "; did you mean '" : "", h ? h : "", h ? "'?" : "");
		return a.doc ? finish(a.doc, code) : code;
	}
	a.action = act->name;
	if (a.doc)
		cJSON_AddStringToObject(a.doc, "action", act->name);
	bool help = false;
	code = parseargs(&a, act, &help);
	if (!code && help) {
		if (a.doc)
			cJSON_AddStringToObject(a.doc, "usage", act->usage);
		else
			fputs(act->usage, stdout);
	} else if (!code) {
		code = act->run(&a);
	}
	if (a.doc && a.diags)
		cJSON_AddItemToObject(a.doc, "diagnostics", a.diags);
	else if (a.doc && !help)
		cJSON_AddItemToObject(a.doc, "diagnostics", a.compiled ? diag_json(&a.c.diags) : cJSON_CreateArray());
	else
		cJSON_Delete(a.diags);
	if (a.compiled)
		compile_free(&a.c);
	ai_prompt_free(a.repair);
	state_ai_close(&a.db);
	if (a.rootfd >= 0)
		close(a.rootfd);
	return a.doc ? finish(a.doc, code) : code;
}
