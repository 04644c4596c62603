package vault

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Destroying an item is crypto-shredding: its key (wrapped by the
// key-encryption key) and its sealed capture metadata are erased from the
// database in the transaction that records the deletion, so that no copy
// of the blob, in a backup or a stolen disk, can be decrypted afterwards;
// then the blob itself is deleted. The content's hash goes too; its salt
// stays, so that whoever still holds the file can show that it is the one
// the log says was destroyed.

// sweepBatch is how many items one transaction destroys; sweepRead is
// how many the sweep reads ahead, so that it signs the receipts of one
// batch while the one before it is destroyed.
const (
	sweepBatch = 2000
	sweepRead  = 5 * sweepBatch
)

// Sweep destroys every item whose schedule has ended and that no hold
// covers, and returns how many it destroyed. Its cost grows with the
// number of items due, not with the number kept: it reads them from an
// index on when each is due. Three things overlap: signing one batch's
// receipts, destroying the batch before it, and deleting the blobs of the
// batch before that.
func (v *Vault) Sweep(ctx context.Context) (int, error) {
	now := v.now().UTC().Truncate(time.Microsecond)
	total := 0
	var deleting chan struct{}
	wait := func() {
		if deleting != nil {
			<-deleting
			deleting = nil
		}
	}
	defer wait()
	for {
		items, err := v.dueItems(ctx, v.db, sweepQuery, store.Micros(now), sweepRead)
		if err != nil {
			return total, err
		}
		batches := splitBatches(items, len(items) < sweepRead)
		signed := make([]chan error, len(batches))
		sign := func(i int) {
			signed[i] = make(chan error, 1)
			go func() { signed[i] <- v.presign(ctx, batches[i], now) }()
		}
		if len(batches) > 0 {
			sign(0)
		}
		for i, b := range batches {
			if err := <-signed[i]; err != nil {
				return total, err
			}
			if i+1 < len(batches) {
				sign(i + 1)
			}
			destroyed, err := v.destroyBatch(ctx, b, now)
			if err != nil {
				// Let the signing under way finish before returning.
				if i+1 < len(batches) {
					<-signed[i+1]
				}
				return total, err
			}
			total += len(destroyed)
			if len(destroyed) > 0 {
				wait()
				done := make(chan struct{})
				deleting = done
				go func() {
					defer close(done)
					v.deleteBlobs(ctx, destroyed)
				}()
			}
		}
		if len(items) < sweepRead {
			wait()
			return total, v.deleteShreddedBlobs(ctx)
		}
	}
}

// splitBatches cuts items into batches of sweepBatch, but for a small
// first one, so that the first destruction starts soon, and, when these
// are the last items due, a small last one, so that little is left to
// delete once nothing else is under way.
func splitBatches(items []*due, last bool) [][]*due {
	const small = sweepBatch / 8
	var cuts []int
	lo := 0
	if len(items) > 2*small {
		cuts = append(cuts, small)
		lo = small
	}
	end := len(items)
	if last && end-lo > 2*small {
		end -= small
	}
	for lo += sweepBatch; lo < end; lo += sweepBatch {
		cuts = append(cuts, lo)
	}
	cuts = append(cuts, end)
	if end < len(items) {
		cuts = append(cuts, len(items))
	}
	var out [][]*due
	prev := 0
	for _, c := range cuts {
		if c > prev {
			out = append(out, items[prev:c])
			prev = c
		}
	}
	return out
}

// sweepQuery reads the items due, from the index on when each is due.
// (Ordering by due_at alone lets the index give the order: a second key
// would sort every item due at once.)
const sweepQuery = "SELECT id, class, commitment, retain_until, blob_key FROM vault_items WHERE destroyed_at IS NULL AND due_at <= ? ORDER BY due_at LIMIT ?"

type due struct {
	Item
	heldUntil time.Time
	blobKey   string
	receipt   string
}

// presign signs the batch's receipts ahead of its transaction, with the
// holds as they stand; destroyBatch signs again any whose holds changed.
func (v *Vault) presign(ctx context.Context, batch []*due, now time.Time) error {
	held, err := v.heldUntil(ctx, v.db, batch)
	if err != nil {
		return err
	}
	for _, d := range batch {
		d.heldUntil = held[d.ID].last
	}
	return v.signReceipts(batch, now)
}

// destroyBatch destroys, in one transaction, the items of batch still due
// and not held, and returns them. It reads the holds again and checks
// each item is still due as it destroys it: what changed since the batch
// was read is seen.
func (v *Vault) destroyBatch(ctx context.Context, batch []*due, now time.Time) ([]*due, error) {
	var out []*due
	err := v.db.Tx(ctx, func(tx *store.Tx) error {
		out = out[:0]
		// On PostgreSQL the rows are locked (by the updates below) before
		// any event is recorded, which takes the outbox's lock: a hold
		// locks its item, then records; both take locks in that order, so
		// neither waits on the other in a cycle.
		held, err := v.heldUntil(ctx, tx, batch)
		if err != nil {
			return err
		}
		var resign []*due
		for _, d := range batch {
			h := held[d.ID]
			if h.active.After(now) {
				if _, err := tx.Exec(ctx, "UPDATE vault_items SET due_at = ? WHERE id = ? AND destroyed_at IS NULL", store.Micros(h.active), d.ID); err != nil {
					return fmt.Errorf("vault: reschedule: %w", err)
				}
				continue
			}
			if !h.last.Equal(d.heldUntil) {
				d.heldUntil = h.last
				resign = append(resign, d)
			}
			out = append(out, d)
		}
		if len(out) == 0 {
			return nil
		}
		if err := v.signReceipts(resign, now); err != nil {
			return err
		}
		destroyed, err := v.destroy(ctx, tx, out, now)
		if err != nil {
			return err
		}
		kept := out[:0]
		events := make([]ledger.Event, 0, len(out))
		for _, d := range out {
			if !destroyed[d.ID] {
				continue
			}
			kept = append(kept, d)
			facts := map[string]any{"item": d.ID, "class": d.Class, "content": ledger.Digest(d.Commitment), "retain_until": d.RetainUntil,
				"destroyed_at": now, "receipt": ledger.Digest(receiptDigest(d.receipt))}
			if !d.heldUntil.IsZero() {
				facts["held_until"] = d.heldUntil
			}
			events = append(events, ledger.Event{Kind: evDestroyed, Actor: ledger.System, Subject: "item:" + d.ID, Facts: facts, Time: now})
		}
		out = kept
		_, err = v.outbox.RecordAll(ctx, tx, events)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, d := range out {
		v.grants.revokeItem(d.ID)
	}
	return out, nil
}

// destroy erases the keys, metadata and hashes of the batch's items in one
// statement, and returns those it erased. due_at is checked again: on
// PostgreSQL a hold committed since the items were read has moved it, and
// the row lock this update waits for makes it see that.
func (v *Vault) destroy(ctx context.Context, tx *store.Tx, batch []*due, now time.Time) (map[string]bool, error) {
	args := make([]any, 0, 2*len(batch)+2)
	args = append(args, store.Micros(now))
	var values strings.Builder
	for i, d := range batch {
		if i > 0 {
			values.WriteString(", ")
		}
		values.WriteString("(?, ?)")
		args = append(args, d.ID, d.receipt)
	}
	args = append(args, store.Micros(now))
	rows, err := tx.Query(ctx, `UPDATE vault_items SET wrapped_key = NULL, metadata = NULL, proofmode = NULL, sha256 = NULL, blob_key = '',
		destroyed_at = ?, receipt = d.column2 FROM (VALUES `+values.String()+`) AS d
		WHERE vault_items.id = d.column1 AND vault_items.destroyed_at IS NULL AND vault_items.due_at <= ? RETURNING vault_items.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("vault: destroy: %w", err)
	}
	defer rows.Close()
	out := make(map[string]bool, len(batch))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("vault: destroy: %w", err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vault: destroy: %w", err)
	}
	return out, nil
}

// deleteBlobs deletes the blobs of destroyed items; their keys are gone,
// so the blobs are noise. The destruction already cleared their blob_key:
// if deleting fails it is set again, so that the next sweep retries; if
// the process dies first, CleanOrphans finds the blobs at the next start.
func (v *Vault) deleteBlobs(ctx context.Context, batch []*due) {
	keys := make([]string, len(batch))
	for i, d := range batch {
		keys[i] = d.blobKey
	}
	if err := v.cfg.Blobs.DeleteAll(ctx, keys); err == nil {
		return
	}
	for _, d := range batch {
		v.db.Exec(context.WithoutCancel(ctx), "UPDATE vault_items SET blob_key = ? WHERE id = ?", d.blobKey, d.ID)
	}
}

// dueItems reads what the sweep needs of the items q selects.
func (v *Vault) dueItems(ctx context.Context, q store.Querier, query string, args ...any) ([]*due, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("vault: due items: %w", err)
	}
	defer rows.Close()
	var out []*due
	for rows.Next() {
		d := &due{}
		var retain int64
		if err := rows.Scan(&d.ID, &d.Class, &d.Commitment, &retain, &d.blobKey); err != nil {
			return nil, fmt.Errorf("vault: due items: %w", err)
		}
		d.RetainUntil = store.FromMicros(retain)
		out = append(out, d)
	}
	return out, rows.Err()
}

type holdTimes struct {
	active time.Time // the latest end of a hold still in force
	last   time.Time // the latest end of any hold that was not released
}

// heldUntil returns, for each item with holds, how long they keep it.
func (v *Vault) heldUntil(ctx context.Context, q store.Querier, items []*due) (map[string]holdTimes, error) {
	ids := make([]any, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	rows, err := q.Query(ctx, "SELECT item_id, MAX(until_at) FROM vault_holds WHERE released_at IS NULL AND item_id IN ("+placeholders(len(ids))+") GROUP BY item_id", ids...)
	if err != nil {
		return nil, fmt.Errorf("vault: holds: %w", err)
	}
	defer rows.Close()
	out := map[string]holdTimes{}
	for rows.Next() {
		var id string
		var until int64
		if err := rows.Scan(&id, &until); err != nil {
			return nil, err
		}
		t := store.FromMicros(until)
		out[id] = holdTimes{active: t, last: t}
	}
	return out, rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// signReceipts signs each item's deletion receipt, on every core.
func (v *Vault) signReceipts(batch []*due, now time.Time) error {
	workers := min(runtime.GOMAXPROCS(0), len(batch))
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(batch); i += workers {
				d := batch[i]
				signed, err := note.Sign(&note.Note{Text: receiptText(v.cfg.Signer.Name(), d, now)}, v.cfg.Signer)
				if err != nil {
					errs[w] = fmt.Errorf("vault: sign receipt: %w", err)
					return
				}
				d.receipt = string(signed)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// receiptText is the body of a deletion receipt: what was destroyed (by
// its public commitment), on what schedule, and when. It holds nothing
// personal.
func receiptText(origin string, d *due, now time.Time) string {
	var b strings.Builder
	b.WriteString("vigil deletion receipt v1\n")
	fmt.Fprintf(&b, "log %s\n", origin)
	fmt.Fprintf(&b, "item %s\n", d.ID)
	fmt.Fprintf(&b, "class %s\n", d.Class)
	fmt.Fprintf(&b, "content %s\n", d.Commitment)
	fmt.Fprintf(&b, "retain-until %s\n", d.RetainUntil.UTC().Format(time.RFC3339))
	if !d.heldUntil.IsZero() {
		fmt.Fprintf(&b, "held-until %s\n", d.heldUntil.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "destroyed %s\n", now.UTC().Format(time.RFC3339Nano))
	b.WriteString("key destroyed; blob deleted\n")
	return b.String()
}

func receiptDigest(signed string) string {
	s := sha256.Sum256([]byte(signed))
	return "sha256:" + hex.EncodeToString(s[:])
}

// DeletionReceipt is a receipt as checked.
type DeletionReceipt struct {
	Log, Item, Class, Content string
	RetainUntil, HeldUntil    time.Time
	Destroyed                 time.Time
	// Digest is what the item.destroyed event on the log names.
	Digest string
}

// VerifyReceipt checks a signed deletion receipt against the log's key
// and reads it.
func VerifyReceipt(signed []byte, v note.Verifier) (DeletionReceipt, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return DeletionReceipt{}, fmt.Errorf("the receipt's signature does not verify under %s: %w", v.Name(), err)
	}
	r := DeletionReceipt{Digest: receiptDigest(string(signed))}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 7 || lines[0] != "vigil deletion receipt v1" {
		return r, errors.New("not a Vigil deletion receipt")
	}
	for _, l := range lines[1:] {
		k, val, _ := strings.Cut(l, " ")
		var err error
		switch k {
		case "log":
			r.Log = val
		case "item":
			r.Item = val
		case "class":
			r.Class = val
		case "content":
			r.Content = val
		case "retain-until":
			r.RetainUntil, err = time.Parse(time.RFC3339, val)
		case "held-until":
			r.HeldUntil, err = time.Parse(time.RFC3339, val)
		case "destroyed":
			r.Destroyed, err = time.Parse(time.RFC3339Nano, val)
		}
		if err != nil {
			return r, fmt.Errorf("the receipt's %s line is malformed: %w", k, err)
		}
	}
	if r.Item == "" || r.Content == "" || r.Destroyed.IsZero() {
		return r, errors.New("the receipt lacks its item, content or time")
	}
	return r, nil
}

// Receipt returns a destroyed item's signed deletion receipt. It is
// public: it holds nothing personal.
func (v *Vault) Receipt(ctx context.Context, itemID string) (string, error) {
	var receipt sql.NullString
	err := v.db.QueryRow(ctx, "SELECT receipt FROM vault_items WHERE id = ?", itemID).Scan(&receipt)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !receipt.Valid) {
		return "", fmt.Errorf("receipt of %s: %w", itemID, ErrNotFound)
	}
	return receipt.String, err
}

// deleteShreddedBlobs retries deleting the blobs of destroyed items.
func (v *Vault) deleteShreddedBlobs(ctx context.Context) error {
	rows, err := v.db.Query(ctx, "SELECT id, blob_key FROM vault_items WHERE destroyed_at IS NOT NULL AND blob_key <> '' LIMIT 1000")
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	var left [][2]string
	for rows.Next() {
		var id, key string
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return err
		}
		left = append(left, [2]string{id, key})
	}
	rows.Close()
	var errs []error
	for _, l := range left {
		if err := v.cfg.Blobs.Delete(ctx, l[1]); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := v.db.Exec(ctx, "UPDATE vault_items SET blob_key = '' WHERE id = ?", l[0]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CleanOrphans deletes item blobs that no live item owns: left by an
// ingest that a crash interrupted before it committed (their keys were
// never stored: they are noise), or by a destruction whose blob delete
// failed. Run it only while nothing is being ingested: at start, before
// serving.
func (v *Vault) CleanOrphans(ctx context.Context) (int, error) {
	var orphans []string
	err := v.cfg.Blobs.List(ctx, "items/", func(b blob.Info) error {
		key := b.Key
		var destroyed sql.NullInt64
		var owned string
		err := v.db.QueryRow(ctx, "SELECT destroyed_at, blob_key FROM vault_items WHERE id = ?", strings.TrimPrefix(key, "items/")).Scan(&destroyed, &owned)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (destroyed.Valid || owned != key)) {
			orphans = append(orphans, key)
			return nil
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("vault: list blobs: %w", err)
	}
	for _, k := range orphans {
		if err := v.cfg.Blobs.Delete(ctx, k); err != nil {
			return 0, fmt.Errorf("vault: delete orphan blob: %w", err)
		}
	}
	if err := v.deleteShreddedBlobs(ctx); err != nil {
		return len(orphans), err
	}
	return len(orphans), nil
}

// EndCaptures ends, as of at, the schedule of every item captured under a
// deployment that was stopped because its urgent use was refused or not
// authorized in time, in the transaction that stops it: the next sweep
// destroys them, and their receipts show the shortened schedule. A hold a
// case placed on one still keeps it, on the log, until the hold ends.
// It implements assembly.CaptureShredder.
func (v *Vault) EndCaptures(ctx context.Context, tx *store.Tx, deploymentID string, at time.Time) (int, error) {
	t := store.Micros(at.UTC().Truncate(time.Microsecond))
	res, err := tx.Exec(ctx, `UPDATE vault_items SET retain_until = CASE WHEN retain_until > ? THEN ? ELSE retain_until END,
		due_at = CASE WHEN due_at > ? THEN ? ELSE due_at END WHERE deployment_id = ? AND destroyed_at IS NULL`, t, t, t, t, deploymentID)
	if err != nil {
		return 0, fmt.Errorf("vault: end captures of %s: %w", deploymentID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
