-- Clusterer tables: the model registry, segment profiles per model, current memberships and membership history.
-- Written by apps/clusterer, read by apps/api. Customer ids are strings (as in the invoice-line event).

-- Every fitted model, valid or not. Exactly one row per version has status 'active' at a time (the latest
-- row per version wins: ReplacingMergeTree on updated_at).
CREATE TABLE IF NOT EXISTS models
(
    version          UInt32,
    status           LowCardinality(String),      -- fitting | active | retired | rejected | failed
    created_at       DateTime64(3, 'UTC'),
    updated_at       DateTime64(3, 'UTC'),
    trigger          LowCardinality(String),      -- schedule | changed-customers | drift | manual | initial
    seed             UInt32,
    params           String,                      -- JSON: forest / umap / gmm / k range / policy
    data_cutoff      DateTime64(3, 'UTC'),        -- latest event time in the training data
    customers        UInt32,
    k                UInt16,
    silhouette       Float64,
    silhouette_curve String,                      -- JSON [{k, silhouette, bic}]
    sizes            String,                      -- JSON {segmentId: size}
    timings          String,                      -- JSON {stage: ms}
    ari_previous     Nullable(Float64),           -- adjusted Rand index vs the previous active model
    lineage          String,                      -- JSON: survivors, splits, merges, births, deaths vs previous model
    error            String
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY version;

-- Serialized model artifacts (forest, embedding, GMM, fitted leaf vectors), one per version.
CREATE TABLE IF NOT EXISTS model_artifacts
(
    version    UInt32,
    created_at DateTime64(3, 'UTC'),
    artifact   String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY version;

-- Segment profiles per model version (stable segment ids across refits).
CREATE TABLE IF NOT EXISTS segments
(
    model_version   UInt32,
    segment_id      UInt16,
    name            String,
    is_insiders     UInt8,
    size            UInt32,
    share           Float64,                      -- of customers
    revenue_share   Float64,                      -- of gross revenue
    mean_revenue    Float64,
    median_revenue  Float64,
    mean_recency    Float64,
    mean_frequency  Float64,
    mean_returns    Float64,
    mean_invoices   Float64,
    mean_items      Float64,
    mean_products   Float64,
    mean_ticket     Float64,
    origin          LowCardinality(String),       -- survived | born | split | merged
    parents         Array(UInt16)                 -- previous-model segment ids it came from
)
ENGINE = ReplacingMergeTree
ORDER BY (model_version, segment_id);

-- Current membership, one row per customer (latest updated_at wins).
CREATE TABLE IF NOT EXISTS memberships
(
    customer_id   String,
    segment_id    UInt16,
    is_insider    UInt8,
    model_version UInt32,
    confidence    Float64,                        -- posterior / neighbour vote share
    map_x         Float32,                        -- 2-D map coordinates for the dashboard
    map_y         Float32,
    reason        LowCardinality(String),         -- refit | incremental | backfill
    updated_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY customer_id;

-- Every assignment change (also the first assignment: from_segment NULL).
CREATE TABLE IF NOT EXISTS membership_history
(
    customer_id   String,
    at            DateTime64(3, 'UTC'),           -- business time (event time / as-of date for backfill)
    recorded_at   DateTime64(3, 'UTC'),
    from_segment  Nullable(UInt16),
    to_segment    Nullable(UInt16),               -- NULL when the customer left every segment
    from_insider  UInt8,
    to_insider    UInt8,
    model_version UInt32,
    reason        LowCardinality(String)          -- refit | incremental | backfill
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, customer_id);

-- RFM quantile baseline beside the ML segments.
CREATE TABLE IF NOT EXISTS rfm_scores
(
    customer_id   String,
    model_version UInt32,
    r             UInt8,
    f             UInt8,
    m             UInt8,
    score         UInt16,
    segment       LowCardinality(String),
    updated_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY customer_id;
