select
    date_trunc('day', ordered_at)::date as order_day,
    genre,
    sum(amount_eur) as revenue_eur,
    count(*) as items
from {{ ref('int_order_books') }}
{% if is_incremental() %}
where ordered_at >= (select max(order_day) from {{ this }})
{% endif %}
group by 1, 2
