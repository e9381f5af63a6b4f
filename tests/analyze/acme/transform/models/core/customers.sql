{{ config(materialized = "ephemeral") }}
select * from {{ source('erp', 'customers') }}
