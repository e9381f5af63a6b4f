/* llm.h: the LLM client (libcurl). Two wire protocols: OpenAI-compatible
 * chat completions (OpenAI, and by base URL Ollama, vLLM, LM Studio and the
 * like) and Anthropic messages.
 *
 * One call is one request with retries: timeouts, backoff on 429 and 5xx
 * honouring Retry-After, a bound on the response size, and a circuit
 * breaker whose state the caller keeps (the state DB) between processes.
 * Structured output: with a schema, OpenAI-compatible providers get
 * response_format json_schema (or json_object), Anthropic a forced tool
 * whose input_schema is the schema; the answer is then JSON text.
 *
 * The API key is read from the environment at call time and never leaves
 * this file except in the request's header: no message, log line or
 * returned string contains it (llm_redact scrubs every message). */
#ifndef DPC_LLM_H
#define DPC_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

struct spec_ai;

enum llm_provider { LLM_OPENAI, LLM_ANTHROPIC };
enum llm_structured { LLM_STRUCT_AUTO, LLM_STRUCT_SCHEMA, LLM_STRUCT_JSON, LLM_STRUCT_NONE };

struct llm_config {
	enum llm_provider provider;
	const char *provider_name;  /* "openai" or "anthropic" */
	const char *model;
	const char *base_url;       /* without the endpoint: https://api.openai.com/v1 */
	bool base_url_from_env;     /* DPC_AI_BASE_URL set it: the user's choice, not the spec's,
				     * so the key may go there (see llm_sends_key) */
	const char *api_key_env;    /* the variable holding the key; OPENAI_API_KEY, ANTHROPIC_API_KEY */
	long timeout_ms;            /* one attempt, connect to last byte; default 120000 */
	long connect_timeout_ms;    /* default 10000 */
	int max_retries;            /* after the first attempt; default 4 */
	long backoff_ms;            /* first wait, doubled each retry, with jitter; default 1000 */
	long max_backoff_ms;        /* the longest wait, Retry-After included; default 60000 */
	size_t max_response;        /* bytes of one response body; default 4 MiB */
	long max_tokens;            /* default 4096 */
	enum llm_structured structured;
	int breaker_threshold;      /* consecutive failed calls that open the breaker; default 5 */
	long breaker_cooldown_s;    /* an open breaker lets a call through after; default 600 */
};

/* the configuration from the spec's ai: section (NULL: none) and the
 * environment, which wins: DPC_AI_PROVIDER, DPC_AI_MODEL, DPC_AI_BASE_URL
 * (and DPC_AI_TIMEOUT_MS, DPC_AI_BACKOFF_MS for tests and slow servers).
 * Strings point into the spec, the environment or static text. False with
 * *err (owned) when the provider is unknown or no model is named. */
bool llm_config_resolve(struct llm_config *c, const struct spec_ai *ai, char **err);

/* the breaker's memory between calls and processes */
struct llm_breaker {
	int failures;        /* consecutive failed calls */
	int64_t opened_at;   /* unix seconds when it opened; 0 while closed */
};

/* one request: a system prompt, then turns alternating user, assistant,
 * user, ... ending with a user turn */
struct llm_request {
	const char *system;
	const char *const *turns;
	size_t nturns;
	const cJSON *schema;      /* the JSON Schema the answer must follow, or NULL */
	const char *schema_name;  /* its name for the provider ([a-zA-Z0-9_-]) */
	bool strict;              /* OpenAI's strict mode: only for a closed schema */
};

struct llm_response {
	char *text;          /* the answer: JSON text when a schema was given */
	char *model;         /* the model the provider says answered, or NULL */
	long tokens_in, tokens_out;
	long http_status;    /* of the last attempt; 0 when none got an answer */
	int attempts;
};

enum llm_status {
	LLM_OK,
	LLM_ERR_CONFIG,      /* no key in the environment, a bad base URL */
	LLM_ERR_BREAKER,     /* the breaker is open: no request was sent */
	LLM_ERR_NETWORK,     /* connection refused or reset, DNS, TLS */
	LLM_ERR_TIMEOUT,     /* an attempt ran past timeout_ms */
	LLM_ERR_HTTP,        /* a 4xx other than 429, or retries ran out */
	LLM_ERR_TOO_LARGE,   /* the response passed max_response */
	LLM_ERR_RESPONSE,    /* the body is not the provider's JSON shape */
};

/* send the request; on LLM_OK *out holds the answer (llm_response_free).
 * Otherwise *err (owned, key-free) says what happened and what to do. br
 * (may be NULL) is read and updated: an open breaker within its cooldown
 * refuses at once; a success closes it. */
enum llm_status llm_call(const struct llm_config *c, struct llm_breaker *br, const struct llm_request *req,
			 struct llm_response *out, char **err);
void llm_response_free(struct llm_response *r);

/* keys shorter than this are placeholders (a local server that wants no
 * key: OPENAI_API_KEY=x), not secrets: llm_redact leaves them */
#define LLM_MIN_SECRET 8

/* s with every occurrence of the configured key replaced by "[redacted]"
 * (owned). Pieces of the key (8 characters or more), as providers echo a
 * key half masked, are replaced too */
char *llm_redact(const struct llm_config *c, const char *s);

/* whether a request to c->base_url carries the key: only to the
 * provider's own API, to this machine (localhost, 127.x, [::1]), or to a
 * base URL from the environment. A base URL written in the spec (which a
 * pull request, an agent or an AI patch may have changed) never receives
 * a key: it could name any variable and any host */
bool llm_sends_key(const struct llm_config *c);

/* the status's short name for logs and JSON: "ok", "config", "breaker",
 * "network", "timeout", "http", "too_large", "response" (static) */
const char *llm_status_name(enum llm_status s);

/* xxh3-128 of what the request sends (system, turns, schema), as 32 hex
 * digits and a NUL: the audit log's prompt hash */
void llm_request_hash(const struct llm_request *req, char hex[33]);

/* the breaker's key: the provider and base URL ("openai
 * https://api.openai.com/v1"); owned */
char *llm_endpoint(const struct llm_config *c);

/* llm_call with its memory in the project's .dpc/ai.db (state.h): the
 * breaker of this endpoint is loaded before and stored after, and one row
 * goes into the audit log (command: generate, explain, refactor; summary:
 * the user's request, cut to 80 characters, key-free). db may be NULL or
 * hold no DB: no breaker memory, no log. *logid (may be NULL) gets the row's
 * id for state_ai_applied, or -1 */
struct ai_db;
enum llm_status llm_call_logged(const struct llm_config *c, struct ai_db *db, const char *command,
				const char *summary, const struct llm_request *req, struct llm_response *out,
				int64_t *logid, char **err);

#endif
