/* jinja_parse.c: the lexer and the parser of the Jinja renderer (see
 * jinja.h), the first half of it: text in, a tree (jinja_int.h) out.
 *
 * The lexer turns the whole template into tokens first; whitespace control
 * ({%- -%}, {{- -}}, {#- -#}), comments, {% raw %} and dbt's Jinja settings
 * (one newline at the very end dropped) are settled there, so the parser
 * never sees them. A closing }} or %} counts only outside brackets, as in
 * Jinja, so {{ {'a': {'b': 1}} }} reads right.
 *
 * The parser is recursive descent with Jinja's precedence, loosest first:
 * `x if c else y`, or, and, not, comparisons (chained, in, not in), + -, ~,
 * * / // %, **, unary - +, then primaries with .attr, [item], [a:b:c],
 * (call) and the |filter / `is test` suffixes. A syntax error anywhere is
 * the one error of the render, before anything renders; what dpc does not
 * render ({% call %}, an unknown filter) becomes a node that fails only
 * when it runs, as in dbt.
 *
 * Lists under construction share one stack (struct parser's stk), copied
 * into the arena when complete: no allocation per item. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja_int.h"

/* append an error to r, placed in src */
void
jinja_adderr(struct jj_result *r, const struct src *src, uint32_t off, uint32_t len, bool needs_dbt,
       const char *msg)
{
	struct jj_error *e;
	uint32_t line = 1, col = 1;

	if (off > src->len)
		off = (uint32_t)src->len;
	for (uint32_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)src->text[i];
		if (c == '\n') {
			line++;
			col = 1;
		} else if ((c & 0xC0) != 0x80) {
			col++;
		}
	}
	r->errors = xreallocarray(r->errors, r->nerrors + 1, sizeof(*r->errors));
	e = &r->errors[r->nerrors++];
	e->off = off;
	e->len = len;
	e->line = line;
	e->col = col;
	e->file = src->file;
	e->msg = xstrdup(msg);
	e->needs_dbt = needs_dbt;
}

/* ---- lexer ---- */

enum ttype { T_EOF, T_DATA, T_VBEGIN, T_VEND, T_BBEGIN, T_BEND, T_NAME, T_STR, T_INT, T_FLOAT, T_OP };

/* the words the expression parser looks for, known once by the lexer */
enum kw { KW_NONE, KW_AND, KW_OR, KW_NOT, KW_IN, KW_IS, KW_IF, KW_ELSE, KW_RECURSIVE };

struct tok {
	uint8_t type, op; /* op: T_OP's enum op, T_NAME's enum kw */
	uint32_t off, len;
};

static int
keyword(const char *s, size_t n)
{
	static const char *const words[] = {
		[KW_AND] = "and", [KW_OR] = "or", [KW_NOT] = "not", [KW_IN] = "in", [KW_IS] = "is",
		[KW_IF] = "if", [KW_ELSE] = "else", [KW_RECURSIVE] = "recursive",
	};
	if (n < 2 || n > 9)
		return KW_NONE;
	for (int k = KW_AND; k <= KW_RECURSIVE; k++)
		if (words[k][0] == s[0] && strlen(words[k]) == n && memcmp(words[k], s, n) == 0)
			return k;
	return KW_NONE;
}

struct parser {
	const struct src *src;
	size_t n; /* bytes to read: the text without its last newline */
	struct tok *t;
	size_t nt, capt, pos;
	struct arena *a;
	int depth;
	int loops;         /* {% for %} blocks open around the current statement */
	struct macro *mac; /* the macro whose body is being parsed */
	void **stk;        /* items of the lists being built, innermost last */
	size_t nstk, capstk;
	bool failed;
	uint32_t eoff, elen;
	bool needs_dbt;
	char emsg[256];
};

__attribute__((format(printf, 4, 5))) static bool
perr(struct parser *p, size_t off, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return false;
	p->failed = true;
	p->eoff = (uint32_t)off;
	p->elen = (uint32_t)len;
	va_start(ap, fmt);
	vsnprintf(p->emsg, sizeof(p->emsg), fmt, ap);
	va_end(ap);
	return false;
}

static void
tokpush(struct parser *p, int type, int op, size_t off, size_t len)
{
	VEC_PUSH(p->t, p->nt, p->capt);
	p->t[p->nt++] = (struct tok){(uint8_t)type, (uint8_t)op, (uint32_t)off, (uint32_t)len};
}

/* a comment from begin ({#) with its text from k; *next: after it */
static bool
lexcomment(struct parser *p, size_t begin, size_t k, size_t *next)
{
	const char *s = p->src->text;
	for (size_t i = k; i + 1 < p->n; i++) {
		if (s[i] == '#' && s[i + 1] == '}') {
			size_t j = i + 2;
			if (i > k && s[i - 1] == '-')
				while (j < p->n && isws(s[j]))
					j++;
			*next = j;
			return true;
		}
	}
	return perr(p, begin, 2, "unclosed comment: expected '#}'");
}

/* {% raw %} at begin, its name from k: the text up to {% endraw %} is data.
 * Returns 1 when it was a raw block (*next: after it), 0 when the tag is
 * something else, -1 on error */
static int
lexraw(struct parser *p, size_t begin, size_t k, size_t *next)
{
	const char *s = p->src->text;
	size_t n = p->n, i = k;
	bool strip = false;

	while (i < n && isws(s[i]))
		i++;
	if (i + 3 > n || memcmp(s + i, "raw", 3) != 0 || (i + 3 < n && (isalpha_(s[i + 3]) || isdigit_(s[i + 3]))))
		return 0;
	i += 3;
	while (i < n && isws(s[i]))
		i++;
	if (i < n && s[i] == '-') {
		strip = true;
		i++;
	}
	if (i + 1 >= n || s[i] != '%' || s[i + 1] != '}')
		return 0;
	i += 2;
	if (strip)
		while (i < n && isws(s[i]))
			i++;
	for (size_t x = i; x + 1 < n; x++) {
		if (s[x] != '{' || s[x + 1] != '%')
			continue;
		size_t y = x + 2;
		bool lstrip = false, rstrip = false;
		if (y < n && (s[y] == '-' || s[y] == '+'))
			lstrip = s[y++] == '-';
		while (y < n && isws(s[y]))
			y++;
		if (y + 6 > n || memcmp(s + y, "endraw", 6) != 0)
			continue;
		y += 6;
		while (y < n && isws(s[y]))
			y++;
		if (y < n && (s[y] == '-' || s[y] == '+'))
			rstrip = s[y++] == '-';
		if (y + 1 >= n || s[y] != '%' || s[y + 1] != '}')
			continue;
		size_t end = x;
		if (lstrip)
			while (end > i && isws(s[end - 1]))
				end--;
		if (end > i)
			tokpush(p, T_DATA, 0, i, end - i);
		y += 2;
		if (rstrip)
			while (y < n && isws(s[y]))
				y++;
		*next = y;
		return 1;
	}
	perr(p, begin, 2, "{%% raw %%} is never closed: expected {%% endraw %%}");
	return -1;
}

