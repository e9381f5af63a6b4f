/* analyze_sql.c: the tables a plain SQL script (one not in a dbt project or
 * a migrations folder) writes and reads, for `dpc analyze`.
 *
 * A small tokenizer, not regular expressions: comments (-- and nested block
 * comments), string literals ('...', E'...' with backslash escapes, $tag$...$tag$) and
 * quoted names ("...", `...`) are read whole, so a FROM inside them is never
 * taken for one. Then, statement by statement:
 *
 *   writes  CREATE [OR REPLACE] [UNLOGGED|MATERIALIZED|...] TABLE|VIEW
 *           [IF NOT EXISTS] x (with or without AS SELECT), INSERT INTO x,
 *           INSERT OVERWRITE [TABLE] x, UPDATE x, DELETE FROM x, MERGE INTO
 *           x, COPY x FROM, SELECT ... INTO x
 *   reads   FROM x [, y ...], JOIN x, USING x (MERGE, DELETE)
 *
 * Not reads: names of the statement's CTEs, the FROM inside a function call
 * (EXTRACT(YEAR FROM d), SUBSTRING(s FROM 2)), IS DISTINCT FROM, table
 * functions (FROM generate_series(...)), temporary tables the script makes,
 * and tables the script itself writes (so that a script which builds a table
 * and reads it back is not a cycle). Unquoted names are folded to lower
 * case, as PostgreSQL does. */
#include <stdlib.h>
#include <string.h>

#include "analyze_int.h"

enum tk { K_WORD, K_QUOTED, K_DOT, K_COMMA, K_LP, K_RP, K_SEMI, K_OTHER };

struct tok {
	enum tk k;
	uint32_t off, len;
};

static bool
wordchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '$' || c >= 0x80;
}

/* the end of a $tag$ opening at i, or 0 if none opens there */
static size_t
dollartag(const char *s, size_t n, size_t i)
{
	size_t j = i + 1;
	while (j < n && s[j] != '$' && (wordchar((unsigned char)s[j]) && s[j] != '$'))
		j++;
	if (j < n && s[j] == '$' && !(j > i + 1 && s[i + 1] >= '0' && s[i + 1] <= '9'))
		return j + 1;
	return 0;
}

static struct tok *
lex(const char *s, size_t n, size_t *count)
{
	struct tok *v = NULL;
	size_t nv = 0, cap = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t start = i;
		enum tk k = K_OTHER;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			i++;
			continue;
		}
		if (c == '-' && i + 1 < n && s[i + 1] == '-') {
			while (i < n && s[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < n && s[i + 1] == '*') {
			int depth = 0;
			while (i < n) {
				if (s[i] == '/' && i + 1 < n && s[i + 1] == '*')
					depth++, i += 2;
				else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
					i += 2;
					if (--depth == 0)
						break;
				} else
					i++;
			}
			continue;
		}
		if (c == '\'' || ((c == 'E' || c == 'e') && i + 1 < n && s[i + 1] == '\'')) {
			bool esc = c != '\'';
			i += esc ? 2 : 1;
			while (i < n) {
				if (esc && s[i] == '\\')
					i += 2;
				else if (s[i] == '\'' && i + 1 < n && s[i + 1] == '\'')
					i += 2;
				else if (s[i++] == '\'')
					break;
			}
			k = K_OTHER;
		} else if (c == '$' && dollartag(s, n, i)) {
			size_t end = dollartag(s, n, i), tl = end - i;
			i = end;
			while (i < n && !(s[i] == '$' && i + tl <= n && memcmp(s + i, s + start, tl) == 0))
				i++;
			i = i + tl <= n ? i + tl : n;
		} else if (c == '"' || c == '`') {
			i++;
			while (i < n) {
				if (s[i] == (char)c && i + 1 < n && s[i + 1] == (char)c)
					i += 2;
				else if (s[i++] == (char)c)
					break;
			}
			k = K_QUOTED;
		} else if (wordchar(c) && !(c >= '0' && c <= '9')) {
			while (i < n && wordchar((unsigned char)s[i]))
				i++;
			k = K_WORD;
		} else {
			i++;
			k = c == '.' ? K_DOT : c == ',' ? K_COMMA : c == '(' ? K_LP : c == ')' ? K_RP : c == ';' ? K_SEMI : K_OTHER;
			if (c >= '0' && c <= '9')
				while (i < n && (wordchar((unsigned char)s[i]) || s[i] == '.'))
					i++;
		}
		VEC_PUSH(v, nv, cap);
		v[nv++] = (struct tok){k, (uint32_t)start, (uint32_t)(i - start)};
	}
	*count = nv;
	return v;
}

