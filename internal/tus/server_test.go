package tus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestProtocol(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)

		r := e.req("OPTIONS", "/files", "", map[string]string{"Tus-Resumable": ""}, nil)
		want := map[string]string{"Tus-Version": "1.0.0", "Tus-Extension": "creation,termination,expiration", "Tus-Max-Size": strconv.Itoa(64 << 20)}
		if r.status != http.StatusNoContent {
			t.Errorf("OPTIONS: %d", r.status)
		}
		for k, v := range want {
			if got := r.h.Get(k); got != v {
				t.Errorf("OPTIONS %s = %q, want %q", k, got, v)
			}
		}

		for _, size := range []int{1, 1000003, 5<<20 + 7} {
			t.Run(strconv.Itoa(size), func(t *testing.T) {
				data := random(t, size)
				md := map[string]string{"filename": "protest düsseldorf.mp4", "class": "video", "empty": ""}
				path := e.create(int64(size), md)
				r := e.req("HEAD", path, owner, nil, nil)
				if r.status != http.StatusOK || r.h.Get("Upload-Offset") != "0" || r.h.Get("Upload-Length") != strconv.Itoa(size) ||
					r.h.Get("Cache-Control") != "no-store" || r.h.Get("Tus-Resumable") != "1.0.0" {
					t.Fatalf("HEAD of a new upload: %d %v", r.status, r.h)
				}
				exp, err := http.ParseTime(r.h.Get("Upload-Expires"))
				if err != nil || !exp.Equal(e.clock.Now().Add(DefaultExpiry)) {
					t.Errorf("Upload-Expires %q (%v)", r.h.Get("Upload-Expires"), err)
				}
				last := e.sendAll(path, 0, data, 1<<20+13, 7, 2<<20+1)
				loc := last.h.Get("Vigil-Item")
				if !strings.HasPrefix(loc, "/api/items/itm_") {
					t.Fatalf("last PATCH: Vigil-Item %q", loc)
				}
				uid := idOf(path)
				got, ok := e.item(uid)
				if !ok || !bytes.Equal(got, data) {
					t.Fatalf("Complete got %d bytes (made: %v), want the %d sent", len(got), ok, len(data))
				}
				if diff := cmp.Diff(md, e.metaOf(uid)); diff != "" {
					t.Errorf("metadata (-sent +got):\n%s", diff)
				}
				r = e.req("HEAD", path, owner, nil, nil)
				if r.status != http.StatusOK || r.h.Get("Vigil-Item") != loc || r.h.Get("Upload-Offset") != strconv.Itoa(size) {
					t.Errorf("HEAD of a finished upload: %d %v", r.status, r.h)
				}
				if ks := e.blobs.keys(t, uploadPrefix(uid)); len(ks) != 0 {
					t.Errorf("chunks left after completion: %v", ks)
				}
				if _, chunks := e.rows(uid); chunks != 0 {
					t.Errorf("%d chunk rows left after completion", chunks)
				}
				// Finishing again is harmless: the same item, Complete not called again.
				r = e.patch(path, int64(size), nil)
				if r.status != http.StatusNoContent || r.h.Get("Vigil-Item") != loc {
					t.Errorf("empty PATCH of a finished upload: %d %v", r.status, r.h)
				}
				if e.callsOf(uid) != 1 {
					t.Errorf("Complete called %d times", e.callsOf(uid))
				}
			})
		}

		t.Run("empty", func(t *testing.T) {
			r := e.req("POST", "/files/", owner, map[string]string{"Upload-Length": "0"}, nil)
			if r.status != http.StatusCreated || r.h.Get("Vigil-Item") == "" {
				t.Fatalf("empty upload: %d %v %s", r.status, r.h, r.body)
			}
			if b, ok := e.item(idOf(r.h.Get("Location"))); !ok || len(b) != 0 {
				t.Errorf("empty upload: Complete got %q, %v", b, ok)
			}
		})

		t.Run("method override", func(t *testing.T) {
			path := e.create(10, nil)
			r := e.req("POST", path, owner, map[string]string{"X-HTTP-Method-Override": "DELETE"}, nil)
			if r.status != http.StatusNoContent {
				t.Fatalf("POST as DELETE: %d %s", r.status, r.body)
			}
		})
	})
}

