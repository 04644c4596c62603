package cli_test

// Helpers for tests that run `vigil serve` as a process of its own, put it
// under load, kill it, and check its log as an outsider would.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/cli"
	"github.com/vigil-project/vigil/internal/store"
)

// vigilCLI runs one vigil command line in this process and returns its
// exit code and output.
func vigilCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// mustCLI runs a vigil command line in this process and fails the test
// unless it exits 0.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := vigilCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("vigil %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// newOfficer makes an officer account and an API token for it, from the
// command line, and returns the token.
func newOfficer(t *testing.T, storeArgs ...string) string {
	t.Helper()
	mustCLI(t, append([]string{"user", "add", "olga", "--role", "officer"}, storeArgs...)...)
	token := strings.TrimSpace(mustCLI(t, append([]string{"user", "token", "olga", "--name", "load"}, storeArgs...)...))
	if !strings.HasPrefix(token, "vigil_") {
		t.Fatalf("vigil user token printed %q, not a token", token)
	}
	return token
}

var listeningLine = regexp.MustCompile(`Vigil is listening on (http://[^/\s]+)/\n`)

// server is `vigil serve` running as a process of its own: this test binary
// run again under the name "vigil" (see TestMain).
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:PORT
	stdout *lineWatch
	stderr *os.File
	exited chan struct{} // closed once the process has exited
}

// startServer starts `vigil serve --addr 127.0.0.1:0` with args and waits
// until it says it is listening.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Args[0] = "vigil"
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, stdout: newLineWatch(), stderr: stderr, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
	})
	select {
	case s.url = <-s.stdout.listening:
	case <-s.exited:
		t.Fatalf("vigil serve exited (%v) before listening\n%s", cmd.ProcessState, s.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("vigil serve did not say it was listening within 30s\n%s", s.output())
	}
	return s
}

// output is what the process wrote so far.
func (s *server) output() string {
	errs, _ := os.ReadFile(s.stderr.Name())
	return fmt.Sprintf("stdout:\n%s\nstderr:\n%s", s.stdout.String(), errs)
}

// kill sends SIGKILL and waits for the process to die. The process must
// still have been running: it must not have stopped by itself.
func (s *server) kill() {
	s.t.Helper()
	select {
	case <-s.exited:
		s.t.Fatalf("vigil serve stopped by itself (%v) before it was killed\n%s", s.cmd.ProcessState, s.output())
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatal(err)
	}
	<-s.exited
	ws := s.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		s.t.Fatalf("vigil serve ended with %v, not by SIGKILL\n%s", s.cmd.ProcessState, s.output())
	}
}

// terminate sends SIGTERM and returns the exit code. A process that takes
// longer than the server's own 30s shutdown limit (and a margin) hangs.
func (s *server) terminate() int {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(45 * time.Second):
		s.t.Fatalf("vigil serve did not stop within 45s of SIGTERM\n%s", s.output())
	}
	return s.cmd.ProcessState.ExitCode()
}

// lineWatch collects a process's standard output and reports the URL from
// the "listening on" line.
type lineWatch struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	found     bool
	listening chan string
}

func newLineWatch() *lineWatch { return &lineWatch{listening: make(chan string, 1)} }

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.found {
		if m := listeningLine.FindSubmatch(w.buf.Bytes()); m != nil {
			w.found = true
			w.listening <- string(m[1])
		}
	}
	return len(p), nil
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// load posts assemblies to a server from several goroutines until stopped,
// and keeps the event of every registration the server acknowledged.
type load struct {
	url, token string
	client     *http.Client
	stop       chan struct{}
	wg         sync.WaitGroup

	mu         sync.Mutex
	acked      []int64
	unexpected []string // answers that were neither 201 nor a broken connection
}

func startLoad(serverURL, token string, workers int) *load {
	l := &load{
		url: serverURL, token: token, stop: make(chan struct{}),
		client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}},
	}
	for w := range workers {
		l.wg.Add(1)
		go l.run(w)
	}
	return l
}

