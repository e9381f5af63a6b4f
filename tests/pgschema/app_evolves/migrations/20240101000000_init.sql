-- Written by hand before dpc took over the Supabase folder.
create table public.profiles (
  id uuid primary key references auth.users on delete cascade,
  username text unique check (char_length(username) >= 3)
);
alter table public.profiles enable row level security;
create policy "Profiles are public" on public.profiles for select using (true);

create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (id) values (new.id);
  return new;
end;
$$;
create trigger on_auth_user_created after insert on auth.users
  for each row execute procedure public.handle_new_user();