struct sc {
	const char *s;
	struct tok *t;
	size_t n;
	struct an_worker *w;
	struct an_job *j;
	struct an_lines lines;
	struct strmap temps;   /* temporary tables of the script */
	struct strmap ctes;    /* CTE names of the statement */
	struct strmap written; /* every table the script writes */
	struct an_ref *writes, *reads;
	size_t nwrites, nreads, capw, capr;
};

static bool
is(const struct sc *c, size_t i, const char *word)
{
	if (i >= c->n || c->t[i].k != K_WORD || strlen(word) != c->t[i].len)
		return false;
	for (size_t k = 0; k < c->t[i].len; k++) {
		char a = c->s[c->t[i].off + k];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != word[k])
			return false;
	}
	return true;
}

static bool
isany(const struct sc *c, size_t i, const char *const *words, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (is(c, i, words[k]))
			return true;
	return false;
}

/* words that end a FROM list or cannot be a table's alias */
static const char *const clause_end[] = {
	"where", "group", "order", "having", "limit", "offset", "window", "qualify", "union", "intersect",
	"except", "returning", "set", "values", "select", "on", "using", "join", "inner", "left", "right",
	"full", "cross", "natural", "outer", "lateral", "fetch", "for", "into", "as", "when", "then", "do",
	"tablesample", "with", "from", "and", "or", "not", "pivot", "unpivot",
};

static bool
isname(const struct sc *c, size_t i)
{
	return i < c->n && (c->t[i].k == K_WORD || c->t[i].k == K_QUOTED);
}

/* a dotted name at *i, folded and joined, or NULL; *i moves past it */
static char *
name(struct sc *c, size_t *i)
{
	if (!isname(c, *i))
		return NULL;
	struct buf b = {0};
	for (;;) {
		const struct tok *t = &c->t[*i];
		if (t->k == K_QUOTED) {
			char q = c->s[t->off];
			for (uint32_t k = 1; k + 1 < t->len; k++) {
				buf_putc(&b, c->s[t->off + k]);
				if (c->s[t->off + k] == q)
					k++; /* a doubled quote is one */
			}
		} else {
			for (uint32_t k = 0; k < t->len; k++) {
				char a = c->s[t->off + k];
				buf_putc(&b, a >= 'A' && a <= 'Z' ? (char)(a - 'A' + 'a') : a);
			}
		}
		(*i)++;
		if (*i + 1 < c->n && c->t[*i].k == K_DOT && isname(c, *i + 1)) {
			buf_putc(&b, '.');
			(*i)++;
			continue;
		}
		break;
	}
	if (!b.data)
		buf_putc(&b, '\0');
	return buf_take(&b);
}

static void
record(struct sc *c, bool write, char *nm, size_t at)
{
	struct an_ref **v = write ? &c->writes : &c->reads;
	size_t *nv = write ? &c->nwrites : &c->nreads, *cap = write ? &c->capw : &c->capr;
	for (size_t k = 0; k < *nv; k++)
		if (strcmp((*v)[k].a, nm) == 0) {
			free(nm);
			return;
		}
	VEC_PUSH(*v, *nv, *cap);
	const char *s = arena_strdup(&c->w->a, nm);
	(*v)[(*nv)++] = (struct an_ref){s, NULL, an_place(&c->lines, c->j->path, c->t[at].off)};
	if (write)
		strmap_put(&c->written, s, (void *)1);
	free(nm);
}