/* the operator at s[0..n) (n >= 1): its code and length, or O_NONE */
static int
lexop(const char *s, size_t n, size_t *len)
{
	char next = n > 1 ? s[1] : '\0';
	*len = 1;
	switch (s[0]) {
	case '+': return O_ADD;
	case '-': return O_SUB;
	case '~': return O_TILDE;
	case '%': return O_MOD;
	case '(': return O_LPAREN;
	case ')': return O_RPAREN;
	case '[': return O_LBRACK;
	case ']': return O_RBRACK;
	case '{': return O_LBRACE;
	case '}': return O_RBRACE;
	case '.': return O_DOT;
	case ':': return O_COLON;
	case '|': return O_PIPE;
	case ',': return O_COMMA;
	case ';': return O_SEMI;
	case '*':
		*len += next == '*';
		return next == '*' ? O_POW : O_MUL;
	case '/':
		*len += next == '/';
		return next == '/' ? O_FLOORDIV : O_DIV;
	case '=':
		*len += next == '=';
		return next == '=' ? O_EQ : O_ASSIGN;
	case '<':
		*len += next == '=';
		return next == '=' ? O_LE : O_LT;
	case '>':
		*len += next == '=';
		return next == '=' ? O_GE : O_GT;
	case '!':
		*len = 2;
		return next == '=' ? O_NE : O_NONE;
	default:
		return O_NONE;
	}
}

/* the tokens of a {{ }} or {% %} tag whose inside starts at k; a closing
 * }} or %} counts only outside brackets, as in Jinja */
static bool
lextag(struct parser *p, char kind, size_t begin, size_t k, size_t *next)
{
	const char *s = p->src->text;
	size_t n = p->n, i = k;
	int depth = 0;

	for (;;) {
		while (i < n && isws(s[i]))
			i++;
		if (i >= n)
			return perr(p, begin, 2, "unclosed %s: expected '%s'", kind == '{' ? "{{" : "{%",
				    kind == '{' ? "}}" : "%}");
		char c = s[i];
		if (depth == 0) {
			size_t end = 0;
			bool strip = false;
			char close = kind == '{' ? '}' : '%';
			if ((c == '-' || c == '+') && i + 2 < n && s[i + 1] == close && s[i + 2] == '}') {
				end = 3;
				strip = c == '-';
			} else if (c == close && i + 1 < n && s[i + 1] == '}') {
				end = 2;
			}
			if (end) {
				tokpush(p, kind == '{' ? T_VEND : T_BEND, 0, i, end);
				i += end;
				if (strip)
					while (i < n && isws(s[i]))
						i++;
				*next = i;
				return true;
			}
		}
		size_t j = i;
		if (isalpha_(c)) {
			while (j < n && (isalpha_(s[j]) || isdigit_(s[j])))
				j++;
			tokpush(p, T_NAME, keyword(s + i, j - i), i, j - i);
		} else if (isdigit_(c)) {
			int type = T_INT;
			while (j < n && (isdigit_(s[j]) || (s[j] == '_' && j + 1 < n && isdigit_(s[j + 1]))))
				j++;
			if (j + 1 < n && s[j] == '.' && isdigit_(s[j + 1])) {
				type = T_FLOAT;
				for (j++; j < n && (isdigit_(s[j]) || (s[j] == '_' && j + 1 < n && isdigit_(s[j + 1]))); j++)
					;
			}
			if (j < n && (s[j] == 'e' || s[j] == 'E')) {
				size_t e = j + 1;
				if (e < n && (s[e] == '+' || s[e] == '-'))
					e++;
				if (e < n && isdigit_(s[e])) {
					type = T_FLOAT;
					for (j = e; j < n && isdigit_(s[j]); j++)
						;
				}
			}
			tokpush(p, type, 0, i, j - i);
		} else if (c == '\'' || c == '"') {
			for (j = i + 1; j < n && s[j] != c; j++)
				if (s[j] == '\\')
					j++;
			if (j >= n)
				return perr(p, i, 1, "unterminated string");
			j++;
			tokpush(p, T_STR, 0, i, j - i);
		} else {
			size_t l;
			int op = lexop(s + i, n - i, &l);
			if (op == O_NONE) {
				if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
					return perr(p, i, 1, "unexpected byte 0x%02x", (unsigned char)c);
				return perr(p, i, 1, "unexpected character '%c'", c);
			}
			if (op == O_LPAREN || op == O_LBRACK || op == O_LBRACE)
				depth++;
			else if ((op == O_RPAREN || op == O_RBRACK || op == O_RBRACE) && depth > 0)
				depth--;
			j = i + l;
			tokpush(p, T_OP, op, i, l);
		}
		i = j;
	}
}

/* the whole text into p->t, ending with T_EOF */
static bool
lex(struct parser *p)
{
	const char *s = p->src->text;
	size_t n = p->n, i = 0;

	while (i < n) {
		size_t j = i;
		for (;;) {
			const char *q = memchr(s + j, '{', n - j);
			if (!q) {
				j = n;
				break;
			}
			j = (size_t)(q - s);
			if (j + 1 < n && (s[j + 1] == '{' || s[j + 1] == '%' || s[j + 1] == '#'))
				break;
			j++;
		}
		size_t end = j;
		if (j + 2 < n && s[j + 2] == '-')
			while (end > i && isws(s[end - 1]))
				end--;
		if (end > i)
			tokpush(p, T_DATA, 0, i, end - i);
		if (j >= n)
			break;
		char kind = s[j + 1];
		size_t k = j + 2;
		if (k < n && (s[k] == '-' || s[k] == '+'))
			k++;
		if (kind == '#') {
			if (!lexcomment(p, j, k, &i))
				return false;
			continue;
		}
		if (kind == '%') {
			int r = lexraw(p, j, k, &i);
			if (r < 0)
				return false;
			if (r > 0)
				continue;
		}
		tokpush(p, kind == '{' ? T_VBEGIN : T_BBEGIN, 0, j, k - j);
		if (!lextag(p, kind, j, k, &i))
			return false;
	}
	tokpush(p, T_EOF, 0, n, 0);
	return true;
}

/* ---- parser ---- */

static const struct tok *
cur(const struct parser *p)
{
	return &p->t[p->pos];
}

static const struct tok *
peek(const struct parser *p, size_t ahead)
{
	size_t i = p->pos + ahead;
	return &p->t[i < p->nt ? i : p->nt - 1];
}

static void
advance(struct parser *p)
{
	if (p->pos + 1 < p->nt)
		p->pos++;
}

static bool
isop(const struct parser *p, int op)
{
	return cur(p)->type == T_OP && cur(p)->op == op;
}

