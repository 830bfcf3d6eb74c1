-- What do promotions do to sales? Orders with each code, its discount cost, and the uplift in
-- daily orders against comparable days.
SELECT code, kind, orders_with_code, round(revenue_with_code, 2) AS revenue_with_code,
       round(discount_cost, 2) AS discount_cost, days_running,
       round(CAST(uplift AS NUMERIC), 3) AS uplift
FROM gold.promotion_impact
ORDER BY orders_with_code DESC;
