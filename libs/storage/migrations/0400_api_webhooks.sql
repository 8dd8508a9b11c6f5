-- API tables: webhook registrations and their delivery log. Written and read by apps/api only.

-- Registered webhooks (latest updated_at wins; deactivation writes a new row with active = 0).
-- The secret is stored as given: it is needed to sign every payload (HMAC-SHA256), so it cannot be hashed.
CREATE TABLE IF NOT EXISTS api_webhooks
(
    id          String,
    url         String,
    secret      String,
    filter      LowCardinality(String),           -- all | insiders
    description String,
    active      UInt8,
    created_at  DateTime64(3, 'UTC'),
    updated_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id;

-- One row per delivery attempt.
CREATE TABLE IF NOT EXISTS api_webhook_deliveries
(
    delivery_id  String,                          -- stable across the attempts of one payload
    webhook_id   String,
    attempt      UInt16,                          -- 1-based
    at           DateTime64(3, 'UTC'),
    events       UInt32,                          -- segment-change events in the payload
    status_code  UInt16,                          -- 0 when no HTTP response (timeout, refused)
    outcome      LowCardinality(String),          -- delivered | retrying | failed
    error        String,
    duration_ms  UInt32,
    next_attempt_at Nullable(DateTime64(3, 'UTC'))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (webhook_id, at, delivery_id, attempt)
TTL toDateTime(at) + INTERVAL 90 DAY;
