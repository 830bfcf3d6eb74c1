-- How do visitors move through the funnel, by device?
SELECT device,
       sum(sessions) AS sessions,
       sum(product_view_sessions) AS viewed_a_product,
       sum(cart_sessions) AS added_to_cart,
       sum(checkout_sessions) AS began_checkout,
       sum(purchase_sessions) AS bought,
       round(CAST(sum(purchase_sessions) AS NUMERIC) / nullif(sum(sessions), 0), 4) AS conversion_rate
FROM gold.funnel
GROUP BY device
ORDER BY sessions DESC;
