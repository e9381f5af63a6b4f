/* llm.c: the LLM client (llm.h), on libcurl.
 *
 * One llm_call is one question: the request is built once (cJSON), then
 * sent up to 1 + max_retries times on one curl handle. What is retried, and
 * why:
 *   - 408, 409, 429 and 5xx answers (529 is Anthropic's "overloaded"): the
 *     provider is busy or failing for a while; waits double from
 *     backoff_ms, with jitter so that many clients do not retry in step,
 *     and a Retry-After (or retry-after-ms) header sets the wait instead.
 *     A Retry-After longer than max_backoff_ms is not slept through: the
 *     call fails at once and says when to try again.
 *   - a connection that fails or breaks before an answer (refused, reset,
 *     DNS, TLS, a connect timeout).
 * Not retried: a request that ran past timeout_ms once connected (the
 * provider had it and was slow; another try would likely wait as long
 * again), an answer past max_response bytes (the transfer is cut off in the
 * write callback), any other 4xx, and an answer whose JSON is not the
 * provider's shape.
 *
 * The breaker (struct llm_breaker, kept by the caller) counts calls that
 * failed because the provider is unwell: a network error, a timeout, a 408,
 * 429 or 5xx after the retries, an oversized or malformed answer. Other
 * 4xx (a wrong key, an unknown model) are the user's to fix and count
 * neither way.
 *
 * The key is read from the environment at call time and goes only into the
 * request's header, and only to a host the user chose (llm_sends_key): the
 * provider's own API, this machine, or DPC_AI_BASE_URL; never to a base URL
 * the spec names, since the spec names the variable too. Every message, and the answer itself, passes through
 * llm_redact, which also scrubs pieces of the key, as providers echo a key
 * half masked ("sk-proj-ab***wxyz"). No redirect is followed: a redirect
 * would carry the key's header to another host. */
#include "llm.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "spec.h"
#include "state.h"
#include "util.h"

#define OPENAI_URL "https://api.openai.com/v1"
#define ANTHROPIC_URL "https://api.anthropic.com/v1"
#define ANTHROPIC_VERSION "2023-06-01"
#define MSG_MAX 300 /* characters of a provider's error message in ours */

/* libcurl is opened when the first request is made, not linked: it and
 * the libraries it pulls in (TLS, HTTP/2, SSH, LDAP, Kerberos: thirty of
 * them) cost every dpc command about 5 ms at start-up, and only dpc ai
 * talks to the network. The header still gives the types and constants. */
static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode code);
	time_t (*getdate)(const char *s, const time_t *unused);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
} cu;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static char curl_why[256]; /* why libcurl could not be opened */

/* the address of name in lib into the function pointer at fn (memcpy: ISO
 * C has no conversion from an object pointer to a function pointer) */
static bool
sym(void *lib, const char *name, void *fn, size_t size)
{
	void *p = dlsym(lib, name);
	if (p)
		memcpy(fn, &p, size);
	return p != NULL;
}

static void
curl_init(void)
{
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(curl_why, sizeof(curl_why), "%s", dlerror());
		return;
	}
	bool ok = sym(lib, "curl_global_init", &cu.global_init, sizeof(cu.global_init)) &&
		  sym(lib, "curl_easy_init", &cu.easy_init, sizeof(cu.easy_init)) &&
		  sym(lib, "curl_easy_setopt", &cu.easy_setopt, sizeof(cu.easy_setopt)) &&
		  sym(lib, "curl_easy_perform", &cu.easy_perform, sizeof(cu.easy_perform)) &&
		  sym(lib, "curl_easy_getinfo", &cu.easy_getinfo, sizeof(cu.easy_getinfo)) &&
		  sym(lib, "curl_easy_cleanup", &cu.easy_cleanup, sizeof(cu.easy_cleanup)) &&
		  sym(lib, "curl_easy_strerror", &cu.easy_strerror, sizeof(cu.easy_strerror)) &&
		  sym(lib, "curl_getdate", &cu.getdate, sizeof(cu.getdate)) &&
		  sym(lib, "curl_slist_append", &cu.slist_append, sizeof(cu.slist_append)) &&
		  sym(lib, "curl_slist_free_all", &cu.slist_free_all, sizeof(cu.slist_free_all));
	if (!ok) {
		snprintf(curl_why, sizeof(curl_why), "libcurl.so.4 lacks a function dpc calls: %s", dlerror());
		return; /* the library stays open, as it would once loaded */
	}
	curl_init_rc = cu.global_init(CURL_GLOBAL_DEFAULT);
	if (curl_init_rc != CURLE_OK)
		snprintf(curl_why, sizeof(curl_why), "curl_global_init failed (code %d)", (int)curl_init_rc);
}

/* configuration */

/* a whole number from the environment: 0 unset, 1 set, -1 wrong (*err) */
static int
envnum(const char *name, long lo, long hi, long *out, char **err)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return 0;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		*err = xasprintf("%s='%s' must be a whole number from %ld to %ld", name, s, lo, hi);
		return -1;
	}
	*out = v;
	return 1;
}

static const char *
envstr(const char *name)
{
	const char *s = getenv(name);
	return s && *s ? s : NULL;
}

