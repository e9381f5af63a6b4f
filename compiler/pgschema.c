/* pgschema.c: read PostgreSQL migrations into a schema model (see pgschema.h).
 *
 * The lexer follows PostgreSQL's own (scan.l) closely enough that the text
 * is cut where the server would cut it: -- comments, nested block comments,
 * '...' strings with '' escapes, E'...' strings with backslash escapes,
 * B'', X'' and N'' strings, $$ and $tag$ dollar-quoted strings (so function
 * bodies and DO blocks are single tokens), "quoted identifiers" (case kept,
 * "" escapes), unquoted words folded to lower case, operators with the
 * trailing +/- rule, numbers and $1 parameters. Statements end at a ; that
 * is outside all of those and outside parentheses, and outside a
 * BEGIN ATOMIC ... END function body (as psql splits them).
 *
 * The statements understood (keywords in any case, names optionally
 * schema-qualified, public when not):
 *   create [unlogged] table [if not exists] t (columns, table constraints)
 *     columns: name type [collate c] [constraint n] not null | null |
 *       default expr | primary key | unique | references t [(c)]
 *       [on delete/update action] | check (expr) |
 *       generated {always | by default} as identity [(options)] |
 *       generated always as (expr) stored
 *     table constraints: [constraint n] primary key (..) | unique (..) |
 *       foreign key (..) references t [(..)] ... | check (..)
 *   alter table [if exists] [only] t action, ...: add [column] [if not
 *     exists], drop [column] [if exists] c [cascade], alter [column] c
 *     [set data] type T [using e] | set/drop not null | set/drop default |
 *     add generated ... as identity | set generated ... | drop identity,
 *     rename [column] a to b, rename constraint a to b, rename to n, set
 *     schema s, enable/disable row level security, add [constraint n] ...,
 *     drop constraint [if exists] n, owner to r (no effect on the model)
 *   create [unique] index [concurrently] [[if not exists] n] on [only] t
 *     [using m] (keys [opclass] [asc|desc] [nulls first|last]) [with (..)]
 *     [where pred]
 *   drop table|index|extension|function [if exists] names [cascade]
 *   create policy n on t [as permissive|restrictive] [for cmd] [to roles]
 *     [using (e)] [with check (e)]; drop policy [if exists] n on t
 *   alter publication supabase_realtime add|drop table t, ...
 *   do $$ ... $$ whose body holds only that alter publication statement,
 *     under any begin, if ... then, end if, exception when ... then null
 *     guards. This is the form dpc writes (pgdiff.c):
 *       do $dpc$ begin if not exists (select 1 from
 *       pg_catalog.pg_publication_tables where pubname = 'supabase_realtime'
 *       and schemaname = 's' and tablename = 't') then alter publication
 *       supabase_realtime add table s.t; end if; end $dpc$;
 *     The guard's condition is not evaluated: the statement inside is
 *     taken as having run, which is what the guard exists to ensure.
 *   grant privs on [table] t, ... to roles; revoke privs on ... from roles
 *   alter default privileges [for role postgres] [in schema s, ...]
 *     grant|revoke privs on tables to|from roles (what later tables get;
 *     for a role other than postgres, who runs migrations, skipped)
 *   create extension [if not exists] n [with] [schema s] [version v]
 *   create [or replace] function f(args) ... (its name, argument types and
 *     canonical text; the body is not read)
 *   create schema [if not exists] n
 *   alter <anything> ... owner to r, begin, commit, end, start transaction,
 *     set (except search_path), reset: no effect on the model
 * Anything else, and any part of these beyond the subset (a column's
 * collate, deferrable, ...), is skipped with a note: the model never
 * guesses. A statement naming a table the model does not have is skipped
 * with a note too, unless it says if exists. So is a statement PostgreSQL
 * would reject as a whole: a ; inside parentheses, a parenthesis left open
 * at the end of the file, a default together with an identity. Text after
 * a NUL byte, or after a string or comment that never ends, is not read.
 *
 * The model keeps what PostgreSQL keeps, not what was written: serial is
 * an integer column with a nextval default, primary key and identity
 * columns are not null, unnamed constraints and indexes get the names
 * PostgreSQL would give them (a clash with a name the model knows is
 * numbered as PostgreSQL numbers it), pgvector's types and operator classes lose their schema, and
 * pg_dump's quoted type names ("uuid") and doubled parentheses
 * (check ((x > 0))) read as the plain ones. */
#include "pgschema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* grow an arena-owned array (v, n, cap) so that one more element fits */
#define APUSH(a, v, n, cap)                                                       \
	do {                                                                      \
		if ((n) == (cap)) {                                               \
			size_t nc_ = (cap) ? (cap) * 2 : 8;                        \
			void *p_ = arena_array((a), nc_, sizeof(*(v)));            \
			if (n)                                                     \
				memcpy(p_, (v), (n) * sizeof(*(v)));               \
			(v) = p_;                                                  \
			(cap) = nc_;                                               \
		}                                                                 \
	} while (0)

/* remove element i of (v, n), keeping order */
#define VREMOVE(v, n, i) \
	(memmove(&(v)[i], &(v)[(i) + 1], ((n) - (i) - 1) * sizeof(*(v))), (n)--)

#define NAMEMAX 63 /* NAMEDATALEN - 1 */

/* the keywords PostgreSQL's quote_ident quotes: reserved, and those that
 * name types or functions (char, int, time, ...); sorted for bsearch */
static const char *const reserved[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
	"authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case", "cast",
	"char", "character", "check", "coalesce", "collate", "collation", "column",
	"concurrently", "constraint", "create", "cross", "current_catalog", "current_date",
	"current_role", "current_schema", "current_time", "current_timestamp", "current_user",
	"dec", "decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end",
	"except", "exists", "extract", "false", "fetch", "float", "for", "foreign", "freeze",
	"from", "full", "grant", "greatest", "group", "grouping", "having", "ilike", "in",
	"initially", "inner", "inout", "int", "integer", "intersect", "interval", "into", "is",
	"isnull", "join", "lateral", "leading", "least", "left", "like", "limit", "localtime",
	"localtimestamp", "national", "natural", "nchar", "none", "normalize", "not", "notnull",
	"null", "nullif", "numeric", "offset", "on", "only", "or", "order", "out", "outer",
	"overlaps", "overlay", "placing", "position", "precision", "primary", "real",
	"references", "returning", "right", "row", "select", "session_user", "setof", "similar",
	"smallint", "some", "substring", "symmetric", "table", "tablesample", "then", "time",
	"timestamp", "to", "trailing", "treat", "trim", "true", "union", "unique", "user",
	"using", "values", "varchar", "variadic", "verbose", "when", "where", "window", "with",
	"xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces",
	"xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
};

/* words after which "(" is not a function call and a sign is unary */
static const char *const spacekw[] = {
	"all", "and", "any", "as", "between", "by", "case", "check", "default", "distinct",
	"else", "escape", "exists", "filter", "from", "ilike", "in", "is", "join", "like",
	"not", "on", "or", "over", "return", "returning", "select", "similar", "some", "then",
	"to", "using", "values", "when", "where", "with",
};

