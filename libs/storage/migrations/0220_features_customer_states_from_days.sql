-- Running per-customer states folded from the day states as they are written (features service, issue 3).
--
-- Every block inserted into customer_day_states (a consumer round's fold, a recovery, a rebuild) is folded per
-- (policy, customer key) into customer_states by this view, in the same statement: the consumer writes one state
-- table per round instead of two, and the customer fold reads a few thousand day rows instead of the round's raw
-- lines. The fold is exact: sums of sums; uniqExact states merged; first / last purchase day = min / max of the
-- days with purchases (65535 / 0 without any, as before); revenue per ISO weekday (0 = Monday) and day of month
-- (0 = day 1) from each purchase day's purchase millionths; the latest line = max of the days' latest lines.
-- A retried fold (insert_deduplication_token <policy>:<batch_seq>) is deduplicated in both tables; when the day
-- states of a batch were stored but not its running states (a crash inside the statement), the retry skips the
-- day block and still writes the view's block (deduplicate_blocks_in_dependent_materialized_views, default on).
CREATE MATERIALIZED VIEW IF NOT EXISTS customer_states_from_days TO customer_states AS
SELECT
    policy,
    customer_key,
    sum(day_purchase_lines) AS purchase_lines,
    sum(day_purchase_items) AS purchase_items,
    sum(day_purchase_micros) AS purchase_micros,
    sum(day_return_lines) AS return_lines,
    sum(day_return_items) AS return_items,
    sum(day_return_micros) AS return_micros,
    uniqExactMergeState(day_invoices) AS invoices,
    uniqExactMergeState(day_products) AS products,
    uniqExactMergeState(day_basket_products) AS basket_products,
    if(countIf(day_purchase_lines > 0) = 0, 65535, toUInt16(minIf(day, day_purchase_lines > 0))) AS first_purchase_day,
    toUInt16(maxIf(day, day_purchase_lines > 0)) AS last_purchase_day,
    sumMap(if(day_purchase_lines > 0, [toUInt8(toDayOfWeek(day) - 1)], []), if(day_purchase_lines > 0, [day_purchase_micros], [])) AS weekday_micros,
    sumMap(if(day_purchase_lines > 0, [toUInt8(toDayOfMonth(day) - 1)], []), if(day_purchase_lines > 0, [day_purchase_micros], [])) AS day_of_month_micros,
    max(day_last_line) AS last_line
FROM
(
    -- the day columns renamed: the fold's outputs carry the same names
    SELECT
        policy,
        customer_key,
        day,
        purchase_lines AS day_purchase_lines,
        purchase_items AS day_purchase_items,
        purchase_micros AS day_purchase_micros,
        return_lines AS day_return_lines,
        return_items AS day_return_items,
        return_micros AS day_return_micros,
        invoices AS day_invoices,
        products AS day_products,
        basket_products AS day_basket_products,
        last_line AS day_last_line
    FROM customer_day_states
)
GROUP BY policy, customer_key;
