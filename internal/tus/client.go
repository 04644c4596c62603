package tus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Defaults for the Client fields left at zero.
const (
	DefaultChunkSize = 16 << 20
	DefaultRetries   = 10
	DefaultBackoff   = time.Second
	maxBackoff       = time.Minute
	maxRestarts      = 3
)

// Client sends files to a tus server, resuming where a previous attempt
// stopped. Its zero value, given an Endpoint, works.
type Client struct {
	// Endpoint is the URL of the upload collection.
	Endpoint string
	// Header is added to every request, such as Authorization.
	Header http.Header
	// HTTP sends the requests; http.DefaultClient when nil. Give it no
	// overall Timeout: a chunk may take long on a slow network.
	HTTP *http.Client
	// ChunkSize is the most bytes one PATCH sends; DefaultChunkSize when
	// zero. A failed PATCH costs at most this much again.
	ChunkSize int64
	// StateDir is where the URLs of unfinished uploads are remembered, so
	// that a later run resumes them; when empty, an upload resumes only
	// within one call of Upload.
	StateDir string
	// Retries is how many transient failures in a row (network errors,
	// 5xx, 409, 423, 429) Upload retries before it gives up; a request
	// that moves the upload forward starts the count again.
	// DefaultRetries when zero, none when negative.
	Retries int
	// Backoff is the wait before the first retry, doubling after each
	// further failure up to a minute; DefaultBackoff when zero.
	Backoff time.Duration
}

// Upload sends f, whose size must not change, with metadata, and returns
// where the server says the item is (its Vigil-Item header).
//
// It resumes a previous upload of the same file, as StateDir remembers it:
// same absolute path, size, modification time, metadata and Endpoint. It
// retries transient failures with backoff, asking the server how much it
// holds before going on; an upload the server no longer knows (404, 410)
// starts over. A refusal (other 4xx) is returned as an *Error with the
// server's message. progress, if not nil, is called with the bytes sent so
// far and the total as they go; after a failure, sent may step back to
// what the server actually holds.
func (c *Client) Upload(ctx context.Context, f *os.File, metadata map[string]string, progress func(sent, total int64)) (string, error) {
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("tus: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("tus: %s is not a regular file", f.Name())
	}
	abs, err := filepath.Abs(f.Name())
	if err != nil {
		return "", fmt.Errorf("tus: %w", err)
	}
	base, err := url.Parse(c.Endpoint)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return "", fmt.Errorf("tus: endpoint %q is not an absolute URL", c.Endpoint)
	}
	u := &clientUpload{c: c, base: base, f: f, size: fi.Size(), md: metadata, progress: progress}
	if c.StateDir != "" {
		u.statePath = filepath.Join(c.StateDir, fingerprint(c.Endpoint, abs, fi, metadata)+".json")
		u.url = u.loadState()
	}
	retries := c.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	failures := 0
	for {
		loc, err := u.run(ctx)
		if err == nil {
			u.forget()
			u.report(u.size)
			return loc, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if !transient(err) {
			return "", err
		}
		if u.progressed {
			failures, u.progressed = 0, false
		}
		failures++
		if failures > retries {
			return "", fmt.Errorf("tus: giving up after %d failed attempts: %w", failures, err)
		}
		if err := sleep(ctx, c.backoff(failures)); err != nil {
			return "", err
		}
	}
}

