package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/store"
)

// Outbox records events in the database transaction of the change they
// describe. The Writer takes them from there to the log.
type Outbox struct {
	wake chan struct{}
	now  func() time.Time
}

// NewOutbox returns an outbox. Its zero value is not usable.
func NewOutbox() *Outbox {
	return &Outbox{wake: make(chan struct{}, 1), now: time.Now}
}

// Woken is signalled after a transaction that recorded events commits.
func (o *Outbox) Woken() <-chan struct{} { return o.wake }

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Record validates e and writes it to the events table in tx, returning the
// event's ID. If e breaks its Kind's rules, Record returns an error wrapping
// ErrInvalidEvent and the caller's transaction must roll back.
//
// On PostgreSQL, Record serialises the transactions that record events from
// this point to their commit, so that event IDs follow commit order and the
// writer never appends a later event before an earlier one commits.
func (o *Outbox) Record(ctx context.Context, tx *store.Tx, e Event) (int64, error) {
	ids, err := o.RecordAll(ctx, tx, []Event{e})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// RecordAll records events as Record does, in order, with a few
// statements for all of them: for work that records many at once, such as
// the retention sweep. It returns their IDs. If any event breaks its
// Kind's rules, none is written.
func (o *Outbox) RecordAll(ctx context.Context, tx *store.Tx, events []Event) ([]int64, error) {
	if len(events) == 0 {
		return nil, nil
	}
	for _, e := range events {
		if err := e.validate(); err != nil {
			return nil, err
		}
	}
	// The IDs are taken before the rows are written, so that each entry,
	// which names its own ID, is written once. Both ways hold the outbox's
	// lock from here to commit (SQLite has one writer), so nothing else
	// takes these IDs meanwhile.
	ids := make([]int64, len(events))
	if tx.Kind() == store.Postgres {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7419002)"); err != nil {
			return nil, fmt.Errorf("ledger: lock outbox: %w", err)
		}
		rows, err := tx.Query(ctx, "SELECT nextval(pg_get_serial_sequence('events', 'id')) FROM generate_series(1, ?)", len(events))
		if err != nil {
			return nil, fmt.Errorf("ledger: take event IDs: %w", err)
		}
		i := 0
		for rows.Next() && i < len(ids) {
			if err := rows.Scan(&ids[i]); err != nil {
				rows.Close()
				return nil, fmt.Errorf("ledger: take event IDs: %w", err)
			}
			i++
		}
		rows.Close()
		if err := rows.Err(); err != nil || i != len(ids) {
			return nil, fmt.Errorf("ledger: take event IDs: got %d of %d: %v", i, len(ids), err)
		}
		slices.Sort(ids)
	} else {
		var last int64
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM events").Scan(&last); err != nil {
			return nil, fmt.Errorf("ledger: take event IDs: %w", err)
		}
		for i := range ids {
			ids[i] = last + 1 + int64(i)
		}
	}
	const perStatement = 100 // 9 values each: well under either database's limit
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
	args := make([]any, 0, 9*perStatement)
	for lo := 0; lo < len(events); lo += perStatement {
		hi := min(lo+perStatement, len(events))
		args = args[:0]
		for i := lo; i < hi; i++ {
			e := events[i]
			t := e.Time
			if t.IsZero() {
				t = o.now()
			}
			t = t.UTC().Truncate(time.Millisecond)
			commits, openings := commit(e)
			openingsJSON, err := json.Marshal(openings)
			if err != nil {
				return nil, fmt.Errorf("ledger: %w", err)
			}
			entry, err := Entry{V: EntryVersion, Seq: ids[i], Type: e.Kind.Name, Time: formatTime(t), Role: e.Actor.Role,
				Facts: encodeFacts(e.Facts), Commit: commits}.Marshal()
			if err != nil {
				return nil, err
			}
			var actor any
			if e.Actor.Account != "" {
				actor = e.Actor.Account
			}
			args = append(args, ids[i], e.Kind.Name, store.Micros(t), actor, e.Actor.Role, e.Subject, entry, ContentHash(entry), string(openingsJSON))
		}
		q := "INSERT INTO events (id, type, occurred_at, actor_account, actor_role, subject, entry, content_hash, openings) VALUES " +
			strings.TrimSuffix(strings.Repeat(row+", ", hi-lo), ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return nil, fmt.Errorf("ledger: record %d events: %w", hi-lo, err)
		}
	}
	tx.AfterCommit(o.poke)
	return ids, nil
}

