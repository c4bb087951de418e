package render

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontbase/edge/core"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestGolden")

// goldenCases holds one small tree per component type the builder emits.
// The golden files (testdata/golden/<name>.html) hold the body and the
// generated style block; they were reviewed by eye when written. Run
// `go test ./core/render -run TestGolden -update` after an intended change
// and review the diff.
var goldenCases = []struct{ name, components string }{
	// layout
	{"Container", `[{"id":"c","type":"Container","stylesData":{"values":{"display":"grid","gridTemplateColumns":"repeat(2, 1fr)","gap":"16px"}},"children":[{"type":"Text","props":{"text":"a"}},{"type":"Text","props":{"text":"b"}}]}]`},
	{"Section", `[{"id":"s","type":"Section","props":{"anchor":"features"},"children":[{"type":"Heading","props":{"text":"Features","level":2}}]}]`},
	{"Row", `[{"id":"r","type":"Row","stylesData":{"values":{"gap":"24px"}},"children":[{"type":"Column","children":[{"type":"Text","props":{"text":"left"}}]},{"type":"Column","children":[{"type":"Text","props":{"text":"right"}}]}]}]`},
	{"Column", `[{"id":"c","type":"Column","children":[{"type":"Text","props":{"text":"x"}}]}]`},
	{"Flex", `[{"id":"f","type":"Flex","stylesData":{"values":{"justifyContent":"space-between"}}}]`},
	{"Stack", `[{"id":"s","type":"Stack","children":[{"type":"Text","props":{"text":"1"}},{"type":"Text","props":{"text":"2"}}]}]`},
	{"Box", `[{"id":"b","type":"Box","stylesData":{"values":{"padding":16}}}]`},
	{"Paper", `[{"id":"p","type":"Paper","children":[{"type":"Text","props":{"text":"on paper"}}]}]`},
	{"Panel", `[{"id":"p","type":"Panel","children":[{"type":"Text","props":{"text":"in a panel"}}]}]`},
	{"Group", `[{"id":"g","type":"Group","children":[{"type":"Badge","props":{"text":"a"}},{"type":"Badge","props":{"text":"b"}}]}]`},
	{"Grid", `[{"id":"g","type":"Grid","stylesData":{"values":{"gridTemplateColumns":"repeat(3, minmax(0, 1fr))"},"viewportOverrides":{"mobile":{"gridTemplateColumns":"1fr"}}}}]`},
	// static
	{"Text", `[{"id":"t","type":"Text","props":{"text":"Hello <world> & {{ page.title }}","align":"center","color":"#334155","size":"lg"}}]`},
	{"Heading", `[{"id":"h","type":"Heading","props":{"text":"Title","level":"3","size":"4xl"}}]`},
	{"Paragraph", `[{"id":"p","type":"Paragraph","props":{"text":"A paragraph."}}]`},
	{"Image", `[{"id":"i","type":"Image","props":{"src":"https://img.test/a.png","alt":"A","width":640,"height":360}},{"id":"j","type":"Image","props":{"alt":"pending"}}]`},
	{"Badge", `[{"id":"b","type":"Badge","props":{"text":"New","variant":"secondary"}}]`},
	{"Divider", `[{"id":"d","type":"Divider"}]`},
	{"Spacer", `[{"id":"s","type":"Spacer","props":{"height":32}}]`},
	{"Icon", `[{"id":"i","type":"Icon","props":{"name":"Rocket"}},{"id":"j","type":"Icon","props":{"name":"check","label":"Done"}}]`},
	{"Avatar", `[{"id":"a","type":"Avatar","props":{"src":"https://img.test/me.png","name":"Ada Lovelace"}},{"id":"b","type":"Avatar","props":{"name":"Grace Hopper"}}]`},
	{"Label", `[{"id":"l","type":"Label","props":{"text":"Email","htmlFor":"email"}}]`},
	{"Logo", `[{"id":"l","type":"Logo","props":{"logo":{"text":"Acme","src":"https://img.test/logo.svg"}}}]`},
	{"MarkdownContent", `[{"id":"m","type":"MarkdownContent","props":{"content":"# Install\n\nRun ` + "`make run`" + `, then *read* [docs](/docs).\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n| Step | ~~Old~~ |\n|---|:-:|\n| [one](#one) | https://frontbase.test/docs |"}}]`},
	{"Embed", `[{"id":"e","type":"Embed","props":{"url":"https://www.youtube.com/embed/abc","title":"Demo video","height":360}},{"id":"f","type":"Embed","props":{"url":"http://insecure.test/"}}]`},
	// interactive
	{"Button", `[{"id":"b1","type":"Button","props":{"label":"Pricing","variant":"outline","size":"sm","actionBindings":[{"trigger":"onClick","actionType":"scrollToSection","config":{"sectionId":"#pricing"}}]}},{"id":"b2","type":"Button","props":{"label":"Subscribe","actionBindings":[{"trigger":"onClick","actionType":"runWorkflow","workflowId":"wf-1","onSuccess":{"type":"toast","message":"Subscribed"}}]}},{"id":"b3","type":"Button","props":{"label":"Dark","actionBindings":[{"actionType":"setVariable","config":{"variableName":"theme","value":"dark","scope":"cookie"}}]}},{"id":"b4","type":"Button","props":{"label":"Open","actionBindings":[{"actionType":"openModal","config":{"modalId":"terms"}}]}}]`},
	{"Link", `[{"id":"l","type":"Link","props":{"text":"Docs","href":"/docs","target":"_blank"}}]`},
	{"Tabs", `[{"id":"t","type":"Tabs","props":{"tabs":[{"id":"a","label":"One","content":"First"},{"id":"b","label":"Two","content":"Second"}]}}]`},
	{"Accordion", `[{"id":"a","type":"Accordion","props":{"type":"single","items":[{"title":"Q1","content":"A1"},{"title":"Q2","content":"A2","open":true}]}}]`},
	{"Modal", `[{"id":"m","type":"Modal","props":{"modalId":"terms","title":"Terms","content":"Be nice.","triggerLabel":"Read the terms"}}]`},
	{"Dropdown", `[{"id":"d","type":"Dropdown","props":{"label":"Menu","items":[{"label":"Profile","href":"/me"},{"label":"Bad","href":"javascript:alert(1)"}]}}]`},
	{"Toggle", `[{"id":"t","type":"Toggle","props":{"label":"Bold","pressed":true}}]`},
	{"Switch", `[{"id":"s","type":"Switch","props":{"label":"Notifications","name":"notify","checked":true}}]`},
	{"Checkbox", `[{"id":"c","type":"Checkbox","props":{"label":"I agree","name":"agree"}}]`},
	{"Radio", `[{"id":"r","type":"Radio","props":{"label":"Plan","name":"plan","value":"pro","options":[{"label":"Free","value":"free"},{"label":"Pro","value":"pro"}]}}]`},
	{"RadioGroup", `[{"id":"r","type":"RadioGroup","props":{"label":"Size","options":[{"label":"Small","value":"s"},{"label":"Large","value":"l"}]}}]`},
	{"Tooltip", `[{"id":"t","type":"Tooltip","props":{"text":"Hover me","content":"Hello"}}]`},
	// landing sections
	{"Hero", `[{"id":"h","type":"Hero","props":{"title":"Ship faster","subtitle":"Edge rendering","buttonText":"Start","buttonLink":"/signup","secondaryButtonText":"Docs","secondaryButtonLink":"/docs"}}]`},
	{"Features", `[{"id":"f","type":"Features","props":{"title":"Why us","features":[{"title":"Fast","description":"Edge SSR","icon":"zap"},{"title":"Safe","description":"Escaped output"}]}}]`},
	{"FeatureSection", `[{"id":"f","type":"FeatureSection","props":{"title":"More","items":[{"title":"A","description":"a"}]}}]`},
	{"Pricing", `[{"id":"p","type":"Pricing","props":{"title":"Plans","plans":[{"name":"Free","price":"$0","features":["1 site"]},{"name":"Pro","price":"$29","period":"/month","features":["Unlimited"],"highlighted":true,"buttonText":"Buy","buttonLink":"/buy"}]}}]`},
	{"CTA", `[{"id":"c","type":"CTA","props":{"title":"Ready?","description":"Start today","buttonText":"Start","buttonLink":"/contact"}}]`},
	{"Navbar", `[{"id":"n","type":"Navbar","props":{"logo":{"text":"Acme"},"links":[{"label":"Home","href":"/"},{"label":"Pricing","href":"/pricing"}],"ctaText":"Sign up","ctaLink":"/signup"}}]`},
	{"FAQ", `[{"id":"f","type":"FAQ","props":{"title":"FAQ","items":[{"question":"Can I cancel?","answer":"Any time."}]}}]`},
	{"LogoCloud", `[{"id":"l","type":"LogoCloud","props":{"title":"Trusted by","logos":[{"name":"Globex","src":"https://img.test/globex.svg","href":"https://globex.test"},{"name":"Initech"}]}}]`},
	{"Footer", `[{"id":"f","type":"Footer","props":{"text":"© {{ system.year }} Acme","links":[{"label":"Privacy","href":"/privacy"}]}}]`},
	// data
	{"Form", `[{"id":"f","type":"Form","props":{"title":"Contact","fields":[{"name":"email","label":"Email","type":"email","required":true,"placeholder":"you@example.com"},{"name":"topic","label":"Topic","type":"select","options":["Sales",{"value":"help","label":"Support"}]},{"name":"message","label":"Message","type":"textarea"},{"name":"terms","label":"I agree","type":"checkbox","required":true},{"name":"bad name!","label":"dropped"}],"submitLabel":"Send","actionBindings":[{"trigger":"onSubmit","actionType":"runWorkflow","workflowId":"wf-2","onSuccess":{"type":"redirect","url":"/thanks"}}]}}]`},
	{"DataTable", `[{"id":"d","type":"DataTable","props":{"title":"Orders"},"binding":{"tableName":"orders"}}]`},
	{"DataTableBound", `[{"id":"d","type":"DataTable","props":{"title":"Orders <b>","_columns":[{"name":"id"},{"name":"total"},{"name":"secret"}]},"binding":{"tableName":"orders","columnOrder":["id","total","secret"],"columnOverrides":{"total":{"displayName":"Total (€)"},"secret":{"visible":false}},"pagination":{"enabled":true,"pageSize":5},"filtering":{"searchEnabled":true},"dataRequest":{"url":"","method":"POST","fetchStrategy":"proxy","datasourceId":"ds-1","headers":{"x":"</script><script>alert(1)</script>"},"body":{"query":"SELECT orders.* FROM orders LIMIT 100","params":[]},"resultPath":"rows","queryConfig":{"tableName":"orders","sql":"SELECT orders.* FROM orders WHERE note = '</script>'"}}}}]`},
	{"InfoList", `[{"id":"i","type":"InfoList","props":{"title":"Customer"}}]`},
	{"Chart", `[{"id":"c","type":"Chart","props":{"title":"Revenue"},"binding":{"dataSource":"sales"}}]`},
	{"KPICard", `[{"id":"k","type":"KPICard","props":{"title":"MRR"}}]`},
	{"Card", `[{"id":"c","type":"Card","props":{"title":"Static card","description":"No binding"},"children":[{"type":"Text","props":{"text":"inside"}}]},{"id":"d","type":"Card","props":{"title":"Bound card"},"binding":{"table":"posts"}}]`},
	{"Repeater", `[{"id":"r","type":"Repeater","props":{"title":"Posts"},"binding":{"collection":"posts"}}]`},
	// other
	{"Unknown", `[{"id":"u","type":"Carousel","children":[{"type":"Text","props":{"text":"slide"}}]}]`},
	{"VisibilityCondition", `[{"id":"a","type":"Text","props":{"text":"pro only"},"visibilityCondition":"url.plan == 'pro'"},{"id":"b","type":"Text","props":{"text":"welcome back"},"visibilityCondition":"local.seen == true"},{"id":"c","type":"Text","props":{"text":"always"},"visibilityCondition":"page.slug == 't'"}]`},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := quietRenderer()
			out := render(t, r, Input{Page: pageOf(t, tc.components), Path: "/", Request: &Request{Now: goldenNow}})
			got := "<!-- body -->\n" + strings.ReplaceAll(body(out), "><", ">\n<") + "\n<!-- style -->\n" + generatedCSS(out) + "\n"
			if strings.Contains(out, runtimeTag) {
				got += "<!-- runtime -->\n"
			}
			file := filepath.Join("testdata", "golden", tc.name+".html")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update and review the diff):\n--- got\n%s\n--- want\n%s", file, got, want)
			}
			if foreignScript(out) {
				t.Error("script in output")
			}
		})
	}
}

