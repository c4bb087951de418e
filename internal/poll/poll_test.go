package poll

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
)

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	Until(t, "three increments", func() bool { return n.Load() == 3 })
}

// fatalRecorder notes a Fatalf instead of ending the test.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(string, ...any) {
	f.failed = true
	panic(f)
}

func TestUntilFailsPastTheDeadline(t *testing.T) {
	// In a bubble the 30s deadline passes on the fake clock, at once.
	synctest.Test(t, func(t *testing.T) {
		r := &fatalRecorder{TB: t}
		func() {
			defer func() {
				if p := recover(); p != nil && p != r {
					panic(p)
				}
			}()
			Until(r, "never", func() bool { return false })
		}()
		if !r.failed {
			t.Error("Until returned for a condition that never holds")
		}
	})
}
