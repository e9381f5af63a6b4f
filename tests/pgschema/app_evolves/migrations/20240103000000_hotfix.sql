-- A hand-written fix on top of dpc's table.
alter table public.ride_feedback add column internal_note text;
alter table public.ride_feedback alter column body type varchar(500);
create index ride_feedback_rider_idx on public.ride_feedback (rider);
grant select on public.ride_feedback to anon;
