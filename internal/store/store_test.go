package store_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func TestMigrate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v, err := db.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v != store.Latest() {
			t.Fatalf("version after migrate = %d, want %d", v, store.Latest())
		}
		n, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("second migrate applied %d migrations, want 0", n)
		}
	})
}

func TestTxCommitRollback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		committed := false
		err := db.Tx(ctx, func(tx *store.Tx) error {
			tx.AfterCommit(func() { committed = true })
			_, err := tx.Exec(ctx, "INSERT INTO accounts (id, username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", "a1", "one", "admin", "x", 1, 1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !committed {
			t.Fatal("AfterCommit did not run after a commit")
		}
		boom := errors.New("boom")
		ran := false
		err = db.Tx(ctx, func(tx *store.Tx) error {
			tx.AfterCommit(func() { ran = true })
			if _, err := tx.Exec(ctx, "INSERT INTO accounts (id, username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", "a2", "two", "admin", "x", 1, 1); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx returned %v, want the function's error", err)
		}
		if ran {
			t.Fatal("AfterCommit ran after a rollback")
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM accounts").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("accounts = %d after one commit and one rollback, want 1", n)
		}
	})
}

func TestErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ins := func() error {
			return db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, "INSERT INTO accounts (id, username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", "a1", "one", "admin", "x", 1, 1)
				return err
			})
		}
		if err := ins(); err != nil {
			t.Fatal(err)
		}
		if err := ins(); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate insert: %v, want ErrConflict", err)
		}
		var id string
		err := store.Scan(db.QueryRow(ctx, "SELECT id FROM accounts WHERE id = ?", "nope"), &id)
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing row: %v, want ErrNotFound", err)
		}
	})
}

// TestConcurrentWriters checks that many goroutines writing at once all
// succeed: SQLite must not answer "database is locked".
func TestConcurrentWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- db.Tx(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, "INSERT INTO accounts (id, username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", string(rune('a'+i%26))+string(rune('0'+i/26)), "u"+string(rune('a'+i%26))+string(rune('0'+i/26)), "admin", "x", 1, 1)
					return err
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM accounts").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 200 {
			t.Fatalf("accounts = %d, want 200", n)
		}
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", store.Latest()+1, "future", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err == nil {
			t.Fatal("Migrate accepted a database newer than the binary")
		}
	})
}
