-- pgvector: embeddings of notes.body, an HNSW index for cosine distance, and the
-- match_ function a Supabase client calls over RPC.

create extension if not exists vector with schema extensions;

create table if not exists public.note_embeddings (
  id bigint primary key references public.notes (id) on delete cascade,
  embedding extensions.vector(3) not null
);

create index if not exists note_embeddings_embedding_hnsw
  on public.note_embeddings using hnsw (embedding extensions.vector_cosine_ops);

revoke all on table public.note_embeddings from anon, authenticated, service_role;
grant select on table public.note_embeddings to authenticated;
grant select, insert, update, delete on table public.note_embeddings to service_role;

-- Nearest first. search_path is empty inside, so every name is qualified, the operator too.
create or replace function public.match_note_embeddings(
  query_embedding extensions.vector(3),
  match_threshold float,
  match_count int
)
returns table (id bigint, similarity float)
language sql stable
set search_path = ''
as $$
  select e.id, 1 - (e.embedding operator(extensions.<=>) query_embedding) as similarity
  from public.note_embeddings as e
  where 1 - (e.embedding operator(extensions.<=>) query_embedding) > match_threshold
  order by e.embedding operator(extensions.<=>) query_embedding
  limit match_count
$$;

revoke all on function public.match_note_embeddings(extensions.vector, float, int) from public, anon;
grant execute on function public.match_note_embeddings(extensions.vector, float, int)
  to authenticated, service_role;