// TestInterruptedPatch cuts a PATCH off halfway: what arrived is kept,
// HEAD says how much, and the upload resumes from there.
func TestInterruptedPatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		data := random(t, 3<<20+5)
		path := e.create(int64(len(data)), nil)
		half := len(data) / 2

		conn, err := net.Dial("tcp", e.ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nX-Owner: %s\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: %d\r\n\r\n", path, owner, len(data))
		if _, err := conn.Write(data[:half]); err != nil {
			t.Fatal(err)
		}
		conn.Close()

		// The server stores the partial chunk once it sees the connection
		// end; HEAD waits for it if the PATCH is under way.
		var off int64
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if off = e.offset(path); off > 0 {
				break
			}
		}
		if off != int64(half) {
			t.Fatalf("after a PATCH cut off at %d bytes, HEAD says %d", half, off)
		}
		if r := e.patch(path, 0, data[:10]); r.status != http.StatusConflict || r.h.Get("Upload-Offset") != strconv.Itoa(half) {
			t.Errorf("PATCH at a stale offset: %d %v", r.status, r.h)
		}
		e.sendAll(path, off, data)
		if got, _ := e.item(idOf(path)); !bytes.Equal(got, data) {
			t.Fatalf("resumed upload: Complete got %d bytes, not what was sent", len(got))
		}
	})
}

// TestStalledPatch: a PATCH whose body stops coming is ended by the next
// request on the upload (a client back on a new connection), or by the
// idle timeout, and keeps what arrived.
func TestStalledPatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(c *Config) { c.ReadIdle = 1500 * time.Millisecond })
		data := random(t, 2<<20)
		half := len(data) / 2
		for _, how := range []string{"head", "idle"} {
			t.Run(how, func(t *testing.T) {
				path := e.create(int64(len(data)), nil)
				pr, pw := io.Pipe()
				req, _ := http.NewRequest("PATCH", e.ts.URL+path, pr)
				req.ContentLength = int64(len(data))
				req.Header.Set("Tus-Resumable", "1.0.0")
				req.Header.Set("X-Owner", owner)
				req.Header.Set("Content-Type", "application/offset+octet-stream")
				req.Header.Set("Upload-Offset", "0")
				tr := &http.Transport{}
				defer tr.CloseIdleConnections()
				done := make(chan struct{})
				go func() {
					defer close(done)
					if res, err := tr.RoundTrip(req); err == nil {
						res.Body.Close()
					}
				}()
				if _, err := pw.Write(data[:half]); err != nil {
					t.Fatal(err)
				}
				waitReading(t, e.srv.Load(), idOf(path))
				start := time.Now()
				var off int64
				if how == "head" {
					off = e.offset(path)
					if d := time.Since(start); d > 1200*time.Millisecond {
						t.Errorf("HEAD took %v: it waited for the idle timeout instead of ending the stalled PATCH", d)
					}
				} else {
					for deadline := time.Now().Add(10 * time.Second); off == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
						u, err := e.srv.Load().get(context.Background(), db, idOf(path))
						if err != nil {
							t.Fatal(err)
						}
						off = u.received
					}
				}
				// The client's transport may still hold a few KiB unsent.
				if off <= 0 || off > int64(half) || off < int64(half)-64<<10 {
					t.Fatalf("stalled after %d bytes, the upload holds %d", half, off)
				}
				pw.CloseWithError(errors.New("gave up"))
				<-done
				e.sendAll(path, off, data)
				if got, _ := e.item(idOf(path)); !bytes.Equal(got, data) {
					t.Fatal("resumed upload differs")
				}
			})
		}
	})
}

// waitReading waits until a PATCH on the upload is reading its body.
func waitReading(t *testing.T, s *Server, uid string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s.locks.mu.Lock()
		e := s.locks.m[uid]
		reading := e != nil && e.interrupt != nil
		s.locks.mu.Unlock()
		if reading {
			return
		}
	}
	t.Fatal("no PATCH is reading")
}

