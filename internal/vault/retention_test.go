package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// copyDir copies a directory tree, as a backup would.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

// decryptWithAnyKey tries to decrypt an item's blob copy the way someone
// holding the key-encryption key, the whole database and the copy would:
// with every wrapped key the database still holds.
func decryptWithAnyKey(f *fixture, itemID string, blobCopy []byte) bool {
	rows, err := f.db.Query(f.ctx, "SELECT id, wrapped_key FROM vault_items WHERE wrapped_key IS NOT NULL")
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var wrapped []byte
		if err := rows.Scan(&id, &wrapped); err != nil {
			f.t.Fatal(err)
		}
		for _, bindTo := range []string{id, itemID} {
			key, err := unwrapItemKey(f.v.cfg.KEK, bindTo, wrapped)
			if err != nil {
				continue
			}
			sa, err := key.streaming()
			if err != nil {
				continue
			}
			r, err := sa.NewDecryptingReader(bytes.NewReader(blobCopy), contentAD(itemID))
			if err != nil {
				continue
			}
			if _, err := bytes.NewBuffer(nil).ReadFrom(r); err == nil {
				return true
			}
		}
	}
	return false
}

func blobFile(dir, itemID string) string { return filepath.Join(dir, "objects", "items", itemID) }

func TestShreddedItemIsGoneForGood(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		doomed, _ := f.ingest("officer", bodycam(), mp4("doomed-", 2<<20))
		f.now = f.now.Add(24 * time.Hour)
		kept, _ := f.ingest("officer", bodycam(), mp4("kept-", 1<<20))

		backup := copyDir(t, f.blobDir)
		copyOfDoomed, err := os.ReadFile(blobFile(backup, doomed.ID))
		if err != nil {
			t.Fatalf("the backup lacks the blob: %v", err)
		}
		// The control: before shredding, the backup can be read.
		if !decryptWithAnyKey(f, doomed.ID, copyOfDoomed) {
			t.Fatal("the backup cannot be decrypted even before shredding: the test proves nothing")
		}

		// Not yet due: nothing happens.
		f.now = doomed.RetainUntil.Add(-time.Second)
		if n, err := f.v.Sweep(f.ctx); err != nil || n != 0 {
			t.Fatalf("early sweep destroyed %d, %v", n, err)
		}
		f.now = doomed.RetainUntil.Add(time.Minute)
		n, err := f.v.Sweep(f.ctx)
		if err != nil || n != 1 {
			t.Fatalf("sweep destroyed %d, %v; want 1", n, err)
		}
		if decryptWithAnyKey(f, doomed.ID, copyOfDoomed) {
			t.Fatal("the backup of a shredded item can still be decrypted")
		}
		if _, err := os.Stat(blobFile(f.blobDir, doomed.ID)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the shredded item's blob is still there: %v", err)
		}
		if _, err := os.Stat(blobFile(f.blobDir, kept.ID)); err != nil {
			t.Errorf("the other item's blob went too: %v", err)
		}
		got, err := f.v.Get(f.ctx, doomed.ID)
		if err != nil || got.DestroyedAt == nil || got.SHA256 != nil || got.Commitment != doomed.Commitment {
			t.Fatalf("after shredding, item = %+v, %v", got, err)
		}
		var wrapped, meta []byte
		db.QueryRow(f.ctx, "SELECT wrapped_key, metadata FROM vault_items WHERE id = ?", doomed.ID).Scan(&wrapped, &meta)
		if wrapped != nil || meta != nil {
			t.Error("the wrapped key or the sealed metadata survived")
		}
		if _, err := f.v.openContent(f.ctx, doomed.ID); !errors.Is(err, ErrShredded) {
			t.Errorf("opening a shredded item: %v", err)
		}

		// The receipt: signed by the log's key, naming the commitment and
		// the schedule, and named by the event on the log.
		signed, err := f.v.Receipt(f.ctx, doomed.ID)
		if err != nil {
			t.Fatal(err)
		}
		r, err := VerifyReceipt([]byte(signed), f.verifier)
		if err != nil {
			t.Fatal(err)
		}
		if r.Item != doomed.ID || r.Content != doomed.Commitment || !r.RetainUntil.Equal(doomed.RetainUntil) || !r.Destroyed.Equal(f.now) {
			t.Errorf("receipt = %+v", r)
		}
		tampered := strings.Replace(signed, "class bodycam", "class capture", 1)
		if _, err := VerifyReceipt([]byte(tampered), f.verifier); err == nil {
			t.Error("a tampered receipt verifies")
		}
		evs, _ := ledger.List(f.ctx, db, ledger.Query{Subject: "item:" + doomed.ID})
		if len(evs) == 0 || evs[0].Type != "item.destroyed" {
			t.Fatalf("no destruction event: %+v", evs)
		}
		e, err := ledger.ParseEntry(evs[0].Entry)
		if err != nil {
			t.Fatal(err)
		}
		if e.Facts["receipt"] != r.Digest || e.Facts["content"] != doomed.Commitment || e.Role != "system" {
			t.Errorf("destruction entry = %s", evs[0].Entry)
		}
		// The other item lives on and reads.
		if _, err := f.v.openContent(f.ctx, kept.ID); err != nil {
			t.Errorf("the kept item: %v", err)
		}
		// A second sweep has nothing to do.
		if n, err := f.v.Sweep(f.ctx); err != nil || n != 0 {
			t.Errorf("second sweep: %d, %v", n, err)
		}
	})
}

