-- Raw invoice lines exactly as the events carried them, plus ingest metadata (features service, issue 3).
-- Ordered by event_id: the consumer's per-batch duplicate check (event_id IN batch ids) is a primary-key lookup,
-- and a raw insert is one part, so an event id and its row are stored together or not at all.
-- batch_seq numbers the consumer's insert the row arrived in (states are derived per batch_seq, see 0200).
-- ReplacingMergeTree on event_id is a second safety net; the consumer never inserts a stored event id.
-- fsync on insert: the bus commits offsets after the insert returns, so the rows must be on disk by then.
CREATE TABLE IF NOT EXISTS invoice_lines
(
    event_id      String,
    schema        LowCardinality(String),
    invoice_no    String,
    stock_code    String,
    description   Nullable(String),
    quantity      Int64,
    invoice_time  DateTime64(3, 'UTC'),
    unit_price    Float64,
    customer_id   Nullable(String),
    country       LowCardinality(String),
    source        LowCardinality(String),
    source_line   UInt64,
    customer_key  String,
    topic         LowCardinality(String),
    partition     UInt32,
    offset        UInt64,
    ingested_at   DateTime64(3, 'UTC'),
    batch_seq     UInt64,
    INDEX batch_seq_minmax batch_seq TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree
ORDER BY event_id
SETTINGS fsync_after_insert = 1, fsync_part_directory = 1;

-- Events that cannot be decoded, or passed the schema but are absurd (price or quantity beyond the configured
-- bounds, timestamps far in the future): kept with the reason and payload, never fed to features.
CREATE TABLE IF NOT EXISTS invoice_lines_quarantine
(
    event_id        String,
    reason          String,
    payload         String,
    topic           LowCardinality(String),
    partition       UInt32,
    offset          UInt64,
    quarantined_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY event_id;