static bool
ishttp(const char *s)
{
	const char *rest = strncmp(s, "https://", 8) == 0 ? s + 8 : strncmp(s, "http://", 7) == 0 ? s + 7 : NULL;
	if (!rest || !*rest || *rest == '/')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

bool
llm_config_resolve(struct llm_config *c, const struct spec_ai *ai, char **err)
{
	static const char *const providers[] = {"openai", "anthropic"};
	static const char *const modes[] = {"auto", "json_schema", "json_object", "none"};
	const struct spec_ai *s = ai ? ai : &spec_ai_defaults;
	*c = (struct llm_config){0};
	const char *prov = envstr("DPC_AI_PROVIDER");
	bool fromenv = prov != NULL;
	if (!prov)
		prov = s->provider ? s->provider : "openai";
	if (strcmp(prov, "openai") == 0) {
		c->provider = LLM_OPENAI;
	} else if (strcmp(prov, "anthropic") == 0) {
		c->provider = LLM_ANTHROPIC;
	} else {
		const char *near = did_you_mean(prov, providers, LEN(providers));
		*err = xasprintf("DPC_AI_PROVIDER='%s' is not a provider dpc speaks: openai (and OpenAI-compatible "
				 "servers by base URL) or anthropic%s%s%s",
				 prov, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
		return false;
	}
	c->provider_name = providers[c->provider];
	/* the spec's model, base URL and key variable are for its own provider:
	 * an environment naming another provider leaves them out */
	bool same = strcmp(prov, s->provider ? s->provider : "openai") == 0;
	c->model = envstr("DPC_AI_MODEL");
	if (!c->model && same)
		c->model = s->model;
	if (!c->model) {
		*err = xasprintf("no model named for %s: set ai: {model: ...} in pipeline.yaml or DPC_AI_MODEL "
				 "(for example %s)%s",
				 prov, c->provider == LLM_OPENAI ? "gpt-4o-mini" : "claude-sonnet-4-5",
				 fromenv && !same && s->model ? "; the spec's ai.model is for another provider" : "");
		return false;
	}
	c->base_url = envstr("DPC_AI_BASE_URL");
	c->base_url_from_env = c->base_url != NULL;
	if (!c->base_url && same)
		c->base_url = s->base_url;
	if (!c->base_url)
		c->base_url = c->provider == LLM_OPENAI ? OPENAI_URL : ANTHROPIC_URL;
	if (!ishttp(c->base_url)) {
		*err = xasprintf("base URL '%s' is not an http:// or https:// URL; check DPC_AI_BASE_URL or ai.base_url",
				 c->base_url);
		return false;
	}
	c->api_key_env = same && s->api_key_env ? s->api_key_env
			 : c->provider == LLM_OPENAI  ? "OPENAI_API_KEY"
						      : "ANTHROPIC_API_KEY";
	c->timeout_ms = s->timeout * 1000;
	c->connect_timeout_ms = 10000;
	c->max_retries = s->max_retries;
	c->backoff_ms = 1000;
	c->max_backoff_ms = 60000;
	c->max_response = (size_t)s->max_response_kb * 1024;
	c->max_tokens = s->max_tokens;
	c->structured = LLM_STRUCT_AUTO;
	for (size_t i = 0; s->structured_output && i < LEN(modes); i++)
		if (strcmp(s->structured_output, modes[i]) == 0)
			c->structured = (enum llm_structured)i;
	c->breaker_threshold = 5;
	c->breaker_cooldown_s = 600;
	long v;
	int rc;
	if ((rc = envnum("DPC_AI_TIMEOUT_MS", 1, 3600000, &v, err)) < 0)
		return false;
	if (rc)
		c->timeout_ms = v;
	if ((rc = envnum("DPC_AI_BACKOFF_MS", 0, 600000, &v, err)) < 0)
		return false;
	if (rc)
		c->backoff_ms = v;
	if ((rc = envnum("DPC_AI_MAX_RETRIES", 0, 10, &v, err)) < 0)
		return false;
	if (rc)
		c->max_retries = (int)v;
	return true;
}

/* the key, or NULL when its variable is unset or empty */
static const char *
apikey(const struct llm_config *c)
{
	return c->api_key_env ? envstr(c->api_key_env) : NULL;
}

/* does url start with the scheme and host of base (its "/v1" left out)? */
static bool
samehost(const char *url, const char *base)
{
	size_t n = strlen(base) - 3;
	return strncmp(url, base, n) == 0 && (url[n] == '/' || url[n] == '\0');
}

/* the provider's own service, which needs a key (a local server does not) */
static bool
ownservice(const struct llm_config *c)
{
	return samehost(c->base_url, OPENAI_URL) || samehost(c->base_url, ANTHROPIC_URL);
}

/* localhost, 127.x.y.z or [::1]: a server on this machine */
static bool
loopback(const char *url)
{
	const char *h = strstr(url, "://");
	if (!h)
		return false;
	h += 3;
	const char *at = strpbrk(h, "@/"); /* user@host: the host is after the @ */
	if (at && *at == '@')
		h = at + 1;
	size_t n = strcspn(h, ":/");
	if (*h == '[')
		return strncmp(h, "[::1]", 5) == 0;
	return (n == 9 && strncasecmp(h, "localhost", 9) == 0) || strncmp(h, "127.", 4) == 0;
}

bool
llm_sends_key(const struct llm_config *c)
{
	return ownservice(c) || loopback(c->base_url) || c->base_url_from_env;
}

char *
llm_endpoint(const struct llm_config *c)
{
	return xasprintf("%s %s", c->provider_name, c->base_url);
}

const char *
llm_status_name(enum llm_status s)
{
	static const char *const names[] = {"ok",      "config",  "breaker",   "network",
					    "timeout", "http",    "too_large", "response"};
	return (size_t)s < LEN(names) ? names[s] : "unknown";
}

/* redaction */

char *
llm_redact(const struct llm_config *c, const char *s)
{
	const char *key = c ? apikey(c) : NULL;
	if (!s)
		return xstrdup("");
	size_t klen = key ? strlen(key) : 0;
	/* a "key" of a few bytes is a placeholder for a local server that
	 * wants none (OPENAI_API_KEY=x): scrubbing it would mangle every
	 * message and answer, and it protects nothing */
	if (klen < LLM_MIN_SECRET)
		return xstrdup(s);
	/* any run of s of minrun bytes or more that occurs in the key goes.
	 * Positions of each byte in the key, chained, make the scan about
	 * linear in s: a key's bytes are spread over many values */
	size_t minrun = 8;
	size_t first[256], *next = xcalloc(klen, sizeof(*next));
	for (size_t b = 0; b < 256; b++)
		first[b] = (size_t)-1;
	for (size_t j = klen; j-- > 0;) {
		next[j] = first[(unsigned char)key[j]];
		first[(unsigned char)key[j]] = j;
	}
	struct buf out = {0};
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t best = 0;
		for (size_t j = first[(unsigned char)s[i]]; j != (size_t)-1; j = next[j]) {
			size_t l = 0;
			while (i + l < n && j + l < klen && s[i + l] == key[j + l])
				l++;
			if (l > best)
				best = l;
		}
		if (best >= minrun) {
			buf_puts(&out, "[redacted]");
			i += best;
		} else {
			buf_putc(&out, s[i++]);
		}
	}
	free(next);
	return buf_take(&out);
}

/* *err = the redacted message (fmt), owned */
static void seterr(const struct llm_config *c, char **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
seterr(const struct llm_config *c, char **err, const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(*err);
	*err = llm_redact(c, b.data ? b.data : "");
	buf_free(&b);
}

/* the request */

void
llm_request_hash(const struct llm_request *req, char hex[33])
{
	struct hasher h;
	hasher_init(&h);
	hasher_str(&h, req->system);
	for (size_t i = 0; i < req->nturns; i++)
		hasher_str(&h, req->turns[i]);
	char *schema = req->schema ? cJSON_PrintUnformatted(req->schema) : NULL;
	hasher_str(&h, schema);
	hasher_str(&h, req->schema ? req->schema_name : NULL);
	free(schema);
	hash_hex(hasher_done(&h), hex);
}

/* how this call asks for JSON */
enum mode { M_TEXT, M_SCHEMA, M_OBJECT, M_TOOL };

static enum mode
modeof(const struct llm_config *c, const struct llm_request *req)
{
	if (!req->schema)
		return M_TEXT;
	switch (c->structured) {
	case LLM_STRUCT_AUTO:
	case LLM_STRUCT_SCHEMA:
		return c->provider == LLM_ANTHROPIC ? M_TOOL : M_SCHEMA;
	case LLM_STRUCT_JSON:
		return c->provider == LLM_ANTHROPIC ? M_TEXT : M_OBJECT;
	case LLM_STRUCT_NONE:
		break;
	}
	return M_TEXT;
}

static const char *
schemaname(const struct llm_request *req)
{
	return req->schema_name && *req->schema_name ? req->schema_name : "answer";
}

/* the system prompt; where the provider is not told the schema by the
 * request's shape, the prompt says it (OpenAI's json_object mode also
 * requires the word JSON in the messages) */
static char *
systemtext(const struct llm_request *req, enum mode m)
{
	struct buf b = {0};
	buf_puts(&b, req->system ? req->system : "");
	if (req->schema && (m == M_OBJECT || m == M_TEXT)) {
		char *js = cJSON_PrintUnformatted(req->schema);
		buf_printf(&b, "%sAnswer with one JSON object and nothing else (no prose, no code fence). "
			       "It must follow this JSON Schema:\n%s",
			   b.len ? "\n\n" : "", js);
		free(js);
	}
	return buf_take(&b);
}

static void
addturns(cJSON *msgs, const struct llm_request *req)
{
	for (size_t i = 0; i < req->nturns; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", i % 2 ? "assistant" : "user");
		cJSON_AddStringToObject(m, "content", req->turns[i] ? req->turns[i] : "");
		cJSON_AddItemToArray(msgs, m);
	}
}

static char *
openai_body(const struct llm_config *c, const struct llm_request *req, enum mode m)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "model", c->model);
	cJSON *msgs = cJSON_AddArrayToObject(doc, "messages");
	char *sys = systemtext(req, m);
	if (*sys) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "role", "system");
		cJSON_AddStringToObject(s, "content", sys);
		cJSON_AddItemToArray(msgs, s);
	}
	free(sys);
	addturns(msgs, req);
	/* OpenAI's own API has deprecated max_tokens, which newer models
	 * refuse; the servers that copy its API (Ollama, vLLM, LM Studio) read
	 * max_tokens */
	cJSON_AddNumberToObject(doc, ownservice(c) ? "max_completion_tokens" : "max_tokens", (double)c->max_tokens);
	cJSON_AddNumberToObject(doc, "temperature", 0);
	if (m == M_SCHEMA) {
		cJSON *rf = cJSON_AddObjectToObject(doc, "response_format");
		cJSON_AddStringToObject(rf, "type", "json_schema");
		cJSON *js = cJSON_AddObjectToObject(rf, "json_schema");
		cJSON_AddStringToObject(js, "name", schemaname(req));
		cJSON_AddItemToObject(js, "schema", cJSON_Duplicate(req->schema, 1));
		/* strict mode takes only closed schemas (every property required,
		 * no free-form values): a JSON Patch's value is free-form */
		cJSON_AddBoolToObject(js, "strict", req->strict);
	} else if (m == M_OBJECT) {
		cJSON *rf = cJSON_AddObjectToObject(doc, "response_format");
		cJSON_AddStringToObject(rf, "type", "json_object");
	}
	char *s = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return s;
}

