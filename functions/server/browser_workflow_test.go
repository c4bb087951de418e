package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// TestBrowserNewsletterRunsTheRealWorkflow submits the contact page's form
// in Chromium against the real /api/public/execute route: the newsletter
// workflow runs, and the page applies its effects (a toast and a local
// variable).
func TestBrowserNewsletterRunsTheRealWorkflow(t *testing.T) {
	ctx := browser(t)
	e := enginetest.Start(t, enginetest.Options{})
	e.PublishDemo(t)
	news := workflowFixture(t, "newsletter")
	if resp, body := e.Manage(t, "POST", "/api/deploy", news); resp.StatusCode != 200 {
		t.Fatalf("deploy: %s", body)
	}
	var stored, toasts string
	err := chromedp.Run(ctx,
		chromedp.Navigate(e.URL+"/contact"),
		chromedp.Poll(`!!window.frontbase`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.SendKeys(`input[name=email]`, "grace@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`textarea[name=message]`, "Hi", chromedp.ByQuery),
		chromedp.Click(`form.fb-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`//div[contains(@class,"fb-toast")][text()="Welcome aboard"]`, chromedp.BySearch),
		chromedp.Evaluate(`localStorage.getItem("fb:subscribed")`, &stored),
		chromedp.Evaluate(`[...document.querySelectorAll('.fb-toast')].map(t => t.textContent).join('|')`, &toasts),
	)
	if err != nil {
		t.Fatal(err)
	}
	if toasts != "Welcome aboard" { // the workflow's toast, not the binding's as well
		t.Errorf("toasts: %q", toasts)
	}
	if stored != `"yes"` {
		t.Errorf("local variable subscribed = %q", stored)
	}
	_, body := e.Manage(t, "GET", "/api/executions/workflow/5b0c2d1e-7a41-4c55-9e0a-2f6d1c9b0a02", "")
	if !strings.Contains(body, `"email":"grace@example.com"`) || !strings.Contains(body, `"eventType":"submit"`) || !strings.Contains(body, `"status":"completed"`) {
		t.Errorf("execution record: %s", body)
	}
}
