a  {%- if true -%}  b  {%- endif -%}  c
{{- 1 -}}
{#- x -#}
