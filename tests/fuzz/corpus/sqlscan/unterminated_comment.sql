select 1 {# never closed {{ ref("x") }}
