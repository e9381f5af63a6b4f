/* test_pgschema.c: tests of the migration reader (pgschema.c) and the
 * schema differ (pgdiff.c).
 *
 * Tables of SQL in, model listing or notes out; type spellings and
 * narrowing; the round trip that makes "no difference, no file" hold:
 * for several models M, the migration from nothing to M, read back, is M
 * again (diff(read(render(diff(empty, M))), M) has no step); destructive
 * and concurrently-alone steps; what dpc leaves alone; default privileges
 * and the grants of new tables; what each step is about. Then the folders
 * under tests/pgschema/ (see tests/pgschema/README), compared with their
 * expected files; UPDATE_GOLDEN=1 rewrites those.
 *
 * Build (from the repository root):
 *   cc -std=c11 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -g -O1 -fsanitize=address,undefined
 *      -Icompiler -Ibuild $(pkg-config --cflags yaml-0.1 libcjson libxxhash sqlite3)
 *      tests/unit/test_pgschema.c compiler/pgschema.c compiler/pgdiff.c compiler/util.c
 *      compiler/diag.c $(pkg-config --libs yaml-0.1 libcjson libxxhash sqlite3) -pthread
 * Run from the repository root, or give the data folder as the argument. */
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "pgdiff.h"
#include "pgschema.h"
#include "util.h"

static int npass, nfail;

