package analytics

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontbase/edge/core"
)

// Sink is where flushed counters go: the state store.
type Sink interface {
	// ApplyCounts adds rows to the stored counters (uniques keep the
	// larger value) and records batch in the flush ledger, in one atomic
	// batch. When batch is already in the ledger nothing is written and
	// applied is false. When pruneBefore is not zero, the same batch also
	// deletes the ledger ids recorded before it.
	ApplyCounts(ctx context.Context, batch string, rows []Row, pruneBefore time.Time) (applied bool, err error)
}

// LedgerRetention is how long the flush ledger keeps a batch id by
// default. A ledger id only matters while its batch can be tried again,
// that is while it is still claimed in Redis; the flush finishes claimed
// batches on its next run, and it never prunes ids younger than the
// oldest batch still claimed (see pruneCutoff), so a week is a wide
// margin that keeps the ledger small.
const LedgerRetention = 7 * 24 * time.Hour

// MaxRows is the most rows one state-store batch carries.
const MaxRows = 500

// Flusher moves buffered counters to the state store.
type Flusher struct {
	Cache  core.Cache // the Redis buffer; nil without one
	Memory *Memory    // the in-process buffer; nil without one
	// Recorder, when set, has the views it still holds sent to the Redis
	// buffer before the claim (RedisRecorder.Drain).
	Recorder *RedisRecorder
	Sink     Sink
	Now      func() time.Time
	// Step, when set, is called after each step ("claimed", "applied")
	// with the batch id; tests make it panic to simulate a crash.
	Step func(step, batch string)
	// Margin is the time kept free before ctx's deadline (default 1s).
	Margin time.Duration
	// Retention is how long ledger ids are kept (default
	// LedgerRetention). Older ones are deleted by the first state-store
	// batch of a run, in that same batch.
	Retention time.Duration
}

// Report says what a flush moved.
type Report struct {
	Batches  int   `json:"batches"`  // claimed batches finished (applied or found in the ledger)
	Rows     int   `json:"rows"`     // counter rows written
	Views    int64 `json:"views"`    // page views among them
	Skipped  int   `json:"skipped"`  // DB batches already in the ledger, deleted without applying
	Left     int   `json:"left"`     // claimed batches left for the next run (time budget)
	Requests int   `json:"requests"` // state-store batches sent

	pruneBefore time.Time // for the run's first state-store batch
}

func newBatchID(now time.Time) string {
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%019d-%s", now.UnixNano(), hex.EncodeToString(b[:]))
}

