package workflow

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retention says how long execution records are kept
// (FRONTBASE_EXECUTION_RETENTION). The scheduled tick enforces it in
// bounded batches; records of the last hour are never deleted (a
// scheduled slot's claim must outlive the slot's lookback).
type Retention struct {
	MaxAge  time.Duration // records started longer ago are deleted; 0: no age limit
	MaxRows int           // per workflow, the newest kept; 0: no row limit
}

// DefaultRetention keeps a week of records, any number per workflow.
var DefaultRetention = Retention{MaxAge: 7 * 24 * time.Hour}

// Pruning bounds: each DELETE removes at most pruneBatch rows, and one
// tick runs at most prunePasses of them (a backlog drains over ticks).
const (
	pruneBatch    = 500
	prunePasses   = 20
	minRetainTime = scheduleLookback
)

// ParseRetention reads FRONTBASE_EXECUTION_RETENTION: a comma list of a
// maximum age (a Go duration, or days as "7d") and a maximum number of
// records per workflow ("1000" or "1000 rows"); "off" keeps everything;
// empty is DefaultRetention. Examples: "7d", "30d,5000", "48h, 200 rows".
func ParseRetention(s string) (Retention, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return DefaultRetention, nil
	case "off", "none", "0":
		return Retention{}, nil
	}
	var r Retention
	for _, item := range strings.Split(s, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		rows := strings.TrimSpace(strings.TrimSuffix(item, "rows"))
		if n, err := strconv.Atoi(rows); err == nil {
			if n < 1 {
				return Retention{}, fmt.Errorf("%q: the number of records per workflow must be at least 1", item)
			}
			r.MaxRows = n
			continue
		}
		d, err := parseAge(item)
		if err != nil {
			return Retention{}, fmt.Errorf("%q is neither a maximum age (7d, 72h) nor a number of records per workflow (1000)", item)
		}
		if d < minRetainTime {
			return Retention{}, fmt.Errorf("%q: the maximum age must be at least %s", item, minRetainTime)
		}
		r.MaxAge = d
	}
	return r, nil
}

func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n <= 0 {
			return 0, errors.New("bad days")
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	return time.ParseDuration(s)
}

func (r Retention) String() string {
	var parts []string
	if r.MaxAge > 0 {
		parts = append(parts, r.MaxAge.String())
	}
	if r.MaxRows > 0 {
		parts = append(parts, strconv.Itoa(r.MaxRows)+" rows per workflow")
	}
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, ", ")
}

// ExecutionPruner is the part of a state store retention needs
// (adapters/sqlstore). Each delete is one statement removing at most
// limit rows.
type ExecutionPruner interface {
	DeleteExecutionsBefore(ctx context.Context, before time.Time, limit int) (int, error)
	WorkflowsOverExecutions(ctx context.Context, keep, limit int) ([]string, error)
	TrimExecutions(ctx context.Context, workflowID string, keep int, before time.Time, limit int) (int, error)
}

// PruneExecutions enforces the retention once, in at most prunePasses
// deletes of at most pruneBatch rows: the age limit first, then each
// workflow's row limit. It returns how many records it deleted; what is
// left is deleted by the next ticks. Without a pruner (a store that does
// not implement it) it does nothing.
func (s *Service) PruneExecutions(ctx context.Context) (deleted int, err error) {
	p, r := s.pruner, s.retention
	if p == nil || (r.MaxAge <= 0 && r.MaxRows <= 0) {
		return 0, nil
	}
	now := s.now()
	passes := 0
	if r.MaxAge > 0 {
		for passes < prunePasses {
			passes++
			n, err := p.DeleteExecutionsBefore(ctx, now.Add(-r.MaxAge), pruneBatch)
			deleted += n
			if err != nil {
				return deleted, err
			}
			if n < pruneBatch {
				break
			}
		}
	}
	if r.MaxRows > 0 && passes < prunePasses {
		ids, err := p.WorkflowsOverExecutions(ctx, r.MaxRows, prunePasses-passes)
		if err != nil {
			return deleted, err
		}
		for _, id := range ids {
			for passes < prunePasses {
				passes++
				n, err := p.TrimExecutions(ctx, id, r.MaxRows, now.Add(-minRetainTime), pruneBatch)
				deleted += n
				if err != nil {
					return deleted, err
				}
				if n < pruneBatch {
					break
				}
			}
		}
	}
	return deleted, nil
}