func TestHoldsKeepItemsPastTheirSchedule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		cmd := f.acc("commander")
		it, _ := f.ingest("officer", bodycam(), mp4("held-", 4096))
		other, _ := f.ingest("officer", bodycam(), mp4("other-", 4096))
		c, err := f.v.OpenCase(f.ctx, cmd, Investigation, "INV-7")
		if err != nil {
			t.Fatal(err)
		}
		until := it.RetainUntil.Add(90 * 24 * time.Hour)
		h, err := f.v.PlaceHold(f.ctx, cmd, c.ID, it.ID, until, "Needed for the prosecution of the assault")
		if err != nil {
			t.Fatal(err)
		}
		// Past the schedule: the held item stays, the other goes.
		f.now = it.RetainUntil.Add(time.Hour)
		if n, err := f.v.Sweep(f.ctx); err != nil || n != 1 {
			t.Fatalf("sweep destroyed %d, %v; want only the unheld item", n, err)
		}
		if g, _ := f.v.Get(f.ctx, other.ID); g.DestroyedAt == nil {
			t.Error("the unheld item survived")
		}
		if g, _ := f.v.Get(f.ctx, it.ID); g.DestroyedAt != nil || !g.DueAt.Equal(until) {
			t.Fatalf("held item = %+v", g)
		}
		// Someone outside the case cannot release it.
		if err := f.v.ReleaseHold(f.ctx, f.acc("commander2"), h.ID, "Not needed any more"); !errors.Is(err, ErrNotFound) {
			t.Errorf("an outsider released a hold: %v", err)
		}
		// Released: back to its schedule, which has passed.
		if err := f.v.ReleaseHold(f.ctx, cmd, h.ID, "The prosecutor dropped the charge"); err != nil {
			t.Fatal(err)
		}
		if err := f.v.ReleaseHold(f.ctx, cmd, h.ID, "Again"); !errors.Is(err, ErrInvalid) {
			t.Errorf("releasing twice: %v", err)
		}
		if n, err := f.v.Sweep(f.ctx); err != nil || n != 1 {
			t.Fatalf("after release, sweep destroyed %d, %v", n, err)
		}
		if _, err := f.v.PlaceHold(f.ctx, cmd, c.ID, it.ID, f.now.Add(time.Hour), "Too late"); !errors.Is(err, ErrShredded) {
			t.Errorf("holding a destroyed item: %v", err)
		}
	})
}

func TestHoldExpiresAndCaseCloses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		judge := f.acc("authorizer")
		a, _ := f.ingest("officer", bodycam(), mp4("a-", 4096))
		b, _ := f.ingest("officer", bodycam(), mp4("b-", 4096))
		c, err := f.v.OpenCase(f.ctx, judge, CourtOrder, "Order 2026/55")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			until time.Time
			want  error
		}{
			{f.now.Add(-time.Hour), ErrInvalid},
			{f.now.Add(MaxHold + 24*time.Hour), ErrInvalid},
		} {
			if _, err := f.v.PlaceHold(f.ctx, judge, c.ID, a.ID, tc.until, "Court order"); !errors.Is(err, tc.want) {
				t.Errorf("hold until %v: %v", tc.until, err)
			}
		}
		short := a.RetainUntil.Add(10 * 24 * time.Hour)
		if _, err := f.v.PlaceHold(f.ctx, judge, c.ID, a.ID, short, "Court order, first period"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.v.PlaceHold(f.ctx, judge, c.ID, b.ID, short.Add(100*24*time.Hour), "Court order"); err != nil {
			t.Fatal(err)
		}
		// The hold on a ends by itself; the sweep then destroys a.
		f.now = short.Add(time.Minute)
		if n, err := f.v.Sweep(f.ctx); err != nil || n != 1 {
			t.Fatalf("after the hold lapsed: destroyed %d, %v", n, err)
		}
		if g, _ := f.v.Get(f.ctx, a.ID); g.DestroyedAt == nil {
			t.Fatal("the item whose hold lapsed survived")
		}
		signed, _ := f.v.Receipt(f.ctx, a.ID)
		if r, err := VerifyReceipt([]byte(signed), f.verifier); err != nil || !r.HeldUntil.Equal(short) {
			t.Errorf("receipt of a once-held item = %+v, %v", r, err)
		}
		// Closing the case releases b, whose schedule has passed.
		if err := f.v.CloseCase(f.ctx, judge, c.ID, "Proceedings ended"); err != nil {
			t.Fatal(err)
		}
		if n, err := f.v.Sweep(f.ctx); err != nil || n != 1 {
			t.Fatalf("after closing: destroyed %d, %v", n, err)
		}
		if _, err := f.v.PlaceHold(f.ctx, judge, c.ID, b.ID, f.now.Add(time.Hour), "Reopen"); !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrShredded) {
			t.Errorf("holding in a closed case: %v", err)
		}
	})
}

