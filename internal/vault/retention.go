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

// sweepBatch is how many items one transaction destroys.
const sweepBatch = 500

// Sweep destroys every item whose schedule has ended and that no hold
// covers, and returns how many it destroyed. Its cost grows with the
// number of items due, not with the number kept: it reads them from an
// index on when each is due.
func (v *Vault) Sweep(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := v.sweepOnce(ctx)
		total += n
		if err != nil || n < sweepBatch {
			if err == nil {
				err = v.deleteShreddedBlobs(ctx)
			}
			return total, err
		}
	}
}

type due struct {
	Item
	heldUntil time.Time
	blobKey   string
	receipt   string
}

func (v *Vault) sweepOnce(ctx context.Context) (int, error) {
	now := v.now().UTC().Truncate(time.Microsecond)
	var batch []*due
	err := v.db.Tx(ctx, func(tx *store.Tx) error {
		batch = batch[:0]
		// On PostgreSQL the batch's rows are locked before any event is
		// recorded (which takes the outbox's lock): a hold locks its item,
		// then records; both take locks in that order, so neither waits on
		// the other in a cycle.
		q := "SELECT " + itemColumns + " FROM vault_items WHERE destroyed_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?"
		if tx.Kind() == store.Postgres {
			q += " FOR UPDATE"
		}
		items, err := v.items(ctx, tx, q, store.Micros(now), sweepBatch)
		if err != nil || len(items) == 0 {
			return err
		}
		// The holds on these items, in one query: a hold placed since the
		// item was scheduled (or one due_at missed) saves it.
		held, err := v.heldUntil(ctx, tx, items)
		if err != nil {
			return err
		}
		keys := make(map[string]string, len(items))
		if err := v.blobKeys(ctx, tx, items, keys); err != nil {
			return err
		}
		for _, it := range items {
			h := held[it.ID]
			if h.active.After(now) {
				if _, err := tx.Exec(ctx, "UPDATE vault_items SET due_at = ? WHERE id = ?", store.Micros(h.active), it.ID); err != nil {
					return fmt.Errorf("vault: reschedule: %w", err)
				}
				continue
			}
			batch = append(batch, &due{Item: it, heldUntil: h.last, blobKey: keys[it.ID]})
		}
		if err := v.signReceipts(batch, now); err != nil {
			return err
		}
		kept := batch[:0]
		for _, d := range batch {
			// due_at is checked again: on PostgreSQL a hold committed since
			// the items were read has moved it, and the row lock this
			// update waits for makes it see that.
			res, err := tx.Exec(ctx, `UPDATE vault_items SET wrapped_key = NULL, metadata = NULL, proofmode = NULL, sha256 = NULL,
				destroyed_at = ?, receipt = ? WHERE id = ? AND destroyed_at IS NULL AND due_at <= ?`, store.Micros(now), d.receipt, d.ID, store.Micros(now))
			if err != nil {
				return fmt.Errorf("vault: destroy %s: %w", d.ID, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("vault: destroy %s: %w", d.ID, err)
			} else if n == 0 {
				continue
			}
			kept = append(kept, d)
			facts := map[string]any{"item": d.ID, "class": d.Class, "content": ledger.Digest(d.Commitment), "retain_until": d.RetainUntil,
				"destroyed_at": now, "receipt": ledger.Digest(receiptDigest(d.receipt))}
			if !d.heldUntil.IsZero() {
				facts["held_until"] = d.heldUntil
			}
			if _, err := v.outbox.Record(ctx, tx, ledger.Event{Kind: evDestroyed, Actor: ledger.System, Subject: "item:" + d.ID, Facts: facts, Time: now}); err != nil {
				return err
			}
		}
		batch = kept
		return nil
	})
	if err != nil {
		return 0, err
	}
	// The keys are gone: the blobs are now noise. Delete them; what fails
	// here is retried by the next sweep.
	if len(batch) == 0 {
		return 0, nil
	}
	keys := make([]string, len(batch))
	ids := make([]any, len(batch))
	for i, d := range batch {
		v.grants.revokeItem(d.ID)
		keys[i], ids[i] = d.blobKey, d.ID
	}
	if err := v.cfg.Blobs.DeleteAll(ctx, keys); err == nil {
		v.db.Exec(ctx, "UPDATE vault_items SET blob_key = '' WHERE id IN ("+placeholders(len(ids))+")", ids...)
	}
	return len(batch), nil
}

type holdTimes struct {
	active time.Time // the latest end of a hold still in force
	last   time.Time // the latest end of any hold that was not released
}

// heldUntil returns, for each item with holds, how long they keep it.
func (v *Vault) heldUntil(ctx context.Context, q store.Querier, items []Item) (map[string]holdTimes, error) {
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

func (v *Vault) blobKeys(ctx context.Context, q store.Querier, items []Item, into map[string]string) error {
	ids := make([]any, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	rows, err := q.Query(ctx, "SELECT id, blob_key FROM vault_items WHERE id IN ("+placeholders(len(ids))+")", ids...)
	if err != nil {
		return fmt.Errorf("vault: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		into[id] = key
	}
	return rows.Err()
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
