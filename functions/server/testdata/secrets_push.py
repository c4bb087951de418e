"""Writes secrets_push.json: the requests the Frontbase control plane sends
to an engine's /api/import/secrets routes (app/services/edge_secrets_push.py:
push_tenant_secret, push_tenant_secrets_batch, delete_tenant_secret), with
blobs sealed by its algorithm (HKDF-SHA256 key from the system key, AES-256-GCM,
base64(nonce || ciphertext || tag)) using Python's `cryptography`. Bodies
are serialized as httpx's json= does (compact separators, ensure_ascii off).
Run: python3 functions/server/testdata/secrets_push.py
"""
import base64, json, os
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SYSTEM_KEY = 'test-key-0123456789abcdef'  # enginetest.Key
API_KEY = 'sk_live_Zq81mVn0Rt5Ypw3X'

def derive(system_key):
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b'frontbase-secrets-v2', info=b'aes-256-gcm')
    return base64.b64encode(hkdf.derive(system_key.encode('utf-8'))).decode('ascii')

def seal(plaintext_json, key_b64):
    key = base64.b64decode(key_b64)
    nonce = os.urandom(12)
    plaintext = json.dumps(plaintext_json) if not isinstance(plaintext_json, str) else plaintext_json
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext.encode('utf-8'), None)).decode('ascii')

def httpx_json(v):
    return json.dumps(v, ensure_ascii=False, separators=(',', ':'), allow_nan=False)

key = derive(SYSTEM_KEY)
integrations = {"acct_1": {"provider": "resend", "api_key": API_KEY, "from_email": "hi@acme.test"}}
datasources = {"ds-42": {"type": "postgres", "connectionString": "postgresql://app:Pw-9f8e7d6c@db.acme.test:5432/app?sslmode=prefer"}}
out = {
    "apiKey": API_KEY,
    "single": httpx_json({"tenantSlug": "acme", "kind": "integrations", "payload": seal(integrations, key)}),
    "batch": httpx_json({"secrets": [
        {"tenantSlug": "acme", "kind": "datasources", "payload": seal(datasources, key)},
        {"tenantSlug": "beta", "kind": "integrations", "payload": seal({"x": {"api_key": "beta-only-key-123"}}, key)},
    ]}),
    "delete": {"tenantSlug": "acme", "kind": "integrations"},
}
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, 'secrets_push.json'), 'w') as f:
    json.dump(out, f, indent=1)
    f.write('\n')
