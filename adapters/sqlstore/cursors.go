package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/frontbase/edge/core"
)

// DataCursor returns a data_change_trigger's cursor (workflow.CursorStore).
func (s *Store) DataCursor(ctx context.Context, key string) (string, bool, error) {
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return "", false, err
	}
	var cur string
	err := s.b.DB.QueryRowContext(ctx, `SELECT cursor FROM data_cursors WHERE key = ?`, key).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.dbError("read data cursor", err)
	}
	return cur, true, nil
}

// AdvanceDataCursor moves the cursor from old to next and writes claim in
// one batch, only while the cursor is still old (workflow.CursorStore).
// The batch reads back the claim id it wrote to tell whether it won.
func (s *Store) AdvanceDataCursor(ctx context.Context, key string, old *string, next string, claim *core.Execution) (bool, error) {
	token := randomToken()
	var doc []byte
	if claim != nil {
		token = claim.ID
		var err error
		if doc, err = json.Marshal(claim); err != nil {
			return false, &core.Error{Code: core.EINTERNAL, Message: "encode execution", Err: err}
		}
	}
	ctx, cancel := s.deadline(ctx)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		return false, err
	}
	now := FormatTime(time.Now())
	var stmts []Stmt
	if old == nil {
		stmts = append(stmts, Stmt{`INSERT INTO data_cursors (key, cursor, claim_id, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO NOTHING`, []any{key, next, token, now}})
	} else {
		stmts = append(stmts, Stmt{`UPDATE data_cursors SET cursor = ?, claim_id = ?, updated_at = ? WHERE key = ? AND cursor = ?`,
			[]any{next, token, now, key, *old}})
	}
	if claim != nil {
		stmts = append(stmts, Stmt{`INSERT INTO executions (id, workflow_id, status, trigger_type, document, started_at)
			SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM data_cursors WHERE key = ? AND claim_id = ?)
			ON CONFLICT (id) DO NOTHING`,
			[]any{claim.ID, claim.WorkflowID, claim.Status, claim.TriggerType, string(doc), FormatTime(claim.StartedAt), key, token}})
	}
	stmts = append(stmts, Stmt{`SELECT claim_id FROM data_cursors WHERE key = ?`, []any{key}})
	results, err := s.batch(ctx, "advance data cursor", stmts)
	if err != nil {
		return false, err
	}
	last := results[len(results)-1]
	return len(last) == 1 && asString(last[0][0]) == token, nil
}

func randomToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
