/* sqlscan.c: find the ref, source, config and var calls in dbt-style SQL
 * (see sqlscan.h).
 *
 * Where calls are found follows the order in which dbt works: Jinja renders
 * the whole file as a template first, and only the rendered text is sent to
 * the warehouse as SQL. To Jinja the SQL is opaque template data, so a
 * {{ ref('x') }} inside a SQL string, a "quoted identifier" or a -- comment
 * is rendered like any other, and dbt records its model as a dependency. The
 * scanner therefore does not lex SQL at all: outside Jinja it looks only for
 * the openers {{, {% and {#. That is also what keeps SQL from confusing it;
 * the apostrophe in "-- don't", a lone brace in a regex '[0-9]{3}' or an
 * unclosed $$ body mean nothing to Jinja, and nothing here. What hides a
 * call is what hides it from Jinja: a {# comment #} or a {% raw %} ...
 * {% endraw %} section. A bare ref('x') in the SQL text is not a call either,
 * since Jinja never evaluates it. One consequence is faithful to dbt too: a
 * '{{' or '{#' inside a SQL string starts Jinja, and if it is never closed
 * that is an error, as dbt reports it.
 *
 * Inside {{ }} and {% %} the text is cut into tokens the way Jinja's lexer
 * cuts it: string literals with backslash escapes, names, brackets and
 * operators. As in Jinja, a closing delimiter only ends the block when no {
 * is open, so a }} in a string or at the end of a dict literal does not end
 * it. Calls are picked out of the token list once the block is complete.
 *
 * Jinja stops at the first syntax error it meets; the scanner stops too when
 * a block or comment runs off the end of the text, since what follows can no
 * longer be told apart from the unclosed construct. Other mistakes are
 * reported and scanning goes on; a block whose tokens cannot be trusted (an
 * unterminated string literal, unbalanced brackets) gives its one error and
 * no finds, rather than a cascade of guesses.
 *
 * Everything runs in time linear in the input: the text is read forward
 * once, matching brackets are paired while lexing so that reading a call's
 * arguments hops over nested groups instead of rereading them, and a string
 * literal found to have no closing quote is remembered so that it is not
 * searched for again. There is no recursion. */
#include "sqlscan.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Recognised calls nested in one another's arguments deeper than this are
 * not recorded. Every call keeps a copy of its non-string arguments' text,
 * so without a bound, ref(ref(ref(...))) would copy a quadratic amount. */
#define MAXCALLNEST 8

#define NONE UINT32_MAX

enum tkind { T_NAME, T_STR, T_OPEN, T_CLOSE, T_OP };

struct tok {
	uint32_t off, len;
	uint32_t match;  /* for T_OPEN, the index of its closing token, or NONE */
	enum tkind kind;
};

enum block { B_EXPR, B_STMT };

struct scanner {
	const char *s;
	size_t n;
	struct sql_scan *out;
	size_t capfinds, capproblems;
	/* scratch for one block at a time */
	struct tok *toks;
	size_t ntoks, captoks;
	uint32_t *stack;  /* indices of the open brackets' tokens */
	size_t nstack, capstack;
	/* a '...' (0) or "..." (1) literal opening at or after this offset
	 * has no closing quote: see strend */
	size_t noclose[2];
};

static const char *const callname[] = {
	[SQL_REF] = "ref",
	[SQL_SOURCE] = "source",
	[SQL_CONFIG] = "config",
	[SQL_VAR] = "var",
};

