-- b: written by dpc new; make it yours
select *
from {{ ref('a') }}
