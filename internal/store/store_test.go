package store_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
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

// TestConcurrentOutcomes: when many callers write at once (and on SQLite
// share a commit), each gets its own outcome: a failing or panicking
// function undoes only its own work, and hooks run only for what
// committed.
func TestConcurrentOutcomes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		hooks := map[int]bool{}
		errs := make([]error, 120)
		for i := range 120 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.Tx(ctx, func(tx *store.Tx) error {
					tx.AfterCommit(func() { mu.Lock(); hooks[i] = true; mu.Unlock() })
					name := "u" + strconv.Itoa(i)
					if _, err := tx.Exec(ctx, "INSERT INTO accounts (id, username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", name, name, "admin", "x", 1, 1); err != nil {
						return err
					}
					switch i % 3 {
					case 1:
						return errors.New("refused " + name)
					case 2:
						if i%6 == 2 {
							panic("bug in " + name)
						}
						// A duplicate: a constraint error undoes only this caller's work.
						_, err := tx.Exec(ctx, "INSERT INTO accounts (id, username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", name+"b", name, "admin", "x", 1, 1)
						return err
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			switch {
			case i%3 == 0 && err != nil:
				t.Errorf("caller %d: %v", i, err)
			case i%3 == 1 && (err == nil || err.Error() != "refused u"+strconv.Itoa(i)):
				t.Errorf("caller %d: %v, want its own error", i, err)
			case i%6 == 2 && (err == nil || !strings.Contains(err.Error(), "panic")):
				t.Errorf("caller %d: %v, want a panic error", i, err)
			case i%6 == 5 && !errors.Is(err, store.ErrConflict):
				t.Errorf("caller %d: %v, want ErrConflict", i, err)
			}
		}
		rows, err := db.Query(ctx, "SELECT id FROM accounts")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			got[id] = true
		}
		rows.Close()
		for i := range 120 {
			name := "u" + strconv.Itoa(i)
			if got[name] != (i%3 == 0) {
				t.Errorf("%s committed = %v", name, got[name])
			}
			if hooks[i] != (i%3 == 0) {
				t.Errorf("caller %d: AfterCommit ran = %v", i, hooks[i])
			}
		}
		if len(got) != 40 {
			t.Errorf("%d rows, want 40", len(got))
		}
	})
}

func TestCancelledBeforeRunning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ran := false
		err := db.Tx(ctx, func(tx *store.Tx) error { ran = true; return nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Fatalf("Tx with a cancelled context: %v, ran %v", err, ran)
		}
	})
}