// TestSweepReadsOnlyWhatIsDue checks that the sweep's query is answered
// from the index on due_at, so that its cost follows the items due, not
// the items kept (bench/vault measures it).
func TestSweepReadsOnlyWhatIsDue(t *testing.T) {
	db := storetest.SQLite(t)
	rows, err := db.Query(t.Context(), "EXPLAIN QUERY PLAN "+sweepQuery, 1, sweepBatch)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	joined := strings.Join(plan, "; ")
	if !strings.Contains(joined, "USING INDEX vault_items_due (due_at<?)") || strings.Contains(joined, "SCAN vault_items") || strings.Contains(joined, "TEMP B-TREE") {
		t.Errorf("the sweep's plan is %q, not a range search of vault_items_due", joined)
	}
}

func TestCleanOrphans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		it, _ := f.ingest("officer", bodycam(), mp4("live-", 4096))
		// What a crash between storing the blob and committing leaves.
		if _, err := f.v.cfg.Blobs.Put(f.ctx, "items/itm_orphan", bytes.NewReader([]byte("ciphertext"))); err != nil {
			t.Fatal(err)
		}
		n, err := f.v.CleanOrphans(f.ctx)
		if err != nil || n != 1 {
			t.Fatalf("cleaned %d, %v", n, err)
		}
		if _, err := os.Stat(blobFile(f.blobDir, "itm_orphan")); !errors.Is(err, os.ErrNotExist) {
			t.Error("the orphan survived")
		}
		if _, err := f.v.openContent(f.ctx, it.ID); err != nil {
			t.Errorf("the live item: %v", err)
		}
	})
}

// TestHoldRacesSweep: a hold placed while the sweep runs either saves its
// item or is refused because the item is gone; never is a hold granted on
// an item the sweep then destroys.
func TestHoldRacesSweep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		judge := f.acc("authorizer")
		c, err := f.v.OpenCase(f.ctx, judge, CourtOrder, "Order 2026/77")
		if err != nil {
			t.Fatal(err)
		}
		var items []Item
		for range 40 {
			it, _ := f.ingest("officer", bodycam(), mp4("race-", 2048))
			items = append(items, it)
		}
		f.now = items[0].RetainUntil.Add(time.Hour)
		granted := make([]bool, len(items))
		done := make(chan error, 1)
		go func() {
			_, err := f.v.Sweep(f.ctx)
			done <- err
		}()
		for i := len(items) - 1; i >= 0; i-- {
			_, err := f.v.PlaceHold(f.ctx, judge, c.ID, items[i].ID, f.now.Add(24*time.Hour), "Court order for the whole day")
			switch {
			case err == nil:
				granted[i] = true
			case errors.Is(err, ErrShredded):
			default:
				t.Fatalf("hold %d: %v", i, err)
			}
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, err := f.v.Sweep(f.ctx); err != nil {
			t.Fatal(err)
		}
		var saved, gone int
		for i, it := range items {
			got, err := f.v.Get(f.ctx, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case granted[i] && got.DestroyedAt != nil:
				t.Errorf("item %d was destroyed under a hold that was granted", i)
			case !granted[i] && got.DestroyedAt == nil:
				t.Errorf("item %d: its hold was refused as destroyed, yet it lives", i)
			case granted[i]:
				saved++
			default:
				gone++
			}
		}
		t.Logf("%d held in time, %d destroyed first", saved, gone)
	})
}

