-- Trips joined with their start and end stations and the weather of the day.
-- One row per trip in stg_trips.

with trips as (

    select * from {{ ref('stg_trips') }}

),

stations as (

    select * from {{ ref('stg_stations') }}

),

weather as (

    select * from {{ ref('stg_weather') }}

)

select
    trips.trip_id,
    trips.bike_id,
    trips.ride_date,
    trips.started_at,
    trips.ended_at,
    trips.duration_seconds,
    trips.member_type,
    trips.start_station_id,
    start_station.station_name                  as start_station_name,
    start_station.neighborhood                  as start_neighborhood,
    trips.end_station_id,
    end_station.station_name                    as end_station_name,
    trips.start_station_id = trips.end_station_id as is_round_trip,
    cast(strftime('%H', trips.started_at) as integer) as start_hour,
    -- SQLite: %w is 0 for Sunday ... 6 for Saturday
    strftime('%w', trips.ride_date) in ('0', '6') as is_weekend,
    weather.temp_max_c,
    weather.precip_mm,
    weather.weather_description,
    weather.is_wet_day
from trips
left join stations as start_station
    on start_station.station_id = trips.start_station_id
left join stations as end_station
    on end_station.station_id = trips.end_station_id
left join weather
    on weather.weather_date = trips.ride_date
