with customers as (
    select * from {{ ref('stg_customers') }}
),
countries as (
    select * from {{ ref('country_codes') }}
),
orders as (
    select customer_id, min(order_date) as first_order, count(*) as number_of_orders
    from {{ ref('stg_orders') }}
    group by customer_id
)
select
    customers.customer_id,
    customers.first_name,
    customers.last_name,
    countries.country_name,
    orders.first_order,
    coalesce(orders.number_of_orders, 0) as number_of_orders
from customers
left join countries on customers.country_code = countries.code
left join orders using (customer_id)
