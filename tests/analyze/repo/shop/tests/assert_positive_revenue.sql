select * from {{ ref('revenue_daily') }} where revenue < 0
