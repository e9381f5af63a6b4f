-- Hand-written sample for the judges' self-test, in the shape dpc's Supabase back end is
-- meant to emit: re-runnable, explicit about grants, RLS on, realtime guarded.

create table if not exists public.notes (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  body text
);

alter table public.notes enable row level security;

drop policy if exists "notes: authenticated read own" on public.notes;
create policy "notes: authenticated read own" on public.notes
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Explicit grants: nothing left to the project's default privileges.
revoke all on table public.notes from anon, authenticated, service_role;
grant select on table public.notes to authenticated;
grant select, insert, update, delete on table public.notes to service_role;

-- Realtime: add the table once; running this file again changes nothing.
do $$
begin
  if not exists (
    select 1 from pg_catalog.pg_publication_tables
    where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'notes'
  ) then
    alter publication supabase_realtime add table public.notes;
  end if;
end
$$;