static char *
anthropic_body(const struct llm_config *c, const struct llm_request *req, enum mode m)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "model", c->model);
	cJSON_AddNumberToObject(doc, "max_tokens", (double)c->max_tokens);
	char *sys = systemtext(req, m);
	if (*sys)
		cJSON_AddStringToObject(doc, "system", sys);
	free(sys);
	addturns(cJSON_AddArrayToObject(doc, "messages"), req);
	cJSON_AddNumberToObject(doc, "temperature", 0);
	if (m == M_TOOL) {
		/* structured output: one tool whose input is the answer, and the
		 * model made to call it */
		cJSON *tools = cJSON_AddArrayToObject(doc, "tools");
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "name", schemaname(req));
		cJSON_AddStringToObject(t, "description",
					"Give your whole answer as this tool's input, following its input schema.");
		cJSON_AddItemToObject(t, "input_schema", cJSON_Duplicate(req->schema, 1));
		cJSON_AddItemToArray(tools, t);
		cJSON *tc = cJSON_AddObjectToObject(doc, "tool_choice");
		cJSON_AddStringToObject(tc, "type", "tool");
		cJSON_AddStringToObject(tc, "name", schemaname(req));
	}
	char *s = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return s;
}

/* the transfer */

struct xfer {
	struct buf body;
	size_t max;
	bool too_large;
	long retry_after_ms;   /* -1: no header */
};

