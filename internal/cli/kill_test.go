package cli_test

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/app"
)

// TestKillServeUnderLoad kills `vigil serve` (SQLite) with SIGKILL twenty
// times while writes stream in, then starts it once more and checks that
// every acknowledged write reached the log exactly once, with valid proofs,
// and that the log only ever grew.
func TestKillServeUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a server twenty times; skipped with -short")
	}
	data := t.TempDir()
	token := newOfficer(t, "--data", data)
	killCycles(t, 20, data, app.DBPath(data), token)
}

// killCycles runs the kill test: cycles times, start a server with
// --data data and extra args, post assemblies from 8 goroutines, and kill
// it with SIGKILL after 150 to 600ms. Then start it once more and check.
func killCycles(t *testing.T, cycles int, data, dsn, token string, extra ...string) {
	args := append([]string{"--data", data}, extra...)
	var v note.Verifier // the first serve makes the log's key
	var acked []int64
	var first *log.Checkpoint
	for cycle := 1; cycle <= cycles; cycle++ {
		s := startServer(t, args...)
		if v == nil {
			v = verifier(t, data)
		}
		l := startLoad(s.url, token, 8)
		time.Sleep(time.Duration(150+rand.IntN(451)) * time.Millisecond)
		s.kill()
		got, unexpected := l.finish()
		if len(unexpected) > 0 {
			t.Errorf("cycle %d: %d answers were neither 201 nor a broken connection; the first: %s", cycle, len(unexpected), unexpected[0])
		}
		t.Logf("cycle %2d: %3d events acknowledged before SIGKILL", cycle, len(got))
		acked = append(acked, got...)
		if first == nil {
			// What an outsider saw of the log before the crashes: later logs
			// must extend it.
			if cp := diskCheckpoint(t, filepath.Join(data, "log"), v); cp.Size > 0 {
				first = cp
			}
		}
	}
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged")
	}
	if first == nil {
		t.Fatal("no checkpoint with entries was published during the kill cycles")
	}
	t.Logf("%d events acknowledged in %d cycles; the first checkpoint after a kill covered %d entries", len(acked), cycles, first.Size)

	s := startServer(t, args...)
	checkFinal(t, s, dsn, v, acked, first)
	if code := s.terminate(); code != 0 {
		t.Errorf("vigil serve exited %d after SIGTERM, want 0\n%s", code, s.output())
	}
	if out := s.stdout.String(); !strings.Contains(out, "Vigil is listening on http://127.0.0.1:") {
		t.Errorf("vigil serve's output does not say where it listens:\n%s", out)
	}

	storeArgs := append([]string{"--data", data}, extra...)
	out := mustCLI(t, append([]string{"oversight", "reconcile"}, storeArgs...)...)
	if !strings.Contains(out, "OK: the database and the log agree.") || !strings.Contains(out, "Events on their way to the log: 0\n") {
		t.Errorf("vigil oversight reconcile:\n%s", out)
	}
	out = mustCLI(t, "verify", "--data", data)
	if !strings.HasPrefix(out, "OK: the log ") {
		t.Errorf("vigil verify:\n%s", out)
	}
}
