select * from {{ ref('stg_events') }}
