package contracttest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/frontbase/edge/adapters/testservers"
	ct "github.com/frontbase/edge/functions/internal/contracttest"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// BenchmarkDataProxy compares one page of a DataTable through POST
// /api/data/execute with the same two statements sent straight to
// tursodb's /v2/pipeline (the baseline, measured in the same run):
//
//	go test -run '^$' -bench DataProxy -benchtime 300x ./functions/internal/contracttest/
func BenchmarkDataProxy(b *testing.B) {
	db := testservers.StartTurso(b)
	seedProducts(b, db.URL, 500)
	e := enginetest.Start(b, enginetest.Options{Env: map[string]string{
		"FRONTBASE_DATASOURCES": fmt.Sprintf(`{"shop": {"type": "libsql", "url": %q}}`, db.URL),
		"FRONTBASE_HTTP_ALLOW":  strings.TrimPrefix(db.URL, "http://"),
		"FRONTBASE_TENANT":      "acme",
	}})
	publishPage(b, e, proxyDataTablePage("shop", "shop", true))
	b.Run("tursodb-direct", func(b *testing.B) {
		body := `{"requests":[{"type":"execute","stmt":{"sql":"SELECT * FROM \"products\" ORDER BY \"id\" DESC LIMIT ? OFFSET ?","args":[{"type":"integer","value":"20"},{"type":"integer","value":"40"}]}},` +
			`{"type":"execute","stmt":{"sql":"SELECT COUNT(*) AS n FROM \"products\""}}]}`
		for range b.N {
			resp, err := http.Post(db.URL+"/v2/pipeline", "application/json", strings.NewReader(body))
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
	b.Run("proxy", func(b *testing.B) {
		env := tsEnvelope("shop", 2, 20, "", "id")
		for range b.N {
			if r := ct.Browser(b, e, "POST", "/api/data/execute", env); r.Status != 200 {
				b.Fatalf("%d %s", r.Status, r.Body)
			}
		}
	})
}
