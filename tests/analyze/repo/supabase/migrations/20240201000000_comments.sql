create table public.comments (
  id bigint generated always as identity primary key,
  post_id bigint not null,
  body text
);
alter table public.comments add constraint comments_post_fk foreign key (post_id) references public.posts (id);
alter table public.posts enable row level security;
