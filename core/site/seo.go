package site

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/frontbase/edge/core"
)

// siteIndex is what the site's indexes (the sitemap, llms.txt) list: the
// public pages but the not-found page, the settings, and the base URL
// their links start with.
func (s *Service) siteIndex(ctx context.Context, baseURL string) ([]core.PageSummary, *core.Settings, string, error) {
	all, err := s.store.ListPages(ctx, s.tenant)
	if err != nil {
		return nil, nil, "", err
	}
	settings, err := s.store.Settings(ctx, s.tenant)
	if err != nil {
		return nil, nil, "", err
	}
	pages := all[:0:0]
	for _, p := range all {
		if p.IsPublic && p.Slug != core.NotFoundSlug {
			pages = append(pages, p)
		}
	}
	return pages, settings, siteBase(settings, baseURL), nil
}

func (s *Service) sitemap(ctx context.Context, baseURL string) (*Response, error) {
	pages, _, base, err := s.siteIndex(ctx, baseURL)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for _, p := range pages {
		loc := base + core.SlugPath(p.Slug)
		if p.IsHomepage {
			loc = base + "/"
		}
		buf.WriteString("<url><loc>")
		xml.EscapeText(&buf, []byte(loc))
		buf.WriteString("</loc>")
		if !p.PublishedAt.IsZero() {
			buf.WriteString("<lastmod>" + p.PublishedAt.UTC().Format(time.DateOnly) + "</lastmod>")
		}
		// As the TypeScript engine ranks pages: the homepage first, every
		// other page below it, all expected to change about weekly.
		priority := "0.8"
		if p.IsHomepage {
			priority = "1.0"
		}
		buf.WriteString("<changefreq>weekly</changefreq><priority>" + priority + "</priority></url>\n")
	}
	buf.WriteString("</urlset>\n")
	return newBodyResponse(http.StatusOK, xmlType, cachePolicy(s.ttl), buf.Bytes()), nil
}

// llmsTxt is the site index for language models (llmstxt.org): the site
// name, its description as a quote, and a link per public page, labelled
// from the slug ("about-us" is "About Us") as the TypeScript engine does.
func (s *Service) llmsTxt(ctx context.Context, baseURL string) (*Response, error) {
	pages, settings, base, err := s.siteIndex(ctx, baseURL)
	if err != nil {
		return nil, err
	}
	name := settings.SiteName
	if name == "" {
		name = "Frontbase Site"
	}
	var b strings.Builder
	b.WriteString("# " + oneLine(name) + "\n")
	if d := oneLine(settings.SiteDescription); d != "" {
		b.WriteString("> " + d + "\n")
	}
	b.WriteString("\n## Pages\n\n")
	for _, p := range pages {
		url := base + core.SlugPath(p.Slug)
		if p.IsHomepage {
			url = base + "/"
		}
		// Slugs are free text: keep brackets and parentheses from ending
		// the Markdown link early.
		url = strings.NewReplacer("(", "%28", ")", "%29").Replace(url)
		label := strings.NewReplacer("[", "\\[", "]", "\\]").Replace(slugLabel(p.Slug))
		b.WriteString("- [" + label + "](" + url + ")\n")
	}
	return newBodyResponse(http.StatusOK, textType, cachePolicy(s.ttl), []byte(b.String())), nil
}

// slugLabel turns "about-us" into "About Us".
func slugLabel(slug string) string {
	words := strings.Fields(strings.NewReplacer("-", " ", "/", " / ").Replace(slug))
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[size:]
	}
	return strings.Join(words, " ")
}

// oneLine keeps a settings text from starting new Markdown lines.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (s *Service) robots(ctx context.Context, baseURL string) (*Response, error) {
	settings, err := s.store.Settings(ctx, s.tenant)
	if err != nil {
		return nil, err
	}
	body := "User-agent: *\nAllow: /\nDisallow: /api/\n\nSitemap: " + siteBase(settings, baseURL) + "/sitemap.xml\n"
	return newBodyResponse(http.StatusOK, textType, cachePolicy(s.ttl), []byte(body)), nil
}
