package witness_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	f_note "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
	"github.com/vigil-project/vigil/internal/witness"
)

// TestAddCheckpoint walks one log through the protocol: every answer the
// C2SP tlog-witness spec asks for, and the state after each.
func TestAddCheckpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		lg := newTestLog(t, "vigil.test/log", "main", 64)
		w := newTestWitness(t, db, lg.verifier)
		origin := lg.signer.Name()

		// Never cosigned: the state is the empty tree.
		if st := w.state(t, origin); st.Size != 0 || !bytes.Equal(st.Root, rfc6962.DefaultHasher.EmptyRoot()) || st.Checkpoint != nil {
			t.Fatalf("initial state %+v, want the empty tree", st)
		}

		// A first checkpoint, from old size 0: cosigned, with a cosignature/v1
		// timestamp of now, and recorded before the answer.
		cp10 := lg.checkpoint(t, 10)
		before := time.Now().Add(-time.Second)
		signed := w.wantCosigned(t, w.add(t, lg, 0, 10), cp10)
		n, _ := note.Open(signed, note.VerifierList(w.key.Verifier))
		if ts, err := f_note.CoSigV1Timestamp(n.Sigs[0]); err != nil || ts.Before(before.Truncate(time.Second)) || ts.After(time.Now().Add(time.Second)) {
			t.Fatalf("cosignature time %v (%v), want about now", ts, err)
		}
		st := w.state(t, origin)
		if st.Size != 10 || !bytes.Equal(st.Root, lg.tree.HashAt(10)) {
			t.Fatalf("state after the first cosignature: size %d root %x, want 10 %x", st.Size, st.Root, lg.tree.HashAt(10))
		}
		if _, err := note.Open(st.Checkpoint, note.VerifierList(lg.verifier)); err != nil {
			t.Fatalf("the recorded checkpoint is not the log's signed note: %v", err)
		}

		// A stale or wrong old size: 409 with the size the witness knows.
		for _, old := range []uint64{0, 9, 11} {
			r := w.post(t, addBody(old, lg.proof(t, old, 20), lg.checkpoint(t, 20)))
			if r.code != http.StatusConflict || r.contentType != "text/x.tlog.size" || r.body != "10\n" {
				t.Fatalf("old %d: got %d %q %q, want 409 text/x.tlog.size \"10\\n\"", old, r.code, r.contentType, r.body)
			}
		}

		// From the size it knows, with a consistency proof: cosigned.
		w.wantCosigned(t, w.add(t, lg, 10, 20), lg.checkpoint(t, 20))

		// The same checkpoint again: cosigned again, nothing changes.
		w.wantCosigned(t, w.add(t, lg, 20, 20), lg.checkpoint(t, 20))
		if st := w.state(t, origin); st.Size != 20 {
			t.Fatalf("state size %d after a repeat, want 20", st.Size)
		}

		// A consistency proof that does not verify: 422, the state stays.
		bad := lg.proof(t, 20, 30)
		bad[1] = bytes.Clone(bad[1])
		bad[1][7] ^= 1
		wantStatus(t, w.post(t, addBody(20, bad, lg.checkpoint(t, 30))), http.StatusUnprocessableEntity, "does not verify")
		wantStatus(t, w.post(t, addBody(20, lg.proof(t, 10, 30), lg.checkpoint(t, 30))), http.StatusUnprocessableEntity, "consistency proof")
		wantStatus(t, w.post(t, addBody(20, nil, lg.checkpoint(t, 30))), http.StatusUnprocessableEntity, "consistency proof")
		wantStatus(t, w.post(t, addBody(20, lg.proof(t, 10, 20), lg.checkpoint(t, 20))), http.StatusUnprocessableEntity, "consistency proof")

		// A fork: the log's key signs a tree that does not extend the one
		// cosigned. At the same size, 409; larger, no proof can verify.
		fork := &testLog{signer: lg.signer, verifier: lg.verifier, tree: newTestLog(t, origin, "fork", 64).tree}
		r := w.post(t, addBody(20, nil, fork.checkpoint(t, 20)))
		wantStatus(t, r, http.StatusConflict, "another root hash")
		if r.contentType == "text/x.tlog.size" {
			t.Fatal("a fork at the same size was answered as a size conflict")
		}
		wantStatus(t, w.post(t, addBody(20, fork.proof(t, 20, 30), fork.checkpoint(t, 30))), http.StatusUnprocessableEntity, "does not verify")
		wantStatus(t, w.post(t, addBody(20, lg.proof(t, 20, 30), fork.checkpoint(t, 30))), http.StatusUnprocessableEntity, "does not verify")

		// Not signed by the log's key: another key of the same name, or
		// the log's signature altered. 403.
		impostor := newTestLog(t, origin, "main", 64)
		wantStatus(t, w.post(t, addBody(20, lg.proof(t, 20, 30), impostor.checkpoint(t, 30))), http.StatusForbidden, "no signature on the checkpoint verifies")
		wantStatus(t, w.post(t, addBody(20, lg.proof(t, 20, 30), flipSignature(t, lg.checkpoint(t, 30)))), http.StatusForbidden, "no signature on the checkpoint verifies")

		// A log the witness does not witness: 404.
		other := newTestLog(t, "other.test/log", "other", 8)
		wantStatus(t, w.add(t, other, 0, 8), http.StatusNotFound, `does not witness the log "other.test/log"`)

		// An old size larger than the checkpoint's: 400.
		wantStatus(t, w.post(t, addBody(20, nil, lg.checkpoint(t, 15))), http.StatusBadRequest, "larger than the checkpoint's size")

		// Malformed bodies: 400.
		cp := string(lg.checkpoint(t, 30))
		proofLines := addBody(20, lg.proof(t, 20, 30), nil)
		for name, body := range map[string]string{
			"empty":           "",
			"no old line":     "\n" + cp,
			"old with zero":   "old 020\n\n" + cp,
			"old not number":  "old twenty\n\n" + cp,
			"no blank line":   "old 20\n" + cp,
			"bad proof line":  "old 20\nnot base64!\n\n" + cp,
			"short hash":      "old 20\n" + base64.StdEncoding.EncodeToString([]byte("short")) + "\n\n" + cp,
			"no checkpoint":   proofLines,
			"too many proofs": "old 20\n" + strings.Repeat(base64.StdEncoding.EncodeToString(make([]byte, 32))+"\n", 64) + "\n" + cp,
			"not a note":      "old 20\n\nvigil.test/log\n30\n",
		} {
			if r := w.post(t, body); r.code != http.StatusBadRequest {
				t.Errorf("%s: got %d %q, want 400", name, r.code, r.body)
			}
		}
		if r := w.post(t, strings.Repeat("x", 70<<10)); r.code != http.StatusRequestEntityTooLarge {
			t.Errorf("a huge body: got %d, want 413", r.code)
		}

		// After all the refusals, the state is where the last cosignature
		// left it, and the log goes on from there.
		if st := w.state(t, origin); st.Size != 20 || !bytes.Equal(st.Root, lg.tree.HashAt(20)) {
			t.Fatalf("state after refusals: size %d, want 20", st.Size)
		}
		w.wantCosigned(t, w.add(t, lg, 20, 64), lg.checkpoint(t, 64))
	})
}

