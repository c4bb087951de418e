package main

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestDashboardAndPreviewInChromium opens the analytics dashboard (after
// real page views and a flush) and a preview in headless Chromium: both
// render, their styles survive the dashboard's CSP, and nothing is logged
// to the console.
func TestDashboardAndPreviewInChromium(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{Mode: "local"})
	e.PublishDemo(t)
	ua := []string{"User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148 Safari/604.1", "Referer", "https://news.example/story"}
	for _, p := range []string{"/", "/", "/about", "/pricing", "/pricing", "/pricing"} {
		if resp, _ := e.Do(t, "GET", p, nil, ua...); resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
	}
	if _, err := e.Flusher.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	previewPath, _ := makePreview(t, e, previewBody(t, "Browser preview", 300, "about"))

	ctx := browser(t)
	var errs consoleErrors
	errs.listen(ctx)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+e.Key))
	var views, pages, font string
	var bars int
	var barBox float64
	var shot []byte
	err := chromedp.Run(ctx,
		network.Enable(),
		network.SetExtraHTTPHeaders(network.Headers{"Authorization": auth}),
	)
	if err != nil {
		t.Fatal("set-up: ", err)
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(e.URL+"/_frontbase/analytics"),
		chromedp.WaitVisible("#daily", chromedp.ByID),
		chromedp.Text("#total-views", &views, chromedp.ByID),
		chromedp.Evaluate(`document.getElementById('pages').textContent`, &pages), // SVG has no innerText
		chromedp.Evaluate(`document.querySelectorAll('#daily rect.bar').length`, &bars),
		chromedp.Evaluate(`Math.max(...[...document.querySelectorAll('#daily rect.bar')].map(r => r.getBoundingClientRect().height))`, &barBox),
		chromedp.Evaluate(`getComputedStyle(document.body).fontFamily`, &font),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(views) != "6" || !strings.Contains(pages, "/pricing") || bars != 30 || barBox <= 0 {
		t.Errorf("dashboard: views %q, pages %q, %d bars, tallest %.1f px", views, pages, bars, barBox)
	}
	if file := filepath.Join(os.TempDir(), "frontbase-dashboard.png"); os.WriteFile(file, shot, 0o644) == nil {
		t.Logf("dashboard screenshot: %s (%d bytes)", file, len(shot))
	}
	if !strings.Contains(font, "system-ui") {
		t.Errorf("the dashboard's styles did not apply (font %q): blocked by its CSP?", font)
	}
	// The page filter is a link: following it shows that page alone.
	err = chromedp.Run(ctx,
		chromedp.Click(`#pages a`, chromedp.ByQuery),
		chromedp.WaitVisible("#page-filter", chromedp.ByID),
		chromedp.Text("#total-views", &views, chromedp.ByID),
	)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(views) != "3" {
		t.Errorf("the top page's own view shows %q views, want 3", views)
	}
	if list := errs.take(); len(list) > 0 {
		t.Errorf("dashboard: console errors:\n%s", strings.Join(list, "\n"))
	}

	// On a phone nothing leaves the screen.
	var out []string
	err = chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(390, 800, 1, true),
		chromedp.Navigate(e.URL+"/_frontbase/analytics"), chromedp.WaitVisible("#daily", chromedp.ByID),
		chromedp.Evaluate(overflowJS, &out), emulation.ClearDeviceMetricsOverride())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 0 {
		t.Errorf("dashboard at 390 px: elements leave the screen:\n  %s", strings.Join(out, "\n  "))
	}

	var marked bool
	err = chromedp.Run(ctx,
		chromedp.Navigate(e.URL+previewPath),
		chromedp.WaitReady("body", chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.outerHTML.includes('Browser preview') && !!document.querySelector('meta[name=robots][content=noindex]')`, &marked),
		chromedp.Sleep(200*time.Millisecond), // let the runtime start
	)
	if err != nil {
		t.Fatal(err)
	}
	if !marked {
		t.Error("the preview is not the draft, or not noindex")
	}
	if list := errs.take(); len(list) > 0 {
		t.Errorf("preview: console errors:\n%s", strings.Join(list, "\n"))
	}
}
