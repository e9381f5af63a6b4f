select code, name from {{ ref('countries') }}
