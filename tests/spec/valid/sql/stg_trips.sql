select
    trip_id,
    station_id,
    duration_s
from {{ source('raw', 'trips') }}
