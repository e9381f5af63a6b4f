create or replace function f() returns text as $$
    select '{{ ref("inside_dollar") }}' -- it's
$$ language sql;
select $body$ { " ' $body$, {{ var('after_dollar', 'x') }}
