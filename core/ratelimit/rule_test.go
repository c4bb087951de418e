package ratelimit

import (
	"reflect"
	"strings"
	"testing"

	"github.com/frontbase/edge/core"
)

func TestDecodeRule(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  *Rule
		paths []string // the JSON paths of the problems, in order
	}{
		{name: "full rule",
			body: `{"id":"hooks","pathPattern":"/api/webhook/*","methods":["post","GET","POST"],"limit":10,"windowSeconds":60,"key":"header:X-Api-Key","failClosed":true}`,
			want: &Rule{ID: "hooks", PathPattern: "/api/webhook/*", Methods: []string{"POST", "GET"}, Limit: 10, WindowSeconds: 60, Key: "header:X-Api-Key", FailClosed: true}},
		{name: "methods default to all",
			body: `{"id":"a.b_c-1","pathPattern":"*","limit":1,"windowSeconds":1,"key":"ip"}`,
			want: &Rule{ID: "a.b_c-1", PathPattern: "*", Methods: []string{}, Limit: 1, WindowSeconds: 1, Key: "ip"}},
		{name: "not an object", body: `[1]`, paths: []string{"$"}},
		{name: "everything missing", body: `{}`, paths: []string{"id", "pathPattern", "limit", "windowSeconds", "key"}},
		{name: "every field wrong",
			body:  `{"id":"bad id","pathPattern":"no-slash","methods":["GET","FETCH",3],"limit":0,"windowSeconds":1.5,"key":"cookie","failClosed":"yes","extra":1}`,
			paths: []string{"extra", "id", "pathPattern", "methods[1]", "methods[2]", "limit", "windowSeconds", "key", "failClosed"}},
		{name: "limits", body: `{"id":"x","pathPattern":"/a**","limit":1000001,"windowSeconds":604801,"key":"header:"}`,
			paths: []string{"pathPattern", "limit", "windowSeconds", "key"}},
		{name: "wrong types", body: `{"id":1,"pathPattern":"/","methods":"GET","limit":"10","windowSeconds":60,"key":"path"}`,
			paths: []string{"id", "methods", "limit"}},
		{name: "a space in the pattern", body: `{"id":"x","pathPattern":"/a b","limit":1,"windowSeconds":1,"key":"workflow"}`,
			paths: []string{"pathPattern"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeRule([]byte(tt.body))
			if tt.paths == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("error %v, want invalid", err)
			}
			var paths []string
			for _, d := range core.ErrorDetails(err) {
				paths = append(paths, d.Path)
			}
			if !reflect.DeepEqual(paths, tt.paths) {
				t.Fatalf("problems at %v, want %v (%v)", paths, tt.paths, core.ErrorDetails(err))
			}
		})
	}
}

func TestDecodeRules(t *testing.T) {
	rule := func(id string) string {
		return `{"id":"` + id + `","pathPattern":"/","limit":1,"windowSeconds":1,"key":"ip"}`
	}
	tests := []struct {
		body    string
		wantIDs []string
		wantErr string
	}{
		{body: `{"rules":[` + rule("a") + `,` + rule("b") + `]}`, wantIDs: []string{"a", "b"}},
		{body: `[` + rule("a") + `]`, wantIDs: []string{"a"}},
		{body: `{"rules":[]}`, wantIDs: []string{}},
		{body: `{"rules":[` + rule("a") + `,` + rule("a") + `]}`, wantErr: `rules[1].id: duplicate id "a" (also at index 0)`},
		{body: `[` + rule("a") + `,{"id":"b"}]`, wantErr: `[1].pathPattern: required`},
		{body: `{"rule":[]}`, wantErr: `rule: unknown field`},
		{body: `{"rules":{}}`, wantErr: `rules: must be an array`},
		{body: `{"rules":[]} x`, wantErr: `invalid JSON`},
	}
	for _, tt := range tests {
		got, err := DecodeRules([]byte(tt.body))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v, want %q", tt.body, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.body, err)
		}
		ids := []string{}
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if !reflect.DeepEqual(ids, tt.wantIDs) {
			t.Errorf("%s: ids %v, want %v", tt.body, ids, tt.wantIDs)
		}
	}
}
