-- Checks on the pgvector migration (after checks.sql, whose notes it uses).
-- a1 = [1,0,0], b1 = [0.9,0.1,0], a2 = [0,1,0]: nearest to [1,0,0] is a1, then b1, then a2.

insert into public.note_embeddings (id, embedding)
select id, case body
    when 'a1' then '[1,0,0]'
    when 'b1' then '[0.9,0.1,0]'
    when 'a2' then '[0,1,0]'
  end::extensions.vector
from public.notes where body in ('a1', 'a2', 'b1');

select 'match', string_agg(n.body, ',' order by m.ord)
  from public.match_note_embeddings('[1,0,0]', -1, 10) with ordinality as m (id, similarity, ord)
  join public.notes as n using (id);
select 'match_threshold', string_agg(n.body, ',' order by m.ord)
  from public.match_note_embeddings('[1,0,0]', 0.5, 10) with ordinality as m (id, similarity, ord)
  join public.notes as n using (id);
select 'match_count', string_agg(n.body, ',' order by m.ord)
  from public.match_note_embeddings('[0,1,0]', -1, 1) with ordinality as m (id, similarity, ord)
  join public.notes as n using (id);

-- As user A over "RPC": the function runs, and RLS on notes hides B's note in the join.
begin;
set local role authenticated;
set local request.jwt.claim.sub = 'aaaaaaaa-0000-4000-8000-00000000000a';
select 'match_as_a', string_agg(n.body, ',' order by m.ord)
  from public.match_note_embeddings('[1,0,0]', -1, 10) with ordinality as m (id, similarity, ord)
  join public.notes as n using (id);
commit;

-- The HNSW index serves cosine-distance ordering (its operator class matches <=>).
create or replace function pg_temp.plan(q text) returns text
language plpgsql as $$
declare
  line text;
  plan text := '';
begin
  for line in execute 'explain (costs off) ' || q loop
    plan := plan || line || E'\n';
  end loop;
  return plan;
end
$$;
begin;
set local enable_seqscan = off;
select 'hnsw_used', (pg_temp.plan(
    'select id from public.note_embeddings order by embedding operator(extensions.<=>) ''[1,0,0]'' limit 2'
  ) like '%Index Scan using note_embeddings_embedding_hnsw%')::text;
commit;
