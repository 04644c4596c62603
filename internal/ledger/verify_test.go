package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// grow records n events, appends them to the log and waits until a
// published checkpoint covers the whole log. It returns the events' IDs.
func (e *env) grow(n int) []int64 {
	e.t.Helper()
	ids := e.record(n)
	if err := e.writer.Flush(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.published(e.writer.Stats().NextIndex)
	return ids
}

// sameKeys returns a second env, with a database and log of its own, whose
// log is signed with e's keys: what a forked log looks like.
func (e *env) sameKeys(t testing.TB, db *store.DB) *env {
	t.Helper()
	f := &env{t: t, db: db, dir: t.TempDir(), keys: e.keys, outbox: ledger.NewOutbox()}
	f.open(ledger.Hooks{})
	return f
}

// verifyDir verifies the log in dir as `vigil verify` would.
func verifyDir(t testing.TB, dir string, opts ledger.VerifyOptions) (*ledger.Verified, error) {
	t.Helper()
	src, err := ledger.OpenSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ledger.Verify(context.Background(), src, opts)
}

// mustVerify verifies the log in dir and fails the test if it does not.
func mustVerify(t testing.TB, dir string, opts ledger.VerifyOptions) *ledger.Verified {
	t.Helper()
	v, err := verifyDir(t, dir, opts)
	if err != nil {
		t.Fatalf("verify %s: %v", dir, err)
	}
	return v
}

// wantVerifyError checks that err is a *ledger.VerifyError of the given
// check whose message holds phrase.
func wantVerifyError(t testing.TB, err error, check, phrase string) {
	t.Helper()
	var ve *ledger.VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v (%T), want a *ledger.VerifyError", err, err)
	}
	if ve.Check != check {
		t.Errorf("Check = %q, want %q (error: %v)", ve.Check, check, err)
	}
	if !strings.Contains(err.Error(), phrase) {
		t.Errorf("error %q does not say %q", err, phrase)
	}
}

// copyDir copies the directory tree src into a new temporary directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "log")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dst
}

// edit rewrites the file at dir/name with f.
func edit(t testing.TB, dir, name string, f func([]byte) []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	before := bytes.Clone(b)
	b = f(b)
	if bytes.Equal(b, before) {
		t.Fatalf("edit of %s changed nothing", name)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// flipAt flips the low bit of the byte at offset i.
func flipAt(i int) func([]byte) []byte {
	return func(b []byte) []byte {
		b[i] ^= 0x01
		return b
	}
}

// otherHexDigit changes the n-th hex digit of the first commitment at or
// after byte offset from, keeping the entry well-formed JSON and a
// well-formed Vigil entry.
func otherHexDigit(from, n int) func([]byte) []byte {
	return func(b []byte) []byte {
		k := bytes.Index(b[from:], []byte(`"commit":{"actor":"`))
		if k < 0 {
			panic("no commitment after the offset")
		}
		i := from + k + len(`"commit":{"actor":"`) + n
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return b
	}
}

// logOf600 builds a log of 600 events on SQLite: two full entry bundles
// and tiles, a partial one of 88, and a partial level-1 tile of 2.
func logOf600(t *testing.T) (*env, []int64) {
	t.Helper()
	e := newEnv(t, storetest.SQLite(t), ledger.Hooks{})
	ids := e.grow(600)
	return e, ids
}

// The files a log of 600 entries must hold, and the ones the tests edit.
const (
	fullTile      = "tile/0/001"
	partialTile   = "tile/0/002.p/88"
	level1Tile    = "tile/1/000.p/2"
	fullBundle    = "tile/entries/001"
	partialBundle = "tile/entries/002.p/88"
)

func TestVerifyLog(t *testing.T) {
	e, ids := logOf600(t)
	for _, p := range []string{"tile/0/000", fullTile, partialTile, level1Tile, "tile/entries/000", fullBundle, partialBundle} {
		if _, err := os.Stat(filepath.Join(e.logDir(), p)); err != nil {
			t.Fatalf("the log lacks %s, which the tests below rely on: %v", p, err)
		}
	}
	ctx := context.Background()
	v := mustVerify(t, e.logDir(), ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey})
	if v.Checkpoint.Size != 600 || v.Checkpoint.Origin != "vigil.test/log" || v.PreviousSize != 0 {
		t.Fatalf("Verified = size %d origin %q previous %d", v.Checkpoint.Size, v.Checkpoint.Origin, v.PreviousSize)
	}
	raw, err := os.ReadFile(filepath.Join(e.logDir(), "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v.Raw, raw) {
		t.Fatalf("Verified.Raw = %q, the checkpoint file holds %q", v.Raw, raw)
	}

	for _, id := range []int64{ids[0], ids[255], ids[256], ids[511], ids[512], ids[599]} {
		ev, err := ledger.Get(ctx, e.db, id)
		if err != nil {
			t.Fatal(err)
		}
		v := mustVerify(t, e.logDir(), ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey, Event: id})
		if v.EventIndex != uint64(*ev.LogIndex) {
			t.Errorf("event %d: EventIndex = %d, the database records %d", id, v.EventIndex, *ev.LogIndex)
		}
	}

	_, err = verifyDir(t, e.logDir(), ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey, Event: ids[599] + 1})
	wantVerifyError(t, err, "event", "is not in the log's 600 entries")
}

