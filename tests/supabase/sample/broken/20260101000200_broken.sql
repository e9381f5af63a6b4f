-- Must fail, and leave nothing behind: the table below is rolled back with the file.
create table public.half_done (id int primary key);

alter table public.notes add column title text;

selec 1;  -- the syntax error the judges must report, with this file's name
