{{ config(materialized='incremental', unique_key='ride_date') }}

select date(started_at) as ride_date, count(*) as rides
from {{ source('raw', 'trips') }}
{% if is_incremental() %}
where started_at > (select max(ride_date) from {{ this }})
{% endif %}
group by 1
