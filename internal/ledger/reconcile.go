package ledger

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/store"
)

// Discrepancy kinds.
const (
	// MissingFromLog: the database says the event is at an index the
	// published log covers, but that entry is another event or absent.
	MissingFromLog = "missing_from_log"
	// ContentMismatch: the log's entry for an event differs from what the
	// database committed.
	ContentMismatch = "content_mismatch"
	// UnknownEntry: a log entry names an event the database does not have.
	UnknownEntry = "unknown_entry"
	// DuplicateEntry: an event appears in the log more than once.
	DuplicateEntry = "duplicate_entry"
	// IndexMismatch: the event is in the log, but not where the database
	// says.
	IndexMismatch = "index_mismatch"
	// BadEntry: a log entry is not a well-formed Vigil entry.
	BadEntry = "bad_entry"
	// BadCheckpoint: the log's checkpoint does not verify.
	BadCheckpoint = "bad_checkpoint"
	// Skipped: the event still waits for the log although later events are
	// in it; the log no longer follows commit order.
	Skipped = "skipped"
)

// Discrepancy is one way the database and the log disagree.
type Discrepancy struct {
	Kind   string `json:"kind"`
	Event  int64  `json:"event,omitempty"`
	Index  int64  `json:"index"`
	Detail string `json:"detail"`
}

// Reconciliation is the result of checking the database against the log.
type Reconciliation struct {
	// Checked is when the check ran.
	Checked time.Time `json:"checked"`
	// Events is how many events the database holds.
	Events int64 `json:"events"`
	// LogSize is the size of the published checkpoint checked against.
	LogSize uint64 `json:"log_size"`
	// Pending is how many committed events no published checkpoint covers
	// yet: on their way, not a discrepancy.
	Pending int64 `json:"pending"`
	// Discrepancies lists every disagreement; empty means all is well.
	Discrepancies []Discrepancy `json:"discrepancies"`
}

// OK reports whether database and log agree.
func (r *Reconciliation) OK() bool { return len(r.Discrepancies) == 0 }

// Reconcile checks that every event in the database is in the log with the
// same content hash, at the index the database records, and that every log
// entry has its event. It reads the log through src, trusting its
// checkpoint only if v verifies it.
func Reconcile(ctx context.Context, db store.Querier, src Source, v note.Verifier) (*Reconciliation, error) {
	rep := &Reconciliation{Checked: time.Now().UTC(), Discrepancies: []Discrepancy{}}
	add := func(d Discrepancy) { rep.Discrepancies = append(rep.Discrepancies, d) }

	// The checkpoint first: every entry it covers was integrated before the
	// database snapshot below is read.
	raw, err := src.ReadCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("ledger: read checkpoint: %w", err)
	}
	cp, err := ParseCheckpoint(raw, v)
	if err != nil {
		add(Discrepancy{Kind: BadCheckpoint, Index: -1, Detail: "the log's checkpoint does not verify with the log key: " + err.Error()})
		return rep, nil
	}
	rep.LogSize = cp.Size

	type ev struct {
		hash  []byte
		index int64 // -1 if not recorded
		seen  bool
	}
	events := map[int64]*ev{}
	rows, err := db.Query(ctx, "SELECT id, content_hash, log_index FROM events ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("ledger: read events: %w", err)
	}
	for rows.Next() {
		var id int64
		var h []byte
		var idx sql.NullInt64
		if err := rows.Scan(&id, &h, &idx); err != nil {
			rows.Close()
			return nil, fmt.Errorf("ledger: read events: %w", err)
		}
		e := &ev{hash: h, index: -1}
		if idx.Valid {
			e.index = idx.Int64
		}
		events[id] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: read events: %w", err)
	}
	rep.Events = int64(len(events))

	for b := uint64(0); b*layout.EntryBundleWidth < cp.Size; b++ {
		bundle, err := client.GetEntryBundle(ctx, src.ReadEntryBundle, b, cp.Size)
		if err != nil {
			return nil, fmt.Errorf("ledger: read entry bundle %d: %w", b, err)
		}
		for j, data := range bundle.Entries {
			i := int64(b*layout.EntryBundleWidth) + int64(j)
			if uint64(i) >= cp.Size {
				break
			}
			en, err := ParseEntry(data)
			if err != nil {
				add(Discrepancy{Kind: BadEntry, Index: i, Detail: err.Error()})
				continue
			}
			e, ok := events[en.Seq]
			switch {
			case !ok:
				add(Discrepancy{Kind: UnknownEntry, Event: en.Seq, Index: i, Detail: "the log holds an event the database does not have"})
				continue
			case e.seen:
				add(Discrepancy{Kind: DuplicateEntry, Event: en.Seq, Index: i, Detail: "the event appears in the log more than once"})
				continue
			}
			e.seen = true
			if !bytes.Equal(ContentHash(data), e.hash) {
				add(Discrepancy{Kind: ContentMismatch, Event: en.Seq, Index: i, Detail: "the log entry differs from the event the database committed"})
			}
			if e.index >= 0 && e.index != i {
				add(Discrepancy{Kind: IndexMismatch, Event: en.Seq, Index: i, Detail: fmt.Sprintf("the database records the event at log index %d", e.index)})
			}
		}
	}
	var lastSeen int64
	for id, e := range events {
		if e.seen {
			lastSeen = max(lastSeen, id)
		}
	}
	for id, e := range events {
		switch {
		case e.seen:
		case e.index < 0 && id < lastSeen:
			add(Discrepancy{Kind: Skipped, Event: id, Index: -1, Detail: fmt.Sprintf("the event waits for the log, but later event %d is in it", lastSeen)})
		case e.index >= 0 && uint64(e.index) < cp.Size:
			add(Discrepancy{Kind: MissingFromLog, Event: id, Index: e.index, Detail: "the database records the event in the log, but the log does not hold it there"})
		default:
			rep.Pending++
		}
	}
	sortDiscrepancies(rep.Discrepancies)
	return rep, nil
}

func sortDiscrepancies(ds []Discrepancy) {
	slices.SortFunc(ds, func(a, b Discrepancy) int {
		if c := cmp.Compare(a.Index, b.Index); c != 0 {
			return c
		}
		return cmp.Compare(a.Event, b.Event)
	})
}
