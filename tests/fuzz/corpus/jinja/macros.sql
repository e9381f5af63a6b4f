{% macro cents_to_dollars(column_name, scale=2) -%}
    round({{ column_name }} / 100.0, {{ scale }})
{%- endmacro %}
{% macro cols(prefix, names=['a', 'b']) %}{% set out = [] %}{% for n in names %}{% do out.append(prefix ~ n) %}{% endfor %}{{ return(out | join(', ')) }}{% endmacro %}
{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}
select {{ cents_to_dollars('amount') }}, {{ cols('x_', names=['p', 'q']) }}, {{ rec(3) }}
from {{ ref('orders') }}
