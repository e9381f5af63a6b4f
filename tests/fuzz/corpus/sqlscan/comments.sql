-- don't forget: {{ ref('in_line_comment') }} is still rendered by dbt
/* {{ source('s', 'in_block_comment') }} and it's fine */
{# {{ ref('hidden_in_jinja_comment') }} #}
{#- multi
    line {{ ref('also_hidden') }} -#}
select 'it''s {{ var("in_string") }}' as s, "weird{col" from {{ ref('real') }} -- trailing {
