{% set methods = ['credit_card', 'coupon', 'bank_transfer', 'gift_card'] %}
select
    order_id,
    {% for m in methods -%}
    sum(case when payment_method = '{{ m }}' then amount else 0 end) as {{ m }}_amount
    {%- if not loop.last %},{% endif %}
    {% endfor %}
from {{ ref('raw_payments') }}
group by 1
