select order_date, sum(amount) as revenue
from {{ ref('fct_orders') }}
{% if is_incremental() %}
where order_date > (select max(order_date) from {{ this }})
{% endif %}
group by 1