// flipSignature changes one bit of a note's first signature.
func flipSignature(t testing.TB, signed []byte) []byte {
	t.Helper()
	i := bytes.Index(signed, []byte("\n\n— "))
	if i < 0 {
		t.Fatal("not a signed note")
	}
	line := signed[i+2:]
	sp := bytes.LastIndexByte(line[:bytes.IndexByte(line, '\n')], ' ')
	sig, err := base64.StdEncoding.DecodeString(string(line[sp+1 : bytes.IndexByte(line, '\n')]))
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-1] ^= 1
	out := append([]byte{}, signed[:i+2]...)
	out = append(out, line[:sp+1]...)
	out = append(out, base64.StdEncoding.EncodeToString(sig)...)
	return append(out, '\n')
}

// TestEmptyLog: a new log's first checkpoint has no entries; the witness
// cosigns it only with the empty tree's root.
func TestEmptyLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		lg := newTestLog(t, "vigil.test/log", "main", 4)
		w := newTestWitness(t, db, lg.verifier)
		wrong := signCheckpoint(t, lg.signer, lg.signer.Name(), 0, lg.tree.HashAt(1))
		wantStatus(t, w.post(t, addBody(0, nil, wrong)), http.StatusConflict, "another root hash")
		empty := signCheckpoint(t, lg.signer, lg.signer.Name(), 0, rfc6962.DefaultHasher.EmptyRoot())
		w.wantCosigned(t, w.post(t, addBody(0, nil, empty)), empty)
		if st := w.state(t, lg.signer.Name()); st.Size != 0 || st.Checkpoint == nil {
			t.Fatalf("state %+v, want the empty tree, recorded", st)
		}
		w.wantCosigned(t, w.add(t, lg, 0, 4), lg.checkpoint(t, 4))
	})
}