func TestVerifyEmptyLog(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), ledger.Hooks{})
	e.published(0)
	v := mustVerify(t, e.logDir(), ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey})
	if v.Checkpoint.Size != 0 || !bytes.Equal(v.Checkpoint.Hash, rfc6962.DefaultHasher.EmptyRoot()) {
		t.Fatalf("empty log: size %d root %x", v.Checkpoint.Size, v.Checkpoint.Hash)
	}
	// The empty log is a fine start for the next run.
	e.grow(3)
	v = mustVerify(t, e.logDir(), ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey, Previous: v.Raw})
	if v.Checkpoint.Size != 3 || v.PreviousSize != 0 {
		t.Fatalf("size %d, previous %d", v.Checkpoint.Size, v.PreviousSize)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	e, _ := logOf600(t)
	e.close() // nothing writes while the copies are taken
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, dir string)
		check  string
		phrase string
	}{
		{
			name:   "byte in a full tile",
			tamper: func(t *testing.T, dir string) { edit(t, dir, fullTile, flipAt(32*7+5)) },
			check:  "tiles",
			phrase: "tile tile/0/001 does not match the entries (hash 7 differs)",
		},
		{
			name:   "byte in a partial tile",
			tamper: func(t *testing.T, dir string) { edit(t, dir, partialTile, flipAt(32*87)) },
			check:  "tiles",
			phrase: "tile tile/0/002.p/88 does not match the entries (hash 87 differs)",
		},
		{
			name:   "byte in the level-1 tile",
			tamper: func(t *testing.T, dir string) { edit(t, dir, level1Tile, flipAt(32+31)) },
			check:  "tiles",
			phrase: "tile tile/1/000.p/2 does not match the entries (hash 1 differs)",
		},
		{
			name: "hash missing from a tile",
			tamper: func(t *testing.T, dir string) {
				edit(t, dir, partialTile, func(b []byte) []byte { return b[:len(b)-32] })
			},
			check:  "tiles",
			phrase: "tile tile/0/002.p/88 holds 87 hashes, the checkpoint implies 88",
		},
		{
			name:   "tile cut short",
			tamper: func(t *testing.T, dir string) { edit(t, dir, fullTile, func(b []byte) []byte { return b[:len(b)-1] }) },
			check:  "tiles",
			phrase: "tile tile/0/001 is malformed",
		},
		{
			name:   "full tile removed",
			tamper: func(t *testing.T, dir string) { remove(t, dir, "tile/0/000") },
			check:  "tiles",
			phrase: "tile tile/0/000 is missing",
		},
		{
			name:   "partial tile removed",
			tamper: func(t *testing.T, dir string) { remove(t, dir, partialTile) },
			check:  "tiles",
			phrase: "tile tile/0/002.p/88 is missing",
		},
		{
			name:   "commitment digit in a full entry bundle",
			tamper: func(t *testing.T, dir string) { edit(t, dir, fullBundle, otherHexDigit(1000, 17)) },
			check:  "entries",
			phrase: "the 600 entries do not hash to the root in the signed checkpoint",
		},
		{
			name:   "commitment digit in a partial entry bundle",
			tamper: func(t *testing.T, dir string) { edit(t, dir, partialBundle, otherHexDigit(0, 0)) },
			check:  "entries",
			phrase: "the 600 entries do not hash to the root in the signed checkpoint",
		},
		{
			name: "entry version changed",
			tamper: func(t *testing.T, dir string) {
				edit(t, dir, fullBundle, func(b []byte) []byte { return bytes.Replace(b, []byte(`{"v":1,`), []byte(`{"v":2,`), 1) })
			},
			check:  "entries",
			phrase: "entry 256 is not a well-formed Vigil event",
		},
		{
			name:   "entry length prefix changed",
			tamper: func(t *testing.T, dir string) { edit(t, dir, "tile/entries/000", flipAt(0)) },
			check:  "entries",
			phrase: "cannot read entry bundle 0",
		},
		{
			name: "entry removed from a bundle",
			tamper: func(t *testing.T, dir string) {
				edit(t, dir, partialBundle, func(b []byte) []byte {
					n := int(b[0])<<8 | int(b[1])
					return b[2+n:] // drop the first entry and its length
				})
			},
			check:  "entries",
			phrase: "entry bundle 2 holds 87 entries, the checkpoint implies 88",
		},
		{
			name:   "entry bundle removed",
			tamper: func(t *testing.T, dir string) { remove(t, dir, fullBundle) },
			check:  "entries",
			phrase: "cannot read entry bundle 1",
		},
		{
			name:   "checkpoint signature",
			tamper: func(t *testing.T, dir string) { edit(t, dir, "checkpoint", otherSignatureByte) },
			check:  "checkpoint",
			phrase: `the checkpoint is not signed by the key for "vigil.test/log": it was altered, or this is another log`,
		},
		{
			name: "checkpoint size",
			tamper: func(t *testing.T, dir string) {
				edit(t, dir, "checkpoint", func(b []byte) []byte { return bytes.Replace(b, []byte("\n600\n"), []byte("\n599\n"), 1) })
			},
			check:  "checkpoint",
			phrase: "the checkpoint is not signed by the key",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, e.logDir())
			mustVerify(t, dir, ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey}) // the copy is sound
			tc.tamper(t, dir)
			_, err := verifyDir(t, dir, ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey})
			wantVerifyError(t, err, tc.check, tc.phrase)
		})
	}
}

