CREATE OR REPLACE VIEW reports.top_customers AS
SELECT c.name, sum(r.revenue) AS revenue
FROM analytics.daily_revenue r, "Raw"."Customers" c
GROUP BY c.name
ORDER BY 2 DESC;
