-- Clusterer additions to the 0300 contract (nothing renamed or removed).

-- Agreement (adjusted Rand) between the RFM baseline segments and the ML segments of a model, and the Insiders
-- selection of the model (JSON: rule, selected segment ids, candidates with reasons, share and revenue share).
ALTER TABLE models ADD COLUMN IF NOT EXISTS rfm_agreement Nullable(Float64);
ALTER TABLE models ADD COLUMN IF NOT EXISTS insiders String DEFAULT '';

-- The model clusters merged into each business segment by the naming rule.
ALTER TABLE segments ADD COLUMN IF NOT EXISTS clusters Array(UInt16);

-- A refit's assignments, written before the model is activated and copied into memberships (with history and
-- segment-change events) only after activation: memberships never show a model that is not active, and a crash
-- after activation is finished at the next start from this table.
CREATE TABLE IF NOT EXISTS membership_staging
(
    model_version UInt32,
    customer_id   String,
    segment_id    UInt16,
    is_insider    UInt8,
    confidence    Float64,
    map_x         Float32,
    map_y         Float32
)
ENGINE = MergeTree
ORDER BY (model_version, customer_id);

-- Small key/value state of the clusterer: the changed-customers feed cursor, the last model whose memberships
-- were applied.
CREATE TABLE IF NOT EXISTS clusterer_state
(
    key        String,
    value      String,
    updated_at DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key;