func remove(t testing.TB, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
}

// otherSignatureByte changes one base64 character in the middle of the
// signature line of a checkpoint note, keeping it valid base64.
func otherSignatureByte(b []byte) []byte {
	sig := bytes.LastIndex(b, []byte("\n— "))
	if sig < 0 {
		panic("no signature line")
	}
	i := sig + (len(b)-sig)*2/3
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return b
}

func TestVerifyKey(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), ledger.Hooks{})
	e.grow(3)
	other, _, err := ledger.LoadOrCreateKeys(t.TempDir(), e.keys.Origin())
	if err != nil {
		t.Fatal(err)
	}
	renamed, _, err := ledger.LoadOrCreateKeys(t.TempDir(), "vigil.test/other")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, check, phrase string
	}{
		{"another key of the same name", other.VerifierKey, "checkpoint", `the checkpoint is not signed by the key for "vigil.test/log"`},
		{"another log's key", renamed.VerifierKey, "checkpoint", `the checkpoint is not signed by the key for "vigil.test/other"`},
		{"not a key", "vigil.test/log", "key", "the verifier key is not a signed-note public key"},
		{"private key", "PRIVATE+KEY+vigil.test/log+00000000+AAAA", "key", "the verifier key is not a signed-note public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifyDir(t, e.logDir(), ledger.VerifyOptions{VerifierKey: tc.key})
			wantVerifyError(t, err, tc.check, tc.phrase)
		})
	}
}