static bool
tokis(const struct parser *p, const struct tok *t, const char *word)
{
	const char *s = p->src->text + t->off;
	return t->type == T_NAME && s[0] == word[0] && t->len == strlen(word) && memcmp(s, word, t->len) == 0;
}

/* is the current token the keyword kw? */
static bool
iskw(const struct parser *p, int kw)
{
	return cur(p)->type == T_NAME && cur(p)->op == kw;
}

static const char *
tokname(struct parser *p, const struct tok *t)
{
	return arena_strndup(p->a, p->src->text + t->off, t->len);
}

/* how a token reads in a message */
static const char *
tokdesc(const struct parser *p, const struct tok *t, char *buf, size_t size)
{
	switch (t->type) {
	case T_EOF:
		return "end of template";
	case T_DATA:
		return "text";
	case T_VEND:
	case T_BEND:
	case T_VBEGIN:
	case T_BBEGIN:
		snprintf(buf, size, "'%.*s'", (int)t->len, p->src->text + t->off);
		return buf;
	default:
		snprintf(buf, size, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), p->src->text + t->off);
		return buf;
	}
}

static bool
expect(struct parser *p, int op, const char *what)
{
	char b[64];
	if (isop(p, op)) {
		advance(p);
		return true;
	}
	return perr(p, cur(p)->off, cur(p)->len, "expected %s, got %s", what,
		    tokdesc(p, cur(p), b, sizeof(b)));
}

static bool
expectend(struct parser *p, int type)
{
	char b[64];
	if (cur(p)->type == type) {
		advance(p);
		return true;
	}
	return perr(p, cur(p)->off, cur(p)->len, "expected '%s', got %s",
		    type == T_BEND ? "%}" : "}}", tokdesc(p, cur(p), b, sizeof(b)));
}

static struct expr *
mkexpr(struct parser *p, int k, const struct tok *at)
{
	struct expr *e = arena_alloc(p->a, sizeof(*e));
	e->k = (uint8_t)k;
	e->off = at->off;
	e->len = at->len;
	return e;
}

/* stretch e to cover up to the end of the previous token */
static struct expr *
done(struct parser *p, struct expr *e)
{
	const struct tok *last = &p->t[p->pos ? p->pos - 1 : 0];
	if (last->off + last->len > e->off)
		e->len = last->off + last->len - e->off;
	return e;
}

static void
spush(struct parser *p, void *x)
{
	VEC_PUSH(p->stk, p->nstk, p->capstk);
	p->stk[p->nstk++] = x;
}

/* the items pushed since mark, as an array in the arena; pops them */
static void **
spop(struct parser *p, size_t mark, uint32_t *n)
{
	size_t cnt = p->nstk - mark;
	void **v = cnt ? arena_array(p->a, cnt, sizeof(*v)) : NULL;
	if (cnt)
		memcpy(v, p->stk + mark, cnt * sizeof(*v));
	p->nstk = mark;
	*n = (uint32_t)cnt;
	return v;
}

static struct expr *parse_expr(struct parser *p);
static struct expr *parse_or(struct parser *p);
static struct expr *parse_unary(struct parser *p, bool filters);
static struct expr *parse_primary(struct parser *p);

/* does a tuple end here (the end of the tag, a ')', or an extra word)? */
static bool
tupleend(const struct parser *p, int word)
{
	const struct tok *t = cur(p);
	return t->type == T_VEND || t->type == T_BEND || t->type == T_EOF ||
	       (t->type == T_OP && t->op == O_RPAREN) || (word && iskw(p, word));
}

/* expressions separated by commas: one without a comma is itself, more
 * (or a trailing comma) a tuple. condexpr: items may be `a if b else c`;
 * paren: inside ( ), where () is the empty tuple */
static struct expr *
parse_tuple(struct parser *p, bool condexpr, bool paren, int endword)
{
	const struct tok *at = cur(p);
	size_t mark = p->nstk;
	bool comma = false;
	struct expr *e = NULL;

	for (;;) {
		if (p->nstk == mark && paren && isop(p, O_RPAREN))
			break;
		if (p->nstk > mark) {
			if (!isop(p, O_COMMA))
				break;
			advance(p);
			comma = true;
			if (tupleend(p, endword))
				break;
		}
		e = condexpr ? parse_expr(p) : parse_or(p);
		if (!e)
			return NULL;
		spush(p, e);
	}
	if (!comma && p->nstk == mark + 1) {
		p->nstk = mark;
		return e;
	}
	if (p->nstk == mark && !paren) {
		char b[64];
		perr(p, at->off, at->len, "expected an expression, got %s", tokdesc(p, at, b, sizeof(b)));
		return NULL;
	}
	e = mkexpr(p, E_TUPLE, at);
	e->v = (struct expr **)spop(p, mark, &e->n);
	return done(p, e);
}

/* a string literal: Python's escapes, newlines as "\n"; it points into the
 * source when nothing needs decoding */
static bool
strlit(struct parser *p, const struct tok *t, struct buf *b)
{
	const char *s = p->src->text + t->off + 1;
	size_t n = t->len - 2;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\r') {
			buf_putc(b, '\n');
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
			continue;
		}
		if (c != '\\' || i + 1 >= n) {
			buf_putc(b, c);
			continue;
		}
		c = s[++i];
		switch (c) {
		case '\n':
			break;
		case '\\':
		case '\'':
		case '"':
			buf_putc(b, c);
			break;
		case 'n':
			buf_putc(b, '\n');
			break;
		case 't':
			buf_putc(b, '\t');
			break;
		case 'r':
			buf_putc(b, '\r');
			break;
		case 'a':
			buf_putc(b, '\a');
			break;
		case 'b':
			buf_putc(b, '\b');
			break;
		case 'f':
			buf_putc(b, '\f');
			break;
		case 'v':
			buf_putc(b, '\v');
			break;
		case 'x':
		case 'u':
		case 'U': {
			size_t want = c == 'x' ? 2 : c == 'u' ? 4 : 8, d;
			uint32_t cp = 0;
			for (d = 1; d <= want && i + d < n; d++) {
				char h = s[i + d];
				int v = isdigit_(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
				if (v < 0)
					break;
				cp = cp * 16 + (uint32_t)v;
			}
			if (d <= want || cp > 0x10FFFF)
				return perr(p, t->off + 1 + i - 1, 2 + d - 1, "bad \\%c escape in a string", c);
			i += want;
			if (cp < 0x80) {
				buf_putc(b, (char)cp);
			} else if (cp < 0x800) {
				buf_putc(b, (char)(0xC0 | cp >> 6));
				buf_putc(b, (char)(0x80 | (cp & 0x3F)));
			} else if (cp < 0x10000) {
				buf_putc(b, (char)(0xE0 | cp >> 12));
				buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
				buf_putc(b, (char)(0x80 | (cp & 0x3F)));
			} else {
				buf_putc(b, (char)(0xF0 | cp >> 18));
				buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
				buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
				buf_putc(b, (char)(0x80 | (cp & 0x3F)));
			}
			break;
		}
		default:
			if (c >= '0' && c <= '7') {
				unsigned v = 0, d = 0;
				while (d < 3 && i < n && s[i] >= '0' && s[i] <= '7') {
					v = v * 8 + (unsigned)(s[i] - '0');
					i++;
					d++;
				}
				i--;
				buf_putc(b, (char)(v & 0xFF));
				break;
			}
			/* an unknown escape keeps its backslash, as in Python */
			buf_putc(b, '\\');
			buf_putc(b, c);
		}
	}
	return true;
}

