package site

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"time"

	"github.com/frontbase/edge/core"
)

func (s *Service) sitemap(ctx context.Context, baseURL string) (*Response, error) {
	pages, err := s.store.ListPages(ctx, s.tenant)
	if err != nil {
		return nil, err
	}
	settings, err := s.store.Settings(ctx, s.tenant)
	if err != nil {
		return nil, err
	}
	base := siteBase(settings, baseURL)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for _, p := range pages {
		if !p.IsPublic || p.Slug == "404" {
			continue
		}
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
		buf.WriteString("</url>\n")
	}
	buf.WriteString("</urlset>\n")
	return newBodyResponse(http.StatusOK, xmlType, cachePolicy(s.ttl), buf.Bytes()), nil
}

func (s *Service) robots(ctx context.Context, baseURL string) (*Response, error) {
	settings, err := s.store.Settings(ctx, s.tenant)
	if err != nil {
		return nil, err
	}
	body := "User-agent: *\nAllow: /\nDisallow: /api/\n\nSitemap: " + siteBase(settings, baseURL) + "/sitemap.xml\n"
	return newBodyResponse(http.StatusOK, textType, cachePolicy(s.ttl), []byte(body)), nil
}
