package render

import (
	"encoding/json"
	"strconv"

	"github.com/frontbase/edge/core"
)

// dataTableBinding is what the DataTable reads of its binding (the
// builder's DataTableBinding).
type dataTableBinding struct {
	TableName       string                    `json:"tableName"`
	ColumnOrder     []string                  `json:"columnOrder"`
	ColumnOverrides map[string]columnOverride `json:"columnOverrides"`
	Pagination      *struct {
		Enabled  *bool `json:"enabled"`
		PageSize int   `json:"pageSize"`
	} `json:"pagination"`
	Sorting *struct {
		Enabled *bool `json:"enabled"`
	} `json:"sorting"`
	Filtering *struct {
		SearchEnabled bool `json:"searchEnabled"`
	} `json:"filtering"`
	DataRequest json.RawMessage `json:"dataRequest"`
}

type columnOverride struct {
	DisplayName string `json:"displayName"`
	Label       string `json:"label"`
	Visible     *bool  `json:"visible"`
}

// dataTableConfig is the JSON the page runtime reads from the shell: the
// published data request without its headers (the engine uses its own
// published copy), and the table's options.
type dataTableConfig struct {
	DataRequest map[string]json.RawMessage `json:"dataRequest"`
	PageSize    int                        `json:"pageSize"`
	Paged       bool                       `json:"paged"`
	Sortable    bool                       `json:"sortable"`
	Search      bool                       `json:"search"`
	Columns     []string                   `json:"columns,omitempty"`
}

// dataTable renders a DataTable bound to a published data request as a
// table shell (caption, headers from its props, a loading row) that the
// runtime (core/render/runtime) fills through POST /api/data/execute, with
// search, sorting and paging. Without a data request it stays a
// placeholder.
func (s *state) dataTable(c *core.Component) {
	var bd dataTableBinding
	raw := c.Binding
	if len(raw) == 0 {
		if pb, ok := c.Props["binding"]; ok {
			raw, _ = json.Marshal(pb)
		}
	}
	var dr map[string]json.RawMessage
	if len(raw) > 0 && json.Unmarshal(raw, &bd) == nil && len(bd.DataRequest) > 0 {
		_ = json.Unmarshal(bd.DataRequest, &dr)
	}
	if dr == nil {
		s.dataPlaceholder(c, "table")
		return
	}
	delete(dr, "headers")
	cfg := dataTableConfig{DataRequest: dr, PageSize: 10, Paged: true, Sortable: true}
	if p := bd.Pagination; p != nil {
		if p.Enabled != nil {
			cfg.Paged = *p.Enabled
		}
		if p.PageSize > 0 {
			cfg.PageSize = min(p.PageSize, 100)
		}
	}
	if bd.Sorting != nil && bd.Sorting.Enabled != nil {
		cfg.Sortable = *bd.Sorting.Enabled
	}
	cfg.Search = bd.Filtering != nil && bd.Filtering.SearchEnabled
	if v, ok := c.Props["searchEnabled"].(bool); ok {
		cfg.Search = v
	}

	cols := bd.ColumnOrder
	if len(cols) == 0 {
		cols = c.Columns()
	}
	type col struct{ name, label string }
	var shown []col
	for _, name := range cols {
		o := bd.ColumnOverrides[name]
		if o.Visible != nil && !*o.Visible {
			continue
		}
		label := o.DisplayName
		if label == "" {
			label = o.Label
		}
		if label == "" {
			label = name
		}
		shown = append(shown, col{name, label})
		cfg.Columns = append(cfg.Columns, name)
	}

	b := &s.body
	s.fixed |= fixedDataTable
	s.runtime = true
	s.open(c, "section", "fb-datatable", "", s.rule(c, nil))
	writeAttr(b, "data-fb-type", c.Type)
	js, _ := json.Marshal(cfg)
	writeAttr(b, "data-fb-datatable", string(js)) // an attribute, not a script: no script but the runtime's on a page
	b.WriteString(` aria-busy="true">`)
	title := s.dataTitle(c)
	if cfg.Search {
		b.WriteString(`<div class="fb-dt-bar"><input type="search" class="fb-dt-search" placeholder="Search…"`)
		writeAttr(b, "aria-label", "Search "+firstNonEmpty(title, bd.TableName, "table"))
		b.WriteString(` hidden></div>`)
	}
	b.WriteString(`<div class="fb-dt-scroll"><table class="fb-dt"><thead><tr>`)
	for _, h := range shown {
		b.WriteString(`<th scope="col"`)
		writeAttr(b, "data-col", h.name)
		b.WriteByte('>')
		escape(b, h.label)
		b.WriteString("</th>")
	}
	b.WriteString(`</tr></thead><tbody><tr class="fb-dt-status"><td`)
	writeAttr(b, "colspan", strconv.Itoa(max(len(shown), 1)))
	b.WriteString(`>Loading…</td></tr></tbody></table></div>`)
	if cfg.Paged {
		b.WriteString(`<nav class="fb-dt-pager" aria-label="Pages" hidden><button type="button" data-fb-page="-1">Previous</button><span class="fb-dt-info" aria-live="polite"></span><button type="button" data-fb-page="1">Next</button></nav>`)
	}
	b.WriteString(`<noscript><p class="fb-muted">This table loads its rows with JavaScript.</p></noscript></section>`)
}

func firstNonEmpty(list ...string) string {
	for _, s := range list {
		if s != "" {
			return s
		}
	}
	return ""
}
