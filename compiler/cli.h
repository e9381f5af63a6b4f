/* cli.h: what main.c shares with the commands that live in files of their
 * own (new, ai, log, supabase): the parsed command line, and the helpers
 * that print one JSON document and decide the exit code.
 *
 * Exit codes, the same for every command (docs/cli.md):
 *   0  success; check: everything up to date
 *   1  not up to date, drift, a held lock, an I/O error; run/test: a node
 *      failed; ai: the provider failed or the answer was refused
 *   2  errors in the spec, the macros or on the command line; an edit that
 *      would not compile */
#ifndef DPC_CLI_H
#define DPC_CLI_H

#include <stdbool.h>

#include <cJSON.h>

struct compilation;

struct opts {
	const char *dir;     /* -C */
	const char *spec;    /* --spec, relative to dir */
	const char *format;  /* text, json, mermaid, dot */
	bool force, explain, color;
	bool allow_destructive; /* --allow-destructive */
	bool supabase;          /* init --supabase */
	const char *ci;         /* init --ci github|gitlab|github,gitlab */
	const char *arg;     /* the command's positional argument */
	/* run and test */
	const char *select, *exclude, *vars;
	bool full_refresh, fail_fast;
	bool running;        /* the build comes before a run: quiet when it writes nothing */
	const char **dags;   /* migrate --dag PATH..., in the order given */
	size_t ndags;
	const char *stage;   /* migrate --stage */
	bool emit_spec;      /* analyze --emit-spec */
	const char *out;     /* analyze --emit-spec FILE, -o FILE */
	int jobs;            /* analyze -j N: threads (0: choose) */
	/* commands that read their own options (new, ai, log, supabase): every
	 * argument after the command's name but -C, --spec and --format */
	char **rest;
	int nrest;
};

/* --format json was asked for */
bool json(const struct opts *o);
/* a JSON document for command cmd: {"command": cmd} */
cJSON *newdoc(const char *cmd);
/* add "ok" and "exit_code" to doc, print it on stdout, free it; returns code */
int finish(cJSON *doc, int code);
/* print doc on stdout and free it */
void printjson(cJSON *doc);
/* open the project folder (-C); -1 with the error in doc (or on stderr) */
int openroot(const struct opts *o, cJSON *doc);
/* compile the project, printing diagnostics (or adding them to doc as
 * "diagnostics"); 0, or 2 when the spec has errors */
int compile(const struct opts *o, struct compilation *c, int rootfd, cJSON *doc);

/* the commands in files of their own */
int cmd_new(struct opts *o);      /* cmd_new.c: dpc new model|source|test|asset */
int cmd_supabase(struct opts *o); /* cmd_new.c: dpc supabase vectorize */
int cmd_ai(struct opts *o);       /* cmd_ai.c: dpc ai generate|explain|refactor */
int cmd_log(struct opts *o);      /* cmd_log.c: dpc log, the audit log of AI requests */

#endif
