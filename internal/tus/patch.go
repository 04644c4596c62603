package tus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/vigil-project/vigil/internal/store"
)

// patch answers PATCH on an upload: its body, whatever part of it
// arrives, becomes the upload's next encrypted chunk. The response comes
// only once the chunk is stored and recorded.
func (s *Server) patch(w http.ResponseWriter, r *http.Request, owner, id string) error {
	ctx := r.Context()
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/offset+octet-stream" {
		return &Error{Status: http.StatusUnsupportedMediaType, Msg: "a PATCH body must have Content-Type application/offset+octet-stream"}
	}
	off, err := parseLength(r.Header, "Upload-Offset")
	if err != nil {
		return err
	}
	// Check ownership before taking the lock: only the owner may make a
	// PATCH in progress stop reading.
	if _, err := s.load(ctx, owner, id, false); err != nil {
		return err
	}
	held, err := s.lock(ctx, id)
	if err != nil {
		return err
	}
	defer held.release()
	u, err := s.load(ctx, owner, id, false)
	if err != nil {
		return err
	}
	h := w.Header()
	if off != u.received {
		h.Set("Upload-Offset", strconv.FormatInt(u.received, 10))
		return &Error{Status: http.StatusConflict, Msg: fmt.Sprintf("offset mismatch: the upload has %d bytes, the request starts at %d: ask for the offset (HEAD) and go on from there", u.received, off)}
	}
	remaining := u.length - u.received
	if r.ContentLength > remaining {
		return &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("the body of %d bytes runs past the end of the upload: %d bytes remain", r.ContentLength, remaining)}
	}
	// From here on the work must not stop because the client left: what
	// arrived is kept. Reading a large body and finishing an upload take
	// longer than an http.Server's WriteTimeout may allow: lift it, and
	// give the response a deadline of its own below.
	sctx := context.WithoutCancel(ctx)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	defer func() { _ = rc.SetWriteDeadline(time.Now().Add(s.cfg.ReadIdle)) }()
	var key *uploadKey
	if remaining > 0 && r.ContentLength != 0 {
		k, err := unwrapKey(s.cfg.KEK, u.id, u.wrapped)
		if err != nil {
			return internal(err)
		}
		key = &k
		if u, err = s.receive(sctx, w, r, u, k, held); err != nil {
			return err
		}
	}
	if u.received == u.length && !u.completed() {
		if u, err = s.finish(sctx, u, key); err != nil {
			return err
		}
	}
	setState(h, u)
	h.Del("Upload-Length")
	_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.ReadIdle))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// receive stores the request body as the upload's next chunk and records
// it, returning the upload as now recorded. A body that breaks off is kept
// up to where it broke.
func (s *Server) receive(ctx context.Context, w http.ResponseWriter, r *http.Request, u *row, key uploadKey, held *held) (*row, error) {
	remaining := u.length - u.received
	seq, start := u.chunks, u.received
	bkey := chunkKey(u.id, seq)

	body := newBodyReader(w, r.Body, s.cfg.ReadIdle)
	held.onInterrupt(body.stop)
	n, readErr, err := s.writeChunk(ctx, bkey, key.sa, chunkAD(u.id, seq, start), io.LimitReader(body, remaining))
	excess := false
	if err == nil && readErr == nil && n == remaining && r.ContentLength < 0 {
		var one [1]byte
		k, _ := io.ReadFull(body, one[:])
		excess = k > 0
	}
	held.onInterrupt(nil)
	body.finish()
	if err != nil {
		return nil, internal(fmt.Errorf("tus: store chunk %s: %w", bkey, err))
	}
	if excess {
		s.deleteChunk(ctx, bkey)
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("the body runs past the end of the upload: %d bytes remained", remaining)}
	}
	if readErr != nil {
		s.cfg.Logger.Debug("tus: PATCH body broke off; keeping what arrived", "upload", u.id, "bytes", n, "err", readErr)
	}
	if n == 0 {
		if readErr != nil {
			return nil, &Error{Status: http.StatusBadRequest, Msg: "the request body broke off before any byte arrived", Err: readErr}
		}
		return u, nil
	}

	next := *u
	next.received += n
	next.chunks++
	next.expiresAt = store.Micros(s.cfg.Now().Add(s.cfg.Expiry))
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE tus_uploads SET received = ?, chunks = ?, expires_at = ? WHERE id = ? AND received = ? AND chunks = ? AND completed_at IS NULL`,
			next.received, next.chunks, next.expiresAt, u.id, u.received, u.chunks)
		if err != nil {
			return err
		}
		if c, err := res.RowsAffected(); err != nil || c != 1 {
			return errors.Join(errChanged, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO tus_chunks (upload_id, seq, start, size) VALUES (?, ?, ?, ?)`, u.id, seq, start, n)
		return err
	})
	if errors.Is(err, errChanged) {
		s.deleteChunk(ctx, bkey)
		return nil, &Error{Status: http.StatusConflict, Msg: "the upload changed during the request: ask for its offset (HEAD) and go on from there", Err: err}
	}
	if err != nil {
		// Whether the commit happened is unknown, so the chunk stays: if
		// it did, the chunk is needed; if not, the next PATCH replaces it
		// or the upload's end deletes it.
		return nil, internal(fmt.Errorf("tus: record chunk %s: %w", bkey, err))
	}
	return &next, nil
}

