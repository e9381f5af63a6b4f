-- A migration written by hand between v1 and v2: dpc reads it, keeps what it
-- understands, and leaves alone what the spec does not mention.

-- A column the spec does not have: dpc never drops it.
alter table public.notes add column mood text;

-- Not in dpc's subset: each is skipped with a note.
create view public.note_counts as
  select user_id, count(*) as notes from public.notes group by user_id;

create function public.touch_mood() returns trigger
language plpgsql as $$
begin
  new.mood := coalesce(new.mood, 'neutral');
  return new;
end
$$;

create trigger notes_touch_mood before insert on public.notes
  for each row execute function public.touch_mood();
