-- Per-tenant secret blobs the control plane pushes (POST /api/import/secrets):
-- AES-256-GCM ciphertext, standard base64, stored as sent and decrypted only
-- in the engine's memory when a workflow reads it (core/secrets). One row per
-- tenant and kind (datasources, integrations, auth, ...).
CREATE TABLE tenant_secrets (
    tenant_slug TEXT NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_slug, kind)
) STRICT;
