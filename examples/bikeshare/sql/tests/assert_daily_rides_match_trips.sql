-- Returns a row when fct_daily_rides and stg_trips disagree on the total
-- number of rides: a trip lost or double-counted by the daily rollup.

with daily as (

    select coalesce(sum(rides), 0) as rides
    from {{ ref('fct_daily_rides') }}

),

trips as (

    select count(*) as rides
    from {{ ref('stg_trips') }}

)

select
    daily.rides as rides_in_fct_daily_rides,
    trips.rides as rides_in_stg_trips
from daily
cross join trips
where daily.rides <> trips.rides
