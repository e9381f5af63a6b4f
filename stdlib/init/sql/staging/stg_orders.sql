-- One row per order, cleaned up from the raw export.
-- Staging models rename, cast and tidy; they do not join.

select
    cast(order_id as integer)      as order_id,
    cast(customer_id as integer)   as customer_id,
    datetime(ordered_at)           as ordered_at,
    date(ordered_at)               as order_date,
    lower(trim(status))            as status,
    -- amounts arrive in cents; report them in currency units
    round(amount_cents / 100.0, 2) as amount
from {{ ref('raw_orders') }}
