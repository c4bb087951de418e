package render

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lifts the Liquid time budget for the package's tests: on a
// loaded machine its 50 ms of wall time ran out in golden and scope tests,
// which then saw templates shown as written. TestLiquidTimeBudget checks
// the clock bound itself; the iteration and size bounds need no clock.
func TestMain(m *testing.M) {
	liquidTimeBudget = time.Minute
	os.Exit(m.Run())
}

func TestLiquidTimeBudget(t *testing.T) {
	defer func(d time.Duration) { liquidTimeBudget = d }(liquidTimeBudget)
	liquidTimeBudget = 0 // spent before the first step
	p := pageOf(t, `[{"type":"Text","props":{"text":"{% for i in (1..3) %}x{% endfor %}done"}}]`)
	r, _ := quietRenderer()
	out := body(render(t, r, Input{Page: p}))
	if strings.Contains(out, "xxxdone") || !strings.Contains(out, "{% for i in (1..3) %}") {
		t.Errorf("a template past its time budget rendered instead of showing as written: %s", out)
	}
}
