package cli_test

// Process tests of the evidence vault: `vigil serve` killed with SIGKILL in
// the middle of resumable uploads, and `vigil item add` run again.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/vigil-project/vigil/internal/app"
	"github.com/vigil-project/vigil/internal/cli"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// TestKillDuringUpload kills `vigil serve` (SQLite) while `vigil item add`
// sends a large file and other items come in, then checks what the vault
// promises: no plaintext on disk, every acknowledged item kept, no partial
// item, and the interrupted upload resumed by running the command again.
func TestKillDuringUpload(t *testing.T) {
	data := t.TempDir()
	token := newOfficer(t, "--data", data)
	killDuringUpload(t, data, app.DBPath(data), token)
}

// TestKillDuringUploadPostgres is TestKillDuringUpload on PostgreSQL.
func TestKillDuringUploadPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	data := t.TempDir()
	token := newOfficer(t, "--data", data, "--db", dsn)
	killDuringUpload(t, data, dsn, token, "--db", dsn)
}

// The big file: large enough that the upload is still going (in 16 MiB
// PATCHes, the tus client's default) when the server has recorded one or
// two chunks, so that the kill comes in its middle.
const bigSize = 96 << 20

// killDuringUpload is the kill test on the database dsn, with the extra
// serve arguments given.
func killDuringUpload(t *testing.T, data, dsn, token string, extra ...string) {
	// The same address each time: the tus client remembers an upload by
	// its server's URL.
	args := append([]string{"--data", data, "--addr", freeAddr(t)}, extra...)
	work := t.TempDir()
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // for the commands run in this process
	content, name := newMarkers()

	s := startServer(t, args...)

	// Items fully added before the kill.
	u := newUploads(t, s.url, token, work, content)
	var files []string
	for i := range 3 {
		files = append(files, u.write(fmt.Sprintf("before-%d.mp4", i), 64<<10))
	}
	for f, id := range u.add(t.Context(), files...) {
		u.ack(f, id)
	}
	if len(u.acked) != 3 {
		t.Fatalf("vigil item add acknowledged %d of 3 items", len(u.acked))
	}

	// The big file, named so that its name is a marker too: capture
	// metadata is sealed.
	big := filepath.Join(work, "cam7-"+name+".mp4")
	bigSum := writeRandom(t, big, bigSize, content)
	addBig := []string{"item", "add", "--class", "bodycam", "--purpose", "Arrest at the bridge, 14:05", "--server", s.url, big}
	env := []string{"XDG_CACHE_HOME=" + cache, "VIGIL_TOKEN=" + token}
	first := vigilCmd(t, work, env, addBig...)
	var firstOut, firstErr bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.Wait() }()

	// Small items keep coming during the big upload, so that the kill may
	// also land in the middle of one of them.
	loadCtx, stopLoad := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; loadCtx.Err() == nil; i++ {
			f := u.write(fmt.Sprintf("during-%d.mp4", i), 16<<10+rand.IntN(48<<10))
			for f, id := range u.add(loadCtx, f) {
				u.ack(f, id)
			}
		}
	}()

	// Kill the server once it has recorded one or two of the big upload's
	// chunks.
	db := openDB(t, dsn)
	deadline := time.Now().Add(60 * time.Second)
	var before upload
	killAt := int64(1+rand.IntN(2)) << 24
	for {
		ups := bigUploads(t, db)
		if len(ups) == 1 && ups[0].received >= killAt {
			before = ups[0]
			break
		}
		select {
		case err := <-firstDone:
			t.Fatalf("vigil item add ended (%v) before the server recorded part of the upload to kill it in its middle\nstdout:\n%s\nstderr:\n%s", err, &firstOut, &firstErr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server recorded none of the big upload within 60s; uploads: %+v", ups)
		}
		time.Sleep(2 * time.Millisecond)
	}
	u.down.Store(true)
	s.kill()
	db.Close()
	stopLoad()
	wg.Wait()
	// The command is still trying to reach the server; stop it as a person
	// would give up on it.
	first.Process.Kill()
	<-firstDone
	if strings.Contains(firstOut.String(), "added as") {
		t.Fatalf("vigil item add says the big file was added, though the server was killed before it had all of it:\n%s", &firstOut)
	}
	t.Logf("killed the server with %d of %d bytes of the big upload recorded, and %d small items acknowledged", before.received, before.length, len(u.acked))
	if before.received >= before.length || before.completed {
		t.Fatalf("the kill came too late: the upload had %d of %d bytes (completed: %v)", before.received, before.length, before.completed)
	}

	// No plaintext anywhere: not the content, not the file's name.
	checkNoPlaintext(t, data, dsn, content, name)

	// The command remembered the upload it must resume.
	if got := remembered(t, cache, big); len(got) != 1 || !strings.HasSuffix(got[0], "/api/uploads/"+before.id) {
		t.Fatalf("vigil item add remembers %q for the big file; want the URL of upload %s", got, before.id)
	}

	s = startServer(t, args...)

	// Every acknowledged item is there, every item is whole, and the
	// half-finished upload is no item.
	items := listItems(t, s.url, token)
	u.checkItems(t, items)
	for _, it := range items {
		if it.Size == bigSize {
			t.Errorf("item %s of %d bytes exists before the big upload was resumed", it.ID, it.Size)
		}
	}
	db = openDB(t, dsn)
	defer db.Close()
	if ups := bigUploads(t, db); len(ups) != 1 || ups[0].id != before.id || ups[0].completed || ups[0].received < before.received {
		t.Fatalf("after the restart, the big upload is %+v; want %s unfinished with at least %d bytes", ups, before.id, before.received)
	}
	var resumeFrom int64
	if err := db.QueryRow(t.Context(), "SELECT received FROM tus_uploads WHERE id = ?", before.id).Scan(&resumeFrom); err != nil {
		t.Fatal(err)
	}
	var made int
	if err := db.QueryRow(t.Context(), "SELECT count(*) FROM vault_items WHERE upload_id = ?", before.id).Scan(&made); err != nil || made != 0 {
		t.Fatalf("the unfinished upload %s has %d items (%v)", before.id, made, err)
	}

	// The same command again resumes the upload and makes the item.
	again := vigilCmd(t, work, env, addBig...)
	out, err := again.Output()
	if err != nil {
		t.Fatalf("vigil item add, run again: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderrOf(err))
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(big) + `: added as (itm_[a-z]+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("vigil item add, run again, does not say the file was added:\n%s", out)
	}
	bigID := string(m[1])
	ups := bigUploads(t, db)
	if len(ups) != 1 || ups[0].id != before.id || !ups[0].completed || ups[0].result != "/api/items/"+bigID {
		t.Fatalf("after the second run, the big uploads are %+v; want only %s, completed as item %s: the command did not resume it", ups, before.id, bigID)
	}
	t.Logf("the second run resumed upload %s from byte %d: it sent at most %d of %d bytes", before.id, resumeFrom, bigSize-resumeFrom, bigSize)
	var it itemInfo
	if code, body := apiCall(t, "GET", s.url+"/api/items/"+bigID, token, nil, &it); code != http.StatusOK {
		t.Fatalf("GET /api/items/%s: %d %s", bigID, code, body)
	}
	if it.Size != bigSize || it.SHA256 != hex.EncodeToString(bigSum[:]) {
		t.Errorf("the resumed item has %d bytes, SHA-256 %s; the file has %d bytes, SHA-256 %x", it.Size, it.SHA256, bigSize, bigSum)
	}
	if got := remembered(t, cache, big); len(got) > 0 {
		t.Errorf("vigil item add still remembers the finished upload: %q", got)
	}
	u.checkItems(t, listItems(t, s.url, token))
	// Its chunks went once the item was made.
	if n := countFiles(t, filepath.Join(data, "blobs", "objects", "uploads", before.id)); n != 0 {
		t.Errorf("%d chunk blobs of the finished upload %s are left", n, before.id)
	}
	checkNoPlaintext(t, data, dsn, content, name)
	if code := s.terminate(); code != 0 {
		t.Errorf("vigil serve exited %d after SIGTERM\n%s", code, s.output())
	}
}

// remembered lists the upload URLs that vigil item add keeps, in the
// cache directory, to resume the upload of file.
func remembered(t *testing.T, cache, file string) []string {
	t.Helper()
	states, err := filepath.Glob(filepath.Join(cache, "vigil", "uploads", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, st := range states {
		b, err := os.ReadFile(st)
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ URL, Path string }
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		if v.Path == file {
			urls = append(urls, v.URL)
		}
	}
	return urls
}

// newMarkers returns two strings found nowhere but in what the test
// uploads: one in the files' content, one in a file's name.
func newMarkers() (content, name string) {
	r := fmt.Sprintf("%016x", rand.Uint64())
	return "VIGIL-PLAINTEXT-MARKER-" + r, "bridge-" + r[:8]
}

// writeRandom writes size incompressible bytes to path, with marker at its
// start, middle and end, and returns its SHA-256.
func writeRandom(t *testing.T, path string, size int, marker string) [32]byte {
	t.Helper()
	b := make([]byte, size)
	var seed [32]byte
	for i := range seed {
		seed[i] = byte(rand.Uint32())
	}
	rand.NewChaCha8(seed).Read(b)
	for _, off := range []int{0, size / 2, size - len(marker)} {
		copy(b[off:], marker)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// uploads adds small items with `vigil item add` in this process, and
// keeps the files it wrote and the items acknowledged.
type uploads struct {
	t                   *testing.T
	url, token, dir, mk string

	// down is set when the server is about to be killed: from then on a
	// failing command is expected.
	down atomic.Bool

	mu    sync.Mutex
	sums  map[string]string // SHA-256 of every file written, to its size and name
	acked map[string]string // item ID to the SHA-256 of its file
}

func newUploads(t *testing.T, url, token, dir, marker string) *uploads {
	return &uploads{t: t, url: url, token: token, dir: dir, mk: marker, sums: map[string]string{}, acked: map[string]string{}}
}

// write writes a random file of size bytes holding the marker.
func (u *uploads) write(name string, size int) string {
	p := filepath.Join(u.dir, name)
	sum := writeRandom(u.t, p, size, u.mk)
	u.mu.Lock()
	u.sums[hex.EncodeToString(sum[:])] = fmt.Sprintf("%d %s", size, name)
	u.mu.Unlock()
	return p
}

var addedLine = regexp.MustCompile(`(?m)^(.+): added as (itm_[a-z]+)$`)

// add runs vigil item add on files and returns the items it says it
// added, by file.
func (u *uploads) add(ctx context.Context, files ...string) map[string]string {
	var out, errb bytes.Buffer
	args := append([]string{"item", "add", "--class", "bodycam", "--purpose", "Patrol footage, north gate", "--server", u.url, "--token", u.token}, files...)
	code := cli.Run(ctx, args, strings.NewReader(""), &out, &errb)
	added := map[string]string{}
	for _, m := range addedLine.FindAllStringSubmatch(out.String(), -1) {
		added[m[1]] = m[2]
	}
	if code == 0 && len(added) != len(files) {
		u.t.Errorf("vigil item add exited 0 but says it added %d of %d files:\n%s", len(added), len(files), &out)
	}
	if code != 0 && !u.down.Load() {
		u.t.Errorf("vigil item add, with the server up: exit %d\n%s%s", code, &out, &errb)
	}
	return added
}

// ack records that the item id was acknowledged for file f.
func (u *uploads) ack(f, id string) {
	b, err := os.ReadFile(f)
	if err != nil {
		u.t.Error(err)
		return
	}
	sum := sha256.Sum256(b)
	u.mu.Lock()
	u.acked[id] = hex.EncodeToString(sum[:])
	u.mu.Unlock()
}

// checkItems checks that every acknowledged item is listed with its file's
// hash, and that every listed item other than the big file is whole: the
// size and hash of a file that was sent.
func (u *uploads) checkItems(t *testing.T, items []itemInfo) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	byID := map[string]itemInfo{}
	for _, it := range items {
		byID[it.ID] = it
		if it.Size == bigSize {
			continue
		}
		want, ok := u.sums[it.SHA256]
		if !ok || !strings.HasPrefix(want, fmt.Sprintf("%d ", it.Size)) {
			t.Errorf("item %s (%d bytes, SHA-256 %s) is not any file that was sent", it.ID, it.Size, it.SHA256)
		}
	}
	for id, sum := range u.acked {
		it, ok := byID[id]
		switch {
		case !ok:
			t.Errorf("acknowledged item %s is not listed", id)
		case it.SHA256 != sum:
			t.Errorf("acknowledged item %s has SHA-256 %s, its file %s", id, it.SHA256, sum)
		}
	}
}

// itemInfo is an item as GET /api/items shows it.
type itemInfo struct {
	ID          string     `json:"id"`
	Class       string     `json:"class"`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"`
	DestroyedAt *time.Time `json:"destroyed_at"`
}

// listItems lists the items the token's account sees.
func listItems(t *testing.T, base, token string) []itemInfo {
	t.Helper()
	var out struct {
		Items []itemInfo `json:"items"`
	}
	if code, body := apiCall(t, "GET", base+"/api/items?limit=500", token, nil, &out); code != http.StatusOK {
		t.Fatalf("GET /api/items: %d %s", code, body)
	}
	return out.Items
}

// apiCall sends a request with a JSON body (if in is not nil) and the
// token, decodes a 2xx answer into out (if not nil), and returns the status
// and the body.
func apiCall(t *testing.T, method, url, token string, in, out any) (int, []byte) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	if resp.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, b)
		}
	}
	return resp.StatusCode, b
}

