-- Rolling per-customer feature states (features service, issue 3).
--
-- Per (cleaning policy, customer key, day): the policy's row filter applied to the customer's lines of that day,
-- folded into sums and aggregate-function states. Money is in exact integer millionths (quantity x the price's
-- decimal text, 6 decimals); distinct counts are uniqExact over 64-bit hashes (invoice, stock code, their pair);
-- last_line = max((time, source line, country)) gives the country of the latest line. Fed per consumer batch from the rows that batch inserted into
-- invoice_lines (INSERT ... SELECT ... WHERE batch_seq = S) with insert_deduplication_token = <policy>:<S>, so
-- re-applying a batch after a crash is a no-op. Reads merge the rows of days <= "as of" per customer: no raw scan.
-- customer_key is the customer id, or `invoice:<invoice_no>` for lines without one (the policy decides at read
-- time whether those are dropped or become synthetic customers). One partition per policy state key: a policy
-- whose rules changed gets a new key and is rebuilt from invoice_lines (DROP PARTITION + INSERT SELECT).
CREATE TABLE IF NOT EXISTS customer_day_states
(
    policy            LowCardinality(String),
    customer_key      String,
    day               Date,
    purchase_lines    SimpleAggregateFunction(sum, UInt64),
    purchase_items    SimpleAggregateFunction(sum, Int64),
    purchase_micros   SimpleAggregateFunction(sum, Int64),
    return_lines      SimpleAggregateFunction(sum, UInt64),
    return_items      SimpleAggregateFunction(sum, Int64),
    return_micros     SimpleAggregateFunction(sum, Int64),
    invoices          AggregateFunction(uniqExact, UInt64),
    products          AggregateFunction(uniqExact, UInt64),
    basket_products   AggregateFunction(uniqExact, UInt64),
    last_line         SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), UInt64, String))
)
ENGINE = AggregatingMergeTree
PARTITION BY policy
ORDER BY (policy, customer_key, day)
SETTINGS non_replicated_deduplication_window = 10000, fsync_after_insert = 1, fsync_part_directory = 1;

-- Consumer batches whose states are written for every maintained policy. At start-up, batch_seq values present in
-- invoice_lines but missing here (a crash between the raw insert and the states) are re-applied.
CREATE TABLE IF NOT EXISTS feature_batches
(
    batch_seq   UInt64,
    rows        UInt64,
    applied_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY batch_seq
SETTINGS fsync_after_insert = 1, fsync_part_directory = 1;

-- Per customer key: when its features last changed (the clusterer's "changed since" feed) and when it first
-- appeared (event time, then source line: numbers lines without a customer id into synthetic customers). Both are
-- min/max folds, so re-inserting a redelivered batch is harmless.
CREATE TABLE IF NOT EXISTS customer_activity
(
    customer_key     String,
    anonymous        SimpleAggregateFunction(max, UInt8),
    first_seen       SimpleAggregateFunction(min, Tuple(DateTime64(3, 'UTC'), UInt64)),
    last_changed_at  SimpleAggregateFunction(max, DateTime64(6, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY customer_key;

-- Policies whose states are complete (written after a full rebuild from invoice_lines; a crash mid-rebuild
-- simply rebuilds again from an emptied partition).
CREATE TABLE IF NOT EXISTS feature_policy_builds
(
    policy    String,
    built_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(built_at)
ORDER BY policy;