static struct expr *
parse_string(struct parser *p)
{
	const struct tok *at = cur(p);
	struct expr *e = mkexpr(p, E_CONST, at);
	const char *s = p->src->text;

	e->val.k = V_STR;
	if (peek(p, 1)->type != T_STR && !memchr(s + at->off, '\\', at->len) && !memchr(s + at->off, '\r', at->len)) {
		e->val.u.s.p = s + at->off + 1;
		e->val.u.s.n = at->len - 2;
		advance(p);
		return done(p, e);
	}
	/* escapes to decode, or adjacent literals to join ('a' 'b' is 'ab') */
	struct buf b = {0};
	while (cur(p)->type == T_STR) {
		if (!strlit(p, cur(p), &b)) {
			buf_free(&b);
			return NULL;
		}
		advance(p);
	}
	e->val.u.s.p = arena_strndup(p->a, b.data ? b.data : "", b.len);
	e->val.u.s.n = b.len;
	buf_free(&b);
	return done(p, e);
}

static struct expr *
parse_number(struct parser *p)
{
	const struct tok *at = cur(p);
	struct expr *e = mkexpr(p, E_CONST, at);
	char tmp[64], *digits = at->len < sizeof(tmp) ? tmp : arena_alloc(p->a, at->len + 1);
	size_t n = 0;

	for (uint32_t i = 0; i < at->len; i++)
		if (p->src->text[at->off + i] != '_')
			digits[n++] = p->src->text[at->off + i];
	digits[n] = '\0';
	if (at->type == T_INT) {
		int64_t v = 0;
		for (size_t i = 0; i < n; i++) {
			if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, digits[i] - '0', &v)) {
				perr(p, at->off, at->len, "integer literal too large");
				return NULL;
			}
		}
		e->val.k = V_INT;
		e->val.u.i = v;
	} else {
		e->val.k = V_FLOAT;
		e->val.u.f = strtod(digits, NULL);
	}
	advance(p);
	return done(p, e);
}

/* call arguments after '(': positional ones, then name=value ones */
static bool
parse_args(struct parser *p, struct expr *e)
{
	size_t mark = p->nstk;
	bool named = false;

	advance(p);
	while (!isop(p, O_RPAREN)) {
		if (p->nstk > mark && !expect(p, O_COMMA, "',' or ')'"))
			return false;
		if (isop(p, O_RPAREN))
			break;
		const char *kw = NULL;
		if (isop(p, O_MUL) || isop(p, O_POW))
			return perr(p, cur(p)->off, cur(p)->len, "*args and **kwargs in a call need dbt");
		if (cur(p)->type == T_NAME && peek(p, 1)->type == T_OP && peek(p, 1)->op == O_ASSIGN) {
			kw = tokname(p, cur(p));
			advance(p);
			advance(p);
			named = true;
		} else if (named) {
			return perr(p, cur(p)->off, cur(p)->len, "positional argument follows keyword argument");
		}
		struct expr *a = parse_expr(p);
		if (!a)
			return false;
		spush(p, a);
		spush(p, (void *)kw);
	}
	advance(p);
	uint32_t n;
	void **v = spop(p, mark, &n);
	e->n = n / 2;
	if (e->n) {
		e->v = arena_array(p->a, e->n, sizeof(*e->v));
		e->kw = arena_array(p->a, e->n, sizeof(*e->kw));
		for (uint32_t i = 0; i < e->n; i++) {
			e->v[i] = v[2 * i];
			e->kw[i] = v[2 * i + 1];
		}
	}
	return true;
}

/* .name, [index], [a:b:c] and (args) after an expression */
static struct expr *
parse_postfix(struct parser *p, struct expr *e)
{
	for (;;) {
		const struct tok *at = cur(p);
		struct expr *x;
		if (isop(p, O_DOT)) {
			advance(p);
			if (cur(p)->type == T_NAME) {
				x = mkexpr(p, E_ATTR, at);
				x->name = tokname(p, cur(p));
			} else if (cur(p)->type == T_INT) {
				x = mkexpr(p, E_ITEM, at);
				x->b = parse_number(p);
				if (!x->b)
					return NULL;
				p->pos--;
			} else {
				char b[64];
				perr(p, cur(p)->off, cur(p)->len, "expected a name after '.', got %s",
				     tokdesc(p, cur(p), b, sizeof(b)));
				return NULL;
			}
			advance(p);
			x->a = e;
		} else if (isop(p, O_LBRACK)) {
			struct expr *part[3] = {NULL, NULL, NULL};
			int k = 0;
			advance(p);
			for (;;) {
				if (!isop(p, O_COLON) && !isop(p, O_RBRACK)) {
					part[k] = parse_expr(p);
					if (!part[k])
						return NULL;
				}
				if (k < 2 && isop(p, O_COLON)) {
					advance(p);
					k++;
					continue;
				}
				break;
			}
			if (!expect(p, O_RBRACK, "']'"))
				return NULL;
			if (k == 0) {
				if (!part[0]) {
					perr(p, at->off, 2, "expected an index inside [ ]");
					return NULL;
				}
				x = mkexpr(p, E_ITEM, at);
				x->b = part[0];
			} else {
				x = mkexpr(p, E_SLICE, at);
				x->v = arena_array(p->a, 3, sizeof(*x->v));
				memcpy(x->v, part, sizeof(part));
				x->n = 3;
			}
			x->a = e;
		} else if (isop(p, O_LPAREN)) {
			x = mkexpr(p, E_CALL, at);
			x->a = e;
			if (!parse_args(p, x))
				return NULL;
		} else {
			return e;
		}
		x->off = e->off;
		e = done(p, x);
	}
}

