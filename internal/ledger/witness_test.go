package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
	"github.com/vigil-project/vigil/internal/witness"
)

// testWitness is a real witness (internal/witness) on a database of its
// own, over HTTP, that a test can take down and bring back.
type testWitness struct {
	key    witness.Key
	states *witness.States
	ts     *httptest.Server
	down   atomic.Bool
}

func startTestWitness(t *testing.T, kind store.Kind, logs ...note.Verifier) *testWitness {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t, kind))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key, _, err := witness.LoadOrCreateKey(t.TempDir(), "witness.test/w")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := witness.New(db, witness.Config{Key: key, Logs: logs, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	w := &testWitness{key: key, states: srv.States()}
	w.ts = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if w.down.Load() {
			http.Error(rw, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		srv.Handler().ServeHTTP(rw, r)
	}))
	t.Cleanup(w.ts.Close)
	return w
}

// policy is a witness policy requiring this witness.
func (w *testWitness) policy() []byte {
	return fmt.Appendf(nil, "witness w %s %s\nquorum w\n", w.key.VerifierKey, w.ts.URL)
}

func (w *testWitness) cosignedSize(t *testing.T, origin string) uint64 {
	t.Helper()
	st, err := w.states.Get(context.Background(), origin)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size
}

// newKeyedEnv is an env whose log is not open yet: open it with openWith.
func newKeyedEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	dir := t.TempDir()
	keys, _, err := ledger.LoadOrCreateKeys(filepath.Join(dir, "keys"), "vigil.test/log")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, dir: dir, keys: keys, outbox: ledger.NewOutbox()}
	t.Cleanup(e.close)
	return e
}

// openWith opens the env's log with cfg (its directory and keys filled
// in) and a writer for it.
func (e *env) openWith(cfg ledger.LogConfig) {
	e.t.Helper()
	cfg.Dir, cfg.Keys, cfg.CheckpointInterval = e.logDir(), e.keys, 100*time.Millisecond
	l, err := ledger.OpenLog(context.Background(), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.log = l
	e.writer = ledger.NewWriter(e.db, l, e.outbox, ledger.WriterConfig{})
}

func (e *env) checkpoint() []byte {
	e.t.Helper()
	raw, err := e.log.Reader().ReadCheckpoint(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return raw
}

func mustPolicy(t *testing.T, text []byte) *witness.Policy {
	t.Helper()
	p, err := witness.ParsePolicy(text)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWitnessCosignsCheckpoints: with a witness policy, every checkpoint
// the log publishes carries the witness's cosignature, and the proofs
// built for exports are against that cosigned checkpoint.
func TestWitnessCosignsCheckpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newKeyedEnv(t, db)
		w := startTestWitness(t, db.Kind(), e.keys.Verifier)
		policy := mustPolicy(t, w.policy())

		// A log that was running before it had witnesses: its checkpoints
		// carry none.
		e.openWith(ledger.LogConfig{})
		e.grow(3)
		if policy.Satisfied(e.checkpoint()) {
			t.Fatal("a checkpoint published without a witness policy is cosigned")
		}
		e.close()

		// With the policy, the next checkpoint is cosigned. The witness
		// had never seen the log: Tessera's client learns its size (409)
		// and sends the proof from there.
		e.openWith(ledger.LogConfig{WitnessPolicy: w.policy()})
		ids := e.grow(4)
		raw := e.checkpoint()
		r, err := policy.Check(raw)
		if err != nil {
			t.Fatalf("the published checkpoint does not meet the policy: %v\n%s", err, raw)
		}
		if len(r.Valid) != 1 || r.Valid[0].Name != "witness.test/w" || time.Since(r.Valid[0].Time) > time.Minute {
			t.Fatalf("cosignatures %+v", r.Valid)
		}
		cp, err := ledger.ParseCheckpoint(raw, e.keys.Verifier)
		if err != nil {
			t.Fatalf("the log's own key no longer verifies its cosigned checkpoint: %v", err)
		}
		if got := w.cosignedSize(t, e.keys.Origin()); got != cp.Size {
			t.Fatalf("the witness cosigned %d entries, the checkpoint has %d", got, cp.Size)
		}
		e.check(cp.Size)

		// An export's proofs are against the published, cosigned
		// checkpoint.
		proofs, cpNote, err := ledger.ProveAll(ctx, db, e.log.Reader(), e.keys.Verifier, ids)
		if err != nil {
			t.Fatal(err)
		}
		if !policy.Satisfied([]byte(cpNote)) || proofs[0].Checkpoint != cpNote {
			t.Fatalf("ProveAll's checkpoint is not cosigned:\n%s", cpNote)
		}

		// Across a restart, the log goes on being cosigned.
		e.close()
		e.openWith(ledger.LogConfig{WitnessPolicy: w.policy()})
		e.grow(5)
		raw = e.checkpoint()
		if _, err := policy.Check(raw); err != nil {
			t.Fatalf("after a restart: %v", err)
		}
		if cp, _ := ledger.ParseCheckpoint(raw, e.keys.Verifier); cp.Size != 12 || w.cosignedSize(t, e.keys.Origin()) != 12 {
			t.Fatalf("after a restart: checkpoint of %d, witness at %d; want 12", cp.Size, w.cosignedSize(t, e.keys.Origin()))
		}
	})
}

