-- Times are TEXT in UTC with fixed-width nanoseconds so that they sort as
-- text. Documents are the JSON the control plane sent, stored verbatim so
-- fields this engine does not know survive a round trip.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

INSERT INTO meta (key, value) VALUES ('generation', 0);

CREATE TABLE pages (
    tenant       TEXT    NOT NULL,
    slug         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    title        TEXT    NOT NULL DEFAULT '',
    document     TEXT    NOT NULL,
    is_public    INTEGER NOT NULL DEFAULT 1 CHECK (is_public IN (0, 1)),
    is_homepage  INTEGER NOT NULL DEFAULT 0 CHECK (is_homepage IN (0, 1)),
    version      INTEGER NOT NULL,
    content_hash TEXT    NOT NULL,
    published_at TEXT    NOT NULL,
    UNIQUE (tenant, slug),
    UNIQUE (tenant, id)
) STRICT;

-- The store clears the old flag before setting a new one; this index makes
-- a second homepage impossible even if some other writer forgets to.
CREATE UNIQUE INDEX pages_one_homepage ON pages (tenant) WHERE is_homepage = 1;

-- Outlives the page row, so a slug that is deleted and published again
-- keeps counting up and caches keyed by version never see an old number.
CREATE TABLE slug_versions (
    tenant  TEXT    NOT NULL,
    slug    TEXT    NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (tenant, slug)
) STRICT;

CREATE TABLE settings (
    tenant     TEXT PRIMARY KEY,
    document   TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE workflows (
    id         TEXT PRIMARY KEY,
    document   TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TEXT    NOT NULL
) STRICT;

-- Every saved version is kept so that a workflow can be rolled back.
CREATE TABLE workflow_versions (
    workflow_id TEXT    NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    document    TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (workflow_id, version)
) STRICT;

-- No foreign key to workflows: an execution log outlives its workflow.
CREATE TABLE executions (
    id           TEXT PRIMARY KEY,
    workflow_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    trigger_type TEXT NOT NULL DEFAULT '',
    document     TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    ended_at     TEXT
) STRICT;

CREATE INDEX executions_by_workflow ON executions (workflow_id, started_at);
