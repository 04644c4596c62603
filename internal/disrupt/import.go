package disrupt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// ImportResult is what an import did.
type ImportResult struct {
	// ID names the import; empty if it recorded nothing new.
	ID string
	// Rows is how many orders the file holds.
	Rows int
	// Imported are the orders recorded, in the file's order.
	Imported []ImportedRow
	// Duplicates are the rows skipped as orders recorded already.
	Duplicates []Duplicate
	// Notices report the columns of the file that were ignored.
	Notices []RowError
	// Event is the ID of the event that recorded the import; 0 if none.
	Event int64
}

// ImportedRow is an order an import recorded.
type ImportedRow struct {
	Line int
	ID   string
}

// Duplicate is a row an import skipped: the order is recorded already
// (Existing names it), or an earlier row of the same file holds it
// (SameAsLine is that row's line).
type Duplicate struct {
	Line       int
	Existing   string
	SameAsLine int
}

// ImportError is an import refused because of bad rows: Problems lists
// each, with its line and column. It wraps ErrRejected.
type ImportError struct {
	Problems []RowError
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("the STOP file has %d problem(s), the first %v; nothing was imported", len(e.Problems), e.Problems[0])
}

// Unwrap returns ErrRejected.
func (e *ImportError) Unwrap() error { return ErrRejected }

// Import reads a STOP file (see ReadSTOP) and records its orders, as
// account by, all or nothing.
//
// If the file cannot be read as STOP at all, the error is ReadSTOP's
// (wrapping ErrFormat or ErrTooLarge). If any row is bad, nothing is
// recorded and the error is an *ImportError that lists every problem,
// each with its line. Otherwise every order not recorded before is
// recorded, in one transaction, each with its event (source "imported"),
// and one more event records the import; the rows holding orders recorded
// already (by Key), or repeating an earlier row, are skipped and listed in
// the result. It returns ErrForbidden if by's role is not in CanRecord.
func (s *Service) Import(ctx context.Context, by auth.Account, r io.Reader) (ImportResult, error) {
	var res ImportResult
	if !by.Role.Is(CanRecord...) {
		return res, ErrForbidden
	}
	h := sha256.New()
	orders, lines, problems, err := readSTOP(io.TeeReader(r, h))
	if err != nil {
		return res, err
	}
	for _, p := range problems {
		if p.Msg == IgnoredColumn {
			res.Notices = append(res.Notices, p)
		}
	}
	if bad := BadRows(problems); len(bad) > 0 {
		return res, &ImportError{Problems: bad}
	}
	res.Rows = len(orders)
	keys := make([]string, len(orders))
	for i := range orders {
		orders[i].normalize()
		keys[i] = orders[i].Key()
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		res.ID, res.Imported, res.Duplicates, res.Event = "", nil, nil, 0
		existing, err := existingKeys(ctx, tx, keys)
		if err != nil {
			return err
		}
		seen := map[string]int{} // key -> line of the first row with it
		var fresh []int
		for i, k := range keys {
			switch first, again := seen[k]; {
			case existing[k] != "":
				res.Duplicates = append(res.Duplicates, Duplicate{Line: lines[i], Existing: existing[k]})
			case again:
				res.Duplicates = append(res.Duplicates, Duplicate{Line: lines[i], SameAsLine: first})
			default:
				seen[k] = lines[i]
				fresh = append(fresh, i)
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		res.ID = id.New("dsi")
		sum := hex.EncodeToString(h.Sum(nil))
		if _, err := tx.Exec(ctx, `INSERT INTO disrupt_imports (id, file_sha256, rows_read, imported, duplicates, imported_by, imported_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, res.ID, sum, res.Rows, len(fresh), len(res.Duplicates), by.ID, store.Micros(now)); err != nil {
			return fmt.Errorf("disrupt: import: %w", err)
		}
		for _, i := range fresh {
			rec := Recorded{
				ID: id.New("dso"), Order: orders[i], AsRecorded: orders[i], Source: Imported,
				ImportID: res.ID, ImportLine: lines[i], Key: keys[i], RecordedBy: by.ID, RecordedAt: now,
			}
			if _, err := s.insert(ctx, tx, by.Actor(), &rec); err != nil {
				return err
			}
			res.Imported = append(res.Imported, ImportedRow{Line: lines[i], ID: rec.ID})
		}
		res.Event, err = s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evOrdersImported, Actor: by.Actor(), Subject: "disruption_import:" + res.ID,
			Facts:   map[string]any{"import": res.ID, "rows": res.Rows, "imported": len(fresh), "duplicates": len(res.Duplicates)},
			Private: map[string]string{"file_sha256": sum},
		})
		return err
	})
	if err != nil {
		return ImportResult{Notices: res.Notices}, err
	}
	return res, nil
}
