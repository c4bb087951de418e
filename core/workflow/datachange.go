package workflow

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/frontbase/edge/core"
)

// CursorStore keeps each data_change_trigger's cursor: the JSON of the
// last timestampColumn value delivered. The state store implements it
// (adapters/sqlstore, table data_cursors).
type CursorStore interface {
	// DataCursor returns the cursor stored under key; ok is false when
	// there is none.
	DataCursor(ctx context.Context, key string) (cursor string, ok bool, err error)
	// AdvanceDataCursor moves key's cursor from old (nil: no cursor yet)
	// to next and, when claim is not nil, writes claim (status started),
	// in ONE atomic batch, only when the cursor still is old. It reports
	// whether this call moved it: of overlapping ticks that read the same
	// cursor exactly one wins, and only the winner runs the workflow.
	AdvanceDataCursor(ctx context.Context, key string, old *string, next string, claim *core.Execution) (bool, error)
}

// Polling limits.
const (
	// MaxChangesPerPoll is the most rows one poll delivers; the rest come
	// with the next poll.
	MaxChangesPerPoll = 100
	// tickPeriod is how often the scheduler calls RunDue.
	tickPeriod = time.Minute
)

// pollDue says whether a trigger polling every interval polls in the tick
// at now: its slot (now truncated to the interval) began within the last
// tick period. It needs no state, and a missed poll only delays changes:
// the cursor keeps them.
func pollDue(interval time.Duration, now time.Time) bool {
	if interval <= tickPeriod {
		return true
	}
	return now.Sub(now.Truncate(interval)) < tickPeriod
}

// cursorKey names a trigger's cursor: the workflow and what it watches,
// so a workflow re-deployed to watch another column starts afresh.
func cursorKey(workflowID string, n *Node) string {
	sum := sha256.Sum256([]byte(str(n.Inputs["dataSource"]) + "|" + str(n.Inputs["table"]) + "|" + str(n.Inputs["timestampColumn"])))
	return workflowID + "|" + hex.EncodeToString(sum[:8])
}

func (s *Service) pollChanges(ctx context.Context, id string, now time.Time) (bool, error) {
	g, sw, err := s.Load(ctx, id)
	if err != nil {
		return false, err
	}
	t := g.Trigger
	if t == nil || t.Type != "data_change_trigger" || !sw.Workflow.Active() {
		return false, nil
	}
	if secs, ok := number(t.Inputs["pollingInterval"]); ok && !pollDue(time.Duration(secs)*time.Second, now) {
		return false, nil
	}
	if s.cursors == nil {
		return false, core.Errorf(core.EINTERNAL, "data_change_trigger needs a state store that keeps cursors")
	}
	name := str(t.Inputs["dataSource"])
	src := s.data[name]
	if src == nil {
		return false, core.Errorf(core.EINVALID, "data source %q is not configured on this engine (FRONTBASE_DATASOURCES)", name)
	}
	table, col := str(t.Inputs["table"]), str(t.Inputs["timestampColumn"])
	if err := errors.Join(CheckIdent(table), CheckIdent(col)); err != nil {
		return false, err
	}
	key := cursorKey(id, t)
	cur, had, err := s.cursors.DataCursor(ctx, key)
	if err != nil {
		return false, err
	}
	qctx, cancel := context.WithTimeout(ctx, DefaultDataTimeout)
	defer cancel()
	if !had {
		// First poll: remember where the table is now; changes start here.
		res, err := src.Do(qctx, &DataRequest{Operation: OpSelect, Table: table, Fields: []string{col},
			Where: []Condition{{Column: col, Op: "notNull"}}, OrderBy: []Order{{Column: col, Desc: true}}, Limit: 1, MaxRows: 1})
		if err != nil {
			return false, fmt.Errorf("data source %q: %w", name, err)
		}
		var last any
		if len(res.Rows) > 0 {
			last = res.Rows[0][col]
		}
		b, _ := json.Marshal(last)
		_, err = s.cursors.AdvanceDataCursor(ctx, key, nil, string(b), nil)
		return false, err
	}
	var after any
	if err := json.Unmarshal([]byte(cur), &after); err != nil {
		return false, core.Errorf(core.EINTERNAL, "stored cursor for workflow %q is not JSON", id)
	}
	where := []Condition{{Column: col, Op: "notNull"}}
	if after != nil {
		where = []Condition{{Column: col, Op: "gt", Value: bindable(after)}}
	}
	res, err := src.Do(qctx, &DataRequest{Operation: OpSelect, Table: table, Where: where,
		OrderBy: []Order{{Column: col}}, Limit: MaxChangesPerPoll, MaxRows: MaxChangesPerPoll})
	if err != nil {
		return false, fmt.Errorf("data source %q: %w", name, err)
	}
	rows := res.Rows
	if len(rows) == 0 {
		return false, nil
	}
	if len(rows) == MaxChangesPerPoll {
		// A full batch may have cut a run of rows sharing the last value:
		// leave that run to the next poll (unless it fills the batch).
		last := rows[len(rows)-1][col]
		i := len(rows)
		for i > 0 && reflect.DeepEqual(rows[i-1][col], last) {
			i--
		}
		if i > 0 {
			rows = rows[:i]
		}
	}
	next, err := json.Marshal(rows[len(rows)-1][col])
	if err != nil {
		return false, err
	}
	changes := make([]any, len(rows))
	for i, r := range rows {
		changes[i] = r
	}
	payload := map[string]any{"changes": changes, "operation": cmp.Or(str(t.Inputs["operation"]), "any"), "count": len(rows)}
	claim := &core.Execution{ID: NewID(), WorkflowID: id, WorkflowVersion: sw.Version, Status: core.ExecStarted,
		TriggerType: "data_change", TriggerPayload: payload, StartedAt: now.UTC()}
	won, err := s.cursors.AdvanceDataCursor(ctx, key, &cur, string(next), claim)
	if err != nil || !won {
		return false, err
	}
	exec, err := s.runWithID(ctx, g, sw, "data_change", payload, claim.ID)
	if err != nil && exec == nil {
		// Refused by a guard or inactive: record why; these changes are
		// not delivered again (the cursor moved with the claim).
		claim.Status, claim.Error, claim.EndedAt = core.ExecCancelled, core.ErrorMessage(err), s.now().UTC()
		saveCtx, cancel := recordContext(ctx)
		defer cancel()
		return false, errors.Join(err, s.store.SaveExecution(saveCtx, claim))
	}
	return true, err
}
