select * from {{ ref("a") }}
{{ config(materialized='view'
