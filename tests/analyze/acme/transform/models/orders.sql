select * from {{ source('erp', 'orders_v2') }} where year >= {{ var('start') }}
