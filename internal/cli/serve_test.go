package cli_test

import (
	"bytes"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/app"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// TestServePostgres runs the kill test on PostgreSQL: `vigil serve --db
// postgres://...` serves, takes writes, survives three SIGKILLs, and then
// its database and log reconcile and verify.
func TestServePostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	data := t.TempDir()
	token := newOfficer(t, "--data", data, "--db", dsn)
	killCycles(t, 3, data, dsn, token, "--db", dsn)
	if _, err := os.Stat(app.DBPath(data)); err == nil {
		t.Errorf("with --db postgres://..., vigil made a SQLite database %s too", app.DBPath(data))
	}
}

// TestServeDefaults checks what `vigil serve` makes of a new data directory
// without --db, and that SIGTERM stops it gracefully: requests in flight
// finish, and what they were acknowledged reaches the log before it exits.
func TestServeDefaults(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data") // vigil makes it
	token := newOfficer(t, "--data", data)
	s := startServer(t, "--data", data)
	v := verifier(t, data)

	// --addr 127.0.0.1:0 prints the port it got.
	if u, err := url.Parse(s.url); err != nil || u.Port() == "" || u.Port() == "0" {
		t.Errorf("vigil serve --addr 127.0.0.1:0 says it listens on %q", s.url)
	}
	// SQLite in the data directory; private files private.
	if _, err := os.Stat(filepath.Join(data, "vigil.db")); err != nil {
		t.Errorf("no SQLite database in the data directory: %v", err)
	}
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{
		{data, 0o700},
		{filepath.Join(data, "keys"), 0o700},
		{filepath.Join(data, "keys", "log.key"), 0o600},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Error(err)
			continue
		}
		if fi.Mode().Perm() != c.mode {
			t.Errorf("%s has mode %v, want %v", c.path, fi.Mode().Perm(), c.mode)
		}
	}

	l := startLoad(s.url, token, 8)
	time.Sleep(300 * time.Millisecond)

	// One request is certainly in flight at SIGTERM: its body arrives in two
	// halves, the second well after the signal.
	body := `{"title": "Slow", "kind": "notified", "starts": "2030-05-01T10:00:00Z", "ends": "2030-05-01T14:00:00Z", "expected_size": 250}`
	pr, pw := io.Pipe()
	type result struct {
		event int64
		ok    bool
	}
	slow := make(chan result, 1)
	go func() {
		ev, ok := l.post("Slow", pr)
		slow <- result{ev, ok}
	}()
	if _, err := io.WriteString(pw, body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	signalled := time.Now()
	exit := make(chan int, 1)
	go func() { exit <- s.terminate() }()
	time.Sleep(300 * time.Millisecond)
	if _, err := io.WriteString(pw, body[len(body)/2:]); err != nil {
		t.Fatalf("the server stopped reading a request in flight: %v", err)
	}
	pw.Close()
	r := <-slow
	code := <-exit
	acked, unexpected := l.finish()
	if code != 0 {
		t.Errorf("vigil serve exited %d after SIGTERM, want 0\n%s", code, s.output())
	}
	if !r.ok || r.event == 0 {
		t.Fatalf("the request in flight at SIGTERM was not acknowledged (answered: %v); unexpected answers: %q\n%s", r.ok, unexpected, s.output())
	}
	if len(unexpected) > 0 {
		t.Errorf("%d answers were neither 201 nor a broken connection; the first: %s", len(unexpected), unexpected[0])
	}
	acked = append(acked, r.event)
	t.Logf("%d events acknowledged; the last request finished %v after SIGTERM", len(acked), time.Since(signalled).Round(time.Millisecond))
	errs, _ := os.ReadFile(s.stderr.Name())
	if !strings.Contains(string(errs), "stopped cleanly") {
		t.Errorf("vigil serve did not report a clean stop:\n%s", errs)
	}

	// A graceful stop leaves nothing on its way to the log.
	out := mustCLI(t, "oversight", "reconcile", "--data", data)
	if !strings.Contains(out, "Events on their way to the log: 0\n") || !strings.Contains(out, "OK: the database and the log agree.") {
		t.Errorf("after a graceful stop, vigil oversight reconcile says:\n%s", out)
	}
	out = mustCLI(t, "verify", "--data", data, "--event", strconv.FormatInt(r.event, 10))
	if !strings.Contains(out, "with a valid inclusion proof") {
		t.Errorf("vigil verify --event %d:\n%s", r.event, out)
	}

	s = startServer(t, "--data", data)
	checkFinal(t, s, app.DBPath(data), v, acked)
	if code := s.terminate(); code != 0 {
		t.Errorf("vigil serve exited %d after SIGTERM, want 0\n%s", code, s.output())
	}
}

// TestProofEntryAsLogged checks that GET /api/events/{id}/proof gives the
// entry exactly as logged, as ledger.Proof documents, so that anyone can
// hash it to the leaf.
func TestProofEntryAsLogged(t *testing.T) {
	data := t.TempDir()
	token := newOfficer(t, "--data", data)
	s := startServer(t, "--data", data)
	v := verifier(t, data)
	l := startLoad(s.url, token, 0)
	ev, ok := l.post("One", nil)
	if !ok || ev == 0 {
		t.Fatalf("POST /api/assemblies was not acknowledged: %q", l.unexpected)
	}
	p := waitProofs(t, s.url, v, []int64{ev})[ev]
	lv := readLog(t, s.url, v)
	if logged := lv.entries[lv.index[ev]]; !bytes.Equal(p.Entry, logged) {
		t.Errorf("the API's entry is not the logged one:\n%q\n%q", p.Entry, logged)
	}
	if code := s.terminate(); code != 0 {
		t.Errorf("vigil serve exited %d after SIGTERM, want 0", code)
	}
}
