select id, kind, at from {{ source('raw', 'events') }}
