{#- Amounts arrive in cents; reports want currency units with two decimals. -#}
{% macro cents_to_units(column_name, decimals=2) -%}
    round({{ column_name }} / 100.0, {{ decimals }})
{%- endmacro %}
