-- fct_revenue: Revenue per order: euros
select
    order_id,
    amount
from {{ ref('stg_orders') }}