// TestConcurrentPatches sends two PATCHes at the same offset at once: the
// upload stays consistent and finishes with the right content.
func TestConcurrentPatches(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		data := random(t, 4<<20)
		path := e.create(int64(len(data)), nil)
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i := range 2 {
			wg.Go(func() {
				q, _ := http.NewRequest("PATCH", e.ts.URL+path, bytes.NewReader(data))
				q.Header.Set("Tus-Resumable", "1.0.0")
				q.Header.Set("X-Owner", owner)
				q.Header.Set("Content-Type", "application/offset+octet-stream")
				q.Header.Set("Upload-Offset", "0")
				res, err := http.DefaultClient.Do(q)
				if err == nil {
					statuses[i] = res.StatusCode
					res.Body.Close()
				}
			})
		}
		wg.Wait()
		t.Logf("statuses %v", statuses)
		off := e.offset(path)
		if off < int64(len(data)) {
			e.sendAll(path, off, data)
		}
		if got, _ := e.item(idOf(path)); !bytes.Equal(got, data) {
			t.Fatal("content differs after concurrent PATCHes")
		}
		if e.callsOf(idOf(path)) != 1 {
			t.Errorf("Complete called %d times", e.callsOf(idOf(path)))
		}
	})
}

// TestNoPlaintextOnDisk looks for a distinctive plaintext, sent as content
// and as metadata, in every file the blobs and the database wrote.
func TestNoPlaintextOnDisk(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		marker := []byte("VIGIL-TEST-PLAINTEXT-MARKER:the-witness-statement-of-2030-01-02!")
		if len(marker) != 64 {
			t.Fatalf("marker is %d bytes", len(marker))
		}
		data := bytes.Repeat(marker, 40000) // 2.5 MiB
		path := e.create(int64(len(data))+100, map[string]string{"filename": string(marker)})
		e.sendAll(path, 0, data, 1<<20, 1<<20)
		uid := idOf(path)
		if _, chunks := e.rows(uid); chunks != 3 {
			t.Fatalf("%d chunks recorded, want 3", chunks)
		}

		files := []string{}
		filepath.WalkDir(e.blobs.root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		if len(files) != 3 {
			t.Errorf("blob files %v, want 3 chunks", files)
		}
		if db.Kind() == store.SQLite {
			for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
				if _, err := os.Stat(db.DSN() + suffix); err == nil {
					files = append(files, db.DSN()+suffix)
				}
			}
		}
		// The scan can find what is there.
		canary := filepath.Join(t.TempDir(), "canary")
		os.WriteFile(canary, append([]byte("xx"), marker...), 0o600)
		for _, f := range append(files, canary) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if found := bytes.Contains(b, marker); found != (f == canary) {
				t.Errorf("%s: marker found = %v", f, found)
			}
		}
		var sealed []byte
		if err := db.QueryRow(context.Background(), "SELECT metadata FROM tus_uploads WHERE id = ?", uid).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if len(sealed) == 0 || bytes.Contains(sealed, marker) || bytes.Contains(sealed, []byte("filename")) {
			t.Errorf("stored metadata is not sealed: %q", sealed)
		}
	})
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		path := e.create(100, nil)
		if r := e.patch(path, 0, random(t, 40)); r.status != http.StatusNoContent {
			t.Fatalf("PATCH: %d", r.status)
		}
		octets := "application/offset+octet-stream"
		for _, c := range []struct {
			name, method, path, who string
			hdr                     map[string]string
			body                    []byte
			status                  int
			msg                     string
			header                  [2]string
		}{
			{name: "no version", method: "POST", path: "/files", who: owner, hdr: map[string]string{"Tus-Resumable": "", "Upload-Length": "5"}, status: 412, msg: "Tus-Resumable", header: [2]string{"Tus-Version", "1.0.0"}},
			{name: "wrong version", method: "HEAD", path: path, who: owner, hdr: map[string]string{"Tus-Resumable": "0.2.2"}, status: 412, header: [2]string{"Tus-Version", "1.0.0"}},
			{name: "not signed in", method: "POST", path: "/files", hdr: map[string]string{"Upload-Length": "5"}, status: 401},
			{name: "no length", method: "POST", path: "/files", who: owner, status: 400, msg: "Upload-Length header is required"},
			{name: "negative length", method: "POST", path: "/files", who: owner, hdr: map[string]string{"Upload-Length": "-1"}, status: 400, msg: "non-negative"},
			{name: "text length", method: "POST", path: "/files", who: owner, hdr: map[string]string{"Upload-Length": "12abc"}, status: 400, msg: "non-negative"},
			{name: "huge length", method: "POST", path: "/files", who: owner, hdr: map[string]string{"Upload-Length": "99999999999999999999"}, status: 400, msg: "out of range"},
			{name: "deferred length", method: "POST", path: "/files", who: owner, hdr: map[string]string{"Upload-Defer-Length": "1"}, status: 400, msg: "Upload-Defer-Length"},
			{name: "too large", method: "POST", path: "/files", who: owner, hdr: map[string]string{"Upload-Length": strconv.Itoa(64<<20 + 1)}, status: 413, msg: "more than", header: [2]string{"Tus-Max-Size", strconv.Itoa(64 << 20)}},
			{name: "bad base64", method: "POST", path: "/files", who: owner, hdr: map[string]string{"Upload-Length": "5", "Upload-Metadata": "filename a*b="}, status: 400, msg: `the value of "filename" is not base64`},
			{name: "duplicate key", method: "POST", path: "/files", who: owner, hdr: map[string]string{"Upload-Length": "5", "Upload-Metadata": "a YQ==,a Yg=="}, status: 400, msg: `key "a" appears twice`},
			{name: "too many keys", method: "POST", path: "/files", who: owner, hdr: map[string]string{"Upload-Length": "5", "Upload-Metadata": strings.Repeat("k,", 40) + "k"}, status: 400, msg: "Upload-Metadata"},
			{name: "refused class", method: "POST", path: "/files", who: owner, hdr: map[string]string{"Upload-Length": "5", "Upload-Metadata": FormatMetadata(map[string]string{"class": "rumour"})}, status: 400, msg: `unknown class "rumour"`},
			{name: "collection GET", method: "GET", path: "/files", who: owner, status: 405},
			{name: "upload GET", method: "GET", path: path, who: owner, status: 405},
			{name: "wrong content type", method: "PATCH", path: path, who: owner, hdr: map[string]string{"Content-Type": "application/octet-stream", "Upload-Offset": "40"}, body: []byte("x"), status: 415, msg: "application/offset+octet-stream"},
			{name: "no offset", method: "PATCH", path: path, who: owner, hdr: map[string]string{"Content-Type": octets}, body: []byte("x"), status: 400, msg: "Upload-Offset"},
			{name: "offset mismatch", method: "PATCH", path: path, who: owner, hdr: map[string]string{"Content-Type": octets, "Upload-Offset": "30"}, body: []byte("x"), status: 409, msg: "offset mismatch", header: [2]string{"Upload-Offset", "40"}},
			{name: "past the end", method: "PATCH", path: path, who: owner, hdr: map[string]string{"Content-Type": octets, "Upload-Offset": "40"}, body: make([]byte, 61), status: 413, msg: "60 bytes remain"},
			{name: "other owner HEAD", method: "HEAD", path: path, who: other, status: 404},
			{name: "other owner PATCH", method: "PATCH", path: path, who: other, hdr: map[string]string{"Content-Type": octets, "Upload-Offset": "40"}, body: []byte("x"), status: 404, msg: "no such upload"},
			{name: "other owner DELETE", method: "DELETE", path: path, who: other, status: 404},
			{name: "unknown upload", method: "HEAD", path: "/files/" + id.New("upl"), who: owner, status: 404},
			{name: "malformed ID", method: "PATCH", path: "/files/../etc", who: owner, hdr: map[string]string{"Content-Type": octets, "Upload-Offset": "0"}, status: 404},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.req(c.method, c.path, c.who, c.hdr, c.body)
				if r.status != c.status || !strings.Contains(r.body, c.msg) {
					t.Errorf("%d %q, want %d %q", r.status, r.body, c.status, c.msg)
				}
				if c.header[0] != "" && r.h.Get(c.header[0]) != c.header[1] {
					t.Errorf("%s: %q, want %q", c.header[0], r.h.Get(c.header[0]), c.header[1])
				}
			})
		}
		// None of that changed the upload.
		if off := e.offset(path); off != 40 {
			t.Errorf("offset %d after the refusals, want 40", off)
		}
		if r := e.patch(path, 40, random(t, 60)); r.status != http.StatusNoContent || r.h.Get("Vigil-Item") == "" {
			t.Errorf("finishing after the refusals: %d %v", r.status, r.h)
		}
	})
}

