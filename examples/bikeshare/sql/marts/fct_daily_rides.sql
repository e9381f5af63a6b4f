-- One row per day: how many rides, how long, and what the weather was.
-- Days come from both the trips and the weather feed, so a day without a
-- single ride still shows up (with rides = 0).

with trips as (

    select * from {{ ref('int_trips_enriched') }}

),

weather as (

    select * from {{ ref('stg_weather') }}

),

days as (

    select ride_date from trips
    union
    select weather_date from weather

),

daily as (

    select
        ride_date,
        count(*)                                                as rides,
        sum(case when member_type = 'member' then 1 else 0 end) as member_rides,
        sum(case when member_type = 'casual' then 1 else 0 end) as casual_rides,
        count(distinct bike_id)                                 as bikes_used,
        round(avg(duration_seconds) / 60.0, 1)                  as avg_duration_minutes
    from trips
    group by ride_date

)

select
    days.ride_date,
    case strftime('%w', days.ride_date)
        when '0' then 'Sun' when '1' then 'Mon' when '2' then 'Tue'
        when '3' then 'Wed' when '4' then 'Thu' when '5' then 'Fri'
        else 'Sat'
    end                                 as day_of_week,
    coalesce(daily.rides, 0)            as rides,
    coalesce(daily.member_rides, 0)     as member_rides,
    coalesce(daily.casual_rides, 0)     as casual_rides,
    coalesce(daily.bikes_used, 0)       as bikes_used,
    daily.avg_duration_minutes,
    weather.temp_max_c,
    weather.temp_min_c,
    weather.precip_mm,
    weather.weather_description,
    weather.is_wet_day
from days
left join daily
    on daily.ride_date = days.ride_date
left join weather
    on weather.weather_date = days.ride_date