// TestVerifyPrevious keeps the checkpoint of one run for the next: a log
// that grew passes, a log rolled back to an older copy does not.
func TestVerifyPrevious(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), ledger.Hooks{})
	e.grow(300)
	first := mustVerify(t, e.logDir(), ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey})
	e.close()
	old := copyDir(t, e.logDir()) // the log as it was at 300 entries
	e.open(ledger.Hooks{})
	e.grow(300)

	second := mustVerify(t, e.logDir(), ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey, Previous: first.Raw})
	if second.Checkpoint.Size != 600 || second.PreviousSize != 300 {
		t.Fatalf("after growth: size %d, previous %d; want 600, 300", second.Checkpoint.Size, second.PreviousSize)
	}
	// Nothing new since the last run is fine too.
	again := mustVerify(t, e.logDir(), ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey, Previous: second.Raw})
	if again.PreviousSize != 600 {
		t.Fatalf("PreviousSize = %d, want 600", again.PreviousSize)
	}

	_, err := verifyDir(t, old, ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey, Previous: second.Raw})
	wantVerifyError(t, err, "consistency", "the log shrank from 600 entries (last run) to 300")

	// A saved checkpoint that does not verify is refused, not ignored.
	bad := otherSignatureByte(bytes.Clone(first.Raw))
	_, err = verifyDir(t, e.logDir(), ledger.VerifyOptions{VerifierKey: e.keys.VerifierKey, Previous: bad})
	wantVerifyError(t, err, "consistency", "the checkpoint saved from the last run does not verify with this key")
}

// TestVerifyDetectsFork builds a second log with the same key but other
// events: whoever saw the first log's checkpoint must not accept it.
func TestVerifyDetectsFork(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a, b   int
		phrase string
	}{
		{"same size", 5, 5, "the log was forked: a checkpoint of the same size 5 with a different root was seen before"},
		{"grown", 5, 8, "the log was forked: its first 5 entries no longer hash to the root seen last time"},
		{"grown past a tile", 200, 300, "the log was forked: its first 200 entries no longer hash to the root seen last time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newEnv(t, storetest.SQLite(t), ledger.Hooks{})
			a.grow(tc.a)
			seen := mustVerify(t, a.logDir(), ledger.VerifyOptions{VerifierKey: a.keys.VerifierKey})

			// Log b holds as many events with the same facts, but each
			// entry commits with fresh salts, so its entries differ.
			b := a.sameKeys(t, storetest.SQLite(t))
			b.grow(tc.b)
			mustVerify(t, b.logDir(), ledger.VerifyOptions{VerifierKey: a.keys.VerifierKey}) // b alone is sound
			_, err := verifyDir(t, b.logDir(), ledger.VerifyOptions{VerifierKey: a.keys.VerifierKey, Previous: seen.Raw})
			wantVerifyError(t, err, "consistency", tc.phrase)
		})
	}
}