static size_t
onbody(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	if (x->body.len + len > x->max) {
		x->too_large = true;
		return 0; /* curl aborts the transfer */
	}
	buf_put(&x->body, p, len);
	return len;
}

/* Retry-After: seconds or an HTTP date; retry-after-ms: milliseconds */
static size_t
onheader(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	char line[256];
	if (len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) {
		x->retry_after_ms = -1; /* a new answer (after a 100 Continue, say) */
		return len;
	}
	char *colon = strchr(line, ':');
	if (!colon)
		return len;
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	for (char *e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);)
		*--e = '\0';
	bool ms = strcasecmp(line, "retry-after-ms") == 0;
	if (!ms && strcasecmp(line, "retry-after") != 0)
		return len;
	char *end;
	double d = strtod(v, &end);
	if (end != v && !*end && d >= 0) {
		x->retry_after_ms = (long)(ms ? d : d * 1000);
	} else if (!ms) {
		time_t t = cu.getdate(v, NULL);
		if (t != -1)
			x->retry_after_ms = t > time(NULL) ? (long)(t - time(NULL)) * 1000 : 0;
	}
	return len;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* the provider's error message from an error body: {"error": {"message"}}
 * (OpenAI, Anthropic), {"error": "..."} (Ollama), {"detail": ...}, {"message"};
 * else the body's text. Printable, one line, cut to MSG_MAX; owned */
static char *
provider_message(const char *body, size_t len)
{
	cJSON *doc = cJSON_ParseWithLength(body, len);
	const char *m = NULL;
	if (cJSON_IsObject(doc)) {
		cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
		if (cJSON_IsString(e))
			m = e->valuestring;
		else if (cJSON_IsObject(e) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")))
			m = cJSON_GetObjectItemCaseSensitive(e, "message")->valuestring;
		else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "detail")))
			m = cJSON_GetObjectItemCaseSensitive(doc, "detail")->valuestring;
		else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "message")))
			m = cJSON_GetObjectItemCaseSensitive(doc, "message")->valuestring;
	}
	if (!m)
		m = body ? body : "";
	struct buf b = {0};
	bool space = false;
	for (const char *p = m; *p && b.len < MSG_MAX; p++) {
		unsigned char ch = (unsigned char)*p;
		if (isspace(ch) || ch < ' ' || ch == 0x7f) {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_putc(&b, ' ');
		space = false;
		buf_putc(&b, (char)ch);
	}
	if (b.len >= MSG_MAX)
		buf_puts(&b, "...");
	else if (b.len && b.data[b.len - 1] == '.')
		b.data[--b.len] = '\0'; /* ours goes on after it */
	cJSON_Delete(doc);
	if (!b.len)
		buf_puts(&b, "(no message)");
	return buf_take(&b);
}

