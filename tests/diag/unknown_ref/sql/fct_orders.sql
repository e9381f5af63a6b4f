-- {{ ref("nope") }} in a comment is still rendered by dbt
select o.*
from {{ ref("stg_order") }} o
join {{ ref("shop", "stg_orders") }} using (id)
where {{ var("since") }} < o.day
