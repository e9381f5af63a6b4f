select
    s.zone_id,
    count(*) as trips,
    sum(t.duration_s) as duration_s
from {{ ref('stg_trips') }} as t
join {{ ref('stations') }} as s on s.station_id = t.station_id
group by s.zone_id
