package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/client"
	"github.com/vigil-project/vigil/internal/store"
)

// ErrDiverged means the log and the database disagree in a way the writer
// must not paper over: the log is shorter than the database says, or holds
// an entry that is not the next committed event. The writer stops; an
// operator and oversight must look (vigil oversight reconcile).
var ErrDiverged = errors.New("ledger: the log and the database disagree")

// writerLockKey names the database lock the one writer holds.
const writerLockKey = 7419003

// Hooks let tests fail the writer at the two points where a crash matters.
// A hook's error stops the batch at that point, as a crash would.
type Hooks struct {
	// BeforeAppend runs after a batch of committed events is read, before
	// any of it is appended.
	BeforeAppend func(ids []int64) error
	// AfterAppend runs after the log has durably taken the batch, before
	// the events' log indices are recorded in the database.
	AfterAppend func(ids []int64) error
}

// WriterConfig configures the writer; its zero value works.
type WriterConfig struct {
	// Poll is how often the writer looks for events committed by other
	// processes (default 200ms). Events recorded in this process wake it at
	// once.
	Poll  time.Duration
	Hooks Hooks
	// Logger receives the writer's errors (default slog.Default()).
	Logger *slog.Logger
}

// Writer appends committed events to the log, in order, exactly once.
type Writer struct {
	db     *store.DB
	log    *Log
	outbox *Outbox
	cfg    WriterConfig

	mu   sync.Mutex // one batch at a time
	next uint64     // the log index the next appended entry gets
	ok   bool       // next is known: Recover has run since the last failure

	appended atomic.Int64
	failures atomic.Int64
	lastErr  atomic.Pointer[string]
}

