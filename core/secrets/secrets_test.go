package secrets

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

type vectors struct {
	SystemKey, DerivedKey, RandomKey, OldKey, Plaintext string
	SealedWithDerived, SealedWithRandom, SealedWithOld  string
	Unicode                                             string
}

// loadVectors reads blobs sealed by the control plane's own algorithm
// (testdata/vectors.py, Python `cryptography`).
func loadVectors(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDeriveKeyMatchesControlPlane(t *testing.T) {
	v := loadVectors(t)
	if got := base64.StdEncoding.EncodeToString(DeriveKey(v.SystemKey)); got != v.DerivedKey {
		t.Fatalf("HKDF key = %s, control plane derives %s", got, v.DerivedKey)
	}
}

func TestDecryptControlPlaneBlobs(t *testing.T) {
	v := loadVectors(t)
	cases := []struct {
		name                string
		active, old, sysKey string
		payload             string
		want                string // "" = ErrDecrypt
	}{
		{"active key", v.RandomKey, "", "", v.SealedWithRandom, v.Plaintext},
		{"old key during rotation", v.RandomKey, v.OldKey, "", v.SealedWithOld, v.Plaintext},
		{"old blob without the old key", v.RandomKey, "", "", v.SealedWithOld, ""},
		{"derived from the system key", "", "", v.SystemKey, v.SealedWithDerived, v.Plaintext},
		{"an env key disables derivation", v.RandomKey, "", v.SystemKey, v.SealedWithDerived, ""},
		{"no key at all", "", "", "", v.SealedWithRandom, ""},
		{"utf-8 (Python escapes it)", v.RandomKey, "", "", v.Unicode, `{"k": "cl\u00e9 \u2713"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := ParseKeys(c.active, c.old, c.sysKey)
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.Decrypt(c.payload)
			if c.want == "" {
				if !errors.Is(err, ErrDecrypt) {
					t.Fatalf("got %q, %v; want ErrDecrypt", got, err)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestDecryptRefusesTampering(t *testing.T) {
	v := loadVectors(t)
	k, _ := ParseKeys(v.RandomKey, "", "")
	raw, _ := base64.StdEncoding.DecodeString(v.SealedWithRandom)
	raw[len(raw)-20] ^= 1
	if _, err := k.Decrypt(base64.StdEncoding.EncodeToString(raw)); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("a flipped bit must fail authentication: %v", err)
	}
	for _, bad := range []string{"not base64!", "AAAA"} {
		if _, err := k.Decrypt(bad); err == nil || strings.Contains(err.Error(), bad) {
			t.Fatalf("Decrypt(%q) = %v", bad, err)
		}
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	v := loadVectors(t)
	key, _ := base64.StdEncoding.DecodeString(v.RandomKey)
	sealed, err := Encrypt(key, []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := ParseKeys(v.RandomKey, "", "")
	if got, err := k.Decrypt(sealed); err != nil || string(got) != `{"a":1}` {
		t.Fatalf("%q, %v", got, err)
	}
}

func TestParseKeysErrorsNameTheVariable(t *testing.T) {
	secret := "c2hvcnQ=" // 5 bytes
	_, err := ParseKeys(secret, "", "")
	if err == nil || !strings.Contains(err.Error(), "FRONTBASE_SECRETS_KEY:") || strings.Contains(err.Error(), secret) {
		t.Fatalf("err = %v", err)
	}
	_, err = ParseKeys(base64.StdEncoding.EncodeToString(make([]byte, 32)), "%%%", "")
	if err == nil || !strings.Contains(err.Error(), "FRONTBASE_SECRETS_KEY_OLD:") {
		t.Fatalf("err = %v", err)
	}
}

func TestChecks(t *testing.T) {
	for _, s := range []string{"acme", "Acme-co_2"} {
		if CheckTenant(s) != nil {
			t.Errorf("tenant %q refused", s)
		}
	}
	for _, s := range []string{"", "_default", "1acme", "a/b", strings.Repeat("a", 101)} {
		if CheckTenant(s) == nil {
			t.Errorf("tenant %q accepted", s)
		}
	}
	for _, s := range []string{"", "Datasources", "a-b", "x y"} {
		if CheckKind(s) == nil {
			t.Errorf("kind %q accepted", s)
		}
	}
	if CheckPayload("AAAA") == nil || CheckPayload("@@") == nil || CheckPayload(strings.Repeat("A", MaxPayload+4)) == nil {
		t.Error("bad payloads accepted")
	}
	if err := CheckPayload(loadVectors(t).SealedWithRandom); err != nil {
		t.Error(err)
	}
}

// memStore is a Store in memory that counts reads.
type memStore struct {
	mu    sync.Mutex
	rows  map[[2]string]string
	reads int
}

func (m *memStore) SaveTenantSecrets(_ context.Context, items []Secret) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range items {
		m.rows[[2]string{it.Tenant, it.Kind}] = it.Payload
	}
	return nil
}

func (m *memStore) TenantSecrets(_ context.Context, tenant string) ([]Secret, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	var out []Secret
	for k, p := range m.rows {
		if tenant == "" || k[0] == tenant {
			out = append(out, Secret{Tenant: k[0], Kind: k[1], Payload: p})
		}
	}
	return out, nil
}

func (m *memStore) DeleteTenantSecret(_ context.Context, tenant, kind string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.rows[[2]string{tenant, kind}]
	delete(m.rows, [2]string{tenant, kind})
	return ok, nil
}

func TestResolveCachesBrieflyAndWritesInvalidate(t *testing.T) {
	v := loadVectors(t)
	keys, _ := ParseKeys(v.RandomKey, "", "")
	st := &memStore{rows: map[[2]string]string{
		{"acme", "integrations"}: v.SealedWithRandom,
		{"acme", "auth"}:         v.SealedWithOld, // no key opens it
		{"beta", "integrations"}: v.SealedWithRandom,
	}}
	now := time.Unix(1000, 0)
	svc := New(st, Options{Keys: keys, Tenant: "acme", Now: func() time.Time { return now }})
	ctx := context.Background()
	r, err := svc.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	acct := r.Values["integrations"].(map[string]any)["acct_1"].(map[string]any)
	if acct["api_key"] != "re_live_7Hq2mXv9PzL4" || len(r.Values) != 1 {
		t.Fatalf("values = %v", r.Values)
	}
	if !errors.Is(r.Failed["auth"], ErrDecrypt) {
		t.Fatalf("failed = %v", r.Failed)
	}
	svc.Resolve(ctx)
	if st.reads != 1 {
		t.Fatalf("reads = %d, want 1 (cached)", st.reads)
	}
	now = now.Add(DefaultCacheTTL)
	svc.Resolve(ctx)
	if st.reads != 2 {
		t.Fatalf("reads = %d, want 2 (expired)", st.reads)
	}
	svc.Delete(ctx, "acme", "integrations")
	r, _ = svc.Resolve(ctx)
	if st.reads != 3 || r.Values["integrations"] != nil {
		t.Fatalf("reads = %d, values %v: a delete must drop the cache", st.reads, r.Values)
	}
}

// BenchmarkDecrypt is one blob opened with the first key tried.
func BenchmarkDecrypt(b *testing.B) {
	raw, _ := os.ReadFile("testdata/vectors.json")
	var v vectors
	json.Unmarshal(raw, &v)
	k, _ := ParseKeys(v.RandomKey, "", "")
	for b.Loop() {
		if _, err := k.Decrypt(v.SealedWithRandom); err != nil {
			b.Fatal(err)
		}
	}
}