static const char *
reason(long status)
{
	switch (status) {
	case 400: return "bad request";
	case 401: return "unauthorized";
	case 402: return "payment required";
	case 403: return "forbidden";
	case 404: return "not found";
	case 408: return "request timeout";
	case 409: return "conflict";
	case 413: return "request too large";
	case 422: return "unprocessable request";
	case 429: return "rate limited";
	case 500: return "server error";
	case 502: return "bad gateway";
	case 503: return "service unavailable";
	case 504: return "gateway timeout";
	case 529: return "overloaded";
	}
	return status >= 500 ? "server error" : status >= 300 && status < 400 ? "redirect" : "error";
}

static bool
retryable(long status)
{
	return status == 408 || status == 409 || status == 429 || status >= 500;
}

/* what the user can do about a final HTTP error */
static char *
advice(const struct llm_config *c, long status)
{
	if (status >= 300 && status < 400)
		return xasprintf("the base URL %s redirects elsewhere, and dpc follows no redirect (it would carry "
				 "the key along): write the address it redirects to",
				 c->base_url);
	if ((status == 401 || status == 403) && apikey(c) && !llm_sends_key(c))
		return xasprintf("dpc sent no key: the base URL %s comes from the spec and is neither the "
				 "provider's own nor on this machine, and dpc sends %s only where you chose; "
				 "set DPC_AI_BASE_URL=%s in the environment to send it there",
				 c->base_url, c->api_key_env, c->base_url);
	if (status == 401 || status == 403)
		return xasprintf("check the API key in %s", c->api_key_env);
	if (status == 404)
		return xasprintf("check the model name '%s' (ai.model, DPC_AI_MODEL) and the base URL %s "
				 "(ai.base_url, DPC_AI_BASE_URL)",
				 c->model, c->base_url);
	if (status == 413)
		return xstrdup("the request is too large for the provider: ask about less");
	if (status == 429)
		return xstrdup("the provider is rate limiting: wait a while and try again");
	if (status >= 500)
		return xstrdup("the provider is failing: try again later");
	return xasprintf("the provider refused the request: check that model '%s' exists there and the "
			 "settings in ai: suit it",
			 c->model);
}

/* the answer */

/* a JSON answer that came wrapped in a Markdown code fence: the inside */
static void
unfence(char *s)
{
	size_t n = strlen(s), a = 0;
	while (a < n && isspace((unsigned char)s[a]))
		a++;
	while (n > a && isspace((unsigned char)s[n - 1]))
		n--;
	if (n - a < 6 || strncmp(s + a, "```", 3) != 0 || strncmp(s + n - 3, "```", 3) != 0)
		return;
	const char *nl = memchr(s + a, '\n', n - a);
	if (!nl || (size_t)(nl - s) >= n - 3)
		return;
	size_t from = (size_t)(nl + 1 - s), len = n - 3 - from;
	while (len && isspace((unsigned char)s[from + len - 1]))
		len--;
	memmove(s, s + from, len);
	s[len] = '\0';
}

static long
numof(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

/* the text of an OpenAI message content: a string, or parts with text */
static char *
partstext(const cJSON *content)
{
	if (cJSON_IsString(content))
		return xstrdup(content->valuestring);
	if (!cJSON_IsArray(content))
		return NULL;
	struct buf b = {0};
	const cJSON *p;
	cJSON_ArrayForEach(p, content)
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
		if (cJSON_IsString(t))
			buf_puts(&b, t->valuestring);
	}
	return b.data ? buf_take(&b) : NULL;
}

