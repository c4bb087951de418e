package main

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

const newsletterID = "5b0c2d1e-7a41-4c55-9e0a-2f6d1c9b0a02"

// TestFormPostWithoutJavaScript posts the contact page's form as a browser
// without JavaScript does (urlencoded and multipart): the workflow runs
// with the fields as the submit event's value, and the visitor is sent
// back to the page's outcome message with a 303, never to JSON.
func TestFormPostWithoutJavaScript(t *testing.T) {
	e := enginetest.Start(t, enginetest.Options{})
	e.PublishDemo(t)
	if resp, body := e.Manage(t, "POST", "/api/deploy", workflowFixture(t, "newsletter")); resp.StatusCode != 200 {
		t.Fatalf("deploy: %s", body)
	}

	// The page carries what the engine needs to answer the post.
	_, page := e.Do(t, "GET", "/contact", nil)
	for _, want := range []string{`action="/api/public/execute/` + newsletterID + `"`, `name="_fb_page" value="/contact"`,
		`name="_fb_form" value="fb-form-1"`, `id="fb-form-1-done"`, `>Thanks, we got it</p>`, `id="fb-form-1-failed"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the contact page lacks %s", want)
		}
	}

	form := url.Values{"_fb_page": {"/contact"}, "_fb_form": {"fb-form-1"}, "_fb_component": {"form"},
		"email": {"ada@example.com"}, "message": {"Hello there"}}
	resp, body := e.Do(t, "POST", "/api/public/execute/"+newsletterID, strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/contact#fb-form-1-done" {
		t.Fatalf("urlencoded post: %d Location %q: %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}

	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	for k, v := range map[string]string{"_fb_page": "/contact", "_fb_form": "fb-form-1", "email": "grace@example.com", "message": "Multi"} {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("attachment", "notes.txt")
	fw.Write([]byte("a file the runtime would not send either"))
	w.Close()
	resp, body = e.Do(t, "POST", "/api/public/execute/"+newsletterID, &mp, "Content-Type", w.FormDataContentType())
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/contact#fb-form-1-done" {
		t.Fatalf("multipart post: %d Location %q: %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}

	_, list := e.Manage(t, "GET", "/api/executions/workflow/"+newsletterID, "")
	for _, want := range []string{`"eventType":"submit"`, `"email":"ada@example.com"`, `"message":"Hello there"`,
		`"email":"grace@example.com"`, `"id":"form"`, `"page":"/contact"`} {
		if !strings.Contains(list, want) {
			t.Errorf("execution records lack %s: %s", want, list)
		}
	}
	for _, not := range []string{`_fb_`, `notes.txt`} {
		if strings.Contains(list, not) {
			t.Errorf("execution records hold %s: %s", not, list)
		}
	}

	// A workflow that does not run sends the visitor to the failure note;
	// a page that is not a path of this site is not followed.
	bad := url.Values{"_fb_page": {"//evil.example/x"}, "_fb_form": {"fb-form-1"}, "email": {"x"}}
	resp, _ = e.Do(t, "POST", "/api/public/execute/no-such-workflow", strings.NewReader(bad.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/#fb-form-1-failed" {
		t.Errorf("post to a missing workflow: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A workflow that redirects sends the visitor there.
	redirecting := workflowFixture(t, "newsletter", newsletterID, "5b0c2d1e-7a41-4c55-9e0a-2f6d1c9b0a99",
		`"type": "toast"`, `"type": "redirect"`, `"name": "title"`, `"name": "url"`, `"Subscribed"`, `"/pricing?from=form"`)
	if resp, body := e.Manage(t, "POST", "/api/deploy", redirecting); resp.StatusCode != 200 {
		t.Fatalf("deploy: %s", body)
	}
	resp, body = e.Do(t, "POST", "/api/public/execute/5b0c2d1e-7a41-4c55-9e0a-2f6d1c9b0a99", strings.NewReader(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/pricing?from=form" {
		t.Errorf("redirecting workflow: %d Location %q: %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}

	// JSON posts (the runtime's) still get JSON.
	resp, body = e.Do(t, "POST", "/api/public/execute/"+newsletterID,
		strings.NewReader(`{"trigger":"onSubmit","data":{"email":"j@example.com"}}`), "Content-Type", "application/json")
	if resp.StatusCode != 200 || !strings.Contains(body, `"success":true`) {
		t.Errorf("JSON post: %d %s", resp.StatusCode, body)
	}
}
