"""Writes vectors.json: tenant-secret blobs sealed the way the Frontbase
control plane seals them (app/services/edge_secrets_push.py:
derive_secrets_key_from_system_key and encrypt_tenant_secret), with Python's
`cryptography`, so the engine's decryption is checked against the real
format. Fixed nonces keep the file stable; the control plane draws them
from os.urandom. Run: python3 core/secrets/testdata/vectors.py
"""
import base64, json, os
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

def derive(system_key):
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b'frontbase-secrets-v2', info=b'aes-256-gcm')
    return base64.b64encode(hkdf.derive(system_key.encode('utf-8'))).decode('ascii')

def seal(plaintext_json, key_b64, nonce):
    key = base64.b64decode(key_b64)
    plaintext = json.dumps(plaintext_json) if not isinstance(plaintext_json, str) else plaintext_json
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext.encode('utf-8'), None)).decode('ascii')

system_key = 'fb-system-key-0123456789abcdef0123456789'
random_key = base64.b64encode(bytes(range(32))).decode('ascii')
old_key = base64.b64encode(bytes(range(100, 132))).decode('ascii')
blob = {"acct_1": {"provider": "resend", "api_key": "re_live_7Hq2mXv9PzL4", "from": "Acme <hi@acme.test>"}}
vectors = {
    "systemKey": system_key,
    "derivedKey": derive(system_key),
    "randomKey": random_key,
    "oldKey": old_key,
    "plaintext": json.dumps(blob),
    "sealedWithDerived": seal(blob, derive(system_key), bytes([1] * 12)),
    "sealedWithRandom": seal(blob, random_key, bytes([2] * 12)),
    "sealedWithOld": seal(blob, old_key, bytes([3] * 12)),
    "unicode": seal({"k": "clé ✓"}, random_key, bytes([4] * 12)),
}
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, 'vectors.json'), 'w') as f:
    json.dump(vectors, f, indent=1, ensure_ascii=False)
    f.write('\n')
