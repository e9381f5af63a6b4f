select * from {{ source("raw", "orderz") }}