static void problem(struct scanner *sc, bool error, size_t off, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
problem(struct scanner *sc, bool error, size_t off, size_t len, const char *fmt, ...)
{
	struct sql_scan *o = sc->out;
	struct buf b = {0};
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	VEC_PUSH(o->problems, o->nproblems, sc->capproblems);
	o->problems[o->nproblems++] = (struct sql_problem){
		.error = error,
		.off = (uint32_t)off,
		.len = (uint32_t)len,
		.msg = buf_take(&b),
	};
}

/* Jinja's \s */
static bool
isws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Jinja names may be any Unicode identifier; taking every non-ASCII byte
 * as part of a name keeps "éref(" from looking like a call of ref. */
static bool
isnamestart(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool
isnamechar(unsigned char c)
{
	return isnamestart(c) || (c >= '0' && c <= '9');
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
tokis(const struct scanner *sc, const struct tok *t, enum tkind kind, const char *text)
{
	size_t n = strlen(text);
	return t->kind == kind && t->len == n && memcmp(sc->s + t->off, text, n) == 0;
}

/* The offset just past the closing quote of the literal whose opening quote
 * is at off, or 0 if there is none. When a scan runs off the end, every
 * quote of the same kind after off was eaten as the second byte of an
 * escape pair, so a literal opening at any of them would be read with the
 * same pairing and run off the end too: remembering off avoids rescanning. */
static size_t
strend(struct scanner *sc, size_t off)
{
	char q = sc->s[off];
	int qi = q == '"';

	if (off >= sc->noclose[qi])
		return 0;
	for (size_t i = off + 1; i < sc->n; i++) {
		if (sc->s[i] == '\\')
			i++;
		else if (sc->s[i] == q)
			return i + 1;
	}
	sc->noclose[qi] = off;
	return 0;
}

static void
pushtok(struct scanner *sc, enum tkind kind, size_t off, size_t end)
{
	VEC_PUSH(sc->toks, sc->ntoks, sc->captoks);
	sc->toks[sc->ntoks++] = (struct tok){(uint32_t)off, (uint32_t)(end - off), NONE, kind};
}

static int
bracket(char c)
{
	switch (c) {
	case '(': case ')':
		return 0;
	case '[': case ']':
		return 1;
	default:
		return 2;
	}
}

/* Pair the closing bracket just pushed with its opener. A closer of the
 * wrong kind, or one with nothing to close, is a syntax error in Jinja;
 * openers passed over stay unmatched. Returns false on such an error. */
static bool
closebracket(struct scanner *sc, size_t nopen[3])
{
	uint32_t ti = (uint32_t)(sc->ntoks - 1);
	int want = bracket(sc->s[sc->toks[ti].off]);
	bool ok = true;

	/* the counts keep a stray closer from searching the whole stack */
	if (!nopen[want])
		return false;
	for (;;) {
		uint32_t o = sc->stack[--sc->nstack];
		int b = bracket(sc->s[sc->toks[o].off]);
		nopen[b]--;
		if (b == want) {
			sc->toks[o].match = ti;
			return ok;
		}
		ok = false;
	}
}

/* Cut the block opening at off into tokens. Returns the offset just past
 * its closing delimiter, or 0 if the text ends first; *bad tells that the
 * block has a syntax error, already reported, that makes its calls
 * untrustworthy. */
static size_t
lexblock(struct scanner *sc, size_t off, enum block kind, bool *bad)
{
	const char *s = sc->s;
	size_t n = sc->n, i = off + 2;
	size_t nopen[3] = {0, 0, 0};

	sc->ntoks = sc->nstack = 0;
	*bad = false;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t start = i;

		if (isws(c)) {
			i++;
			continue;
		}
		if ((c == '}' || c == '%') && i + 1 < n && s[i + 1] == '}' &&
		    (c == '}') == (kind == B_EXPR)) {
			/* only a { on top of the stack can take the } instead */
			bool brace = sc->nstack &&
			    s[sc->toks[sc->stack[sc->nstack - 1]].off] == '{';
			if (!brace)
				return i + 2;
		}
		if (c == '\'' || c == '"') {
			size_t e = strend(sc, i);
			if (e) {
				i = e;
				pushtok(sc, T_STR, start, i);
				continue;
			}
			/* once per block: later quotes of the kind have no end either */
			if (!*bad)
				problem(sc, true, i, 1, "unterminated string literal in Jinja block");
			*bad = true;
			pushtok(sc, T_OP, start, ++i);
		} else if (isnamestart(c)) {
			while (i < n && isnamechar((unsigned char)s[i]))
				i++;
			pushtok(sc, T_NAME, start, i);
		} else if (c >= '0' && c <= '9') {
			/* numbers never name a call, so their exact shape
			 * does not matter */
			while (i < n && (isnamechar((unsigned char)s[i]) || s[i] == '.'))
				i++;
			pushtok(sc, T_OP, start, i);
		} else if (c == '(' || c == '[' || c == '{') {
			pushtok(sc, T_OPEN, start, ++i);
			VEC_PUSH(sc->stack, sc->nstack, sc->capstack);
			sc->stack[sc->nstack++] = (uint32_t)(sc->ntoks - 1);
			nopen[bracket((char)c)]++;
		} else if (c == ')' || c == ']' || c == '}') {
			pushtok(sc, T_CLOSE, start, ++i);
			if (!closebracket(sc, nopen) && !*bad) {
				problem(sc, true, start, 1, "unbalanced brackets in Jinja block");
				*bad = true;
			}
		} else {
			/* == must not read as a keyword argument's = */
			if (i + 1 < n && s[i + 1] == '=' &&
			    (c == '=' || c == '!' || c == '<' || c == '>'))
				i++;
			pushtok(sc, T_OP, start, ++i);
		}
	}
	return 0;
}

static void
pututf8(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_put(b, u, n);
}

/* The value of a string literal's body p[0..n), with newlines normalised and
 * escapes resolved the way Jinja resolves them (Python's unicode-escape
 * codec); an escape Python would reject is kept as written. Returns NULL if
 * the value holds a NUL byte: a C string cannot carry it, and cutting the
 * name short would resolve the call to the wrong model. */
static char *
unquote(const char *p, size_t n)
{
	struct buf b = {0};

	buf_put(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		uint32_t cp = 0;
		size_t ndig = 0, j;

		if (c == '\r') {
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
			buf_putc(&b, '\n');
			continue;
		}
		if (c != '\\' || i + 1 == n) {
			if (!c)
				goto nul;
			buf_putc(&b, (char)c);
			continue;
		}
		c = (unsigned char)p[++i];
		switch (c) {
		case '\r':
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
			continue;
		case '\n':
			continue;
		case '\\': case '\'': case '"':
			buf_putc(&b, (char)c);
			continue;
		case 'a': buf_putc(&b, '\a'); continue;
		case 'b': buf_putc(&b, '\b'); continue;
		case 'f': buf_putc(&b, '\f'); continue;
		case 'n': buf_putc(&b, '\n'); continue;
		case 'r': buf_putc(&b, '\r'); continue;
		case 't': buf_putc(&b, '\t'); continue;
		case 'v': buf_putc(&b, '\v'); continue;
		case 'x': ndig = 2; break;
		case 'u': ndig = 4; break;
		case 'U': ndig = 8; break;
		default:
			break;
		}
		if (c >= '0' && c <= '7') {
			for (j = i; j < n && j < i + 3 && p[j] >= '0' && p[j] <= '7'; j++)
				cp = cp * 8 + (uint32_t)(p[j] - '0');
			if (!cp)
				goto nul;
			pututf8(&b, cp);
			i = j - 1;
			continue;
		}
		if (ndig) {
			for (j = i + 1; j < n && j <= i + ndig && hexval((unsigned char)p[j]) >= 0; j++)
				cp = cp * 16 + (uint32_t)hexval((unsigned char)p[j]);
			if (j == i + 1 + ndig && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff)) {
				if (!cp)
					goto nul;
				pututf8(&b, cp);
				i = j - 1;
				continue;
			}
		}
		if (!c)
			goto nul;
		buf_putc(&b, '\\');
		buf_putc(&b, (char)c);
	}
	return buf_take(&b);
nul:
	buf_free(&b);
	return NULL;
}

static void
freeargs(struct sql_arg *args, size_t nargs)
{
	for (size_t i = 0; i < nargs; i++) {
		free(args[i].name);
		free(args[i].value);
	}
	free(args);
}

/* Read the call whose name is token i (token i + 1 being its open
 * parenthesis) and record it, or report why it cannot be. */
static void
readcall(struct scanner *sc, size_t i, enum sql_call kind)
{
	const struct tok *t = sc->toks;
	const char *s = sc->s, *fn = callname[kind];
	uint32_t close = t[i + 1].match;
	struct sql_arg *args = NULL;
	size_t nargs = 0, cap = 0, npos = 0, a = i + 2;
	uint32_t callend;

	if (close == NONE) {
		problem(sc, true, t[i].off, t[i + 1].off + 1 - t[i].off,
		    "unterminated parenthesis in %s() call", fn);
		return;
	}
	callend = t[close].off + 1;
	while (a < close) {
		struct sql_arg arg = {0};
		size_t b = a, v = a;

		while (b < close && !tokis(sc, &t[b], T_OP, ",")) {
			if (t[b].kind == T_OPEN && t[b].match != NONE)
				b = t[b].match;
			b++;
		}
		if (b - a >= 2 && t[a].kind == T_NAME && tokis(sc, &t[a + 1], T_OP, "=")) {
			arg.name = xstrndup(s + t[a].off, t[a].len);
			v = a + 2;
		}
		if (v == b) {
			free(arg.name);
			/* Python allows one trailing comma, nothing else empty */
			if (a == b && b == close && nargs)
				break;
			problem(sc, true, t[b].off, 1, "empty argument in %s() call", fn);
			freeargs(args, nargs);
			return;
		}
		arg.off = t[v].off;
		arg.len = t[b - 1].off + t[b - 1].len - arg.off;
		if (b - v == 1 && t[v].kind == T_STR)
			arg.value = unquote(s + t[v].off + 1, t[v].len - 2);
		arg.is_string = arg.value != NULL;
		if (!arg.is_string)
			arg.value = xstrndup(s + arg.off, arg.len);
		if (!arg.name)
			npos++;
		VEC_PUSH(args, nargs, cap);
		args[nargs++] = arg;
		a = b + 1;
	}

	const char *err = NULL;
	switch (kind) {
	case SQL_REF:
		if (npos < 1 || npos > 2)
			err = "ref() takes a model name, or a package and a model name";
		break;
	case SQL_SOURCE:
		if (npos != 2)
			err = "source() takes a source name and a table name";
		break;
	case SQL_VAR:
		if (nargs < 1 || nargs > 2)
			err = "var() takes a variable name and an optional default";
		break;
	case SQL_CONFIG:
		break;
	}
	if (err) {
		problem(sc, true, t[i].off, callend - t[i].off, "%s, not %zu %sargument%s", err,
		    kind == SQL_VAR ? nargs : npos, kind == SQL_VAR ? "" : "positional ",
		    (kind == SQL_VAR ? nargs : npos) == 1 ? "" : "s");
		freeargs(args, nargs);
		return;
	}
	if (kind == SQL_REF || kind == SQL_SOURCE) {
		for (size_t k = 0; k < nargs; k++) {
			if (!args[k].name && !args[k].is_string) {
				problem(sc, false, args[k].off, args[k].len,
				    "%s() argument is not a string literal; "
				    "dpc cannot resolve it statically", fn);
				break;
			}
		}
	}

	/* a result lives as long as the compilation: do not keep VEC_PUSH's slack */
	if (nargs && nargs < cap)
		args = xreallocarray(args, nargs, sizeof(*args));
	struct sql_scan *o = sc->out;
	VEC_PUSH(o->finds, o->nfinds, sc->capfinds);
	o->finds[o->nfinds++] = (struct sql_find){
		.kind = kind,
		.off = t[i].off,
		.len = callend - t[i].off,
		.args = args,
		.nargs = nargs,
	};
}

/* Is token i the name of one of the four functions, called? */
static bool
iscall(const struct scanner *sc, size_t i, enum sql_call *kind)
{
	const struct tok *t = sc->toks;
	size_t k;

	if (t[i].kind != T_NAME || i + 1 >= sc->ntoks || !tokis(sc, &t[i + 1], T_OPEN, "("))
		return false;
	for (k = 0; k < LEN(callname); k++)
		if (tokis(sc, &t[i], T_NAME, callname[k]))
			break;
	if (k == LEN(callname))
		return false;
	/* x.ref(...) is some object's method, except dbt's own escape hatch
	 * builtins.ref(...), used where a project overrides ref */
	if (i > 0 && tokis(sc, &t[i - 1], T_OP, ".") &&
	    !(i > 1 && tokis(sc, &t[i - 2], T_NAME, "builtins") &&
	      !(i > 2 && tokis(sc, &t[i - 3], T_OP, "."))))
		return false;
	/* {% macro ref(name) %} defines a ref; it does not call one */
	if (i > 0 && tokis(sc, &t[i - 1], T_NAME, "macro"))
		return false;
	*kind = (enum sql_call)k;
	return true;
}

static void
findcalls(struct scanner *sc)
{
	uint32_t active[MAXCALLNEST];  /* closing tokens of the calls we are inside */
	size_t nactive = 0;
	bool toodeep = false;

	for (size_t i = 0; i < sc->ntoks; i++) {
		enum sql_call kind;

		while (nactive && active[nactive - 1] < i)
			nactive--;
		if (!iscall(sc, i, &kind))
			continue;
		if (nactive == MAXCALLNEST) {
			if (!toodeep)
				problem(sc, true, sc->toks[i].off, sc->toks[i].len,
				    "calls nested more than %d deep; the inner ones are not scanned",
				    MAXCALLNEST);
			toodeep = true;
			continue;
		}
		readcall(sc, i, kind);
		if (sc->toks[i + 1].match != NONE)
			active[nactive++] = sc->toks[i + 1].match;
	}
}

/* Is there a {% raw %} tag at off? If so, *end is set past it. */
static bool
israw(const struct scanner *sc, size_t off, size_t *end)
{
	const char *s = sc->s;
	size_t n = sc->n, i = off + 2;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && isws((unsigned char)s[i]))
		i++;
	if (n - i < 3 || memcmp(s + i, "raw", 3) != 0)
		return false;
	i += 3;
	while (i < n && isws((unsigned char)s[i]))
		i++;
	if (i < n && s[i] == '-')
		i++;
	if (n - i < 2 || s[i] != '%' || s[i + 1] != '}')
		return false;
	*end = i + 2;
	return true;
}

