-- fct_event_kinds: written by dpc new; make it yours
select
    id
from {{ ref('stg_events') }}