static void fail(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(int line, const char *fmt, ...)
{
	va_list ap;
	nfail++;
	fprintf(stderr, "FAIL test_pgschema.c:%d: ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define CHECK(cond, ...)                              \
	do {                                          \
		if (cond)                             \
			npass++;                      \
		else                                  \
			fail(__LINE__, __VA_ARGS__);  \
	} while (0)

static bool
streq(const char *a, const char *b)
{
	return strcmp(a ? a : "(null)", b ? b : "(null)") == 0;
}

#define CHECKSTR(got, want, what)                                                         \
	CHECK(streq((got), (want)), "%s:\n--- want\n%s\n--- got\n%s", (what), (want) ? (want) : "(null)", \
	      (got) ? (got) : "(null)")

/* read sql as the file name into m; returns the number skipped */
static size_t
readsql(struct pg_model *m, struct diags *d, const char *name, const char *sql, bool owned)
{
	struct pg_file f = {name, sql, strlen(sql), -1, owned};
	return pgschema_read(m, d, &f);
}

/* the model's listing; owned by the caller */
static char *
dump(const struct pg_model *m)
{
	struct buf b = {0};
	pg_model_dump(m, &b);
	return buf_take(&b);
}

/* "line:col: message" of every diagnostic, one a line; owned by the caller */
static char *
notes(struct diags *d)
{
	struct buf b = {0};
	for (size_t i = 0; i < d->n; i++) {
		unsigned line = 0, col = 0;
		diag_linecol(d, d->v[i].loc, &line, &col);
		buf_printf(&b, "%u:%u: %s%s\n", line, col, d->v[i].sev == SEV_WARNING ? "warning: " : "",
			   d->v[i].msg);
	}
	return buf_take(&b);
}

/* ---- reading: SQL in, listing and notes out ---- */

struct readcase {
	const char *name;
	const char *sql;
	const char *model; /* the listing, origins included (file "t.sql") */
	const char *notes; /* "line:col: message" lines, or "" */
};

static const struct readcase readcases[] = {
	{"dollar quotes hide ; and other tags",
	 "create function f() returns int language sql as $body$ select 1; $$ not the end $$ $body$;\n"
	 "create table t (a int);",
	 "table public.t  @t.sql:2:1\n"
	 "  column a integer  @t.sql:2:17\n"
	 "function public.f()  @t.sql:1:1\n",
	 ""},
	{"nested comments, -- comments with quotes",
	 "/* outer /* inner ; */ still ; comment */ create table t (\n"
	 "  a int -- it's; fine\n"
	 ");",
	 "table public.t  @t.sql:1:43\n"
	 "  column a integer  @t.sql:2:3\n",
	 ""},
	{"quoted identifiers keep ; and case",
	 "CREATE TABLE \"We;ird\"\"s\" (\"A;b\" INT, Plain INT);",
	 "table public.\"We;ird\"\"s\"  @t.sql:1:1\n"
	 "  column \"A;b\" integer  @t.sql:1:27\n"
	 "  column plain integer  @t.sql:1:38\n",
	 ""},
	{"string escapes: '' and E'\\''",
	 "create table t (a text default 'it''s; here', b text default E'it\\'s; \\\\', c int);",
	 "table public.t  @t.sql:1:1\n"
	 "  column a text default 'it''s; here'  @t.sql:1:17\n"
	 "  column b text default e'it\\'s; \\\\'  @t.sql:1:47\n"
	 "  column c integer  @t.sql:1:76\n",
	 ""},
	{"begin atomic bodies keep their ;",
	 "create function g(a int) returns int language sql begin atomic select a; select a + 1; end;\n"
	 "create table t (a int)",
	 "table public.t  @t.sql:2:1\n"
	 "  column a integer  @t.sql:2:17\n"
	 "function public.g(integer)  @t.sql:1:1\n",
	 ""},
	{"unterminated dollar quote stops the file",
	 "create table t (a int);\ndo $$ begin\n  select 1;\n",
	 "table public.t  @t.sql:1:1\n"
	 "  column a integer  @t.sql:1:17\n",
	 "2:4: warning: unterminated dollar-quoted string; the rest of the file is not read\n"},
	{"column constraints",
	 "create table if not exists app.orders (\n"
	 "  id bigint generated by default as identity (start with 100) primary key,\n"
	 "  customer uuid not null references auth.users on delete set null on update cascade,\n"
	 "  code varchar(12) constraint code_ok check (code ~ '^[A-Z]+$') unique,\n"
	 "  total numeric(10, 2) default 0 not null,\n"
	 "  doubled numeric generated always as (total * 2) stored,\n"
	 "  \"order\" int null\n"
	 ");",
	 "schema app\n"
	 "table app.orders  @t.sql:1:1\n"
	 "  column id bigint generated by default as identity (start with 100)  @t.sql:2:3\n"
	 "  column customer uuid not null  @t.sql:3:3\n"
	 "  column code character varying(12)  @t.sql:4:3\n"
	 "  column total numeric(10,2) not null default 0  @t.sql:5:3\n"
	 "  column doubled numeric generated always as (total * 2) stored  @t.sql:6:3\n"
	 "  column \"order\" integer  @t.sql:7:3\n"
	 "  constraint orders_pkey: primary key (id)  @t.sql:2:63\n"
	 "  constraint orders_customer_fkey: foreign key (customer) references auth.users on delete set null on update cascade  @t.sql:3:26\n"
	 "  constraint code_ok (named): check (code ~ '^[A-Z]+$')  @t.sql:4:20\n"
	 "  constraint orders_code_key: unique (code)  @t.sql:4:65\n",
	 ""},
	{"table constraints and default names",
	 "create table t (a int, b text, c int,\n"
	 "  constraint t_pk primary key (a, b),\n"
	 "  unique (b, c), check (c > 0), check (a < c),\n"
	 "  foreign key (c) references t (a) on delete cascade);",
	 "table public.t  @t.sql:1:1\n"
	 "  column a integer not null  @t.sql:1:17\n"
	 "  column b text not null  @t.sql:1:24\n"
	 "  column c integer  @t.sql:1:32\n"
	 "  constraint t_pk (named): primary key (a, b)  @t.sql:2:3\n"
	 "  constraint t_b_c_key: unique (b, c)  @t.sql:3:3\n"
	 "  constraint t_c_check: check (c > 0)  @t.sql:3:18\n"
	 "  constraint t_check: check (a < c)  @t.sql:3:33\n"
	 "  constraint t_c_fkey: foreign key (c) references public.t (a) on delete cascade  @t.sql:4:3\n",
	 ""},
	{"alter table actions",
	 "create table t (a int, b text default 'x', c int);\n"
	 "alter table only public.t\n"
	 "  add column if not exists d timestamptz not null default now(),\n"
	 "  add e int8 unique,\n"
	 "  drop column if exists c cascade,\n"
	 "  alter column a type bigint using a::bigint,\n"
	 "  alter column a set not null,\n"
	 "  alter b drop default,\n"
	 "  alter column a add generated always as identity,\n"
	 "  add constraint a_pos check (a > 0),\n"
	 "  enable row level security;\n"
	 "alter table t rename column b to body;\n"
	 "alter table t drop constraint a_pos;\n"
	 "alter table t rename to things;\n"
	 "alter table things owner to postgres;",
	 "table public.things rls  @t.sql:1:1\n"
	 "  column a bigint generated always as identity  @t.sql:1:17\n"
	 "  column body text  @t.sql:1:24\n"
	 "  column d timestamp with time zone not null default now()  @t.sql:3:28\n"
	 "  column e bigint  @t.sql:4:7\n"
	 "  constraint t_e_key: unique (e)  @t.sql:4:14\n",
	 ""},
	{"indexes",
	 "create extension if not exists vector with schema extensions;\n"
	 "create table docs (id int, body text, embedding vector(3), created_at date);\n"
	 "create index concurrently if not exists docs_emb on docs using hnsw (embedding extensions.vector_cosine_ops) with (m=16, ef_construction = 64);\n"
	 "create index docs_ivf on public.docs using ivfflat (embedding vector_l2_ops) with (lists = 100);\n"
	 "create unique index on docs (lower(body), created_at desc nulls last) where id > 0;\n"
	 "create index docs_gin on docs using gin (to_tsvector('english', body));\n"
	 "create index docs_tmp on docs (id);\n"
	 "drop index if exists docs_tmp, nothing_here;",
	 "schema extensions\n"
	 "extension vector schema extensions  @t.sql:1:1\n"
	 "table public.docs  @t.sql:2:1\n"
	 "  column id integer  @t.sql:2:20\n"
	 "  column body text  @t.sql:2:28\n"
	 "  column embedding extensions.vector(3)  @t.sql:2:39\n"
	 "  column created_at date  @t.sql:2:60\n"
	 "create index docs_emb on public.docs using hnsw (embedding extensions.vector_cosine_ops) with (m = 16, ef_construction = 64)  @t.sql:3:1\n"
	 "create index docs_ivf on public.docs using ivfflat (embedding extensions.vector_l2_ops) with (lists = 100)  @t.sql:4:1\n"
	 "create unique index docs_expr_created_at_idx on public.docs (lower(body), created_at desc nulls last) where id > 0  @t.sql:5:1\n"
	 "create index docs_gin on public.docs using gin (to_tsvector('english', body))  @t.sql:6:1\n",
	 ""},
	{"policies, grants, realtime",
	 "create table t (id int, owner uuid);\n"
	 "alter table t enable row level security;\n"
	 "create policy \"Owners read\" on t for select to authenticated, anon using ( owner = auth.uid() );\n"
	 "create policy p2 on t as restrictive for insert with check (owner IS NOT NULL);\n"
	 "create policy gone on t;\n"
	 "drop policy if exists gone on t;\n"
	 "grant select, insert, update on table t to authenticated;\n"
	 "grant all privileges on t to service_role;\n"
	 "revoke update on t from authenticated;\n"
	 "alter publication supabase_realtime add table t;",
	 "table public.t rls realtime  @t.sql:1:1\n"
	 "  column id integer  @t.sql:1:17\n"
	 "  column owner uuid  @t.sql:1:25\n"
	 "  create policy \"Owners read\" on public.t for select to anon, authenticated using (owner = auth.uid())  @t.sql:3:1\n"
	 "  create policy p2 on public.t as restrictive for insert to public with check (owner is not null)  @t.sql:4:1\n"
	 "  grant authenticated: select, insert  @t.sql:9:25\n"
	 "  grant service_role: all  @t.sql:8:30\n",
	 ""},
	{"realtime in dpc's guard and in other guards",
	 "create table a (id int); create table b (id int); create table c (id int);\n"
	 "do $$\nbegin\n  if not exists (select 1 from pg_catalog.pg_publication_tables\n"
	 "    where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'a') then\n"
	 "    alter publication supabase_realtime add table public.a;\n  end if;\nend\n$$;\n"
	 "do $x$ begin alter publication supabase_realtime add table b, c;\n"
	 "exception when duplicate_object then null; end $x$ language plpgsql;\n"
	 "alter publication supabase_realtime drop table c;",
	 "table public.a realtime  @t.sql:1:1\n"
	 "  column id integer  @t.sql:1:17\n"
	 "table public.b realtime  @t.sql:1:26\n"
	 "  column id integer  @t.sql:1:42\n"
	 "table public.c  @t.sql:1:51\n"
	 "  column id integer  @t.sql:1:67\n",
	 ""},
	{"extensions, functions, schemas, drops",
	 "create schema if not exists private;\n"
	 "create extension pgcrypto;\n"
	 "create extension if not exists pg_trgm with schema extensions version '1.6' cascade;\n"
	 "create or replace function private.f(a int, out b int, variadic c text[]) returns int language sql as 'select 1';\n"
	 "create function f(x double precision) returns int language sql as 'select 1';\n"
	 "create function f2() returns int language sql as 'select 1';\n"
	 "drop function f2();\n"
	 "create function f3(int) returns int language sql as 'select 1';\n"
	 "create function f3() returns int language sql as 'select 1';\n"
	 "drop function f3();\n"
	 "create table t (id int); create table u (t_id int references t (id));\n"
	 "drop table t cascade;\n"
	 "drop extension pgcrypto;",
	 "schema private\n"
	 "schema extensions\n"
	 "extension pg_trgm schema extensions  @t.sql:3:1\n"
	 "table public.u  @t.sql:11:26\n"
	 "  column t_id integer  @t.sql:11:42\n"
	 "function private.f(integer, text[])  @t.sql:4:1\n"
	 "function public.f(double precision)  @t.sql:5:1\n"
	 "function public.f3(integer)  @t.sql:8:1\n",
	 ""},
	{"serial columns are integers with a sequence",
	 "create table s (id serial primary key, n bigserial, m int8 not null default nextval('public.s_m_seq'::regclass));",
	 "table public.s  @t.sql:1:1\n"
	 "  column id serial  @t.sql:1:17\n"
	 "  column n bigserial  @t.sql:1:40\n"
	 "  column m bigserial  @t.sql:1:53\n"
	 "  constraint s_pkey: primary key (id)  @t.sql:1:27\n",
	 ""},
	{"notes: not understood, unknown tables, parts ignored",
	 "create table t (a int);\n"
	 "\n"
	 "   create trigger trg before insert on t for each row execute function f();\n"
	 "create view v as select 1;\n"
	 "comment on table t is 'a ; table';\n"
	 "alter table missing add column b int;\n"
	 "alter table if exists missing add column b int;\n"
	 "create index i on missing (a);\n"
	 "insert into t values (1);\n"
	 "alter table t add column c text collate \"C\", add column d int deferrable, frobnicate;\n"
	 "set search_path = app;\n"
	 "set statement_timeout = 0;\n"
	 "create table t (a int);\n"
	 "create table t2 (a int, exclude using gist (a with =));\n",
	 "table public.t  @t.sql:1:1\n"
	 "  column a integer  @t.sql:1:17\n"
	 "  column c text  @t.sql:10:26\n"
	 "  column d integer  @t.sql:10:57\n"
	 "table public.t2  @t.sql:14:1\n"
	 "  column a integer  @t.sql:14:18\n",
	 "3:4: statement not understood, skipped: create trigger trg before insert on t for each row execute f \xe2\x80\xa6\n"
	 "4:1: statement not understood, skipped: create view v as select 1\n"
	 "5:1: statement not understood, skipped: comment on table t is 'a ; table'\n"
	 "6:13: table missing is not defined by the migrations before; statement skipped\n"
	 "8:19: table missing is not defined by the migrations before; statement skipped\n"
	 "9:1: statement not understood, skipped: insert into t values (1)\n"
	 "10:33: not modeled, ignored: collate \"C\"\n"
	 "10:63: not modeled, ignored: deferrable\n"
	 "10:75: alter table action not understood, skipped: frobnicate\n"
	 "11:1: statement not understood, skipped: set search_path = app\n"
	 "13:1: table t exists already; statement skipped\n"
	 "14:25: table element not understood, skipped: exclude using gist (a with =)\n"},
};

static void
test_read(void)
{
	for (size_t i = 0; i < LEN(readcases); i++) {
		const struct readcase *c = &readcases[i];
		struct diags d = {0};
		struct pg_model *m = pg_model_new();
		readsql(m, &d, "t.sql", c->sql, false);
		char *got = dump(m), *gotn = notes(&d);
		CHECKSTR(got, c->model, c->name);
		CHECKSTR(gotn, c->notes, c->name);
		free(got);
		free(gotn);
		pg_model_free(m);
		diag_free(&d);
	}
}

/* ---- types ---- */

static void
test_types(void)
{
	static const char *const canon[][2] = {
		{"int", "integer"}, {"INT4", "integer"}, {"integer", "integer"},
		{"int8", "bigint"}, {"int2", "smallint"}, {"bool", "boolean"},
		{"varchar(20)", "character varying(20)"}, {"character varying", "character varying"},
		{"char", "character(1)"}, {"char(3)", "character(3)"}, {"bpchar", "bpchar"}, {"bpchar(2)", "character(2)"}, {"\"char\"", "\"char\""},
		{"timestamptz", "timestamp with time zone"}, {"timestamp(3) with time zone", "timestamp(3) with time zone"},
		{"timestamp", "timestamp without time zone"}, {"timetz(2)", "time(2) with time zone"},
		{"float8", "double precision"}, {"float", "double precision"}, {"float(10)", "real"},
		{"double precision", "double precision"}, {"decimal(10,2)", "numeric(10,2)"},
		{"numeric(5)", "numeric(5,0)"}, {"numeric", "numeric"}, {"text[]", "text[]"},
		{"int[3][]", "integer[]"}, {"text array", "text[]"}, {"extensions.vector(1536)", "vector(1536)"},
		{"vector(3)", "vector(3)"}, {"public.halfvec(8)", "halfvec(8)"},
		{"pg_catalog.int4", "integer"}, {"public.mood", "mood"}, {"app.Mood", "app.mood"},
		{"app.\"Mood\"", "app.\"Mood\""}, {"\"extensions\".\"vector\"(3)", "vector(3)"},
		{"\"uuid\"", "uuid"}, {"\"text\"[]", "text[]"}, {"interval day to second", "interval day to second"},
		{"serial8", "bigserial"}, {"jsonb", "jsonb"}, {"bit varying(4)", "bit varying(4)"},
		{"national character varying(3)", "character varying(3)"},
	};
	for (size_t i = 0; i < LEN(canon); i++) {
		char *got = pg_type_normalize(canon[i][0]);
		CHECKSTR(got, canon[i][1], canon[i][0]);
		free(got);
	}
	static const char *const bad[] = {"", "int,", "varchar(", "double", "int; drop table x", "(int)"};
	for (size_t i = 0; i < LEN(bad); i++) {
		char *got = pg_type_normalize(bad[i]);
		CHECK(!got, "'%s' should not be a type, got %s", bad[i], got);
		free(got);
	}
	static const struct {
		const char *from, *to;
		bool narrowing;
	} narrow[] = {
		{"int", "int4", false}, {"integer", "bigint", false}, {"smallint", "integer", false},
		{"bigint", "integer", true}, {"integer", "smallint", true},
		{"integer", "numeric", false}, {"integer", "numeric(12,2)", false}, {"integer", "numeric(10,2)", true},
		{"bigint", "double precision", true}, {"integer", "double precision", false},
		{"real", "double precision", false}, {"double precision", "real", true},
		{"text", "varchar(10)", true}, {"varchar(20)", "varchar(10)", true},
		{"varchar(10)", "varchar(20)", false}, {"varchar(10)", "text", false},
		{"varchar(10)", "varchar", false}, {"text", "varchar", false},
		{"numeric(10,2)", "numeric(12,2)", false}, {"numeric(10,2)", "numeric(10,3)", true},
		{"numeric(10,2)", "numeric(9,2)", true}, {"numeric(10,2)", "numeric", false},
		{"numeric", "numeric(30,10)", true}, {"timestamp(3)", "timestamp", false},
		{"timestamp", "timestamp(3)", true}, {"timestamp", "timestamptz", true},
		{"vector(3)", "vector(4)", true}, {"json", "jsonb", true}, {"text", "integer", true},
		{"integer", "text", true}, {"int[]", "bigint[]", false}, {"int[]", "int", true},
		{"char(3)", "text", true}, {"mood", "text", true}, {"nonsense(", "text", true},
	};
	for (size_t i = 0; i < LEN(narrow); i++)
		CHECK(pg_type_narrowing(narrow[i].from, narrow[i].to) == narrow[i].narrowing,
		      "%s -> %s should %sbe narrowing", narrow[i].from, narrow[i].to,
		      narrow[i].narrowing ? "" : "not ");
}

/* ---- models built through the API ---- */

static void
build_app(struct pg_model *m)
{
	pg_extension_add(m, "vector", "extensions");
	struct pg_table *fb = pg_table_add(m, NULL, "ride_feedback");
	struct pg_column *c = pg_column_add(m, fb, "id", "bigint");
	pg_column_identity(c, PG_IDENTITY_BY_DEFAULT);
	pg_column_add(m, fb, "ride_id", "int8")->not_null = true;
	c = pg_column_add(m, fb, "user_id", "uuid");
	c->not_null = true;
	pg_column_default(m, c, "auth.uid()");
	pg_column_add(m, fb, "rating", "int2");
	pg_column_add(m, fb, "body", "text")->not_null = true;
	c = pg_column_add(m, fb, "created_at", "timestamptz");
	c->not_null = true;
	pg_column_default(m, c, "NOW()");
	pg_column_add(m, fb, "embedding", "extensions.vector(1536)");
	pg_column_default(m, pg_column_add(m, fb, "tags", "text[]"), "'{}'::text[]");
	pg_primary_key_add(m, fb, NULL, (const char *[]){"id"}, 1);
	pg_check_add(m, fb, NULL, "rating between 1 and 5");
	pg_foreign_key_add(m, fb, NULL, (const char *[]){"ride_id"}, 1, NULL, "rides",
			   (const char *[]){"id"}, 1, "cascade");
	pg_foreign_key_add(m, fb, NULL, (const char *[]){"user_id"}, 1, "auth", "users", NULL, 0, NULL);
	fb->rls = true;
	fb->realtime = true;
	pg_policy_add(m, fb, "Riders read their feedback", PG_CMD_SELECT, (const char *[]){"authenticated"}, 1,
		      "user_id = auth.uid()", NULL);
	pg_policy_add(m, fb, "Riders write feedback", PG_CMD_INSERT, (const char *[]){"authenticated"}, 1,
		      NULL, "user_id = (select auth.uid())");
	pg_policy_add(m, fb, "service", PG_CMD_ALL, (const char *[]){"service_role"}, 1, "true", "true");
	pg_grant_add(m, fb, "authenticated", PG_PRIV_SELECT | PG_PRIV_INSERT);
	pg_grant_add(m, fb, "service_role", PG_PRIV_ALL);

	struct pg_table *rides = pg_table_add(m, "public", "rides");
	pg_column_identity(pg_column_add(m, rides, "id", "bigint"), PG_IDENTITY_ALWAYS);
	pg_column_add(m, rides, "started_at", "timestamp(3) with time zone");
	pg_column_add(m, rides, "station_id", "int");
	pg_column_default(m, pg_column_add(m, rides, "price", "numeric(10,2)"), "0");
	pg_column_add(m, rides, "name", "varchar(80)");
	pg_primary_key_add(m, rides, NULL, (const char *[]){"id"}, 1);
	pg_unique_add(m, rides, NULL, (const char *[]){"name"}, 1);

	struct pg_index *ix = pg_index_add(m, NULL, "ride_feedback_embedding_idx", "ride_feedback", "hnsw",
					   (const char *[]){"embedding extensions.vector_cosine_ops"}, 1);
	pg_index_with(m, ix, "m = 16, ef_construction = 64");
	ix = pg_index_add(m, NULL, "ride_feedback_embedding_ivf", "ride_feedback", "ivfflat",
			  (const char *[]){"embedding vector_l2_ops"}, 1);
	pg_index_with(m, ix, "lists = 100");
	ix = pg_index_add(m, NULL, "ride_feedback_recent", "ride_feedback", NULL,
			  (const char *[]){"ride_id", "created_at DESC"}, 2);
	pg_index_where(m, ix, "rating is not null");
	pg_index_add(m, NULL, "rides_lower_name", "rides", NULL, (const char *[]){"lower(name)"}, 1)->unique = true;
	pg_index_add(m, NULL, "ride_feedback_user", "ride_feedback", NULL, (const char *[]){"user_id"}, 1)
		->concurrent = true;
	pg_model_sql(m, "create or replace function public.match_feedback(query extensions.vector(1536), k int default 5)\n"
			"returns setof public.ride_feedback language sql stable as $$\n"
			"  select * from public.ride_feedback order by embedding <=> query limit k;\n$$;");
}

static void
build_odd(struct pg_model *m)
{
	struct pg_table *a = pg_table_add(m, "app", "A Table");
	struct pg_table *b = pg_table_add(m, "app", "b");
	pg_column_add(m, a, "id", "int");
	pg_column_add(m, a, "b_id", "int");
	pg_column_add(m, a, "user", "text");
	pg_column_add(m, a, "Order", "int");
	pg_column_add(m, b, "id", "int");
	pg_column_add(m, b, "a_id", "int");
	pg_column_add(m, b, "parent", "int");
	struct pg_column *c = pg_column_add(m, b, "seq", "bigint");
	pg_column_identity(c, PG_IDENTITY_ALWAYS);
	c->identity_opts = "start with 100 increment by 2"; /* options are not compared */
	pg_column_generated(m, pg_column_add(m, b, "double_id", "int"), "id * 2");
	pg_column_add(m, b, "k1", "text");
	pg_column_add(m, b, "k2", "text");
	pg_primary_key_add(m, a, "a_primary", (const char *[]){"id"}, 1);
	pg_primary_key_add(m, b, NULL, (const char *[]){"id"}, 1);
	pg_unique_add(m, b, NULL, (const char *[]){"k1", "k2"}, 2);
	/* a cycle, and a key to itself */
	pg_foreign_key_add(m, a, NULL, (const char *[]){"b_id"}, 1, "app", "b", NULL, 0, "set null");
	pg_foreign_key_add(m, b, "b_to_a", (const char *[]){"a_id"}, 1, "app", "A Table", (const char *[]){"id"}, 1,
			   NULL);
	pg_foreign_key_add(m, b, NULL, (const char *[]){"parent"}, 1, "app", "b", NULL, 0, "cascade");
	pg_check_add(m, a, "order_positive", "\"Order\" > 0 AND \"user\" <> ''");
	pg_policy_add(m, a, "everyone", PG_CMD_ALL, NULL, 0, NULL, NULL);
	a->rls = true;
	pg_grant_add(m, b, "anon", PG_PRIV_SELECT);
	pg_grant_add(m, b, "authenticated", PG_PRIV_SELECT | PG_PRIV_UPDATE | PG_PRIV_REFERENCES);
	b->realtime = true;
	pg_model_sql(m, "create function app.touch(\"Who\" text) returns text language plpgsql as $f$ begin return \"Who\"; end $f$");
	pg_index_add(m, "app", "b_k", "b", NULL, (const char *[]){"k1 text_pattern_ops", "k2"}, 2);
}

static void
build_small(struct pg_model *m)
{
	pg_extension_add(m, "pg_trgm", NULL);
	struct pg_table *t = pg_table_add(m, NULL, "notes");
	pg_column_add(m, t, "id", "bigserial");
	pg_column_add(m, t, "body", "varchar");
	pg_primary_key_add(m, t, NULL, (const char *[]){"id"}, 1);
}

/* the migrations from nothing to m, then from there to m again: none */
static void
roundtrip(const char *what, void (*build)(struct pg_model *))
{
	struct pg_model *want = pg_model_new(), *empty = pg_model_new(), *back = pg_model_new();
	struct diags d = {0};
	struct pg_plan p = {0};
	struct buf sql = {0};
	build(want);
	pgdiff(empty, want, NULL, &p);
	CHECK(p.nsteps > 0, "%s: no steps from nothing", what);
	CHECK(!pg_plan_destructive(&p), "%s: creating is not destructive", what);
	pg_plan_render(&p, &sql);
	if (getenv("TEST_PGSCHEMA_SHOW")) /* to look at, or to try on a real server */
		printf("--@@ %s\n%s", what, sql.data);
	size_t skipped = readsql(back, &d, "main.sql", sql.data, true);
	for (size_t i = 0; i < p.nsteps; i++)
		if (p.steps[i].alone) {
			skipped += readsql(back, &d, "alone.sql", p.steps[i].sql, true);
			if (getenv("TEST_PGSCHEMA_SHOW"))
				printf("--@@ %s, alone\n%s", what, p.steps[i].sql);
		}
	char *n = notes(&d);
	CHECK(skipped == 0 && d.n == 0, "%s: the rendered migration reads with notes:\n%s\n%s", what, n,
	      sql.data);
	free(n);
	struct pg_plan again = {0};
	pgdiff(back, want, &(struct pg_diff_opts){.drop_unowned = true}, &again);
	if (again.nsteps) {
		struct buf r = {0};
		pg_plan_render(&again, &r);
		fail(__LINE__, "%s: round trip gives %zu steps, first %s:\n%s\n--- from\n%s", what,
		     again.nsteps, again.steps[0].desc, r.data ? r.data : "", sql.data);
		buf_free(&r);
	} else {
		npass++;
	}
	CHECK(pg_models_equal(want, want), "%s: a model equals itself", what);
	CHECK(pg_models_equal(want, back) && pg_models_equal(back, want), "%s: both ways", what);
	/* and back to nothing: everything dpc made goes */
	struct pg_plan down = {0};
	pgdiff(back, empty, NULL, &down);
	struct pg_model *none = pg_model_new();
	struct buf dsql = {0};
	pg_plan_render(&down, &dsql);
	if (getenv("TEST_PGSCHEMA_SHOW"))
		printf("--@@ %s, down\n%s", what, dsql.data ? dsql.data : "");
	readsql(back, &d, "down.sql", dsql.data ? dsql.data : "", true);
	CHECK(back->ntables == 0 && back->nindexes == 0 && back->nfuncs == 0 && back->nexts == 0,
	      "%s: dropping everything leaves %zu tables:\n%s", what, back->ntables, dsql.data);
	CHECK(d.n == 0, "%s: the drop migration reads with notes", what);
	pg_model_free(none);
	buf_free(&dsql);
	pg_plan_free(&down);
	pg_plan_free(&again);
	pg_plan_free(&p);
	buf_free(&sql);
	diag_free(&d);
	pg_model_free(want);
	pg_model_free(empty);
	pg_model_free(back);
}

static const struct pg_step *
findstep(const struct pg_plan *p, const char *desc)
{
	for (size_t i = 0; i < p->nsteps; i++)
		if (strstr(p->steps[i].desc, desc))
			return &p->steps[i];
	return NULL;
}

/* a migration already applied; the spec then changes */
static void
test_changes(void)
{
	static const char *const before =
		"create table t (id bigint primary key, a int, b text, c varchar(20), d numeric(8,2) default 0);\n"
		"create index t_a_idx on t (a);\n"
		"create policy reads on t for select using (c <> '');\n"
		"create table old (id int);\n";
	for (int owned = 0; owned < 2; owned++) {
		struct pg_model *cur = pg_model_new(), *want = pg_model_new();
		struct diags d = {0};
		readsql(cur, &d, "0001.sql", before, owned);
		struct pg_table *t = pg_table_add(want, NULL, "t");
		pg_column_add(want, t, "id", "int8");
		pg_column_add(want, t, "a", "bigint");                 /* widening */
		pg_column_add(want, t, "c", "varchar(10)");            /* narrowing */
		pg_column_default(want, pg_column_add(want, t, "d", "numeric(12,2)"), "1");
		pg_column_add(want, t, "e", "text");                   /* new */
		pg_primary_key_add(want, t, NULL, (const char *[]){"id"}, 1);
		pg_policy_add(want, t, "reads", PG_CMD_SELECT, NULL, 0, "c <> ''", NULL);
		pg_index_add(want, NULL, "t_e_idx", "t", NULL, (const char *[]){"e"}, 1)->concurrent = true;
		struct pg_plan p = {0};
		pgdiff(cur, want, NULL, &p);
		const struct pg_step *s;
		s = findstep(&p, "drop column t.b");
		CHECK(owned ? s && s->destructive : !s, "owned %d: drop column t.b", owned);
		s = findstep(&p, "drop table old");
		CHECK(owned ? s && s->destructive : !s, "owned %d: drop table old", owned);
		s = findstep(&p, "drop index t_a_idx");
		CHECK(owned ? s && !s->destructive : !s, "owned %d: drop index is not destructive", owned);
		s = findstep(&p, "integer to bigint) of t.a");
		CHECK(s && !s->destructive && !strstr(s->sql, "using"), "widening a is not destructive");
		s = findstep(&p, "of t.c");
		CHECK(s && s->destructive &&
			      strstr(s->sql, "alter column c type character varying(10) using c::character varying(10)"),
		      "narrowing c: %s", s ? s->sql : "none");
		s = findstep(&p, "add column t.e");
		CHECK(s && !s->destructive, "add column");
		s = findstep(&p, "create index t_e_idx");
		CHECK(s && s->alone && strstr(s->sql, "create index concurrently if not exists t_e_idx") &&
			      p.steps[p.nsteps - 1].alone,
		      "concurrent index alone and last");
		/* the policy uses c, whose type changes: dropped first, made again */
		CHECK(findstep(&p, "drop policy reads on t") && findstep(&p, "create policy reads on t"),
		      "a policy in the way of a type change is remade");
		/* d: a default that would not cast is dropped before the type change */
		size_t dd = p.nsteps, dt = p.nsteps, ds = p.nsteps;
		for (size_t i = 0; i < p.nsteps; i++) {
			if (strstr(p.steps[i].desc, "drop default of t.d"))
				dd = i;
			if (strstr(p.steps[i].desc, "of t.d") && strstr(p.steps[i].desc, "change type"))
				dt = i;
			if (strstr(p.steps[i].desc, "set default of t.d"))
				ds = i;
		}
		CHECK(dd < dt && dt < ds && ds < p.nsteps, "default dropped, type changed, default set");
		CHECK(pg_plan_destructive(&p), "the plan is destructive");
		CHECK(p.nkept == (owned ? 0u : 3u), "owned %d: %zu kept", owned, p.nkept);
		if (!owned)
			CHECK(p.nkept == 3 && strstr(p.kept[0].desc, "table old is not in the spec") &&
				      p.kept[0].at.line == 4 && p.kept[0].at.col == 1,
			      "kept: %s", p.nkept ? p.kept[0].desc : "");
		struct pg_plan all = {0};
		pgdiff(cur, want, &(struct pg_diff_opts){.drop_unowned = true}, &all);
		CHECK(findstep(&all, "drop column t.b") && all.nkept == 0, "drop_unowned drops");
		/* apply it: the result is what was wanted */
		struct buf sql = {0};
		pg_plan_render(&all, &sql);
		readsql(cur, &d, "0002.sql", sql.data, true);
		for (size_t i = 0; i < all.nsteps; i++)
			if (all.steps[i].alone)
				readsql(cur, &d, "0003.sql", all.steps[i].sql, true);
		CHECK(d.n == 0 && pg_models_equal(cur, want), "after the migration, nothing left:\n%s", sql.data);
		buf_free(&sql);
		pg_plan_free(&all);
		pg_plan_free(&p);
		diag_free(&d);
		pg_model_free(cur);
		pg_model_free(want);
	}
}

/* a hand-written serial key becomes the spec's identity column */
static void
test_serial_to_identity(void)
{
	struct pg_model *cur = pg_model_new(), *want = pg_model_new();
	struct diags d = {0};
	readsql(cur, &d, "0001.sql", "create table t (id bigserial primary key, n serial);", false);
	struct pg_table *t = pg_table_add(want, NULL, "t");
	pg_column_identity(pg_column_add(want, t, "id", "bigint"), PG_IDENTITY_BY_DEFAULT);
	pg_column_add(want, t, "n", "serial");
	pg_primary_key_add(want, t, NULL, (const char *[]){"id"}, 1);
	struct pg_plan p = {0};
	struct buf b = {0};
	pgdiff(cur, want, NULL, &p);
	pg_plan_render(&p, &b);
	CHECKSTR(b.data, "alter table public.t alter column id drop default;\n"
			 "\n"
			 "alter table public.t alter column id add generated by default as identity;\n",
		 "serial to identity");
	CHECK(!pg_plan_destructive(&p), "serial to identity is not destructive");
	buf_free(&b);
	pg_plan_free(&p);
	diag_free(&d);
	pg_model_free(cur);
	pg_model_free(want);
}

/* every prefix of some inputs, and pathological ones: no crash, no leak,
 * no read out of bounds (the sanitizers watch) */
static void
test_stress(void)
{
	static const char *const inputs[] = {
		"create table t (a int default 1, b text check (b <> 'x'), primary key (a));\n"
		"create index on t using hnsw (b extensions.vector_cosine_ops) with (m = 4) where a > 0;\n"
		"do $$ begin if not exists (select 1) then alter publication supabase_realtime add table t; end if; end $$;\n"
		"create policy p on t for select to anon using (a = 1) with check (true);\n"
		"grant all on t to anon; revoke select on t from anon;\n"
		"alter table t add column c int, drop column b, alter column a type bigint, rename column a to z;\n"
		"create function f(x int) returns int language sql begin atomic select x; end;\n"
		"comment on table t is E'\\'; /* a */ --';\ndrop table t cascade;",
		"((((((((((((((((((((((((((((((",
		"))))))))) ;;;;;; $ $1 $$ $a $a$ e' b'01' x'1f' n'' \"\" \"",
		"/* /* /* */ */",
		"create table t (",
		"create table t (a int,,,) ; alter table t add ; create index on t ();",
		"do $$ begin if then end $$; do $$ $$; do 'x';",
		"create function f() returns int begin atomic case when true then 1 end; end",
	};
	for (size_t k = 0; k < LEN(inputs); k++) {
		size_t n = strlen(inputs[k]);
		for (size_t len = 0; len <= n; len++) {
			struct pg_model *m = pg_model_new();
			struct diags d = {0};
			char *text = xstrndup(inputs[k], len);
			struct pg_file f = {"s.sql", text, len, -1, false};
			pgschema_read(m, &d, &f);
			char *x = dump(m);
			free(x);
			free(text);
			diag_free(&d);
			pg_model_free(m);
		}
	}
	/* bytes a text may hold: NULs, invalid UTF-8 */
	static const char bin[] = "create table \0t (\xff\xfe int, \"\x80\" text);\0;'\0'";
	struct pg_model *m = pg_model_new();
	struct diags d = {0};
	struct pg_file f = {"b.sql", bin, sizeof(bin) - 1, -1, false};
	pgschema_read(m, &d, &f);
	CHECK(d.n > 0, "binary input gives notes");
	diag_free(&d);
	pg_model_free(m);
	/* deep nesting and long inputs finish */
	struct buf deep = {0};
	buf_puts(&deep, "create table t (a int check (");
	for (int i = 0; i < 100000; i++)
		buf_putc(&deep, '(');
	buf_puts(&deep, "a");
	for (int i = 0; i < 100000; i++)
		buf_putc(&deep, ')');
	buf_puts(&deep, "));");
	m = pg_model_new();
	readsql(m, NULL, "deep.sql", deep.data, false);
	CHECK(m->ntables == 1 && m->tables[0]->ncons == 1 && streq(m->tables[0]->cons[0]->check, "a"),
	      "deep nesting reads");
	pg_model_free(m);
	buf_free(&deep);
}

/* no difference, no steps, no text */
static void
test_nothing(void)
{
	struct pg_model *a = pg_model_new(), *b = pg_model_new();
	struct pg_plan p = {0};
	struct buf out = {0};
	pgdiff(a, b, NULL, &p);
	pg_plan_render(&p, &out);
	CHECK(p.nsteps == 0 && out.len == 0, "empty to empty");
	pg_plan_free(&p);
	build_app(a);
	build_app(b);
	pgdiff(a, b, NULL, &p);
	pg_plan_render(&p, &out);
	CHECK(p.nsteps == 0 && out.len == 0, "same to same: %zu steps", p.nsteps);
	pg_plan_free(&p);
	buf_free(&out);
	pg_model_free(a);
	pg_model_free(b);
}

/* builders refuse what they cannot represent */
static void
test_builders(void)
{
	struct pg_model *m = pg_model_new();
	struct pg_table *t = pg_table_add(m, NULL, "t");
	CHECK(!pg_table_add(m, "public", "t"), "a table twice");
	CHECK(pg_column_add(m, t, "a", "int") && !pg_column_add(m, t, "a", "text"), "a column twice");
	CHECK(!pg_column_add(m, t, "b", "not a type("), "a bad type");
	CHECK(!pg_column_default(m, t->cols[0], "1); drop table t; (") &&
		      !pg_column_default(m, t->cols[0], "(1"),
	      "an expression that is not one");
	CHECK(!pg_primary_key_add(m, t, NULL, (const char *[]){"zz"}, 1), "a key on no column");
	CHECK(pg_primary_key_add(m, t, NULL, (const char *[]){"a"}, 1) && t->cols[0]->not_null,
	      "a primary key makes not null");
	CHECK(!pg_primary_key_add(m, t, NULL, (const char *[]){"a"}, 1), "a second primary key");
	CHECK(!pg_index_add(m, NULL, "i", "nope", NULL, (const char *[]){"a"}, 1), "an index on no table");
	CHECK(pg_index_add(m, NULL, "i", "t", NULL, (const char *[]){"a"}, 1) &&
		      !pg_index_add(m, NULL, "i", "t", NULL, (const char *[]){"a"}, 1),
	      "an index name twice");
	CHECK(!pg_model_sql(m, "create view v as select 1"), "sql not understood");
	static const char *const wraps[][2] = {
		{"((a > 0))", "a > 0"}, {"(a) + (b)", "(a) + (b)"}, {"((a) + (b))", "(a) + (b)"},
		{"(((a)) = (b))", "((a)) = (b)"}, {"(f(x))", "f(x)"}, {"(a)", "a"}, {"a", "a"},
	};
	for (size_t i = 0; i < LEN(wraps); i++) {
		struct pg_constraint *c = pg_check_add(m, t, NULL, wraps[i][0]);
		CHECKSTR(c ? c->check : NULL, wraps[i][1], wraps[i][0]);
	}
	pg_model_free(m);
}

/* the plan from cur to want, rendered; owned by the caller */
/* step st is about table (public), column and index (NULL: none) */
static bool
subj(const struct pg_step *st, const char *table, const char *column, const char *index)
{
	return streq(st->schema, "public") && streq(st->table, table) && streq(st->column, column) &&
	       streq(st->index, index);
}

static char *
render(const struct pg_model *cur, const struct pg_model *want, struct pg_plan *p)
{
	struct buf b = {0};
	*p = (struct pg_plan){0};
	pgdiff(cur, want, NULL, p);
	pg_plan_render(p, &b);
	return buf_take(&b);
}

/* alter default privileges: what new tables get, read and used by pgdiff */
static void
test_default_privileges(void)
{
	struct diags d = {0};
	struct pg_model *cur = pg_model_new();
	readsql(cur, &d, "platform.sql",
		"alter default privileges in schema public grant all on tables to anon, authenticated;\n"
		"alter default privileges for role postgres grant select on tables to auditor;\n"
		"alter default privileges in schema public revoke truncate, trigger on tables from authenticated;\n"
		"alter default privileges for role someone_else grant all on tables to anon;\n"
		"alter default privileges in schema public grant execute on functions to anon;\n",
		false);
	CHECK(d.n == 2, "two statements skipped with a note (another role; functions): %zu", d.n);
	CHECK(pg_default_privs(cur, NULL, "anon") == PG_PRIV_ALL, "anon: all in public");
	CHECK(pg_default_privs(cur, "public", "authenticated") ==
		      (PG_PRIV_ALL & ~(PG_PRIV_TRUNCATE | PG_PRIV_TRIGGER)),
	      "authenticated: all but truncate and trigger");
	CHECK(pg_default_privs(cur, "private", "anon") == 0, "nothing in another schema");
	CHECK(pg_default_privs(cur, "private", "auditor") == PG_PRIV_SELECT, "in every schema");

	/* a table a migration creates gets them, at its origin */
	readsql(cur, &d, "t.sql", "create table public.t (a int);\nrevoke all on t from anon;\n", false);
	char *got = dump(cur);
	CHECK(strstr(got, "  grant authenticated: select, insert, update, delete, references  @t.sql:1:1\n") &&
		      strstr(got, "  grant auditor: select  @t.sql:1:1\n") && !strstr(got, "grant anon"),
	      "created with the defaults, then revoked:\n%s", got);
	CHECK(strstr(got, "default privileges in schema public on tables to anon: all  @platform.sql:1:1\n") != NULL,
	      "the listing shows them:\n%s", got);
	free(got);

	/* a new table: pgdiff revokes what the defaults give and the wanted
	 * table lacks, and grants only what they do not give */
	struct pg_model *want = pg_model_new();
	struct pg_table *t = pg_table_add(want, NULL, "t");
	pg_column_add(want, t, "a", "int");
	struct pg_table *u = pg_table_add(want, NULL, "u");
	pg_column_add(want, u, "a", "int");
	pg_grant_add(want, u, "authenticated", PG_PRIV_SELECT);
	pg_grant_add(want, u, "service_role", PG_PRIV_ALL);
	pg_grant_add(want, u, "auditor", PG_PRIV_SELECT);
	struct pg_plan p;
	char *sql = render(cur, want, &p);
	CHECK(strstr(sql, "revoke all on table public.u from anon;\n") &&
		      strstr(sql, "revoke insert, update, delete, references on table public.u from authenticated;\n") &&
		      strstr(sql, "grant all on table public.u to service_role;\n") &&
		      !strstr(sql, "to auditor") && !strstr(sql, "to authenticated"),
	      "a new table's grants against the defaults:\n%s", sql);
	/* t exists: its grants are its own, and dpc made none of them */
	CHECK(strstr(sql, "on table public.t") == NULL, "an existing table's grants stay:\n%s", sql);
	free(sql);

	/* the migration read back gives the wanted grants */
	struct pg_model *back = pg_model_new();
	readsql(back, &d, "platform.sql", "alter default privileges in schema public grant all on tables to anon, authenticated;\n"
		"alter default privileges for role postgres grant select on tables to auditor;\n"
		"alter default privileges in schema public revoke truncate, trigger on tables from authenticated;\n", false);
	struct buf mig = {0};
	pg_plan_render(&p, &mig);
	pg_plan_free(&p);
	struct pg_model *want2 = pg_model_new();
	u = pg_table_add(want2, NULL, "u");
	pg_column_add(want2, u, "a", "int");
	pg_grant_add(want2, u, "authenticated", PG_PRIV_SELECT);
	pg_grant_add(want2, u, "service_role", PG_PRIV_ALL);
	pg_grant_add(want2, u, "auditor", PG_PRIV_SELECT);
	readsql(back, &d, "m.sql", mig.data ? mig.data : "", true);
	sql = render(back, want2, &p);
	CHECK(strstr(sql, "public.u") == NULL, "read back, u is as wanted:\n%s", sql);
	free(sql);
	pg_plan_free(&p);
	buf_free(&mig);
	pg_model_free(want2);
	pg_model_free(back);
	pg_model_free(want);
	pg_model_free(cur);
	diag_free(&d);
}

/* what each step is about: the table, column or index */
static void
test_subjects(void)
{
	struct diags d = {0};
	struct pg_model *cur = pg_model_new(), *want = pg_model_new();
	readsql(cur, &d, "c.sql",
		"create table t (a int, b varchar(20), c text);\ncreate table gone (x int);\n"
		"create index t_c on t (c);\n", true);
	struct pg_table *t = pg_table_add(want, NULL, "t");
	pg_column_add(want, t, "a", "int");
	pg_column_add(want, t, "b", "varchar(10)");
	pg_index_add(want, NULL, "t_a", "t", NULL, (const char *[]){"a"}, 1)->concurrent = true;
	struct pg_plan p;
	char *sql = render(cur, want, &p);
	int seen = 0;
	for (size_t i = 0; i < p.nsteps; i++) {
		const struct pg_step *st = &p.steps[i];
		if (strcmp(st->desc, "drop table gone") == 0)
			seen += subj(st, "gone", NULL, NULL) && st->destructive;
		else if (strcmp(st->desc, "drop column t.c") == 0)
			seen += subj(st, "t", "c", NULL) && st->destructive;
		else if (strncmp(st->desc, "change type", 11) == 0)
			seen += subj(st, "t", "b", NULL) && st->destructive;
		else if (strncmp(st->desc, "create index t_a", 16) == 0)
			seen += subj(st, "t", NULL, "t_a") && st->alone;
	}
	CHECK(seen == 4, "the steps name what they are about (%d of 4):\n%s", seen, sql);
	free(sql);
	pg_plan_free(&p);
	pg_model_free(cur);
	pg_model_free(want);
	diag_free(&d);
}

/* ---- the folders under tests/pgschema ---- */

static char *
slurp(const char *path)
{
	char *text = NULL;
	size_t len;
	return read_file(path, (size_t)1 << 24, &text, &len) == 0 ? text : NULL;
}

static void
golden(const char *path, const char *got, const char *what)
{
	if (getenv("UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");
		if (f) {
			fputs(got, f);
			fclose(f);
		}
	}
	char *want = slurp(path);
	CHECKSTR(got, want ? want : "(missing file)", what);
	free(want);
}

/* the .sql files of dir/migrations in name order; a file that starts
 * "-- generated by dpc" is owned */
static void
foldercase(const char *dir)
{
	char *mdir = xasprintf("%s/migrations", dir);
	struct dirent **ents;
	int n = scandir(mdir, &ents, NULL, alphasort);
	struct pg_model *cur = pg_model_new();
	struct diags d = {0};
	d.root = NULL;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(ents[i]->d_name);
		if (l > 4 && strcmp(ents[i]->d_name + l - 4, ".sql") == 0) {
			char *path = xasprintf("%s/%s", mdir, ents[i]->d_name);
			char *text = slurp(path);
			if (text) {
				size_t eol = strcspn(text, "\n");
				char save = text[eol];
				text[eol] = '\0';
				bool owned = strncmp(text, "-- generated by dpc", 19) == 0;
				text[eol] = save;
				struct pg_file f = {path + strlen(dir) + 1, text, strlen(text), -1, owned};
				pgschema_read(cur, &d, &f);
			}
			free(text);
			free(path);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	CHECK(n > 0, "%s: no migrations", dir);
	char *got = dump(cur), *p;
	golden(p = xasprintf("%s/model.expected", dir), got, dir);
	free(p);
	free(got);
	got = notes(&d);
	golden(p = xasprintf("%s/notes.expected", dir), got, dir);
	free(p);
	free(got);
	char *wantpath = xasprintf("%s/want.sql", dir), *wanttext = slurp(wantpath);
	if (wanttext) {
		struct pg_model *want = pg_model_new();
		struct diags wd = {0};
		struct pg_file f = {"want.sql", wanttext, strlen(wanttext), -1, true};
		CHECK(pgschema_read(want, &wd, &f) == 0, "%s: want.sql reads without notes", dir);
		struct pg_plan plan = {0};
		pgdiff(cur, want, NULL, &plan);
		struct buf b = {0};
		pg_plan_render(&plan, &b);
		for (size_t i = 0; i < plan.nsteps; i++)
			if (plan.steps[i].alone)
				buf_printf(&b, "\n-- own file: %s\n%s", plan.steps[i].desc, plan.steps[i].sql);
		for (size_t i = 0; i < plan.nkept; i++)
			buf_printf(&b, "%s-- kept: %s (%s:%u:%u)\n", i ? "" : "\n", plan.kept[i].desc,
				   plan.kept[i].at.file, plan.kept[i].at.line, plan.kept[i].at.col);
		golden(p = xasprintf("%s/migration.expected", dir), b.data ? b.data : "", dir);
		free(p);
		/* once applied, the migration leaves nothing to do */
		struct buf sql = {0};
		pg_plan_render(&plan, &sql);
		struct pg_file g = {"next.sql", sql.data ? sql.data : "", sql.len, -1, true};
		pgschema_read(cur, &wd, &g);
		for (size_t i = 0; i < plan.nsteps; i++)
			if (plan.steps[i].alone) {
				struct pg_file h = {"alone.sql", plan.steps[i].sql, strlen(plan.steps[i].sql), -1, true};
				pgschema_read(cur, &wd, &h);
			}
		struct pg_plan after = {0};
		pgdiff(cur, want, NULL, &after);
		CHECK(after.nsteps == 0 && after.nkept == plan.nkept && wd.n == 0,
		      "%s: after the migration, %zu steps (first: %s)", dir, after.nsteps,
		      after.nsteps ? after.steps[0].desc : "");
		pg_plan_free(&after);
		buf_free(&sql);
		buf_free(&b);
		pg_plan_free(&plan);
		diag_free(&wd);
		pg_model_free(want);
	}
	free(wanttext);
	free(wantpath);
	free(mdir);
	diag_free(&d);
	pg_model_free(cur);
}

static void
test_folders(const char *root)
{
	struct dirent **ents;
	int n = scandir(root, &ents, NULL, alphasort);
	int cases = 0;
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			char *dir = xasprintf("%s/%s", root, ents[i]->d_name);
			char *m = xasprintf("%s/migrations", dir);
			DIR *probe = opendir(m);
			if (probe) {
				closedir(probe);
				foldercase(dir);
				cases++;
			}
			free(m);
			free(dir);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	CHECK(cases > 0, "no test folders under %s", root);
}

int
main(int argc, char **argv)
{
	test_read();
	test_types();
	test_builders();
	roundtrip("app", build_app);
	roundtrip("odd names and cycles", build_odd);
	roundtrip("small", build_small);
	test_nothing();
	test_changes();
	test_serial_to_identity();
	test_stress();
	test_default_privileges();
	test_subjects();
	test_folders(argc > 1 ? argv[1] : "tests/pgschema");
	printf("test_pgschema: %d passed, %d failed\n", npass, nfail);
	return nfail != 0;
}
