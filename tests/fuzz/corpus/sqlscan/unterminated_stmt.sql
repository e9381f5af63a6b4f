select 1
{% if target.name == "prod" %}
  {{ ref("x") }}
{% if 
