-- The consumer's raw insert parses ~100k TabSeparated rows per storage round; parsing into LowCardinality columns
-- (a dictionary lookup per value) cost ~25 % of the insert (bench/features). The four repetitive columns become
-- plain strings (the part's compression handles the repetition). On an existing store this rewrites only these
-- columns, in the background.
ALTER TABLE invoice_lines
    MODIFY COLUMN schema String,
    MODIFY COLUMN country String,
    MODIFY COLUMN source String,
    MODIFY COLUMN topic String;
