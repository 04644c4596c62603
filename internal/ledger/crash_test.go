package ledger_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

const crashEnv = "VIGIL_LEDGER_CRASH_AT"

// crashChild is the body of a child process that appends the waiting
// events and dies, with no clean-up, at the point crashEnv names.
func crashChild() int {
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv("VIGIL_LEDGER_CRASH_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir := os.Getenv("VIGIL_LEDGER_CRASH_DIR")
	keys, err := ledger.LoadKeys(filepath.Join(dir, "keys"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := ledger.OpenLog(ctx, ledger.LogConfig{Dir: filepath.Join(dir, "log"), Keys: keys})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	die := func([]int64) error { os.Exit(86); return nil }
	hooks := ledger.Hooks{}
	switch os.Getenv(crashEnv) {
	case "before-append":
		hooks.BeforeAppend = die
	case "after-append":
		hooks.AfterAppend = die
	}
	w := ledger.NewWriter(db, l, ledger.NewOutbox(), ledger.WriterConfig{Hooks: hooks})
	_, err = w.Step(ctx)
	fmt.Fprintln(os.Stderr, "child did not crash:", err)
	return 1
}

// TestRealCrash kills a real process at each crash point and checks that a
// new writer lands every committed event exactly once.
func TestRealCrash(t *testing.T) {
	for _, at := range []string{"before-append", "after-append"} {
		t.Run(at, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				e := newEnv(t, db, ledger.Hooks{})
				e.record(50)
				e.close() // the child needs the log's lock
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), crashEnv+"="+at, "VIGIL_LEDGER_CRASH_DIR="+e.dir, "VIGIL_LEDGER_CRASH_DB="+dsnOf(t, db))
				out, err := cmd.CombinedOutput()
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 86 {
					t.Fatalf("child: %v\n%s", err, out)
				}
				e.open(ledger.Hooks{})
				e.record(5)
				if err := e.writer.Flush(context.Background()); err != nil {
					t.Fatal(err)
				}
				e.published(55)
				e.check(55)
			})
		})
	}
}

func dsnOf(t *testing.T, db *store.DB) string { return db.DSN() }