/* parse a 2xx body into out; LLM_OK or LLM_ERR_RESPONSE with *err */
static enum llm_status
parse_answer(const struct llm_config *c, const struct llm_request *req, enum mode m, const struct buf *body,
	     struct llm_response *out, char **err)
{
	const char *what = c->provider == LLM_OPENAI ? "an OpenAI chat completion" : "an Anthropic message";
	cJSON *doc = cJSON_ParseWithLength(body->data ? body->data : "", body->len);
	if (!cJSON_IsObject(doc)) {
		char *msg = provider_message(body->data ? body->data : "", body->len);
		seterr(c, err, "the answer from %s is not JSON, so not %s (it begins: %.80s); check that the base "
			       "URL %s points at the %s API",
		       c->base_url, what, msg, c->base_url, c->provider_name);
		free(msg);
		cJSON_Delete(doc);
		return LLM_ERR_RESPONSE;
	}
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(doc, "model");
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(doc, "usage");
	char *text = NULL;
	const char *finish = NULL, *refusal = NULL;
	if (c->provider == LLM_OPENAI) {
		const cJSON *choices = cJSON_GetObjectItemCaseSensitive(doc, "choices");
		const cJSON *ch = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ch, "message");
		const cJSON *fr = cJSON_GetObjectItemCaseSensitive(ch, "finish_reason");
		const cJSON *rf = cJSON_GetObjectItemCaseSensitive(msg, "refusal");
		finish = cJSON_IsString(fr) ? fr->valuestring : NULL;
		refusal = cJSON_IsString(rf) ? rf->valuestring : NULL;
		text = partstext(cJSON_GetObjectItemCaseSensitive(msg, "content"));
		out->tokens_in = numof(usage, "prompt_tokens");
		out->tokens_out = numof(usage, "completion_tokens");
		if (finish && strcmp(finish, "length") == 0)
			finish = "max_tokens";
	} else {
		const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(doc, "content");
		const cJSON *sr = cJSON_GetObjectItemCaseSensitive(doc, "stop_reason");
		finish = cJSON_IsString(sr) ? sr->valuestring : NULL;
		if (finish && strcmp(finish, "refusal") == 0)
			refusal = "the model declined to answer (stop_reason refusal)";
		struct buf b = {0};
		const cJSON *bl, *list = cJSON_IsArray(blocks) ? blocks : NULL;
		cJSON_ArrayForEach(bl, list)
		{
			const cJSON *type = cJSON_GetObjectItemCaseSensitive(bl, "type");
			if (!cJSON_IsString(type))
				continue;
			if (m == M_TOOL && strcmp(type->valuestring, "tool_use") == 0 && !text) {
				const cJSON *in = cJSON_GetObjectItemCaseSensitive(bl, "input");
				if (in)
					text = cJSON_PrintUnformatted(in);
			} else if (strcmp(type->valuestring, "text") == 0 &&
				   cJSON_IsString(cJSON_GetObjectItemCaseSensitive(bl, "text"))) {
				buf_puts(&b, cJSON_GetObjectItemCaseSensitive(bl, "text")->valuestring);
			}
		}
		if (!text && b.data)
			text = buf_take(&b);
		buf_free(&b);
		out->tokens_in = numof(usage, "input_tokens");
		out->tokens_out = numof(usage, "output_tokens");
	}
	enum llm_status st = LLM_OK;
	if (finish && strcmp(finish, "max_tokens") == 0) {
		seterr(c, err, "the answer was cut off at the limit of %ld tokens, so it is incomplete; raise "
			       "ai.max_tokens or ask for less",
		       c->max_tokens);
		st = LLM_ERR_RESPONSE;
	} else if (refusal) {
		char *r = provider_message(refusal, strlen(refusal));
		seterr(c, err, "the model refused to answer: %s", r);
		free(r);
		st = LLM_ERR_RESPONSE;
	} else if (!text) {
		seterr(c, err, "the answer from %s has no text: it is not %s; check that the base URL points at "
			       "the %s API",
		       c->base_url, what, c->provider_name);
		st = LLM_ERR_RESPONSE;
	}
	if (st == LLM_OK) {
		if (req->schema)
			unfence(text);
		out->text = llm_redact(c, text);
		out->model = cJSON_IsString(model) ? xstrdup(model->valuestring) : NULL;
	}
	free(text);
	cJSON_Delete(doc);
	return st;
}

/* the call */

/* does a 400 say the server does not take JSON Schema output? */
static bool
schema_refused(long status, const struct buf *body)
{
	if ((status != 400 && status != 422) || !body->data)
		return false;
	for (const char *p = body->data; *p; p++)
		if (strncasecmp(p, "response_format", 15) == 0 || strncasecmp(p, "json_schema", 11) == 0)
			return true;
	return false;
}

/* the failures that say the provider is unwell (see the top of the file) */
static bool
counts(enum llm_status st, long status)
{
	switch (st) {
	case LLM_ERR_NETWORK:
	case LLM_ERR_TIMEOUT:
	case LLM_ERR_TOO_LARGE:
	case LLM_ERR_RESPONSE:
		return true;
	case LLM_ERR_HTTP:
		return retryable(status);
	default:
		return false;
	}
}

