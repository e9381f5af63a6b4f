-- fct_b: yes
select
    id,
    kind
from {{ ref('stg_a') }}
