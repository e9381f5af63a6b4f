/* runint.h: what the parts of `dpc run` share: run.c (planning and
 * executing), render.c (SQL and macros through the Jinja interpreter),
 * runsel.c (selection), checks.c (data tests and freshness), mat.c
 * (materializations), noop.c (the no-op run) and report.c (progress,
 * summary, results). */
#ifndef DPC_RUNINT_H
#define DPC_RUNINT_H

#include <cJSON.h>

#include "diag.h"
#include "ir.h"
#include "run.h"
#include "wh.h"

enum rkind { RK_SOURCE, RK_SEED, RK_MODEL, RK_TEST };

enum rstatus {
	RS_NONE,     /* not selected, or not looked at */
	RS_UPTODATE, /* selected, and as its last build left it */
	RS_SUCCESS, RS_ERROR, RS_SKIPPED, /* seeds and models (dbt's words) */
	RS_PASS, RS_FAIL, RS_WARN,        /* tests and freshness */
};

struct rnode {
	size_t gi;               /* the graph node */
	const struct node *n;
	enum rkind kind;
	const char *uid;         /* dbt's unique_id: model.<project>.<name>, ... */
	const char *label;       /* what the progress line names: the model's name, raw.trips */
	const char *relname;     /* the relation's name in the warehouse (seeds, models
				  * but ephemeral ones, sources); NULL otherwise */
	const char *mat;         /* seed, view, table, incremental, ephemeral, test, source */
	const char *config;      /* the materialization and the settings that shape it */
	const char *severity;    /* tests: "error" or "warn" */
	const struct spec_freshness *fresh; /* sources: the effective freshness, or NULL */
	size_t *deps;            /* upstream rnodes (relations read; tests: what they test) */
	size_t ndeps;
	bool selected, run;      /* picked by the selection; executes in this run */
	bool disabled;           /* models: enabled: false */
	bool exists;             /* sources: the table is in the warehouse */
	bool planned;            /* rendered and versioned */
	bool incremental;        /* an incremental model run as an increment */
	bool blocked;            /* a test of it failed: what reads it is skipped */
	bool absent;             /* skipped before the run: it checks a source table
				  * the warehouse does not have */
	const char *why;         /* why it runs or does not (--explain); arena */
	char *text;              /* the SQL as written (models, singular tests), or the CSV */
	size_t textlen;
	char *sql;               /* what executes: the SELECT with ephemerals inlined
				  * (models), the query of failing rows (tests); owned */
	char *body;              /* models and tests: the rendered SQL alone, before
				  * the ephemerals it reads are added */
	size_t *ephs;            /* ephemeral models this one's rendering read */
	size_t nephs, capephs;
	struct hash sqlhash;     /* what the build depends on besides upstream */
	char *upstream;          /* "<uid> <version>\n" per upstream relation, sorted */
	struct hash version;     /* the data version after this run */
	char *error;             /* a problem found before executing (rendering, CSV) */
	/* the outcome */
	enum rstatus status;
	char *message;
	long long rows, failures;
	double secs;
	struct wh_sample sample; /* tests: the first failing rows */
	char started[32], completed[32];
	size_t seq;              /* its place among the nodes that execute */
};

struct jj_macros;

struct runner {
	struct compilation *c;
	const struct graph *g;
	const struct spec *spec;
	const struct run_options *o;
	struct wh wh;
	struct arena a;
	struct diags diags;      /* rendering and selection problems, printed with a caret */
	struct rnode *v;
	size_t n;
	size_t *byg;             /* graph index → rnode index + 1 */
	size_t *order;           /* rnodes in execution order (every one, topologically) */
	size_t norder;
	size_t nrun;             /* how many execute */
	struct cJSON *vars;      /* --vars, parsed */
	struct jj_macros *macros;
	const char **macropaths; /* the macro files, as jj_macros_load numbers them */
	size_t nmacros;
	struct buf scratch;      /* the answers of the renderer's callbacks */
	bool json;               /* results go into a JSON document: print nothing */
	double t0;               /* when the run started (seconds, monotonic) */
	char started_at[32];
	char invocation[40];
};

/* the files and folders under macros/, relative to the project: what the
 * macros were read from, and what the no-op record stamps */
struct macroset {
	char **paths;
	size_t n, cap;
};

/* run.c: render ephemeral model e (once) and give it its data version */
void run_plan_ephemeral(struct runner *r, struct rnode *e);

/* render.c */
/* read x's SQL (its file, or the spec's inline text) into x->text; -1 with x->error */
int render_read(struct runner *r, struct rnode *x);
/* x->text rendered (owned), with this = this_rel; NULL with x->error and
 * diagnostics in r->diags */
char *render_sql(struct runner *r, struct rnode *x, const char *this_rel, bool incremental);
/* drop trailing blanks and semicolons, which would break the wrapping */
void render_trim(char *s);
/* body with the ephemeral models x read put in front as CTEs (owned) */
char *render_wrap(struct runner *r, struct rnode *x, const char *body);
/* find and parse the project's macros into r->macros (paths into ms);
 * false after diagnostics */
bool render_macros(struct runner *r, struct macroset *ms);

/* noop.c: what a run that left everything up to date saw (owned), or NULL
 * when it cannot be vouched for without compiling */
char *noop_record(struct runner *r, struct state *st, const struct macroset *ms);

/* selection (runsel.c): set selected on every node the options pick;
 * false, with diagnostics in r->diags, when the selection is wrong */
bool runsel_apply(struct runner *r);

/* the relation (or ephemeral CTE) SQL names node gi by, for rnode x, which
 * then reads it: "main"."name", or __dbt__cte__name (remembered in x's
 * ephs). False with *why when it cannot be read */
bool run_relation(struct runner *r, struct rnode *x, size_t gi, struct buf *out, const char **why);

/* checks.c: the query of failing rows of a generic test (into x->body), or
 * false with x->error */
bool checks_generic_sql(struct runner *r, struct rnode *x);
/* run test x, or the freshness check of source x; sets status, message,
 * failures and sample */
void checks_run_test(struct runner *r, struct rnode *x);
void checks_run_freshness(struct runner *r, struct rnode *x);

/* mat.c: build seed or model x in one transaction with its record;
 * sets status, message and rows */
void mat_seed(struct runner *r, struct rnode *x);
void mat_model(struct runner *r, struct rnode *x);

/* report.c */
double run_now(void);                         /* monotonic seconds */
void run_isotime(char out[32]);               /* the UTC time, ISO 8601 with microseconds */
void report_explain(struct runner *r);        /* --explain: why each node runs or not */
void report_line(struct runner *r, struct rnode *x); /* "3 of 14 OK table x ... [120 rows in 0.01s]" */
/* the summary, and the results in doc; returns the exit code */
int report_finish(struct runner *r, struct cJSON *doc);
/* target/run_results.json for the nodes that executed (all of r when
 * r is not NULL; none for a no-op run) */
int report_results_file(const struct run_options *o, struct runner *r, double elapsed, char **err);
/* a status as dbt writes it */
const char *report_status(enum rstatus s);

/* seconds → "0.01s" etc. into b */
void report_secs(struct buf *b, double s);

#endif
