-- Latest reported status of every station, from the live feed.
-- Production only: the local SQLite warehouse has no raw schema.

with status as (

    select
        cast(station_id as integer)      as station_id,
        reported_at,
        cast(bikes_available as integer) as bikes_available,
        cast(docks_available as integer) as docks_available,
        row_number() over (
            partition by station_id
            order by reported_at desc
        )                                as recency
    from {{ source('raw', 'station_status') }}

)

select
    station_id,
    reported_at,
    bikes_available,
    docks_available
from status
where recency = 1
