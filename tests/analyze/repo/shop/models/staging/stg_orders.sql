-- one row per order, cleaned
with source as (
    select * from {{ source('raw', 'orders') }}
),

renamed as (
    select
        id as order_id,
        user_id as customer_id,
        order_date,
        status
    from source
    where order_date >= '{{ var("min_order_date") }}'
)

select * from renamed
