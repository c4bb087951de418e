package site

import (
	"fmt"
	"testing"
	"time"
)

func TestLocalDraftsAreBounded(t *testing.T) {
	later := time.Now().Add(time.Hour)
	tests := []struct {
		name            string
		maxN, maxBytes  int
		puts            int
		size            int
		wantN, wantLast int // drafts kept; the newest must be one of them
	}{
		{"by count", 3, 1 << 20, 10, 10, 3, 9},
		{"by bytes", 100, 250, 10, 100, 2, 9},
		{"room to spare", 100, 1 << 20, 5, 10, 5, 4},
	}
	for _, tt := range tests {
		d := &drafts{m: map[string]draft{}, maxN: tt.maxN, maxBytes: tt.maxBytes}
		for i := range tt.puts {
			// Later drafts expire later, so the earliest go first.
			d.put(fmt.Sprint(i), make([]byte, tt.size), later.Add(time.Duration(i)*time.Second))
		}
		if len(d.m) != tt.wantN || d.bytes != tt.wantN*tt.size {
			t.Errorf("%s: %d drafts, %d bytes; want %d", tt.name, len(d.m), d.bytes, tt.wantN)
		}
		if _, ok := d.get(fmt.Sprint(tt.wantLast)); !ok {
			t.Errorf("%s: the newest draft was evicted", tt.name)
		}
	}
}

func TestLocalDraftsExpire(t *testing.T) {
	d := &drafts{m: map[string]draft{}, maxN: 10, maxBytes: 1 << 20}
	d.put("old", []byte("x"), time.Now().Add(-time.Second))
	d.put("new", []byte("y"), time.Now().Add(time.Hour))
	if _, ok := d.get("old"); ok {
		t.Error("an expired draft was served")
	}
	if len(d.m) != 1 || d.bytes != 1 {
		t.Errorf("expired drafts kept: %d drafts, %d bytes", len(d.m), d.bytes)
	}
}
