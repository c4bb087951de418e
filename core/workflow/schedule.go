package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/frontbase/edge/core"
)

// scheduleLookback is how far back a tick looks for a due slot: a slot
// missed for longer (the scheduler was down) is skipped, not caught up.
const scheduleLookback = time.Hour

// schedule is a parsed schedule_trigger.
type schedule struct {
	every time.Duration // interval mode
	cron  cron.Schedule // cron mode
	loc   *time.Location
}

func parseSchedule(n *Node) (*schedule, error) {
	loc := time.UTC
	if tz := str(n.Inputs["timezone"]); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("timezone %q is not a known IANA zone", tz)
		}
		loc = l
	}
	if str(n.Inputs["mode"]) == "cron" {
		c, err := cron.ParseStandard(str(n.Inputs["cronExpression"]))
		if err != nil || strings.HasPrefix(strings.TrimSpace(str(n.Inputs["cronExpression"])), "@every") {
			return nil, fmt.Errorf("cronExpression %q is not a 5-field cron expression", str(n.Inputs["cronExpression"]))
		}
		return &schedule{cron: c, loc: loc}, nil
	}
	secs, ok := number(n.Inputs["intervalSeconds"])
	if !ok || secs < 60 {
		return nil, fmt.Errorf("intervalSeconds must be a number of at least 60 (the scheduler ticks once a minute)")
	}
	return &schedule{every: time.Duration(secs) * time.Second, loc: loc}, nil
}

// latest returns the latest slot in (after, now], or zero.
func (s *schedule) latest(after, now time.Time) time.Time {
	if s.every > 0 {
		slot := now.Truncate(s.every)
		if slot.After(after) {
			return slot
		}
		return time.Time{}
	}
	var last time.Time
	for t := s.cron.Next(after.In(s.loc)); !t.After(now); t = s.cron.Next(t) {
		last = t
	}
	return last
}

// slotID is the deterministic execution id of a workflow's slot.
func slotID(workflowID string, slot time.Time) string {
	sum := sha256.Sum256([]byte(workflowID + "|" + slot.UTC().Format(time.RFC3339)))
	h := hex.EncodeToString(sum[:16])
	return "sched-" + h
}

// RunDue runs every active scheduled workflow whose latest slot is due
// and not yet run, once per slot: the slot is claimed by writing its
// execution record first, so overlapping ticks never run it twice. On the
// same pass it polls the data_change_trigger workflows that are due
// (datachange.go), from one listing of the workflows.
func (s *Service) RunDue(ctx context.Context) (ran int, err error) {
	list, err := s.store.ListWorkflows(ctx)
	if err != nil {
		return 0, err
	}
	steps := []struct {
		kind string
		run  func(ctx context.Context, id string, now time.Time) (bool, error)
	}{{"scheduled", s.runSlot}, {"data_change", s.pollChanges}}
	now := s.now()
	var errs []error
	for _, w := range list {
		if !w.IsActive {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		kinds := triggerKindsOf(w.TriggerType)
		for _, step := range steps {
			if !slices.Contains(kinds, step.kind) {
				continue
			}
			ok, err := step.run(ctx, w.ID, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("workflow %s: %w", w.ID, err))
			}
			if ok {
				ran++
			}
		}
	}
	return ran, errors.Join(errs...)
}

func triggerKindsOf(s string) []string {
	var out []string
	for _, k := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(k))
	}
	return out
}

func (s *Service) runSlot(ctx context.Context, id string, now time.Time) (bool, error) {
	g, sw, err := s.Load(ctx, id)
	if err != nil {
		return false, err
	}
	if g.Trigger == nil || g.Trigger.Type != "schedule_trigger" || !sw.Workflow.Active() {
		return false, nil
	}
	sched, err := parseSchedule(g.Trigger)
	if err != nil {
		return false, err
	}
	after := now.Add(-scheduleLookback)
	if sw.UpdatedAt.After(after) {
		after = sw.UpdatedAt // no slot from before the workflow was deployed
	}
	slot := sched.latest(after, now)
	if slot.IsZero() {
		return false, nil
	}
	claim := &core.Execution{ID: slotID(id, slot), WorkflowID: id, WorkflowVersion: sw.Version, Status: core.ExecStarted,
		TriggerType: "scheduled", StartedAt: now.UTC(), Result: map[string]any{"claimedBy": NewID()}}
	won, err := s.store.ClaimExecution(ctx, claim)
	if err != nil || !won {
		return false, err
	}
	payload := map[string]any{"timestamp": now.UTC().Format(time.RFC3339Nano), "scheduledTime": slot.UTC().Format(time.RFC3339)}
	exec, err := s.runWithID(ctx, g, sw, "scheduled", payload, claim.ID)
	if err != nil && exec == nil {
		// Refused by a guard or inactive: record why, so the slot is settled.
		claim.Status, claim.Error, claim.EndedAt = core.ExecCancelled, core.ErrorMessage(err), s.now().UTC()
		claim.Result = nil
		saveCtx, cancel := recordContext(ctx)
		defer cancel()
		return false, errors.Join(err, s.store.SaveExecution(saveCtx, claim))
	}
	return true, err
}
