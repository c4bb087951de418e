package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/frontbase/edge/core"
	"github.com/frontbase/edge/core/ratelimit"
)

var _ ratelimit.Store = (*Store)(nil)

// RateLimitRules returns the tenant's rules ordered by id.
func (s *Store) RateLimitRules(ctx context.Context, tenant string) ([]ratelimit.Rule, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := s.b.DB.QueryContext(ctx, `SELECT document FROM rate_limit_rules WHERE tenant = ? ORDER BY id`, tenantOrDefault(tenant))
	if err != nil {
		return nil, s.dbError("read rate limits", err)
	}
	defer rows.Close()
	out := []ratelimit.Rule{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, s.dbError("read rate limits", err)
		}
		var r ratelimit.Rule
		if err := json.Unmarshal([]byte(doc), &r); err != nil {
			return nil, &core.Error{Code: core.EINTERNAL, Message: "decode stored rate limit", Err: err}
		}
		if r.Methods == nil {
			r.Methods = []string{}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.dbError("read rate limits", err)
	}
	return out, nil
}

const upsertRule = `INSERT INTO rate_limit_rules (tenant, id, document, updated_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (tenant, id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`

// SaveRateLimitRule inserts or replaces a rule and bumps the generation,
// in one batch.
func (s *Store) SaveRateLimitRule(ctx context.Context, tenant string, r *ratelimit.Rule) (int64, error) {
	if r == nil || r.ID == "" {
		return 0, core.Errorf(core.EINVALID, "a rate limit needs an id")
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return 0, core.Errorf(core.EINVALID, "rate limit cannot be encoded: %v", err)
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	results, err := s.batch(ctx, "save rate limit", []Stmt{
		{upsertRule, []any{tenantOrDefault(tenant), r.ID, string(doc), FormatTime(time.Now())}},
		{bumpGeneration, nil},
		{selectGeneration, nil},
	})
	if err != nil {
		return 0, err
	}
	return asInt(results[2][0][0]), nil
}

// DeleteRateLimitRule removes a rule; ENOTFOUND (and no generation bump)
// when there is none.
func (s *Store) DeleteRateLimitRule(ctx context.Context, tenant, id string) (int64, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	tenant = tenantOrDefault(tenant)
	exists := `(SELECT count(*) FROM rate_limit_rules WHERE tenant = ? AND id = ?)`
	results, err := s.batch(ctx, "delete rate limit", []Stmt{
		{`SELECT ` + exists, []any{tenant, id}},
		{bumpGeneration + ` AND ` + exists + ` > 0`, []any{tenant, id}},
		{`DELETE FROM rate_limit_rules WHERE tenant = ? AND id = ?`, []any{tenant, id}},
		{selectGeneration, nil},
	})
	if err != nil {
		return 0, err
	}
	if asInt(results[0][0][0]) == 0 {
		return 0, core.Errorf(core.ENOTFOUND, "rate limit %q not found", id)
	}
	return asInt(results[3][0][0]), nil
}

// ReplaceRateLimitRules makes rules the tenant's whole rule set, in one
// batch that bumps the generation once.
func (s *Store) ReplaceRateLimitRules(ctx context.Context, tenant string, rules []ratelimit.Rule) (int64, error) {
	tenant = tenantOrDefault(tenant)
	now := FormatTime(time.Now())
	stmts := []Stmt{{`DELETE FROM rate_limit_rules WHERE tenant = ?`, []any{tenant}}}
	for i := range rules {
		if rules[i].ID == "" {
			return 0, core.Errorf(core.EINVALID, "a rate limit needs an id")
		}
		doc, err := json.Marshal(&rules[i])
		if err != nil {
			return 0, core.Errorf(core.EINVALID, "rate limit cannot be encoded: %v", err)
		}
		stmts = append(stmts, Stmt{upsertRule, []any{tenant, rules[i].ID, string(doc), now}})
	}
	stmts = append(stmts, Stmt{bumpGeneration, nil}, Stmt{selectGeneration, nil})
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	results, err := s.batch(ctx, "replace rate limits", stmts)
	if err != nil {
		return 0, err
	}
	return asInt(results[len(results)-1][0][0]), nil
}
