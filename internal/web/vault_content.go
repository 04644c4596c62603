package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/vault"
)

// streamIdle is how long an upload's body or a download's reader may stall
// before the connection is dropped. While an item streams, the server's
// own read and write timeouts (a minute or two, for ordinary pages) are
// lifted and this idle limit applies instead.
const streamIdle = 2 * time.Minute

// serveContent writes an item's content as a grant opens it, to the
// account the grant was given to. Ranges are served: each range reopens the
// content and skips to its start (the content is decrypted as a stream, so
// a seek backwards costs a read from the start).
func (s *Server) serveContent(w http.ResponseWriter, r *http.Request, accountID, itemID, token string) error {
	v := s.deps.Vault
	g, err := v.CheckGrant(accountID, itemID, token)
	if err != nil {
		return err
	}
	ctx := r.Context()
	first, err := v.Open(ctx, accountID, itemID, token)
	if err != nil {
		return err
	}
	it := first.Item
	rs := &contentSeeker{size: it.Size, rc: first, open: func() (io.ReadCloser, error) { return v.Open(ctx, accountID, itemID, token) }}
	defer rs.Close()
	h := w.Header()
	h.Set("Content-Type", it.MediaType)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	disposition := "attachment"
	if g.Action == vault.ActionView && inline(it.MediaType) {
		disposition = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": contentFilename(it)}))
	http.ServeContent(idleWriter(w), r, "", time.Time{}, rs)
	return nil
}

// inline reports whether content of this type is shown in the page when
// it is opened to be viewed: pictures and recordings, nothing that could
// run.
func inline(mediaType string) bool {
	major, _, _ := strings.Cut(mediaType, "/")
	return major == "video" || major == "audio" || major == "image"
}

// contentFilename names a download by its item, not by the uploader's
// file name (which is part of the private capture metadata).
func contentFilename(it vault.Item) string {
	name := it.ID
	if exts, _ := mime.ExtensionsByType(it.MediaType); len(exts) > 0 {
		name += exts[0]
	}
	return name
}

// contentSeeker reads an item's content from any offset: forwards by
// skipping, backwards by opening the content again.
type contentSeeker struct {
	size  int64
	pos   int64 // where the next Read reads
	rc    io.ReadCloser
	rcPos int64 // where rc is
	open  func() (io.ReadCloser, error)
}

func (c *contentSeeker) Read(p []byte) (int, error) {
	if c.pos >= c.size {
		return 0, io.EOF
	}
	if c.rc != nil && c.rcPos > c.pos {
		c.rc.Close()
		c.rc = nil
	}
	if c.rc == nil {
		rc, err := c.open()
		if err != nil {
			return 0, err
		}
		c.rc, c.rcPos = rc, 0
	}
	if c.rcPos < c.pos {
		n, err := io.CopyN(io.Discard, c.rc, c.pos-c.rcPos)
		c.rcPos += n
		if err != nil {
			return 0, err
		}
	}
	n, err := c.rc.Read(p)
	c.pos += int64(n)
	c.rcPos += int64(n)
	return n, err
}

func (c *contentSeeker) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += c.pos
	case io.SeekEnd:
		offset += c.size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	c.pos = offset
	return offset, nil
}

func (c *contentSeeker) Close() error {
	if c.rc == nil {
		return nil
	}
	err := c.rc.Close()
	c.rc = nil
	return err
}

// idleWriter lifts the server's write timeout for a long response and
// drops the connection only when a write stalls for streamIdle.
func idleWriter(w http.ResponseWriter) http.ResponseWriter {
	return &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w)}
}

type deadlineWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	_ = d.rc.SetWriteDeadline(time.Now().Add(streamIdle))
	return d.ResponseWriter.Write(p)
}

func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// idleReader reads a request body under a read deadline it moves forward
// with every read: the server's read timeout no longer cuts a long upload,
// but a body that stalls for streamIdle ends.
type idleReader struct {
	r  io.Reader
	rc *http.ResponseController
}

func newIdleReader(w http.ResponseWriter, body io.Reader) *idleReader {
	rc := http.NewResponseController(w)
	// The response comes once the body is stored, which may be long after
	// the request began.
	_ = rc.SetWriteDeadline(time.Time{})
	return &idleReader{r: body, rc: rc}
}

func (i *idleReader) Read(p []byte) (int, error) {
	_ = i.rc.SetReadDeadline(time.Now().Add(streamIdle))
	return i.r.Read(p)
}

// done gives the response a deadline of its own, now that the body is in.
func (i *idleReader) done() {
	_ = i.rc.SetReadDeadline(time.Time{})
	_ = i.rc.SetWriteDeadline(time.Now().Add(streamIdle))
}

// lazyWriter starts a streamed response (a bundle) only with its first
// byte, so that a failure before it is still an ordinary error response.
type lazyWriter struct {
	w       http.ResponseWriter
	start   func(h http.Header)
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.start(l.w.Header())
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// streamBundle writes a bundle that write produces as a zip attachment.
// An error before the first byte is returned for the usual answer; one
// after it cuts the connection, so that the client never takes a truncated
// bundle for a whole one.
func (s *Server) streamBundle(w http.ResponseWriter, r *http.Request, filename string, write func(ctx context.Context, w io.Writer) error) error {
	lw := &lazyWriter{w: idleWriter(w), start: func(h http.Header) {
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
		h.Set("Cache-Control", "no-store")
	}}
	// Gathering proofs may wait for the log: the request's write deadline
	// must not run out before the first byte.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(vault.ProofWait + streamIdle))
	err := write(r.Context(), lw)
	if err == nil {
		if !lw.started {
			return errors.New("web: the bundle was empty")
		}
		return nil
	}
	if !lw.started {
		return err
	}
	s.deps.Logger.Error("bundle cut off", "path", r.URL.Path, "err", err)
	panic(http.ErrAbortHandler)
}
