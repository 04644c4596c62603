package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// TestRecordAllMatchesRecord records events one at a time and many at
// once, interleaved: the IDs follow one another, each entry is the one
// Record would have written for it, and the writer appends them all in
// order.
func TestRecordAllMatchesRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, ledger.Hooks{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.writer.Run(ctx) }()
		at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
		event := func(i int) ledger.Event {
			return ledger.Event{Kind: testKind, Actor: ledger.Actor{Account: "acc_test", Role: "officer"},
				Facts: map[string]any{"thing": fmt.Sprintf("t%d", i), "count": i}, Private: map[string]string{"name": "Someone Private"}, Time: at}
		}
		var ids []int64
		for round := range 3 {
			ids = append(ids, e.record(2)...)
			var batch []ledger.Event
			for i := range 150 + round { // more than one statement's rows
				batch = append(batch, event(i))
			}
			err := db.Tx(context.Background(), func(tx *store.Tx) error {
				got, err := e.outbox.RecordAll(context.Background(), tx, batch)
				ids = append(ids, got...)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] != ids[i-1]+1 {
				t.Fatalf("IDs %d then %d", ids[i-1], ids[i])
			}
		}
		// The same event through Record gives the same entry but for its ID.
		var single int64
		err := db.Tx(context.Background(), func(tx *store.Tx) (err error) {
			single, err = e.outbox.Record(context.Background(), tx, event(7))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		one, err := ledger.Get(context.Background(), db, single)
		if err != nil {
			t.Fatal(err)
		}
		many, err := ledger.Get(context.Background(), db, ids[2+7])
		if err != nil {
			t.Fatal(err)
		}
		a, _ := ledger.ParseEntry(one.Entry)
		b, _ := ledger.ParseEntry(many.Entry)
		a.Seq, b.Seq = 0, 0
		a.Commit, b.Commit = nil, nil // salted: differ by design
		if fmt.Sprint(a) != fmt.Sprint(b) || many.Type != one.Type || many.ActorAccount != "acc_test" {
			t.Fatalf("RecordAll wrote %+v, Record %+v", b, a)
		}
		total := uint64(len(ids) + 1)
		e.published(total)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
		e.check(total)
	})
}

// TestRecordAllRefusesAsAWhole refuses a batch with one event carrying
// personal data, before writing any of it.
func TestRecordAllRefusesAsAWhole(t *testing.T) {
	db := storetest.SQLite(t)
	o := ledger.NewOutbox()
	ctx := context.Background()
	good := ledger.Event{Kind: testKind, Actor: ledger.System, Facts: map[string]any{"thing": "t1"}}
	bad := ledger.Event{Kind: testKind, Actor: ledger.System, Facts: map[string]any{"thing": "amina@example.org"}}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := o.RecordAll(ctx, tx, []ledger.Event{good, bad})
		return err
	})
	if !errors.Is(err, ledger.ErrInvalidEvent) {
		t.Fatalf("RecordAll = %v, want ErrInvalidEvent", err)
	}
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM events").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d events written (%v)", n, err)
	}
}
