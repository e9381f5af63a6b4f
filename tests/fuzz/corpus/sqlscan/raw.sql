{% raw %}
    {{ ref('not_rendered') }}
{% endraw %}
{%- raw -%}{{ this_is_literal }}{%- endraw -%}
select * from {{ ref('rendered') }}
