-- One row per day of weather, with the WMO code decoded.

with weather as (

    select * from {{ ref('raw_weather') }}

),

codes as (

    select * from {{ ref('weather_codes') }}

)

select
    date(weather.date)                   as weather_date,
    cast(weather.temp_max_c as real)     as temp_max_c,
    cast(weather.temp_min_c as real)     as temp_min_c,
    cast(weather.precip_mm as real)      as precip_mm,
    cast(weather.weather_code as integer) as weather_code,
    coalesce(codes.description, 'Unknown (' || weather.weather_code || ')')
                                         as weather_description,
    case
        when weather.precip_mm >= {{ var('wet_day_precip_mm') }} then 1
        else 0
    end                                  as is_wet_day
from weather
left join codes
    on codes.code = weather.weather_code
