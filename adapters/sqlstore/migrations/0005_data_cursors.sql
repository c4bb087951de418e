-- The cursor of each data_change_trigger: the JSON of the last
-- timestampColumn value delivered, keyed by workflow and what it watches.
-- claim_id is the execution that moved it last: a poll advances the cursor
-- and writes its execution claim in one batch, only if the cursor is still
-- the one it read, so overlapping ticks deliver a change once.
CREATE TABLE data_cursors (
    key        TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    claim_id   TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
) STRICT;
