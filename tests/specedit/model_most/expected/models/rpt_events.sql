-- rpt_events: written by dpc new; make it yours
select
    id,
    kind,
    at
from {{ source('raw', 'events') }}
