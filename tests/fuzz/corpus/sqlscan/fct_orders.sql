{{
    config(
        materialized='incremental',
        unique_key=['order_id', 'customer_id'],
        tags=["finance", "daily"],
        on_schema_change='append_new_columns',
        enabled=var('enable_fct_orders', true)
    )
}}

select
    o.order_id,
    o.customer_id,
    p.amount
from {{ ref('stg_orders') }} o
left join {{ ref('stg_payments') }} p using (order_id)
{% if is_incremental() %}
where o.order_date > (select max(order_date) from {{ this }})
{% endif %}