/* |filter(args) and `is test` after a unary expression */
static struct expr *
parse_filters(struct parser *p, struct expr *e)
{
	for (;;) {
		const struct tok *at = cur(p);
		struct expr *x;
		bool test = iskw(p, KW_IS);
		if (!isop(p, O_PIPE) && !test) {
			if (isop(p, O_LPAREN)) {
				x = mkexpr(p, E_CALL, at);
				x->a = e;
				if (!parse_args(p, x))
					return NULL;
				x->off = e->off;
				e = done(p, x);
				continue;
			}
			return e;
		}
		advance(p);
		bool neg = test && iskw(p, KW_NOT);
		if (neg)
			advance(p);
		if (cur(p)->type != T_NAME) {
			char b[64];
			perr(p, cur(p)->off, cur(p)->len, "expected a %s name, got %s", test ? "test" : "filter",
			     tokdesc(p, cur(p), b, sizeof(b)));
			return NULL;
		}
		/* a name may be dotted: the name then names no filter dpc has */
		const struct tok *nt = cur(p);
		size_t nend = nt->off + nt->len;
		advance(p);
		while (isop(p, O_DOT) && peek(p, 1)->type == T_NAME) {
			advance(p);
			nend = cur(p)->off + cur(p)->len;
			advance(p);
		}
		x = mkexpr(p, test ? E_TEST : E_FILTER, nt);
		x->name = arena_strndup(p->a, p->src->text + nt->off, nend - nt->off);
		x->op = test ? jinja_find_test(x->name) : jinja_find_filter(x->name);
		x->flag = neg;
		x->a = e;
		if (isop(p, O_LPAREN)) {
			if (!parse_args(p, x))
				return NULL;
		} else if (test && !iskw(p, KW_ELSE) && !iskw(p, KW_OR) && !iskw(p, KW_AND) &&
			   (cur(p)->type == T_NAME || cur(p)->type == T_STR || cur(p)->type == T_INT ||
			    cur(p)->type == T_FLOAT || isop(p, O_LBRACK) || isop(p, O_LBRACE))) {
			/* `is divisibleby 3`: one argument without parentheses */
			struct expr *arg = parse_primary(p);
			if (!arg || !(arg = parse_postfix(p, arg)))
				return NULL;
			x->v = arena_array(p->a, 1, sizeof(*x->v));
			x->kw = arena_array(p->a, 1, sizeof(*x->kw));
			x->v[0] = arg;
			x->n = 1;
		}
		e = done(p, x);
	}
}

static struct expr *
parse_primary(struct parser *p)
{
	const struct tok *at = cur(p);
	struct expr *e;
	char b[64];

	switch (at->type) {
	case T_NAME:
		e = mkexpr(p, E_CONST, at);
		if (tokis(p, at, "true") || tokis(p, at, "True")) {
			e->val.k = V_BOOL;
			e->val.u.b = true;
		} else if (tokis(p, at, "false") || tokis(p, at, "False")) {
			e->val.k = V_BOOL;
		} else if (tokis(p, at, "none") || tokis(p, at, "None")) {
			e->val.k = V_NONE;
		} else {
			e->k = E_NAME;
			e->name = tokname(p, at);
			e->op = jinja_find_function(e->name);
			if (p->mac && strcmp(e->name, "varargs") == 0)
				p->mac->varargs = true;
			if (p->mac && strcmp(e->name, "kwargs") == 0)
				p->mac->kwargs = true;
		}
		advance(p);
		return e;
	case T_STR:
		return parse_string(p);
	case T_INT:
	case T_FLOAT:
		return parse_number(p);
	case T_OP:
		if (at->op == O_LPAREN) {
			advance(p);
			e = parse_tuple(p, true, true, KW_NONE);
			if (!e || !expect(p, O_RPAREN, "')'"))
				return NULL;
			if (e->k == E_TUPLE)
				e->off = at->off;
			return e->k == E_TUPLE ? done(p, e) : e;
		}
		if (at->op == O_LBRACK || at->op == O_LBRACE) {
			bool dict = at->op == O_LBRACE;
			int close = dict ? O_RBRACE : O_RBRACK;
			size_t mark = p->nstk;
			e = mkexpr(p, dict ? E_DICT : E_LIST, at);
			advance(p);
			while (!isop(p, close)) {
				if (p->nstk > mark && !expect(p, O_COMMA, dict ? "',' or '}'" : "',' or ']'"))
					return NULL;
				if (isop(p, close))
					break;
				struct expr *x = parse_expr(p);
				if (!x)
					return NULL;
				spush(p, x);
				if (dict) {
					if (!expect(p, O_COLON, "':'") || !(x = parse_expr(p)))
						return NULL;
					spush(p, x);
				}
			}
			advance(p);
			e->v = (struct expr **)spop(p, mark, &e->n);
			return done(p, e);
		}
		break;
	default:
		break;
	}
	perr(p, at->off, at->len, "expected an expression, got %s", tokdesc(p, at, b, sizeof(b)));
	return NULL;
}

static struct expr *
parse_unary(struct parser *p, bool filters_)
{
	const struct tok *at = cur(p);
	struct expr *e;

	if (++p->depth > LIM_PDEPTH) {
		perr(p, at->off, at->len, "expression nested too deeply (more than %d levels)", LIM_PDEPTH);
		return NULL;
	}
	if (isop(p, O_SUB) || isop(p, O_ADD)) {
		e = mkexpr(p, isop(p, O_SUB) ? E_NEG : E_POS, at);
		advance(p);
		if (!(e->a = parse_unary(p, false)))
			return NULL;
		e = done(p, e);
	} else if (!(e = parse_primary(p))) {
		return NULL;
	}
	if (!(e = parse_postfix(p, e)))
		return NULL;
	if (filters_ && !(e = parse_filters(p, e)))
		return NULL;
	p->depth--;
	return e;
}

static struct expr *
binary(struct parser *p, int k, int op, struct expr *a, struct expr *b)
{
	struct expr *e = arena_alloc(p->a, sizeof(*e));
	e->k = (uint8_t)k;
	e->op = (uint8_t)op;
	e->a = a;
	e->b = b;
	e->off = a->off;
	e->len = b->off + b->len > a->off ? b->off + b->len - a->off : a->len;
	return e;
}

static struct expr *
parse_pow(struct parser *p)
{
	struct expr *e = parse_unary(p, true), *b;
	while (e && isop(p, O_POW)) {
		advance(p);
		if (!(b = parse_unary(p, true)))
			return NULL;
		e = binary(p, E_BIN, O_POW, e, b);
	}
	return e;
}

static struct expr *
parse_mul(struct parser *p)
{
	struct expr *e = parse_pow(p), *b;
	while (e && (isop(p, O_MUL) || isop(p, O_DIV) || isop(p, O_FLOORDIV) || isop(p, O_MOD))) {
		int op = cur(p)->op;
		advance(p);
		if (!(b = parse_pow(p)))
			return NULL;
		e = binary(p, E_BIN, op, e, b);
	}
	return e;
}

/* a ~ b ~ c is one node: its operands are joined at once */
static struct expr *
parse_concat(struct parser *p)
{
	struct expr *e = parse_mul(p);
	size_t mark = p->nstk;

	if (!e || !isop(p, O_TILDE))
		return e;
	spush(p, e);
	while (isop(p, O_TILDE)) {
		advance(p);
		struct expr *b = parse_mul(p);
		if (!b)
			return NULL;
		spush(p, b);
	}
	struct expr *c = binary(p, E_CONCAT, O_TILDE, e, p->stk[p->nstk - 1]);
	c->v = (struct expr **)spop(p, mark, &c->n);
	return c;
}