func (c *Client) backoff(failures int) time.Duration {
	d := c.Backoff
	if d == 0 {
		d = DefaultBackoff
	}
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	// Jitter, so that many clients cut off at once do not come back at once.
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fingerprint names an upload's state file: the same file, unchanged,
// sent with the same metadata to the same server.
func fingerprint(endpoint, abs string, fi os.FileInfo, md map[string]string) string {
	b, _ := json.Marshal(struct {
		Endpoint, Path string
		Size, MTime    int64
		Metadata       map[string]string
	}{endpoint, abs, fi.Size(), fi.ModTime().UnixNano(), md})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// networkError is a failure to get an answer from the server.
type networkError struct{ err error }

func (e *networkError) Error() string { return "tus: " + e.err.Error() }
func (e *networkError) Unwrap() error { return e.err }

// transient reports whether err may go away if the request is tried again.
func transient(err error) bool {
	var ne *networkError
	if errors.As(err, &ne) {
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		switch e.Status {
		case http.StatusConflict, http.StatusLocked, http.StatusTooManyRequests:
			return true
		}
		return e.Status >= 500
	}
	return false
}

func gone(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusGone)
}

// clientUpload is one call of Upload.
type clientUpload struct {
	c        *Client
	base     *url.URL
	f        *os.File
	size     int64
	md       map[string]string
	progress func(sent, total int64)

	statePath string
	url       string // the upload's URL, "" before creation
	offset    int64  // bytes the server holds, when known
	known     bool
	restarts  int
	// progressed records that the server took bytes since the last
	// failure.
	progressed bool

	mu  sync.Mutex
	gen int // the PATCH whose body may report progress
}

// run takes the upload as far as it can go, to its item or to an error.
func (u *clientUpload) run(ctx context.Context) (string, error) {
	for {
		if u.url == "" {
			item, err := u.create(ctx)
			if err != nil || item != "" {
				return item, err
			}
		}
		if !u.known {
			item, err := u.head(ctx)
			if gone(err) {
				if err := u.restart(err); err != nil {
					return "", err
				}
				continue
			}
			if err != nil || item != "" {
				return item, err
			}
		}
		item, err := u.patch(ctx)
		if gone(err) {
			if err := u.restart(err); err != nil {
				return "", err
			}
			continue
		}
		if err != nil || item != "" {
			return item, err
		}
	}
}

// restart forgets an upload the server no longer knows.
func (u *clientUpload) restart(cause error) error {
	u.restarts++
	if u.restarts > maxRestarts {
		return fmt.Errorf("tus: the server lost the upload %d times: %w", u.restarts, cause)
	}
	u.forget()
	u.url, u.known, u.offset = "", false, 0
	return nil
}

func (u *clientUpload) request(ctx context.Context, method, target string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("tus: %w", err)
	}
	for k, vs := range u.c.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("Tus-Resumable", Version)
	return req, nil
}

func (u *clientUpload) do(req *http.Request) (*http.Response, error) {
	hc := u.c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &networkError{err}
	}
	return resp, nil
}

// finish reads the rest of a response's body so that its connection can
// be used again, and closes it.
func finish(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}

// create makes the upload (POST). An empty file is complete at once, and
// its item is returned.
func (u *clientUpload) create(ctx context.Context) (string, error) {
	req, err := u.request(ctx, http.MethodPost, u.c.Endpoint, http.NoBody)
	if err != nil {
		return "", err
	}
	req.Header.Set("Upload-Length", strconv.FormatInt(u.size, 10))
	if len(u.md) > 0 {
		req.Header.Set("Upload-Metadata", FormatMetadata(u.md))
	}
	resp, err := u.do(req)
	if err != nil {
		return "", err
	}
	defer finish(resp)
	if resp.StatusCode != http.StatusCreated {
		return "", responseError(resp)
	}
	loc, err := u.base.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return "", fmt.Errorf("tus: the server created an upload without a usable Location")
	}
	if item := resp.Header.Get("Vigil-Item"); item != "" {
		return item, nil
	}
	u.url, u.offset, u.known = loc.String(), 0, true
	return "", u.saveState()
}

// head asks the server how much of the upload it holds.
func (u *clientUpload) head(ctx context.Context) (string, error) {
	req, err := u.request(ctx, http.MethodHead, u.url, nil)
	if err != nil {
		return "", err
	}
	resp, err := u.do(req)
	if err != nil {
		return "", err
	}
	defer finish(resp)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return "", responseError(resp)
	}
	if item := resp.Header.Get("Vigil-Item"); item != "" {
		return item, nil
	}
	off, err := u.offsetOf(resp, 0)
	if err != nil {
		return "", err
	}
	u.offset, u.known = off, true
	u.report(off)
	return "", nil
}

