select * from {{ source('raw', 'trips') }}