// TestPersistsAcrossRestart: a witness started again on the same database
// and key directory knows what it cosigned before.
func TestPersistsAcrossRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		lg := newTestLog(t, "vigil.test/log", "main", 40)
		w := newTestWitness(t, db, lg.verifier)
		w.wantCosigned(t, w.add(t, lg, 0, 25), lg.checkpoint(t, 25))
		w.ts.Close()

		// A new process: its own database connection, its key from disk.
		db2, err := store.Open(ctx, db.DSN())
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		key, err := witness.LoadKey(w.keyDir)
		if err != nil {
			t.Fatal(err)
		}
		if key.VerifierKey != w.key.VerifierKey {
			t.Fatalf("the key read back is %s, not %s", key.VerifierKey, w.key.VerifierKey)
		}
		w2 := startWitness(t, db2, w.keyDir, key, lg.verifier)
		r := w2.add(t, lg, 0, 30)
		if r.code != http.StatusConflict || r.body != "25\n" {
			t.Fatalf("after a restart, old 0: got %d %q, want 409 \"25\\n\"", r.code, r.body)
		}
		fork := &testLog{signer: lg.signer, verifier: lg.verifier, tree: newTestLog(t, "x", "fork", 40).tree}
		wantStatus(t, w2.post(t, addBody(25, nil, fork.checkpoint(t, 25))), http.StatusConflict, "another root hash")
		w2.wantCosigned(t, w2.add(t, lg, 25, 30), lg.checkpoint(t, 30))
		states, err := w2.srv.States().List(ctx)
		if err != nil || len(states) != 1 || states[0].Size != 30 || states[0].Origin != lg.signer.Name() {
			t.Fatalf("states %+v (%v), want one at 30", states, err)
		}
	})
}

// TestConcurrentAddsSerialize: many requests checked against the same
// state at once; exactly one may advance it, the others learn the new
// size, and the state is the one cosigned, never rolled back.
func TestConcurrentAddsSerialize(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 24
		lg := newTestLog(t, "vigil.test/log", "main", 200)
		w := newTestWitness(t, db, lg.verifier)
		origin := lg.signer.Name()
		var from uint64
		for round := range 3 {
			bodies := make([]string, n)
			for i := range n {
				size := from + uint64(i) + 1
				bodies[i] = addBody(from, lg.proof(t, from, size), lg.checkpoint(t, size))
			}
			results := make([]response, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i] = w.post(t, bodies[i])
				}()
			}
			close(start)
			wg.Wait()
			st := w.state(t, origin)
			var won []uint64
			for i, r := range results {
				size := from + uint64(i) + 1
				switch r.code {
				case http.StatusOK:
					won = append(won, size)
				case http.StatusConflict:
					if r.body != strings.TrimSpace(r.body)+"\n" || r.contentType != "text/x.tlog.size" {
						t.Fatalf("round %d: a conflict answered %q %q", round, r.contentType, r.body)
					}
				default:
					t.Fatalf("round %d, size %d: got %d %q", round, size, r.code, r.body)
				}
			}
			if len(won) != 1 {
				t.Fatalf("round %d: %d requests from the same old size were cosigned (%v), want exactly 1", round, len(won), won)
			}
			if st.Size != won[0] || !bytes.Equal(st.Root, lg.tree.HashAt(won[0])) {
				t.Fatalf("round %d: the state is at %d, but the cosigned checkpoint is of %d", round, st.Size, won[0])
			}
			for i, r := range results {
				if r.code == http.StatusConflict && r.body != strconv.FormatUint(st.Size, 10)+"\n" {
					t.Fatalf("round %d, request %d: conflict says %q, want the size %d", round, i, r.body, st.Size)
				}
			}
			from = st.Size
		}
	})
}

// TestStatusPage: GET / says who the witness is and what it saw.
func TestStatusPage(t *testing.T) {
	db := storetest.SQLite(t)
	lg := newTestLog(t, "vigil.test/log", "main", 5)
	other := newTestLog(t, "other.test/log", "other", 5)
	w := newTestWitness(t, db, lg.verifier, other.verifier)
	w.wantCosigned(t, w.add(t, lg, 0, 5), lg.checkpoint(t, 5))
	resp, err := http.Get(w.ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	for _, want := range []string{"Vigil witness witness.test/w1\n", "key " + w.key.VerifierKey + "\n", "\nother.test/log - never\n", "\nvigil.test/log 5 "} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the status page lacks %q:\n%s", want, b.String())
		}
	}
}
