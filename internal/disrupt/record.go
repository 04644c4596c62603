package disrupt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Record adds an order to the register, as account by, and returns it with
// the ID of the event that recorded it.
//
// It returns ErrForbidden if by's role is not in CanRecord; the errors of
// Validate (each a *FieldError wrapping ErrInvalid) if the order breaks a
// rule; a *DuplicateError if an order with the same Key is recorded
// already. Days are kept as days, in UTC.
func (s *Service) Record(ctx context.Context, by auth.Account, o Order) (Recorded, int64, error) {
	if !by.Role.Is(CanRecord...) {
		return Recorded{}, 0, ErrForbidden
	}
	o.Start, o.End = utcDay(o.Start), utcDay(o.End)
	if err := o.Validate(); err != nil {
		return Recorded{}, 0, err
	}
	o.normalize()
	r := Recorded{
		ID: id.New("dso"), Order: o, AsRecorded: o, Source: Entered, Key: o.Key(),
		RecordedBy: by.ID, RecordedAt: s.now().UTC().Truncate(time.Microsecond),
	}
	var event int64
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		existing, err := existingKeys(ctx, tx, []string{r.Key})
		if err != nil {
			return err
		}
		if other, ok := existing[r.Key]; ok {
			return &DuplicateError{Existing: other}
		}
		event, err = s.insert(ctx, tx, by.Actor(), &r)
		return err
	})
	if err != nil {
		return Recorded{}, 0, err
	}
	return r, event, nil
}

// insert writes a new order and the event that records it.
func (s *Service) insert(ctx context.Context, tx *store.Tx, actor ledger.Actor, r *Recorded) (int64, error) {
	record, err := json.Marshal(r.AsRecorded)
	if err != nil {
		return 0, fmt.Errorf("disrupt: record: %w", err)
	}
	var importID any
	if r.ImportID != "" {
		importID = r.ImportID
	}
	_, err = tx.Exec(ctx, `INSERT INTO disrupt_orders (id, dedup_key, country, starts_on, record, source, import_id, import_line, recorded_by, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Key, r.AsRecorded.Country, store.Micros(r.AsRecorded.Start), string(record), string(r.Source), importID, r.ImportLine,
		r.RecordedBy, store.Micros(r.RecordedAt))
	if errors.Is(err, store.ErrConflict) {
		// Another transaction recorded the same order a moment ago; on
		// PostgreSQL this one can no longer ask which.
		return 0, &DuplicateError{}
	}
	if err != nil {
		return 0, fmt.Errorf("disrupt: record: %w", err)
	}
	ev, err := recordedEvent(actor, r)
	if err != nil {
		return 0, err
	}
	return s.outbox.Record(ctx, tx, ev)
}

// existingKeys returns the IDs of the recorded orders with any of the
// keys, by key.
func existingKeys(ctx context.Context, q store.Querier, keys []string) (map[string]string, error) {
	found := map[string]string{}
	for chunk := range slices.Chunk(keys, 200) {
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		rows, err := q.Query(ctx, "SELECT dedup_key, id FROM disrupt_orders WHERE dedup_key IN ("+placeholders(len(args))+")", args...)
		if err != nil {
			return nil, fmt.Errorf("disrupt: find duplicates: %w", err)
		}
		for rows.Next() {
			var k, id string
			if err := rows.Scan(&k, &id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("disrupt: find duplicates: %w", err)
			}
			found[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("disrupt: find duplicates: %w", err)
		}
	}
	return found, nil
}