func TestTermination(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		path := e.create(1<<20, nil)
		e.sendAll(path, 0, random(t, 300000), 100000, 100000, 100000)
		uid := idOf(path)
		if ks := e.blobs.keys(t, uploadPrefix(uid)); len(ks) != 3 {
			t.Fatalf("chunks %v", ks)
		}
		if r := e.req("DELETE", path, owner, nil, nil); r.status != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
		if r := e.req("HEAD", path, owner, nil, nil); r.status != http.StatusNotFound {
			t.Errorf("HEAD after DELETE: %d", r.status)
		}
		if ups, chunks := e.rows(uid); ups+chunks != 0 {
			t.Errorf("rows left: %d uploads, %d chunks", ups, chunks)
		}
		if ks := e.blobs.keys(t, "uploads/"); len(ks) != 0 {
			t.Errorf("blobs left: %v", ks)
		}
	})
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		abandoned := e.create(1000, nil)
		e.sendAll(abandoned, 0, random(t, 500), 250, 250)
		finished := e.create(10, nil)
		e.sendAll(finished, 0, random(t, 10))
		active := e.create(1000, nil)

		e.clock.Add(20 * time.Hour)
		e.sendAll(active, 0, random(t, 100)) // a PATCH extends the expiry
		e.clock.Add(5 * time.Hour)

		if r := e.req("HEAD", abandoned, owner, nil, nil); r.status != http.StatusGone {
			t.Errorf("HEAD of an expired upload: %d", r.status)
		}
		if r := e.patch(abandoned, 500, []byte("x")); r.status != http.StatusGone {
			t.Errorf("PATCH of an expired upload: %d", r.status)
		}
		if off := e.offset(active); off != 100 {
			t.Errorf("active upload: offset %d", off)
		}
		n, err := e.srv.Load().Sweep(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Sweep = %d, %v; want 2 uploads", n, err)
		}
		for _, p := range []string{abandoned, finished} {
			if ups, chunks := e.rows(idOf(p)); ups+chunks != 0 {
				t.Errorf("%s: rows left after the sweep", p)
			}
			if r := e.req("HEAD", p, owner, nil, nil); r.status != http.StatusNotFound {
				t.Errorf("HEAD of a swept upload: %d", r.status)
			}
		}
		if ks := e.blobs.keys(t, "uploads/"); len(ks) != 1 || !strings.HasPrefix(ks[0], uploadPrefix(idOf(active))) {
			t.Errorf("blobs after the sweep: %v", ks)
		}
		if n, err := e.srv.Load().Sweep(ctx); n != 0 || err != nil {
			t.Errorf("second Sweep = %d, %v", n, err)
		}
	})
}