// claimScript renames the buffer to the batch's key and lists the batch,
// as one atomic step; an empty buffer claims nothing.
const claimScript = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1`

// Flush claims what is buffered, finishes batches earlier runs claimed,
// and writes them to the sink. It stops before ctx's deadline, leaving
// the rest claimed for the next run.
func (f *Flusher) Flush(ctx context.Context) (Report, error) {
	var rep Report
	if f == nil { // an engine without counters
		return rep, nil
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	if f.Sink == nil {
		return rep, core.Errorf(core.EINTERNAL, "flush: no state store")
	}
	margin := f.Margin
	if margin <= 0 {
		margin = time.Second
	}
	outOfTime := func() bool {
		if ctx.Err() != nil {
			return true
		}
		d, ok := ctx.Deadline()
		return ok && time.Until(d) < margin
	}
	retention := f.Retention
	if retention <= 0 {
		retention = LedgerRetention
	}
	cutoff := now().Add(-retention)
	if f.Cache == nil {
		rep.pruneBefore = cutoff // no claimed batch can come back
	}
	if f.Memory != nil {
		if err := f.flushMemory(ctx, now(), &rep); err != nil {
			return rep, err
		}
	}
	if f.Cache == nil {
		return rep, nil
	}
	f.Recorder.Drain(ctx)
	id := newBatchID(now())
	if _, err := f.Cache.Exec(ctx, []any{"EVAL", claimScript, 3, bufferKey, claimedPrefix + id, claimsKey, id}); err != nil {
		return rep, err
	}
	if f.Step != nil {
		f.Step("claimed", id)
	}
	res, err := f.Cache.Exec(ctx, []any{"SMEMBERS", claimsKey})
	if err != nil {
		return rep, err
	}
	var ids []string
	list, _ := res[0].([]any)
	for _, v := range list {
		if s, ok := v.(string); ok {
			ids = append(ids, s)
		}
	}
	slices.Sort(ids) // oldest first
	rep.pruneBefore = pruneCutoff(cutoff, ids)
	for i, batch := range ids {
		if outOfTime() {
			rep.Left = len(ids) - i
			break
		}
		finished, err := f.finish(ctx, batch, outOfTime, &rep)
		if err != nil || !finished {
			rep.Left = len(ids) - i
			return rep, err
		}
	}
	return rep, nil
}

// finish writes one claimed batch and deletes it.
func (f *Flusher) finish(ctx context.Context, batch string, outOfTime func() bool, rep *Report) (bool, error) {
	key := claimedPrefix + batch
	res, err := f.Cache.Exec(ctx, []any{"HGETALL", key})
	if err != nil {
		return false, err
	}
	flat, _ := res[0].([]any)
	rows := make([]Row, 0, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		name, _ := flat[i].(string)
		n, ok := toInt(flat[i+1])
		if r, good := parseField(name, n); good && ok && n != 0 {
			rows = append(rows, r)
		}
	}
	// Unique visitors: the page-day's HLL estimate for every page the
	// batch saw, read in one pipelined call.
	var pfs [][]any
	var pages []Row
	for _, r := range rows {
		if r.Kind == KindViews {
			pages = append(pages, Row{Tenant: r.Tenant, Day: r.Day, Slug: r.Slug, Kind: KindUniques})
			pfs = append(pfs, []any{"PFCOUNT", uniquesKey(r.Tenant, r.Day, r.Slug)})
		}
	}
	if len(pfs) > 0 {
		counts, err := f.Cache.Exec(ctx, pfs...)
		if err != nil {
			return false, err
		}
		// One row per page even when its sketch is gone (0, a maximum
		// changes nothing): the rows, and so the DB batches a retry
		// replays under the same ledger ids, depend on the claimed hash
		// alone.
		for i, c := range counts {
			p := pages[i]
			p.N, _ = toInt(c)
			rows = append(rows, p)
		}
	}
	if done, err := f.apply(ctx, batch, rows, outOfTime, rep); err != nil || !done {
		return false, err // not done: out of time, the batch stays claimed for the next run
	}
	if f.Step != nil {
		f.Step("applied", batch)
	}
	if _, err := f.Cache.Exec(ctx, []any{"DEL", key}, []any{"SREM", claimsKey, batch}); err != nil {
		return false, err
	}
	rep.Batches++
	return true, nil
}

// apply writes rows in a stable order, MaxRows per state-store batch,
// each chunk under its own ledger id so a retry skips the chunks done.
func (f *Flusher) apply(ctx context.Context, batch string, rows []Row, outOfTime func() bool, rep *Report) (done bool, err error) {
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Day, b.Day), cmp.Compare(a.Slug, b.Slug),
			cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value))
	})
	for i, chunk := 0, 0; i < len(rows); i, chunk = i+MaxRows, chunk+1 {
		if i > 0 && outOfTime() {
			return false, nil
		}
		part := rows[i:min(i+MaxRows, len(rows))]
		rep.Requests++
		prune := rep.takePrune()
		applied, err := f.Sink.ApplyCounts(ctx, batch+"/"+strconv.Itoa(chunk), part, prune)
		if err != nil || !applied {
			rep.pruneBefore = prune // a refused batch pruned nothing: the next one will
		}
		if err != nil {
			return false, err
		}
		if !applied {
			rep.Skipped++
			continue
		}
		rep.Rows += len(part)
		for _, r := range part {
			if r.Kind == KindViews {
				rep.Views += r.N
			}
		}
	}
	return true, nil
}

func (f *Flusher) flushMemory(ctx context.Context, now time.Time, rep *Report) error {
	rows := f.Memory.drain(now.UTC().Format(time.DateOnly))
	if len(rows) == 0 {
		return nil
	}
	id := "mem-" + newBatchID(now)
	slices.SortFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Day, b.Day), cmp.Compare(a.Slug, b.Slug),
			cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value))
	})
	for i, chunk := 0, 0; i < len(rows); i, chunk = i+MaxRows, chunk+1 {
		part := rows[i:min(i+MaxRows, len(rows))]
		rep.Requests++
		prune := rep.takePrune()
		if _, err := f.Sink.ApplyCounts(ctx, id+"/"+strconv.Itoa(chunk), part, prune); err != nil {
			rep.pruneBefore = prune
			f.Memory.restore(rows[i:]) // what was not written goes back
			return err
		}
		rep.Rows += len(part)
		for _, r := range part {
			if r.Kind == KindViews {
				rep.Views += r.N
			}
		}
	}
	rep.Batches++
	return nil
}

// takePrune hands the prune cutoff to the run's first state-store batch.
func (rep *Report) takePrune() time.Time {
	t := rep.pruneBefore
	rep.pruneBefore = time.Time{}
	return t
}

// pruneCutoff is cutoff, moved back before the claim of the oldest batch
// still claimed: its chunks' ledger ids were written after its claim, and
// they must outlive any retry of it, however late.
func pruneCutoff(cutoff time.Time, claimed []string) time.Time {
	for _, id := range claimed {
		stamp, _, _ := strings.Cut(id, "-")
		if ns, err := strconv.ParseInt(stamp, 10, 64); err == nil {
			if t := time.Unix(0, ns).Add(-time.Hour); t.Before(cutoff) { // an hour for clocks that disagree
				cutoff = t
			}
		} else {
			return time.Time{} // an id we cannot date: prune nothing this run
		}
	}
	return cutoff
}

func toInt(v any) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, true
	case string:
		n, err := strconv.ParseInt(t, 10, 64)
		return n, err == nil
	case float64:
		return int64(t), true
	}
	return 0, false
}
