{{ config(post_hook=["grant select on {{ this }} to role reporter", 'analyze {{ this }}']) }}
{% set q = "select '}}' as x, \"%}\" as y" %}
{% set d = {'a': {'b': ref('nested_dict')}} %}
select {{ ref('it\'s') }}, {{ var("caf\u00e9\t\x41") }}