func TestSweepOrphans(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		put := func(key string) {
			t.Helper()
			if _, err := e.blobs.Put(ctx, key, strings.NewReader("ciphertext")); err != nil {
				t.Fatal(err)
			}
		}
		gone := id.New("upl")
		put(chunkKey(gone, 0))
		put(chunkKey(gone, 1))
		finished := e.create(5, nil)
		e.sendAll(finished, 0, []byte("hello"))
		put(chunkKey(idOf(finished), 0)) // as if a crash came before the deletion
		active := e.create(100, nil)
		e.sendAll(active, 0, random(t, 10))
		put(chunkKey(idOf(active), 1)) // a PATCH not recorded (yet)
		put("uploads/not-an-upload/x")

		n, err := e.srv.Load().Sweep(ctx)
		if err != nil || n != 3 {
			t.Errorf("Sweep = %d, %v; want 3 orphans", n, err)
		}
		want := []string{"uploads/not-an-upload/x", chunkKey(idOf(active), 0), chunkKey(idOf(active), 1)}
		if diff := cmp.Diff(want, e.blobs.keys(t, "uploads/")); diff != "" {
			t.Errorf("blobs after the sweep (-want +got):\n%s", diff)
		}
		// The unrecorded chunk is replaced by the next PATCH, and the upload
		// finishes intact.
		data := random(t, 100)
		r := e.req("HEAD", active, owner, nil, nil)
		off, _ := strconv.Atoi(r.h.Get("Upload-Offset"))
		copy(data, data[:off])
		e.sendAll(active, int64(off), data)
		if got, _ := e.item(idOf(active)); !bytes.Equal(got[off:], data[off:]) {
			t.Error("content differs")
		}
	})
}