// failingDeletes is the real blob store, whose deletes fail while failing
// is set, as an unreachable S3 server's would.
type failingDeletes struct {
	Blobs
	failing atomic.Bool
}

func (f *failingDeletes) Delete(ctx context.Context, key string) error {
	if f.failing.Load() {
		return errors.New("blob store unreachable")
	}
	return f.Blobs.Delete(ctx, key)
}

func (f *failingDeletes) DeleteAll(ctx context.Context, keys []string) error {
	if f.failing.Load() {
		return errors.New("blob store unreachable")
	}
	return f.Blobs.DeleteAll(ctx, keys)
}

// TestBlobDeleteIsRetried: when the blob store fails to delete the blobs
// of shredded items, the keys are gone all the same, and the next sweep
// deletes the blobs. When the process dies between destroying and
// deleting, CleanOrphans at the next start deletes them.
func TestBlobDeleteIsRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		var doomed []Item
		for i := range 3 {
			it, _ := f.ingest("officer", bodycam(), mp4(fmt.Sprintf("doomed-%d-", i), 4096))
			doomed = append(doomed, it)
		}
		flaky := &failingDeletes{Blobs: f.v.cfg.Blobs}
		f.v.cfg.Blobs = flaky
		flaky.failing.Store(true)
		f.now = doomed[0].RetainUntil.Add(time.Minute)
		n, err := f.v.Sweep(f.ctx)
		if n != 3 {
			t.Fatalf("sweep destroyed %d (%v), want 3 even though blobs cannot be deleted", n, err)
		}
		for _, it := range doomed {
			if _, err := os.Stat(blobFile(f.blobDir, it.ID)); err != nil {
				t.Fatalf("the blob went although deleting fails: %v", err)
			}
			if _, err := f.v.openContent(f.ctx, it.ID); !errors.Is(err, ErrShredded) {
				t.Fatalf("opening a shredded item whose blob is left: %v", err)
			}
		}
		flaky.failing.Store(false)
		if n, err := f.v.Sweep(f.ctx); err != nil || n != 0 {
			t.Fatalf("second sweep: %d, %v", n, err)
		}
		for _, it := range doomed {
			if _, err := os.Stat(blobFile(f.blobDir, it.ID)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the next sweep left the blob of %s: %v", it.ID, err)
			}
		}

		// A crash after the destruction committed and before the delete:
		// the blob is there, its item destroyed, nothing marks it.
		it, _ := f.ingest("officer", bodycam(), mp4("crash-", 4096))
		copyOf, err := os.ReadFile(blobFile(f.blobDir, it.ID))
		if err != nil {
			t.Fatal(err)
		}
		f.now = it.RetainUntil.Add(time.Minute)
		if n, err := f.v.Sweep(f.ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d, %v", n, err)
		}
		os.MkdirAll(filepath.Dir(blobFile(f.blobDir, it.ID)), 0o700)
		if err := os.WriteFile(blobFile(f.blobDir, it.ID), copyOf, 0o600); err != nil {
			t.Fatal(err)
		}
		if n, err := f.v.CleanOrphans(f.ctx); err != nil || n != 1 {
			t.Fatalf("CleanOrphans: %d, %v; want the left blob", n, err)
		}
		if _, err := os.Stat(blobFile(f.blobDir, it.ID)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("CleanOrphans left the blob of a destroyed item: %v", err)
		}
	})
}

// TestSplitBatches: every item once, in order, no batch over sweepBatch,
// a small first batch and, for the last items due, a small last one.
func TestSplitBatches(t *testing.T) {
	for _, n := range []int{0, 1, 499, 501, 2000, 2250, 2251, 9999, 10000} {
		for _, last := range []bool{false, true} {
			items := make([]*due, n)
			for i := range items {
				items[i] = &due{}
			}
			batches := splitBatches(items, last)
			i := 0
			for _, b := range batches {
				if len(b) == 0 || len(b) > sweepBatch {
					t.Fatalf("n=%d last=%v: a batch of %d", n, last, len(b))
				}
				for _, d := range b {
					if d != items[i] {
						t.Fatalf("n=%d last=%v: item %d out of place", n, last, i)
					}
					i++
				}
			}
			if i != n {
				t.Fatalf("n=%d last=%v: %d items in the batches", n, last, i)
			}
			if n > sweepBatch/4 {
				if len(batches[0]) != sweepBatch/8 {
					t.Errorf("n=%d: first batch %d", n, len(batches[0]))
				}
				if tail := len(batches[len(batches)-1]); last && n-sweepBatch/8 > sweepBatch/4 && tail != sweepBatch/8 {
					t.Errorf("n=%d: last batch %d", n, tail)
				}
			}
		}
	}
}
