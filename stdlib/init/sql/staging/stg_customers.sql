-- One row per customer.

select
    cast(customer_id as integer)       as customer_id,
    first_name,
    last_name,
    first_name || ' ' || last_name     as full_name,
    lower(email)                       as email,
    date(signed_up_at)                 as signed_up_on,
    upper(country)                     as country
from {{ ref('raw_customers') }}