// TestSweepSkipsBusyUploads: an upload a request holds is left alone.
func TestSweepSkipsBusyUploads(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		path := e.create(100, nil)
		e.sendAll(path, 0, random(t, 10))
		e.clock.Add(25 * time.Hour)
		s := e.srv.Load()
		h, ok := s.locks.tryLock(idOf(path))
		if !ok {
			t.Fatal("cannot lock")
		}
		if n, err := s.Sweep(context.Background()); n != 0 || err != nil {
			t.Errorf("Sweep of a held upload = %d, %v", n, err)
		}
		h.release()
		if n, err := s.Sweep(context.Background()); n != 1 || err != nil {
			t.Errorf("Sweep after release = %d, %v", n, err)
		}
	})
}

// TestResume: a crash or a failing Complete leaves an upload whose bytes
// all arrived; Resume at start-up, or the client's next request, finishes it.
func TestResume(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.setFailer(func(Upload) error { return errors.New("vault is down") })
		data := random(t, 2<<20+3)
		paths := []string{e.create(int64(len(data)), nil), e.create(int64(len(data)), nil)}
		for _, p := range paths {
			e.sendAll(p, 0, data[:1<<20])
			r := e.patch(p, 1<<20, data[1<<20:])
			if r.status != http.StatusInternalServerError || strings.Contains(r.body, "vault is down") {
				t.Fatalf("PATCH with Complete failing: %d %q; want 500 without detail", r.status, r.body)
			}
			r = e.req("HEAD", p, owner, nil, nil)
			if r.h.Get("Upload-Offset") != strconv.Itoa(len(data)) || r.h.Get("Vigil-Item") != "" {
				t.Fatalf("HEAD after the failure: %v", r.h)
			}
		}
		e.setFailer(nil)

		// The client asks again with an empty PATCH.
		r := e.patch(paths[0], int64(len(data)), nil)
		if r.status != http.StatusNoContent || r.h.Get("Vigil-Item") == "" {
			t.Fatalf("empty PATCH to finish: %d %v %s", r.status, r.h, r.body)
		}

		// The server restarts and finishes the other.
		s := e.restart()
		if err := s.Resume(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if got, _ := e.item(idOf(p)); !bytes.Equal(got, data) {
				t.Errorf("%s: content differs", p)
			}
			if r := e.req("HEAD", p, owner, nil, nil); r.h.Get("Vigil-Item") == "" {
				t.Errorf("%s: no item after Resume", p)
			}
			if ks := e.blobs.keys(t, uploadPrefix(idOf(p))); len(ks) != 0 {
				t.Errorf("chunks left: %v", ks)
			}
		}
		if err := s.Resume(context.Background()); err != nil {
			t.Fatal(err)
		}
		if e.callsOf(idOf(paths[1])) != 2 {
			t.Errorf("Complete called %d times, want 2 (one failure, one success)", e.callsOf(idOf(paths[1])))
		}
	})
}

type notAVideo struct{}

func (notAVideo) Error() string     { return "the file is not a video" }
func (notAVideo) ClientError() bool { return true }

// TestCompleteRefuses: Complete's refusal terminates the upload and
// reaches the client.
func TestCompleteRefuses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for _, c := range []struct {
			err    error
			status int
			msg    string
		}{
			{&Error{Status: http.StatusUnprocessableEntity, Msg: "checksum of the capture does not match"}, 422, "checksum of the capture does not match"},
			{fmt.Errorf("vault: %w", notAVideo{}), 422, "the file is not a video"},
			{&Error{Status: http.StatusForbidden, Msg: "not allowed for your role"}, 403, "not allowed for your role"},
		} {
			e.setFailer(func(Upload) error { return c.err })
			path := e.create(1000, nil)
			data := random(t, 1000)
			e.sendAll(path, 0, data[:600])
			r := e.patch(path, 600, data[600:])
			if r.status != c.status || strings.TrimSpace(r.body) != c.msg {
				t.Errorf("refused by Complete: %d %q, want %d %q", r.status, r.body, c.status, c.msg)
			}
			if r := e.req("HEAD", path, owner, nil, nil); r.status != http.StatusNotFound {
				t.Errorf("HEAD of a refused upload: %d", r.status)
			}
			if ups, chunks := e.rows(idOf(path)); ups+chunks != 0 {
				t.Errorf("rows left: %d uploads, %d chunks", ups, chunks)
			}
			if ks := e.blobs.keys(t, "uploads/"); len(ks) != 0 {
				t.Errorf("blobs left: %v", ks)
			}
		}
	})
}
