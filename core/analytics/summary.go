package analytics

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Reader reads stored counters (the state store).
type Reader interface {
	// Counts returns the rows of tenant from day from to day to
	// (inclusive), of one page when slug is not empty.
	Counts(ctx context.Context, tenant, from, to, slug string) ([]Row, error)
}

// Summary is what GET /api/analytics answers.
type Summary struct {
	From         string     `json:"from"`
	To           string     `json:"to"`
	Page         string     `json:"page,omitempty"`
	Views        int64      `json:"views"`
	Uniques      int64      `json:"uniques"` // the sum of each page's daily unique visitors
	Bots         int64      `json:"bots"`
	Days         []DayStat  `json:"days"` // every day of the range, oldest first
	TopPages     []KeyCount `json:"topPages"`
	TopReferrers []KeyCount `json:"topReferrers"`
	Devices      []KeyCount `json:"devices"`
	Countries    []KeyCount `json:"countries"`
}

// DayStat is one day's totals.
type DayStat struct {
	Day     string `json:"day"`
	Views   int64  `json:"views"`
	Uniques int64  `json:"uniques"`
	Bots    int64  `json:"bots"`
}

// KeyCount is one entry of a top list.
type KeyCount struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// TopN is how long the top lists are.
const TopN = 10

// Summarize folds rows into a Summary of the days from..to.
func Summarize(rows []Row, from, to, page string) Summary {
	s := Summary{From: from, To: to, Page: page, Days: []DayStat{}}
	index := map[string]int{}
	if f, err := time.Parse(time.DateOnly, from); err == nil {
		if t, err := time.Parse(time.DateOnly, to); err == nil {
			for d := f; !d.After(t) && len(s.Days) < 400; d = d.AddDate(0, 0, 1) {
				index[d.Format(time.DateOnly)] = len(s.Days)
				s.Days = append(s.Days, DayStat{Day: d.Format(time.DateOnly)})
			}
		}
	}
	pages, refs, devices, countries := map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, r := range rows {
		var day *DayStat
		if i, ok := index[r.Day]; ok {
			day = &s.Days[i]
		} else {
			day = &DayStat{}
		}
		switch r.Kind {
		case KindViews:
			s.Views += r.N
			day.Views += r.N
			pages[r.Slug] += r.N
		case KindUniques:
			s.Uniques += r.N
			day.Uniques += r.N
		case KindBots:
			s.Bots += r.N
			day.Bots += r.N
		case KindReferrer:
			refs[r.Value] += r.N
		case KindDevice:
			devices[r.Value] += r.N
		case KindCountry:
			countries[r.Value] += r.N
		}
	}
	s.TopPages, s.TopReferrers, s.Devices, s.Countries = top(pages), top(refs), top(devices), top(countries)
	return s
}

func top(m map[string]int64) []KeyCount {
	out := make([]KeyCount, 0, len(m))
	for k, n := range m {
		out = append(out, KeyCount{k, n})
	}
	slices.SortFunc(out, func(a, b KeyCount) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Key, b.Key)) })
	if len(out) > TopN {
		out = out[:TopN]
	}
	return out
}