static void
utcstamp(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* the whole call but the breaker */
static enum llm_status
call(const struct llm_config *c, const struct llm_request *req, struct llm_response *out, char **err)
{
	if (!c->model || !*c->model || !c->base_url || !ishttp(c->base_url)) {
		seterr(c, err, "the LLM is not configured: %s", !c->model || !*c->model ? "no model named" : "no http(s) base URL");
		return LLM_ERR_CONFIG;
	}
	const char *key = llm_sends_key(c) ? apikey(c) : NULL;
	if (!key && ownservice(c)) {
		seterr(c, err, "%s needs an API key: set %s (dpc reads the key from the environment only; "
			       "ai.api_key_env names another variable)",
		       c->base_url, c->api_key_env);
		return LLM_ERR_CONFIG;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		seterr(c, err, "dpc ai needs libcurl (Debian: apt-get install libcurl4): %s", curl_why);
		return LLM_ERR_CONFIG;
	}
	CURL *h = cu.easy_init();
	if (!h) {
		seterr(c, err, "cannot start libcurl");
		return LLM_ERR_NETWORK;
	}
	enum mode m = modeof(c, req);
	bool openai = c->provider == LLM_OPENAI;
	size_t blen = strlen(c->base_url);
	if (c->base_url[blen - 1] == '/')
		blen--;
	char *url = xasprintf("%.*s/%s", (int)blen, c->base_url, openai ? "chat/completions" : "messages");
	char *payload = openai ? openai_body(c, req, m) : anthropic_body(c, req, m);
	struct curl_slist *hdr = cu.slist_append(NULL, "Content-Type: application/json");
	hdr = cu.slist_append(hdr, "Expect:"); /* no 100-continue round trip */
	char *auth = NULL;
	if (key)
		auth = openai ? xasprintf("Authorization: Bearer %s", key) : xasprintf("x-api-key: %s", key);
	if (auth)
		hdr = cu.slist_append(hdr, auth);
	if (!openai)
		hdr = cu.slist_append(hdr, "anthropic-version: " ANTHROPIC_VERSION);
	/* a project on localhost must not go through the user's proxy */
	const char *np = getenv("no_proxy") ? getenv("no_proxy") : getenv("NO_PROXY");
	char *noproxy = xasprintf("%s%slocalhost,127.0.0.1,::1", np ? np : "", np && *np ? "," : "");
	char errbuf[CURL_ERROR_SIZE];
	struct xfer x = {.max = c->max_response ? c->max_response : 4u << 20, .retry_after_ms = -1};
	cu.easy_setopt(h, CURLOPT_URL, url);
	cu.easy_setopt(h, CURLOPT_POST, 1L);
	cu.easy_setopt(h, CURLOPT_POSTFIELDS, payload);
	cu.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
	cu.easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	cu.easy_setopt(h, CURLOPT_USERAGENT, "dpc");
	cu.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	cu.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(h, CURLOPT_NOPROXY, noproxy);
	cu.easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms > 0 ? c->timeout_ms : 120000L);
	cu.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 10000L);
	cu.easy_setopt(h, CURLOPT_WRITEFUNCTION, onbody);
	cu.easy_setopt(h, CURLOPT_WRITEDATA, &x);
	cu.easy_setopt(h, CURLOPT_HEADERFUNCTION, onheader);
	cu.easy_setopt(h, CURLOPT_HEADERDATA, &x);
	cu.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid() << 16;
	bool fellback = false;
	enum llm_status st = LLM_ERR_NETWORK;
	for (int retry = 0;; retry++) {
		buf_free(&x.body);
		x.too_large = false;
		x.retry_after_ms = -1;
		errbuf[0] = '\0';
		out->attempts++;
		CURLcode rc = cu.easy_perform(h);
		long status = 0;
		cu.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		out->http_status = status;
		bool again = false;
		if (x.too_large) {
			seterr(c, err, "the answer from %s passed %zu KiB and was cut off; raise ai.max_response_kb "
				       "or ask for less",
			       c->base_url, x.max / 1024);
			st = LLM_ERR_TOO_LARGE;
		} else if (rc == CURLE_OPERATION_TIMEDOUT) {
			/* connected and sent (a reused connection has no connect
			 * time): the provider was slow; else it was the connect */
			curl_off_t conn = 0;
			long sent = 0;
			cu.easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &conn);
			cu.easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
			if (conn > 0 || sent > 0) {
				seterr(c, err, "%s did not answer within %.1f s; raise ai.timeout (or DPC_AI_TIMEOUT_MS) "
					       "or try again later",
				       c->base_url, (double)(c->timeout_ms > 0 ? c->timeout_ms : 120000L) / 1000);
				st = LLM_ERR_TIMEOUT;
			} else {
				seterr(c, err, "cannot connect to %s within %.1f s (%d attempts); check that the server "
					       "runs and the base URL (ai.base_url, DPC_AI_BASE_URL)",
				       url, (double)(c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 10000L) / 1000,
				       out->attempts);
				st = LLM_ERR_NETWORK;
				again = true;
			}
		} else if (rc != CURLE_OK) {
			seterr(c, err, "cannot reach %s: %s (%d attempt%s); check that the server runs and the base URL "
				       "(ai.base_url, DPC_AI_BASE_URL)",
			       url, errbuf[0] ? errbuf : cu.easy_strerror(rc), out->attempts,
			       out->attempts == 1 ? "" : "s");
			st = LLM_ERR_NETWORK;
			again = true;
		} else if (status >= 200 && status < 300) {
			st = parse_answer(c, req, m, &x.body, out, err);
			break;
		} else if (m == M_SCHEMA && c->structured == LLM_STRUCT_AUTO && !fellback &&
			   schema_refused(status, &x.body)) {
			/* a server without JSON Schema output: ask for a JSON
			 * object instead, once, not counted as a retry */
			fellback = true;
			m = M_OBJECT;
			free(payload);
			payload = openai_body(c, req, m);
			cu.easy_setopt(h, CURLOPT_POSTFIELDS, payload);
			cu.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
			retry--;
			continue;
		} else {
			char *msg = provider_message(x.body.data ? x.body.data : "", x.body.len);
			char *todo = advice(c, status);
			if (retryable(status) && retry < c->max_retries)
				seterr(c, err, "%s answered HTTP %ld (%s): %s", c->provider_name, status, reason(status), msg);
			else if (retryable(status) && out->attempts > 1)
				seterr(c, err, "%s answered HTTP %ld (%s) to all %d attempts: %s; %s", c->provider_name,
				       status, reason(status), out->attempts, msg, todo);
			else
				seterr(c, err, "%s answered HTTP %ld (%s): %s; %s", c->provider_name, status,
				       reason(status), msg, todo);
			free(msg);
			free(todo);
			st = LLM_ERR_HTTP;
			again = retryable(status);
		}
		if (!again || retry >= c->max_retries)
			break;
		long wait;
		if (x.retry_after_ms >= 0) {
			wait = x.retry_after_ms;
			if (wait > c->max_backoff_ms) {
				char when[32];
				utcstamp((int64_t)time(NULL) + (wait + 999) / 1000, when);
				char *prev = *err;
				*err = NULL;
				seterr(c, err, "%s; it asks dpc to wait %ld s before trying again (Retry-After), longer "
					       "than dpc waits (%ld s): try again after %s",
				       prev, (wait + 999) / 1000, c->max_backoff_ms / 1000, when);
				free(prev);
				break;
			}
		} else {
			/* doubling from backoff_ms; half of it fixed, half random */
			wait = c->backoff_ms;
			for (int i = 0; i < retry && wait < c->max_backoff_ms; i++)
				wait *= 2;
			if (wait > c->max_backoff_ms)
				wait = c->max_backoff_ms;
			wait = wait / 2 + (wait > 1 ? (long)(rand_r(&seed) % (unsigned)(wait / 2 + 1)) : 0);
		}
		sleep_ms(wait);
	}
	buf_free(&x.body);
	cu.easy_cleanup(h);
	/* the key leaves no copy behind in freed memory */
	for (struct curl_slist *l = hdr; l; l = l->next)
		memset(l->data, 0, strlen(l->data));
	cu.slist_free_all(hdr);
	if (auth) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(noproxy);
	free(payload);
	free(url);
	return st;
}

