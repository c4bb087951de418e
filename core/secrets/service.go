package secrets

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Store keeps the ciphertext rows (the state store: adapters/sqlstore).
type Store interface {
	// SaveTenantSecrets inserts or replaces each (Tenant, Kind), all or
	// none.
	SaveTenantSecrets(ctx context.Context, items []Secret) error
	// TenantSecrets lists the rows of one tenant, or of every tenant when
	// tenant is "", ordered by tenant and kind.
	TenantSecrets(ctx context.Context, tenant string) ([]Secret, error)
	// DeleteTenantSecret removes a row and reports whether there was one.
	DeleteTenantSecret(ctx context.Context, tenant, kind string) (bool, error)
}

// DefaultCacheTTL is how long decrypted blobs stay in process memory: long
// enough to spare a store read per execution under load, short enough
// that a push through another instance is seen soon.
const DefaultCacheTTL = 30 * time.Second

// Options configure a Service.
type Options struct {
	Keys     *Keys
	Tenant   string        // the tenant whose blobs workflows read
	CacheTTL time.Duration // DefaultCacheTTL when 0; negative: no cache
	Logger   *slog.Logger
	Now      func() time.Time
}

// Service stores the pushed blobs and resolves the engine tenant's blobs
// for workflows.
type Service struct {
	store Store
	opts  Options

	mu       sync.Mutex
	gen      uint64 // bumped by every write through this instance
	cached   *Resolved
	cachedAt time.Time
}

// Resolved is the engine tenant's blobs, decrypted.
type Resolved struct {
	// Values are the blobs' JSON values by kind.
	Values map[string]any
	// Failed are the kinds whose blob no key opens (or whose plaintext is
	// not JSON), by kind; the errors carry no secret.
	Failed map[string]error
}

// New returns a Service over store.
func New(store Store, opts Options) *Service {
	if opts.Keys == nil {
		opts.Keys = &Keys{}
	}
	if opts.CacheTTL == 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, opts: opts}
}

// Tenant is the tenant workflows read.
func (s *Service) Tenant() string { return s.opts.Tenant }

// Put stores items (already checked) in one write.
func (s *Service) Put(ctx context.Context, items []Secret) error {
	err := s.store.SaveTenantSecrets(ctx, items)
	s.invalidate()
	return err
}

// List returns every stored row (ciphertext).
func (s *Service) List(ctx context.Context) ([]Secret, error) {
	return s.store.TenantSecrets(ctx, "")
}

// Delete removes (tenant, kind).
func (s *Service) Delete(ctx context.Context, tenant, kind string) (bool, error) {
	ok, err := s.store.DeleteTenantSecret(ctx, tenant, kind)
	s.invalidate()
	return ok, err
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.gen++
	s.cached = nil
	s.mu.Unlock()
}

// Resolve returns the engine tenant's blobs, decrypted. Callers must not
// modify what it returns (it is shared while cached).
func (s *Service) Resolve(ctx context.Context) (*Resolved, error) {
	s.mu.Lock()
	if s.cached != nil && s.opts.Now().Sub(s.cachedAt) < s.opts.CacheTTL {
		r := s.cached
		s.mu.Unlock()
		return r, nil
	}
	gen := s.gen
	s.mu.Unlock()

	rows, err := s.store.TenantSecrets(ctx, s.opts.Tenant)
	if err != nil {
		return nil, err
	}
	r := &Resolved{Values: make(map[string]any, len(rows)), Failed: map[string]error{}}
	for _, row := range rows {
		plain, err := s.opts.Keys.Decrypt(row.Payload)
		if err == nil {
			var v any
			if jerr := json.Unmarshal(plain, &v); jerr != nil {
				err = errInvalidJSON
			} else {
				r.Values[row.Kind] = v
			}
			clear(plain)
		}
		if err != nil {
			r.Failed[row.Kind] = err
			s.opts.Logger.WarnContext(ctx, "tenant secret unusable", "tenant", row.Tenant, "kind", row.Kind, "err", err)
		}
	}
	if s.opts.CacheTTL > 0 {
		s.mu.Lock()
		if s.gen == gen { // no write landed while reading
			s.cached, s.cachedAt = r, s.opts.Now()
		}
		s.mu.Unlock()
	}
	return r, nil
}

type jsonError struct{}

func (jsonError) Error() string { return "the decrypted secret is not JSON" }

var errInvalidJSON error = jsonError{}
