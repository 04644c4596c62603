package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashEnv) != "" {
		os.Exit(crashChild())
	}
	ledger.QuietTessera(slog.Default().Handler())
	os.Exit(storetest.Main(m))
}

var testKind = ledger.Kind{Name: "test.thing_done", Facts: []string{"thing", "count", "at", "tags"}, Private: []string{"name", "phone"}}

// env is a database, a log and a writer in a temporary directory.
type env struct {
	t      testing.TB
	db     *store.DB
	dir    string
	keys   ledger.Keys
	outbox *ledger.Outbox
	log    *ledger.Log
	writer *ledger.Writer
}

func newEnv(t testing.TB, db *store.DB, hooks ledger.Hooks) *env {
	t.Helper()
	dir := t.TempDir()
	keys, _, err := ledger.LoadOrCreateKeys(filepath.Join(dir, "keys"), "vigil.test/log")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, dir: dir, keys: keys, outbox: ledger.NewOutbox()}
	e.open(hooks)
	return e
}

func (e *env) open(hooks ledger.Hooks) {
	e.t.Helper()
	l, err := ledger.OpenLog(context.Background(), ledger.LogConfig{Dir: e.logDir(), Keys: e.keys, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	e.log = l
	e.writer = ledger.NewWriter(e.db, l, e.outbox, ledger.WriterConfig{Hooks: hooks})
	e.t.Cleanup(func() { e.close() })
}

func (e *env) close() {
	if e.log != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.log.Close(ctx)
		e.log = nil
	}
}

func (e *env) logDir() string { return filepath.Join(e.dir, "log") }

// record commits n events and returns their IDs.
func (e *env) record(n int) []int64 {
	e.t.Helper()
	var ids []int64
	ctx := context.Background()
	for i := range n {
		err := e.db.Tx(ctx, func(tx *store.Tx) error {
			id, err := e.outbox.Record(ctx, tx, ledger.Event{
				Kind:    testKind,
				Actor:   ledger.Actor{Account: "acc_test", Role: "officer"},
				Facts:   map[string]any{"thing": fmt.Sprintf("t%d", i), "count": i},
				Private: map[string]string{"name": "Someone Private"},
			})
			ids = append(ids, id)
			return err
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return ids
}

// published waits until a published checkpoint covers size entries.
func (e *env) published(size uint64) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		raw, err := e.log.Reader().ReadCheckpoint(context.Background())
		if err == nil {
			cp, err := ledger.ParseCheckpoint(raw, e.keys.Verifier)
			if err != nil {
				e.t.Fatal(err)
			}
			if cp.Size >= size {
				return
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no checkpoint covers %d entries after 10s", size)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// check verifies the log from its directory and reconciles it with the
// database, failing the test on any problem.
func (e *env) check(wantSize uint64) {
	e.t.Helper()
	ctx := context.Background()
	src, err := ledger.OpenSource(e.logDir())
	if err != nil {
		e.t.Fatal(err)
	}
	v, err := ledger.Verify(ctx, src, ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey})
	if err != nil {
		e.t.Fatalf("verify: %v", err)
	}
	if v.Checkpoint.Size != wantSize {
		e.t.Fatalf("log size %d, want %d", v.Checkpoint.Size, wantSize)
	}
	rep, err := ledger.Reconcile(ctx, e.db, src, e.keys.Verifier)
	if err != nil {
		e.t.Fatal(err)
	}
	if !rep.OK() || rep.Pending != 0 || rep.Events != int64(wantSize) {
		e.t.Fatalf("reconcile: events %d pending %d discrepancies %+v", rep.Events, rep.Pending, rep.Discrepancies)
	}
	// Every event has its own index, in ID order, with no gaps.
	rows, err := e.db.Query(ctx, "SELECT log_index FROM events ORDER BY id")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	want := int64(0)
	for rows.Next() {
		var idx *int64
		if err := rows.Scan(&idx); err != nil {
			e.t.Fatal(err)
		}
		if idx == nil || *idx != want {
			e.t.Fatalf("event %d has log index %v, want %d", want+1, idx, want)
		}
		want++
	}
}

func TestRecordRefusesPersonalData(t *testing.T) {
	db := storetest.SQLite(t)
	o := ledger.NewOutbox()
	ctx := context.Background()
	for name, ev := range map[string]ledger.Event{
		"undeclared fact":       {Kind: testKind, Actor: ledger.System, Facts: map[string]any{"name": "x"}},
		"free text":             {Kind: testKind, Actor: ledger.System, Facts: map[string]any{"thing": "Amina Haddad"}},
		"e-mail":                {Kind: testKind, Actor: ledger.System, Facts: map[string]any{"thing": "amina@example.org"}},
		"phone":                 {Kind: testKind, Actor: ledger.System, Facts: map[string]any{"thing": "+447700900123"}},
		"imei in list":          {Kind: testKind, Actor: ledger.System, Facts: map[string]any{"tags": []string{"ok", "356938035643809"}}},
		"map value":             {Kind: testKind, Actor: ledger.System, Facts: map[string]any{"thing": map[string]string{"a": "b"}}},
		"undeclared private":    {Kind: testKind, Actor: ledger.System, Private: map[string]string{"address": "1 Road"}},
		"bad role":              {Kind: testKind, Actor: ledger.Actor{Role: "Chief Inspector Jones"}},
		"bad kind":              {Kind: ledger.Kind{Name: "Thing Done"}, Actor: ledger.System},
		"reserved private name": {Kind: ledger.Kind{Name: "test.x", Private: []string{"actor"}}, Actor: ledger.System, Private: map[string]string{"actor": "x"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				_, err := o.Record(ctx, tx, ev)
				return err
			})
			if !errors.Is(err, ledger.ErrInvalidEvent) {
				t.Fatalf("Record: %v, want ErrInvalidEvent", err)
			}
		})
	}
	var n int
	db.QueryRow(ctx, "SELECT COUNT(*) FROM events").Scan(&n)
	if n != 0 {
		t.Fatalf("%d events written by refused records", n)
	}
}

func TestEntryHoldsCommitmentsNotValues(t *testing.T) {
	db := storetest.SQLite(t)
	o := ledger.NewOutbox()
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var id int64
	err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		id, err = o.Record(ctx, tx, ledger.Event{
			Kind:    testKind,
			Actor:   ledger.Actor{Account: "acc_secretaccount", Role: "officer"},
			Facts:   map[string]any{"thing": "asm_x", "count": 3, "at": at},
			Private: map[string]string{"name": "Amina Haddad", "phone": "+44 7700 900123"},
			Time:    at.Add(time.Minute),
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ledger.Get(ctx, db, id)
	if err != nil {
		t.Fatal(err)
	}
	entry := string(ev.Entry)
	for _, secret := range []string{"Amina", "Haddad", "7700", "acc_secretaccount"} {
		if strings.Contains(entry, secret) {
			t.Errorf("entry %s holds %q", entry, secret)
		}
	}
	en, err := ledger.ParseEntry(ev.Entry)
	if err != nil {
		t.Fatal(err)
	}
	if en.Seq != id || en.Type != testKind.Name || en.Role != "officer" || en.Time != "2026-11-23T10:01:00.000Z" {
		t.Fatalf("entry = %+v", en)
	}
	if en.Facts["at"] != "2026-11-23T10:00:00.000Z" || en.Facts["thing"] != "asm_x" {
		t.Fatalf("facts = %v", en.Facts)
	}
	for _, k := range []string{"name", "phone", "actor"} {
		if len(en.Commit[k]) != 64 {
			t.Errorf("commitment for %q = %q", k, en.Commit[k])
		}
	}
	// The opening kept privately reproduces the commitment; a wrong value does not.
	var openings string
	db.QueryRow(ctx, "SELECT openings FROM events WHERE id = ?", id).Scan(&openings)
	ok, err := ledger.Open(openings, en, "name", "Amina Haddad")
	if err != nil || !ok {
		t.Fatalf("Open(right value) = %v, %v", ok, err)
	}
	ok, _ = ledger.Open(openings, en, "name", "Someone Else")
	if ok {
		t.Fatal("Open(wrong value) = true")
	}
}

func TestWriterAppendsInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, ledger.Hooks{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.writer.Run(ctx) }()
		e.record(600) // more than two entry bundles
		e.published(600)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
		e.check(600)
	})
}

// TestCrashBetweenCommitAndAppend fails the writer after it has read a
// batch and before it appends: nothing reaches the log, and a new writer
// appends it all once.
func TestCrashBetweenCommitAndAppend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		boom := errors.New("crash before append")
		e := newEnv(t, db, ledger.Hooks{BeforeAppend: func([]int64) error { return boom }})
		e.record(10)
		if _, err := e.writer.Step(context.Background()); !errors.Is(err, boom) {
			t.Fatalf("Step = %v", err)
		}
		e.close()
		e.open(ledger.Hooks{})
		if err := e.writer.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.published(10)
		e.check(10)
	})
}

