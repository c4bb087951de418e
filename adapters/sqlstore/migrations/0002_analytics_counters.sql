-- Page-view counters moved from the Redis (or in-process) buffer by the
-- flush: one row per tenant, UTC day, page, kind and value. Kinds: v views,
-- b bot views, u unique visitors (an estimate, kept as a maximum), r
-- referrer host, d device class, c country.
CREATE TABLE analytics_daily (
    tenant TEXT    NOT NULL,
    day    TEXT    NOT NULL,
    slug   TEXT    NOT NULL,
    kind   TEXT    NOT NULL,
    value  TEXT    NOT NULL DEFAULT '',
    n      INTEGER NOT NULL,
    PRIMARY KEY (tenant, day, slug, kind, value)
) STRICT;

-- The ids of the flushed batches: a batch written once is never added
-- again, whoever retries it.
CREATE TABLE flush_ledger (
    batch_id   TEXT    PRIMARY KEY,
    rows       INTEGER NOT NULL,
    flushed_at TEXT    NOT NULL
) STRICT;
