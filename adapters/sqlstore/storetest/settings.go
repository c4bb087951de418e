package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/frontbase/edge/core"
)

// MergeSettings checks that a settings push changes only the members it
// names (null clears one), as the control plane's pushes need: the
// security sync must not wipe the site name the publish flow set.
func MergeSettings(t *testing.T, s Store) {
	ctx := context.Background()
	push := func(body string) (int64, *core.Settings) {
		t.Helper()
		p, err := core.DecodeSettingsPatch([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		gen, got, err := s.MergeSettings(ctx, "", p)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return gen, got
	}
	// As publish.py, auth.py and auth_forms.py send them.
	g1, _ := push(`{"faviconUrl": null, "logoUrl": "https://cdn.example/logo.png", "siteName": "Acme", "siteDescription": "The site", "appUrl": "https://acme.example/", "usersConfig": {"contactsTable": "contacts"}}`)
	g2, _ := push(`{"securityConfig": {"ipBlocklist": {"_default": ["203.0.113.7", "198.51.100.0/24"]}, "botProtection": {"enabled": true, "provider": "cloudflare"}}}`)
	_, got := push(`{"authForms": "{\"f1\": {\"type\": \"login\"}}", "logoUrl": null}`)
	if g2 != g1+1 {
		t.Errorf("generation %d after %d: a push bumps it once", g2, g1)
	}
	stored, err := s.Settings(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*core.Settings{got, stored} {
		if st.SiteName != "Acme" || st.SiteDescription != "The site" || st.AppURL != "https://acme.example" || st.LogoURL != "" {
			t.Errorf("known members after three pushes: %+v", st)
		}
		for _, k := range []string{"usersConfig", "securityConfig", "authForms"} {
			if st.Extra[k] == nil {
				t.Errorf("%s lost: %v", k, st.Extra)
			}
		}
		if n := len(st.BlockedIPs(core.DefaultTenant)); n != 2 {
			t.Errorf("%d blocked ranges, want 2", n)
		}
	}
	// The stored document is the merge, byte for byte in its members.
	var doc map[string]json.RawMessage
	data, _ := json.Marshal(stored)
	json.Unmarshal(data, &doc)
	if !strings.Contains(string(doc["authForms"]), `\"f1\"`) {
		t.Errorf("authForms = %s", doc["authForms"])
	}
	// The security sync again, with an emptied list: the list is replaced,
	// not merged into.
	push(`{"securityConfig": {"ipBlocklist": {}}}`)
	if stored, _ := s.Settings(ctx, ""); len(stored.BlockedIPs(core.DefaultTenant)) != 0 || stored.SiteName != "Acme" {
		t.Errorf("after emptying the blocklist: %+v", stored)
	}
}

// VersionConflicts checks the control plane's page versions: a publish
// that is not forced and older than the stored page is refused, with the
// page's path; the same version is a retry or an edit, not a conflict.
func VersionConflicts(t *testing.T, s Store) {
	ctx := context.Background()
	page := func(content string, version float64, force bool) core.PublishPageInput {
		p := sitePage("p1", "über uns", content, false)
		p.Page.Version = &version
		p.Document = []byte(strings.Replace(string(p.Document), `{"id"`, fmt.Sprintf(`{"version":%v,"id"`, version), 1))
		p.Force = force
		p.CheckVersion = true
		return p
	}
	publish := func(pages ...core.PublishPageInput) (*core.PublishPagesResult, error) {
		return s.PublishPages(ctx, core.PublishPagesInput{Pages: pages})
	}
	if _, err := publish(page("A", 5, false)); err != nil {
		t.Fatal(err)
	}
	if res, err := publish(page("A", 5, false)); err != nil || !res.Pages[0].Unchanged {
		t.Errorf("a retried publish: %+v %v, want unchanged", res, err)
	}
	for _, v := range []float64{3, 4.5} {
		_, err := publish(sitePage("other", "fine", "F", false), page("B", v, false))
		if core.ErrorCode(err) != core.ECONFLICT {
			t.Errorf("version %v over 5: %v, want a conflict", v, err)
			continue
		}
		d := core.ErrorDetails(err)
		if len(d) != 1 || d[0].Path != "pages[1].version" || !strings.Contains(d[0].Message, "force") {
			t.Errorf("version %v: details %v", v, d)
		}
	}
	if p, err := s.Page(ctx, "", "fine"); err == nil && p != nil {
		t.Errorf("a conflicting batch wrote its other page")
	}
	if res, err := publish(page("B", 5, false)); err != nil || res.Pages[0].Unchanged {
		t.Errorf("an edit under the same version: %+v %v, want written", res, err)
	}
	if res, err := publish(page("C", 3, true)); err != nil || res.Pages[0].Unchanged {
		t.Errorf("forced older version: %+v %v, want written", res, err)
	}
	if _, err := publish(page("D", 4, false)); err != nil {
		t.Errorf("newer version: %v", err)
	}
	// Pages without a version are not compared.
	noVersion := sitePage("p1", "über uns", "D", false)
	if _, err := publish(noVersion); err != nil {
		t.Errorf("no version: %v", err)
	}
}