// Stored is an event as the database holds it.
type Stored struct {
	ID           int64
	Type         string
	Time         time.Time
	ActorAccount string // private
	ActorRole    string
	Subject      string // private
	Entry        []byte
	ContentHash  []byte
	LogIndex     *int64 // nil until the writer has appended it
}

// Logged reports whether the event has been appended to the log.
func (s Stored) Logged() bool { return s.LogIndex != nil }

const storedColumns = "id, type, occurred_at, actor_account, actor_role, subject, entry, content_hash, log_index"

func scanStored(scan func(...any) error) (Stored, error) {
	var s Stored
	var at int64
	var actor sql.NullString
	var idx sql.NullInt64
	if err := scan(&s.ID, &s.Type, &at, &actor, &s.ActorRole, &s.Subject, &s.Entry, &s.ContentHash, &idx); err != nil {
		return s, err
	}
	s.Time = store.FromMicros(at)
	s.ActorAccount = actor.String
	if idx.Valid {
		v := idx.Int64
		s.LogIndex = &v
	}
	return s, nil
}

// Get returns one event. It returns an error wrapping store.ErrNotFound if
// there is none with that ID.
func Get(ctx context.Context, q store.Querier, id int64) (Stored, error) {
	row := q.QueryRow(ctx, "SELECT "+storedColumns+" FROM events WHERE id = ?", id)
	s, err := scanStored(row.Scan)
	if err == sql.ErrNoRows {
		return s, fmt.Errorf("ledger: event %d: %w", id, store.ErrNotFound)
	}
	return s, err
}

// Query selects which events List returns.
type Query struct {
	Subject string // only events about this subject, if set
	Before  int64  // only events with a smaller ID, if set
	Limit   int    // at most this many (default 50, at most 500)
}

// List returns events, newest first.
func List(ctx context.Context, q store.Querier, f Query) ([]Stored, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	where, args := "1 = 1", []any{}
	if f.Subject != "" {
		where += " AND subject = ?"
		args = append(args, f.Subject)
	}
	if f.Before > 0 {
		where += " AND id < ?"
		args = append(args, f.Before)
	}
	args = append(args, f.Limit)
	rows, err := q.Query(ctx, "SELECT "+storedColumns+" FROM events WHERE "+where+" ORDER BY id DESC LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: list events: %w", err)
	}
	defer rows.Close()
	var out []Stored
	for rows.Next() {
		s, err := scanStored(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("ledger: list events: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Counts is how many events the database holds, and how many wait for the log.
type Counts struct {
	Total   int64
	Pending int64
	// OldestPending is when the oldest event still waiting happened.
	OldestPending time.Time
}

// Count returns the event counts.
func Count(ctx context.Context, q store.Querier) (Counts, error) {
	var c Counts
	var oldest sql.NullInt64
	if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM events").Scan(&c.Total); err != nil {
		return c, fmt.Errorf("ledger: count events: %w", err)
	}
	if err := q.QueryRow(ctx, "SELECT COUNT(*), MIN(occurred_at) FROM events WHERE log_index IS NULL").Scan(&c.Pending, &oldest); err != nil {
		return c, fmt.Errorf("ledger: count events: %w", err)
	}
	if oldest.Valid {
		c.OldestPending = store.FromMicros(oldest.Int64)
	}
	return c, nil
}
