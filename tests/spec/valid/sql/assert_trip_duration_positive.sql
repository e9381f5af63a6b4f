-- trips with a non-positive duration
select *
from {{ ref('stg_trips') }}
where duration_s <= 0
