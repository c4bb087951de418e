-- Rate-limit rules (core/ratelimit): one row per tenant and rule id, the
-- rule as its JSON document. A write to them bumps the publish generation,
-- so every instance reloads its rules; their live counters are in Redis
-- (or in process) with TTLs, never here.
CREATE TABLE rate_limit_rules (
    tenant     TEXT NOT NULL,
    id         TEXT NOT NULL,
    document   TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
) STRICT;
