-- Checks on the sample migrations, run by both judges (psql -At and pglite.mjs --format
-- psql print the same text). Each check prints one row: name|value.

insert into auth.users (id) values
  ('aaaaaaaa-0000-4000-8000-00000000000a'),
  ('bbbbbbbb-0000-4000-8000-00000000000b');
-- As the migrating role (a superuser here, so RLS does not apply).
insert into public.notes (user_id, body) values
  ('aaaaaaaa-0000-4000-8000-00000000000a', 'a1'),
  ('aaaaaaaa-0000-4000-8000-00000000000a', 'a2'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', 'b1');

-- try(q): 'ok', or the SQLSTATE q failed with.
create or replace function pg_temp.try(q text) returns text
language plpgsql as $$
begin
  execute q;
  return 'ok';
exception when others then
  return sqlstate;
end
$$;

-- RLS: user A through request.jwt.claim.sub sees only A's notes.
begin;
set local role authenticated;
set local request.jwt.claim.sub = 'aaaaaaaa-0000-4000-8000-00000000000a';
select 'rls_a', string_agg(body, ',' order by body) from public.notes;
commit;

-- RLS: user B through the request.jwt.claims json.
begin;
set local role authenticated;
set local request.jwt.claims = '{"sub": "bbbbbbbb-0000-4000-8000-00000000000b", "role": "authenticated"}';
select 'rls_b', string_agg(body, ',' order by body) from public.notes;
select 'auth_role', auth.role();
commit;

-- RLS: authenticated without a user sees nothing.
begin;
set local role authenticated;
select 'rls_nobody', count(*)::text from public.notes;
commit;

-- Grants: anon may not read; authenticated may not write.
begin;
set local role anon;
select 'anon_select', pg_temp.try('select count(*) from public.notes');
commit;
begin;
set local role authenticated;
set local request.jwt.claim.sub = 'aaaaaaaa-0000-4000-8000-00000000000a';
select 'authenticated_insert', pg_temp.try('insert into public.notes (body) values (''x'')');
commit;

-- service_role bypasses RLS, and user_id defaults to auth.uid().
begin;
set local role service_role;
set local request.jwt.claim.sub = 'aaaaaaaa-0000-4000-8000-00000000000a';
select 'service_count', count(*)::text from public.notes;
with ins as (insert into public.notes (body) values ('a3') returning user_id)
select 'default_uid', user_id::text from ins;
commit;

-- Catalog facts.
select 'rls_enabled', relrowsecurity::text from pg_catalog.pg_class where oid = 'public.notes'::regclass;
select 'identity', attidentity::text from pg_catalog.pg_attribute
  where attrelid = 'public.notes'::regclass and attname = 'id';
select 'policies', string_agg(policyname || ':' || cmd || ':' || array_to_string(roles, ','), ';')
  from pg_catalog.pg_policies where schemaname = 'public' and tablename = 'notes';
select 'realtime', string_agg(schemaname || '.' || tablename, ',' order by tablename)
  from pg_catalog.pg_publication_tables where pubname = 'supabase_realtime';
select 'bootstrap_extensions', string_agg(extname, ',' order by extname)
  from pg_catalog.pg_extension
  where extnamespace = 'extensions'::regnamespace and extname <> 'vector';