static int
cmpword(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
inlist(const char *w, const char *const *list, size_t n)
{
	return bsearch(&w, list, n, sizeof(*list), cmpword) != NULL;
}

void
pg_put_ident(struct buf *b, const char *name)
{
	bool plain = name[0] && ((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_') &&
		     !inlist(name, reserved, LEN(reserved));
	for (const char *p = name; plain && *p; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '$';
	if (plain) {
		buf_puts(b, name);
		return;
	}
	buf_sqlident(b, name);
}

void
pg_put_qname(struct buf *b, const char *schema, const char *name)
{
	pg_put_ident(b, schema ? schema : "public");
	buf_putc(b, '.');
	pg_put_ident(b, name);
}

/* ---- the lexer ---- */

enum tk { TK_IDENT, TK_QIDENT, TK_STRING, TK_NUMBER, TK_PARAM, TK_OP, TK_PUNCT };

struct tok {
	uint32_t off, len;
	enum tk kind;
	const char *v; /* identifiers: the name, folded or unescaped; else NULL */
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

static bool
isidstart(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool
isdig(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
isopchar(unsigned char c)
{
	return c && strchr("~!@#^&|`?+-*/%<>=", c);
}

/* the end of a quoted run opening at s[i] (q, doubled q escapes it; with
 * bs, a backslash escapes the next byte), or 0 when it never closes */
static size_t
quoteend(const char *s, size_t i, size_t to, char q, bool bs)
{
	for (i++; i < to; i++) {
		if (bs && s[i] == '\\')
			i++;
		else if (s[i] == q) {
			if (i + 1 < to && s[i + 1] == q)
				i++;
			else
				return i + 1;
		}
	}
	return 0;
}

static void
pushtok(struct toks *o, enum tk kind, size_t off, size_t end, const char *v)
{
	VEC_PUSH(o->v, o->n, o->cap);
	o->v[o->n++] = (struct tok){(uint32_t)off, (uint32_t)(end - off), kind, v};
}

/* Cut s[i, to) into tokens appended to out; identifier values go in a.
 * Returns false, with *bad at its start and *what saying what is wrong, at
 * a string, identifier or comment that never ends, or a NUL byte; the
 * tokens before it are kept. */
static bool
lex(const char *s, size_t i, size_t to, struct arena *a, struct toks *out, size_t *bad,
    const char **what)
{
	/* PostgreSQL's query text cannot hold a NUL byte: what follows one is
	 * not read (and no token, string or comment holds one) */
	const char *nul = memchr(s + i, '\0', to - i);
	size_t end = to;
	if (nul)
		to = (size_t)(nul - s);
	while (i < to) {
		unsigned char c = (unsigned char)s[i];
		size_t st = i, e;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			i++;

		} else if (c == '-' && i + 1 < to && s[i + 1] == '-') {
			while (i < to && s[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < to && s[i + 1] == '*') {
			int depth = 0;
			while (i < to) {
				if (s[i] == '/' && i + 1 < to && s[i + 1] == '*')
					depth++, i += 2;
				else if (s[i] == '*' && i + 1 < to && s[i + 1] == '/') {
					i += 2;
					if (--depth == 0)
						break;
				} else
					i++;
			}
			if (depth) {
				*bad = st, *what = "unterminated block comment";
				return false;
			}
		} else if (c == '\'' || (c && strchr("eEbBxXnN", c) && i + 1 < to && s[i + 1] == '\'')) {
			size_t q = c == '\'' ? i : i + 1;
			if (!(e = quoteend(s, q, to, '\'', c == 'e' || c == 'E'))) {
				*bad = st, *what = "unterminated string literal";
				return false;
			}
			pushtok(out, TK_STRING, st, e, NULL);
			i = e;
		} else if (c == '"') {
			if (!(e = quoteend(s, i, to, '"', false))) {
				*bad = st, *what = "unterminated quoted identifier";
				return false;
			}
			char *v = arena_alloc(a, e - i), *p = v;
			for (size_t k = i + 1; k + 1 < e; k++) {
				*p++ = s[k];
				if (s[k] == '"')
					k++;
			}
			pushtok(out, TK_QIDENT, st, e, v);
			i = e;
		} else if (c == '$' && i + 1 < to && isdig((unsigned char)s[i + 1])) {
			for (i++; i < to && isdig((unsigned char)s[i]); i++)
				;
			pushtok(out, TK_PARAM, st, i, NULL);
		} else if (c == '$') {
			size_t j = i + 1;
			while (j < to && (isidstart((unsigned char)s[j]) || isdig((unsigned char)s[j])))
				j++;
			if (j < to && s[j] == '$') {
				size_t tl = j + 1 - i, k;
				for (k = j + 1; k + tl <= to; k++)
					if (s[k] == '$' && memcmp(s + k, s + i, tl) == 0)
						break;
				if (k + tl > to) {
					*bad = st, *what = "unterminated dollar-quoted string";
					return false;
				}
				i = k + tl;
				pushtok(out, TK_STRING, st, i, NULL);
			} else {
				pushtok(out, TK_OP, st, ++i, NULL);
			}
		} else if (isdig(c) || (c == '.' && i + 1 < to && isdig((unsigned char)s[i + 1]))) {
			while (i < to && isdig((unsigned char)s[i]))
				i++;
			if (i < to && s[i] == '.' && !(i + 1 < to && s[i + 1] == '.'))
				for (i++; i < to && isdig((unsigned char)s[i]); i++)
					;
			if (i < to && (s[i] == 'e' || s[i] == 'E')) {
				size_t k = i + 1;
				if (k < to && (s[k] == '+' || s[k] == '-'))
					k++;
				if (k < to && isdig((unsigned char)s[k]))
					for (i = k; i < to && isdig((unsigned char)s[i]); i++)
						;
			}
			pushtok(out, TK_NUMBER, st, i, NULL);
		} else if (isidstart(c)) {
			while (i < to && (isidstart((unsigned char)s[i]) || isdig((unsigned char)s[i]) ||
					  s[i] == '$'))
				i++;
			char *v = arena_strndup(a, s + st, i - st);
			for (char *p = v; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			pushtok(out, TK_IDENT, st, i, v);
		} else if (c && strchr("()[],;.", c)) {
			pushtok(out, TK_PUNCT, st, ++i, NULL);
		} else if (c == ':') {
			i += i + 1 < to && s[i + 1] == ':' ? 2 : 1;
			pushtok(out, TK_PUNCT, st, i, NULL);
		} else if (isopchar(c)) {
			while (i < to && isopchar((unsigned char)s[i]) &&
			       !(i > st && ((s[i] == '-' && i + 1 < to && s[i + 1] == '-') ||
					    (s[i] == '/' && i + 1 < to && s[i + 1] == '*'))))
				i++;
			/* as in scan.l: a multi-character operator ends in + or -
			 * only if it has a character SQL operators never use */
			size_t n = i - st;
			if (n > 1 && (s[st + n - 1] == '+' || s[st + n - 1] == '-')) {
				size_t k = n - 1;
				while (k > 0 && !strchr("~!@#^&|`?%", s[st + k - 1]))
					k--;
				if (k == 0)
					while (n > 1 && (s[st + n - 1] == '+' || s[st + n - 1] == '-'))
						n--;
			}
			i = st + n;
			pushtok(out, TK_OP, st, i, NULL);
		} else {
			pushtok(out, TK_OP, st, ++i, NULL);
		}
	}
	if (to < end) {
		*bad = to, *what = "a NUL byte";
		return false;
	}
	return true;
}

/* ---- canonical text ---- */

static bool
traw(const char *s, const struct tok *t, const char *p)
{
	size_t n = strlen(p);
	return (t->kind == TK_PUNCT || t->kind == TK_OP) && t->len == n &&
	       memcmp(s + t->off, p, n) == 0;
}

static bool
isspacekw(const struct tok *t)
{
	return t->kind == TK_IDENT && inlist(t->v, spacekw, LEN(spacekw));
}

/* Whether a space goes between t[i - 1] and t[i]. The text must lex back
 * into the same tokens: a dot is glued only between names (t.c, t.*), a
 * sign only to an operand (never "- -1" into the comment "--1"). */
static bool
spaced(const char *s, const struct tok *t, size_t from, size_t i)
{
	const struct tok *p = &t[i - 1], *c = &t[i];
	bool pname = p->kind == TK_IDENT || p->kind == TK_QIDENT;
	bool cname = c->kind == TK_IDENT || c->kind == TK_QIDENT;
	if ((traw(s, p, ":") || traw(s, p, "::")) && (traw(s, c, ":") || traw(s, c, "::")))
		return true; /* ":" "::" glued would lex as "::" ":" */
	if (traw(s, p, "(") || traw(s, p, "[") || traw(s, p, "::"))
		return false;
	if (traw(s, p, "."))
		return !(cname || traw(s, c, "*"));
	if (traw(s, c, "."))
		return !(pname || traw(s, p, ")"));
	if (traw(s, c, ")") || traw(s, c, "]") || traw(s, c, ",") || traw(s, c, "::"))
		return false;
	bool word = p->kind == TK_QIDENT || (p->kind == TK_IDENT && !isspacekw(p));
	if (traw(s, c, "(") && word)
		return false;
	if (traw(s, c, "[") && (word || traw(s, p, ")") || traw(s, p, "]")))
		return false;
	if ((traw(s, p, "-") || traw(s, p, "+")) &&
	    (cname || c->kind == TK_NUMBER || c->kind == TK_PARAM || traw(s, c, "("))) {
		if (i - 1 == from)
			return false;
		const struct tok *q = &t[i - 2];
		if (q->kind == TK_OP || traw(s, q, "(") || traw(s, q, "[") || traw(s, q, ",") ||
		    isspacekw(q))
			return false;
	}
	return true;
}

static void
puttok(struct buf *b, const char *s, const struct tok *t)
{
	if (t->kind == TK_IDENT)
		buf_puts(b, t->v);
	else if (t->kind == TK_QIDENT)
		pg_put_ident(b, t->v);
	else if (t->kind == TK_STRING && s[t->off] != '\'' && s[t->off] != '$') {
		char c = s[t->off];
		buf_putc(b, (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
		buf_put(b, s + t->off + 1, t->len - 1);
	} else
		buf_put(b, s + t->off, t->len);
}

/* append the canonical text of tokens [from, to) */
static void
canon(struct buf *b, const char *s, const struct tok *t, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		if (i > from && spaced(s, t, from, i))
			buf_putc(b, ' ');
		puttok(b, s, &t[i]);
	}
}

/* ---- types ---- */

static const struct {
	const char *in, *out;
} typenames[] = {
	{"bigint", "bigint"}, {"bigserial", "bigserial"}, {"bool", "boolean"},
	{"boolean", "boolean"}, {"dec", "numeric"}, {"decimal", "numeric"},
	{"float4", "real"}, {"float8", "double precision"}, {"int", "integer"},
	{"int2", "smallint"}, {"int4", "integer"}, {"int8", "bigint"}, {"integer", "integer"},
	{"numeric", "numeric"}, {"real", "real"}, {"serial", "serial"},
	{"serial2", "smallserial"}, {"serial4", "serial"}, {"serial8", "bigserial"},
	{"smallint", "smallint"}, {"smallserial", "smallserial"}, {"varbit", "bit varying"},
	{"varchar", "character varying"},
};

static bool
tword(const struct tok *t, size_t i, size_t end, const char *w)
{
	return i < end && t[i].kind == TK_IDENT && strcmp(t[i].v, w) == 0;
}

static bool
isname(const struct tok *t, size_t i, size_t end)
{
	return i < end && (t[i].kind == TK_IDENT || t[i].kind == TK_QIDENT);
}

/* a quoted type name that means something else unquoted: pg_dump writes
 * "uuid" and "extensions"."vector", the same types as uuid and
 * extensions.vector, but "char" is not char */
static bool
needsquote(const struct tok *t)
{
	if (t->kind != TK_QIDENT)
		return false;
	const char *p = t->v;
	bool plain = (*p >= 'a' && *p <= 'z') || *p == '_';
	for (; plain && *p; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
	return !plain || strcmp(t->v, "char") == 0;
}

/* Read a type at t[*i]; append its canonical spelling to out and move *i
 * past it. Returns false, *i unchanged, if no type starts there. */
static bool
typeat(const char *s, const struct tok *t, size_t *i, size_t end, struct buf *out)
{
	size_t j = *i;
	const char *schema = NULL, *nm;
	bool quoted;
	if (!isname(t, j, end))
		return false;
	if (j + 2 < end && traw(s, &t[j + 1], ".") && isname(t, j + 2, end)) {
		schema = t[j].v, nm = t[j + 2].v, quoted = needsquote(&t[j + 2]);
		j += 3;
	} else {
		nm = t[j].v, quoted = needsquote(&t[j]);
		j++;
	}
	/* the modifiers in ( ), without spaces */
	struct buf base = {0}, mods = {0};
	bool tz = false, withtz = false, arr = false;
	long m1 = -1;
	bool builtin = !quoted && (!schema || strcmp(schema, "pg_catalog") == 0);
	/* pgvector's types, in whatever schema the extension was put */
	bool vec = !quoted && (strcmp(nm, "vector") == 0 || strcmp(nm, "halfvec") == 0 ||
			       strcmp(nm, "sparsevec") == 0);
#define READMODS()                                                                     \
	do {                                                                           \
		if (j < end && traw(s, &t[j], "(")) {                                   \
			size_t k = j + 1;                                              \
			buf_putc(&mods, '(');                                          \
			while (k < end && (t[k].kind == TK_NUMBER || traw(s, &t[k], ","))) \
				buf_put(&mods, s + t[k].off, t[k].len), k++;           \
			if (k >= end || !traw(s, &t[k], ")") || k == j + 1)             \
				goto fail;                                             \
			buf_putc(&mods, ')');                                          \
			m1 = strtol(s + t[j + 1].off, NULL, 10);                        \
			j = k + 1;                                                     \
		}                                                                      \
	} while (0)
	if (vec) {
		buf_puts(&base, nm);
		READMODS();
	} else if (builtin && strcmp(nm, "double") == 0) {
		if (!tword(t, j++, end, "precision"))
			goto fail;
		buf_puts(&base, "double precision");
	} else if (builtin && (strcmp(nm, "character") == 0 || strcmp(nm, "char") == 0 ||
			       strcmp(nm, "nchar") == 0 || strcmp(nm, "national") == 0 ||
			       strcmp(nm, "bpchar") == 0)) {
		if (strcmp(nm, "national") == 0 &&
		    !(tword(t, j, end, "character") || tword(t, j, end, "char")))
			goto fail;
		j += strcmp(nm, "national") == 0;
		bool varying = tword(t, j, end, "varying");
		j += varying;
		buf_puts(&base, varying ? "character varying" : "character");
		READMODS();
		if (!varying && !mods.len && strcmp(nm, "bpchar") == 0)
			base.len = 0, buf_puts(&base, "bpchar"); /* blank-padded, any length */
		else if (!varying && !mods.len)
			buf_puts(&mods, "(1)");
	} else if (builtin && strcmp(nm, "bit") == 0) {
		bool varying = tword(t, j, end, "varying");
		j += varying;
		buf_puts(&base, varying ? "bit varying" : "bit");
		READMODS();
		if (!varying && !mods.len)
			buf_puts(&mods, "(1)");
	} else if (builtin && (strcmp(nm, "timestamp") == 0 || strcmp(nm, "time") == 0 ||
			       strcmp(nm, "timestamptz") == 0 || strcmp(nm, "timetz") == 0)) {
		tz = true;
		withtz = nm[strlen(nm) - 1] == 'z';
		buf_put(&base, nm, withtz ? strlen(nm) - 2 : strlen(nm));
		READMODS();
		if (!withtz && tword(t, j, end, "with") && tword(t, j + 1, end, "time") &&
		    tword(t, j + 2, end, "zone"))
			withtz = true, j += 3;
		else if (!withtz && tword(t, j, end, "without") && tword(t, j + 1, end, "time") &&
			 tword(t, j + 2, end, "zone"))
			j += 3;
	} else if (builtin && strcmp(nm, "interval") == 0) {
		buf_puts(&base, "interval");
		static const char *const fields[] = {"day", "hour", "minute", "month", "second",
						     "to", "year"};
		while (j < end && t[j].kind == TK_IDENT && inlist(t[j].v, fields, LEN(fields)))
			buf_printf(&base, " %s", t[j++].v);
		READMODS();
	} else if (builtin && strcmp(nm, "float") == 0) {
		READMODS();
		buf_puts(&base, mods.len && m1 <= 24 ? "real" : "double precision");
		mods.len = 0;
	} else if (builtin) {
		const char *canonname = NULL;
		for (size_t k = 0; k < LEN(typenames); k++)
			if (strcmp(typenames[k].in, nm) == 0)
				canonname = typenames[k].out;
		if (!canonname && inlist(nm, reserved, LEN(reserved)))
			goto fail; /* not, null, ... are no type */
		if (!canonname)
			canonname = nm;
		buf_puts(&base, canonname);
		READMODS();
		if (strcmp(canonname, "numeric") == 0 && mods.len && !memchr(mods.data, ',', mods.len))
			mods.len--, buf_puts(&mods, ",0)");
	} else {
		if (schema && strcmp(schema, "public") != 0) {
			pg_put_ident(&base, schema);
			buf_putc(&base, '.');
		}
		if (quoted && strcmp(nm, "char") == 0)
			buf_puts(&base, "\"char\"");
		else
			pg_put_ident(&base, nm);
		READMODS();
	}
#undef READMODS
	/* PostgreSQL ignores array bounds and dimensions: int[3][] is int[] */
	for (;;) {
		if (j + 1 < end && traw(s, &t[j], "[") && traw(s, &t[j + 1], "]"))
			j += 2, arr = true;
		else if (j + 2 < end && traw(s, &t[j], "[") && t[j + 1].kind == TK_NUMBER &&
			 traw(s, &t[j + 2], "]"))
			j += 3, arr = true;
		else if (tword(t, j, end, "array"))
			j++, arr = true;
		else
			break;
	}
	if (tz) {
		buf_put(out, base.data, base.len);
		buf_put(out, mods.data ? mods.data : "", mods.len);
		buf_puts(out, withtz ? " with time zone" : " without time zone");
	} else {
		buf_put(out, base.data, base.len);
		buf_put(out, mods.data ? mods.data : "", mods.len);
	}
	if (arr)
		buf_puts(out, "[]");
	buf_free(&base);
	buf_free(&mods);
	*i = j;
	return true;
fail:
	buf_free(&base);
	buf_free(&mods);
	return false;
}

char *
pg_type_normalize(const char *type)
{
	struct arena a = {0};
	struct toks tk = {0};
	struct buf b = {0};
	size_t bad, i = 0, n = strlen(type);
	const char *what;
	char *res = NULL;
	if (lex(type, 0, n, &a, &tk, &bad, &what) && typeat(type, tk.v, &i, tk.n, &b) && i == tk.n)
		res = buf_take(&b);
	buf_free(&b);
	free(tk.v);
	arena_free(&a);
	return res;
}

/* a canonical type taken apart: base name, up to two modifiers, array */
struct tdesc {
	char base[96];
	long mod[2];
	int nmod;
	bool arr;
};

static void
describe(const char *canon_, struct tdesc *d)
{
	size_t n = 0;
	*d = (struct tdesc){0};
	for (const char *p = canon_; *p && n + 1 < sizeof(d->base); p++) {
		if (*p == '(') {
			while (*p && *p != ')') {
				p++;
				if (d->nmod < 2 && isdig((unsigned char)*p))
					d->mod[d->nmod++] = strtol(p, (char **)&p, 10), p--;
			}
			if (!*p)
				break;
		} else if (*p == '[') {
			d->arr = true;
			break;
		} else {
			d->base[n++] = *p;
		}
	}
	d->base[n] = '\0';
}

static int
intrank(const char *b)
{
	return strcmp(b, "smallint") == 0 ? 1 : strcmp(b, "integer") == 0 ? 2
						: strcmp(b, "bigint") == 0	  ? 3
										: 0;
}

/* whether every value of a fits in b unchanged */
static bool
widens(const struct tdesc *a, const struct tdesc *b)
{
	static const long digits[] = {0, 5, 10, 19};
	int ra = intrank(a->base), rb = intrank(b->base);
	if (a->arr != b->arr)
		return false;
	if (ra && rb)
		return ra <= rb;
	if (ra && strcmp(b->base, "numeric") == 0)
		return b->nmod == 0 || b->mod[0] - (b->nmod > 1 ? b->mod[1] : 0) >= digits[ra];
	if (ra && strcmp(b->base, "double precision") == 0)
		return ra <= 2;
	if (ra == 1 && strcmp(b->base, "real") == 0)
		return true;
	if (strcmp(a->base, "real") == 0)
		return strcmp(b->base, "double precision") == 0;
	if (strcmp(a->base, "numeric") == 0 && strcmp(b->base, "numeric") == 0) {
		if (b->nmod == 0)
			return true;
		if (a->nmod == 0)
			return false;
		long as = a->nmod > 1 ? a->mod[1] : 0, bs = b->nmod > 1 ? b->mod[1] : 0;
		return bs >= as && b->mod[0] - bs >= a->mod[0] - as;
	}
	if (strcmp(a->base, "character varying") == 0 || strcmp(a->base, "text") == 0) {
		if (strcmp(b->base, "text") == 0)
			return true;
		if (strcmp(b->base, "character varying") == 0)
			return b->nmod == 0 ||
			       (a->nmod && strcmp(a->base, "text") != 0 && a->mod[0] <= b->mod[0]);
		return false;
	}
	if (strcmp(a->base, "bit varying") == 0 && strcmp(b->base, "bit varying") == 0)
		return b->nmod == 0 || (a->nmod && a->mod[0] <= b->mod[0]);
	if (strncmp(a->base, "time", 4) == 0 && strcmp(a->base, b->base) == 0) {
		long pa = a->nmod ? a->mod[0] : 6, pb = b->nmod ? b->mod[0] : 6;
		return pa <= pb;
	}
	return false;
}

bool
pg_type_narrowing(const char *from, const char *to)
{
	char *a = pg_type_normalize(from), *b = pg_type_normalize(to);
	bool narrow = true;
	if (a && b) {
		struct tdesc da, db;
		describe(a, &da);
		describe(b, &db);
		narrow = strcmp(a, b) != 0 && !widens(&da, &db);
	}
	free(a);
	free(b);
	return narrow;
}

bool
pg_text_mentions(const char *expr, const char *name)
{
	struct arena a = {0};
	struct toks tk = {0};
	size_t bad;
	const char *what;
	bool found = false;
	lex(expr, 0, strlen(expr), &a, &tk, &bad, &what);
	for (size_t i = 0; i < tk.n && !found; i++)
		found = (tk.v[i].kind == TK_IDENT || tk.v[i].kind == TK_QIDENT) &&
			strcmp(tk.v[i].v, name) == 0 &&
			!(i + 1 < tk.n && traw(expr, &tk.v[i + 1], "("));
	free(tk.v);
	arena_free(&a);
	return found;
}

/* ---- the model ---- */

struct pg_model *
pg_model_new(void)
{
	return xcalloc(1, sizeof(struct pg_model));
}

void
pg_model_free(struct pg_model *m)
{
	if (!m)
		return;
	arena_free(&m->arena);
	free(m);
}

static const char *
orpublic(const char *schema)
{
	return schema ? schema : "public";
}

struct pg_table *
pg_table_find(const struct pg_model *m, const char *schema, const char *name)
{
	schema = orpublic(schema);
	for (size_t i = 0; i < m->ntables; i++)
		if (strcmp(m->tables[i]->name, name) == 0 && strcmp(m->tables[i]->schema, schema) == 0)
			return m->tables[i];
	return NULL;
}

struct pg_column *
pg_column_find(const struct pg_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i]->name, name) == 0)
			return t->cols[i];
	return NULL;
}

struct pg_index *
pg_index_find(const struct pg_model *m, const char *schema, const char *name)
{
	schema = orpublic(schema);
	for (size_t i = 0; i < m->nindexes; i++)
		if (strcmp(m->indexes[i]->name, name) == 0 && strcmp(m->indexes[i]->schema, schema) == 0)
			return m->indexes[i];
	return NULL;
}

struct pg_extension *
pg_extension_find(const struct pg_model *m, const char *name)
{
	for (size_t i = 0; i < m->nexts; i++)
		if (strcmp(m->exts[i]->name, name) == 0)
			return m->exts[i];
	return NULL;
}

struct pg_policy *
pg_policy_find(const struct pg_table *t, const char *name)
{
	for (size_t i = 0; i < t->npols; i++)
		if (strcmp(t->pols[i]->name, name) == 0)
			return t->pols[i];
	return NULL;
}

struct pg_constraint *
pg_primary_key(const struct pg_table *t)
{
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i]->kind == PG_CON_PRIMARY)
			return t->cons[i];
	return NULL;
}

unsigned
pg_default_privs(const struct pg_model *m, const char *schema, const char *role)
{
	unsigned privs = 0;
	schema = orpublic(schema);
	for (size_t i = 0; i < m->ndefacls; i++) {
		const struct pg_defacl *a = m->defacls[i];
		if ((!a->schema || strcmp(a->schema, schema) == 0) && strcmp(a->role, role) == 0)
			privs |= a->privs;
	}
	return privs;
}

static void
addschema(struct pg_model *m, const char *schema)
{
	if (!schema || strcmp(schema, "public") == 0 || strcmp(schema, "pg_catalog") == 0)
		return;
	for (size_t i = 0; i < m->nschemas; i++)
		if (strcmp(m->schemas[i], schema) == 0)
			return;
	APUSH(&m->arena, m->schemas, m->nschemas, m->capschemas);
	m->schemas[m->nschemas++] = arena_strdup(&m->arena, schema);
}

static struct pg_names
names(struct pg_model *m, const char *const *v, size_t n)
{
	struct pg_names r = {arena_array(&m->arena, n ? n : 1, sizeof(char *)), n};
	for (size_t i = 0; i < n; i++)
		r.v[i] = arena_strdup(&m->arena, v[i]);
	return r;
}

static bool
namein(const struct pg_names *ns, const char *name)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0)
			return true;
	return false;
}

/* PostgreSQL's makeObjectName: name1_name2_label, the longer of name1 and
 * name2 shortened until the whole fits in NAMEDATALEN - 1 bytes */
static char *
objname(struct arena *a, const char *n1, const char *n2, const char *label)
{
	size_t l1 = strlen(n1), l2 = n2 ? strlen(n2) : 0;
	size_t avail = NAMEMAX - (n2 ? 1 : 0) - strlen(label) - 1;
	while (l1 + l2 > avail) {
		if (l1 > l2)
			l1--;
		else
			l2--;
	}
	/* never cut a UTF-8 sequence in two */
	while (l1 && ((unsigned char)n1[l1] & 0xC0) == 0x80)
		l1--;
	while (n2 && l2 && ((unsigned char)n2[l2] & 0xC0) == 0x80)
		l2--;
	if (n2)
		return arena_printf(a, "%.*s_%.*s_%s", (int)l1, n1, (int)l2, n2, label);
	return arena_printf(a, "%.*s_%s", (int)l1, n1, label);
}

void
pg_put_serial_default(struct buf *b, const char *schema, const char *table, const char *col)
{
	struct arena a = {0};
	struct buf q = {0};
	pg_put_qname(&q, schema, objname(&a, table, col, "seq"));
	buf_puts(b, "nextval('");
	for (const char *p = q.data; *p; p++) {
		if (*p == '\'')
			buf_putc(b, '\'');
		buf_putc(b, *p);
	}
	buf_puts(b, "'::regclass)");
	buf_free(&q);
	arena_free(&a);
}

/* serial types are not types: PostgreSQL makes an integer column with a
 * sequence, so the model keeps what it makes */
static void
unserial(struct pg_model *m, const struct pg_table *t, struct pg_column *c)
{
	static const char *const serials[][2] = {
		{"serial", "integer"}, {"bigserial", "bigint"}, {"smallserial", "smallint"}};
	for (size_t i = 0; i < LEN(serials); i++)
		if (strcmp(c->type, serials[i][0]) == 0) {
			struct buf b = {0};
			pg_put_serial_default(&b, t->schema, t->name, c->name);
			c->type = arena_strdup(&m->arena, serials[i][1]);
			c->def = arena_strdup(&m->arena, b.data);
			c->not_null = true;
			buf_free(&b);
		}
}

/* a name taken by a relation (table, index, index-backed constraint) or,
 * for others, by a constraint of a table in the schema */
static bool
taken(const struct pg_model *m, const char *schema, const char *name, bool relation)
{
	for (size_t i = 0; i < m->ntables; i++) {
		const struct pg_table *t = m->tables[i];
		if (strcmp(t->schema, schema) != 0)
			continue;
		if (relation && strcmp(t->name, name) == 0)
			return true;
		for (size_t k = 0; k < t->ncons; k++)
			if (strcmp(t->cons[k]->name, name) == 0 &&
			    (!relation || t->cons[k]->kind <= PG_CON_UNIQUE))
				return true;
	}
	for (size_t i = 0; relation && i < m->nindexes; i++)
		if (strcmp(m->indexes[i]->schema, schema) == 0 && strcmp(m->indexes[i]->name, name) == 0)
			return true;
	return false;
}

/* PostgreSQL's ChooseRelationName / ChooseConstraintName: the default name,
 * with a number after the label when the plain one is taken */
static char *
choosename(struct pg_model *m, const char *schema, const char *table, const struct pg_names *cols,
	   const char *label, bool relation)
{
	struct buf add = {0};
	for (size_t i = 0; cols && i < cols->n && add.len < NAMEMAX; i++) {
		if (i)
			buf_putc(&add, '_');
		buf_puts(&add, cols->v[i]);
	}
	if (add.len > NAMEMAX)
		add.data[add.len = NAMEMAX] = '\0';
	char *nm = NULL;
	for (int pass = 0; !nm || taken(m, schema, nm, relation); pass++) {
		char lab[32];
		snprintf(lab, sizeof(lab), pass ? "%s%d" : "%s", label, pass);
		nm = objname(&m->arena, table, add.len ? add.data : NULL, lab);
	}
	buf_free(&add);
	return nm;
}

/* the one column of t a check expression uses, or NULL */
static const char *
checkcol(const struct pg_table *t, const char *expr)
{
	const char *one = NULL;
	for (size_t i = 0; i < t->ncols; i++) {
		if (!pg_text_mentions(expr, t->cols[i]->name))
			continue;
		if (one)
			return NULL;
		one = t->cols[i]->name;
	}
	return one;
}

/* add c to t, naming it as PostgreSQL would when it has no name */
static void
addcon(struct pg_model *m, struct pg_table *t, struct pg_constraint *c)
{
	static const char *const labels[] = {"pkey", "key", "fkey", "check"};
	if (!c->name) {
		struct pg_names one = {0};
		const char *cc = NULL;
		if (c->kind == PG_CON_CHECK && (cc = checkcol(t, c->check)))
			one = (struct pg_names){(char **)&cc, 1};
		c->name = choosename(m, t->schema, t->name,
				     c->kind == PG_CON_PRIMARY ? NULL
				     : c->kind == PG_CON_CHECK ? &one
							       : &c->cols,
				     labels[c->kind], c->kind <= PG_CON_UNIQUE);
	}
	if (c->kind == PG_CON_PRIMARY)
		for (size_t i = 0; i < c->cols.n; i++) {
			struct pg_column *col = pg_column_find(t, c->cols.v[i]);
			if (col)
				col->not_null = true;
		}
	APUSH(&m->arena, t->cons, t->ncons, t->capcons);
	t->cons[t->ncons++] = c;
}

static void
rmtable_refs(struct pg_model *m, const struct pg_table *t)
{
	for (size_t i = m->nindexes; i-- > 0;)
		if (strcmp(m->indexes[i]->schema, t->schema) == 0 &&
		    strcmp(m->indexes[i]->table, t->name) == 0)
			VREMOVE(m->indexes, m->nindexes, i);
	for (size_t i = 0; i < m->ntables; i++) {
		struct pg_table *o = m->tables[i];
		for (size_t k = o->ncons; k-- > 0;)
			if (o->cons[k]->kind == PG_CON_FOREIGN && strcmp(o->cons[k]->ref_table, t->name) == 0 &&
			    strcmp(o->cons[k]->ref_schema, t->schema) == 0)
				VREMOVE(o->cons, o->ncons, k);
	}
}

static bool
keymentions(const struct pg_index *ix, const char *col)
{
	for (size_t k = 0; k < ix->nkeys; k++)
		if (pg_text_mentions(ix->keys[k].expr, col))
			return true;
	return ix->where && pg_text_mentions(ix->where, col);
}

/* drop column c of t with everything that depends on it */
static void
rmcolumn(struct pg_model *m, struct pg_table *t, size_t ci)
{
	const char *col = t->cols[ci]->name;
	for (size_t k = t->ncons; k-- > 0;) {
		struct pg_constraint *c = t->cons[k];
		if (namein(&c->cols, col) || (c->check && pg_text_mentions(c->check, col)))
			VREMOVE(t->cons, t->ncons, k);
	}
	for (size_t k = t->npols; k-- > 0;) {
		struct pg_policy *p = t->pols[k];
		if ((p->using_expr && pg_text_mentions(p->using_expr, col)) ||
		    (p->check_expr && pg_text_mentions(p->check_expr, col)))
			VREMOVE(t->pols, t->npols, k);
	}
	for (size_t i = m->nindexes; i-- > 0;) {
		struct pg_index *ix = m->indexes[i];
		if (strcmp(ix->schema, t->schema) == 0 && strcmp(ix->table, t->name) == 0 &&
		    keymentions(ix, col))
			VREMOVE(m->indexes, m->nindexes, i);
	}
	for (size_t i = 0; i < m->ntables; i++) {
		struct pg_table *o = m->tables[i];
		for (size_t k = o->ncons; k-- > 0;) {
			struct pg_constraint *c = o->cons[k];
			if (c->kind == PG_CON_FOREIGN && strcmp(c->ref_table, t->name) == 0 &&
			    strcmp(c->ref_schema, t->schema) == 0 && namein(&c->ref_cols, col))
				VREMOVE(o->cons, o->ncons, k);
		}
	}
	VREMOVE(t->cols, t->ncols, ci);
}

static struct pg_table *
newtable(struct pg_model *m, const char *schema, const char *name, struct pg_origin at)
{
	struct pg_table *t = arena_alloc(&m->arena, sizeof(*t));
	t->schema = arena_strdup(&m->arena, orpublic(schema));
	t->name = arena_strdup(&m->arena, name);
	t->at = at;
	return t;
}

static void
linktable(struct pg_model *m, struct pg_table *t)
{
	APUSH(&m->arena, m->tables, m->ntables, m->captables);
	m->tables[m->ntables++] = t;
	addschema(m, t->schema);
}

static int
cmpstrp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sort and deduplicate a role list; public alone means everyone: empty */
static void
normroles(struct pg_names *r)
{
	if (r->n > 1)
		qsort(r->v, r->n, sizeof(*r->v), cmpstrp);
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++)
		if (!k || strcmp(r->v[k - 1], r->v[i]) != 0)
			r->v[k++] = r->v[i];
	r->n = k;
	if (r->n == 1 && strcmp(r->v[0], "public") == 0)
		r->n = 0;
}

static struct pg_grant *
grantfor(struct pg_model *m, struct pg_table *t, const char *role, bool make)
{
	for (size_t i = 0; i < t->ngrants; i++)
		if (strcmp(t->grants[i]->role, role) == 0)
			return t->grants[i];
	if (!make)
		return NULL;
	struct pg_grant *g = arena_alloc(&m->arena, sizeof(*g));
	g->role = arena_strdup(&m->arena, role);
	size_t at = t->ngrants;
	APUSH(&m->arena, t->grants, t->ngrants, t->capgrants);
	/* kept sorted by role so that listings are stable */
	while (at > 0 && strcmp(t->grants[at - 1]->role, role) > 0) {
		t->grants[at] = t->grants[at - 1];
		at--;
	}
	t->grants[at] = g;
	t->ngrants++;
	return g;
}

/* a new table t gets what the default privileges of its schema give: the
 * grants PostgreSQL makes as it creates the table, at its origin */
static void
defgrants(struct pg_model *m, struct pg_table *t)
{
	for (size_t i = 0; i < m->ndefacls; i++) {
		const struct pg_defacl *a = m->defacls[i];
		if (a->schema && strcmp(a->schema, t->schema) != 0)
			continue;
		struct pg_grant *g = grantfor(m, t, a->role, true);
		g->privs |= a->privs;
		g->at = t->at;
	}
}

/* ---- the reader ---- */

/* one file (or builder text) being read; the cursor (i, end) walks the
 * tokens of one statement, or of one part of it */
struct rd {
	struct pg_model *m;
	struct diags *d;      /* NULL: no notes */
	const char *path;     /* in the model's arena; NULL for builder text */
	int32_t file;
	bool owned;
	const char *s;
	size_t n;
	uint32_t *lines;      /* byte offset of each line start */
	size_t nlines;
	struct arena tmp;     /* token values */
	struct tok *t;
	uint32_t *match;      /* for each bracket token, its partner, or NONE */
	size_t i, end;
	size_t skipped;
};

#define NONE UINT32_MAX

/* pair the brackets of t[0, n) as PostgreSQL's grammar would: ( with ),
 * [ with ]; a closer that does not fit the innermost opener pairs with
 * nothing. Owned by the caller. */
static uint32_t *
pairup(const char *s, const struct tok *t, size_t n)
{
	uint32_t *match = xreallocarray(NULL, n ? n : 1, sizeof(*match));
	uint32_t *stack = xreallocarray(NULL, n ? n : 1, sizeof(*stack));
	size_t depth = 0;
	for (size_t i = 0; i < n; i++) {
		match[i] = NONE;
		if (traw(s, &t[i], "(") || traw(s, &t[i], "[")) {
			stack[depth++] = (uint32_t)i;
		} else if (traw(s, &t[i], ")") || traw(s, &t[i], "]")) {
			char want = s[t[i].off] == ')' ? '(' : '[';
			if (depth && s[t[stack[depth - 1]].off] == want) {
				match[i] = stack[--depth];
				match[match[i]] = (uint32_t)i;
			} else {
				depth = 0; /* mismatched: nothing outside pairs any more */
			}
		}
	}
	free(stack);
	return match;
}

static struct pg_origin
here(struct rd *r, size_t ti)
{
	struct pg_origin o = {.loc = NOLOC, .owned = r->owned};
	if (!r->path)
		return o;
	uint32_t off = r->t[ti].off;
	size_t lo = 0, hi = r->nlines;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	o.file = r->path;
	o.line = (unsigned)lo + 1;
	o.col = 1;
	for (uint32_t k = r->lines[lo]; k < off; k++)
		o.col += ((unsigned char)r->s[k] & 0xC0) != 0x80;
	o.loc = (struct loc){r->file, off, r->t[ti].len};
	return o;
}

/* up to 60 bytes of the source of tokens [from, to), on one line */
static char *
excerpt(struct rd *r, size_t from, size_t to)
{
	struct buf b = {0};
	const char *p = r->s + r->t[from].off, *e = r->s + r->t[to - 1].off + r->t[to - 1].len;
	bool cut = false;
	for (; p < e && !cut; p++) {
		bool ws = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '\f';
		if (ws && b.len && b.data[b.len - 1] == ' ')
			continue;
		/* stop at 60 bytes, never inside a UTF-8 sequence */
		if (b.len >= 60 && ((unsigned char)*p & 0xC0) != 0x80)
			cut = true;
		else
			buf_putc(&b, ws ? ' ' : *p);
	}
	if (cut)
		buf_puts(&b, " \xe2\x80\xa6"); /* … */
	return buf_take(&b);
}

static void vnote(struct rd *r, struct loc loc, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void note(struct rd *r, size_t ti, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void noteat(struct rd *r, struct loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
vnote(struct rd *r, struct loc loc, const char *fmt, va_list ap)
{
	if (!r->d)
		return;
	struct buf b = {0};
	buf_vprintf(&b, fmt, ap);
	diag_add(r->d, SEV_NOTE, loc, "%s", b.data);
	buf_free(&b);
}

/* a note at token ti */
static void
note(struct rd *r, size_t ti, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(r, (struct loc){r->file, r->t[ti].off, r->t[ti].len}, fmt, ap);
	va_end(ap);
}

static void
noteat(struct rd *r, struct loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(r, loc, fmt, ap);
	va_end(ap);
}

/* note that tokens [from, to) were not understood and were skipped */
static void
skipped(struct rd *r, size_t from, size_t to, const char *what)
{
	char *x = excerpt(r, from, to);
	note(r, from, "%s not understood, skipped: %s", what, x);
	free(x);
	r->skipped++;
}

/* note a part of a statement the model does not keep */
static void
ignored(struct rd *r, size_t from, size_t to)
{
	char *x = excerpt(r, from, to);
	note(r, from, "not modeled, ignored: %s", x);
	free(x);
}

static bool
iskw(const struct rd *r, size_t i, const char *w)
{
	return tword(r->t, i, r->end, w);
}

static bool
kw(struct rd *r, const char *w)
{
	if (!iskw(r, r->i, w))
		return false;
	r->i++;
	return true;
}

/* accept a sequence of space-separated words, all or none */
static bool
kws(struct rd *r, const char *words)
{
	size_t i = r->i;
	const char *p = words;
	while (*p) {
		size_t n = strcspn(p, " ");
		if (!(i < r->end && r->t[i].kind == TK_IDENT && strlen(r->t[i].v) == n &&
		      memcmp(r->t[i].v, p, n) == 0))
			return false;
		i++, p += n;
		p += *p == ' ';
	}
	r->i = i;
	return true;
}

static bool
ispunct_(const struct rd *r, size_t i, const char *p)
{
	return i < r->end && traw(r->s, &r->t[i], p);
}

static bool
punct(struct rd *r, const char *p)
{
	if (!ispunct_(r, r->i, p))
		return false;
	r->i++;
	return true;
}

static const char *
name(struct rd *r)
{
	if (!isname(r->t, r->i, r->end))
		return NULL;
	return r->t[r->i++].v;
}

/* [schema .] name; *schema NULL when not given */
static bool
qname(struct rd *r, const char **schema, const char **nm)
{
	*schema = NULL;
	if (!(*nm = name(r)))
		return false;
	if (ispunct_(r, r->i, ".") && isname(r->t, r->i + 1, r->end)) {
		*schema = *nm;
		r->i++;
		*nm = name(r);
	}
	return true;
}

/* the index of the bracket closing the one at i, or end when there is
 * none before end */
static size_t
closer(const struct rd *r, size_t i)
{
	if (i < r->end && r->match[i] != NONE && r->match[i] > i && r->match[i] < r->end)
		return r->match[i];
	return r->end;
}

/* move past the bracketed group at the cursor (or to the end) */
static void
skipgroup(struct rd *r)
{
	size_t c = closer(r, r->i);
	r->i = c < r->end ? c + 1 : r->end;
}

/* the first , at depth 0 from i, or end */
static size_t
comma(const struct rd *r, size_t i)
{
	for (; i < r->end; i++) {
		if (traw(r->s, &r->t[i], "(") || traw(r->s, &r->t[i], "["))
			i = closer(r, i);
		else if (traw(r->s, &r->t[i], ","))
			return i;
	}
	return r->end;
}

static char *
ctext(struct rd *r, size_t from, size_t to)
{
	struct buf b = {0};
	canon(&b, r->s, r->t, from, to);
	char *p = arena_strndup(&r->m->arena, b.data ? b.data : "", b.len);
	buf_free(&b);
	return p;
}

static char *
astr(struct rd *r, const char *s)
{
	return arena_strdup(&r->m->arena, s);
}

/* narrow [*a, *b) while parentheses enclose all of it: pg_dump writes
 * check ((x > 0)) for check (x > 0) */
static void
unwrap(const struct rd *r, size_t *a, size_t *b)
{
	while (*b - *a > 2 && ispunct_(r, *a, "(") && r->match[*a] == *b - 1)
		++*a, --*b;
}

/* ( expr ): the canonical text inside, the cursor past ); NULL if none */
static char *
parenexpr(struct rd *r)
{
	if (!ispunct_(r, r->i, "("))
		return NULL;
	size_t a = r->i + 1, c = closer(r, r->i), b = c;
	if (c >= r->end || c == r->i + 1)
		return NULL;
	unwrap(r, &a, &b);
	char *x = ctext(r, a, b);
	r->i = c + 1;
	return x;
}

/* ( name, ... ) */
static bool
namelist(struct rd *r, struct pg_names *out)
{
	const char *v[256];
	size_t n = 0;
	if (!punct(r, "("))
		return false;
	do {
		if (n == LEN(v) || !(v[n++] = name(r)))
			return false;
	} while (punct(r, ","));
	if (!punct(r, ")"))
		return false;
	*out = names(r->m, v, n);
	return true;
}

static char *
rtype(struct rd *r)
{
	struct buf b = {0};
	char *p = NULL;
	if (typeat(r->s, r->t, &r->i, r->end, &b))
		p = arena_strndup(&r->m->arena, b.data, b.len);
	buf_free(&b);
	return p;
}

static struct pg_table *
findtable(struct rd *r, const char *schema, const char *nm)
{
	return pg_table_find(r->m, schema, nm);
}

/* a qualified table name that must exist: NULL, after a note unless
 * quiet, when it does not */
static struct pg_table *
needtable(struct rd *r, bool quiet)
{
	const char *sc, *nm;
	size_t at = r->i;
	if (!qname(r, &sc, &nm))
		return NULL;
	struct pg_table *t = findtable(r, sc, nm);
	if (!t && !quiet) {
		note(r, at, "table %s%s%s is not defined by the migrations before; statement skipped",
		     sc ? sc : "", sc ? "." : "", nm);
		r->skipped++;
	}
	return t;
}

/* constraint attributes: the defaults pass silently, the rest with a note */
static bool
conattr(struct rd *r)
{
	size_t st = r->i;
	if (kws(r, "not deferrable") || kws(r, "initially immediate") || kws(r, "not valid") ||
	    kws(r, "match simple"))
		return true;
	if (kw(r, "deferrable") || kws(r, "initially deferred") || kws(r, "no inherit") ||
	    kws(r, "match full") || kws(r, "match partial") || kws(r, "nulls distinct") ||
	    kws(r, "nulls not distinct")) {
		ignored(r, st, r->i);
		return true;
	}
	if ((kw(r, "include") || kw(r, "with")) && ispunct_(r, r->i, "(")) {
		skipgroup(r);
		ignored(r, st, r->i);
		return true;
	}
	if (kws(r, "using index tablespace") && name(r)) {
		ignored(r, st, r->i);
		return true;
	}
	r->i = st;
	return false;
}

/* cascade, restrict, no action (NULL), set null [(cols)], set default [(cols)] */
static bool
fkaction(struct rd *r, char **out)
{
	size_t st = r->i;
	if (kws(r, "no action")) {
		*out = NULL;
		return true;
	}
	if (!(kw(r, "cascade") || kw(r, "restrict") || kws(r, "set null") || kws(r, "set default")))
		return false;
	if (ispunct_(r, r->i, "(") && r->i > st + 1)
		skipgroup(r);
	*out = ctext(r, st, r->i);
	return true;
}

/* references t [(cols)] [on delete a] [on update a] */
static bool
references(struct rd *r, struct pg_constraint *c)
{
	const char *sc, *nm;
	if (!qname(r, &sc, &nm))
		return false;
	c->ref_schema = astr(r, orpublic(sc));
	c->ref_table = astr(r, nm);
	if (ispunct_(r, r->i, "(") && !namelist(r, &c->ref_cols))
		return false;
	for (;;) {
		if (kws(r, "on delete")) {
			if (!fkaction(r, &c->on_delete))
				return false;
		} else if (kws(r, "on update")) {
			if (!fkaction(r, &c->on_update))
				return false;
		} else if (!conattr(r)) {
			return true;
		}
	}
}

static struct pg_constraint *
newcon(struct rd *r, enum pg_conkind kind, const char *cname, size_t at)
{
	struct pg_constraint *c = arena_alloc(&r->m->arena, sizeof(*c));
	c->kind = kind;
	c->name = cname ? astr(r, cname) : NULL;
	c->named = cname != NULL;
	c->at = here(r, at);
	return c;
}

/* constraints read before they can be added (the table's columns must
 * all be known to name them) */
struct pending {
	struct pg_constraint **v;
	size_t n, cap;
};

static bool
stopword(const char *w)
{
	static const char *const stops[] = {"check", "collate", "constraint", "default",
					    "deferrable", "generated", "initially", "not",
					    "null", "primary", "references", "unique"};
	return inlist(w, stops, LEN(stops));
}

/* a column of t: name type [constraints]; its constraints go to pend */
static struct pg_column *
coldef(struct rd *r, const struct pg_table *t, struct pending *pend)
{
	size_t st = r->i;
	const char *nm = name(r), *cname = NULL;
	char *type;
	if (!nm || !(type = rtype(r)))
		return NULL;
	struct pg_column *col = arena_alloc(&r->m->arena, sizeof(*col));
	struct pg_names self = names(r->m, &nm, 1);
	col->name = self.v[0];
	col->type = type;
	col->at = here(r, st);
	unserial(r->m, t, col);
	size_t cstart = 0; /* where a named constraint starts */
	bool null = false, notnull = false; /* as written */
	while (r->i < r->end) {
		size_t k = r->i;
		struct pg_constraint *c = NULL;
		if (kw(r, "constraint")) {
			if (!(cname = name(r)))
				return NULL;
			cstart = k;
			continue;
		}
		if (cname)
			k = cstart;
		if (kws(r, "not null")) {
			col->not_null = notnull = true;
		} else if (kw(r, "null")) {
			null = true;
		} else if (kw(r, "default")) {
			size_t a = r->i;
			int depth = 0;
			while (r->i < r->end) {
				const struct tok *x = &r->t[r->i];
				if (r->i > a && depth == 0 &&
				    ((x->kind == TK_IDENT && stopword(x->v)) || traw(r->s, x, ",")))
					break;
				if (traw(r->s, x, "(") || traw(r->s, x, "["))
					depth++;
				else if ((traw(r->s, x, ")") || traw(r->s, x, "]")) && depth-- == 0)
					return NULL; /* a closer that is not the default's */
				r->i++;
			}
			if (r->i == a || depth)
				return NULL;
			col->def = ctext(r, a, r->i);
		} else if (kws(r, "primary key")) {
			c = newcon(r, PG_CON_PRIMARY, cname, k);
		} else if (kw(r, "unique")) {
			c = newcon(r, PG_CON_UNIQUE, cname, k);
		} else if (kw(r, "references")) {
			c = newcon(r, PG_CON_FOREIGN, cname, k);
			if (!references(r, c) || c->ref_cols.n > 1)
				return NULL;
		} else if (kw(r, "check")) {
			c = newcon(r, PG_CON_CHECK, cname, k);
			if (!(c->check = parenexpr(r)))
				return NULL;
		} else if (kw(r, "generated")) {
			bool always = kw(r, "always");
			if (!always && !kws(r, "by default"))
				return NULL;
			if (!kw(r, "as"))
				return NULL;
			if (kw(r, "identity")) {
				col->identity = always ? PG_IDENTITY_ALWAYS : PG_IDENTITY_BY_DEFAULT;
				col->not_null = true;
				if (ispunct_(r, r->i, "(") && !(col->identity_opts = parenexpr(r)))
					return NULL;
			} else if (!always || !(col->generated = parenexpr(r)) || !kw(r, "stored")) {
				return NULL;
			}
		} else if (kw(r, "collate")) {
			const char *sc, *cn;
			if (!qname(r, &sc, &cn))
				return NULL;
			ignored(r, k, r->i);
		} else if (!conattr(r)) {
			return NULL;
		}
		if (c) {
			if (c->kind != PG_CON_CHECK)
				c->cols = self;
			APUSH(&r->m->arena, pend->v, pend->n, pend->cap);
			pend->v[pend->n++] = c;
			cname = NULL;
		}
	}
	/* PostgreSQL allows one of default, identity and generation, and
	 * refuses null with not null, identity or primary key */
	if ((col->def != NULL) + (col->identity != PG_IDENTITY_NONE) + (col->generated != NULL) > 1)
		return NULL;
	for (size_t k = 0; null && k < pend->n; k++)
		null = pend->v[k]->kind != PG_CON_PRIMARY;
	if (null && (notnull || col->identity))
		return NULL;
	return col;
}

static bool
isconstart(const struct rd *r, size_t i)
{
	static const char *const starts[] = {"check", "constraint", "exclude", "foreign",
					     "primary", "unique"};
	return i < r->end && r->t[i].kind == TK_IDENT && inlist(r->t[i].v, starts, LEN(starts));
}

/* a table constraint: [constraint n] primary key (..) | unique (..) |
 * foreign key (..) references ... | check (..) */
static struct pg_constraint *
tablecon(struct rd *r)
{
	size_t st = r->i;
	const char *cname = NULL;
	struct pg_constraint *c;
	if (kw(r, "constraint") && !(cname = name(r)))
		return NULL;
	if (kws(r, "primary key")) {
		c = newcon(r, PG_CON_PRIMARY, cname, st);
		if (!namelist(r, &c->cols))
			return NULL;
	} else if (kw(r, "unique")) {
		c = newcon(r, PG_CON_UNIQUE, cname, st);
		if (kws(r, "nulls distinct") || kws(r, "nulls not distinct"))
			ignored(r, st, r->i);
		if (!namelist(r, &c->cols))
			return NULL;
	} else if (kws(r, "foreign key")) {
		c = newcon(r, PG_CON_FOREIGN, cname, st);
		if (!namelist(r, &c->cols) || !kw(r, "references") || !references(r, c))
			return NULL;
		if (c->ref_cols.n && c->ref_cols.n != c->cols.n)
			return NULL;
	} else if (kw(r, "check")) {
		c = newcon(r, PG_CON_CHECK, cname, st);
		if (!(c->check = parenexpr(r)))
			return NULL;
	} else {
		return NULL;
	}
	while (conattr(r))
		;
	return r->i == r->end ? c : NULL;
}

/* run f on each comma-separated part of [r->i, r->end); a part f rejects
 * (or does not read to its end) is skipped with a note naming what */
static void
eachpart(struct rd *r, const char *what, bool (*f)(struct rd *, void *), void *arg)
{
	size_t end = r->end;
	while (r->i < end) {
		size_t st = r->i, stop = comma(r, st);
		r->end = stop;
		if (!f(r, arg) || r->i != stop)
			skipped(r, st, stop, what);
		r->end = end;
		r->i = stop + (stop < end);
	}
}

struct newtab {
	struct pg_table *t;
	struct pending pend;
};

static bool
tablepart(struct rd *r, void *arg)
{
	struct newtab *nt = arg;
	if (isconstart(r, r->i)) {
		struct pg_constraint *c = tablecon(r);
		if (!c)
			return false;
		APUSH(&r->m->arena, nt->pend.v, nt->pend.n, nt->pend.cap);
		nt->pend.v[nt->pend.n++] = c;
		return true;
	}
	struct pending mine = {0};
	struct pg_column *col = coldef(r, nt->t, &mine);
	if (!col || r->i != r->end)
		return false;
	if (pg_column_find(nt->t, col->name)) {
		note(r, r->i - 1, "column %s defined twice; the second is skipped", col->name);
		return true;
	}
	APUSH(&r->m->arena, nt->t->cols, nt->t->ncols, nt->t->capcols);
	nt->t->cols[nt->t->ncols++] = col;
	for (size_t k = 0; k < mine.n; k++) {
		APUSH(&r->m->arena, nt->pend.v, nt->pend.n, nt->pend.cap);
		nt->pend.v[nt->pend.n++] = mine.v[k];
	}
	return true;
}

/* the constraint is sound for t: its columns exist, no second primary key */
static bool
conok(const struct pg_table *t, const struct pg_constraint *c)
{
	for (size_t i = 0; i < c->cols.n; i++)
		if (!pg_column_find(t, c->cols.v[i]))
			return false;
	return c->kind != PG_CON_PRIMARY || !pg_primary_key(t);
}

static void
addpending(struct rd *r, struct pg_table *t, struct pending *p)
{
	for (size_t k = 0; k < p->n; k++) {
		if (conok(t, p->v[k]))
			addcon(r->m, t, p->v[k]);
		else
			noteat(r, p->v[k]->at.loc,
			       "constraint on unknown columns or a second primary key; skipped");
	}
}

/* create [unlogged] table [if not exists] t ( ... ) */
static bool
st_create_table(struct rd *r, size_t st)
{
	bool ine = kws(r, "if not exists");
	const char *sc, *nm;
	if (!qname(r, &sc, &nm) || !ispunct_(r, r->i, "("))
		return false;
	size_t close = closer(r, r->i);
	if (close >= r->end)
		return false;
	if (findtable(r, sc, nm)) {
		if (!ine)
			note(r, st, "table %s exists already; statement skipped", nm);
		return true;
	}
	struct newtab nt = {newtable(r->m, sc, nm, here(r, st)), {0}};
	size_t end = r->end;
	r->i++;
	r->end = close;
	eachpart(r, "table element", tablepart, &nt);
	r->end = end;
	r->i = close + 1;
	if (r->i < r->end) {
		ignored(r, r->i, r->end);
		r->i = r->end;
	}
	linktable(r->m, nt.t);
	addpending(r, nt.t, &nt.pend);
	defgrants(r->m, nt.t);
	return true;
}

struct alter {
	struct pg_table *t;
};

static void
renamecols(struct pg_names *ns, const char *from, const char *to)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], from) == 0)
			ns->v[i] = (char *)to;
}

/* alter [column] c ... */
static bool
altercol(struct rd *r, struct pg_table *t)
{
	size_t at = r->i;
	const char *cn = name(r);
	struct pg_column *c = cn ? pg_column_find(t, cn) : NULL;
	if (!c) {
		if (cn)
			note(r, at, "column %s.%s is not defined; action skipped", t->name, cn);
		r->i = r->end;
		return true;
	}
	if (kws(r, "set data type") || kw(r, "type")) {
		char *ty = rtype(r);
		if (!ty)
			return false;
		size_t k = r->i;
		if (kw(r, "collate") && name(r))
			ignored(r, k, r->i);
		if (kw(r, "using"))
			r->i = r->end;
		c->type = ty;
	} else if (kws(r, "set not null")) {
		c->not_null = true;
	} else if (kws(r, "drop not null")) {
		if (c->identity)
			return false; /* PostgreSQL refuses it */
		c->not_null = false;
	} else if (kws(r, "set default")) {
		if (r->i == r->end)
			return false;
		c->def = ctext(r, r->i, r->end);
		r->i = r->end;
	} else if (kws(r, "drop default")) {
		c->def = NULL;
	} else if (kw(r, "add") || kw(r, "set")) {
		bool add = iskw(r, r->i - 1, "add");
		if (!kw(r, "generated"))
			return false;
		bool always = kw(r, "always");
		if (!always && !kws(r, "by default"))
			return false;
		if (add && !kws(r, "as identity"))
			return false;
		if (add && ispunct_(r, r->i, "(") && !(c->identity_opts = parenexpr(r)))
			return false;
		c->identity = always ? PG_IDENTITY_ALWAYS : PG_IDENTITY_BY_DEFAULT;
		c->not_null = true;
	} else if (kws(r, "drop identity")) {
		kws(r, "if exists");
		c->identity = PG_IDENTITY_NONE;
		c->identity_opts = NULL;
	} else if (kws(r, "drop expression")) {
		kws(r, "if exists");
		c->generated = NULL;
	} else {
		return false;
	}
	return true;
}

static bool
alterpart(struct rd *r, void *arg)
{
	struct pg_table *t = ((struct alter *)arg)->t;
	struct pg_model *m = r->m;
	size_t st = r->i;
	if (kw(r, "add")) {
		if (!iskw(r, r->i, "column") && isconstart(r, r->i)) {
			struct pg_constraint *c = tablecon(r);
			if (!c)
				return false;
			if (!conok(t, c)) {
				note(r, st, "constraint on unknown columns or a second primary key; skipped");
				return true;
			}
			addcon(m, t, c);
			return true;
		}
		kw(r, "column");
		bool ine = kws(r, "if not exists");
		struct pending pend = {0};
		struct pg_column *c = coldef(r, t, &pend);
		if (!c || r->i != r->end)
			return false;
		if (pg_column_find(t, c->name)) {
			if (!ine)
				note(r, st, "column %s.%s exists already; action skipped", t->name, c->name);
			return true;
		}
		APUSH(&m->arena, t->cols, t->ncols, t->capcols);
		t->cols[t->ncols++] = c;
		addpending(r, t, &pend);
		return true;
	}
	if (kw(r, "drop")) {
		bool con = kw(r, "constraint");
		if (!con)
			kw(r, "column");
		bool ie = kws(r, "if exists");
		size_t at = r->i;
		const char *nm = name(r);
		if (!nm)
			return false;
		if (!kw(r, "cascade"))
			kw(r, "restrict");
		for (size_t k = 0; con && k < t->ncons; k++)
			if (strcmp(t->cons[k]->name, nm) == 0) {
				VREMOVE(t->cons, t->ncons, k);
				return true;
			}
		for (size_t k = 0; !con && k < t->ncols; k++)
			if (strcmp(t->cols[k]->name, nm) == 0) {
				rmcolumn(m, t, k);
				return true;
			}
		if (!ie)
			note(r, at, "%s %s of %s is not defined; action skipped", con ? "constraint" : "column",
			     nm, t->name);
		return true;
	}
	if (kw(r, "alter")) {
		kw(r, "column");
		return altercol(r, t);
	}
	if (kw(r, "rename")) {
		bool con = kw(r, "constraint");
		if (!con && kw(r, "to")) {
			const char *nm = name(r);
			if (!nm)
				return false;
			char *to = astr(r, nm);
			for (size_t k = 0; k < m->nindexes; k++)
				if (strcmp(m->indexes[k]->table, t->name) == 0 &&
				    strcmp(m->indexes[k]->schema, t->schema) == 0)
					m->indexes[k]->table = to;
			for (size_t k = 0; k < m->ntables; k++)
				for (size_t j = 0; j < m->tables[k]->ncons; j++) {
					struct pg_constraint *c2 = m->tables[k]->cons[j];
					if (c2->kind == PG_CON_FOREIGN && strcmp(c2->ref_table, t->name) == 0 &&
					    strcmp(c2->ref_schema, t->schema) == 0)
						c2->ref_table = to;
				}
			t->name = to;
			return true;
		}
		if (!con)
			kw(r, "column");
		const char *from = name(r), *to;
		if (!from || !kw(r, "to") || !(to = name(r)))
			return false;
		to = astr(r, to);
		if (con) {
			for (size_t k = 0; k < t->ncons; k++)
				if (strcmp(t->cons[k]->name, from) == 0)
					t->cons[k]->name = (char *)to, t->cons[k]->named = true;
			return true;
		}
		struct pg_column *c = pg_column_find(t, from);
		if (!c) {
			note(r, st, "column %s.%s is not defined; action skipped", t->name, from);
			return true;
		}
		c->name = (char *)to;
		for (size_t k = 0; k < t->ncons; k++)
			renamecols(&t->cons[k]->cols, from, to);
		for (size_t k = 0; k < m->ntables; k++)
			for (size_t j = 0; j < m->tables[k]->ncons; j++) {
				struct pg_constraint *c2 = m->tables[k]->cons[j];
				if (c2->kind == PG_CON_FOREIGN && strcmp(c2->ref_table, t->name) == 0 &&
				    strcmp(c2->ref_schema, t->schema) == 0)
					renamecols(&c2->ref_cols, from, to);
			}
		for (size_t k = 0; k < m->nindexes; k++)
			for (size_t j = 0; j < m->indexes[k]->nkeys; j++)
				if (strcmp(m->indexes[k]->table, t->name) == 0 &&
				    strcmp(m->indexes[k]->keys[j].expr, from) == 0)
					m->indexes[k]->keys[j].expr = (char *)to;
		return true;
	}
	if (kws(r, "set schema")) {
		const char *nm = name(r);
		if (!nm)
			return false;
		for (size_t k = 0; k < m->nindexes; k++)
			if (strcmp(m->indexes[k]->table, t->name) == 0 &&
			    strcmp(m->indexes[k]->schema, t->schema) == 0)
				m->indexes[k]->schema = astr(r, nm);
		t->schema = astr(r, nm);
		addschema(m, nm);
		return true;
	}
	if (kws(r, "enable row level security") || kws(r, "disable row level security")) {
		t->rls = iskw(r, st, "enable");
		t->rls_at = here(r, st);
		return true;
	}
	if (kws(r, "force row level security") || kws(r, "no force row level security") ||
	    kws(r, "replica identity")) {
		r->i = r->end;
		ignored(r, st, r->end);
		return true;
	}
	if (kws(r, "owner to")) {
		r->i = r->end;
		return true;
	}
	return false;
}

/* alter table [if exists] [only] t action, ... */
static bool
st_alter_table(struct rd *r, size_t st)
{
	(void)st;
	bool ie = kws(r, "if exists");
	kw(r, "only");
	struct alter a = {needtable(r, ie)};
	if (!a.t)
		return true;
	punct(r, "*");
	if (r->i == r->end)
		return false;
	eachpart(r, "alter table action", alterpart, &a);
	return true;
}

bool
pg_is_vector_opclass(const char *cls)
{
	if (strchr(cls, '.') || strchr(cls, '"'))
		return false;
	return strncmp(cls, "vector_", 7) == 0 || strncmp(cls, "halfvec_", 8) == 0 ||
	       strncmp(cls, "sparsevec_", 10) == 0 || strcmp(cls, "bit_hamming_ops") == 0 ||
	       strcmp(cls, "bit_jaccard_ops") == 0;
}

/* one index key: expr [collate c] [opclass] [asc|desc] [nulls first|last] */
static bool
idxkey(struct rd *r, struct pg_idxkey *k)
{
	size_t a = r->i, e = r->end;
	bool nulls = false, first = false, desc = false;
	if (e - a >= 3 && iskw(r, e - 2, "nulls") && (iskw(r, e - 1, "first") || iskw(r, e - 1, "last"))) {
		nulls = true;
		first = iskw(r, e - 1, "first");
		e -= 2;
	}
	if (e - a >= 2 && (iskw(r, e - 1, "asc") || iskw(r, e - 1, "desc"))) {
		desc = iskw(r, e - 1, "desc");
		e--;
	}
	k->order = desc ? astr(r, nulls && !first ? "desc nulls last" : "desc")
		      : nulls && first ? astr(r, "nulls first") : NULL;
	/* a name after an expression (a name or a closing parenthesis) is the
	 * operator class, perhaps schema-qualified */
	size_t oc = e;
	if (e - a >= 2 && isname(r->t, e - 1, e)) {
		size_t s0 = e - 1;
		if (s0 >= a + 3 && ispunct_(r, s0 - 1, ".") && isname(r->t, s0 - 2, e))
			s0 -= 2;
		const struct tok *p = &r->t[s0 - 1];
		if (s0 > a && !iskw(r, s0 - 1, "collate") &&
		    (p->kind == TK_IDENT || p->kind == TK_QIDENT || traw(r->s, p, ")")))
			oc = s0;
	}
	if (oc == a)
		return false;
	k->expr = ctext(r, a, oc);
	k->opclass = NULL;
	if (oc < e) {
		const char *sc = oc + 1 < e ? r->t[oc].v : NULL;
		bool plain = !sc || strcmp(sc, "public") == 0 || strcmp(sc, "pg_catalog") == 0 ||
			     pg_is_vector_opclass(r->t[e - 1].v);
		k->opclass = plain ? ctext(r, e - 1, e) : ctext(r, oc, e);
	}
	r->i = r->end;
	return true;
}

struct keys {
	struct pg_idxkey *v;
	size_t n, cap;
	struct pg_model *m;
};

static bool
keypart(struct rd *r, void *arg)
{
	struct keys *ks = arg;
	APUSH(&ks->m->arena, ks->v, ks->n, ks->cap);
	if (!idxkey(r, &ks->v[ks->n]))
		return false;
	ks->n++;
	return true;
}

static struct pg_index *
newindex(struct pg_model *m, const struct pg_table *t, const char *nm, struct pg_origin at)
{
	struct pg_index *ix = arena_alloc(&m->arena, sizeof(*ix));
	ix->schema = t->schema;
	ix->table = t->name;
	ix->name = nm ? arena_strdup(&m->arena, nm) : NULL;
	ix->method = arena_strdup(&m->arena, "btree");
	ix->at = at;
	return ix;
}

static void
linkindex(struct pg_model *m, struct pg_index *ix)
{
	if (!ix->name) {
		struct pg_names cols = {arena_array(&m->arena, ix->nkeys, sizeof(char *)), ix->nkeys};
		for (size_t k = 0; k < ix->nkeys; k++)
			cols.v[k] = is_ident(ix->keys[k].expr) ? ix->keys[k].expr : "expr";
		ix->name = choosename(m, ix->schema, ix->table, &cols, "idx", true);
	}
	APUSH(&m->arena, m->indexes, m->nindexes, m->capindexes);
	m->indexes[m->nindexes++] = ix;
}

/* create [unique] index [concurrently] [[if not exists] n] on [only] t ... */
static bool
st_create_index(struct rd *r, size_t st, bool unique)
{
	bool conc = kw(r, "concurrently");
	bool ine = kws(r, "if not exists");
	const char *nm = NULL;
	if (!iskw(r, r->i, "on") && !(nm = name(r)))
		return false;
	if (!kw(r, "on"))
		return false;
	kw(r, "only");
	struct pg_table *t = needtable(r, false);
	if (!t)
		return true;
	struct pg_index *ix = newindex(r->m, t, nm, here(r, st));
	ix->unique = unique;
	ix->concurrent = conc;
	if (kw(r, "using")) {
		const char *meth = name(r);
		if (!meth)
			return false;
		ix->method = astr(r, meth);
	}
	if (!ispunct_(r, r->i, "("))
		return false;
	size_t close = closer(r, r->i), end = r->end;
	if (close >= end)
		return false;
	struct keys ks = {.m = r->m};
	r->i++;
	r->end = close;
	size_t before = r->skipped;
	eachpart(r, "index key", keypart, &ks);
	r->end = end;
	r->i = close + 1;
	if (r->skipped != before || !ks.n)
		return true;
	ix->keys = ks.v;
	ix->nkeys = ks.n;
	while (r->i < r->end) {
		size_t k = r->i;
		if (kw(r, "include") || kws(r, "nulls distinct") || kws(r, "nulls not distinct") ||
		    kw(r, "tablespace")) {
			if (ispunct_(r, r->i, "("))
				skipgroup(r);
			else if (iskw(r, k, "tablespace"))
				name(r);
			ignored(r, k, r->i);
		} else if (kw(r, "with")) {
			if (!(ix->with = parenexpr(r)))
				return false;
		} else if (kw(r, "where")) {
			size_t a = r->i, b = r->end;
			if (a == b)
				return false;
			unwrap(r, &a, &b);
			ix->where = ctext(r, a, b);
			r->i = r->end;
		} else {
			return false;
		}
	}
	if (nm && pg_index_find(r->m, t->schema, nm)) {
		if (!ine)
			note(r, st, "index %s exists already; statement skipped", nm);
		return true;
	}
	linkindex(r->m, ix);
	return true;
}

static const char *const cmdnames[] = {
	[PG_CMD_ALL] = "all", [PG_CMD_SELECT] = "select", [PG_CMD_INSERT] = "insert",
	[PG_CMD_UPDATE] = "update", [PG_CMD_DELETE] = "delete",
};

/* role, ... (up to a keyword that ends the list) */
static bool
rolelist(struct rd *r, struct pg_names *out)
{
	const char *v[64];
	size_t n = 0;
	do {
		kw(r, "group");
		if (n == LEN(v) || !(v[n++] = name(r)))
			return false;
	} while (punct(r, ","));
	*out = names(r->m, v, n);
	normroles(out);
	return true;
}

/* create policy n on t [as permissive|restrictive] [for cmd] [to roles]
 * [using (e)] [with check (e)] */
static bool
st_create_policy(struct rd *r, size_t st)
{
	const char *nm = name(r);
	if (!nm || !kw(r, "on"))
		return false;
	struct pg_table *t = needtable(r, false);
	if (!t)
		return true;
	struct pg_policy *p = arena_alloc(&r->m->arena, sizeof(*p));
	p->name = astr(r, nm);
	p->at = here(r, st);
	if (kw(r, "as")) {
		if (kw(r, "restrictive"))
			p->restrictive = true;
		else if (!kw(r, "permissive"))
			return false;
	}
	if (kw(r, "for")) {
		size_t c;
		for (c = 0; c < LEN(cmdnames); c++)
			if (kw(r, cmdnames[c]))
				break;
		if (c == LEN(cmdnames))
			return false;
		p->cmd = (enum pg_cmd)c;
	}
	if (kw(r, "to") && !rolelist(r, &p->roles))
		return false;
	if (kw(r, "using") && !(p->using_expr = parenexpr(r)))
		return false;
	if (kws(r, "with check") && !(p->check_expr = parenexpr(r)))
		return false;
	if (r->i != r->end)
		return false;
	if (pg_policy_find(t, p->name)) {
		note(r, st, "policy %s on %s exists already; statement skipped", p->name, t->name);
		return true;
	}
	APUSH(&r->m->arena, t->pols, t->npols, t->cappols);
	t->pols[t->npols++] = p;
	return true;
}

/* create extension [if not exists] n [with] [schema s] [version v] [cascade] */
static bool
st_create_extension(struct rd *r, size_t st)
{
	bool ine = kws(r, "if not exists");
	const char *nm = name(r), *sc = NULL;
	if (!nm)
		return false;
	kw(r, "with");
	while (r->i < r->end) {
		if (kw(r, "schema")) {
			if (!(sc = name(r)))
				return false;
		} else if (kw(r, "version")) {
			if (!name(r) && !(r->i < r->end && r->t[r->i].kind == TK_STRING && ++r->i))
				return false;
		} else if (!kw(r, "cascade")) {
			return false;
		}
	}
	if (pg_extension_find(r->m, nm)) {
		if (!ine)
			note(r, st, "extension %s exists already; statement skipped", nm);
		return true;
	}
	struct pg_extension *e = arena_alloc(&r->m->arena, sizeof(*e));
	e->name = astr(r, nm);
	e->schema = sc ? astr(r, sc) : NULL;
	e->at = here(r, st);
	addschema(r->m, sc);
	APUSH(&r->m->arena, r->m->exts, r->m->nexts, r->m->capexts);
	r->m->exts[r->m->nexts++] = e;
	return true;
}

/* function arguments ( [mode] [name] type [default e], ... ): the input
 * types, canonical */
static bool
funcargs(struct rd *r, struct buf *types)
{
	if (!punct(r, "("))
		return false;
	if (punct(r, ")"))
		return true;
	size_t close = closer(r, r->i - 1), end = r->end;
	if (close >= end)
		return false;
	r->end = close;
	bool ok = true, any = false;
	while (ok && r->i < close) {
		size_t stop = comma(r, r->i);
		r->end = stop;
		bool out = kw(r, "out");
		if (!out && !kw(r, "inout") && !kw(r, "variadic"))
			kw(r, "in");
		/* a name first, unless the type reaches the end or a default */
		size_t j = r->i;
		struct buf ty = {0};
		if (!typeat(r->s, r->t, &j, stop, &ty) ||
		    !(j == stop || iskw(r, j, "default") || ispunct_(r, j, "="))) {
			buf_free(&ty);
			j = r->i + 1;
			ok = isname(r->t, r->i, stop) && typeat(r->s, r->t, &j, stop, &ty);
		}
		if (ok && !out) {
			if (any)
				buf_puts(types, ", ");
			buf_put(types, ty.data, ty.len);
			any = true;
		}
		buf_free(&ty);
		r->end = close;
		r->i = stop + (stop < close);
	}
	r->end = end;
	r->i = close + 1;
	return ok;
}

/* create [or replace] function f(args) ... */
static bool
st_create_function(struct rd *r, size_t st, bool replace)
{
	const char *sc, *nm;
	if (!qname(r, &sc, &nm))
		return false;
	size_t open = r->i;
	struct buf types = {0};
	if (!funcargs(r, &types)) {
		buf_free(&types);
		return false;
	}
	struct pg_model *m = r->m;
	struct pg_function *f = arena_alloc(&m->arena, sizeof(*f));
	f->schema = astr(r, orpublic(sc));
	f->name = astr(r, nm);
	f->args = arena_strdup(&m->arena, types.data ? types.data : "");
	buf_free(&types);
	struct buf def = {0};
	buf_puts(&def, "function ");
	pg_put_qname(&def, f->schema, f->name);
	canon(&def, r->s, r->t, open, r->end);
	f->def = arena_strdup(&m->arena, def.data);
	buf_free(&def);
	f->at = here(r, st);
	r->i = r->end;
	for (size_t k = 0; k < m->nfuncs; k++) {
		struct pg_function *g = m->funcs[k];
		if (strcmp(g->schema, f->schema) == 0 && strcmp(g->name, f->name) == 0 &&
		    strcmp(g->args, f->args) == 0) {
			if (!replace)
				note(r, st, "function %s(%s) exists already; statement skipped", nm, f->args);
			else
				m->funcs[k] = f;
			return true;
		}
	}
	addschema(m, f->schema);
	APUSH(&m->arena, m->funcs, m->nfuncs, m->capfuncs);
	m->funcs[m->nfuncs++] = f;
	return true;
}

static bool
st_create(struct rd *r, size_t st)
{
	bool replace = kws(r, "or replace");
	if (kw(r, "function"))
		return st_create_function(r, st, replace);
	if (replace)
		return false;
	if (kw(r, "table") || kws(r, "unlogged table"))
		return st_create_table(r, st);
	if (kw(r, "index"))
		return st_create_index(r, st, false);
	if (kws(r, "unique index"))
		return st_create_index(r, st, true);
	if (kw(r, "policy"))
		return st_create_policy(r, st);
	if (kw(r, "extension"))
		return st_create_extension(r, st);
	if (kw(r, "schema")) {
		kws(r, "if not exists");
		const char *nm = name(r);
		if (!nm || iskw(r, r->i - 1, "authorization"))
			return false;
		if (kw(r, "authorization") && !name(r))
			return false;
		if (r->i != r->end)
			return false;
		addschema(r->m, nm);
		return true;
	}
	return false;
}

static const char *const privnames[] = {"select", "insert", "update", "delete",
					"truncate", "references", "trigger"};

/* all [privileges] | privilege, ... (not per column) into *privs */
static bool
privlist(struct rd *r, unsigned *privs)
{
	*privs = 0;
	if (kw(r, "all")) {
		kw(r, "privileges");
		*privs = PG_PRIV_ALL;
		return true;
	}
	do {
		size_t k;
		for (k = 0; k < LEN(privnames); k++)
			if (kw(r, privnames[k]))
				break;
		if (k == LEN(privnames) || ispunct_(r, r->i, "("))
			return false;
		*privs |= 1u << k;
	} while (punct(r, ","));
	return true;
}

/* alter default privileges [for role|user r, ...] [in schema s, ...]
 * grant|revoke privs on tables to|from roles. Default privileges belong to
 * the role that creates the tables: migrations run as postgres, so those of
 * another role are skipped with a note */
static bool
st_defacl(struct rd *r, size_t st)
{
	if (kw(r, "for")) {
		struct pg_names who;
		size_t at = r->i;
		if ((!kw(r, "role") && !kw(r, "user")) || !rolelist(r, &who))
			return false;
		for (size_t k = 0; k < who.n; k++)
			if (strcmp(who.v[k], "postgres") != 0) {
				note(r, at, "default privileges for role %s, not postgres (who runs "
					    "migrations); statement skipped", who.v[k]);
				r->skipped++;
				r->i = r->end;
				return true;
			}
	}
	const char *schemas[32];
	size_t ns = 0;
	if (kws(r, "in schema"))
		do {
			if (ns == LEN(schemas) || !(schemas[ns++] = name(r)))
				return false;
		} while (punct(r, ","));
	bool grant = kw(r, "grant");
	unsigned privs;
	if (!grant && !kw(r, "revoke"))
		return false;
	if (!grant)
		kws(r, "grant option for");
	if (!privlist(r, &privs) || !kw(r, "on") || !kw(r, "tables") || !kw(r, grant ? "to" : "from"))
		return false;
	struct pg_names roles;
	if (!rolelist(r, &roles))
		return false;
	if (roles.n == 0)
		roles = names(r->m, (const char *[]){"public"}, 1);
	if (grant)
		kws(r, "with grant option");
	else if (!kw(r, "cascade"))
		kw(r, "restrict");
	if (r->i != r->end)
		return false;
	struct pg_model *m = r->m;
	for (size_t i = 0; i < (ns ? ns : 1); i++)
		for (size_t k = 0; k < roles.n; k++) {
			const char *sc = ns ? schemas[i] : NULL;
			struct pg_defacl *a = NULL;
			size_t at = 0;
			for (; at < m->ndefacls && !a; at++)
				if (strcmp(m->defacls[at]->role, roles.v[k]) == 0 &&
				    (sc ? m->defacls[at]->schema && strcmp(m->defacls[at]->schema, sc) == 0
					: !m->defacls[at]->schema))
					a = m->defacls[at];
			if (!a && !grant)
				continue;
			if (!a) {
				a = arena_alloc(&m->arena, sizeof(*a));
				a->schema = sc ? arena_strdup(&m->arena, sc) : NULL;
				a->role = arena_strdup(&m->arena, roles.v[k]);
				APUSH(&m->arena, m->defacls, m->ndefacls, m->capdefacls);
				m->defacls[m->ndefacls++] = a;
				at = m->ndefacls;
			}
			a->privs = grant ? a->privs | privs : a->privs & ~privs;
			a->at = here(r, st);
			if (!a->privs)
				VREMOVE(m->defacls, m->ndefacls, at - 1);
		}
	return true;
}

static bool
st_alter(struct rd *r, size_t st)
{
	if (kw(r, "table"))
		return st_alter_table(r, st);
	if (kws(r, "default privileges"))
		return st_defacl(r, st);
	/* alter <anything> ... owner to r: ownership is not modeled */
	if (r->end - st >= 4 && iskw(r, r->end - 3, "owner") && iskw(r, r->end - 2, "to")) {
		r->i = r->end;
		return true;
	}
	const char *pub;
	if (!kw(r, "publication") || !(pub = name(r)) || strcmp(pub, "supabase_realtime") != 0)
		return false;
	bool add = kw(r, "add");
	if (!add && !kw(r, "drop"))
		return false;
	if (!kw(r, "table"))
		return false;
	do {
		kw(r, "only");
		struct pg_table *t = needtable(r, false);
		punct(r, "*");
		if (ispunct_(r, r->i, "(") || iskw(r, r->i, "where"))
			return false;
		if (t) {
			t->realtime = add;
			t->realtime_at = here(r, st);
		}
	} while (punct(r, ","));
	return r->i == r->end;
}

enum { D_TABLE, D_INDEX, D_EXTENSION, D_FUNCTION };
static const char *const dropkinds[] = {"table", "index", "extension", "function"};

/* drop one object of a kind; args NULL: a function of any arguments.
 * False if the model has none by that name. */
static bool
dropone(struct pg_model *m, int kind, const char *sc, const char *nm, const char *args)
{
	bool found = false;
	sc = orpublic(sc);
	if (kind == D_TABLE) {
		struct pg_table *t = pg_table_find(m, sc, nm);
		for (size_t k = 0; t && k < m->ntables && !found; k++)
			if (m->tables[k] == t)
				VREMOVE(m->tables, m->ntables, k), found = true;
		if (t)
			rmtable_refs(m, t);
	} else if (kind == D_INDEX) {
		for (size_t k = 0; k < m->nindexes && !found; k++)
			if (strcmp(m->indexes[k]->name, nm) == 0 && strcmp(m->indexes[k]->schema, sc) == 0)
				VREMOVE(m->indexes, m->nindexes, k), found = true;
	} else if (kind == D_EXTENSION) {
		for (size_t k = 0; k < m->nexts && !found; k++)
			if (strcmp(m->exts[k]->name, nm) == 0)
				VREMOVE(m->exts, m->nexts, k), found = true;
	} else {
		for (size_t k = m->nfuncs; k-- > 0;)
			if (strcmp(m->funcs[k]->name, nm) == 0 && strcmp(m->funcs[k]->schema, sc) == 0 &&
			    (!args || strcmp(m->funcs[k]->args, args) == 0))
				VREMOVE(m->funcs, m->nfuncs, k), found = true;
	}
	return found;
}

/* drop policy [if exists] n on t */
static bool
st_drop_policy(struct rd *r)
{
	bool ie = kws(r, "if exists");
	size_t at = r->i;
	const char *nm = name(r);
	if (!nm || !kw(r, "on"))
		return false;
	struct pg_table *t = needtable(r, ie);
	if (!t)
		return true;
	if (!kw(r, "cascade"))
		kw(r, "restrict");
	if (r->i != r->end)
		return false;
	for (size_t k = 0; k < t->npols; k++)
		if (strcmp(t->pols[k]->name, nm) == 0) {
			VREMOVE(t->pols, t->npols, k);
			return true;
		}
	if (!ie)
		note(r, at, "policy %s on %s is not defined; statement skipped", nm, t->name);
	return true;
}

/* drop table|index [concurrently]|extension|function [if exists] name, ... */
static bool
st_drop(struct rd *r, size_t st)
{
	(void)st;
	if (kw(r, "policy"))
		return st_drop_policy(r);
	int kind = 0;
	while (kind < (int)LEN(dropkinds) && !kw(r, dropkinds[kind]))
		kind++;
	if (kind == (int)LEN(dropkinds))
		return false;
	if (kind == D_INDEX)
		kw(r, "concurrently");
	bool ie = kws(r, "if exists");
	do {
		size_t at = r->i;
		const char *sc = NULL, *nm;
		if (kind == D_EXTENSION ? !(nm = name(r)) : !qname(r, &sc, &nm))
			return false;
		struct buf args = {0};
		bool withargs = kind == D_FUNCTION && ispunct_(r, r->i, "(");
		if (withargs && !funcargs(r, &args)) {
			buf_free(&args);
			return false;
		}
		bool found = dropone(r->m, kind, sc, nm, withargs ? (args.data ? args.data : "") : NULL);
		buf_free(&args);
		if (!found && !ie)
			note(r, at, "%s %s is not defined; not dropped", dropkinds[kind], nm);
	} while (punct(r, ","));
	if (!kw(r, "cascade"))
		kw(r, "restrict");
	return r->i == r->end;
}

/* privileges on [table] t, ... to|from roles */
static bool
st_privs(struct rd *r, bool grant)
{
	unsigned privs = 0;
	if (!grant)
		kws(r, "grant option for");
	if (!privlist(r, &privs))
		return false;
	if (!kw(r, "on"))
		return false;
	kw(r, "table");
	if (iskw(r, r->i, "all") || iskw(r, r->i, "schema") || iskw(r, r->i, "function") ||
	    iskw(r, r->i, "sequence") || iskw(r, r->i, "database"))
		return false;
	struct pg_table *ts[64];
	size_t nt = 0;
	do {
		if (nt == LEN(ts))
			return false;
		size_t at = r->i;
		ts[nt] = needtable(r, true);
		if (r->i == at)
			return false;
		if (!ts[nt]) {
			note(r, at, "table %s is not defined by the migrations before; %s skipped for it",
			     r->t[r->i - 1].v, grant ? "grant" : "revoke");
			r->skipped++;
		} else
			nt++;
	} while (punct(r, ","));
	if (!kw(r, grant ? "to" : "from"))
		return false;
	size_t st = r->i;
	struct pg_names roles;
	if (!rolelist(r, &roles))
		return false;
	if (roles.n == 0)
		roles = names(r->m, (const char *[]){"public"}, 1);
	if (grant)
		kws(r, "with grant option");
	else if (!kw(r, "cascade"))
		kw(r, "restrict");
	if (r->i != r->end)
		return false;
	for (size_t i = 0; i < nt; i++)
		for (size_t k = 0; k < roles.n; k++) {
			struct pg_grant *g = grantfor(r->m, ts[i], roles.v[k], grant);
			if (!g)
				continue;
			g->privs = grant ? g->privs | privs : g->privs & ~privs;
			g->at = here(r, st);
			if (!g->privs)
				for (size_t j = 0; j < ts[i]->ngrants; j++)
					if (ts[i]->grants[j] == g)
						VREMOVE(ts[i]->grants, ts[i]->ngrants, j);
		}
	return true;
}

static bool
st_grant(struct rd *r, size_t st)
{
	(void)st;
	return st_privs(r, true);
}

static bool
st_revoke(struct rd *r, size_t st)
{
	(void)st;
	return st_privs(r, false);
}

static bool
st_noop(struct rd *r, size_t st)
{
	/* set search_path changes where unqualified names go: not modeled */
	if (iskw(r, st, "set") && (iskw(r, st + 1, "search_path") ||
				   (iskw(r, st + 1, "local") && iskw(r, st + 2, "search_path"))))
		return false;
	r->i = r->end;
	return true;
}

/* split tokens [a, b) of a plpgsql body at ; outside parentheses; each
 * statement, stripped of begin / if ... then / else / exception when ...
 * then, must be empty, end [if], null, or the realtime alter publication.
 * With apply false, only checks. */
static bool
dobody(struct rd *r, size_t a, size_t b, bool apply)
{
	size_t end = r->end;
	bool ok = true;
	r->end = b;
	for (size_t i = a; ok && i < b;) {
		size_t stop = i;
		r->end = b;
		while (stop < b && !ispunct_(r, stop, ";")) {
			if (ispunct_(r, stop, "("))
				stop = closer(r, stop);
			stop++;
		}
		if (stop > b)
			stop = b;
		r->i = i;
		r->end = stop;
		for (;;) {
			if (kw(r, "begin") || kw(r, "else"))
				continue;
			if (kw(r, "if") || kws(r, "exception when")) {
				while (r->i < stop && !iskw(r, r->i, "then")) {
					if (ispunct_(r, r->i, "("))
						skipgroup(r);
					else
						r->i++;
				}
				if (!kw(r, "then")) {
					ok = false;
					break;
				}
				continue;
			}
			break;
		}
		if (ok && r->i < stop && !kws(r, "end if") && !kw(r, "end") && !kw(r, "null")) {
			size_t st = r->i;
			const char *pub = NULL;
			if (!kws(r, "alter publication") || !(pub = name(r)) ||
			    strcmp(pub, "supabase_realtime") != 0)
				ok = false;
			else if (apply) {
				r->i = st + 1;
				ok = st_alter(r, st);
			}
			r->i = stop;
		}
		ok = ok && r->i == stop;
		i = stop + 1;
	}
	r->end = end;
	return ok;
}

/* do [language l] $$ body $$ [language l] */
static bool
st_do(struct rd *r, size_t st)
{
	(void)st;
	if (kw(r, "language") && !name(r))
		return false;
	if (r->i >= r->end || r->t[r->i].kind != TK_STRING || r->s[r->t[r->i].off] != '$')
		return false;
	const struct tok *body = &r->t[r->i++];
	if (kw(r, "language") && !name(r))
		return false;
	if (r->i != r->end)
		return false;
	size_t tag = 1;
	while (r->s[body->off + tag] != '$')
		tag++;
	tag++;
	/* the body's own tokens, with offsets in the file */
	struct toks bt = {0};
	size_t bad;
	const char *what;
	bool ok = lex(r->s, body->off + tag, body->off + body->len - tag, &r->tmp, &bt, &bad, &what);
	struct tok *saved = r->t;
	uint32_t *savedm = r->match;
	size_t si = r->i, se = r->end;
	if (ok && bt.n) {
		r->t = bt.v;
		r->match = pairup(r->s, bt.v, bt.n);
		ok = dobody(r, 0, bt.n, false) && dobody(r, 0, bt.n, true);
		free(r->match);
		r->t = saved;
		r->match = savedm;
	}
	free(bt.v);
	r->i = si;
	r->end = se;
	return ok;
}

static const struct {
	const char *word;
	bool (*fn)(struct rd *, size_t);
} statements[] = {
	{"alter", st_alter}, {"begin", st_noop}, {"commit", st_noop}, {"create", st_create},
	{"do", st_do}, {"drop", st_drop}, {"end", st_noop}, {"grant", st_grant},
	{"reset", st_noop}, {"revoke", st_revoke}, {"set", st_noop}, {"start", st_noop},
};

static void
statement(struct rd *r, size_t a, size_t b)
{
	r->i = a;
	r->end = b;
	for (size_t k = 0; k < LEN(statements); k++) {
		if (!iskw(r, a, statements[k].word))
			continue;
		r->i = a + 1;
		if (!statements[k].fn(r, a)) {
			r->end = b;
			skipped(r, a, b, "statement");
		}
		return;
	}
	skipped(r, a, b, "statement");
}

/* Read text [0, n) of r. Statements end at ; outside parentheses and
 * outside a BEGIN ATOMIC body of create function or procedure. */
static void
readall(struct rd *r)
{
	struct toks tk = {0};
	size_t bad = 0;
	const char *what = NULL;
	bool whole = lex(r->s, 0, r->n, &r->tmp, &tk, &bad, &what);
	if (r->path) {
		size_t nl = 1;
		for (size_t k = 0; k < r->n; k++)
			nl += r->s[k] == '\n';
		r->lines = xreallocarray(NULL, nl, sizeof(*r->lines));
		r->lines[0] = 0;
		r->nlines = 1;
		for (size_t k = 0; k < r->n; k++)
			if (r->s[k] == '\n')
				r->lines[r->nlines++] = (uint32_t)k + 1;
	}
	if (!whole) {
		if (r->d)
			diag_add(r->d, SEV_WARNING, (struct loc){r->file, (uint32_t)bad, 1},
				 "%s; the rest of the file is not read", what);
		r->skipped++;
	}
	r->t = tk.v;
	r->end = tk.n;
	r->match = pairup(r->s, tk.v, tk.n);
	size_t st = 0;
	int depth = 0, atomic = 0;
	bool func = false, inner = false; /* inner: a ; inside parentheses */
	for (size_t i = 0; i < tk.n; i++) {
		if (i == st) {
			size_t k = i + 1;
			if (iskw(r, k, "or") && iskw(r, k + 1, "replace"))
				k += 2;
			func = iskw(r, i, "create") && (iskw(r, k, "function") || iskw(r, k, "procedure"));
		}
		const struct tok *t = &tk.v[i];
		if (traw(r->s, t, "("))
			depth++;
		else if (traw(r->s, t, ")") && depth > 0)
			depth--;
		else if (func && iskw(r, i, "begin") && iskw(r, i + 1, "atomic"))
			atomic++;
		else if (func && atomic && iskw(r, i, "case"))
			atomic++;
		else if (func && atomic && iskw(r, i, "end"))
			atomic--;
		else if (traw(r->s, t, ";") && depth == 0 && atomic == 0) {
			if (i > st && !inner)
				statement(r, st, i);
			else if (i > st)
				skipped(r, st, i, "unbalanced statement");
			r->end = tk.n;
			st = i + 1;
			inner = false;
		} else if (traw(r->s, t, ";") && atomic == 0) {
			inner = true;
		}
	}
	/* a last statement without ; still runs, unless the text was cut or a
	 * parenthesis is left open (PostgreSQL would reject it) */
	if (st < tk.n && whole && depth == 0 && atomic == 0 && !inner)
		statement(r, st, tk.n);
	else if (st < tk.n && whole)
		skipped(r, st, tk.n, "unbalanced statement");
	free(tk.v);
	free(r->match);
	free(r->lines);
	arena_free(&r->tmp);
}

size_t
pgschema_read(struct pg_model *m, struct diags *d, const struct pg_file *f)
{
	struct rd r = {.m = m, .d = d, .owned = f->owned, .s = f->text, .n = f->len};
	r.path = arena_strdup(&m->arena, f->path);
	r.file = f->file;
	if (r.file < 0 && d)
		r.file = diag_file(d, f->path, xstrndup(f->text, f->len), f->len);
	readall(&r);
	return r.skipped;
}

bool
pg_model_sql(struct pg_model *m, const char *sql)
{
	struct rd r = {.m = m, .file = -1, .owned = true, .s = sql, .n = strlen(sql)};
	readall(&r);
	return r.skipped == 0;
}

/* ---- builders ---- */

static struct pg_origin
built(void)
{
	return (struct pg_origin){.loc = NOLOC, .owned = true};
}

/* set r up to read builder text; false if it does not lex */
static bool
rdtext(struct rd *r, struct pg_model *m, const char *text, struct toks *tk)
{
	size_t bad;
	const char *what;
	*r = (struct rd){.m = m, .file = -1, .owned = true, .s = text, .n = strlen(text)};
	bool ok = lex(text, 0, r->n, &r->tmp, tk, &bad, &what);
	r->t = tk->v;
	r->end = tk->n;
	r->match = pairup(text, tk->v, tk->n);
	return ok && tk->n;
}

static void
rddone(struct rd *r, struct toks *tk)
{
	free(r->match);
	free(tk->v);
	arena_free(&r->tmp);
}

/* the canonical text of one balanced expression, else NULL; with bare,
 * without parentheses around the whole */
static char *
canonexpr(struct pg_model *m, const char *expr, bool bare)
{
	struct rd r;
	struct toks tk = {0};
	char *res = NULL;
	if (rdtext(&r, m, expr, &tk)) {
		bool ok = true;
		for (size_t i = 0; i < tk.n && ok; i++)
			ok = !traw(expr, &tk.v[i], ";") &&
			     (r.match[i] != NONE || !(tk.v[i].kind == TK_PUNCT && strchr("()[]", expr[tk.v[i].off])));
		size_t a = 0, b = tk.n;
		if (ok && bare)
			unwrap(&r, &a, &b);
		if (ok)
			res = ctext(&r, a, b);
	}
	rddone(&r, &tk);
	return res;
}

struct pg_table *
pg_table_add(struct pg_model *m, const char *schema, const char *name_)
{
	if (pg_table_find(m, schema, name_))
		return NULL;
	struct pg_table *t = newtable(m, schema, name_, built());
	linktable(m, t);
	defgrants(m, t);
	return t;
}

struct pg_column *
pg_column_add(struct pg_model *m, struct pg_table *t, const char *name_, const char *type)
{
	char *ty;
	if (pg_column_find(t, name_) || !(ty = pg_type_normalize(type)))
		return NULL;
	struct pg_column *c = arena_alloc(&m->arena, sizeof(*c));
	c->name = arena_strdup(&m->arena, name_);
	c->type = arena_strdup(&m->arena, ty);
	c->at = built();
	free(ty);
	unserial(m, t, c);
	APUSH(&m->arena, t->cols, t->ncols, t->capcols);
	t->cols[t->ncols++] = c;
	return c;
}

bool
pg_column_default(struct pg_model *m, struct pg_column *c, const char *expr)
{
	char *x = expr ? canonexpr(m, expr, false) : NULL;
	if (expr && !x)
		return false;
	c->def = x;
	return true;
}

void
pg_column_identity(struct pg_column *c, enum pg_identity kind)
{
	c->identity = kind;
	if (kind != PG_IDENTITY_NONE)
		c->not_null = true;
	else
		c->identity_opts = NULL;
}

bool
pg_column_generated(struct pg_model *m, struct pg_column *c, const char *expr)
{
	char *x = expr ? canonexpr(m, expr, true) : NULL;
	if (expr && !x)
		return false;
	c->generated = x;
	return true;
}

static struct pg_constraint *
buildcon(struct pg_model *m, struct pg_table *t, enum pg_conkind kind, const char *name_,
	 const char *const *cols, size_t ncols)
{
	struct pg_constraint *c = arena_alloc(&m->arena, sizeof(*c));
	c->kind = kind;
	c->name = name_ ? arena_strdup(&m->arena, name_) : NULL;
	c->named = name_ != NULL;
	c->cols = names(m, cols, ncols);
	c->at = built();
	return kind == PG_CON_CHECK || (ncols && conok(t, c)) ? c : NULL;
}

struct pg_constraint *
pg_primary_key_add(struct pg_model *m, struct pg_table *t, const char *name_,
		   const char *const *cols, size_t ncols)
{
	struct pg_constraint *c = buildcon(m, t, PG_CON_PRIMARY, name_, cols, ncols);
	if (c)
		addcon(m, t, c);
	return c;
}

struct pg_constraint *
pg_unique_add(struct pg_model *m, struct pg_table *t, const char *name_, const char *const *cols,
	      size_t ncols)
{
	struct pg_constraint *c = buildcon(m, t, PG_CON_UNIQUE, name_, cols, ncols);
	if (c)
		addcon(m, t, c);
	return c;
}

struct pg_constraint *
pg_foreign_key_add(struct pg_model *m, struct pg_table *t, const char *name_,
		   const char *const *cols, size_t ncols, const char *ref_schema,
		   const char *ref_table, const char *const *ref_cols, size_t nref,
		   const char *on_delete)
{
	struct pg_constraint *c = buildcon(m, t, PG_CON_FOREIGN, name_, cols, ncols);
	if (!c || (nref && nref != ncols))
		return NULL;
	c->ref_schema = arena_strdup(&m->arena, orpublic(ref_schema));
	c->ref_table = arena_strdup(&m->arena, ref_table);
	c->ref_cols = names(m, ref_cols, nref);
	if (on_delete && strcmp(on_delete, "no action") != 0 && !(c->on_delete = canonexpr(m, on_delete, false)))
		return NULL;
	addcon(m, t, c);
	return c;
}

struct pg_constraint *
pg_check_add(struct pg_model *m, struct pg_table *t, const char *name_, const char *expr)
{
	struct pg_constraint *c = buildcon(m, t, PG_CON_CHECK, name_, NULL, 0);
	if (!(c->check = canonexpr(m, expr, true)))
		return NULL;
	addcon(m, t, c);
	return c;
}

struct pg_policy *
pg_policy_add(struct pg_model *m, struct pg_table *t, const char *name_, enum pg_cmd cmd,
	      const char *const *roles, size_t nroles, const char *using_expr,
	      const char *check_expr)
{
	if (pg_policy_find(t, name_))
		return NULL;
	struct pg_policy *p = arena_alloc(&m->arena, sizeof(*p));
	p->name = arena_strdup(&m->arena, name_);
	p->cmd = cmd;
	p->roles = names(m, roles, nroles);
	normroles(&p->roles);
	if ((using_expr && !(p->using_expr = canonexpr(m, using_expr, true))) ||
	    (check_expr && !(p->check_expr = canonexpr(m, check_expr, true))))
		return NULL;
	p->at = built();
	APUSH(&m->arena, t->pols, t->npols, t->cappols);
	t->pols[t->npols++] = p;
	return p;
}

void
pg_grant_add(struct pg_model *m, struct pg_table *t, const char *role, unsigned privs)
{
	if (!(privs & PG_PRIV_ALL))
		return;
	struct pg_grant *g = grantfor(m, t, role, true);
	g->privs |= privs & PG_PRIV_ALL;
	g->at = built();
}

struct pg_index *
pg_index_add(struct pg_model *m, const char *schema, const char *name_, const char *table,
	     const char *method, const char *const *keys, size_t nkeys)
{
	const struct pg_table *t = pg_table_find(m, schema, table);
	if (!t || !nkeys || pg_index_find(m, schema, name_))
		return NULL;
	struct pg_index *ix = newindex(m, t, name_, built());
	if (method)
		ix->method = arena_strdup(&m->arena, method);
	ix->keys = arena_array(&m->arena, nkeys, sizeof(*ix->keys));
	for (size_t k = 0; k < nkeys; k++) {
		struct rd r;
		struct toks tk = {0};
		bool ok = rdtext(&r, m, keys[k], &tk) && comma(&r, 0) == tk.n && idxkey(&r, &ix->keys[k]);
		rddone(&r, &tk);
		if (!ok)
			return NULL;
	}
	ix->nkeys = nkeys;
	linkindex(m, ix);
	return ix;
}

bool
pg_index_with(struct pg_model *m, struct pg_index *ix, const char *with)
{
	char *x = with ? canonexpr(m, with, true) : NULL;
	if (with && !x)
		return false;
	ix->with = x;
	return true;
}

bool
pg_index_where(struct pg_model *m, struct pg_index *ix, const char *where)
{
	char *x = where ? canonexpr(m, where, true) : NULL;
	if (where && !x)
		return false;
	ix->where = x;
	return true;
}

struct pg_extension *
pg_extension_add(struct pg_model *m, const char *name_, const char *schema)
{
	if (pg_extension_find(m, name_))
		return NULL;
	struct pg_extension *e = arena_alloc(&m->arena, sizeof(*e));
	e->name = arena_strdup(&m->arena, name_);
	e->schema = schema ? arena_strdup(&m->arena, schema) : NULL;
	e->at = built();
	addschema(m, schema);
	APUSH(&m->arena, m->exts, m->nexts, m->capexts);
	m->exts[m->nexts++] = e;
	return e;
}