/* a table name at *i that the statement writes */
static void
writes(struct sc *c, size_t *i, bool temp)
{
	if (is(c, *i, "if") && is(c, *i + 1, "not") && is(c, *i + 2, "exists"))
		*i += 3;
	if (is(c, *i, "only") || is(c, *i, "table"))
		(*i)++;
	size_t at = *i;
	char *nm = name(c, i);
	if (!nm)
		return;
	if (temp || strmap_get(&c->temps, nm)) {
		if (temp && !strmap_get(&c->temps, nm))
			strmap_put(&c->temps, arena_strdup(&c->w->a, nm), (void *)1);
		free(nm);
		return;
	}
	record(c, true, nm, at);
}

/* a table reference at *i that the statement reads (FROM, JOIN, USING) */
static void
reads(struct sc *c, size_t *i)
{
	while (is(c, *i, "only") || is(c, *i, "lateral"))
		(*i)++;
	size_t at = *i;
	if (!isname(c, *i) || isany(c, *i, clause_end, LEN(clause_end)))
		return;
	char *nm = name(c, i);
	if (*i < c->n && c->t[*i].k == K_LP) { /* a table function */
		free(nm);
		return;
	}
	if (strmap_get(&c->ctes, nm) || strmap_get(&c->temps, nm)) {
		free(nm);
		return;
	}
	record(c, false, nm, at);
}

/* past the parenthesised tokens at k (a column list), or k when there are
 * none */
static size_t
pastparens(const struct sc *c, size_t k, size_t to)
{
	if (k < to && c->t[k].k == K_LP) {
		int d = 0;
		do {
			d += c->t[k].k == K_LP ? 1 : c->t[k].k == K_RP ? -1 : 0;
			k++;
		} while (k < to && d > 0);
	}
	return k;
}

/* what opened a parenthesis */
enum paren { P_SUB, P_CALL, P_CTE };

