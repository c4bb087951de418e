package render

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
)

// The site-wide tags the builder's Privacy & Tracking settings add to
// every published page (core.Settings.Tracking): Google Tag Manager or,
// without it, Google Analytics 4, with the snippets Google documents
// (the TypeScript engine emits the same ones), and the operator's own
// head HTML. Previews get none of them: a draft must not count as a visit
// in the site's analytics.

// writeTrackingHead writes the tracking tags that belong in <head>. The
// ids were checked against their formats (G-…, GTM-…), so they are safe
// in a script string and a URL as they are.
func writeTrackingHead(out *bytes.Buffer, in *Input) {
	if in.Preview || in.Settings == nil {
		return
	}
	t := in.Settings.Tracking()
	switch {
	case t.GTMContainerID != "":
		// GTM loads GA4 itself when the container says so.
		out.WriteString(`<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':` +
			`new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],` +
			`j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=` +
			`'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);` +
			`})(window,document,'script','dataLayer','`)
		out.WriteString(t.GTMContainerID)
		out.WriteString(`');</script>`)
	case t.GA4MeasurementID != "":
		out.WriteString(`<script async src="https://www.googletagmanager.com/gtag/js?id=`)
		out.WriteString(t.GA4MeasurementID)
		out.WriteString(`"></script><script>window.dataLayer=window.dataLayer||[];` +
			`function gtag(){dataLayer.push(arguments);}gtag('js',new Date());gtag('config','`)
		out.WriteString(t.GA4MeasurementID)
		out.WriteString(`');</script>`)
	}
	if t.CustomHeadHTML != "" {
		out.WriteString(customHead(t.CustomHeadHTML))
	}
}

// writeTrackingBody writes what must open <body>: GTM's <noscript> frame.
func writeTrackingBody(out *bytes.Buffer, in *Input) {
	if in.Preview || in.Settings == nil {
		return
	}
	if id := in.Settings.Tracking().GTMContainerID; id != "" {
		out.WriteString(`<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=`)
		out.WriteString(id)
		out.WriteString(`" height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>`)
	}
}

// docStructure matches what would end the head or the document early, or
// open a second one.
var docStructure = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)<\s*/\s*(head|body|html)\s*>|<\s*(html|head|body)\b[^>]*>`)
})

// customHead is customHeadHtml as the builder means it: the site owner's
// own raw HTML for the head (verification metas, pixels, their scripts),
// so it is not escaped. What it cannot do is break the document around
// it: tags that would close or reopen the head, body or html are dropped,
// and so are NUL and the other control characters.
func customHead(html string) string {
	html = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f || r >= 0x80 && r <= 0x9f {
			return -1
		}
		return r
	}, html)
	html = docStructure().ReplaceAllString(html, "")
	// An element left open would swallow the rest of the head and the
	// page: close what the snippet opened and did not close.
	lower := strings.ToLower(html)
	if strings.Count(lower, "<!--") > strings.Count(lower, "-->") {
		html += "-->"
	}
	for _, tag := range []string{"script", "style", "noscript", "template", "title", "textarea"} {
		if strings.Count(lower, "<"+tag) > strings.Count(lower, "</"+tag) {
			html += "</" + tag + ">"
		}
	}
	return html
}
