package acceptenc

import "testing"

func TestGzip(t *testing.T) {
	tests := map[string]bool{
		"":                      false,
		"gzip":                  true,
		"GZIP":                  true,
		"deflate, gzip":         true,
		"br, gzip;q=0.8":        true,
		"br;q=1.0, gzip;q=0.5":  true,
		"gzip;q=0.1":            true,
		"gzip;q=0":              false,
		"gzip; q=0.000":         false,
		"gzip; q=0.0":           false,
		"*":                     true,
		"identity;q=1, *;q=0.5": true,
		"deflate, br":           false,
		"identity":              false,
		"x-gzip":                false,
		"gzip;q=0, *":           false, // named gzip refused: * does not bring it back
		"*;q=0, gzip":           true,  // named gzip taken: * does not refuse it
		"*;q=0":                 false,
	}
	for header, want := range tests {
		if got := Gzip(header); got != want {
			t.Errorf("Gzip(%q) = %v, want %v", header, got, want)
		}
	}
}