// TestGoldenCoversRegistry fails when a registered component type has no
// golden case of its name, or when a golden case holds a type the registry
// does not (but for the top-level components of the "Unknown" case, which
// shows the placeholder of an unknown type).
func TestGoldenCoversRegistry(t *testing.T) {
	named := map[string]bool{}
	for _, tc := range goldenCases {
		named[tc.name] = true
		var walk func(cs []core.Component, root bool)
		walk = func(cs []core.Component, root bool) {
			for _, c := range cs {
				_, registered := registry[c.Type]
				unknown := tc.name == "Unknown" && root // meant to be unregistered
				switch {
				case unknown && registered:
					t.Errorf("golden case Unknown renders %s, which is registered", c.Type)
				case !unknown && !registered:
					t.Errorf("golden case %s holds %s, which no family registers", tc.name, c.Type)
				}
				walk(c.Children, false)
			}
		}
		walk(pageOf(t, tc.components).LayoutData.Content, true)
	}
	types := catalogueTypes()
	if len(types) != len(registry) || len(types) == 0 {
		t.Fatalf("catalogueTypes lists %d types, the registry holds %d", len(types), len(registry))
	}
	for _, typ := range types {
		if !named[typ] {
			t.Errorf("no golden case for %s", typ)
		}
	}
}

var goldenNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