// TestTesseraClientAgrees checks the log with Tessera's own client and the
// merkle library's proof verifiers, independently of Verify.
func TestTesseraClientAgrees(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.SQLite(t), ledger.Hooks{})
	files := client.FileFetcher{Root: e.logDir()}
	fetch := func() *f_log.Checkpoint {
		t.Helper()
		cp, raw, _, err := client.FetchCheckpoint(ctx, files.ReadCheckpoint, e.keys.Verifier, e.keys.Origin())
		if err != nil {
			t.Fatal(err)
		}
		// Vigil's own parse agrees with Tessera's.
		mine, err := ledger.ParseCheckpoint(raw, e.keys.Verifier)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(cp, mine); diff != "" {
			t.Fatalf("ParseCheckpoint differs from Tessera's (-tessera +vigil):\n%s", diff)
		}
		return cp
	}
	e.grow(200)
	small := fetch()
	e.grow(400)
	big := fetch()
	if small.Size != 200 || big.Size != 600 {
		t.Fatalf("checkpoint sizes %d and %d, want 200 and 600", small.Size, big.Size)
	}

	// The root is the RFC 6962 root of the entries the database holds, in
	// log index order.
	rows, err := e.db.Query(ctx, "SELECT id, entry, log_index FROM events ORDER BY log_index")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id    int64
		entry []byte
	}
	var stored []row
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	tree := rf.NewEmptyRange(0)
	for rows.Next() {
		var r row
		var idx int64
		if err := rows.Scan(&r.id, &r.entry, &idx); err != nil {
			t.Fatal(err)
		}
		if idx != int64(len(stored)) {
			t.Fatalf("event %d at log index %d, want %d", r.id, idx, len(stored))
		}
		stored = append(stored, r)
		if err := tree.Append(rfc6962.DefaultHasher.HashLeaf(r.entry), nil); err != nil {
			t.Fatal(err)
		}
		if tree.End() == small.Size {
			root, _ := tree.GetRootHash(nil)
			if !bytes.Equal(root, small.Hash) {
				t.Fatalf("root of the first %d events %x, checkpoint says %x", small.Size, root, small.Hash)
			}
		}
	}
	rows.Close()
	if root, _ := tree.GetRootHash(nil); !bytes.Equal(root, big.Hash) {
		t.Fatalf("root of the %d events %x, checkpoint says %x", tree.End(), root, big.Hash)
	}

	// Inclusion proofs against both checkpoints, at the tile edges.
	for _, cp := range []*f_log.Checkpoint{small, big} {
		pb, err := client.NewProofBuilder(ctx, cp.Size, files.ReadTile)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []uint64{0, 1, 199, 255, 256, 511, 512, 599} {
			if i >= cp.Size {
				continue
			}
			bundle, err := client.GetEntryBundle(ctx, files.ReadEntryBundle, i/layout.EntryBundleWidth, cp.Size)
			if err != nil {
				t.Fatal(err)
			}
			entry := bundle.Entries[i%layout.EntryBundleWidth]
			if !bytes.Equal(entry, stored[i].entry) {
				t.Fatalf("log entry %d = %s, the database holds %s", i, entry, stored[i].entry)
			}
			if en, err := ledger.ParseEntry(entry); err != nil || en.Seq != stored[i].id {
				t.Fatalf("log entry %d: %+v, %v; want event %d", i, en, err, stored[i].id)
			}
			incl, err := pb.InclusionProof(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			leaf := rfc6962.DefaultHasher.HashLeaf(entry)
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, cp.Size, leaf, incl, cp.Hash); err != nil {
				t.Errorf("inclusion of %d in %d: %v", i, cp.Size, err)
			}
			// And the proof is for that entry only.
			other := rfc6962.DefaultHasher.HashLeaf(stored[(i+1)%cp.Size].entry)
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, cp.Size, other, incl, cp.Hash); err == nil {
				t.Errorf("the inclusion proof of %d in %d also proves entry %d", i, cp.Size, (i+1)%cp.Size)
			}
		}
	}

	// The log grew from the smaller checkpoint to the bigger.
	pb, err := client.NewProofBuilder(ctx, big.Size, files.ReadTile)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := pb.ConsistencyProof(ctx, small.Size, big.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, small.Size, big.Size, cons, small.Hash, big.Hash); err != nil {
		t.Fatalf("consistency from %d to %d: %v", small.Size, big.Size, err)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, small.Size, big.Size, cons, rfc6962.DefaultHasher.HashLeaf([]byte("x")), big.Hash); err == nil {
		t.Fatal("the consistency proof verifies from a root the log never had")
	}
}

func TestProve(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, ledger.Hooks{})
		ids := e.grow(260)
		old, err := e.log.Reader().ReadCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		more := e.grow(5)
		for _, id := range []int64{ids[0], ids[255], ids[256], more[4]} {
			p, err := ledger.Prove(ctx, db, e.log.Reader(), e.keys.Verifier, id)
			if err != nil {
				t.Fatalf("Prove(%d): %v", id, err)
			}
			ev, err := ledger.Get(ctx, db, id)
			if err != nil {
				t.Fatal(err)
			}
			if p.Event != id || p.Index != uint64(*ev.LogIndex) || !bytes.Equal(p.Entry, ev.Entry) {
				t.Fatalf("proof of %d: event %d index %d entry %s; the database has index %d entry %s", id, p.Event, p.Index, p.Entry, *ev.LogIndex, ev.Entry)
			}
			cp, err := ledger.ParseCheckpoint([]byte(p.Checkpoint), e.keys.Verifier)
			if err != nil {
				t.Fatal(err)
			}
			if cp.Size != p.TreeSize || !bytes.Equal(cp.Hash, p.RootHash) || p.TreeSize != 265 {
				t.Fatalf("proof against size %d root %x; its checkpoint has %d %x", p.TreeSize, p.RootHash, cp.Size, cp.Hash)
			}
			leaf := rfc6962.DefaultHasher.HashLeaf(p.Entry)
			if !bytes.Equal(leaf, p.LeafHash) {
				t.Fatalf("LeafHash %x, the entry hashes to %x", p.LeafHash, leaf)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, p.TreeSize, leaf, p.Inclusion, p.RootHash); err != nil {
				t.Fatalf("proof of %d does not verify: %v", id, err)
			}
			p.Inclusion[0][0] ^= 1
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, p.TreeSize, leaf, p.Inclusion, p.RootHash); err == nil {
				t.Fatalf("an altered proof of %d verifies", id)
			}
		}

		// An event the writer has not appended yet.
		waiting := e.record(1)[0]
		if _, err := ledger.Prove(ctx, db, e.log.Reader(), e.keys.Verifier, waiting); !errors.Is(err, ledger.ErrNotYetPublished) {
			t.Fatalf("Prove(unappended) = %v, want ErrNotYetPublished", err)
		}
		// An event appended, but past the checkpoint a reader sees.
		stale := staleCheckpoint{e.log.Reader(), old}
		if _, err := ledger.Prove(ctx, db, stale, e.keys.Verifier, more[0]); !errors.Is(err, ledger.ErrNotYetPublished) {
			t.Fatalf("Prove(past the checkpoint) = %v, want ErrNotYetPublished", err)
		}
		if _, err := ledger.Prove(ctx, db, stale, e.keys.Verifier, ids[259]); err != nil {
			t.Fatalf("Prove(within the stale checkpoint) = %v", err)
		}
		if _, err := ledger.Prove(ctx, db, e.log.Reader(), e.keys.Verifier, waiting+1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Prove(unknown) = %v, want store.ErrNotFound", err)
		}
	})
}

func TestProveAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, ledger.Hooks{})
		ids := e.grow(300)
		pick := []int64{ids[299], ids[0], ids[256]}
		proofs, raw, err := ledger.ProveAll(ctx, db, e.log.Reader(), e.keys.Verifier, pick)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := ledger.ParseCheckpoint([]byte(raw), e.keys.Verifier)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range proofs {
			if p.Event != pick[i] || p.Checkpoint != raw || p.TreeSize != cp.Size {
				t.Fatalf("proof %d is of event %d against size %d; want event %d against the one checkpoint (size %d)", i, p.Event, p.TreeSize, pick[i], cp.Size)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, cp.Size, rfc6962.DefaultHasher.HashLeaf(p.Entry), p.Inclusion, cp.Hash); err != nil {
				t.Fatalf("proof of %d: %v", p.Event, err)
			}
		}
		// An event not yet appended: ProveAll waits for it, until its
		// context ends.
		waiting := e.record(1)[0]
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, _, err := ledger.ProveAll(short, db, e.log.Reader(), e.keys.Verifier, []int64{waiting}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ProveAll(unappended) = %v, want the deadline", err)
		}
		if _, _, err := ledger.ProveAll(ctx, db, e.log.Reader(), e.keys.Verifier, []int64{waiting + 1}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ProveAll(unknown) = %v", err)
		}
	})
}

// staleCheckpoint serves an older checkpoint than its log has, as a cache
// might.
type staleCheckpoint struct {
	ledger.Source
	raw []byte
}

func (s staleCheckpoint) ReadCheckpoint(context.Context) ([]byte, error) { return s.raw, nil }

