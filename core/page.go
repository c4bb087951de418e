package core

import (
	"encoding/json"
	"time"
)

// DefaultTenant is the tenant of pages published without a tenantSlug.
const DefaultTenant = "_default"

// Page is one published page, in the camelCase shape the Frontbase control
// plane sends (docs/api.md). It is a read-only view: the engine
// stores the document exactly as the control plane sent it, so fields this
// engine does not know survive at any depth, and decoding stays one linear
// pass (no per-level bookkeeping of unknown members).
type Page struct {
	ID          string          `json:"id"`
	Slug        string          `json:"slug"`
	TenantSlug  string          `json:"tenantSlug,omitempty"`
	Name        string          `json:"name,omitempty"`
	Title       string          `json:"title,omitempty"`
	Description string          `json:"description,omitempty"`
	LayoutData  LayoutData      `json:"layoutData"`
	SEOData     *SEOData        `json:"seoData,omitempty"`
	Datasources json.RawMessage `json:"datasources,omitempty"`
	CSSBundle   string          `json:"cssBundle,omitempty"`
	Version     *float64        `json:"version,omitempty"`
	PublishedAt string          `json:"publishedAt,omitempty"`
	IsPublic    *bool           `json:"isPublic,omitempty"`
	IsHomepage  bool            `json:"isHomepage,omitempty"`
	ContentHash string          `json:"contentHash,omitempty"`

	// AppVariables are the page's app variables, the Liquid scope "app".
	AppVariables map[string]any `json:"appVariables,omitempty"`
}

// Public reports whether visitors may see the page. Pages are public unless
// the control plane says otherwise.
func (p *Page) Public() bool { return p.IsPublic == nil || *p.IsPublic }

// Tenant returns the page's tenant, defaulting to DefaultTenant.
func (p *Page) Tenant() string {
	if p.TenantSlug == "" {
		return DefaultTenant
	}
	return p.TenantSlug
}

// LayoutData is the component tree of a page.
type LayoutData struct {
	Content []Component     `json:"content"`
	Root    json.RawMessage `json:"root,omitempty"`
}

// SEOData is what a page says about itself to search engines and previews.
type SEOData struct {
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
	OGImage     string   `json:"ogImage,omitempty"`
	Canonical   string   `json:"canonical,omitempty"`
}

// Component is one node of a page's component tree.
type Component struct {
	ID                  string          `json:"id,omitempty"`
	Type                string          `json:"type"`
	Props               map[string]any  `json:"props,omitempty"`
	Styles              *StyleData      `json:"styles,omitempty"`
	StylesData          *StyleData      `json:"stylesData,omitempty"`
	Visibility          *Visibility     `json:"visibility,omitempty"`
	VisibilityCondition json.RawMessage `json:"visibilityCondition,omitempty"`
	Children            []Component     `json:"children,omitempty"`
	Binding             json.RawMessage `json:"binding,omitempty"`
}

// Style returns the component's style data: stylesData, or the older
// styles field when stylesData is absent.
func (c *Component) Style() *StyleData {
	if c.StylesData != nil {
		return c.StylesData
	}
	return c.Styles
}

// Columns reads a data component's props._columns, as the builder saves
// them: column names, or objects naming a column. The renderer and the
// data proxy must agree on them: the proxy only sorts by these.
func (c *Component) Columns() []string {
	list, _ := c.Props["_columns"].([]any)
	var out []string
	for _, it := range list {
		switch col := it.(type) {
		case string:
			out = append(out, col)
		case map[string]any:
			for _, k := range [...]string{"name", "column_name", "column"} {
				if n, ok := col[k].(string); ok && n != "" {
					out = append(out, n)
					break
				}
			}
		}
	}
	return out
}

// StyleData holds the CSS a builder user set on a component, by camelCase
// property name, with per-viewport overrides.
type StyleData struct {
	Values            map[string]any            `json:"values,omitempty"`
	ActiveProperties  []string                  `json:"activeProperties,omitempty"`
	StylingMode       string                    `json:"stylingMode,omitempty"`
	ViewportOverrides map[string]map[string]any `json:"viewportOverrides,omitempty"`
}

// Visibility says on which devices a component shows. A nil field means
// visible.
type Visibility struct {
	Mobile  *bool `json:"mobile,omitempty"`
	Tablet  *bool `json:"tablet,omitempty"`
	Desktop *bool `json:"desktop,omitempty"`
}

// Settings are the project-wide settings of a tenant's site.
type Settings struct {
	SiteName        string `json:"siteName,omitempty"`
	SiteDescription string `json:"siteDescription,omitempty"`
	FaviconURL      string `json:"faviconUrl,omitempty"`
	LogoURL         string `json:"logoUrl,omitempty"`
	AppURL          string `json:"appUrl,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

type settingsFields Settings

func (s *Settings) UnmarshalJSON(data []byte) error {
	var f settingsFields
	extra, err := unmarshalKeepingUnknown(data, &f)
	if err != nil {
		return err
	}
	*s = Settings(f)
	s.Extra = extra
	return nil
}

func (s Settings) MarshalJSON() ([]byte, error) {
	f := settingsFields(s)
	return marshalWithUnknown(&f, s.Extra)
}

// Workflow is an Action workflow as the builder deploys it. It is stored
// now; the actions engine executes it.
type Workflow struct {
	ID            string          `json:"id"`
	Name          string          `json:"name,omitempty"`
	Description   string          `json:"description,omitempty"`
	TriggerType   string          `json:"triggerType,omitempty"`
	TriggerConfig json.RawMessage `json:"triggerConfig,omitempty"`
	Nodes         json.RawMessage `json:"nodes,omitempty"`
	Edges         json.RawMessage `json:"edges,omitempty"`
	IsActive      *bool           `json:"isActive,omitempty"`
	Settings      json.RawMessage `json:"settings,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

type workflowFields Workflow

func (w *Workflow) UnmarshalJSON(data []byte) error {
	var f workflowFields
	extra, err := unmarshalKeepingUnknown(data, &f)
	if err != nil {
		return err
	}
	*w = Workflow(f)
	w.Extra = extra
	return nil
}

func (w Workflow) MarshalJSON() ([]byte, error) {
	f := workflowFields(w)
	return marshalWithUnknown(&f, w.Extra)
}

// StoredPage is a page as the state store holds it: the document plus what
// the engine assigned when it was published.
type StoredPage struct {
	Page        *Page
	Document    json.RawMessage // as the control plane sent it
	Version     int64           // engine-assigned, +1 on every publish of the slug
	ContentHash string          // sha256 of the normalised document
	PublishedAt time.Time       // when the engine stored it
}

// PageSummary is one row of the management page list.
type PageSummary struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	TenantSlug  string    `json:"tenantSlug"`
	Name        string    `json:"name"`
	Title       string    `json:"title"`
	IsPublic    bool      `json:"isPublic"`
	IsHomepage  bool      `json:"isHomepage"`
	Version     int64     `json:"version"`
	ContentHash string    `json:"contentHash"`
	PublishedAt time.Time `json:"publishedAt"`
}
