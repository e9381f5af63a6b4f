-- int_events_daily: written by dpc new; make it yours
select
    id
from {{ ref('stg_events') }}
