// Package poll is the tests' one way to wait for something they cannot be
// told about: check a condition until it holds or a deadline passes. Waiting
// a fixed time instead is either too short on a loaded machine (a flake) or
// too long everywhere else (a slow suite).
package poll

import (
	"testing"
	"time"
)

// Timeout bounds every wait: generous, because the machine running the
// tests is shared and busy; a condition that holds returns at once anyway.
const Timeout = 30 * time.Second

// interval between checks: short enough not to slow a test down, long
// enough not to starve the goroutines the test is waiting for.
const interval = 5 * time.Millisecond

// Until checks cond until it returns true, and fails the test (naming what)
// if it has not within Timeout. Inside a testing/synctest bubble the waits
// are on the bubble's clock, so they cost no real time.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, Timeout)
		}
		time.Sleep(interval)
	}
}
