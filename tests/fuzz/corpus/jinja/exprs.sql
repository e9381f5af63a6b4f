{%- set d = {'a': 1, 'b': [1, 2.5, none, true], 'c': 'x'} -%}
{%- for k, v in d.items() %}{{ k }}={{ v }}{{ ', ' if not loop.last }}{% endfor %}
{{ var('n') * 2 // 3 % 5 ** 2 }} {{ var('list')[2].k | length }} {{ var('unset', 'default') }}
{{ 'A-B c' | lower | replace('-', '_') | title }} {{ ' x '.strip().upper() }} {{ 'a,b'.split(',') | join('|') }}
{{ [3, 1, 2] | sort(reverse=true) | first }} {{ range(5) | list | sum }} {{ 'abc'[::-1] }} {{ x is defined }}
{% set ns = namespace(n=0) %}{% for i in range(4) if i is odd %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}
{{ env_var('XHOME', 'none') }} {{ target.name }} {{ "'" ~ this.identifier ~ "'" }}
{# comment #}{% raw %}{{ raw }}{% endraw %}
{% filter upper %}text{% endfilter %}{% set blk | trim %}  block  {% endset %}{{ blk }}
