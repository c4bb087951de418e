package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/frontbase/edge/adapters/testservers"
	"github.com/frontbase/edge/functions/internal/enginetest"
)

// chromiumPath finds the browser: $CHROMIUM, else chromium on PATH.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts headless Chromium for one test. In CI (CI=true) a
// browser that cannot start fails the test; elsewhere the test is skipped
// with the reason.
func browser(t *testing.T) context.Context {
	t.Helper()
	testservers.NeedsServers(t, "headless Chromium")
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatalf("headless Chromium is required in CI: %s (scripts/deps.sh installs Debian chromium)", msg)
		}
		t.Skipf("skipping the browser test: %s (install Debian chromium, or run scripts/deps.sh)", msg)
	}
	path := chromiumPath()
	if path == "" {
		unavailable("no chromium on PATH and CHROMIUM unset")
	}
	// A fresh profile, removed after the browser is gone (not t.TempDir:
	// Chromium's helpers may still be writing to it when the test ends).
	profile, err := os.MkdirTemp("", "frontbase-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// This chromedp release predates some events of Debian's Chromium and
	// logs each as an error; they are not errors of the page.
	quiet := chromedp.WithErrorf(func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "unhandled node event") && !strings.Contains(msg, "unhandled page event") {
			log.Print("chromedp: " + msg)
		}
	})
	ctx, cancelCtx := chromedp.NewContext(actx, quiet)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		unavailable("chromium (%s) did not start: %v", path, err)
	}
	return ctx
}

// consoleErrors collects console errors and uncaught exceptions.
type consoleErrors struct {
	mu   sync.Mutex
	list []string
}

func (c *consoleErrors) listen(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				c.list = append(c.list, "console."+string(e.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			c.list = append(c.list, "exception: "+e.ExceptionDetails.Error())
		}
	})
}

func (c *consoleErrors) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.list
	c.list = nil
	return out
}

// workflowCalls is a test-only stand-in for POST /api/public/execute/{id}
// (the actions engine is another issue): it records calls and answers
// with one effect the runtime must apply.
type workflowCalls struct {
	mu    sync.Mutex
	calls []map[string]any
}

func (w *workflowCalls) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(rw, "want JSON", http.StatusBadRequest)
		return
	}
	body["workflowId"] = r.PathValue("id")
	w.mu.Lock()
	w.calls = append(w.calls, body)
	w.mu.Unlock()
	time.Sleep(150 * time.Millisecond) // long enough to see the spinner
	rw.Header().Set("Content-Type", "application/json")
	if body["trigger"] == "onSubmit" { // no toast of its own: the binding's shows
		rw.Write([]byte(`{"success":true,"effects":[]}`))
		return
	}
	rw.Write([]byte(`{"success":true,"effects":[{"type":"toast","message":"From the server"}]}`))
}

func (w *workflowCalls) all() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]any(nil), w.calls...)
}

