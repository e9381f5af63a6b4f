{%- set payment_methods = ['credit_card', 'coupon', 'bank_transfer', 'gift_card'] -%}
{% set models = [ref('a'), ref("b"), source('raw', 't')] %}

select
    order_id,
    {% for payment_method in payment_methods -%}
    sum(case when payment_method = '{{ payment_method }}' then amount else 0 end) as {{ payment_method }}_amount
    {%- if not loop.last %},{% endif %}
    {% endfor %}
from {{ ref(models[0]) }}
group by 1
