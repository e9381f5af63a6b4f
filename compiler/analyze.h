/* analyze.h: `dpc analyze`: read the code a repository already has (dbt
 * projects, Airflow DAGs, Dagster assets, dlt pipelines, plain SQL scripts,
 * Supabase migrations) into one graph, print it, and propose a spec.
 *
 * An analysis never writes anything. What it cannot read (a Python file that
 * does not parse, a binary or huge file, a symlink loop, an unreadable file)
 * becomes a warning at its place and the rest goes on; only main.c decides
 * the exit code. The JSON shape is documented in docs/analyze.md.
 *
 * Ownership: an analysis owns everything it holds; analysis_free frees it.
 * Documents and texts the functions below return are owned by the caller. */
#ifndef DPC_ANALYZE_H
#define DPC_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct analysis;
struct diags;
struct cJSON;

/* files larger than this are not read (a warning names them) */
#define ANALYZE_MAX_BYTES ((size_t)8 << 20)

/* Analyze path, a folder (walked) or one file. threads 0 chooses. Returns
 * NULL with errno set when path cannot be opened at all; otherwise an
 * analysis, warnings included. */
struct analysis *analyze(const char *path, int threads);
void analysis_free(struct analysis *an);

/* the warnings found, sorted by file and place; borrowed */
struct diags *analysis_diags(struct analysis *an);

/* write the JSON document {"command": "analyze", "root", "nodes", "edges",
 * "dags", "warnings", "summary"} to out, then the members of extra (an
 * object, or NULL) as more top-level keys */
void analysis_print_json(struct analysis *an, struct cJSON *extra, FILE *out);

/* print the graph as "text" (a summary, then each node with what it reads),
 * "summary" (the summary alone), "dot" or "mermaid"; false for another
 * format */
bool analysis_print(struct analysis *an, const char *format, FILE *out);

/* the proposed pipeline.yaml, its paths relative to the analyzed folder (the
 * spec belongs at its root); owned by the caller. Problems that keep parts
 * out of the proposal are added to the analysis' warnings. */
char *analysis_spec(struct analysis *an, size_t *len);

#endif
