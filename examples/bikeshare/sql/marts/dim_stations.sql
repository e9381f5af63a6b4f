-- One row per station: its attributes and its usage over the loaded period.

with stations as (

    select * from {{ ref('stg_stations') }}

),

trips as (

    select * from {{ ref('int_trips_enriched') }}

),

departures as (

    select
        start_station_id                                        as station_id,
        count(*)                                                as rides_started,
        round(avg(duration_seconds) / 60.0, 1)                  as avg_duration_minutes,
        sum(case when member_type = 'member' then 1 else 0 end) as member_rides_started,
        min(ride_date)                                          as first_ride_date,
        max(ride_date)                                          as last_ride_date
    from trips
    group by start_station_id

),

arrivals as (

    select
        end_station_id as station_id,
        count(*)       as rides_ended
    from trips
    group by end_station_id

)

select
    stations.station_id,
    stations.station_name,
    stations.neighborhood,
    stations.latitude,
    stations.longitude,
    stations.capacity,
    stations.opened_on,
    coalesce(departures.rides_started, 0) as rides_started,
    coalesce(arrivals.rides_ended, 0)     as rides_ended,
    coalesce(arrivals.rides_ended, 0)
        - coalesce(departures.rides_started, 0)
                                          as net_bikes_gained,
    departures.avg_duration_minutes,
    round(100.0 * departures.member_rides_started / departures.rides_started, 1)
                                          as member_share_pct,
    departures.first_ride_date,
    departures.last_ride_date
from stations
left join departures
    on departures.station_id = stations.station_id
left join arrivals
    on arrivals.station_id = stations.station_id
