-- bootstrap.sql: the parts of a Supabase database that migrations may rely on,
-- written for dpc's tests (it is not Supabase's own init script).
--
-- Applied once per database before any migration, by pg.sh (PostgreSQL 15) and by
-- pglite.mjs (PGlite). Idempotent: roles are cluster-wide, so every creation is guarded,
-- and running it again on the same database changes nothing.
--
-- What it gives, as a hosted Supabase project does:
--   roles      anon, authenticated (nologin noinherit), service_role (nologin noinherit
--              bypassrls), authenticator (login noinherit, member of the three)
--   schemas    auth, extensions (usage granted to the three API roles)
--   public     usage for the API roles, and default privileges: all on tables, sequences
--              and functions that the migrating role creates in public
--   auth.uid() the uuid in setting request.jwt.claim.sub, else the "sub" of the json in
--              request.jwt.claims; auth.role() and auth.jwt() alike
--   auth.users a minimal table (id uuid primary key, email text)
--   supabase_realtime  an empty publication (tables are added by migrations)
--   extensions uuid-ossp and pgcrypto, in schema extensions
--   search_path "$user", public, extensions for the migrating role, as on Supabase
--
-- Not here: storage, realtime's own schema, pg_graphql, pg_net, vault, the supabase_*
-- admin roles. A migration that needs them is outside what the judges can prove.

do $bootstrap$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$bootstrap$;

grant anon, authenticated, service_role to authenticator;

-- public: what the API roles may reach.
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;

-- extensions: where Supabase installs extensions (create extension ... with schema extensions).
create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
-- Installed in every Supabase project from the start.
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;

-- auth: the JWT helpers and the users table that policies and foreign keys point at.
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  id uuid primary key,
  email text
);

create or replace function auth.uid() returns uuid
language sql stable
as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$fn$;

create or replace function auth.role() returns text
language sql stable
as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$fn$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $fn$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$fn$;

grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;

-- Realtime: Supabase creates this publication empty; migrations add tables to it.
do $bootstrap$
begin
  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$bootstrap$;

-- The migrating role sees extensions without qualifying them, as postgres does on Supabase.
-- ALTER ROLE reaches later sessions (pg.sh runs one psql per file); set_config reaches
-- this one (PGlite has a single session).
alter role current_user set search_path = "$user", public, extensions;
select pg_catalog.set_config('search_path', '"$user", public, extensions', false);