// TestReconcileFindsDiscrepancies alters the database after a clean run
// and checks what Reconcile reports. Each case runs in a transaction that
// rolls back, so they share one log.
func TestReconcileFindsDiscrepancies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, ledger.Hooks{})
		ids := e.grow(6)
		src, err := ledger.OpenSource(e.logDir())
		if err != nil {
			t.Fatal(err)
		}
		other, _, err := ledger.LoadOrCreateKeys(t.TempDir(), e.keys.Origin())
		if err != nil {
			t.Fatal(err)
		}
		exec := func(t *testing.T, tx *store.Tx, q string, args ...any) {
			t.Helper()
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		pending := func(t *testing.T, tx *store.Tx) int64 {
			t.Helper()
			id, err := e.outbox.Record(ctx, tx, ledger.Event{Kind: testKind, Actor: ledger.System, Facts: map[string]any{"thing": "late"}})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		type d = ledger.Discrepancy
		for _, tc := range []struct {
			name        string
			alter       func(t *testing.T, tx *store.Tx) []d
			verifier    *ledger.Keys
			wantPending int64
		}{
			{
				name:  "clean",
				alter: func(t *testing.T, tx *store.Tx) []d { return nil },
			},
			{
				name: "event waiting for the log",
				alter: func(t *testing.T, tx *store.Tx) []d {
					pending(t, tx)
					return nil
				},
				wantPending: 1,
			},
			{
				name: "event waiting with an index past the checkpoint",
				alter: func(t *testing.T, tx *store.Tx) []d {
					id := pending(t, tx)
					exec(t, tx, "UPDATE events SET log_index = 6 WHERE id = ?", id)
					return nil
				},
				wantPending: 1,
			},
			{
				name: "content hash changed",
				alter: func(t *testing.T, tx *store.Tx) []d {
					exec(t, tx, "UPDATE events SET content_hash = ? WHERE id = ?", make([]byte, 32), ids[2])
					return []d{{Kind: ledger.ContentMismatch, Event: ids[2], Index: 2}}
				},
			},
			{
				name: "event deleted",
				alter: func(t *testing.T, tx *store.Tx) []d {
					exec(t, tx, "DELETE FROM events WHERE id = ?", ids[3])
					return []d{{Kind: ledger.UnknownEntry, Event: ids[3], Index: 3}}
				},
			},
			{
				name: "index beyond the log",
				alter: func(t *testing.T, tx *store.Tx) []d {
					exec(t, tx, "UPDATE events SET log_index = 1000 WHERE id = ?", ids[1])
					return []d{{Kind: ledger.IndexMismatch, Event: ids[1], Index: 1}}
				},
			},
			{
				name: "indices swapped",
				alter: func(t *testing.T, tx *store.Tx) []d {
					exec(t, tx, "UPDATE events SET log_index = -1 WHERE id = ?", ids[1])
					exec(t, tx, "UPDATE events SET log_index = 1 WHERE id = ?", ids[4])
					exec(t, tx, "UPDATE events SET log_index = 4 WHERE id = ?", ids[1])
					return []d{
						{Kind: ledger.IndexMismatch, Event: ids[1], Index: 1},
						{Kind: ledger.IndexMismatch, Event: ids[4], Index: 4},
					}
				},
			},
			{
				// The database claims a waiting event sits where the log
				// holds another: the waiting one is missing from the log,
				// while the one the log holds, its index forgotten, is no
				// discrepancy (the writer would adopt it).
				name: "index claimed by a waiting event",
				alter: func(t *testing.T, tx *store.Tx) []d {
					id := pending(t, tx)
					exec(t, tx, "UPDATE events SET log_index = NULL WHERE id = ?", ids[2])
					exec(t, tx, "UPDATE events SET log_index = 2 WHERE id = ?", id)
					return []d{{Kind: ledger.MissingFromLog, Event: id, Index: 2}}
				},
			},
			{
				name: "logged event replaced",
				alter: func(t *testing.T, tx *store.Tx) []d {
					id := pending(t, tx)
					exec(t, tx, "DELETE FROM events WHERE id = ?", ids[5])
					exec(t, tx, "UPDATE events SET log_index = 5 WHERE id = ?", id)
					return []d{
						{Kind: ledger.UnknownEntry, Event: ids[5], Index: 5},
						{Kind: ledger.MissingFromLog, Event: id, Index: 5},
					}
				},
			},
			{
				name:     "checkpoint signed by another key",
				alter:    func(t *testing.T, tx *store.Tx) []d { return []d{{Kind: ledger.BadCheckpoint, Index: -1}} },
				verifier: &other,
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rollback := errors.New("roll back")
				err := db.Tx(ctx, func(tx *store.Tx) error {
					want := tc.alter(t, tx)
					v := e.keys.Verifier
					if tc.verifier != nil {
						v = tc.verifier.Verifier
					}
					rep, err := ledger.Reconcile(ctx, tx, src, v)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, rep.Discrepancies, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(ledger.Discrepancy{}, "Detail")); diff != "" {
						t.Errorf("discrepancies (-want +got):\n%s", diff)
					}
					for _, d := range rep.Discrepancies {
						if d.Detail == "" {
							t.Errorf("discrepancy %+v has no detail", d)
						}
					}
					if rep.OK() != (len(want) == 0) {
						t.Errorf("OK() = %v with %d discrepancies", rep.OK(), len(rep.Discrepancies))
					}
					if rep.Pending != tc.wantPending {
						t.Errorf("Pending = %d, want %d", rep.Pending, tc.wantPending)
					}
					if tc.verifier == nil && rep.LogSize != 6 {
						t.Errorf("LogSize = %d, want 6", rep.LogSize)
					}
					return rollback
				})
				if !errors.Is(err, rollback) {
					t.Fatal(err)
				}
			})
		}
		// The rollbacks left the database as it was.
		e.check(6)
	})
}
