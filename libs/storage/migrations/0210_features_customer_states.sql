-- Per-customer running states (features service, issue 3): "features as of now" without merging day rows.
--
-- Per (cleaning policy, customer key): the same sums and uniqExact states as customer_day_states, folded over all
-- days, plus what the per-day rows were kept for at read time: first / last purchase day (min / max; a key
-- without purchases stores first = 65535 and last = 0, neutral for min / max) and purchase revenue per ISO
-- weekday index (0 = Monday) and per day-of-month index (0 = day 1) as sparse sumMap columns (index → exact
-- integer millionths; a customer buys on few weekdays and days, so reads ship a few pairs, not 38 numbers).
-- Fed from the same consumer batch as customer_day_states (INSERT ... SELECT ... WHERE batch_seq = S,
-- insert_deduplication_token = <policy>:<S>, so re-applying a batch after a crash is a no-op); rebuilt with the
-- day states when a policy's rules change. Reads of "now" use FINAL (rows of a key merged in sort order while
-- reading: much cheaper than GROUP BY over a million keys); "as of" reads still merge customer_day_states. The
-- reference day for recency is max(last_purchase_day). Small index granules: the clusterer reads a few customers
-- by key several times a second, and a granule's aggregate states are read whole.
CREATE TABLE IF NOT EXISTS customer_states
(
    policy              LowCardinality(String),
    customer_key        String,
    purchase_lines      SimpleAggregateFunction(sum, UInt64),
    purchase_items      SimpleAggregateFunction(sum, Int64),
    purchase_micros     SimpleAggregateFunction(sum, Int64),
    return_lines        SimpleAggregateFunction(sum, UInt64),
    return_items        SimpleAggregateFunction(sum, Int64),
    return_micros       SimpleAggregateFunction(sum, Int64),
    invoices            AggregateFunction(uniqExact, UInt64),
    products            AggregateFunction(uniqExact, UInt64),
    basket_products     AggregateFunction(uniqExact, UInt64),
    first_purchase_day  SimpleAggregateFunction(min, UInt16),
    last_purchase_day   SimpleAggregateFunction(max, UInt16),
    weekday_micros      SimpleAggregateFunction(sumMap, Tuple(Array(UInt8), Array(Int64))),
    day_of_month_micros SimpleAggregateFunction(sumMap, Tuple(Array(UInt8), Array(Int64))),
    last_line           SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), UInt64, String))
)
ENGINE = AggregatingMergeTree
PARTITION BY policy
ORDER BY (policy, customer_key)
SETTINGS index_granularity = 64, non_replicated_deduplication_window = 10000, fsync_after_insert = 1, fsync_part_directory = 1;