// TestCrashBetweenAppendAndRecord fails the writer after the log took a
// batch and before the database recorded it: a new writer finds the
// entries, checks they are the events waiting, records them, and appends
// nothing twice.
func TestCrashBetweenAppendAndRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		boom := errors.New("crash after append")
		e := newEnv(t, db, ledger.Hooks{AfterAppend: func([]int64) error { return boom }})
		e.record(300)
		if _, err := e.writer.Step(context.Background()); !errors.Is(err, boom) {
			t.Fatalf("Step = %v", err)
		}
		var unrecorded int
		db.QueryRow(context.Background(), "SELECT COUNT(*) FROM events WHERE log_index IS NULL").Scan(&unrecorded)
		if unrecorded != 300 {
			t.Fatalf("%d events unrecorded after the crash, want 300", unrecorded)
		}
		e.close()
		e.open(ledger.Hooks{})
		n, err := e.writer.Recover(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n != 300 {
			t.Fatalf("Recover adopted %d entries, want 300", n)
		}
		more := e.record(5)
		if err := e.writer.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.published(305)
		e.check(305)
		if more[0] != 301 {
			t.Fatalf("first new event is %d", more[0])
		}
	})
}

// TestRecoverRefusesAForeignLog: if the log holds entries that are not the
// events waiting, the writer stops rather than guess.
func TestRecoverRefusesAForeignLog(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db, ledger.Hooks{})
	e.record(3)
	if err := e.writer.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.close()
	// A second database that never wrote those entries.
	other := storetest.SQLite(t)
	e.db = other
	e.record(3)
	e.open(ledger.Hooks{})
	if _, err := e.writer.Recover(context.Background()); !errors.Is(err, ledger.ErrDiverged) {
		t.Fatalf("Recover = %v, want ErrDiverged", err)
	}
	// And a log shorter than the database says is refused too.
	e.close()
	fresh := newEnv(t, db, ledger.Hooks{})
	if _, err := fresh.writer.Recover(context.Background()); !errors.Is(err, ledger.ErrDiverged) {
		t.Fatalf("Recover on an empty log = %v, want ErrDiverged", err)
	}
}

