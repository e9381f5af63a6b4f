-- A refund is a separate record, never a negative payment: no order may
-- add up to less than zero.
select
    order_id,
    sum(amount) as total_amount
from {{ ref('stg_payments') }}
group by order_id
having not (sum(amount) >= 0)
