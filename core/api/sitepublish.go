package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/api/wire"
)

// maxSourceLen bounds the publisher name recorded in a site version.
const maxSourceLen = 64

// importSite is POST /api/import/site: a whole directory (or a chunk of
// one) in one request, published through the same core path as the
// command line's direct strategies (site.PublishSite): one atomic store
// batch and one generation bump for all its pages, unchanged pages
// skipped. Body: {"pages": [page, ...], "settings": {...}?, "force":
// bool?, "source": "name"?}.
func (h *handler) importSite(w http.ResponseWriter, r *http.Request) {
	body, err := h.readBody(w, r)
	if err != nil {
		if core.ErrorCode(err) == core.ETOOLARGE {
			err = core.Errorf(core.ETOOLARGE, "request body is larger than %d bytes (FRONTBASE_MAX_BODY_BYTES): send the site in several requests (the frontbase CLI splits publishes into chunks of at most 4 MiB)", h.opts.MaxBodyBytes)
		}
		writeError(w, r, err)
		return
	}
	reqs, settings, force, source, err := decodeSite(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	for _, req := range reqs {
		req.Force = force
	}
	if source != "" {
		source = "api:" + source
	}
	res, err := h.site.PublishSiteAs(r.Context(), source, reqs, settings, baseURL(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	pages := make([]wire.SitePage, len(res.Pages))
	for i, p := range res.Pages {
		pages[i] = wire.SitePage{Slug: p.Slug, Version: p.Version, Unchanged: p.Unchanged,
			ReplacedID: p.ReplacedID, PreviewURL: p.PreviewURL}
	}
	out := wire.SiteResponse{Success: true, Pages: pages, Generation: res.Generation,
		Changed: res.Changed, SettingsChanged: res.SettingsChanged}
	if len(res.Pages) > 0 {
		out.LiveEverywhereBy = &res.Pages[0].LiveEverywhereBy
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeSite validates a site publish body, reporting every problem with
// its JSON path (pages[3].layoutData.content[0].type), duplicate slugs and
// ids, and more than one homepage.
func decodeSite(body []byte) (reqs []*core.ImportRequest, settings *core.Settings, force bool, source string, err error) {
	var raw wire.SiteRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return nil, nil, false, "", siteInvalid([]core.FieldError{{Path: typeErr.Field, Message: "must be " + jsonKind(typeErr.Type.Kind().String())}})
		}
		return nil, nil, false, "", &core.Error{Code: core.EINVALID, Message: "invalid site publish body: " + err.Error() +
			`; expected {"pages": [page, ...], "settings": {...}, "force": false, "source": "name"}`}
	}
	var errs []core.FieldError
	force, source = raw.Force, raw.Source
	if source != "" {
		if len(source) > maxSourceLen || strings.ContainsFunc(source, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			errs = append(errs, core.FieldError{Path: "source", Message: fmt.Sprintf("must be at most %d printable characters", maxSourceLen)})
		}
	}
	if len(raw.Pages) == 0 && (len(raw.Settings) == 0 || string(raw.Settings) == "null") {
		errs = append(errs, core.FieldError{Path: "pages", Message: "required: at least one page (or settings)"})
	}
	if len(raw.Settings) > 0 && string(raw.Settings) != "null" {
		s, err := core.DecodeSettings(raw.Settings)
		if err != nil {
			errs = append(errs, prefixed("settings", err)...)
		}
		settings = s
	}
	slugs, ids := map[string]int{}, map[string]int{}
	home := -1
	for i, p := range raw.Pages {
		at := fmt.Sprintf("pages[%d]", i)
		wrapped := append(append([]byte(`{"page":`), p...), '}')
		req, err := core.DecodeImport(wrapped)
		if err != nil {
			errs = append(errs, prefixed(at, err)...)
			continue
		}
		reqs = append(reqs, req)
		if j, dup := slugs[req.Page.Slug]; dup {
			errs = append(errs, core.FieldError{Path: at + ".slug", Message: fmt.Sprintf("%q is also the slug of pages[%d]", req.Page.Slug, j)})
		} else {
			slugs[req.Page.Slug] = i
		}
		if j, dup := ids[req.Page.ID]; dup {
			errs = append(errs, core.FieldError{Path: at + ".id", Message: fmt.Sprintf("%q is also the id of pages[%d]", req.Page.ID, j)})
		} else {
			ids[req.Page.ID] = i
		}
		if req.Page.IsHomepage {
			if home >= 0 {
				errs = append(errs, core.FieldError{Path: at + ".isHomepage", Message: fmt.Sprintf("pages[%d] is already the homepage; at most one may be", home)})
			} else {
				home = i
			}
		}
	}
	if len(errs) > 0 {
		return nil, nil, false, "", siteInvalid(errs)
	}
	return reqs, settings, force, source, nil
}

// prefixed turns a validation error of one part of the body into field
// errors whose paths start at that part.
func prefixed(at string, err error) []core.FieldError {
	details := core.ErrorDetails(err)
	if len(details) == 0 {
		return []core.FieldError{{Path: at, Message: core.ErrorMessage(err)}}
	}
	out := make([]core.FieldError, len(details))
	for i, d := range details {
		path := d.Path
		switch {
		case path == "" || path == "$" || path == "page":
			path = at
		case strings.HasPrefix(path, "page."):
			path = at + strings.TrimPrefix(path, "page")
		case strings.HasPrefix(path, "["):
			path = at + path
		default:
			path = at + "." + path
		}
		out[i] = core.FieldError{Path: path, Message: d.Message}
	}
	return out
}

func siteInvalid(errs []core.FieldError) error {
	return core.Invalid(errs)
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "an array"
	case "ptr", "struct", "map":
		return "an object"
	case "bool":
		return "a boolean"
	default:
		return "a " + k
	}
}