// NewWriter returns a writer from db's outbox to log.
func NewWriter(db *store.DB, log *Log, outbox *Outbox, cfg WriterConfig) *Writer {
	if cfg.Poll <= 0 {
		cfg.Poll = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Writer{db: db, log: log, outbox: outbox, cfg: cfg}
}

// Stats describe the writer for metrics and status pages.
type Stats struct {
	Appended  int64  // entries appended since start
	Failures  int64  // batches that failed
	NextIndex uint64 // the size of the log once in-flight entries land
	LastError string
}

// Stats returns the writer's counters.
func (w *Writer) Stats() Stats {
	s := Stats{Appended: w.appended.Load(), Failures: w.failures.Load()}
	w.mu.Lock()
	s.NextIndex = w.next
	w.mu.Unlock()
	if e := w.lastErr.Load(); e != nil {
		s.LastError = *e
	}
	return s
}

// Run appends events until ctx ends. It recovers first, and again after any
// failure, waiting a little longer after each. It returns ctx's error, or
// ErrDiverged if the log and the database disagree.
func (w *Writer) Run(ctx context.Context) error {
	// One writer per database, whatever machine it runs on.
	unlock, err := w.db.TryLock(ctx, writerLockKey)
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w: another vigil process is writing this database's log", ErrLogBusy)
	}
	if err != nil {
		return err
	}
	defer unlock()
	ticker := time.NewTicker(w.cfg.Poll)
	defer ticker.Stop()
	backoff := 100 * time.Millisecond
	for {
		n, err := w.Step(ctx)
		switch {
		case errors.Is(err, ErrDiverged):
			w.fail(err)
			return err
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			w.fail(err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if n > 0 {
			continue // there may be more
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.outbox.Woken():
		case <-ticker.C:
		}
	}
}

func (w *Writer) fail(err error) {
	w.failures.Add(1)
	msg := err.Error()
	w.lastErr.Store(&msg)
	w.cfg.Logger.Error("ledger writer", "err", err)
}

// Flush appends every event committed so far, then returns.
func (w *Writer) Flush(ctx context.Context) error {
	for {
		n, err := w.Step(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// Step appends at most one batch of committed events and records their
// indices, recovering first if needed. It returns how many it appended.
func (w *Writer) Step(ctx context.Context) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ok {
		if _, err := w.recover(ctx); err != nil {
			return 0, err
		}
	}
	n, err := w.step(ctx)
	if err != nil {
		// The log may have taken part of the batch: find out before the next.
		w.ok = false
	}
	return n, err
}

type pending struct {
	id    int64
	entry []byte
}

func (w *Writer) step(ctx context.Context) (int, error) {
	rows, err := w.db.Query(ctx, "SELECT id, entry FROM events WHERE log_index IS NULL ORDER BY id LIMIT ?", w.log.cfg.BatchSize)
	if err != nil {
		return 0, fmt.Errorf("ledger: read outbox: %w", err)
	}
	var batch []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.id, &p.entry); err != nil {
			rows.Close()
			return 0, fmt.Errorf("ledger: read outbox: %w", err)
		}
		batch = append(batch, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("ledger: read outbox: %w", err)
	}
	if len(batch) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(batch))
	for i, p := range batch {
		ids[i] = p.id
	}
	if h := w.cfg.Hooks.BeforeAppend; h != nil {
		if err := h(ids); err != nil {
			return 0, err
		}
	}
	// Add in order from this one goroutine: Tessera then assigns indices in
	// the same order.
	futures := make([]tessera.IndexFuture, len(batch))
	for i, p := range batch {
		futures[i] = w.log.appender.Add(ctx, tessera.NewEntry(p.entry))
	}
	for i, f := range futures {
		idx, err := f()
		if err != nil {
			return 0, fmt.Errorf("ledger: append event %d: %w", batch[i].id, err)
		}
		if want := w.next + uint64(i); idx.Index != want {
			return 0, fmt.Errorf("%w: event %d went to log index %d, expected %d", ErrDiverged, batch[i].id, idx.Index, want)
		}
	}
	if h := w.cfg.Hooks.AfterAppend; h != nil {
		if err := h(ids); err != nil {
			return 0, err
		}
	}
	// The log has the batch: record it even if ctx has just ended.
	if err := w.record(context.WithoutCancel(ctx), ids, w.next); err != nil {
		return 0, err
	}
	w.next += uint64(len(batch))
	w.appended.Add(int64(len(batch)))
	return len(batch), nil
}

// record writes the log indices first, first+1, ... of the events ids.
func (w *Writer) record(ctx context.Context, ids []int64, first uint64) error {
	now := store.Micros(time.Now())
	const chunk = 400
	return w.db.Tx(ctx, func(tx *store.Tx) error {
		for start := 0; start < len(ids); start += chunk {
			part := ids[start:min(start+chunk, len(ids))]
			var q strings.Builder
			args := make([]any, 0, 2*len(part)+1)
			q.WriteString("WITH v(id, idx) AS (VALUES ")
			for i, id := range part {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(CAST(? AS BIGINT), CAST(? AS BIGINT))")
				args = append(args, id, int64(first)+int64(start+i))
			}
			q.WriteString(") UPDATE events SET log_index = v.idx, logged_at = ? FROM v WHERE events.id = v.id AND events.log_index IS NULL")
			args = append(args, now)
			res, err := tx.Exec(ctx, q.String(), args...)
			if err != nil {
				return fmt.Errorf("ledger: record log indices: %w", err)
			}
			if n, err := res.RowsAffected(); err == nil && n != int64(len(part)) {
				return fmt.Errorf("%w: recorded %d of %d log indices", ErrDiverged, n, len(part))
			}
		}
		return nil
	})
}

// Recover brings the database up to date with the log: it finds entries
// that the log took but whose indices were never recorded (a crash between
// append and record), checks that they are exactly the next committed
// events, and records them. It returns how many it recorded.
func (w *Writer) Recover(ctx context.Context) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.recover(ctx)
}

func (w *Writer) recover(ctx context.Context) (int, error) {
	if err := w.bind(ctx); err != nil {
		return 0, err
	}
	size, err := w.log.reader.IntegratedSize(ctx)
	if err != nil {
		return 0, fmt.Errorf("ledger: read log size: %w", err)
	}
	var recorded, maxIdx int64
	if err := w.db.QueryRow(ctx, "SELECT COUNT(log_index), COALESCE(MAX(log_index), -1) FROM events").Scan(&recorded, &maxIdx); err != nil {
		return 0, fmt.Errorf("ledger: read recorded indices: %w", err)
	}
	if recorded != maxIdx+1 {
		return 0, fmt.Errorf("%w: the database records %d log indices but the highest is %d", ErrDiverged, recorded, maxIdx)
	}
	known := uint64(recorded)
	if size < known {
		return 0, fmt.Errorf("%w: the log holds %d entries but the database records %d: the log was truncated or replaced", ErrDiverged, size, known)
	}
	missing := size - known
	if missing > 0 {
		if err := w.adopt(ctx, known, size); err != nil {
			return 0, err
		}
		w.cfg.Logger.Info("ledger: recovered entries appended before a crash", "entries", missing, "from", known)
	}
	w.next = size
	w.ok = true
	return int(missing), nil
}

// bind ties the database to this log the first time, and afterwards
// refuses any other log: two logs fed from one database would each hold
// some events, and neither could be checked against it.
func (w *Writer) bind(ctx context.Context) error {
	k := w.log.cfg.Keys
	var origin, vkey string
	err := store.Scan(w.db.QueryRow(ctx, "SELECT origin, verifier_key FROM ledger_binding WHERE id = 1"), &origin, &vkey)
	if errors.Is(err, store.ErrNotFound) {
		err = w.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO ledger_binding (id, origin, verifier_key, bound_at) VALUES (1, ?, ?, ?)", k.Origin(), k.VerifierKey, store.Micros(time.Now()))
			return err
		})
		if errors.Is(err, store.ErrConflict) {
			return w.bind(ctx) // bound by another process meanwhile: check it
		}
		return err
	}
	if err != nil {
		return fmt.Errorf("ledger: read the log binding: %w", err)
	}
	if vkey != k.VerifierKey {
		return fmt.Errorf("%w: this database's events belong to the log %q (key %s), not to %q (key %s)", ErrDiverged, origin, vkey, k.Origin(), k.VerifierKey)
	}
	return nil
}

