/* test_llm.c: the LLM client (llm.c) against tests/ai/fakellm.py, a fake
 * server on 127.0.0.1 that replays a script of answers, for both wire
 * protocols: good answers, the shape of structured-output requests, 429
 * with Retry-After, 5xx retried and retries running out, a hung server, an
 * oversized or malformed answer, a truncated one, the breaker, a dead
 * port, and that the key appears in no message even when the server echoes
 * it. Also the configuration from the spec and the environment, and the
 * audit log and breaker memory in .dpc/ai.db (state_ai.c).
 *
 * Run from the repository's top (tests/run.sh does): the server is
 * python3 tests/ai/fakellm.py. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "llm.h"
#include "spec.h"
#include "state.h"
#include "util.h"
#include "check.h"

#define KEY "sk-test-MARKER-0123456789abcdef"

struct fake {
	pid_t pid;
	char dir[128];   /* this case's folder */
	char url[64];    /* the base URL, .../v1 */
	int n;
};

static int ncase;

/* start the server on script (JSON text); false (counted as a failure)
 * when it does not come up */
static bool
fake_start(struct fake *f, const char *script)
{
	*f = (struct fake){0};
	snprintf(f->dir, sizeof(f->dir), "%s/case%d", check_dir, ++ncase);
	mkdir(f->dir, 0777);
	char path[256], port[256], log[256];
	snprintf(path, sizeof(path), "%s/script.json", f->dir);
	snprintf(port, sizeof(port), "%s/port", f->dir);
	snprintf(log, sizeof(log), "%s/log.jsonl", f->dir);
	FILE *fp = fopen(path, "w");
	if (!fp) {
		printf("FAIL cannot write %s\n", path);
		check_count(false);
		return false;
	}
	fputs(script, fp);
	fclose(fp);
	fflush(stdout);
	f->pid = fork();
	if (f->pid == 0) {
		execlp("python3", "python3", "tests/ai/fakellm.py", "--script", path, "--port-file", port, "--log", log,
		       "--idle", "60", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		FILE *p = fopen(port, "r");
		int n = 0;
		if (p) {
			if (fscanf(p, "%d", &n) != 1)
				n = 0;
			fclose(p);
		}
		if (n > 0) {
			snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/v1", n);
			return true;
		}
		nanosleep(&(struct timespec){0, 25000000}, NULL);
	}
	printf("FAIL fakellm did not start (is python3 there, and the cwd the repository?)\n");
	check_count(false);
	return false;
}

static void
fake_stop(struct fake *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	f->pid = 0;
}

/* the requests the server saw, as a JSON array (cJSON_Delete) */
static cJSON *
fake_log(struct fake *f)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/log.jsonl", f->dir);
	cJSON *arr = cJSON_CreateArray();
	char *text = NULL;
	size_t len;
	if (read_file(path, 1 << 24, &text, &len) != 0)
		return arr;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		cJSON *j = cJSON_Parse(line);
		if (j)
			cJSON_AddItemToArray(arr, j);
	}
	free(text);
	return arr;
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* a configuration for the fake server: small waits, the key in DPC_TEST_KEY */
static struct llm_config
config(enum llm_provider p, const struct fake *f)
{
	return (struct llm_config){
		.provider = p,
		.provider_name = p == LLM_OPENAI ? "openai" : "anthropic",
		.model = "test-model",
		.base_url = f->url,
		.api_key_env = "DPC_TEST_KEY",
		.timeout_ms = 5000,
		.connect_timeout_ms = 2000,
		.max_retries = 2,
		.backoff_ms = 10,
		.max_backoff_ms = 5000,
		.max_response = 1 << 20,
		.max_tokens = 256,
		.structured = LLM_STRUCT_AUTO,
		.breaker_threshold = 3,
		.breaker_cooldown_s = 600,
	};
}

static const char *const turns[] = {"Summarize user purchases by region"};
static const struct llm_request plain = {"You are a test.", turns, 1, NULL, NULL};

