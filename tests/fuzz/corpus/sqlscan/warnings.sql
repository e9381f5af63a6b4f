{% macro ref(model_name) %}
  {{ return(builtins.ref(model_name)) }}
{% endmacro %}
select * from {{ ref(model_name) }}
join {{ source(var('src'), 'table') }}
join {{ ref(a == 'b') }}
