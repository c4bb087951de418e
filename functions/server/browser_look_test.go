package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/frontbase/edge/functions/internal/enginetest"
)

// lookWidths are the screen widths every page must fit: two phones, a
// tablet and a laptop.
var lookWidths = []int64{320, 390, 768, 1280}

// overflowJS lists the visible elements that reach outside the viewport
// horizontally (out of reach: the landing page's bundle clips the page
// with overflow-x:hidden), and whether the document scrolls sideways.
// Elements inside a scrolling box (a tab list that scrolls) are reachable
// and not counted.
const overflowJS = `(() => {
  const vw = document.documentElement.clientWidth, out = [];
  const scrolls = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const shut = el.closest('details:not([open])');
    if (shut && !el.closest('summary') && el !== shut) continue; // not shown

    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.position === 'fixed') continue;
    if ((r.left < -1 || r.right > vw + 1) && !scrolls(el)) {
      out.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
        (el.dataset.fbId ? '[' + el.dataset.fbId + ']' : '') + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  if (document.documentElement.scrollWidth > vw + 1) out.push('document scrolls to ' + document.documentElement.scrollWidth);
  return out.slice(0, 12);
})()`

// TestBrowserPagesFitEveryScreen loads every demo page and a page of
// about 200 catalogue components in Chromium at 320, 390, 768 and 1280 px
// and fails when any element leaves the viewport sideways. At 1280 px the
// landing page's centred blocks must be centred.
func TestBrowserPagesFitEveryScreen(t *testing.T) {
	ctx := browser(t)
	// With page auth configured the private /members is the sign-in card
	// (the provider is only called on a sign-in, never here).
	e := enginetest.Start(t, enginetest.Options{Env: map[string]string{
		"FRONTBASE_AUTH": `{"provider": "supabase", "url": "http://127.0.0.1:1", "anonKey": "anon"}`}})
	e.PublishDemo(t)
	page, n := manyComponentsPage()
	if n < 195 {
		t.Fatalf("the catalogue page has %d components, want at least 195", n)
	}
	if resp, body := e.Manage(t, "POST", "/api/import", page); resp.StatusCode != 200 {
		t.Fatalf("publishing the catalogue page: %d %s", resp.StatusCode, body)
	}
	pages := []string{"/", "/about", "/contact", "/docs/getting-started", "/pricing", "/members", "/catalogue"}
	for _, w := range lookWidths {
		if err := chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(w, 900, 1, w < 768)); err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			var out []string
			var status int64
			err := chromedp.Run(ctx, chromedp.Navigate(e.URL+p), chromedp.WaitReady("body", chromedp.ByQuery),
				chromedp.Evaluate(`document.querySelectorAll('.fb-root').length`, &status),
				chromedp.Evaluate(overflowJS, &out))
			if err != nil {
				t.Fatalf("%s at %d px: %v", p, w, err)
			}
			if status != 1 && p != "/members" { // members: a sign-in page for visitors
				t.Errorf("%s at %d px: not a rendered page", p, w)
			}
			if len(out) > 0 {
				t.Errorf("%s at %d px: elements leave the screen:\n  %s", p, w, strings.Join(out, "\n  "))
			}
		}
	}

	// Centred blocks are centred: the hero heading, the CTA block and the
	// max-width containers, at 1280 px.
	if err := chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(1280, 900, 1, false)); err != nil {
		t.Fatal(err)
	}
	var offsets map[string]float64
	err := chromedp.Run(ctx, chromedp.Navigate(e.URL+"/"), chromedp.WaitReady("h1", chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const vw = document.documentElement.clientWidth, o = {};
		  const mid = el => { const r = el.getBoundingClientRect(); return Math.abs((r.left + r.right) / 2 - vw / 2); };
		  o.h1 = mid(document.querySelector('h1'));
		  const cta = [...document.querySelectorAll('h2')].find(h => h.textContent.includes('Ready to publish'));
		  o.ctaHeading = cta ? mid(cta) : 999; o.ctaBlock = cta ? mid(cta.parentElement) : 999;
		  document.querySelectorAll('.fb-container').forEach((c, i) => { if (c.parentElement.tagName === 'SECTION') o['container' + i] = mid(c); });
		  return o; })()`, &offsets))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range offsets {
		if v > 2 {
			t.Errorf("landing at 1280 px: %s is %.0f px off centre", k, v)
		}
	}
	if len(offsets) < 4 {
		t.Errorf("landing: centred blocks not found: %v", offsets)
	}
}

// TestBrowserWithoutJavaScript submits the contact form with JavaScript
// off (the engine answers with a 303 back to the page, which shows the
// outcome) and opens the second tab of the about page.
func TestBrowserWithoutJavaScript(t *testing.T) {
	ctx := browser(t)
	e := enginetest.Start(t, enginetest.Options{})
	e.PublishDemo(t)
	if resp, body := e.Manage(t, "POST", "/api/deploy", workflowFixture(t, "newsletter")); resp.StatusCode != 200 {
		t.Fatalf("deploy: %s", body)
	}
	var loc, note string
	var panels string
	err := chromedp.Run(ctx, emulation.SetScriptExecutionDisabled(true),
		chromedp.Navigate(e.URL+"/contact"), chromedp.WaitVisible(`form.fb-form`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=email]`, "nojs@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`textarea[name=message]`, "Sent without script", chromedp.ByQuery),
		chromedp.Click(`form.fb-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#fb-form-1-done`, chromedp.ByQuery),
		chromedp.Location(&loc), chromedp.Text(`#fb-form-1-done`, &note, chromedp.ByQuery),
		chromedp.Navigate(e.URL+"/about"), chromedp.WaitVisible(`[role=tab]`, chromedp.ByQuery),
		chromedp.Click(`[role=tab]:nth-child(2)`, chromedp.ByQuery),
		chromedp.WaitVisible(`#fb-tabs-1-1`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll('[role=tabpanel]')].map(p => getComputedStyle(p).display === 'none' ? 'hidden' : 'shown').join(',')`, &panels),
		emulation.SetScriptExecutionDisabled(false))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	if u == nil || u.Path != "/contact" || u.Fragment != "fb-form-1-done" || note != "Thanks, we got it" {
		t.Errorf("after the post without JavaScript: at %q, note %q", loc, note)
	}
	if panels != "hidden,shown" {
		t.Errorf("tabs without JavaScript after choosing the second: %s", panels)
	}
	_, list := e.Manage(t, "GET", "/api/executions/workflow/"+newsletterID, "")
	if !strings.Contains(list, `"email":"nojs@example.com"`) || !strings.Contains(list, `"eventType":"submit"`) {
		t.Errorf("execution record of the post: %s", list)
	}
}

// manyComponentsPage is a published page of every catalogue component, in
// four settings (plain, a three-column grid, a two-column row, a dark
// section), and the number of components in it.
func manyComponentsPage() (string, int) {
	samples := []string{
		`{"type":"Container","stylesData":{"values":{"maxWidth":"600px","display":"grid","gridTemplateColumns":"repeat(2, 1fr)","gap":"16px"}},"children":[{"type":"Text","props":{"text":"a"}},{"type":"Text","props":{"text":"b"}}]}`,
		`{"type":"Section","children":[{"type":"Heading","props":{"text":"A section heading that is fairly long","level":2}}]}`,
		`{"type":"Row","stylesData":{"values":{"gap":"24px"}},"children":[{"type":"Column","children":[{"type":"Text","props":{"text":"left"}}]},{"type":"Column","children":[{"type":"Text","props":{"text":"right"}}]}]}`,
		`{"type":"Flex","stylesData":{"values":{"justifyContent":"space-between","gap":"8px"}},"children":[{"type":"Badge","props":{"text":"one"}},{"type":"Badge","props":{"text":"two"}}]}`,
		`{"type":"Stack","children":[{"type":"Text","props":{"text":"1"}},{"type":"Text","props":{"text":"2"}}]}`,
		`{"type":"Box","stylesData":{"values":{"padding":16}}}`,
		`{"type":"Paper","children":[{"type":"Text","props":{"text":"on paper"}}]}`,
		`{"type":"Panel","children":[{"type":"Text","props":{"text":"in a panel"}}]}`,
		`{"type":"Group","children":[{"type":"Badge","props":{"text":"a","variant":"outline"}},{"type":"Badge","props":{"text":"b","variant":"secondary"}}]}`,
		`{"type":"Grid","stylesData":{"values":{"gridTemplateColumns":"repeat(4, minmax(0, 1fr))"}},"children":[{"type":"Text","props":{"text":"g1"}},{"type":"Text","props":{"text":"g2"}},{"type":"Text","props":{"text":"g3"}},{"type":"Text","props":{"text":"g4"}}]}`,
		`{"type":"Text","props":{"text":"Hello & {{ page.title }}","align":"center","size":"lg"}}`,
		`{"type":"Heading","props":{"text":"Supercalifragilisticexpialidocious-headline","level":"1","size":"6xl"}}`,
		`{"type":"Paragraph","props":{"text":"A paragraph."}}`,
		`{"type":"Image","props":{"src":"/no-such-image.png","alt":"A","width":1200,"height":600}}`,
		`{"type":"Image","props":{"alt":"pending"}}`,
		`{"type":"Divider"}`,
		`{"type":"Spacer","props":{"height":16}}`,
		`{"type":"Icon","props":{"name":"check","label":"Done"}}`,
		`{"type":"Avatar","props":{"name":"Grace Hopper"}}`,
		`{"type":"Label","props":{"text":"Email","htmlFor":"email"}}`,
		`{"type":"Logo","props":{"logo":{"text":"Acme"}}}`,
		`{"type":"MarkdownContent","props":{"content":"# Install\n\nRun make, then *read* [docs](/docs).\n\n| a | b |\n|---|---|\n| 1 | 2 |"}}`,
		`{"type":"Embed","props":{"url":"http://insecure.test/"}}`,
		`{"type":"Button","props":{"label":"A button with a long label","variant":"outline","size":"lg"}}`,
		`{"type":"Link","props":{"text":"Docs","href":"/docs"}}`,
		`{"type":"Tabs","props":{"tabs":[{"label":"One","content":"First"},{"label":"Two","content":"Second"},{"label":"Three","content":"Third"},{"label":"Four","content":"Fourth"}]}}`,
		`{"type":"Accordion","props":{"items":[{"title":"Q1","content":"A1"},{"title":"Q2","content":"A2","open":true}]}}`,
		`{"type":"Modal","props":{"title":"Terms","content":"Be nice.","triggerLabel":"Read the terms"}}`,
		`{"type":"Dropdown","props":{"label":"Menu","items":[{"label":"Profile","href":"/me"}]}}`,
		`{"type":"Toggle","props":{"label":"Bold"}}`,
		`{"type":"Switch","props":{"label":"Notifications","name":"notify"}}`,
		`{"type":"Checkbox","props":{"label":"I agree","name":"agree"}}`,
		`{"type":"Radio","props":{"label":"Plan","name":"plan","options":[{"label":"Free","value":"free"},{"label":"Pro","value":"pro"}]}}`,
		`{"type":"Tooltip","props":{"text":"Hover me","content":"A tooltip"}}`,
		`{"type":"Hero","props":{"title":"Ship faster with a long hero title","subtitle":"Edge rendering","buttonText":"Start","buttonLink":"/signup","secondaryButtonText":"Docs","secondaryButtonLink":"/docs"}}`,
		`{"type":"Features","props":{"title":"Why us","features":[{"title":"Fast","description":"Edge SSR"},{"title":"Safe","description":"Escaped"},{"title":"Small","description":"Tiny"}]}}`,
		`{"type":"FeatureSection","props":{"title":"More","items":[{"title":"A","description":"a"}]}}`,
		`{"type":"Pricing","props":{"title":"Plans","plans":[{"name":"Free","price":"$0","features":["1 site"],"buttonText":"Go"},{"name":"Pro","price":"$29","period":"/month","features":["Unlimited"],"highlighted":true,"buttonText":"Buy"}]}}`,
		`{"type":"CTA","props":{"title":"Ready?","description":"Start today","buttonText":"Start","buttonLink":"/contact"}}`,
		`{"type":"Navbar","props":{"logo":{"text":"Acme"},"links":[{"label":"Home","href":"/"},{"label":"Pricing","href":"/pricing"},{"label":"Documentation","href":"/docs"},{"label":"Contact","href":"/contact"}],"ctaText":"Sign up","ctaLink":"/signup"}}`,
		`{"type":"FAQ","props":{"title":"FAQ","items":[{"question":"Can I cancel?","answer":"Any time."}]}}`,
		`{"type":"LogoCloud","props":{"title":"Trusted by","logos":[{"name":"Globex"},{"name":"Initech"},{"name":"Umbrella"}]}}`,
		`{"type":"Footer","props":{"text":"© Acme","links":[{"label":"Privacy","href":"/privacy"},{"label":"Terms","href":"/terms"}]}}`,
		`{"type":"Form","props":{"title":"Contact","fields":[{"name":"email","label":"Email","type":"email"},{"name":"topic","label":"Topic","type":"select","options":["Sales","Support"]},{"name":"msg","label":"Message","type":"textarea"}],"actionBindings":[{"actionType":"runWorkflow","workflowId":"wf"}]}}`,
		`{"type":"DataTable","props":{"title":"Orders"},"binding":{"tableName":"orders"}}`,
		`{"type":"InfoList","props":{"title":"Customer"}}`,
		`{"type":"Chart","props":{"title":"Revenue"}}`,
		`{"type":"KPICard","props":{"title":"MRR"}}`,
		`{"type":"Card","props":{"title":"Static card","description":"No binding"},"children":[{"type":"Button","props":{"label":"Inside"}}]}`,
		`{"type":"Repeater","props":{"title":"Posts"}}`,
	}
	all := "[" + strings.Join(samples, ",") + "]"
	var items []any
	if err := json.Unmarshal([]byte(all), &items); err != nil {
		panic(err)
	}
	grid := map[string]any{"type": "Container", "stylesData": map[string]any{"values": map[string]any{
		"maxWidth": "1120px", "display": "grid", "gridTemplateColumns": "repeat(3, 1fr)", "gap": "24px"}}, "children": items[:24]}
	row := map[string]any{"type": "Row", "stylesData": map[string]any{"values": map[string]any{"gap": "32px"}}, "children": []any{
		map[string]any{"type": "Column", "stylesData": map[string]any{"values": map[string]any{"flex": "1"}}, "children": items[24:37]},
		map[string]any{"type": "Column", "stylesData": map[string]any{"values": map[string]any{"flex": "1"}}, "children": items[37:]},
	}}
	dark := map[string]any{"type": "Section", "stylesData": map[string]any{"values": map[string]any{"backgroundColor": "#0f172a", "color": "#f8fafc", "padding": "48px 24px"}},
		"children": []any{map[string]any{"type": "Container", "stylesData": map[string]any{"values": map[string]any{"maxWidth": "760px"}}, "children": items}}}
	content := append(append([]any{}, items...), grid, row, dark)
	doc, _ := json.Marshal(map[string]any{"force": true, "page": map[string]any{"id": "catalogue-page", "slug": "catalogue",
		"title": "Catalogue", "isPublic": true, "layoutData": map[string]any{"content": content}}})
	return string(doc), count(content)
}

func count(list []any) int {
	n := 0
	for _, c := range list {
		m, _ := c.(map[string]any)
		n++
		if ch, ok := m["children"].([]any); ok {
			n += count(ch)
		}
	}
	return n
}
