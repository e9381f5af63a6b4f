-- the nightly load, written before dbt came along
/* CREATE TABLE not_a_table (x int) -- in a comment */
CREATE TABLE IF NOT EXISTS analytics.orders_clean AS
SELECT o.id, o.customer_id, o.amount, extract(year FROM o.created_at) AS y
FROM raw.orders AS o
JOIN raw.customers c ON c.id = o.customer_id
WHERE o.status <> 'FROM fake_table';

CREATE TEMP TABLE scratch AS SELECT * FROM analytics.orders_clean;

INSERT INTO analytics.daily_revenue (day, revenue)
WITH per_day AS (
    SELECT date_trunc('day', created_at) AS day, sum(amount) AS revenue
    FROM analytics.orders_clean, raw.refunds
    GROUP BY 1
)
SELECT day, revenue FROM per_day;

DELETE FROM scratch;