func TestOnlyOneWriter(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db, ledger.Hooks{})
	_, err := ledger.OpenLog(context.Background(), ledger.LogConfig{Dir: e.logDir(), Keys: e.keys})
	if !errors.Is(err, ledger.ErrLogBusy) {
		t.Fatalf("second OpenLog = %v, want ErrLogBusy", err)
	}
}

func TestReconcileFindsSkippedEvent(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db, ledger.Hooks{})
	e.record(3)
	if err := e.writer.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.published(3)
	// An event that committed before the logged ones but never reached the
	// log: only a broken writer could leave this.
	if _, err := db.Exec(context.Background(), "INSERT INTO events (id, type, occurred_at, actor_role, entry, content_hash, openings) VALUES (0, 'test.x', 0, 'system', x'00', x'00', '{}')"); err != nil {
		t.Fatal(err)
	}
	src, _ := ledger.OpenSource(e.logDir())
	rep, err := ledger.Reconcile(context.Background(), db, src, e.keys.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Discrepancies) != 1 || rep.Discrepancies[0].Kind != ledger.Skipped || rep.Discrepancies[0].Event != 0 {
		t.Fatalf("discrepancies = %+v", rep.Discrepancies)
	}
}

func TestParseEntryIsStrict(t *testing.T) {
	good := `{"v":1,"seq":5,"type":"account.created","time":"2026-11-23T10:00:00.000Z","role":"admin","facts":{"n":3,"role":"officer","tags":["a","b"]},"commit":{"account":"` + strings.Repeat("ab", 32) + `"}}`
	if _, err := ledger.ParseEntry([]byte(good)); err != nil {
		t.Fatalf("good entry refused: %v", err)
	}
	for name, bad := range map[string]string{
		"re-cased key":   strings.Replace(good, `"seq"`, `"SEQ"`, 1),
		"repeated key":   strings.Replace(good, `"v":1,`, `"v":1,"v":1,`, 1),
		"spacing":        strings.Replace(good, `"v":1,`, `"v": 1,`, 1),
		"no role":        strings.Replace(good, `"role":"admin",`, ``, 1),
		"role free text": strings.Replace(good, `"role":"admin"`, `"role":"Chief Inspector Jones"`, 1),
		"fact free text": strings.Replace(good, `"role":"officer"`, `"role":"Amina Haddad"`, 1),
		"fact object":    strings.Replace(good, `"n":3`, `"n":{"a":1}`, 1),
		"fact null":      strings.Replace(good, `"n":3`, `"n":null`, 1),
		"fact phone":     strings.Replace(good, `"role":"officer"`, `"role":"447700900123"`, 1),
		"commit not hex": strings.Replace(good, strings.Repeat("ab", 32), strings.Repeat("zz", 32), 1),
		"commit short":   strings.Replace(good, strings.Repeat("ab", 32), "abcd", 1),
		"time not UTC":   strings.Replace(good, `10:00:00.000Z`, `10:00:00.000+01:00`, 1),
		"time no millis": strings.Replace(good, `10:00:00.000Z`, `10:00:00Z`, 1),
		"version":        strings.Replace(good, `"v":1`, `"v":2`, 1),
		"seq zero":       strings.Replace(good, `"seq":5`, `"seq":0`, 1),
		"unknown field":  strings.Replace(good, `"v":1,`, `"v":1,"x":1,`, 1),
		"trailing":       good + ` {}`,
	} {
		if _, err := ledger.ParseEntry([]byte(bad)); err == nil {
			t.Errorf("%s: accepted %s", name, bad)
		}
	}
}