// adopt records the indices of log entries [from, size) after checking that
// they are, in order, the oldest events still waiting in the outbox.
func (w *Writer) adopt(ctx context.Context, from, size uint64) error {
	rows, err := w.db.Query(ctx, "SELECT id, content_hash FROM events WHERE log_index IS NULL ORDER BY id LIMIT ?", int64(size-from))
	if err != nil {
		return fmt.Errorf("ledger: read outbox: %w", err)
	}
	type waiting struct {
		id   int64
		hash []byte
	}
	var events []waiting
	for rows.Next() {
		var e waiting
		if err := rows.Scan(&e.id, &e.hash); err != nil {
			rows.Close()
			return err
		}
		events = append(events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if uint64(len(events)) != size-from {
		return fmt.Errorf("%w: the log holds %d entries the database has not recorded, but only %d events wait", ErrDiverged, size-from, len(events))
	}
	ids := make([]int64, 0, len(events))
	i := 0
	for bundleIdx := from / 256; bundleIdx*256 < size; bundleIdx++ {
		b, err := client.GetEntryBundle(ctx, w.log.reader.ReadEntryBundle, bundleIdx, size)
		if err != nil {
			return fmt.Errorf("ledger: read log entries: %w", err)
		}
		for j, data := range b.Entries {
			idx := bundleIdx*256 + uint64(j)
			if idx < from || idx >= size {
				continue
			}
			e := events[i]
			en, err := ParseEntry(data)
			if err != nil || en.Seq != e.id || !bytes.Equal(ContentHash(data), e.hash) {
				return fmt.Errorf("%w: log entry %d is not event %d, the next one waiting", ErrDiverged, idx, e.id)
			}
			ids = append(ids, e.id)
			i++
		}
	}
	if len(ids) != len(events) {
		return fmt.Errorf("%w: read %d of %d unrecorded log entries", ErrDiverged, len(ids), len(events))
	}
	return w.record(ctx, ids, from)
}
