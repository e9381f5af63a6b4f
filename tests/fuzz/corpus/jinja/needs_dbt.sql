select {{ dbt_utils.star(from=ref('orders'), except=['id']) }}
{% call statement('x', fetch_result=True) %}select 1{% endcall %}
{{ adapter.dispatch('f')() }}