static const char *
jstr(const cJSON *o, const char *path)
{
	/* a/b/0/c: keys and array indexes */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	const cJSON *v = o;
	for (char *k = strtok(buf, "/"); k && v; k = strtok(NULL, "/"))
		v = (*k >= '0' && *k <= '9') ? cJSON_GetArrayItem(v, atoi(k)) : cJSON_GetObjectItemCaseSensitive(v, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *
jget(const cJSON *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	const cJSON *v = o;
	for (char *k = strtok(buf, "/"); k && v; k = strtok(NULL, "/"))
		v = (*k >= '0' && *k <= '9') ? cJSON_GetArrayItem(v, atoi(k)) : cJSON_GetObjectItemCaseSensitive(v, k);
	return v;
}

static const char *
pname(enum llm_provider p)
{
	return p == LLM_OPENAI ? "openai" : "anthropic";
}

/* a good answer: text, tokens, model; the request's shape */
static void
test_good(enum llm_provider p)
{
	struct fake f;
	if (!fake_start(&f, "[{\"content\": \"hello there\", \"tokens\": [11, 7], \"model\": \"m-answered\"}]"))
		return;
	struct llm_config c = config(p, &f);
	struct llm_response r;
	char *err = NULL;
	enum llm_status st = llm_call(&c, NULL, &plain, &r, &err);
	CHECK(st == LLM_OK, "%s: good answer: %s", pname(p), err);
	CHECK_STR(r.text, "hello there", "the answer's text");
	CHECK_STR(r.model, "m-answered", "the answering model");
	CHECK(r.tokens_in == 11 && r.tokens_out == 7, "%s: tokens %ld/%ld", pname(p), r.tokens_in, r.tokens_out);
	CHECK(r.attempts == 1 && r.http_status == 200, "%s: one attempt, 200 (%d, %ld)", pname(p), r.attempts,
	      r.http_status);
	cJSON *log = fake_log(&f);
	const cJSON *q = cJSON_GetArrayItem(log, 0);
	CHECK(cJSON_GetArraySize(log) == 1, "%s: one request", pname(p));
	CHECK_STR(jstr(q, "path"), p == LLM_OPENAI ? "/v1/chat/completions" : "/v1/messages", "the endpoint");
	CHECK(cJSON_IsTrue(jget(q, "key_ok")), "%s: the key was sent", pname(p));
	CHECK_STR(jstr(q, "auth_header"), p == LLM_OPENAI ? "authorization" : "x-api-key", "the key's header");
	CHECK_STR(jstr(q, "content_type"), "application/json", "the content type");
	CHECK_STR(jstr(q, "body/model"), "test-model", "the model asked for");
	CHECK(cJSON_IsNumber(jget(q, "body/temperature")) && jget(q, "body/temperature")->valuedouble == 0,
	      "%s: temperature 0", pname(p));
	CHECK(cJSON_IsNumber(jget(q, "body/max_tokens")) && jget(q, "body/max_tokens")->valueint == 256,
	      "%s: max_tokens", pname(p));
	CHECK(!jget(q, "body/response_format") && !jget(q, "body/tools"), "%s: no structured output asked",
	      pname(p));
	if (p == LLM_OPENAI) {
		CHECK_STR(jstr(q, "body/messages/0/role"), "system", "the system turn first");
		CHECK_STR(jstr(q, "body/messages/0/content"), "You are a test.", "the system text");
		CHECK_STR(jstr(q, "body/messages/1/role"), "user", "then the user");
		CHECK_STR(jstr(q, "body/messages/1/content"), turns[0], "the user's text");
		CHECK(!jget(q, "anthropic_version") || cJSON_IsNull(jget(q, "anthropic_version")),
		      "no anthropic-version to OpenAI");
	} else {
		CHECK_STR(jstr(q, "body/system"), "You are a test.", "the system text");
		CHECK_STR(jstr(q, "body/messages/0/role"), "user", "the first message is the user's");
		CHECK_STR(jstr(q, "body/messages/0/content"), turns[0], "the user's text");
		CHECK_STR(jstr(q, "anthropic_version"), "2023-06-01", "the anthropic-version header");
	}
	cJSON_Delete(log);
	llm_response_free(&r);
	free(err);
	fake_stop(&f);
}

static const char schema_text[] =
	"{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}}, \"required\": [\"a\"],"
	" \"additionalProperties\": false}";

/* structured output: the request asks for the schema, the answer is JSON */
static void
test_structured(enum llm_provider p)
{
	struct fake f;
	if (!fake_start(&f, "[{\"json\": {\"a\": 1}}]"))
		return;
	cJSON *schema = cJSON_Parse(schema_text);
	struct llm_request req = {"Sys.", turns, 1, schema, "answer_t"};
	struct llm_config c = config(p, &f);
	struct llm_response r;
	char *err = NULL;
	enum llm_status st = llm_call(&c, NULL, &req, &r, &err);
	CHECK(st == LLM_OK, "%s: structured: %s", pname(p), err);
	cJSON *got = cJSON_Parse(r.text ? r.text : ""), *want = cJSON_Parse("{\"a\": 1}");
	CHECK(cJSON_Compare(got, want, 1), "%s: the answer as JSON text: %s", pname(p), r.text);
	cJSON_Delete(got);
	cJSON_Delete(want);
	cJSON *log = fake_log(&f);
	const cJSON *q = cJSON_GetArrayItem(log, 0);
	if (p == LLM_OPENAI) {
		CHECK_STR(jstr(q, "body/response_format/type"), "json_schema", "response_format");
		CHECK_STR(jstr(q, "body/response_format/json_schema/name"), "answer_t", "the schema's name");
		CHECK(cJSON_IsFalse(jget(q, "body/response_format/json_schema/strict")),
		      "strict off: a closed schema is not asked for");
		CHECK(cJSON_Compare(jget(q, "body/response_format/json_schema/schema"), schema, 1), "the schema sent");
	} else {
		CHECK_STR(jstr(q, "body/tools/0/name"), "answer_t", "the tool's name");
		CHECK(cJSON_Compare(jget(q, "body/tools/0/input_schema"), schema, 1), "the tool's input schema");
		CHECK(jstr(q, "body/tools/0/description") != NULL, "the tool has a description");
		CHECK_STR(jstr(q, "body/tool_choice/type"), "tool", "the tool is forced");
		CHECK_STR(jstr(q, "body/tool_choice/name"), "answer_t", "the forced tool's name");
	}
	cJSON_Delete(log);
	llm_response_free(&r);
	free(err);
	fake_stop(&f);

	/* json_object (OpenAI) or none: the schema goes into the system text;
	 * an answer in a code fence comes out without it */
	if (!fake_start(&f, "[{\"content\": \"```json\\n{\\\"a\\\": 2}\\n```\"}]"))
		return;
	c = config(p, &f);
	c.structured = p == LLM_OPENAI ? LLM_STRUCT_JSON : LLM_STRUCT_NONE;
	err = NULL;
	st = llm_call(&c, NULL, &req, &r, &err);
	CHECK(st == LLM_OK, "%s: json mode: %s", pname(p), err);
	CHECK_STR(r.text, "{\"a\": 2}", "the fenced answer unwrapped");
	log = fake_log(&f);
	q = cJSON_GetArrayItem(log, 0);
	const char *sys = p == LLM_OPENAI ? jstr(q, "body/messages/0/content") : jstr(q, "body/system");
	CHECK(sys && strstr(sys, "Sys.") && strstr(sys, "JSON Schema") && strstr(sys, "\"additionalProperties\""),
	      "%s: the system text names the schema: %s", pname(p), sys);
	if (p == LLM_OPENAI)
		CHECK_STR(jstr(q, "body/response_format/type"), "json_object", "json_object mode");
	else
		CHECK(!jget(q, "body/tools"), "no tool in none mode");
	cJSON_Delete(log);
	llm_response_free(&r);
	free(err);
	fake_stop(&f);

	/* auto, and a server that refuses json_schema: once more with
	 * json_object, not counted as a retry */
	if (p == LLM_OPENAI) {
		if (!fake_start(&f, "[{\"status\": 400, \"error\": \"response_format json_schema is not supported\"},"
				    " {\"content\": \"{\\\"a\\\": 3}\"}]"))
			return;
		c = config(p, &f);
		c.max_retries = 0;
		err = NULL;
		st = llm_call(&c, NULL, &req, &r, &err);
		CHECK(st == LLM_OK, "auto falls back to json_object: %s", err);
		CHECK_STR(r.text, "{\"a\": 3}", "the answer after the fallback");
		log = fake_log(&f);
		CHECK_STR(jstr(log, "1/body/response_format/type"), "json_object", "the second request's format");
		cJSON_Delete(log);
		llm_response_free(&r);
		free(err);
		fake_stop(&f);
	}
	cJSON_Delete(schema);
}

/* one call to the running server f; *secs the call's time */
static enum llm_status
call1(const struct fake *f, enum llm_provider p, void (*tweak)(struct llm_config *), struct llm_response *r,
      char **err, double *secs)
{
	struct llm_config c = config(p, f);
	if (tweak)
		tweak(&c);
	double t0 = now();
	enum llm_status st = llm_call(&c, NULL, &plain, r, err);
	if (secs)
		*secs = now() - t0;
	return st;
}

static void
short_timeout(struct llm_config *c)
{
	c->timeout_ms = 300;
}

static void
small_body(struct llm_config *c)
{
	c->max_response = 1024;
}

static void
long_backoff(struct llm_config *c)
{
	c->backoff_ms = 100000; /* a wait that would show if Retry-After were ignored */
	c->max_backoff_ms = 60000;
}

/* retries, timeouts, limits, bad answers: one server, one script, each
 * call taking the entries its comment names */
static const char failures_script[] =
	"[{\"status\": 429, \"headers\": {\"Retry-After\": \"1\"}}, {\"content\": \"after the wait\"},"
	" {\"status\": 500}, {\"content\": \"second\"},"
	" {\"status\": 500, \"error\": \"boom\"}, {\"status\": 503}, {\"status\": 529},"
	" {\"status\": 429, \"headers\": {\"Retry-After\": \"3600\"}},"
	" {\"delay\": 5, \"content\": \"too late\"},"
	" {\"size\": 50000},"
	" {\"raw\": \"<html>this is not json</html>\"},"
	" {\"raw\": \"{\\\"unexpected\\\": true}\"},"
	" {\"content\": \"half an ans\", \"finish\": \"length\"},"
	" {\"status\": 404, \"error\": \"model not found\"},"
	" {\"close\": true}, {\"content\": \"reconnected\"},"
	" {\"refusal\": \"I cannot help with that\"}]";

static void
test_failures(enum llm_provider p)
{
	struct fake f;
	struct llm_response r;
	char *err = NULL;
	double secs;
	enum llm_status st;
	const char *pn = pname(p);
	if (!fake_start(&f, failures_script))
		return;

	/* 0, 1 */
	st = call1(&f, p, long_backoff, &r, &err, &secs);
	CHECK(st == LLM_OK && r.attempts == 2, "%s: 429 then 200: %s (%d attempts)", pn, err, r.attempts);
	CHECK(secs >= 1.0 && secs < 5, "%s: Retry-After: 1 was honoured: %.2f s", pn, secs);
	CHECK_STR(r.text, "after the wait", "the answer after a 429");
	llm_response_free(&r);
	free(err);

	/* 2, 3 */
	st = call1(&f, p, NULL, &r, &err, &secs);
	CHECK(st == LLM_OK && r.attempts == 2, "%s: 500 then 200 is retried: %s", pn, err);
	CHECK_STR(r.text, "second", "the answer after a 500");
	llm_response_free(&r);
	free(err);

	/* 4, 5, 6: max_retries 2 */
	st = call1(&f, p, NULL, &r, &err, &secs);
	CHECK(st == LLM_ERR_HTTP && r.attempts == 3 && r.http_status == 529,
	      "%s: retries run out: status %d, %d attempts, HTTP %ld", pn, st, r.attempts, r.http_status);
	CHECK(err && strstr(err, "HTTP 529") && strstr(err, "3 attempts") && strstr(err, "try again later"),
	      "%s: says what happened and what to do: %s", pn, err);
	llm_response_free(&r);
	free(err);

	/* 7 */
	st = call1(&f, p, NULL, &r, &err, &secs);
	CHECK(st == LLM_ERR_HTTP && r.attempts == 1 && secs < 1, "%s: a Retry-After past max_backoff: no wait (%.2f s)",
	      pn, secs);
	CHECK(err && strstr(err, "3600 s") && strstr(err, "try again after"), "%s: says when: %s", pn, err);
	llm_response_free(&r);
	free(err);

	/* 8 */
	st = call1(&f, p, short_timeout, &r, &err, &secs);
	CHECK(st == LLM_ERR_TIMEOUT && r.attempts == 1, "%s: a hung server times out: status %d (%s)", pn, st, err);
	CHECK(secs < 2, "%s: quickly: %.2f s", pn, secs);
	CHECK(err && strstr(err, "0.3 s") && strstr(err, "timeout"), "%s: the timeout message: %s", pn, err);
	llm_response_free(&r);
	free(err);

	/* 9 */
	st = call1(&f, p, small_body, &r, &err, &secs);
	CHECK(st == LLM_ERR_TOO_LARGE, "%s: an oversized answer: status %d (%s)", pn, st, err);
	CHECK(err && strstr(err, "max_response_kb"), "%s: says which limit: %s", pn, err);
	llm_response_free(&r);
	free(err);

	/* 10 */
	st = call1(&f, p, NULL, &r, &err, &secs);
	CHECK(st == LLM_ERR_RESPONSE && r.attempts == 1, "%s: invalid JSON: status %d", pn, st);
	CHECK(err && strstr(err, "not JSON") && strstr(err, "base URL"), "%s: the invalid JSON message: %s", pn, err);
	llm_response_free(&r);
	free(err);

	/* 11 */
	st = call1(&f, p, NULL, &r, &err, &secs);
	CHECK(st == LLM_ERR_RESPONSE, "%s: JSON of another shape: status %d (%s)", pn, st, err);
	llm_response_free(&r);
	free(err);

	/* 12 */
	st = call1(&f, p, NULL, &r, &err, &secs);
	CHECK(st == LLM_ERR_RESPONSE && !r.text, "%s: a truncated answer is an error: status %d", pn, st);
	CHECK(err && strstr(err, "cut off") && strstr(err, "max_tokens"), "%s: the truncation message: %s", pn, err);
	llm_response_free(&r);
	free(err);

	/* 13 */
	st = call1(&f, p, NULL, &r, &err, &secs);
	CHECK(st == LLM_ERR_HTTP && r.attempts == 1, "%s: a 404 is not retried (%d attempts)", pn, r.attempts);
	CHECK(err && strstr(err, "HTTP 404") && strstr(err, "model not found") && strstr(err, "test-model"),
	      "%s: the 404 message: %s", pn, err);
	llm_response_free(&r);
	free(err);

	/* 14, 15 */
	st = call1(&f, p, NULL, &r, &err, &secs);
	CHECK(st == LLM_OK && r.attempts == 2, "%s: a dropped connection is retried: %s", pn, err);
	CHECK_STR(r.text, "reconnected", "the answer after a dropped connection");
	llm_response_free(&r);
	free(err);

	/* 16: OpenAI's refusal field (Anthropic gets text) */
	st = call1(&f, p, NULL, &r, &err, &secs);
	if (p == LLM_OPENAI)
		CHECK(st == LLM_ERR_RESPONSE && err && strstr(err, "refused") && strstr(err, "cannot help"),
		      "a refusal: %s", err);
	llm_response_free(&r);
	free(err);

	cJSON *log = fake_log(&f);
	CHECK(cJSON_GetArraySize(log) == 17, "%s: every entry was asked for once: %d requests", pn,
	      cJSON_GetArraySize(log));
	cJSON_Delete(log);
	fake_stop(&f);
}

/* a port nobody listens on: network errors, retried, then a message */
static void
test_dead_port(void)
{
	struct fake f;
	if (!fake_start(&f, "[]"))
		return;
	fake_stop(&f); /* the port is free now */
	struct llm_config c = config(LLM_OPENAI, &f);
	c.max_retries = 1;
	struct llm_response r;
	char *err = NULL;
	enum llm_status st = llm_call(&c, NULL, &plain, &r, &err);
	CHECK(st == LLM_ERR_NETWORK && r.attempts == 2 && r.http_status == 0,
	      "a dead port: status %d, %d attempts", st, r.attempts);
	CHECK(err && strstr(err, "cannot reach") && strstr(err, f.url) && strstr(err, "DPC_AI_BASE_URL"),
	      "the network message: %s", err);
	free(err);
}

/* the breaker opens after breaker_threshold failed calls and then sends
 * nothing; after its cooldown one call goes through, and a success closes it */
static void
test_breaker(enum llm_provider p)
{
	struct fake f;
	if (!fake_start(&f, "[{\"status\": 401}, {\"status\": 500}, {\"status\": 502}, {\"status\": 503},"
			    " {\"content\": \"back\"}]"))
		return;
	struct llm_config c = config(p, &f);
	c.max_retries = 0;
	struct llm_breaker br = {0, 0};
	struct llm_response r;
	char *err;
	enum llm_status st = llm_call(&c, &br, &plain, &r, &err);
	CHECK(st == LLM_ERR_HTTP && br.failures == 0, "%s: a 401 does not count: %d", pname(p), br.failures);
	free(err);
	for (int i = 0; i < 3; i++) {
		st = llm_call(&c, &br, &plain, &r, &err);
		CHECK(st == LLM_ERR_HTTP, "%s: failure %d", pname(p), i + 1);
		free(err);
	}
	CHECK(br.failures == 3 && br.opened_at > 0, "%s: open after 3: %d failures, opened %lld", pname(p),
	      br.failures, (long long)br.opened_at);
	st = llm_call(&c, &br, &plain, &r, &err);
	CHECK(st == LLM_ERR_BREAKER && r.attempts == 0, "%s: an open breaker refuses: %d", pname(p), st);
	CHECK(err && strstr(err, "3 failed requests") && strstr(err, "dpc ai reset"), "%s: the breaker's message: %s",
	      pname(p), err);
	free(err);
	cJSON *log = fake_log(&f);
	CHECK(cJSON_GetArraySize(log) == 4, "%s: no request reached the server: %d", pname(p),
	      cJSON_GetArraySize(log));
	cJSON_Delete(log);
	br.opened_at -= c.breaker_cooldown_s + 1; /* the cooldown is over */
	st = llm_call(&c, &br, &plain, &r, &err);
	CHECK(st == LLM_OK && br.failures == 0 && br.opened_at == 0, "%s: after the cooldown a success closes it: %s",
	      pname(p), err);
	llm_response_free(&r);
	free(err);
	fake_stop(&f);
}

/* the key: sent, but in no message or answer, whole or in pieces */
static void
test_key(enum llm_provider p)
{
	struct fake f;
	struct llm_response r;
	char *err = NULL;
	enum llm_status st;
	if (!fake_start(&f, "[{\"status\": 401, \"error\": \"Incorrect API key provided: {key}. Get one at example.com\"},"
			    " {\"status\": 401, \"error\": \"Incorrect API key provided: sk-test-MA*********cdef\"},"
			    " {\"content\": \"your key is " KEY " right?\"}, {\"content\": \"ok\"}]"))
		return;
	st = call1(&f, p, NULL, &r, &err, NULL);
	CHECK(st == LLM_ERR_HTTP && err && strstr(err, "HTTP 401") && strstr(err, "[redacted]") &&
		      strstr(err, "DPC_TEST_KEY"),
	      "%s: the 401 message: %s", pname(p), err);
	CHECK(err && !strstr(err, KEY) && !strstr(err, "MARKER-0123"), "%s: no key in: %s", pname(p), err);
	free(err);
	st = call1(&f, p, NULL, &r, &err, NULL);
	CHECK(st == LLM_ERR_HTTP && err && !strstr(err, "sk-test-MA"), "%s: no piece of a half-masked key: %s",
	      pname(p), err);
	free(err);
	st = call1(&f, p, NULL, &r, &err, NULL);
	CHECK(st == LLM_OK && r.text && !strstr(r.text, KEY) && strstr(r.text, "your key is [redacted] right?"),
	      "%s: no key in the answer: %s", pname(p), r.text);
	llm_response_free(&r);
	free(err);

	/* no key and a local server: no header at all */
	unsetenv("DPC_TEST_KEY");
	st = call1(&f, p, NULL, &r, &err, NULL);
	cJSON *log = fake_log(&f);
	CHECK(st == LLM_OK && cJSON_IsFalse(jget(log, "3/auth")) && cJSON_IsTrue(jget(log, "2/auth")),
	      "%s: no key, no auth header: %s", pname(p), err);
	cJSON_Delete(log);
	llm_response_free(&r);
	free(err);
	setenv("DPC_TEST_KEY", KEY, 1);
	fake_stop(&f);
}

static void
test_redact(void)
{
	struct llm_config c = {.api_key_env = "DPC_TEST_KEY"};
	char *s = llm_redact(&c, "a " KEY " b " KEY);
	CHECK_STR(s, "a [redacted] b [redacted]", "the whole key, twice");
	free(s);
	s = llm_redact(&c, "prefix sk-test-MARKER and 456789abcdef at the end; sk-te is short");
	CHECK_STR(s, "prefix [redacted] and [redacted] at the end; sk-te is short", "pieces of 8 or more");
	free(s);
	c.api_key_env = "DPC_TEST_NO_SUCH_VARIABLE";
	s = llm_redact(&c, "nothing " KEY);
	CHECK_STR(s, "nothing " KEY, "no key configured: nothing to scrub");
	free(s);
	/* a placeholder key for a local server is no secret: answers keep their x */
	setenv("DPC_TEST_SHORT_KEY", "x", 1);
	c.api_key_env = "DPC_TEST_SHORT_KEY";
	s = llm_redact(&c, "{\"x\": \"xx\"}");
	CHECK_STR(s, "{\"x\": \"xx\"}", "a one-character key is left alone");
	free(s);
	CHECK_STR(llm_status_name(LLM_ERR_TOO_LARGE), "too_large", "a status name");

	/* where the key may go: the provider's own API, this machine, or a
	 * base URL the environment chose; not a host the spec names */
	static const struct {
		const char *url;
		bool env, sends;
	} where[] = {
		{"https://api.openai.com/v1", false, true},
		{"https://api.anthropic.com/v1/", false, true},
		{"https://api.openai.com.example.net/v1", false, false},
		{"http://localhost:11434/v1", false, true},
		{"http://127.0.0.1:8000/v1", false, true},
		{"http://[::1]:8000/v1", false, true},
		{"http://localhost.example.net/v1", false, false},
		{"https://127.0.0.1@evil.example.net/v1", false, false},
		{"https://llm.example.net/v1", false, false},
		{"https://llm.example.net/v1", true, true},
	};
	for (size_t i = 0; i < LEN(where); i++) {
		struct llm_config k = {.base_url = where[i].url, .base_url_from_env = where[i].env};
		CHECK(llm_sends_key(&k) == where[i].sends, "%s (from the environment: %d): sends the key: %d",
		      where[i].url, where[i].env, !where[i].sends);
	}
}

/* no key for OpenAI's own API: refused before anything is sent */
static void
test_config(void)
{
	struct llm_config c;
	char *err = NULL;
	unsetenv("DPC_AI_PROVIDER");
	unsetenv("DPC_AI_MODEL");
	unsetenv("DPC_AI_BASE_URL");
	unsetenv("DPC_AI_TIMEOUT_MS");
	unsetenv("DPC_AI_BACKOFF_MS");
	unsetenv("DPC_AI_MAX_RETRIES");
	CHECK(!llm_config_resolve(&c, NULL, &err) && err && strstr(err, "DPC_AI_MODEL"), "no model: %s", err);
	free(err);
	err = NULL;
	struct spec_ai ai = spec_ai_defaults;
	ai.model = "gpt-4o-mini";
	CHECK(llm_config_resolve(&c, &ai, &err), "the spec's model: %s", err);
	CHECK(c.provider == LLM_OPENAI && strcmp(c.base_url, "https://api.openai.com/v1") == 0 &&
		      strcmp(c.api_key_env, "OPENAI_API_KEY") == 0 && c.timeout_ms == 120000 && c.max_retries == 4 &&
		      c.max_response == 4096 * 1024 && c.structured == LLM_STRUCT_AUTO,
	      "the defaults: %s %s %ld", c.base_url, c.api_key_env, c.timeout_ms);
	ai = spec_ai_defaults;
	ai.provider = "anthropic";
	ai.model = "claude-x";
	ai.base_url = "http://localhost:9/v1";
	ai.api_key_env = "MY_KEY";
	ai.timeout = 30;
	ai.structured_output = "none";
	CHECK(llm_config_resolve(&c, &ai, &err) && !c.base_url_from_env, "anthropic from the spec: %s", err);
	CHECK(c.provider == LLM_ANTHROPIC && strcmp(c.model, "claude-x") == 0 &&
		      strcmp(c.base_url, "http://localhost:9/v1") == 0 && strcmp(c.api_key_env, "MY_KEY") == 0 &&
		      c.timeout_ms == 30000 && c.structured == LLM_STRUCT_NONE,
	      "the spec's settings: %s %s", c.base_url, c.api_key_env);
	setenv("DPC_AI_MODEL", "env-model", 1);
	setenv("DPC_AI_BASE_URL", "http://127.0.0.1:1/v1", 1);
	setenv("DPC_AI_TIMEOUT_MS", "250", 1);
	setenv("DPC_AI_MAX_RETRIES", "1", 1);
	CHECK(llm_config_resolve(&c, &ai, &err) && c.base_url_from_env, "the environment: %s", err);
	CHECK(strcmp(c.model, "env-model") == 0 && strcmp(c.base_url, "http://127.0.0.1:1/v1") == 0 &&
		      c.timeout_ms == 250 && c.max_retries == 1,
	      "the environment wins: %s %s %ld", c.model, c.base_url, c.timeout_ms);
	/* another provider in the environment: the spec's model, URL and key
	 * variable were for its own */
	setenv("DPC_AI_PROVIDER", "openai", 1);
	unsetenv("DPC_AI_BASE_URL");
	CHECK(llm_config_resolve(&c, &ai, &err), "openai by the environment: %s", err);
	CHECK(strcmp(c.base_url, "https://api.openai.com/v1") == 0 && strcmp(c.api_key_env, "OPENAI_API_KEY") == 0,
	      "the spec's anthropic settings left out: %s %s", c.base_url, c.api_key_env);
	setenv("DPC_AI_PROVIDER", "antropic", 1);
	CHECK(!llm_config_resolve(&c, &ai, &err) && err && strstr(err, "did you mean 'anthropic'"),
	      "an unknown provider: %s", err);
	free(err);
	err = NULL;
	setenv("DPC_AI_PROVIDER", "openai", 1);
	setenv("DPC_AI_TIMEOUT_MS", "soon", 1);
	CHECK(!llm_config_resolve(&c, &ai, &err) && err && strstr(err, "DPC_AI_TIMEOUT_MS"), "a bad number: %s",
	      err);
	free(err);
	err = NULL;
	unsetenv("DPC_AI_TIMEOUT_MS");
	setenv("DPC_AI_BASE_URL", "ftp://example.com", 1);
	CHECK(!llm_config_resolve(&c, &ai, &err) && err && strstr(err, "http"), "a base URL not http: %s", err);
	free(err);
	err = NULL;
	unsetenv("DPC_AI_PROVIDER");
	unsetenv("DPC_AI_MODEL");
	unsetenv("DPC_AI_BASE_URL");
	unsetenv("DPC_AI_MAX_RETRIES");

	/* OpenAI's own API without a key: nothing is sent */
	ai = spec_ai_defaults;
	ai.model = "gpt-4o-mini";
	ai.api_key_env = "DPC_TEST_NO_SUCH_VARIABLE";
	CHECK(llm_config_resolve(&c, &ai, &err), "resolve: %s", err);
	struct llm_response r;
	enum llm_status st = llm_call(&c, NULL, &plain, &r, &err);
	CHECK(st == LLM_ERR_CONFIG && r.attempts == 0 && err && strstr(err, "DPC_TEST_NO_SUCH_VARIABLE"),
	      "no key for api.openai.com: %d %s", st, err);
	free(err);
}

/* the audit log and the breaker's memory in .dpc/ai.db */
static void
test_logged(void)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/proj/.dpc", check_dir);
	char parent[256];
	snprintf(parent, sizeof(parent), "%s/proj", check_dir);
	mkdir(parent, 0777);
	struct ai_db db;
	char *err = NULL;
	CHECK(state_ai_open(&db, dir, false, &err) == 0 && !db.db, "no ai.db: an empty log, nothing made");
	struct ai_log_entry *v;
	size_t n, total;
	CHECK(state_ai_entries(&db, 0, &v, &n, &total, &err) == 0 && n == 0 && total == 0, "the empty log");
	CHECK(state_ai_open(&db, dir, true, &err) == 0 && db.db, "made: %s", err);

	struct fake f;
	if (!fake_start(&f, "[{\"content\": \"one\", \"tokens\": [5, 3]}, {\"status\": 500}, {\"status\": 500},"
			    " {\"status\": 500}]"))
		return;
	struct llm_config c = config(LLM_OPENAI, &f);
	c.max_retries = 0;
	c.breaker_threshold = 2;
	struct llm_response r;
	int64_t id1, id2;
	const char *longreq = "Summarize user purchases by region, with a long tail that goes on and on "
			      "past eighty characters " KEY;
	const char *const t[] = {longreq};
	struct llm_request req = {"sys", t, 1, NULL, NULL};
	enum llm_status st = llm_call_logged(&c, &db, "generate", longreq, &req, &r, &id1, &err);
	CHECK(st == LLM_OK && id1 > 0, "a logged call: %s", err);
	char want[33];
	hash_hex(hash_bytes("one", 3), want);
	llm_response_free(&r);
	free(err);
	st = llm_call_logged(&c, &db, "explain", "what is fct_x", &plain, &r, &id2, &err);
	free(err);
	st = llm_call_logged(&c, &db, "explain", "what is fct_x", &plain, &r, NULL, &err);
	free(err);
	state_ai_close(&db);
	CHECK(state_ai_open(&db, dir, false, &err) == 0 && db.db, "reopened");
	char *ep = llm_endpoint(&c);
	struct llm_breaker br;
	CHECK(state_ai_breaker(&db, ep, &br) && br.failures == 2 && br.opened_at > 0,
	      "the breaker was kept: %d failures", br.failures);
	st = llm_call_logged(&c, &db, "refactor", "x", &plain, &r, NULL, &err);
	CHECK(st == LLM_ERR_BREAKER, "a later process finds it open: %d", st);
	free(err);
	cJSON *log = fake_log(&f);
	CHECK(cJSON_GetArraySize(log) == 3, "three requests reached the server: %d", cJSON_GetArraySize(log));
	cJSON_Delete(log);
	fake_stop(&f);
	state_ai_applied(&db, id1);
	CHECK(state_ai_entries(&db, 2, &v, &n, &total, &err) == 0 && n == 2 && total == 4, "two of four: %zu %zu", n,
	      total);
	if (n == 2) {
		CHECK_STR(v[0].command, "refactor", "newest first");
		CHECK_STR(v[0].status, "breaker", "the refused call's status");
		CHECK_STR(v[1].status, "http", "a failed call's status");
		CHECK(v[1].response_hash[0] == '\0', "no answer, no hash");
	}
	state_ai_entries_free(v, n);
	CHECK(state_ai_entries(&db, 0, &v, &n, &total, &err) == 0 && n == 4, "all four: %zu", n);
	if (n == 4) {
		const struct ai_log_entry *e = &v[3];
		CHECK(e->id == id1 && e->applied && e->tokens_in == 5 && e->tokens_out == 3, "the first row: applied, tokens");
		CHECK(strcmp(e->response_hash, want) == 0, "the response hash: %s, not %s", e->response_hash, want);
		CHECK(strlen(e->prompt_hash) == 32, "a prompt hash: %s", e->prompt_hash);
		CHECK_STR(e->provider, "openai", "the provider");
		CHECK_STR(e->model, "test-model", "the model");
		CHECK_STR(e->actor, "test-actor", "the actor from DPC_ACTOR");
		CHECK(strlen(e->summary) == 80 && strncmp(e->summary, longreq, 80) == 0 && !strstr(e->summary, "MARKER"),
		      "the summary, cut: %s", e->summary);
		CHECK(!v[2].applied && strcmp(v[2].prompt_hash, v[1].prompt_hash) == 0,
		      "the same prompt, the same hash; not applied");
		CHECK(e->time > 0 && e->time <= (int64_t)time(NULL), "a time");
	}
	state_ai_entries_free(v, n);
	CHECK(state_ai_reset_breakers(&db) == 1, "one breaker was open");
	CHECK(state_ai_breaker(&db, ep, &br) && br.failures == 0 && br.opened_at == 0, "reset");
	free(ep);
	state_ai_close(&db);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (!check_scratch("llm"))
		return 1;
	setenv("DPC_TEST_KEY", KEY, 1);
	setenv("FAKELLM_EXPECT_KEY", KEY, 1);
	setenv("DPC_ACTOR", "test-actor", 1);
	double t0 = now();
	test_redact();
	test_config();
	for (int p = 0; p < 2; p++) {
		test_good((enum llm_provider)p);
		test_structured((enum llm_provider)p);
		test_failures((enum llm_provider)p);
		test_breaker((enum llm_provider)p);
		test_key((enum llm_provider)p);
	}
	test_dead_port();
	test_logged();
	printf("test_llm: %.1f s\n", now() - t0);
	return check_done("test_llm");
}