// shortBundles serves every entry bundle cut to its first entry, as a
// broken or hostile log server might.
type shortBundles struct{ ledger.Source }

func (s shortBundles) ReadEntryBundle(ctx context.Context, i uint64, p uint8) ([]byte, error) {
	b, err := s.Source.ReadEntryBundle(ctx, i, p)
	if err != nil || len(b) < 2 {
		return b, err
	}
	n := int(b[0])<<8 | int(b[1])
	return b[:2+n], nil
}

func TestShortBundleIsAnErrorNotAPanic(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db, ledger.Hooks{})
	ids := e.record(4)
	if err := e.writer.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.published(4)
	src := shortBundles{e.log.Reader()}
	if _, err := ledger.Prove(context.Background(), db, src, e.keys.Verifier, ids[3]); err == nil {
		t.Fatal("Prove accepted a bundle too short to hold the entry")
	}
}

// TestOneWriterPerDatabase: a second writer on the same database, even
// with a log of its own, is refused: by the database lock on PostgreSQL,
// and by the log binding everywhere.
func TestOneWriterPerDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newEnv(t, db, ledger.Hooks{})
		a.record(2)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- a.writer.Run(ctx) }()
		a.published(2)

		b := newEnv(t, db, ledger.Hooks{}) // another data directory: another key, another log
		err := b.writer.Run(context.Background())
		if db.Kind() == store.Postgres && !errors.Is(err, ledger.ErrLogBusy) {
			t.Fatalf("second writer on PostgreSQL: %v, want ErrLogBusy", err)
		}
		if db.Kind() == store.SQLite && !errors.Is(err, ledger.ErrDiverged) {
			t.Fatalf("second writer on SQLite: %v, want ErrDiverged", err)
		}
		cancel()
		<-done
		if _, err := b.writer.Recover(context.Background()); !errors.Is(err, ledger.ErrDiverged) || !strings.Contains(err.Error(), "belong to the log") {
			t.Fatalf("a database bound to another log: %v", err)
		}
	})
}

func TestDigestFacts(t *testing.T) {
	db := storetest.SQLite(t)
	o := ledger.NewOutbox()
	ctx := context.Background()
	kind := ledger.Kind{Name: "test.decided", Facts: []string{"pack", "packs"}}
	d := ledger.Digest("sha256:" + strings.Repeat("1234567890", 6) + "abcd")
	var id int64
	err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		id, err = o.Record(ctx, tx, ledger.Event{Kind: kind, Actor: ledger.System, Facts: map[string]any{"pack": d, "packs": []ledger.Digest{d, d}}})
		return err
	})
	if err != nil {
		t.Fatalf("a digest with long digit runs was refused: %v", err)
	}
	ev, _ := ledger.Get(ctx, db, id)
	if _, err := ledger.ParseEntry(ev.Entry); err != nil {
		t.Fatalf("entry with a digest does not parse: %v", err)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		_, err := o.Record(ctx, tx, ledger.Event{Kind: kind, Actor: ledger.System, Facts: map[string]any{"pack": ledger.Digest("sha256:447700900123")}})
		return err
	})
	if !errors.Is(err, ledger.ErrInvalidEvent) {
		t.Fatalf("a malformed digest: %v", err)
	}
}

// TestEveryValidEventParses: whatever Record accepts, ParseEntry accepts,
// so that verify never fails on a log Vigil wrote itself.
func TestEveryValidEventParses(t *testing.T) {
	db := storetest.SQLite(t)
	o := ledger.NewOutbox()
	ctx := context.Background()
	kind := ledger.Kind{Name: "test.shapes", Facts: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}}
	var nilList []string
	var nilDigests []ledger.Digest
	facts := map[string]any{"a": nilList, "b": []string{}, "c": nilDigests, "d": "", "e": 0, "f": false, "g": time.Time{}, "h": uint64(1 << 40), "i": 2.5}
	var id int64
	if err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		id, err = o.Record(ctx, tx, ledger.Event{Kind: kind, Actor: ledger.System, Facts: facts})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ev, _ := ledger.Get(ctx, db, id)
	if _, err := ledger.ParseEntry(ev.Entry); err != nil {
		t.Fatalf("Record wrote an entry ParseEntry refuses: %v\n%s", err, ev.Entry)
	}
}