// TestBrowser loads published fixture pages in headless Chromium and
// checks they render without console errors and that their interactive
// parts work: tabs, accordion, a button that opens a page, a button and a
// form that run a workflow (against a test-only endpoint), variables and
// client-decided conditions.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	e := enginetest.Start(t, enginetest.Options{})
	e.PublishDemo(t)
	wf := &workflowCalls{}
	mux := http.NewServeMux()
	mux.Handle("POST /api/public/execute/{id}", wf)
	mux.Handle("/", e.Handler)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	var errs consoleErrors
	errs.listen(ctx)
	run := func(step string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	noConsoleErrors := func(page string) {
		t.Helper()
		if list := errs.take(); len(list) > 0 {
			t.Errorf("%s: console errors:\n%s", page, strings.Join(list, "\n"))
		}
	}
	var ok bool
	var text string

	// Landing: renders, the runtime is not needed, screenshot, openPage.
	var shot []byte
	run("landing", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible("h1", chromedp.ByQuery),
		chromedp.Text("h1", &text, chromedp.ByQuery), chromedp.FullScreenshot(&shot, 100))
	if !strings.Contains(text, "Ship data apps") {
		t.Errorf("landing h1 = %q", text)
	}
	dir := filepath.Join(os.TempDir(), "frontbase-browser-test")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		file := filepath.Join(dir, "landing.png")
		if err := os.WriteFile(file, shot, 0o644); err == nil {
			t.Logf("landing page screenshot: %s (%d bytes)", file, len(shot))
		}
	}
	if len(shot) < 1000 {
		t.Errorf("screenshot of %d bytes", len(shot))
	}
	noConsoleErrors("landing")
	var path string
	run("openPage button", chromedp.Click(`a.fb-button[href="/contact"]`, chromedp.ByQuery),
		chromedp.WaitVisible("form.fb-form", chromedp.ByQuery), chromedp.Evaluate(`location.pathname`, &path))
	if path != "/contact" {
		t.Errorf("openPage button led to %q, want /contact", path)
	}

	// About: tabs and accordion.
	run("about", chromedp.Navigate(srv.URL+"/about"), chromedp.WaitVisible("[role=tab]", chromedp.ByQuery),
		chromedp.Poll(`!!window.frontbase`, nil, chromedp.WithPollingTimeout(10*time.Second)))
	var state string
	tabState := `[...document.querySelectorAll('[role=tabpanel]')].map(p => p.hidden ? 'hidden' : 'shown').join(',') + '|' +
		[...document.querySelectorAll('[role=tab]')].map(t => t.getAttribute('aria-selected')).join(',')`
	run("tabs before", chromedp.Evaluate(tabState, &state))
	if state != "shown,hidden|true,false" {
		t.Errorf("tabs at load: %s", state)
	}
	run("click second tab", chromedp.Click(`[role=tab]:nth-child(2)`, chromedp.ByQuery), chromedp.Evaluate(tabState, &state))
	if state != "hidden,shown|false,true" {
		t.Errorf("tabs after clicking the second: %s", state)
	}
	run("second panel visible", chromedp.WaitVisible(`#fb-tabs-1-1`, chromedp.ByQuery))
	run("accordion", chromedp.Click(`.fb-accordion details:first-of-type summary`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('.fb-accordion details').open`, &ok))
	if !ok {
		t.Error("accordion item did not open")
	}
	run("accordion visible", chromedp.WaitVisible(`.fb-accordion details:first-of-type > div`, chromedp.ByQuery))
	run("accordion closes", chromedp.Click(`.fb-accordion details:first-of-type summary`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('.fb-accordion details').open`, &ok))
	if ok {
		t.Error("accordion item did not close")
	}
	// Variables and client-decided conditions through the runtime.
	run("variables", chromedp.Evaluate(`frontbase.setVar({name:'seen',value:'yes',scope:'local'});
		frontbase.setVar({name:'theme',value:'dark',scope:'cookie'});
		frontbase.setVar({name:'step',value:2,scope:'url'});
		frontbase.evaluate("local.seen == 'yes' and cookies.theme == 'dark' and url.step > 1 and session.none == nil")`, &ok))
	if !ok {
		t.Error("setVariable/conditions: the condition over local, cookie and url variables is false")
	}
	noConsoleErrors("about")

	// Contact: a button and a form run a workflow.
	run("contact", chromedp.Navigate(srv.URL+"/contact"), chromedp.Poll(`!!window.frontbase`, nil, chromedp.WithPollingTimeout(10*time.Second)))
	var busy bool
	run("button workflow", chromedp.Click(`button[data-fb-id="btn"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('button[data-fb-id="btn"]').classList.contains('fb-busy')`, &busy),
		chromedp.WaitVisible(`//div[contains(@class,"fb-toast")][text()="From the server"]`, chromedp.BySearch),
		chromedp.Evaluate(`[...document.querySelectorAll('.fb-toast')].map(t => t.textContent).join('|')`, &text))
	if !busy {
		t.Error("no spinner (fb-busy) on the button while the workflow ran")
	}
	if text != "From the server" { // one toast per action: the workflow's wins over the binding's
		t.Errorf("toasts after one action: %q", text)
	}
	run("form workflow", chromedp.SendKeys(`input[name=email]`, "ada@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`textarea[name=message]`, "Hello", chromedp.ByQuery),
		chromedp.Click(`form.fb-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`//div[contains(@class,"fb-toast")][text()="Thanks, we got it"]`, chromedp.BySearch),
		chromedp.Evaluate(`location.pathname`, &path))
	if path != "/contact" {
		t.Errorf("the form navigated to %q instead of running its workflow", path)
	}
	calls := wf.all()
	if len(calls) != 2 {
		t.Fatalf("%d workflow calls, want 2: %v", len(calls), calls)
	}
	const id = "5b0c2d1e-7a41-4c55-9e0a-2f6d1c9b0a02"
	if calls[0]["workflowId"] != id || calls[0]["trigger"] != "onClick" || calls[0]["page"] != "/contact" {
		t.Errorf("button call: %v", calls[0])
	}
	data, _ := calls[1]["data"].(map[string]any)
	if calls[1]["trigger"] != "onSubmit" || data["email"] != "ada@example.com" || data["message"] != "Hello" {
		t.Errorf("form call: %v", calls[1])
	}
	noConsoleErrors("contact")
	if t.Failed() {
		return
	}

	// A page with the other interactive parts: modal, dropdown, toggle,
	// scroll-to, setVariable and a condition the browser decides.
	resp, out := e.Manage(t, "POST", "/api/import", interactivePage)
	if resp.StatusCode != 200 {
		t.Fatalf("publishing the interactive page: %d %s", resp.StatusCode, out)
	}
	run("widgets", chromedp.Navigate(srv.URL+"/widgets"), chromedp.Poll(`!!window.frontbase`, nil, chromedp.WithPollingTimeout(10*time.Second)))
	run("client condition hidden", chromedp.Evaluate(`getComputedStyle(document.querySelector('[data-fb-id=vip]')).display`, &state))
	if state != "none" {
		t.Errorf("client-decided element shows before its condition holds (display %s)", state)
	}
	run("setVariable then condition", chromedp.Click(`button[data-fb-id=set]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-fb-id=vip]`, chromedp.ByQuery), chromedp.Evaluate(`localStorage.getItem('fb:vip')`, &state))
	if state != `"yes"` {
		t.Errorf("setVariable stored %q", state)
	}
	run("modal", chromedp.Click(`button[data-fb-id=open]`, chromedp.ByQuery), chromedp.WaitVisible(`dialog#terms`, chromedp.ByQuery),
		chromedp.Click(`dialog#terms .fb-modal-close button`, chromedp.ByQuery), chromedp.WaitNotVisible(`dialog#terms`, chromedp.ByQuery))
	run("dropdown opens", chromedp.Click(`details[data-fb-dropdown] summary`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('details[data-fb-dropdown]').open`, nil, chromedp.WithPollingTimeout(5*time.Second)))
	run("dropdown closes on an outside click", chromedp.Click(`h1`, chromedp.ByQuery),
		chromedp.Poll(`!document.querySelector('details[data-fb-dropdown]').open`, nil, chromedp.WithPollingTimeout(5*time.Second)))
	// Polled: the click is dispatched through DevTools, and the page's
	// handler may run a moment after Click returns.
	var pressed bool
	run("toggle", chromedp.Click(`[data-fb-toggle]`, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('[data-fb-toggle]').getAttribute('aria-pressed') === 'true'`, &pressed,
			chromedp.WithPollingTimeout(5*time.Second)))
	if !pressed {
		t.Errorf("toggle is not aria-pressed after a click")
	}
	var y float64
	run("scroll to section", chromedp.Click(`a[href="#end"]`, chromedp.ByQuery),
		chromedp.Poll(`window.scrollY > 500`, nil, chromedp.WithPollingTimeout(5*time.Second)), chromedp.Evaluate(`window.scrollY`, &y))
	noConsoleErrors("widgets")

	// With JavaScript off the content is all there and links work.
	var panels, texts string
	run("no script", emulation.SetScriptExecutionDisabled(true), chromedp.Navigate(srv.URL+"/about"),
		chromedp.WaitVisible("h1", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('[role=tabpanel]')].map(p => p.textContent).join('|')`, &panels),
		chromedp.Evaluate(`document.querySelector('.fb-accordion').textContent`, &texts))
	if panels != "Make publishing instant.|Speed, honesty, craft." || !strings.Contains(texts, "Always.") {
		t.Errorf("without JavaScript: panels %q, accordion %q", panels, texts)
	}
	run("no script: accordion opens", chromedp.Click(`.fb-accordion details:last-of-type summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`.fb-accordion details:last-of-type > div`, chromedp.ByQuery))
	run("no script: link", chromedp.Click(`nav a[href="/pricing"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.fb-pricing`, chromedp.ByQuery), chromedp.Evaluate(`location.pathname`, &path))
	if path != "/pricing" {
		t.Errorf("without JavaScript the nav link led to %q", path)
	}
	run("no script: widgets", chromedp.Navigate(srv.URL+"/widgets"), chromedp.WaitVisible(`[data-fb-id=vip]`, chromedp.ByQuery))
	run("script back on", emulation.SetScriptExecutionDisabled(false))

	// An endpoint failure shows an error toast and clears the spinner.
	mux2 := http.NewServeMux()
	mux2.HandleFunc("POST /api/public/execute/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"success":false,"error":"boom"}`, http.StatusInternalServerError)
	})
	mux2.Handle("/", e.Handler)
	srv2 := httptest.NewServer(mux2)
	t.Cleanup(srv2.Close)
	run("workflow failure", chromedp.Navigate(srv2.URL+"/contact"), chromedp.Poll(`!!window.frontbase`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Click(`button[data-fb-id="btn"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`//div[contains(@class,"fb-toast")][contains(text(),"went wrong")]`, chromedp.BySearch),
		chromedp.Poll(`!document.querySelector('button[data-fb-id="btn"]').classList.contains('fb-busy')`, nil, chromedp.WithPollingTimeout(5*time.Second)))
	for _, e := range errs.take() {
		// Chromium reports the failed fetch itself; nothing else may fail.
		if !strings.Contains(e, "500") {
			t.Errorf("console error after a failed workflow: %s", e)
		}
	}
}

// interactivePage is published by TestBrowser: the catalogue's other
// interactive parts on one page.
const interactivePage = `{"force":true,"page":{"id":"w1","slug":"widgets","title":"Widgets","isPublic":true,"layoutData":{"content":[
{"type":"Heading","props":{"text":"Widgets","level":1}},
{"id":"set","type":"Button","props":{"label":"Become VIP","actionBindings":[{"actionType":"setVariable","config":{"variableName":"vip","value":"yes","scope":"local"}}]}},
{"id":"vip","type":"Text","props":{"text":"Welcome, VIP"},"visibilityCondition":"local.vip == 'yes'"},
{"id":"open","type":"Button","props":{"label":"Terms","actionBindings":[{"actionType":"openModal","config":{"modalId":"terms"}}]}},
{"type":"Modal","props":{"modalId":"terms","title":"Terms","content":"Be nice."}},
{"type":"Dropdown","props":{"label":"Menu","items":[{"label":"Home","href":"/"}]}},
{"type":"Toggle","props":{"label":"Bold"}},
{"type":"Button","props":{"label":"To the end","actionBindings":[{"actionType":"scrollToSection","config":{"sectionId":"end"}}]}},
{"type":"Spacer","props":{"height":3000}},
{"type":"Section","props":{"anchor":"end"},"children":[{"type":"Text","props":{"text":"The end"}}]}
]}}}`