// patch sends the next chunk, or, when the server holds every byte but
// has no item yet, an empty PATCH that asks it to finish.
func (u *clientUpload) patch(ctx context.Context) (string, error) {
	chunk := u.c.ChunkSize
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	n := min(chunk, u.size-u.offset)
	u.mu.Lock()
	u.gen++
	body := &progressReader{u: u, gen: u.gen, r: io.NewSectionReader(u.f, u.offset, n), at: u.offset}
	u.mu.Unlock()
	req, err := u.request(ctx, http.MethodPatch, u.url, body)
	if err != nil {
		return "", err
	}
	req.ContentLength = n
	if n == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(u.offset, 10))
	resp, err := u.do(req)
	u.mu.Lock()
	u.gen++ // the body's late reads, if any, report nothing
	u.mu.Unlock()
	u.known = false
	if err != nil {
		return "", err
	}
	defer finish(resp)
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return "", responseError(resp)
	}
	off, err := u.offsetOf(resp, u.offset)
	if err != nil {
		return "", err
	}
	if off > u.offset {
		u.progressed = true
	}
	u.offset, u.known = off, true
	if item := resp.Header.Get("Vigil-Item"); item != "" {
		return item, nil
	}
	if off == u.size && n == 0 {
		return "", fmt.Errorf("tus: the server holds the whole upload but made no item of it")
	}
	return "", nil
}

// offsetOf reads Upload-Offset, which must lie between lo and the size.
func (u *clientUpload) offsetOf(resp *http.Response, lo int64) (int64, error) {
	off, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || off < lo || off > u.size {
		return 0, fmt.Errorf("tus: the server answered %s with Upload-Offset %q, expected %d to %d", resp.Request.Method, resp.Header.Get("Upload-Offset"), lo, u.size)
	}
	return off, nil
}

func (u *clientUpload) report(sent int64) {
	if u.progress != nil {
		u.progress(sent, u.size)
	}
}

// progressReader reports a PATCH body's bytes as the transport reads them.
type progressReader struct {
	u   *clientUpload
	gen int
	r   io.Reader
	at  int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.at += int64(n)
	p.u.mu.Lock()
	if n > 0 && p.gen == p.u.gen {
		p.u.report(p.at)
	}
	p.u.mu.Unlock()
	return n, err
}

// clientState is what StateDir remembers of an unfinished upload.
type clientState struct {
	URL     string    `json:"url"`
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

func (u *clientUpload) loadState() string {
	b, err := os.ReadFile(u.statePath)
	if err != nil {
		return ""
	}
	var st clientState
	if json.Unmarshal(b, &st) != nil || st.Size != u.size {
		return ""
	}
	return st.URL
}

// saveState remembers the upload's URL, atomically: a crash leaves the old
// file or the new one.
func (u *clientUpload) saveState() error {
	if u.statePath == "" {
		return nil
	}
	b, err := json.Marshal(clientState{URL: u.url, Path: u.f.Name(), Size: u.size, Created: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("tus: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(u.statePath), 0o700); err != nil {
		return fmt.Errorf("tus: state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(u.statePath), ".tmp-*")
	if err != nil {
		return fmt.Errorf("tus: state: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("tus: state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("tus: state: %w", err)
	}
	if err := os.Rename(tmp.Name(), u.statePath); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("tus: state: %w", err)
	}
	return nil
}

func (u *clientUpload) forget() {
	if u.statePath != "" {
		_ = os.Remove(u.statePath)
	}
}

// jsonErrorField picks the message out of a JSON error body: {"error":
// ...}, or an RFC 9457 problem's detail or title.
func jsonErrorField(b []byte) string {
	var v struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
		Title  string `json:"title"`
	}
	if json.Unmarshal(bytes.TrimSpace(b), &v) != nil {
		return ""
	}
	switch {
	case v.Error != "":
		return v.Error
	case v.Detail != "":
		return v.Detail
	}
	return v.Title
}
