{{ ref(
  "a"
) }}
{%- set x = source(
"s","t") -%}