func (s *Server) deleteChunk(ctx context.Context, key string) {
	if err := s.cfg.Blobs.Delete(ctx, key); err != nil {
		s.cfg.Logger.Warn("tus: cannot delete an unrecorded chunk", "key", key, "err", err)
	}
}

// errPutReturned closes the pipe when Blobs.Put returns without error.
var errPutReturned = errors.New("tus: blob store stopped reading")

// writeChunk encrypts what it reads from body into a new blob under key,
// streaming, and reports how many plaintext bytes it stored. A read error
// ends the chunk cleanly over the bytes read so far and is returned as
// readErr; err is a failure to store. A body that sends nothing stores
// nothing.
func (s *Server) writeChunk(ctx context.Context, key string, sa tink.StreamingAEAD, ad []byte, body io.Reader) (n int64, readErr, err error) {
	var (
		pw   *io.PipeWriter
		enc  io.WriteCloser
		done chan error
	)
	// abort stops the Put, which then stores nothing, and returns why it
	// failed: its own error if it had one.
	abort := func(cause error) error {
		pw.CloseWithError(cause)
		if perr := <-done; perr != nil {
			return perr
		}
		return cause
	}
	buf := make([]byte, 64<<10)
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			if pw == nil {
				var pr *io.PipeReader
				pr, pw = io.Pipe()
				done = make(chan error, 1)
				go func() {
					_, err := s.cfg.Blobs.Put(ctx, key, pr)
					if err != nil {
						pr.CloseWithError(err)
					} else {
						pr.CloseWithError(errPutReturned)
					}
					done <- err
				}()
				if enc, err = sa.NewEncryptingWriter(pw, ad); err != nil {
					return 0, nil, abort(err)
				}
			}
			if _, err := enc.Write(buf[:k]); err != nil {
				return n, nil, abort(err)
			}
			n += int64(k)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			readErr = rerr
			break
		}
	}
	if pw == nil {
		return 0, readErr, nil
	}
	if err := enc.Close(); err != nil {
		return n, readErr, abort(err)
	}
	pw.Close()
	if err := <-done; err != nil {
		return n, readErr, err
	}
	return n, readErr, nil
}

// errInterrupted ends a PATCH body that another request on the same upload
// asked to stop.
var errInterrupted = errors.New("tus: another request on the upload took over")

// When another request asks a PATCH to stop, the PATCH still reads what
// keeps coming, for a while: bytes the client sent before it lost the
// connection may sit in buffers, and are worth keeping. It stops once the
// body is quiet for stopIdle, or after stopGrace in any case.
const (
	stopIdle  = 250 * time.Millisecond
	stopGrace = 2 * time.Second
)

// bodyReader reads a PATCH body under a read deadline it keeps moving
// forward: a body that stalls for idle ends, as does one that stop ends.
// Either way the bytes read so far are kept.
type bodyReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration

	mu        sync.Mutex
	deadlines bool      // the connection supports read deadlines
	stopAt    time.Time // when stopping, the last moment to read
	finished  bool
}

func newBodyReader(w http.ResponseWriter, body io.Reader, idle time.Duration) *bodyReader {
	return &bodyReader{r: body, rc: http.NewResponseController(w), idle: idle, deadlines: true}
}

// deadline sets the read deadline for the next read; b.mu is held.
func (b *bodyReader) deadline(now time.Time) {
	if !b.deadlines {
		return
	}
	d := now.Add(b.idle)
	if !b.stopAt.IsZero() {
		d = now.Add(stopIdle)
		if b.stopAt.Before(d) {
			d = b.stopAt
		}
	}
	if err := b.rc.SetReadDeadline(d); err != nil {
		b.deadlines = false
	}
}

func (b *bodyReader) Read(p []byte) (int, error) {
	b.mu.Lock()
	now := time.Now()
	if !b.stopAt.IsZero() && !now.Before(b.stopAt) {
		b.mu.Unlock()
		return 0, errInterrupted
	}
	b.deadline(now)
	b.mu.Unlock()
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		b.mu.Lock()
		if !b.stopAt.IsZero() {
			err = fmt.Errorf("%w: %w", errInterrupted, err)
		}
		b.mu.Unlock()
	}
	return n, err
}

// stop makes the reading end soon: once the body is quiet for stopIdle,
// and after stopGrace at the latest.
func (b *bodyReader) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished || !b.stopAt.IsZero() {
		return
	}
	now := time.Now()
	b.stopAt = now.Add(stopGrace)
	b.deadline(now)
}

// finish ends the reading: stop does nothing after it, and the connection
// gets no read deadline from here.
func (b *bodyReader) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finished = true
	if b.deadlines && b.stopAt.IsZero() {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
}