/* The offset past the {% endraw %} closing the raw section whose body
 * starts at off, or 0 if there is none. */
static size_t
rawend(const struct scanner *sc, size_t off)
{
	const char *s = sc->s;
	size_t n = sc->n;

	for (size_t i = off; i + 1 < n; i++) {
		if (s[i] != '{' || s[i + 1] != '%')
			continue;
		size_t j = i + 2;
		if (j < n && (s[j] == '-' || s[j] == '+'))
			j++;
		while (j < n && isws((unsigned char)s[j]))
			j++;
		if (n - j < 6 || memcmp(s + j, "endraw", 6) != 0)
			continue;
		j += 6;
		while (j < n && isws((unsigned char)s[j]))
			j++;
		if (j < n && (s[j] == '-' || s[j] == '+'))
			j++;
		if (n - j >= 2 && s[j] == '%' && s[j + 1] == '}')
			return j + 2;
	}
	return 0;
}

/* The offset past the #} closing the comment opening at off, or 0. */
static size_t
commentend(const struct scanner *sc, size_t off)
{
	const char *s = sc->s;
	size_t n = sc->n;

	for (size_t i = off + 2; i + 1 < n; i++)
		if (s[i] == '#' && s[i + 1] == '}')
			return i + 2;
	return 0;
}