func (l *load) run(worker int) {
	defer l.wg.Done()
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		if _, ok := l.post(fmt.Sprintf("Load %d-%d", worker, i), nil); !ok {
			// The server is gone or going: do not spin.
			select {
			case <-l.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}

// post registers one assembly, sending body through r if given (to control
// how fast it arrives). It records an acknowledged event; ok says whether
// the server answered at all.
func (l *load) post(title string, r io.Reader) (event int64, ok bool) {
	body := fmt.Sprintf(`{"title": %q, "kind": "notified", "starts": "2030-05-01T10:00:00Z", "ends": "2030-05-01T14:00:00Z", "expected_size": 250}`, title)
	if r == nil {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest("POST", l.url+"/api/assemblies", r)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.token)
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, false
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, false // cut off mid-answer: not acknowledged
	}
	var out struct {
		Event int64 `json:"event"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &out) != nil || out.Event <= 0 {
		l.mu.Lock()
		l.unexpected = append(l.unexpected, fmt.Sprintf("%s: %s", resp.Status, b))
		l.mu.Unlock()
		return 0, true
	}
	l.mu.Lock()
	l.acked = append(l.acked, out.Event)
	l.mu.Unlock()
	return out.Event, true
}

// finish stops the workers and returns the acknowledged events and the
// unexpected answers.
func (l *load) finish() (acked []int64, unexpected []string) {
	close(l.stop)
	l.wg.Wait()
	l.client.CloseIdleConnections()
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.acked), slices.Clone(l.unexpected)
}

// getJSON GETs path from the server into v and returns the status.
func getJSON(t *testing.T, base, path string, v any) int {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode == http.StatusOK && v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, b)
		}
	}
	return resp.StatusCode
}

// ledgerInfo is GET /api/ledger.
type ledgerInfo struct {
	Origin      string `json:"origin"`
	VerifierKey string `json:"verifier_key"`
	Size        uint64 `json:"size"`
	LogURL      string `json:"log_url"`
}

// apiProof is GET /api/events/{id}/proof.
type apiProof struct {
	Event   int64  `json:"event"`
	Index   uint64 `json:"index"`
	Entry   []byte `json:"entry"` // exactly as logged
	Decoded struct {
		Seq int64 `json:"seq"`
	} `json:"decoded"`
	LeafHash   []byte   `json:"leaf_hash"`
	Checkpoint string   `json:"checkpoint"`
	TreeSize   uint64   `json:"tree_size"`
	RootHash   []byte   `json:"root_hash"`
	Inclusion  [][]byte `json:"inclusion"`
}

// check verifies the proof on its own terms: the checkpoint is signed by
// the log's key and has the root the proof claims, the entry is event id,
// and the inclusion proof leads from the entry's leaf hash to that root.
func (p apiProof) check(id int64, v note.Verifier) error {
	if p.Event != id {
		return fmt.Errorf("the proof is for event %d", p.Event)
	}
	cp, _, _, err := log.ParseCheckpoint([]byte(p.Checkpoint), v.Name(), v)
	if err != nil {
		return fmt.Errorf("checkpoint: %v", err)
	}
	if cp.Size != p.TreeSize || !bytes.Equal(cp.Hash, p.RootHash) {
		return fmt.Errorf("the checkpoint (size %d) is not the tree the proof claims (size %d)", cp.Size, p.TreeSize)
	}
	var e struct {
		Seq int64 `json:"seq"`
	}
	if err := json.Unmarshal(p.Entry, &e); err != nil || e.Seq != id || p.Decoded.Seq != id {
		return fmt.Errorf("the entry is not event %d: %q (decoded seq %d)", id, p.Entry, p.Decoded.Seq)
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(p.Entry)
	if !bytes.Equal(leaf, p.LeafHash) {
		return fmt.Errorf("the leaf hash is not the entry's")
	}
	return proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, p.TreeSize, leaf, p.Inclusion, p.RootHash)
}

// waitProofs waits until every event in ids has an inclusion proof (the
// proof endpoint answers 409 until a checkpoint covers an event), checks
// each, and returns them.
func waitProofs(t *testing.T, base string, v note.Verifier, ids []int64) map[int64]apiProof {
	t.Helper()
	proofs := make(map[int64]apiProof, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	work := make(chan int64)
	deadline := time.Now().Add(30 * time.Second)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				for {
					var p apiProof
					resp, err := http.Get(fmt.Sprintf("%s/api/events/%d/proof", base, id))
					if err != nil {
						errs <- fmt.Errorf("event %d: %v", id, err)
						break
					}
					if resp.StatusCode == http.StatusOK {
						err = json.NewDecoder(resp.Body).Decode(&p)
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusConflict && time.Now().Before(deadline) {
						time.Sleep(50 * time.Millisecond)
						continue
					}
					if resp.StatusCode != http.StatusOK || err != nil {
						errs <- fmt.Errorf("event %d: proof answered %s (%v)", id, resp.Status, err)
						break
					}
					if err := p.check(id, v); err != nil {
						errs <- fmt.Errorf("event %d: the API's proof does not verify: %v", id, err)
						break
					}
					mu.Lock()
					proofs[id] = p
					mu.Unlock()
					break
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 20 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Fatalf("%d of %d acknowledged events have no valid proof", n, len(ids))
	}
	return proofs
}

// logView is the log as an outsider reads it with Tessera's client: a
// checkpoint checked against the public key, and every entry.
type logView struct {
	fetcher    *client.HTTPFetcher
	checkpoint *log.Checkpoint
	entries    [][]byte
	index      map[int64]uint64 // event (an entry's seq) to log index
}

// readLog reads the whole log served at base+"/log/" with Tessera's client,
// and fails the test if an event appears twice.
func readLog(t *testing.T, base string, v note.Verifier) *logView {
	t.Helper()
	ctx := context.Background()
	u, err := url.Parse(base + "/log/")
	if err != nil {
		t.Fatal(err)
	}
	f, err := client.NewHTTPFetcher(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, _, err := client.FetchCheckpoint(ctx, f.ReadCheckpoint, v, v.Name())
	if err != nil {
		t.Fatalf("the log's checkpoint: %v", err)
	}
	lv := &logView{fetcher: f, checkpoint: cp, index: make(map[int64]uint64, cp.Size)}
	for b := uint64(0); b*layout.EntryBundleWidth < cp.Size; b++ {
		bundle, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, b, cp.Size)
		if err != nil {
			t.Fatalf("entry bundle %d: %v", b, err)
		}
		lv.entries = append(lv.entries, bundle.Entries...)
	}
	if uint64(len(lv.entries)) != cp.Size {
		t.Fatalf("the log's bundles hold %d entries; its checkpoint says %d", len(lv.entries), cp.Size)
	}
	for i, e := range lv.entries {
		var en struct {
			Seq int64 `json:"seq"`
		}
		if err := json.Unmarshal(e, &en); err != nil || en.Seq <= 0 {
			t.Fatalf("log entry %d is not a Vigil event: %s", i, e)
		}
		if prev, dup := lv.index[en.Seq]; dup {
			t.Errorf("event %d is in the log twice: entries %d and %d", en.Seq, prev, i)
		}
		lv.index[en.Seq] = uint64(i)
	}
	return lv
}

// checkInclusion proves, with Tessera's proof builder and the merkle
// package, that event id's entry is in the log under its checkpoint.
func (lv *logView) checkInclusion(t *testing.T, pb *client.ProofBuilder, id int64) uint64 {
	t.Helper()
	idx, ok := lv.index[id]
	if !ok {
		t.Errorf("event %d is not in the log", id)
		return 0
	}
	incl, err := pb.InclusionProof(context.Background(), idx)
	if err != nil {
		t.Errorf("event %d: inclusion proof for entry %d: %v", id, idx, err)
		return idx
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(lv.entries[idx])
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, idx, lv.checkpoint.Size, leaf, incl, lv.checkpoint.Hash); err != nil {
		t.Errorf("event %d: the inclusion proof of entry %d does not verify: %v", id, idx, err)
	}
	return idx
}

// checkConsistency proves with Tessera's proof builder that the log grew
// from old without rewriting any of it.
func (lv *logView) checkConsistency(t *testing.T, pb *client.ProofBuilder, old *log.Checkpoint) {
	t.Helper()
	if old.Size > lv.checkpoint.Size {
		t.Fatalf("the log shrank from %d to %d entries", old.Size, lv.checkpoint.Size)
	}
	cons, err := pb.ConsistencyProof(context.Background(), old.Size, lv.checkpoint.Size)
	if err != nil {
		t.Fatalf("consistency proof %d -> %d: %v", old.Size, lv.checkpoint.Size, err)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old.Size, lv.checkpoint.Size, cons, old.Hash, lv.checkpoint.Hash); err != nil {
		t.Errorf("the log of %d entries is not an extension of the checkpoint of %d: %v", lv.checkpoint.Size, old.Size, err)
	}
}

// diskCheckpoint reads and checks the checkpoint a log directory holds.
func diskCheckpoint(t *testing.T, logDir string, v note.Verifier) *log.Checkpoint {
	t.Helper()
	raw, err := os.ReadFile(logDir + "/checkpoint")
	if err != nil {
		t.Fatalf("the log's checkpoint: %v", err)
	}
	cp, _, _, err := log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		t.Fatalf("the log's checkpoint on disk does not verify: %v\n%s", err, raw)
	}
	return cp
}

// verifier reads the data directory's public key.
func verifier(t *testing.T, data string) note.Verifier {
	t.Helper()
	key := strings.TrimSpace(mustCLI(t, "keys", "public", "--data", data))
	v, err := note.NewVerifier(key)
	if err != nil {
		t.Fatalf("vigil keys public printed %q: %v", key, err)
	}
	return v
}

// eventIDs lists the events in the database.
func eventIDs(t *testing.T, dsn string) []int64 {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(ctx, "SELECT id FROM events ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// checkFinal is what must hold after any number of crashes, once a server
// has caught up: the log holds every event in the database exactly once,
// every acknowledged event has a valid inclusion proof from the API and
// from Tessera's own client, and the log is an extension of every earlier
// checkpoint given.
func checkFinal(t *testing.T, s *server, dsn string, v note.Verifier, acked []int64, earlier ...*log.Checkpoint) {
	t.Helper()
	proofs := waitProofs(t, s.url, v, acked)

	db := eventIDs(t, dsn)
	var info ledgerInfo
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code := getJSON(t, s.url, "/api/ledger", &info); code != http.StatusOK {
			t.Fatalf("GET /api/ledger: %d", code)
		}
		if info.Size >= uint64(len(db)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if info.Size != uint64(len(db)) {
		t.Fatalf("the log holds %d entries; the database %d events", info.Size, len(db))
	}
	if info.VerifierKey != strings.TrimSpace(mustCLI(t, "keys", "public", "--data", dataOf(t, s))) {
		t.Errorf("GET /api/ledger gives verifier key %q, not the data directory's", info.VerifierKey)
	}

	lv := readLog(t, s.url, v)
	if lv.checkpoint.Size != uint64(len(db)) {
		t.Fatalf("the log's checkpoint covers %d entries; the database holds %d events", lv.checkpoint.Size, len(db))
	}
	for _, id := range db {
		if _, ok := lv.index[id]; !ok {
			t.Errorf("event %d is in the database but not in the log", id)
		}
	}
	inDB := make(map[int64]bool, len(db))
	for _, id := range db {
		inDB[id] = true
	}
	for _, id := range acked {
		if !inDB[id] {
			t.Errorf("acknowledged event %d is not in the database", id)
		}
	}

	pb, err := client.NewProofBuilder(context.Background(), lv.checkpoint.Size, lv.fetcher.ReadTile)
	if err != nil {
		t.Fatal(err)
	}
	// About fifty acknowledged events, spread over the run.
	step := max(1, len(acked)/50)
	for i := 0; i < len(acked); i += step {
		id := acked[i]
		idx := lv.checkInclusion(t, pb, id)
		if proofs[id].Index != idx {
			t.Errorf("event %d: the API says entry %d, the log holds it at %d", id, proofs[id].Index, idx)
		} else if !bytes.Equal(proofs[id].Entry, lv.entries[idx]) {
			t.Errorf("event %d: the API's entry is not the log's entry %d:\n%s\n%s", id, idx, proofs[id].Entry, lv.entries[idx])
		}
	}
	for _, cp := range earlier {
		lv.checkConsistency(t, pb, cp)
	}
}

// dataOf is the --data argument a server was started with.
func dataOf(t *testing.T, s *server) string {
	t.Helper()
	i := slices.Index(s.cmd.Args, "--data")
	if i < 0 || i+1 >= len(s.cmd.Args) {
		t.Fatalf("server started without --data: %q", s.cmd.Args)
	}
	return s.cmd.Args[i+1]
}
