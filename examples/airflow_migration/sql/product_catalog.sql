select product_id, name, price
from {{ ref('products') }}
where price > 0