static struct expr *
parse_add(struct parser *p)
{
	struct expr *e = parse_concat(p), *b;
	while (e && (isop(p, O_ADD) || isop(p, O_SUB))) {
		int op = cur(p)->op;
		advance(p);
		if (!(b = parse_concat(p)))
			return NULL;
		e = binary(p, E_BIN, op, e, b);
	}
	return e;
}

/* a < b <= c is a chain: each comparison with the operand before it */
static struct expr *
parse_compare(struct parser *p)
{
	struct expr *e = parse_add(p);
	size_t mark = p->nstk;
	struct buf ops_ = {0};

	if (!e)
		return NULL;
	for (;;) {
		int op;
		const struct tok *t = cur(p);
		if (t->type == T_OP && (t->op == O_EQ || t->op == O_NE || t->op == O_LT || t->op == O_LE ||
					t->op == O_GT || t->op == O_GE)) {
			op = t->op;
			advance(p);
		} else if (iskw(p, KW_IN)) {
			op = O_IN;
			advance(p);
		} else if (iskw(p, KW_NOT) && peek(p, 1)->type == T_NAME && peek(p, 1)->op == KW_IN) {
			op = O_NOTIN;
			advance(p);
			advance(p);
		} else {
			break;
		}
		if (p->nstk == mark)
			spush(p, e);
		struct expr *b = parse_add(p);
		if (!b) {
			buf_free(&ops_);
			return NULL;
		}
		spush(p, b);
		buf_putc(&ops_, (char)op);
	}
	if (p->nstk == mark)
		return e;
	struct expr *c = binary(p, E_CMP, O_NONE, e, p->stk[p->nstk - 1]);
	c->v = (struct expr **)spop(p, mark, &c->n);
	c->ops = arena_alloc(p->a, ops_.len);
	memcpy(c->ops, ops_.data, ops_.len);
	buf_free(&ops_);
	return c;
}

static struct expr *
parse_not(struct parser *p)
{
	if (iskw(p, KW_NOT)) {
		struct expr *e = mkexpr(p, E_NOT, cur(p));
		if (++p->depth > LIM_PDEPTH) {
			perr(p, cur(p)->off, cur(p)->len, "expression nested too deeply (more than %d levels)",
			     LIM_PDEPTH);
			return NULL;
		}
		advance(p);
		if (!(e->a = parse_not(p)))
			return NULL;
		p->depth--;
		return done(p, e);
	}
	return parse_compare(p);
}

static struct expr *
parse_and(struct parser *p)
{
	struct expr *e = parse_not(p), *b;
	while (e && iskw(p, KW_AND)) {
		advance(p);
		if (!(b = parse_not(p)))
			return NULL;
		e = binary(p, E_AND, O_NONE, e, b);
	}
	return e;
}

static struct expr *
parse_or(struct parser *p)
{
	struct expr *e = parse_and(p), *b;
	while (e && iskw(p, KW_OR)) {
		advance(p);
		if (!(b = parse_and(p)))
			return NULL;
		e = binary(p, E_OR, O_NONE, e, b);
	}
	return e;
}

/* `a if cond else b`, the loosest expression */
static struct expr *
parse_expr(struct parser *p)
{
	struct expr *e;

	if (++p->depth > LIM_PDEPTH) {
		perr(p, cur(p)->off, cur(p)->len, "expression nested too deeply (more than %d levels)", LIM_PDEPTH);
		return NULL;
	}
	e = parse_or(p);
	while (e && iskw(p, KW_IF)) {
		struct expr *c = arena_alloc(p->a, sizeof(*c));
		c->k = E_COND;
		c->b = e;
		advance(p);
		if (!(c->a = parse_or(p)))
			return NULL;
		if (iskw(p, KW_ELSE)) {
			advance(p);
			if (!(c->c = parse_expr(p)))
				return NULL;
		}
		c->off = e->off;
		e = done(p, c);
	}
	p->depth--;
	return e;
}

/* ---- statements ---- */

static struct node *
mknode(struct parser *p, int k, const struct tok *at)
{
	struct node *n = arena_alloc(p->a, sizeof(*n));
	n->k = (uint8_t)k;
	n->off = at->off;
	n->len = at->len;
	return n;
}

/* statements up to one of the tags in ends (NULL-terminated), or to the end
 * of the template when ends is NULL. On a match the tag's name is consumed
 * and *which is its index; the caller reads the rest of the tag. */
static bool parse_body(struct parser *p, const char *const *ends, int *which, struct body *out);

/* a block's body, then its end tag; opener is the block's tag for messages */
static bool
parse_block(struct parser *p, const struct tok *opener, const char *const *ends, int *which,
	    struct body *out)
{
	if (!parse_body(p, ends, which, out))
		return false;
	if (*which >= 0)
		return true;
	return perr(p, opener->off, opener->len, "{%% %.*s %%} is never closed: expected {%% %s %%}",
		    (int)opener->len, p->src->text + opener->off, ends[0]);
}

/* assignment targets: a name, or names separated by commas */
static bool
parse_targets(struct parser *p, struct node *n)
{
	size_t mark = p->nstk;
	bool paren = isop(p, O_LPAREN);
	if (paren)
		advance(p);
	for (;;) {
		if (cur(p)->type != T_NAME) {
			char b[64];
			return perr(p, cur(p)->off, cur(p)->len, "expected a variable name, got %s",
				    tokdesc(p, cur(p), b, sizeof(b)));
		}
		spush(p, (void *)tokname(p, cur(p)));
		advance(p);
		if (!isop(p, O_COMMA))
			break;
		n->unpack = true;
		advance(p);
		if (paren && isop(p, O_RPAREN))
			break;
	}
	if (paren && !expect(p, O_RPAREN, "')'"))
		return false;
	n->names = (const char **)spop(p, mark, &n->nnames);
	return true;
}

static const char *const end_if[] = {"endif", "elif", "else", NULL};
static const char *const end_for[] = {"endfor", "else", NULL};
static const char *const end_forelse[] = {"endfor", NULL};

static struct node *
parse_if(struct parser *p, const struct tok *opener)
{
	struct node *n = mknode(p, N_IF, opener);
	int which;

	if (!(n->e = parse_tuple(p, true, false, KW_NONE)) || !expectend(p, T_BEND))
		return NULL;
	if (!parse_block(p, opener, end_if, &which, &n->body))
		return NULL;
	if (which == 1) {
		/* elif: an if inside the else branch */
		const struct tok *at = &p->t[p->pos - 1];
		struct node *in = parse_if(p, at);
		if (!in)
			return NULL;
		n->orelse.v = arena_alloc(p->a, sizeof(*n->orelse.v));
		n->orelse.v[0] = in;
		n->orelse.n = 1;
		return n;
	}
	if (which == 2) {
		static const char *const end_else[] = {"endif", NULL};
		if (!expectend(p, T_BEND) || !parse_block(p, opener, end_else, &which, &n->orelse))
			return NULL;
	}
	return expectend(p, T_BEND) ? n : NULL;
}

