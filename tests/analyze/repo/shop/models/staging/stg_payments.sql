{{ config(materialized='view') }}

select
    id as payment_id,
    order_id,
    payment_method,
    -- amount is stored in cents
    amount / 100.0 as amount
from {{ source('raw', 'payments') }}
