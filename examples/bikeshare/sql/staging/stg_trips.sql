-- One row per trip from the dock export, typed and cleaned.
--
-- Timestamps stay ISO-8601 text (SQLite has no timestamp type); datetime()
-- normalises them and julianday() gives fractional days for the duration.

with trips as (

    select * from {{ ref('raw_trips') }}

),

typed as (

    select
        cast(trip_id as integer)          as trip_id,
        cast(bike_id as integer)          as bike_id,
        cast(start_station_id as integer) as start_station_id,
        cast(end_station_id as integer)   as end_station_id,
        datetime(started_at)              as started_at,
        datetime(ended_at)                as ended_at,
        date(started_at)                  as ride_date,
        cast(round((julianday(ended_at) - julianday(started_at)) * 86400) as integer)
                                          as duration_seconds,
        lower(trim(member_type))          as member_type
    from trips

)

select *
from typed
-- drops re-docks and, since the threshold is positive, negative durations
where duration_seconds >= {{ var('min_trip_seconds') }}
