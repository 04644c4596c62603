package tus

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// dirBlobs is the real filesystem blob store, and where it lives.
type dirBlobs struct {
	*blob.FS
	root string
}

var _ Blobs = (*dirBlobs)(nil)

func newDirBlobs(t *testing.T) *dirBlobs {
	t.Helper()
	root := t.TempDir()
	fs, err := blob.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	return &dirBlobs{FS: fs, root: root}
}

// keys lists every blob key with the prefix.
func (b *dirBlobs) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var ks []string
	if err := b.List(context.Background(), prefix, func(i blob.Info) error { ks = append(ks, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return ks
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	owner = "acc_owner"
	other = "acc_other"
)

// env is a Server behind an httptest.Server, the owner taken from the
// X-Owner header, mounted at /files.
type env struct {
	t      *testing.T
	db     *store.DB
	blobs  *dirBlobs
	kek    tink.AEAD
	clock  *clock
	cfg    Config
	srv    atomic.Pointer[Server]
	ts     *httptest.Server
	posts  atomic.Int64
	mu     sync.Mutex
	items  map[string][]byte            // upload ID -> content Complete received
	meta   map[string]map[string]string // upload ID -> metadata Complete received
	calls  map[string]int
	failer func(u Upload) error // if set, Complete's verdict before it reads
}

func newEnv(t *testing.T, db *store.DB, tweak ...func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	for _, a := range []string{owner, other} {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO accounts (id, username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", a, a, "reporter", "x", 1, 1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	h, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
	if err != nil {
		t.Fatal(err)
	}
	kek, err := aead.New(h)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		t: t, db: db, blobs: newDirBlobs(t), kek: kek,
		clock: &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		items: map[string][]byte{}, meta: map[string]map[string]string{}, calls: map[string]int{},
	}
	e.cfg = Config{
		Blobs: e.blobs, KEK: kek, MaxSize: 64 << 20, Now: e.clock.Now,
		Complete: e.complete,
		CheckMetadata: func(ctx context.Context, owner string, md map[string]string) error {
			if c, ok := md["class"]; ok && c != "video" && c != "photo" {
				return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("unknown class %q", c)}
			}
			return nil
		},
	}
	for _, f := range tweak {
		f(&e.cfg)
	}
	e.restart()
	e.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/files")
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method == http.MethodPost {
			e.posts.Add(1)
		}
		if err := e.srv.Load().Serve(w, r, r.Header.Get("X-Owner"), strings.Trim(rest, "/")); err != nil {
			WriteError(w, err)
		}
	}))
	t.Cleanup(e.ts.Close)
	return e
}

// restart replaces the server with a new one on the same database and
// blobs, as a restarted process would have.
func (e *env) restart() *Server {
	e.t.Helper()
	s, err := New(e.db, e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv.Store(s)
	return s
}

func (e *env) complete(ctx context.Context, u Upload, content io.Reader) (string, error) {
	e.mu.Lock()
	e.calls[u.ID]++
	failer := e.failer
	e.mu.Unlock()
	if failer != nil {
		if err := failer(u); err != nil {
			return "", err
		}
	}
	b, err := io.ReadAll(content)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	e.items[u.ID] = b
	e.meta[u.ID] = u.Metadata
	e.mu.Unlock()
	return "/api/items/itm_" + strings.TrimPrefix(u.ID, "upl_"), nil
}

func (e *env) setFailer(f func(Upload) error) {
	e.mu.Lock()
	e.failer = f
	e.mu.Unlock()
}

func (e *env) callsOf(id string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[id]
}

func (e *env) metaOf(id string) map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.meta[id]
}

func (e *env) item(id string) ([]byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.items[id]
	return b, ok
}

type resp struct {
	status int
	h      http.Header
	body   string
}

// req sends a request as owner "who" (none if empty) with tus headers.
func (e *env) req(method, path, who string, hdr map[string]string, body []byte) resp {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	q, err := http.NewRequest(method, e.ts.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	q.Header.Set("Tus-Resumable", "1.0.0")
	if who != "" {
		q.Header.Set("X-Owner", who)
	}
	for k, v := range hdr {
		if v == "" {
			q.Header.Del(k)
		} else {
			q.Header.Set(k, v)
		}
	}
	res, err := e.ts.Client().Do(q)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

// create makes an upload and returns its path.
func (e *env) create(length int64, md map[string]string) string {
	e.t.Helper()
	hdr := map[string]string{"Upload-Length": strconv.FormatInt(length, 10)}
	if len(md) > 0 {
		hdr["Upload-Metadata"] = FormatMetadata(md)
	}
	r := e.req("POST", "/files", owner, hdr, nil)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create: %d %s", r.status, r.body)
	}
	loc := r.h.Get("Location")
	if !strings.HasPrefix(loc, "/files/upl_") {
		e.t.Fatalf("create: Location %q", loc)
	}
	return loc
}

func (e *env) patch(path string, off int64, data []byte) resp {
	e.t.Helper()
	return e.req("PATCH", path, owner, map[string]string{
		"Content-Type":  "application/offset+octet-stream",
		"Upload-Offset": strconv.FormatInt(off, 10),
	}, data)
}

// offset asks for the upload's offset (HEAD) and fails unless it answers 200.
func (e *env) offset(path string) int64 {
	e.t.Helper()
	r := e.req("HEAD", path, owner, nil, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("HEAD %s: %d", path, r.status)
	}
	n, err := strconv.ParseInt(r.h.Get("Upload-Offset"), 10, 64)
	if err != nil {
		e.t.Fatalf("HEAD %s: Upload-Offset %q", path, r.h.Get("Upload-Offset"))
	}
	return n
}

// rows counts an upload's rows in tus_uploads and tus_chunks.
func (e *env) rows(id string) (uploads, chunks int) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.db.QueryRow(ctx, "SELECT COUNT(*) FROM tus_uploads WHERE id = ?", id).Scan(&uploads); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.QueryRow(ctx, "SELECT COUNT(*) FROM tus_chunks WHERE upload_id = ?", id).Scan(&chunks); err != nil {
		e.t.Fatal(err)
	}
	return uploads, chunks
}

func idOf(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }

func random(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// sendAll PATCHes data from off in pieces of the given sizes (the last
// piece takes the rest) and returns the last response.
func (e *env) sendAll(path string, off int64, data []byte, sizes ...int) resp {
	e.t.Helper()
	var last resp
	for i := 0; off < int64(len(data)); i++ {
		end := int64(len(data))
		if i < len(sizes) {
			end = min(off+int64(sizes[i]), end)
		}
		last = e.patch(path, off, data[off:end])
		if last.status != http.StatusNoContent {
			e.t.Fatalf("PATCH at %d: %d %s", off, last.status, last.body)
		}
		if got := last.h.Get("Upload-Offset"); got != strconv.FormatInt(end, 10) {
			e.t.Fatalf("PATCH at %d: Upload-Offset %s, want %d", off, got, end)
		}
		off = end
	}
	return last
}
