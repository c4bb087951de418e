package publish

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"urls, comments and blanks", "# fleet\nhttps://eu.example.com\n\n  http://127.0.0.1:3001/  \n", []string{"https://eu.example.com", "http://127.0.0.1:3001/"}, ""},
		{"empty", "# nothing\n", nil, ""},
		{"no scheme", "eu.example.com\n", nil, "line 1"},
		{"ftp", "https://a.example\nftp://b.example\n", nil, "line 2"},
	}
	for _, tt := range tests {
		got, err := ParseTargets(strings.NewReader(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: %v %v, want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestPushAllReportsPerTarget(t *testing.T) {
	var okCalls atomic.Int64
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		okCalls.Add(1)
		w.Write([]byte(`{"success":true,"pages":[{"slug":"about","version":1}],"generation":1,"changed":true}`))
	}))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		w.Write([]byte(`{"success":false,"error":"unauthorized"}`))
	}))
	defer bad.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "about.json"), []byte(`{"page":{}}`), 0o644)

	res := PushAll(context.Background(), []string{ok.URL, bad.URL, ok.URL + "/", "http://127.0.0.1:1"}, Options{Key: "k", Dir: dir}, 2)
	if len(res) != 3 {
		t.Fatalf("%d results, want 3 (the duplicate published once)", len(res))
	}
	if okCalls.Load() != 1 {
		t.Errorf("the duplicate target was published %d times", okCalls.Load())
	}
	wantFailed := []int{0, 1, 1}
	for i, r := range res {
		if r.Failed() != wantFailed[i] {
			t.Errorf("%s: %d failed, want %d (%v)", r.URL, r.Failed(), wantFailed[i], r.Results)
		}
	}
	if res[0].URL != ok.URL || res[1].URL != bad.URL {
		t.Errorf("results out of order: %s, %s", res[0].URL, res[1].URL)
	}
}