enum llm_status
llm_call(const struct llm_config *c, struct llm_breaker *br, const struct llm_request *req, struct llm_response *out,
	 char **err)
{
	*out = (struct llm_response){0};
	*err = NULL;
	int64_t now = (int64_t)time(NULL);
	if (br && br->opened_at && now - br->opened_at < c->breaker_cooldown_s) {
		char when[32];
		utcstamp(br->opened_at + c->breaker_cooldown_s, when);
		seterr(c, err, "dpc stopped calling %s (%s) after %d failed requests in a row; it tries again after "
			       "%s, or run `dpc ai reset` to try now",
		       c->provider_name, c->base_url, br->failures, when);
		return LLM_ERR_BREAKER;
	}
	enum llm_status st = call(c, req, out, err);
	if (st != LLM_OK) {
		free(out->text);
		free(out->model);
		out->text = out->model = NULL;
	} else {
		free(*err); /* what an attempt that was retried said */
		*err = NULL;
	}
	if (!br)
		return st;
	if (st == LLM_OK) {
		*br = (struct llm_breaker){0, 0};
	} else if (counts(st, out->http_status)) {
		br->failures++;
		if (br->failures >= (c->breaker_threshold > 0 ? c->breaker_threshold : 5))
			br->opened_at = (int64_t)time(NULL);
	}
	return st;
}

void
llm_response_free(struct llm_response *r)
{
	free(r->text);
	free(r->model);
	*r = (struct llm_response){0};
}

/* the summary the log keeps: one line, at most 80 characters (not bytes:
 * a UTF-8 sequence is never cut), key-free */
static char *
summarize(const struct llm_config *c, const char *s)
{
	char *clean = llm_redact(c, s ? s : "");
	struct buf b = {0};
	size_t chars = 0;
	for (const char *p = clean; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if ((ch & 0xc0) != 0x80 && chars++ == 80)
			break;
		buf_putc(&b, ch < ' ' || ch == 0x7f ? ' ' : (char)ch);
	}
	free(clean);
	return b.data ? buf_take(&b) : xstrdup("");
}

enum llm_status
llm_call_logged(const struct llm_config *c, struct ai_db *db, const char *command, const char *summary,
		const struct llm_request *req, struct llm_response *out, int64_t *logid, char **err)
{
	bool have = db && db->db;
	char *ep = llm_endpoint(c);
	struct llm_breaker br = {0, 0};
	if (have)
		state_ai_breaker(db, ep, &br);
	enum llm_status st = llm_call(c, have ? &br : NULL, req, out, err);
	if (have)
		state_ai_set_breaker(db, ep, &br);
	free(ep);
	struct ai_log_entry e = {
		.command = command,
		.provider = c->provider_name,
		.model = st == LLM_OK && out->model ? out->model : c->model,
		.tokens_in = out->tokens_in,
		.tokens_out = out->tokens_out,
		.status = llm_status_name(st),
	};
	llm_request_hash(req, e.prompt_hash);
	if (st == LLM_OK && out->text)
		hash_hex(hash_bytes(out->text, strlen(out->text)), e.response_hash);
	char *sum = summarize(c, summary);
	e.summary = sum;
	int64_t id = have ? state_ai_log(db, &e) : -1;
	free(sum);
	if (logid)
		*logid = id;
	return st;
}
