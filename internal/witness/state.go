package witness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/vigil-project/vigil/internal/store"
)

// State is the latest checkpoint a witness cosigned for one log.
type State struct {
	Origin string
	Size   uint64
	Root   []byte
	// Checkpoint is the checkpoint note, as the log signed it, that the
	// witness last cosigned; nil if it never cosigned one for this log.
	Checkpoint []byte
	Updated    time.Time
}

// ErrMoved means another request advanced a log's state first.
var ErrMoved = errors.New("witness: the log's state moved on meanwhile")

// States keeps each log's State in the database (table witness_logs).
type States struct {
	db  *store.DB
	now func() time.Time
}

// NewStates keeps states in db, which must be migrated.
func NewStates(db *store.DB) *States { return &States{db: db, now: time.Now} }

// Get returns the state of the log named origin. If the witness never
// cosigned a checkpoint for it, that is the empty tree: size 0, the
// RFC 6962 root of no entries, no checkpoint.
func (s *States) Get(ctx context.Context, origin string) (State, error) {
	st := State{Origin: origin}
	var size, updated int64
	err := store.Scan(s.db.QueryRow(ctx, "SELECT size, root, checkpoint, updated_at FROM witness_logs WHERE origin = ?", origin),
		&size, &st.Root, &st.Checkpoint, &updated)
	switch {
	case errors.Is(err, store.ErrNotFound):
		st.Root = rfc6962.DefaultHasher.EmptyRoot()
		return st, nil
	case err != nil:
		return st, fmt.Errorf("witness: read the state of %q: %w", origin, err)
	}
	st.Size, st.Updated = uint64(size), store.FromMicros(updated)
	return st, nil
}

// Advance makes to the state of its log if from (as Get returned it) still
// is: a compare-and-set, so that of two requests checked against the same
// state only one advances it, and a log can never be rolled back. It
// returns ErrMoved if another request advanced the state first.
func (s *States) Advance(ctx context.Context, from, to State) error {
	if from.Origin != to.Origin || len(to.Checkpoint) == 0 || to.Size < from.Size {
		return fmt.Errorf("witness: cannot advance %q from %d to %d entries", from.Origin, from.Size, to.Size)
	}
	now := store.Micros(s.now())
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if from.Checkpoint == nil {
			_, err := tx.Exec(ctx, "INSERT INTO witness_logs (origin, size, root, checkpoint, updated_at) VALUES (?, ?, ?, ?, ?)",
				to.Origin, int64(to.Size), to.Root, to.Checkpoint, now)
			if errors.Is(err, store.ErrConflict) {
				return ErrMoved
			}
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE witness_logs SET size = ?, root = ?, checkpoint = ?, updated_at = ? WHERE origin = ? AND size = ? AND root = ?",
			int64(to.Size), to.Root, to.Checkpoint, now, from.Origin, int64(from.Size), from.Root)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrMoved
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrMoved) {
		return fmt.Errorf("witness: record the state of %q: %w", to.Origin, err)
	}
	return err
}

// List returns the state of every log the witness has cosigned for, by
// origin.
func (s *States) List(ctx context.Context) ([]State, error) {
	rows, err := s.db.Query(ctx, "SELECT origin, size, root, checkpoint, updated_at FROM witness_logs ORDER BY origin")
	if err != nil {
		return nil, fmt.Errorf("witness: list states: %w", err)
	}
	defer rows.Close()
	var out []State
	for rows.Next() {
		var st State
		var size, updated int64
		if err := rows.Scan(&st.Origin, &size, &st.Root, &st.Checkpoint, &updated); err != nil {
			return nil, fmt.Errorf("witness: list states: %w", err)
		}
		st.Size, st.Updated = uint64(size), store.FromMicros(updated)
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("witness: list states: %w", err)
	}
	return out, nil
}