// upload is a row of tus_uploads.
type upload struct {
	id               string
	length, received int64
	completed        bool
	result           string
}

// bigUploads lists the uploads of the big file's size.
func bigUploads(t *testing.T, db *store.DB) []upload {
	t.Helper()
	rows, err := db.Query(t.Context(), "SELECT id, length, received, completed_at, result FROM tus_uploads WHERE length = ? ORDER BY id", bigSize)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ups []upload
	for rows.Next() {
		var u upload
		var done sql.NullInt64
		var result sql.NullString
		if err := rows.Scan(&u.id, &u.length, &u.received, &done, &result); err != nil {
			t.Fatal(err)
		}
		u.completed, u.result = done.Valid, result.String
		ups = append(ups, u)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ups
}

func openDB(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// checkNoPlaintext reads every file under dir (database, WAL, blobs,
// uploads, keys, log) and, on PostgreSQL, every row of every table, and
// fails the test if any holds one of the markers.
func checkNoPlaintext(t *testing.T, dir, dsn string, markers ...string) {
	t.Helper()
	var files int
	var bytesRead int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // went while the walk went on
		}
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		defer f.Close()
		files++
		n, found, err := scanFor(f, markers)
		bytesRead += n
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for _, m := range found {
			t.Errorf("%s holds the plaintext %q", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 || bytesRead == 0 {
		t.Fatalf("found no files to check under %s", dir)
	}
	if !store.IsPostgres(dsn) {
		return
	}
	db := openDB(t, dsn)
	defer db.Close()
	rows, err := db.Query(t.Context(), "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("PostgreSQL has only the tables %q", tables)
	}
	for _, table := range tables {
		for _, m := range markers {
			// Text as it is, and bytea as PostgreSQL writes it in text.
			var n int
			q := fmt.Sprintf(`SELECT count(*) FROM %q t WHERE strpos(t::text, ?) > 0 OR strpos(t::text, ?) > 0`, table)
			if err := db.QueryRow(t.Context(), q, m, hex.EncodeToString([]byte(m))).Scan(&n); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			if n > 0 {
				t.Errorf("PostgreSQL table %s holds the plaintext %q in %d rows", table, m, n)
			}
		}
	}
}

// scanFor reads r to its end and returns the markers found in it.
func scanFor(r io.Reader, markers []string) (int64, []string, error) {
	long := 0
	for _, m := range markers {
		long = max(long, len(m))
	}
	buf := make([]byte, 1<<20+long)
	found := map[string]bool{}
	keep, total := 0, int64(0)
	for {
		n, err := io.ReadFull(r, buf[keep:])
		total += int64(n)
		window := buf[:keep+n]
		for _, m := range markers {
			if bytes.Contains(window, []byte(m)) {
				found[m] = true
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return total, nil, err
		}
		keep = min(long-1, len(window))
		copy(buf, window[len(window)-keep:])
	}
	var out []string
	for _, m := range markers {
		if found[m] {
			out = append(out, m)
		}
	}
	return total, out, nil
}

// countFiles counts the regular files under dir; none if it does not
// exist.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// freeAddr is an address on 127.0.0.1 that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// vigilCmd is a vigil command line as a process of its own (this test
// binary under the name "vigil", see TestMain), run in dir with env added
// to the test's environment.
func vigilCmd(t *testing.T, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = "vigil"
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// stderrOf is what a command run with Output wrote on its standard error.
func stderrOf(err error) []byte {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Stderr
	}
	return nil
}

// cmdVaultState prints what the vault of the data directory DIR (with its
// SQLite database) holds, for scripts that check that a refused command
// left nothing behind on the server:
//
//	vaultstate DIR
func cmdVaultState(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: vaultstate DIR")
	}
	dir := ts.MkAbs(args[0])
	ctx := context.Background()
	db, err := store.Open(ctx, app.DBPath(dir))
	ts.Check(err)
	defer db.Close()
	for _, c := range []struct{ label, query string }{
		{"items", "SELECT count(*) FROM vault_items"},
		{"unfinished uploads", "SELECT count(*) FROM tus_uploads WHERE completed_at IS NULL"},
		{"upload chunks", "SELECT count(*) FROM tus_chunks"},
	} {
		var n int
		ts.Check(db.QueryRow(ctx, c.query).Scan(&n))
		fmt.Fprintf(ts.Stdout(), "%s %d\n", c.label, n)
	}
	for _, c := range []struct{ label, dir string }{
		{"upload blobs", filepath.Join(dir, "blobs", "objects", "uploads")},
		{"temporary blobs", filepath.Join(dir, "blobs", "tmp")},
	} {
		n := 0
		err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err == nil && d.Type().IsRegular() {
				n++
			}
			return err
		})
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "%s %d\n", c.label, n)
	}
}

// cmdEnvFile sets the environment variable VAR to what FILE holds, without
// surrounding white space, such as a token a command printed:
//
//	envfile VAR FILE
func cmdEnvFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: envfile VAR FILE")
	}
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile(args[1])))
}
