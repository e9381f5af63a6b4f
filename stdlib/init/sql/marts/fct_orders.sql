-- One row per order, with the customer and the order's position in the
-- customer's history (1 = first order).

with orders as (

    select * from {{ ref('stg_orders') }}

),

customers as (

    select * from {{ ref('stg_customers') }}

)

select
    orders.order_id,
    orders.customer_id,
    customers.full_name                    as customer_name,
    customers.country,
    orders.ordered_at,
    orders.order_date,
    orders.status,
    orders.amount,
    row_number() over (
        partition by orders.customer_id
        order by orders.ordered_at
    )                                      as customer_order_number,
    case when orders.status = 'returned' then 1 else 0 end
                                           as is_returned
from orders
left join customers
    on customers.customer_id = orders.customer_id