// TestWitnessDownFailsClosed: when the witness does not cosign, by
// default no new checkpoint is published (entries still go to the log)
// until it does.
func TestWitnessDownFailsClosed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newKeyedEnv(t, db)
		w := startTestWitness(t, db.Kind(), e.keys.Verifier)
		policy := mustPolicy(t, w.policy())
		e.openWith(ledger.LogConfig{WitnessPolicy: w.policy()})
		e.grow(2)

		w.down.Store(true)
		e.record(3)
		if err := e.writer.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // ten checkpoint intervals
		cp, err := ledger.ParseCheckpoint(e.checkpoint(), e.keys.Verifier)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Size != 2 {
			t.Fatalf("with the witness down, a checkpoint of %d entries was published; want it to stay at 2", cp.Size)
		}
		if n := e.writer.Stats().NextIndex; n != 5 {
			t.Fatalf("the log holds %d entries, want 5: the witness must not stop appending", n)
		}

		w.down.Store(false)
		e.published(5)
		if !policy.Satisfied(e.checkpoint()) {
			t.Fatal("the checkpoint published once the witness is back is not cosigned")
		}
	})
}

// TestWitnessDownFailOpen: with WitnessFailOpen, checkpoints are
// published without the cosignature of a witness that does not answer.
func TestWitnessDownFailOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newKeyedEnv(t, db)
		w := startTestWitness(t, db.Kind(), e.keys.Verifier)
		policy := mustPolicy(t, w.policy())
		e.openWith(ledger.LogConfig{WitnessPolicy: w.policy(), WitnessFailOpen: true, WitnessTimeout: time.Second})
		e.grow(2)
		if !policy.Satisfied(e.checkpoint()) {
			t.Fatal("not cosigned while the witness is up")
		}
		w.down.Store(true)
		e.grow(3)
		_, err := policy.Check(e.checkpoint())
		var pe *witness.PolicyError
		if !errors.As(err, &pe) || len(pe.Missing) != 1 || !strings.Contains(err.Error(), "witness.test/w") {
			t.Fatalf("a checkpoint published while the witness is down: %v; want it without the cosignature", err)
		}
		w.down.Store(false)
	})
}

// TestNewLogNeedsItsWitnesses: a new log's first checkpoint (of no
// entries) must be cosigned too, so its first opening fails while its
// witnesses are down (failing closed), and it has a checkpoint once they
// are back.
func TestNewLogNeedsItsWitnesses(t *testing.T) {
	db := storetest.SQLite(t)
	e := newKeyedEnv(t, db)
	w := startTestWitness(t, db.Kind(), e.keys.Verifier)
	w.down.Store(true)
	cfg := ledger.LogConfig{Dir: e.logDir(), Keys: e.keys, WitnessPolicy: w.policy(), WitnessTimeout: time.Second}
	if l, err := ledger.OpenLog(context.Background(), cfg); err == nil {
		l.Close(context.Background())
		t.Fatal("a new log opened with its only witness down")
	}
	w.down.Store(false)
	e.openWith(ledger.LogConfig{WitnessPolicy: w.policy()})
	e.published(0)
	if !mustPolicy(t, w.policy()).Satisfied(e.checkpoint()) {
		t.Fatal("the new log's first checkpoint is not cosigned")
	}
	e.grow(1)
}
