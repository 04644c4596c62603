package tus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// flaky is a RoundTripper that can cut a PATCH body off partway and can
// play a server that is down.
type flaky struct {
	next    http.RoundTripper
	patches atomic.Int64
	cutAt   int64       // the PATCH (1-based) whose body breaks off halfway; 0: none
	down    atomic.Bool // every request fails
	cut     atomic.Bool // the cut has happened
}

var errDropped = errors.New("connection dropped (test)")

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.down.Load() {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errDropped
	}
	if r.Method == http.MethodPatch && f.patches.Add(1) == f.cutAt && r.ContentLength > 1 {
		f.cut.Store(true)
		f.down.Store(true) // the server "dies" with the connection
		r.Body = &breakingBody{r: r.Body, left: r.ContentLength / 2}
	}
	return f.next.RoundTrip(r)
}

// breakingBody returns an error once left bytes have been read.
type breakingBody struct {
	r    io.ReadCloser
	left int64
}

func (b *breakingBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errDropped
	}
	n, err := b.r.Read(p[:min(int64(len(p)), b.left)])
	b.left -= int64(n)
	return n, err
}

func (b *breakingBody) Close() error { return b.r.Close() }

func writeFile(t *testing.T, data []byte) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "capture.mp4")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// progressLog records progress calls.
type progressLog struct {
	mu    sync.Mutex
	last  int64
	total int64
	calls int
}

func (p *progressLog) fn(sent, total int64) {
	p.mu.Lock()
	p.last, p.total = sent, total
	p.calls++
	p.mu.Unlock()
}

func (e *env) client(rt http.RoundTripper, stateDir string) *Client {
	return &Client{
		Endpoint:  e.ts.URL + "/files",
		Header:    http.Header{"X-Owner": {owner}},
		HTTP:      &http.Client{Transport: rt},
		ChunkSize: 1 << 20,
		StateDir:  stateDir,
		Retries:   3,
		Backoff:   time.Millisecond,
	}
}

func stateFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestClient(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		md := map[string]string{"filename": "capture.mp4", "class": "video"}

		t.Run("plain", func(t *testing.T) {
			data := random(t, 3<<20+5)
			var p progressLog
			c := e.client(e.ts.Client().Transport, t.TempDir())
			loc, err := c.Upload(ctx, writeFile(t, data), md, p.fn)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(loc, "/api/items/itm_") {
				t.Errorf("location %q", loc)
			}
			if p.last != int64(len(data)) || p.total != int64(len(data)) {
				t.Errorf("progress ended at %d of %d", p.last, p.total)
			}
			if got := e.itemAt(loc); !bytes.Equal(got, data) {
				t.Error("content differs")
			}
			if s := stateFiles(t, c.StateDir); len(s) != 0 {
				t.Errorf("state left after success: %v", s)
			}
		})

		t.Run("empty", func(t *testing.T) {
			c := e.client(e.ts.Client().Transport, t.TempDir())
			loc, err := c.Upload(ctx, writeFile(t, nil), md, nil)
			if err != nil || loc == "" {
				t.Fatalf("Upload = %q, %v", loc, err)
			}
		})

		t.Run("dropped connection", func(t *testing.T) {
			// One PATCH breaks off halfway; the client asks where the server
			// is and goes on.
			data := random(t, 4<<20+1)
			ft := &flaky{next: e.ts.Client().Transport, cutAt: 2}
			var p progressLog
			c := e.client(ft, t.TempDir())
			go func() {
				// The server comes back after a moment.
				for !ft.cut.Load() {
					time.Sleep(time.Millisecond)
				}
				time.Sleep(2 * time.Millisecond)
				ft.down.Store(false)
			}()
			c.Retries = 50
			loc, err := c.Upload(ctx, writeFile(t, data), md, p.fn)
			if err != nil {
				t.Fatal(err)
			}
			if !ft.cut.Load() {
				t.Fatal("no PATCH was cut off")
			}
			if got := e.itemAt(loc); !bytes.Equal(got, data) {
				t.Error("content differs")
			}
			if p.last != int64(len(data)) {
				t.Errorf("progress ended at %d", p.last)
			}
		})

		t.Run("server killed", func(t *testing.T) {
			// The server dies during a PATCH and stays down: Upload gives up
			// and the state file remembers the upload. The server restarts;
			// a new run resumes the same upload.
			data := random(t, 5<<20+3)
			dir := t.TempDir()
			f := writeFile(t, data)
			ft := &flaky{next: e.ts.Client().Transport, cutAt: 3}
			posts := e.posts.Load()
			_, err := e.client(ft, dir).Upload(ctx, f, md, nil)
			if !errors.Is(err, errDropped) || !strings.Contains(err.Error(), "giving up after 4") {
				t.Fatalf("Upload with the server down: %v", err)
			}
			state := stateFiles(t, dir)
			if len(state) != 1 {
				t.Fatalf("state files %v", state)
			}
			b, _ := os.ReadFile(state[0])
			var st clientState
			if err := json.Unmarshal(b, &st); err != nil {
				t.Fatal(err)
			}
			uid := idOf(st.URL)
			held := e.offset("/files/" + uid)
			if held <= 2<<20 || held >= 3<<20 {
				t.Errorf("the server holds %d bytes; expected two chunks and part of the third", held)
			}

			e.restart()
			var p progressLog
			loc, err := e.client(e.ts.Client().Transport, dir).Upload(ctx, f, md, p.fn)
			if err != nil {
				t.Fatal(err)
			}
			if n := e.posts.Load() - posts; n != 1 {
				t.Errorf("%d uploads created; the second run should have resumed the first", n)
			}
			if got, _ := e.item(uid); !bytes.Equal(got, data) || e.itemAt(loc) == nil {
				t.Error("content differs")
			}
			if p.last != p.total || p.total != int64(len(data)) {
				t.Errorf("progress ended at %d of %d", p.last, p.total)
			}
			if s := stateFiles(t, dir); len(s) != 0 {
				t.Errorf("state left after success: %v", s)
			}
		})

		t.Run("forgotten upload", func(t *testing.T) {
			// The server terminated the remembered upload: start over.
			data := random(t, 2<<20)
			dir := t.TempDir()
			f := writeFile(t, data)
			ft := &flaky{next: e.ts.Client().Transport, cutAt: 1}
			c := e.client(ft, dir)
			c.Retries = -1
			if _, err := c.Upload(ctx, f, md, nil); err == nil {
				t.Fatal("Upload with the server down succeeded")
			}
			b, _ := os.ReadFile(stateFiles(t, dir)[0])
			var st clientState
			json.Unmarshal(b, &st)
			if r := e.req("DELETE", "/files/"+idOf(st.URL), owner, nil, nil); r.status != http.StatusNoContent {
				t.Fatalf("DELETE: %d", r.status)
			}
			loc, err := e.client(e.ts.Client().Transport, dir).Upload(ctx, f, md, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.itemAt(loc); !bytes.Equal(got, data) {
				t.Error("content differs")
			}
		})

		t.Run("refused", func(t *testing.T) {
			c := e.client(e.ts.Client().Transport, t.TempDir())
			_, err := c.Upload(ctx, writeFile(t, []byte("x")), map[string]string{"class": "rumour"}, nil)
			var te *Error
			if !errors.As(err, &te) || te.Status != http.StatusBadRequest || te.Msg != `unknown class "rumour"` {
				t.Errorf("Upload of a refused class: %v", err)
			}
			e.setFailer(func(Upload) error { return notAVideo{} })
			defer e.setFailer(nil)
			_, err = c.Upload(ctx, writeFile(t, []byte("not a video")), md, nil)
			if !errors.As(err, &te) || te.Status != http.StatusUnprocessableEntity || te.Msg != "the file is not a video" {
				t.Errorf("Upload refused by Complete: %v", err)
			}
		})
	})
}

// itemAt returns the content of the item at loc.
func (e *env) itemAt(loc string) []byte {
	b, _ := e.item("upl_" + strings.TrimPrefix(loc, "/api/items/itm_"))
	return b
}

func TestResponseError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ ctype, body, want string }{
		{"text/plain", "offset mismatch\n", "offset mismatch"},
		{"application/json", `{"error": "no such class"}`, "no such class"},
		{"application/problem+json", `{"title": "Bad Request", "detail": "no such class", "status": 400}`, "no such class"},
		{"text/plain", "", "Bad Request"},
		{"text/plain", strings.Repeat("x", 10000), strings.Repeat("x", maxErrorBody)},
	} {
		resp := &http.Response{StatusCode: 400, Header: http.Header{"Content-Type": {c.ctype}}, Body: io.NopCloser(strings.NewReader(c.body))}
		if got := responseError(resp); got.Msg != c.want || got.Status != 400 {
			t.Errorf("%s %.20q: %d %.20q, want %.20q", c.ctype, c.body, got.Status, got.Msg, c.want)
		}
	}
}