static struct node *
parse_for(struct parser *p, const struct tok *opener)
{
	struct node *n = mknode(p, N_FOR, opener);
	int which;

	if (!parse_targets(p, n))
		return NULL;
	if (!iskw(p, KW_IN)) {
		char b[64];
		perr(p, cur(p)->off, cur(p)->len, "expected 'in', got %s", tokdesc(p, cur(p), b, sizeof(b)));
		return NULL;
	}
	advance(p);
	if (!(n->e = parse_tuple(p, false, false, KW_RECURSIVE)))
		return NULL;
	if (iskw(p, KW_IF)) {
		advance(p);
		if (!(n->cond = parse_expr(p)))
			return NULL;
	}
	if (iskw(p, KW_RECURSIVE)) {
		perr(p, cur(p)->off, cur(p)->len, "recursive loops need dbt");
		p->needs_dbt = true;
		return NULL;
	}
	if (!expectend(p, T_BEND))
		return NULL;
	p->loops++;
	if (!parse_block(p, opener, end_for, &which, &n->body))
		return NULL;
	p->loops--;
	if (which == 1 && (!expectend(p, T_BEND) || !parse_block(p, opener, end_forelse, &which, &n->orelse)))
		return NULL;
	return expectend(p, T_BEND) ? n : NULL;
}

/* | name(args) | name ... of a {% set x | f %} or {% filter f %} tag */
static struct expr *
parse_filterchain(struct parser *p, bool first_bar)
{
	struct expr *e = NULL;
	bool bar = first_bar;

	for (;;) {
		if (bar) {
			if (!isop(p, O_PIPE))
				return e;
			advance(p);
		}
		bar = true;
		if (cur(p)->type != T_NAME) {
			char b[64];
			perr(p, cur(p)->off, cur(p)->len, "expected a filter name, got %s",
			     tokdesc(p, cur(p), b, sizeof(b)));
			return NULL;
		}
		struct expr *x = mkexpr(p, E_FILTER, cur(p));
		x->name = tokname(p, cur(p));
		x->op = jinja_find_filter(x->name);
		x->a = e;
		advance(p);
		if (isop(p, O_LPAREN) && !parse_args(p, x))
			return NULL;
		e = x;
	}
}

static struct node *
parse_set(struct parser *p, const struct tok *opener)
{
	struct node *n = mknode(p, N_SET, opener);

	if (cur(p)->type == T_NAME && peek(p, 1)->type == T_OP && peek(p, 1)->op == O_DOT) {
		/* {% set ns.attr = value %} */
		n->k = N_SETATTR;
		n->names = arena_array(p->a, 2, sizeof(*n->names));
		n->names[0] = tokname(p, cur(p));
		advance(p);
		advance(p);
		if (cur(p)->type != T_NAME) {
			perr(p, cur(p)->off, cur(p)->len, "expected an attribute name after '.'");
			return NULL;
		}
		n->names[1] = tokname(p, cur(p));
		n->nnames = 2;
		advance(p);
	} else if (!parse_targets(p, n)) {
		return NULL;
	}
	if (isop(p, O_ASSIGN)) {
		advance(p);
		if (!(n->e = parse_tuple(p, true, false, KW_NONE)) || !expectend(p, T_BEND))
			return NULL;
		return n;
	}
	if (n->k != N_SET || n->nnames != 1) {
		char b[64];
		perr(p, cur(p)->off, cur(p)->len, "expected '=', got %s", tokdesc(p, cur(p), b, sizeof(b)));
		return NULL;
	}
	/* {% set x %}...{% endset %}, perhaps with filters */
	static const char *const end_set[] = {"endset", NULL};
	int which;
	n->k = N_SETBLOCK;
	if (isop(p, O_PIPE) && !(n->e = parse_filterchain(p, true)))
		return NULL;
	if (!expectend(p, T_BEND) || !parse_block(p, opener, end_set, &which, &n->body))
		return NULL;
	return expectend(p, T_BEND) ? n : NULL;
}

static struct node *
parse_macro(struct parser *p, const struct tok *opener)
{
	struct node *n = mknode(p, N_MACRO, opener);
	struct macro *m = arena_alloc(p->a, sizeof(*m)), *outer = p->mac;
	size_t mark = p->nstk;
	int which, loops = p->loops;
	static const char *const end_macro[] = {"endmacro", NULL};

	if (cur(p)->type != T_NAME) {
		char b[64];
		perr(p, cur(p)->off, cur(p)->len, "expected a macro name, got %s", tokdesc(p, cur(p), b, sizeof(b)));
		return NULL;
	}
	m->name = tokname(p, cur(p));
	m->src = p->src;
	m->off = opener->off;
	advance(p);
	if (!expect(p, O_LPAREN, "'('"))
		return NULL;
	while (!isop(p, O_RPAREN)) {
		if (p->nstk > mark && !expect(p, O_COMMA, "',' or ')'"))
			return NULL;
		if (isop(p, O_RPAREN))
			break;
		if (cur(p)->type != T_NAME) {
			char b[64];
			perr(p, cur(p)->off, cur(p)->len, "expected a parameter name, got %s",
			     tokdesc(p, cur(p), b, sizeof(b)));
			return NULL;
		}
		const char *name = tokname(p, cur(p));
		for (size_t i = mark; i < p->nstk; i += 2) {
			if (strcmp(p->stk[i], name) == 0) {
				perr(p, cur(p)->off, cur(p)->len, "duplicate parameter '%s'", name);
				return NULL;
			}
		}
		struct expr *def = NULL;
		advance(p);
		if (isop(p, O_ASSIGN)) {
			advance(p);
			if (!(def = parse_expr(p)))
				return NULL;
		} else if (p->nstk > mark && p->stk[p->nstk - 1]) {
			perr(p, p->t[p->pos - 1].off, p->t[p->pos - 1].len,
			     "parameter without a default follows one with a default");
			return NULL;
		}
		spush(p, (void *)name);
		spush(p, def);
	}
	advance(p);
	uint32_t cnt;
	void **v = spop(p, mark, &cnt);
	m->nparams = cnt / 2;
	if (m->nparams) {
		m->params = arena_array(p->a, m->nparams, sizeof(*m->params));
		m->defaults = arena_array(p->a, m->nparams, sizeof(*m->defaults));
		for (uint32_t i = 0; i < m->nparams; i++) {
			m->params[i] = v[2 * i];
			m->defaults[i] = v[2 * i + 1];
		}
	}
	if (!expectend(p, T_BEND))
		return NULL;
	p->mac = m;
	p->loops = 0;
	if (!parse_block(p, opener, end_macro, &which, &m->body))
		return NULL;
	p->mac = outer;
	p->loops = loops;
	m->len = p->t[p->pos].off + p->t[p->pos].len - m->off;
	n->m = m;
	return expectend(p, T_BEND) ? n : NULL;
}

