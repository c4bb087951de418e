// Package secrets keeps the per-tenant secret blobs the control plane pushes
// to an engine (POST /api/import/secrets): AES-256-GCM ciphertext stored as
// is in the state store, decrypted only when a workflow reads it.
//
// Cipher format (the control plane's app/services/edge_secrets_push.py):
//
//	standard base64( nonce (12 bytes) || ciphertext || GCM tag (16 bytes) )
//
// with no additional data; the plaintext is the UTF-8 JSON of the blob.
//
// Keys, tried in order: FRONTBASE_SECRETS_KEY (standard base64 of 32 bytes),
// FRONTBASE_SECRETS_KEY_OLD (the previous key while a rotation is under way);
// when neither is set, a key derived from the system key with
// HKDF-SHA256(ikm = FRONTBASE_SYSTEM_KEY, salt = "frontbase-secrets-v2",
// info = "aes-256-gcm", 32 bytes), which is what the control plane uses for
// engines in HKDF mode.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"
)

// HKDF parameters shared with the control plane: they must match its
// _HKDF_SALT and _HKDF_INFO byte for byte.
const (
	hkdfSalt = "frontbase-secrets-v2"
	hkdfInfo = "aes-256-gcm"
)

// Size bounds of what the engine accepts and stores.
const (
	nonceSize  = 12
	tagSize    = 16
	MaxPayload = 256 << 10 // one blob's ciphertext, base64
	MaxBatch   = 1000      // items of one batch push
)

// Secret is one stored blob: the ciphertext of (Tenant, Kind).
type Secret struct {
	Tenant    string
	Kind      string
	Payload   string // base64 ciphertext, never decrypted by the store
	UpdatedAt time.Time
}

// ErrDecrypt is the error of a blob no key opens (wrong key or tampered);
// it never carries the ciphertext or a key.
var ErrDecrypt = errors.New("the secret could not be decrypted with FRONTBASE_SECRETS_KEY, FRONTBASE_SECRETS_KEY_OLD or the key derived from FRONTBASE_SYSTEM_KEY")

// Keys are the candidate decryption keys, in the order they are tried.
type Keys struct {
	aeads []cipher.AEAD
	names []string // which setting each key came from
}

// ParseKeys reads the keys from the settings' values. An invalid key is an
// error naming its variable (never echoing it). With neither key set, the
// key is derived from systemKey; with no system key either, Keys is empty
// and every decryption fails with ErrDecrypt.
func ParseKeys(active, old, systemKey string) (*Keys, error) {
	k := &Keys{}
	for _, c := range []struct{ name, val string }{{"FRONTBASE_SECRETS_KEY", active}, {"FRONTBASE_SECRETS_KEY_OLD", old}} {
		if c.val == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(c.val)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("%s: expected the standard base64 of 32 random bytes (e.g. `openssl rand -base64 32`)", c.name)
		}
		if err := k.add(c.name, raw); err != nil {
			return nil, err
		}
	}
	if len(k.aeads) == 0 && systemKey != "" {
		if err := k.add("FRONTBASE_SYSTEM_KEY (HKDF)", DeriveKey(systemKey)); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (k *Keys) add(name string, key []byte) error {
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	k.aeads = append(k.aeads, aead)
	k.names = append(k.names, name)
	return nil
}

// Sources names where the keys came from (for health and docs; no key
// material).
func (k *Keys) Sources() []string { return append([]string(nil), k.names...) }

// Seal encrypts plaintext with the first (active) key in the format
// Decrypt opens; the engine seals its own values (page-auth session
// cookies) this way. Without a key it fails with ErrDecrypt.
func (k *Keys) Seal(plaintext []byte) (string, error) {
	if len(k.aeads) == 0 {
		return "", ErrDecrypt
	}
	nonce := make([]byte, nonceSize, nonceSize+len(plaintext)+tagSize)
	rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(k.aeads[0].Seal(nonce, nonce, plaintext, nil)), nil
}

// DeriveKey derives the 32-byte AES key from the engine's system key as the
// control plane's derive_secrets_key_from_system_key does.
func DeriveKey(systemKey string) []byte {
	key, err := hkdf.Key(sha256.New, []byte(systemKey), []byte(hkdfSalt), hkdfInfo, 32)
	if err != nil { // only for lengths HKDF-SHA256 cannot produce
		panic(err)
	}
	return key
}

// Decrypt opens a payload with the first key that authenticates it.
func (k *Keys) Decrypt(payload string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, errors.New("the secret is not standard base64")
	}
	if len(raw) < nonceSize+tagSize {
		return nil, errors.New("the secret is too short to be AES-GCM ciphertext")
	}
	for _, aead := range k.aeads {
		if out, err := aead.Open(nil, raw[:nonceSize], raw[nonceSize:], nil); err == nil {
			return out, nil
		}
	}
	return nil, ErrDecrypt
}

// Encrypt seals plaintext with key (32 bytes) in the control plane's
// format. The engine never encrypts blobs itself; tests and tools do.
func Encrypt(key, plaintext []byte) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, nonceSize, nonceSize+len(plaintext)+tagSize)
	rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, plaintext, nil)), nil
}

var (
	slugPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,99}$`) })
	kindPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`) })
)

// CheckTenant checks a tenant slug: a letter, then letters, digits, _ and
// -, at most 100 (the control plane's tenant slugs).
func CheckTenant(s string) error {
	if !slugPattern().MatchString(s) {
		return errors.New("expected a tenant slug: a letter, then letters, digits, _ or - (at most 100)")
	}
	return nil
}

// CheckKind checks a blob kind (datasources, integrations, auth, ...).
func CheckKind(s string) error {
	if !kindPattern().MatchString(s) {
		return errors.New("expected a kind: lower-case letters, digits and _, starting with a letter (at most 64), e.g. datasources or integrations")
	}
	return nil
}

// CheckPayload checks that a payload looks like the control plane's
// ciphertext, without decrypting it (a rotation may push blobs for a key
// the engine gets with its next deploy).
func CheckPayload(s string) error {
	if len(s) > MaxPayload {
		return fmt.Errorf("longer than %d bytes", MaxPayload)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return errors.New("expected standard base64 of nonce || ciphertext || tag")
	}
	if len(raw) < nonceSize+tagSize {
		return fmt.Errorf("too short for AES-256-GCM ciphertext (%d bytes decoded, at least %d)", len(raw), nonceSize+tagSize)
	}
	return nil
}
