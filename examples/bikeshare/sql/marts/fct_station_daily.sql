-- One row per station and day: rides started there and their average length.
--
-- Incremental: a later build only re-aggregates from the last day already in
-- the table onwards (that day may have been partial); the unique key
-- (station_id, ride_date) makes the new rows replace the old ones.

with trips as (

    select * from {{ ref('int_trips_enriched') }}
    {% if is_incremental() %}
    where ride_date >= (select max(ride_date) from {{ this }})
    {% endif %}

)

select
    start_station_id                                         as station_id,
    ride_date,
    count(*)                                                 as rides,
    sum(case when member_type = 'member' then 1 else 0 end)  as member_rides,
    sum(case when is_round_trip then 1 else 0 end)           as round_trips,
    round(avg(duration_seconds), 1)                          as avg_duration_seconds
from trips
group by start_station_id, ride_date