/* tags dbt renders and dpc does not: a block with its end tag, or one tag */
static const struct {
	const char *tag, *end;
} unsupported[] = {
	{"call", "endcall"}, {"with", "endwith"}, {"autoescape", "endautoescape"},
	{"block", "endblock"}, {"materialization", "endmaterialization"},
	{"test", "endtest"}, {"docs", "enddocs"}, {"snapshot", "endsnapshot"},
	{"include", NULL}, {"import", NULL}, {"from", NULL}, {"extends", NULL},
};

static struct node *
parse_stmt(struct parser *p)
{
	const struct tok *opener, *name;
	struct node *n = NULL;

	advance(p); /* {% */
	name = cur(p);
	opener = name;
	if (name->type != T_NAME) {
		char b[64];
		perr(p, name->off, name->len, "expected a tag name, got %s", tokdesc(p, name, b, sizeof(b)));
		return NULL;
	}
	if (++p->depth > LIM_PDEPTH) {
		perr(p, name->off, name->len, "blocks nested too deeply (more than %d levels)", LIM_PDEPTH);
		return NULL;
	}
	advance(p);
	if (tokis(p, name, "if")) {
		n = parse_if(p, opener);
	} else if (tokis(p, name, "for")) {
		n = parse_for(p, opener);
	} else if (tokis(p, name, "set")) {
		n = parse_set(p, opener);
	} else if (tokis(p, name, "macro")) {
		n = parse_macro(p, opener);
	} else if (tokis(p, name, "do")) {
		n = mknode(p, N_DO, opener);
		if (!(n->e = parse_tuple(p, true, false, KW_NONE)) || !expectend(p, T_BEND))
			return NULL;
	} else if (tokis(p, name, "break") || tokis(p, name, "continue")) {
		if (!p->loops) {
			perr(p, name->off, name->len, "{%% %.*s %%} outside a loop", (int)name->len,
			     p->src->text + name->off);
			return NULL;
		}
		n = mknode(p, tokis(p, name, "break") ? N_BREAK : N_CONTINUE, opener);
		if (!expectend(p, T_BEND))
			return NULL;
	} else if (tokis(p, name, "filter")) {
		static const char *const end_filter[] = {"endfilter", NULL};
		int which;
		n = mknode(p, N_FILTER, opener);
		if (!(n->e = parse_filterchain(p, false)) || !expectend(p, T_BEND) ||
		    !parse_block(p, opener, end_filter, &which, &n->body) || !expectend(p, T_BEND))
			return NULL;
	} else {
		size_t u;
		for (u = 0; u < LEN(unsupported); u++)
			if (tokis(p, name, unsupported[u].tag))
				break;
		if (u == LEN(unsupported)) {
			perr(p, name->off, name->len, "unknown tag '%.*s'", (int)name->len, p->src->text + name->off);
			return NULL;
		}
		/* read past the tag's arguments; a block's body must still parse */
		n = mknode(p, N_UNSUP, opener);
		n->names = arena_alloc(p->a, sizeof(*n->names));
		n->names[0] = unsupported[u].tag;
		n->nnames = 1;
		while (cur(p)->type != T_BEND && cur(p)->type != T_EOF)
			advance(p);
		if (!expectend(p, T_BEND))
			return NULL;
		if (unsupported[u].end) {
			const char *ends[] = {unsupported[u].end, NULL};
			int which, loops = p->loops;
			struct macro *mac = p->mac;
			p->loops = 0;
			if (!parse_block(p, opener, ends, &which, &n->body))
				return NULL;
			while (cur(p)->type != T_BEND && cur(p)->type != T_EOF)
				advance(p);
			if (!expectend(p, T_BEND))
				return NULL;
			p->loops = loops;
			p->mac = mac;
		}
	}
	if (n)
		p->depth--;
	return n;
}

static bool
parse_body(struct parser *p, const char *const *ends, int *which, struct body *out)
{
	size_t mark = p->nstk;

	*which = -1;
	for (;;) {
		const struct tok *t = cur(p);
		struct node *n;
		if (t->type == T_EOF)
			break;
		if (t->type == T_DATA) {
			n = mknode(p, N_DATA, t);
			advance(p);
		} else if (t->type == T_VBEGIN) {
			n = mknode(p, N_OUT, t);
			advance(p);
			if (!(n->e = parse_tuple(p, true, false, KW_NONE)) || !expectend(p, T_VEND))
				return false;
		} else if (t->type == T_BBEGIN) {
			const struct tok *name = peek(p, 1);
			int i;
			for (i = 0; ends && ends[i]; i++)
				if (tokis(p, name, ends[i]))
					break;
			if (ends && ends[i]) {
				advance(p);
				advance(p);
				*which = i;
				break;
			}
			if (name->type == T_NAME && name->len > 3 && memcmp(p->src->text + name->off, "end", 3) == 0)
				return perr(p, name->off, name->len, "unexpected {%% %.*s %%}%s%s%s", (int)name->len,
					    p->src->text + name->off, ends ? ": expected {% " : "",
					    ends ? ends[0] : "", ends ? " %}" : "");
			if ((name->type == T_NAME) && (tokis(p, name, "elif") || tokis(p, name, "else")))
				return perr(p, name->off, name->len, "unexpected {%% %.*s %%}", (int)name->len,
					    p->src->text + name->off);
			if (!(n = parse_stmt(p)))
				return false;
		} else {
			char b[64];
			return perr(p, t->off, t->len, "unexpected %s", tokdesc(p, t, b, sizeof(b)));
		}
		spush(p, n);
	}
	out->v = (struct node **)spop(p, mark, &out->n);
	return true;
}

/* lex and parse src into body, in the arena a; on error, adds it to r */
bool
jinja_parse(const struct src *src, struct arena *a, struct body *body, struct jj_result *r)
{
	struct parser p = {.src = src, .n = src->len, .a = a};
	int which;
	bool ok;

	/* Jinja drops one newline at the very end (keep_trailing_newline off) */
	if (p.n && src->text[p.n - 1] == '\n')
		p.n -= p.n > 1 && src->text[p.n - 2] == '\r' ? 2 : 1;
	else if (p.n && src->text[p.n - 1] == '\r')
		p.n--;
	ok = lex(&p) && parse_body(&p, NULL, &which, body);
	if (!ok && r)
		jinja_adderr(r, src, p.eoff, p.elen, p.needs_dbt, p.emsg);
	free(p.t);
	free(p.stk);
	return ok;
}
