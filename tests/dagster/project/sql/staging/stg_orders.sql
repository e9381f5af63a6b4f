select
    order_id,
    customer_id,
    book_id,
    quantity,
    price_eur,
    quantity * price_eur as amount_eur,
    ordered_at
from {{ source('shop', 'orders') }}
where quantity > 0