static void
statement(struct sc *c, size_t from, size_t to)
{
	enum paren stack[128];
	bool list[129] = {false}; /* per level: inside a FROM list */
	size_t depth = 0;
	bool cte_next = false;    /* a CTE's name comes next */
	bool cte_body = false;    /* the next ( opens a CTE's body */
	bool select_into = is(c, from, "select") || is(c, from, "with");
	strmap_free(&c->ctes);
	for (size_t i = from; i < to;) {
		const struct tok *t = &c->t[i];
		if (t->k == K_LP) {
			enum paren p = P_SUB;
			if (i > from && c->t[i - 1].k == K_WORD && !isany(c, i - 1, clause_end, LEN(clause_end)) &&
			    !is(c, i - 1, "in") && !is(c, i - 1, "exists") && !is(c, i - 1, "any") && !is(c, i - 1, "all"))
				p = P_CALL;
			if (cte_body)
				p = P_CTE, cte_body = false, cte_next = false;
			if (depth < LEN(stack))
				stack[depth] = p;
			depth++;
			if (depth < LEN(list))
				list[depth] = false;
			i++;
			continue;
		}
		if (t->k == K_RP) {
			enum paren p = depth && depth <= LEN(stack) ? stack[depth - 1] : P_SUB;
			if (depth)
				depth--;
			i++;
			/* after a CTE's body: another CTE, or the statement */
			if (p == P_CTE && i < to && c->t[i].k == K_COMMA)
				i++, cte_next = true;
			continue;
		}
		bool call = depth && depth <= LEN(stack) && stack[depth - 1] == P_CALL;
		bool *inlist = depth < LEN(list) ? &list[depth] : &list[LEN(list) - 1];
		if (t->k == K_COMMA && *inlist && !call) {
			i++;
			reads(c, &i);
			continue;
		}
		if (t->k != K_WORD) {
			i++;
			continue;
		}
		if (is(c, i, "with") && !call) {
			i++;
			if (is(c, i, "recursive"))
				i++;
			cte_next = true;
		}
		if (cte_next && isname(c, i) && !isany(c, i, clause_end, LEN(clause_end)) && !is(c, i, "select") &&
		    !is(c, i, "insert") && !is(c, i, "update") && !is(c, i, "delete") && !is(c, i, "merge")) {
			/* name [(columns)] AS [NOT] [MATERIALIZED] ( */
			size_t k = i;
			char *nm = name(c, &k);
			k = pastparens(c, k, to);
			if (is(c, k, "as")) {
				strmap_put(&c->ctes, arena_strdup(&c->w->a, nm), (void *)1);
				free(nm);
				k++;
				if (is(c, k, "not"))
					k++;
				if (is(c, k, "materialized"))
					k++;
				i = k; /* at the body's ( */
				cte_body = true;
				continue;
			}
			free(nm);
			cte_next = false;
		}
		if (cte_next && (is(c, i, "select") || is(c, i, "insert") || is(c, i, "update") || is(c, i, "delete") ||
				 is(c, i, "merge")))
			cte_next = false;
		if (is(c, i, "create")) {
			static const char *const mods[] = {"or", "replace", "temp", "temporary", "unlogged", "global",
							   "local", "materialized", "recursive", "transient", "secure",
							   "external", "volatile", "multiset"};
			bool temp = false;
			i++;
			while (isany(c, i, mods, LEN(mods))) {
				temp |= is(c, i, "temp") || is(c, i, "temporary") || is(c, i, "volatile");
				i++;
			}
			if (is(c, i, "table") || is(c, i, "view")) {
				i++;
				writes(c, &i, temp);
			}
			continue;
		}
		if (is(c, i, "insert") && !call) {
			i++;
			if (is(c, i, "into") || is(c, i, "overwrite"))
				i++;
			writes(c, &i, false);
			continue;
		}
		if (is(c, i, "merge") && is(c, i + 1, "into")) {
			i += 2;
			writes(c, &i, false);
			continue;
		}
		if ((is(c, i, "update") || is(c, i, "delete") || is(c, i, "copy")) &&
		    (i == from || c->t[i - 1].k == K_RP)) {
			bool del = is(c, i, "delete"), copy = is(c, i, "copy");
			i++;
			if (del && is(c, i, "from"))
				i++;
			size_t k = i;
			char *nm = name(c, &k);
			free(nm);
			k = pastparens(c, k, to);
			if (!copy || is(c, k, "from"))
				writes(c, &i, false);
			if (copy && is(c, k, "from"))
				i = k + 2; /* FROM 'file', STDIN or PROGRAM: not a table */
			continue;
		}
		if (is(c, i, "into") && select_into && !call && i > from && !is(c, i - 1, "insert") &&
		    !is(c, i - 1, "merge")) {
			i++;
			if (is(c, i, "temp") || is(c, i, "temporary")) {
				i++;
				if (is(c, i, "table"))
					i++;
				writes(c, &i, true);
			} else {
				writes(c, &i, false);
			}
			continue;
		}
		if (is(c, i, "from") && !call && !(i > from && is(c, i - 1, "distinct"))) {
			i++;
			reads(c, &i);
			*inlist = true;
			continue;
		}
		if ((is(c, i, "join") || (is(c, i, "using") && !(i + 1 < to && c->t[i + 1].k == K_LP))) && !call) {
			i++;
			reads(c, &i);
			continue;
		}
		if (isany(c, i, clause_end, 11) || is(c, i, "select"))
			*inlist = false;
		i++;
	}
}

void
script_job(struct an_worker *w, struct an_job *j, const char *text, size_t len)
{
	struct sc c = {.s = text, .w = w, .j = j};
	an_lines_init(&c.lines, text, len);
	c.t = lex(text, len, &c.n);
	for (size_t i = 0; i < c.n;) {
		size_t e = i;
		while (e < c.n && c.t[e].k != K_SEMI)
			e++;
		statement(&c, i, e);
		i = e + 1;
	}
	struct an_scriptres *r = arena_alloc(&w->a, sizeof(*r));
	r->writes = arena_array(&w->a, c.nwrites + 1, sizeof(*r->writes));
	if (c.nwrites)
		memcpy(r->writes, c.writes, c.nwrites * sizeof(*c.writes));
	r->nwrites = c.nwrites;
	r->reads = arena_array(&w->a, c.nreads + 1, sizeof(*r->reads));
	for (size_t i = 0; i < c.nreads; i++)
		if (!strmap_get(&c.written, c.reads[i].a))
			r->reads[r->nreads++] = c.reads[i];
	j->res = r;
	free(c.writes);
	free(c.reads);
	free(c.t);
	strmap_free(&c.temps);
	strmap_free(&c.ctes);
	strmap_free(&c.written);
	an_lines_free(&c.lines);
}
