select c.*, o.total from {{ ref('customers') }} c join {{ ref('orders') }} o using (id)
