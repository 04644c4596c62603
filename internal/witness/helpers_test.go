package witness_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
	"github.com/vigil-project/vigil/internal/witness"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// testLog is a real Merkle tree with a note key: it makes the checkpoints
// and consistency proofs a log would send.
type testLog struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string
	tree     *testonly.Tree
}

func newTestLog(t testing.TB, origin string, seed string, size int) *testLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	l := &testLog{vkey: vkey, tree: testonly.New(rfc6962.DefaultHasher)}
	if l.signer, err = note.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	if l.verifier, err = note.NewVerifier(vkey); err != nil {
		t.Fatal(err)
	}
	for i := range size {
		l.tree.AppendData(fmt.Appendf(nil, "%s entry %d", seed, i))
	}
	return l
}

// checkpoint is the log's signed checkpoint of its first size entries.
func (l *testLog) checkpoint(t testing.TB, size uint64) []byte {
	t.Helper()
	return signCheckpoint(t, l.signer, l.signer.Name(), size, l.tree.HashAt(size))
}

func signCheckpoint(t testing.TB, s note.Signer, origin string, size uint64, root []byte) []byte {
	t.Helper()
	cp := f_log.Checkpoint{Origin: origin, Size: size, Hash: root}
	b, err := note.Sign(&note.Note{Text: string(cp.Marshal())}, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (l *testLog) proof(t testing.TB, from, to uint64) [][]byte {
	t.Helper()
	if from == 0 {
		return nil
	}
	p, err := l.tree.ConsistencyProof(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// addBody is an add-checkpoint request body.
func addBody(old uint64, proof [][]byte, cp []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h) + "\n")
	}
	b.WriteString("\n")
	b.Write(cp)
	return b.String()
}

// testWitness is a witness server on a real database, over real HTTP.
type testWitness struct {
	key    witness.Key
	keyDir string
	db     *store.DB
	srv    *witness.Server
	ts     *httptest.Server
}

func newTestWitness(t testing.TB, db *store.DB, logs ...note.Verifier) *testWitness {
	t.Helper()
	dir := t.TempDir()
	key, _, err := witness.LoadOrCreateKey(dir, "witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	return startWitness(t, db, dir, key, logs...)
}

func startWitness(t testing.TB, db *store.DB, keyDir string, key witness.Key, logs ...note.Verifier) *testWitness {
	t.Helper()
	srv, err := witness.New(db, witness.Config{Key: key, Logs: logs, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &testWitness{key: key, keyDir: keyDir, db: db, srv: srv, ts: ts}
}

// response is what the witness answered.
type response struct {
	code        int
	contentType string
	body        string
}

func (w *testWitness) post(t testing.TB, body string) response {
	t.Helper()
	resp, err := http.Post(w.ts.URL+"/add-checkpoint", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{code: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: string(b)}
}

// add posts a checkpoint of size entries of l, claiming the witness last
// cosigned old, with the right proof.
func (w *testWitness) add(t testing.TB, l *testLog, old, size uint64) response {
	t.Helper()
	return w.post(t, addBody(old, l.proof(t, old, size), l.checkpoint(t, size)))
}

// wantCosigned checks that r is a 200 whose body is the witness's
// cosignature on cp, and returns the cosigned note.
func (w *testWitness) wantCosigned(t testing.TB, r response, cp []byte) []byte {
	t.Helper()
	if r.code != http.StatusOK {
		t.Fatalf("status %d (%s), want 200", r.code, strings.TrimSpace(r.body))
	}
	if !strings.HasPrefix(r.body, "— witness.test/w1 ") || strings.Count(r.body, "\n") != 1 || !strings.HasSuffix(r.body, "\n") {
		t.Fatalf("body %q is not one signature line by the witness", r.body)
	}
	signed := append(append([]byte{}, cp...), r.body...)
	n, err := note.Open(signed, note.VerifierList(w.key.Verifier))
	if err != nil || len(n.Sigs) != 1 {
		t.Fatalf("the cosignature does not verify with the witness's key: %v", err)
	}
	return signed
}

func wantStatus(t testing.TB, r response, code int, bodyHas string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.body, bodyHas) {
		t.Fatalf("got %d %q, want %d with %q", r.code, r.body, code, bodyHas)
	}
}

func (w *testWitness) state(t testing.TB, origin string) witness.State {
	t.Helper()
	st, err := witness.NewStates(w.db).Get(context.Background(), origin)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// signatureLine is k's signature line on a note's text.
func signatureLine(t testing.TB, text string, k witness.Key) string {
	t.Helper()
	signed, err := note.Sign(&note.Note{Text: text}, k.Signer)
	if err != nil {
		t.Fatal(err)
	}
	return string(signed[len(text)+1:])
}

func vkeyOf(t testing.TB, l *testLog) string { return l.vkey }
