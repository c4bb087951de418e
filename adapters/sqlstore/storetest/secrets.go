package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/frontbase/edge/core/secrets"
)

// TenantSecrets checks the tenant_secrets rows: upsert by (tenant, kind),
// listing one tenant or all in order, payloads kept byte for byte, a batch
// written whole, and delete reporting whether a row went.
func TenantSecrets(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	if got, err := s.TenantSecrets(ctx, ""); err != nil || len(got) != 0 {
		t.Fatalf("fresh store: %v, %v", got, err)
	}
	big := strings.Repeat("QUJD", 20000) // 80 KB of base64
	put := []secrets.Secret{
		{Tenant: "acme", Kind: "integrations", Payload: "aW50ZWdyYXRpb25zLXYx"},
		{Tenant: "acme", Kind: "datasources", Payload: big},
		{Tenant: "beta", Kind: "datasources", Payload: "YmV0YQ=="},
	}
	if err := s.SaveTenantSecrets(ctx, put); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTenantSecrets(ctx, []secrets.Secret{{Tenant: "acme", Kind: "integrations", Payload: "djI="}}); err != nil {
		t.Fatal(err)
	}
	all, err := s.TenantSecrets(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"acme/datasources=" + big, "acme/integrations=djI=", "beta/datasources=YmV0YQ=="}
	if got := rowsOf(all); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("all rows = %.200q, want %.200q", got, want)
	}
	for _, r := range all {
		if r.UpdatedAt.IsZero() {
			t.Fatalf("%s/%s has no updated time", r.Tenant, r.Kind)
		}
	}
	beta, err := s.TenantSecrets(ctx, "beta")
	if err != nil || len(beta) != 1 || beta[0].Kind != "datasources" {
		t.Fatalf("beta rows = %v, %v", rowsOf(beta), err)
	}
	if gone, err := s.DeleteTenantSecret(ctx, "acme", "integrations"); err != nil || !gone {
		t.Fatalf("delete: %v, %v", gone, err)
	}
	if gone, err := s.DeleteTenantSecret(ctx, "acme", "integrations"); err != nil || gone {
		t.Fatalf("second delete must find nothing: %v, %v", gone, err)
	}
	acme, err := s.TenantSecrets(ctx, "acme")
	if err != nil || len(acme) != 1 || acme[0].Kind != "datasources" {
		t.Fatalf("acme rows after delete = %.200q, %v", rowsOf(acme), err)
	}
}

func rowsOf(list []secrets.Secret) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = r.Tenant + "/" + r.Kind + "=" + r.Payload
	}
	return out
}
