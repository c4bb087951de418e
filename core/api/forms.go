package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/frontbase/edge/core"
)

// Forms without JavaScript. A rendered Form posts to its workflow's public
// execute URL (application/x-www-form-urlencoded, or multipart/form-data
// when the page says so). The engine runs the workflow as the page runtime
// would, with the fields as the submit event's value, and answers with a
// 303 back to the page instead of JSON: to the redirect the workflow asked
// for, else to the form's outcome message (#<form>-done or
// #<form>-failed), which the page shows with :target.
//
// The renderer adds three hidden fields, which are not passed to the
// workflow: _fb_page (the page's path), _fb_form (the id of the form's
// outcome messages) and _fb_component (the Form component's id).
const (
	formPageField      = "_fb_page"
	formIDField        = "_fb_form"
	formComponentField = "_fb_component"
	formFieldPrefix    = "_fb_"
)

// maxFormFields bounds the fields of one form post.
const maxFormFields = 256

// isFormPost reports whether r is an HTML form submission.
func isFormPost(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data")
}

// formSubmit runs a form post through the public execute path and sends
// the visitor back to a page.
func (h *handler) formSubmit(w http.ResponseWriter, r *http.Request) {
	raw, err := h.readBody(w, r)
	var fields url.Values
	if err == nil {
		fields, err = parseFormBody(r.Header.Get("Content-Type"), raw)
	}
	page := formPage(r, fields.Get(formPageField))
	formID := anchorID(fields.Get(formIDField))
	back := func(outcome string) {
		target := page
		if formID != "" {
			target += "#" + formID + "-" + outcome
		}
		seeOther(w, r, target)
	}
	if err != nil {
		logger(r).WarnContext(r.Context(), "form post refused", "err", err, "workflowId", r.PathValue("id"))
		back("failed")
		return
	}

	data := make(map[string]any, len(fields))
	for k, vs := range fields {
		if strings.HasPrefix(k, formFieldPrefix) || len(vs) == 0 {
			continue
		}
		data[k] = vs[len(vs)-1] // as the runtime's FormData loop: the last value wins
	}
	componentID := fields.Get(formComponentField)
	if len(componentID) > 128 {
		componentID = ""
	}
	body, _ := json.Marshal(map[string]any{
		"trigger": "onSubmit", "componentId": componentID, "page": page, "data": data,
		"url": map[string]string{},
	})
	e, err := h.opts.Workflows.ExecutePublic(r.Context(), r.PathValue("id"), h.clientKey(r), body)
	if err != nil || e.Status != core.ExecCompleted {
		if err != nil {
			logger(r).InfoContext(r.Context(), "form post: the workflow did not run", "err", err, "workflowId", r.PathValue("id"))
		}
		back("failed")
		return
	}
	for _, ef := range e.Effects {
		if ef["type"] == "redirect" {
			if u, ok := safeRedirect(fmt.Sprint(ef["url"])); ok {
				seeOther(w, r, u)
				return
			}
		}
	}
	back("done")
}

// parseFormBody reads the fields of a urlencoded or multipart body. File
// parts are left out: the runtime sends string fields only.
func parseFormBody(contentType string, raw []byte) (url.Values, error) {
	mt, params, _ := mime.ParseMediaType(contentType)
	if mt != "multipart/form-data" {
		v, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, core.Errorf(core.EINVALID, "form body: %v", err)
		}
		if len(v) > maxFormFields {
			return nil, core.Errorf(core.EINVALID, "form body: more than %d fields", maxFormFields)
		}
		return v, nil
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, core.Errorf(core.EINVALID, "form body: multipart without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(raw), boundary)
	out := url.Values{}
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, core.Errorf(core.EINVALID, "form body: %v", err)
		}
		if n >= maxFormFields {
			return nil, core.Errorf(core.EINVALID, "form body: more than %d fields", maxFormFields)
		}
		name := p.FormName()
		if name == "" || p.FileName() != "" {
			continue
		}
		v, err := io.ReadAll(p) // bounded by the body, already read under the size limit
		if err != nil {
			return nil, core.Errorf(core.EINVALID, "form body: %v", err)
		}
		out.Add(name, string(v))
	}
}

// formPage is the same-site path the visitor goes back to: the form's
// _fb_page field, else the Referer's path when it is this host, else "/".
func formPage(r *http.Request, field string) string {
	if p, ok := sitePath(field); ok {
		return p
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		if p, ok := sitePath(ref.EscapedPath()); ok {
			if ref.RawQuery != "" {
				p += "?" + ref.RawQuery
			}
			return p
		}
	}
	return "/"
}

// sitePath accepts a path of this site: "/..." but not "//host" or "/\host".
func sitePath(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || len(p) > 2048 {
		return "", false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] == 0x7f || p[i] == '#' {
			return "", false
		}
	}
	return p, true
}

// safeRedirect accepts a workflow's redirect to a page of this site or to
// an http(s) URL.
func safeRedirect(u string) (string, bool) {
	u = strings.TrimSpace(u)
	if p, ok := sitePath(u); ok {
		return p, true
	}
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
		return "", false
	}
	return pu.String(), true
}

// anchorID keeps the id of a form's outcome messages when it is made of
// [A-Za-z0-9_-] only.
func anchorID(v string) string {
	if v == "" || len(v) > 128 {
		return ""
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return ""
		}
	}
	return v
}

func seeOther(w http.ResponseWriter, r *http.Request, target string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}