static int
cmpproblem(const void *pa, const void *pb)
{
	const struct sql_problem *a = pa, *b = pb;

	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->error != b->error)
		return a->error ? -1 : 1;
	return strcmp(a->msg, b->msg);
}

void
sqlscan(const char *text, size_t len, struct sql_scan *out)
{
	struct scanner sc = {
		.s = text,
		.n = len,
		.out = out,
		/* a caller that did not start from zero still gets a valid vector */
		.capfinds = out->nfinds,
		.capproblems = out->nproblems,
		.noclose = {SIZE_MAX, SIZE_MAX},
	};
	size_t i = 0, first = out->nproblems;

	if (len > UINT32_MAX) {
		/* spans are 32-bit; no real model comes near this */
		problem(&sc, true, 0, 0, "file is too large to scan (over 4 GiB)");
		return;
	}
	while (i + 1 < len) {
		const char *p = memchr(text + i, '{', len - i - 1);
		size_t o, end;
		bool bad;

		if (!p)
			break;
		o = (size_t)(p - text);
		switch (text[o + 1]) {
		case '#':
			i = commentend(&sc, o);
			if (!i)
				problem(&sc, true, o, 2,
				    "unterminated Jinja comment: '{#' has no matching '#}'");
			break;
		case '%':
			if (israw(&sc, o, &end)) {
				i = rawend(&sc, end);
				if (!i)
					problem(&sc, true, o, 2, "unterminated raw block: "
					    "'{%% raw %%}' has no matching '{%% endraw %%}'");
				break;
			}
			/* FALLTHROUGH */
		case '{':
			i = lexblock(&sc, o, text[o + 1] == '{' ? B_EXPR : B_STMT, &bad);
			if (!i)
				problem(&sc, true, o, 2, "%s", text[o + 1] == '{' ?
				    "unterminated Jinja expression: '{{' has no matching '}}'" :
				    "unterminated Jinja statement: '{%' has no matching '%}'");
			else if (!bad)
				findcalls(&sc);
			break;
		default:
			i = o + 1;
			break;
		}
		/* Jinja gives up at an unclosed construct, and so do we */
		if (!i)
			break;
	}
	free(sc.toks);
	free(sc.stack);
	if (out->nproblems - first > 1)
		qsort(out->problems + first, out->nproblems - first, sizeof(*out->problems),
		    cmpproblem);
}

void
sqlscan_free(struct sql_scan *s)
{
	for (size_t i = 0; i < s->nfinds; i++)
		freeargs(s->finds[i].args, s->finds[i].nargs);
	free(s->finds);
	for (size_t i = 0; i < s->nproblems; i++)
		free(s->problems[i].msg);
	free(s->problems);
	*s = (struct sql_scan){0};
}
