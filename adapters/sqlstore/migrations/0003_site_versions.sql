-- Site versions: every write that changes a tenant's pages or settings
-- adds one row, inside the same batch, that says which page (slug) was at
-- which content hash, who wrote it and when. Only the last
-- FRONTBASE_KEEP_VERSIONS rows of a tenant are kept. pages is a JSON array
-- of [slug, content_hash, is_homepage] ordered by slug, and settings is the
-- settings document as it was (NULL when none had been saved).
CREATE TABLE site_versions (
    tenant        TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    generation    INTEGER NOT NULL,
    action        TEXT    NOT NULL,
    source        TEXT    NOT NULL DEFAULT '',
    restored_from INTEGER,
    pages         TEXT    NOT NULL,
    settings      TEXT,
    created_at    TEXT    NOT NULL,
    PRIMARY KEY (tenant, version)
) STRICT;

-- The page documents the kept versions name, stored once per slug and
-- content hash, so that a rollback restores a page byte for byte. A
-- document no kept version names is deleted with the version that last
-- named it.
CREATE TABLE page_documents (
    tenant       TEXT NOT NULL,
    slug         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    document     TEXT NOT NULL,
    PRIMARY KEY (tenant, slug, content_hash)
) STRICT;

-- Lets the version snapshot read (slug, content_hash, is_homepage) of
-- every page without reading the documents stored in the same rows.
CREATE INDEX pages_snapshot ON pages (tenant, slug, content_hash, is_homepage);

-- A database that already holds pages starts with version 1: what it
-- holds now.
INSERT OR IGNORE INTO page_documents (tenant, slug, content_hash, document)
SELECT tenant, slug, content_hash, document FROM pages;

INSERT INTO site_versions (tenant, version, generation, action, source, pages, settings, created_at)
SELECT p.tenant, 1, (SELECT value FROM meta WHERE key = 'generation'), 'migrate', 'migration',
    json_group_array(json_array(p.slug, p.content_hash, p.is_homepage)),
    (SELECT s.document FROM settings s WHERE s.tenant = p.tenant),
    strftime('%Y-%m-%dT%H:%M:%S.000000000Z', 'now')
FROM (SELECT tenant, slug, content_hash, is_homepage FROM pages ORDER BY tenant, slug) p
GROUP BY p.tenant;
