select * from {{ ref('dim_customers', v=2) }}
union all
select * from {{ ref('core', "dim_customers", version=1) }}
union all
select * from {{- builtins.ref('legacy') -}}
