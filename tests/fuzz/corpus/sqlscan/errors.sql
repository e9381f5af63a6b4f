select * from {{ ref() }}
join {{ ref('a', 'b', 'c') }}
join {{ source('only_one') }}
join {{ var() }}
join {{ ref('a',,'b') }}
join {{ ref('trailing',) }}
join {{ ref('unclosed' }}
join {{ config(x={'a': 1) }}
