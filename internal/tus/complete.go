package tus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/vigil-project/vigil/internal/store"
)

// chunk is one PATCH body as recorded: plaintext bytes [start, start+size)
// of the upload.
type chunk struct {
	seq, start, size int64
}

// chunks reads the upload's chunk records and checks that they tile the
// upload from its first byte to received, in order, with no gap.
func (s *Server) chunks(ctx context.Context, q store.Querier, u *row) ([]chunk, error) {
	rows, err := q.Query(ctx, `SELECT seq, start, size FROM tus_chunks WHERE upload_id = ? ORDER BY seq`, u.id)
	if err != nil {
		return nil, fmt.Errorf("tus: read chunks of %s: %w", u.id, err)
	}
	defer rows.Close()
	var cs []chunk
	var next int64
	for rows.Next() {
		var c chunk
		if err := rows.Scan(&c.seq, &c.start, &c.size); err != nil {
			return nil, fmt.Errorf("tus: read chunks of %s: %w", u.id, err)
		}
		if c.seq != int64(len(cs)) || c.start != next || c.size <= 0 {
			return nil, fmt.Errorf("tus: upload %s is damaged: chunk %d covers [%d, +%d), expected chunk %d from %d", u.id, c.seq, c.start, c.size, len(cs), next)
		}
		next += c.size
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tus: read chunks of %s: %w", u.id, err)
	}
	if int64(len(cs)) != u.chunks || next != u.received {
		return nil, fmt.Errorf("tus: upload %s is damaged: %d chunks hold %d bytes, the upload records %d chunks and %d bytes", u.id, len(cs), next, u.chunks, u.received)
	}
	return cs, nil
}

// finish hands a fully received upload to Complete and records the
// result; the caller holds the upload's lock and passes its key (nil to
// unwrap it here). It returns the upload as now recorded. A refusal by
// Complete terminates the upload and comes back as the client's *Error.
func (s *Server) finish(ctx context.Context, u *row, key *uploadKey) (*row, error) {
	if u.completed() {
		return u, nil
	}
	if u.received != u.length {
		return nil, internal(fmt.Errorf("tus: upload %s is not complete: %d of %d bytes", u.id, u.received, u.length))
	}
	if key == nil {
		k, err := unwrapKey(s.cfg.KEK, u.id, u.wrapped)
		if err != nil {
			return nil, internal(err)
		}
		key = &k
	}
	md, err := key.openMetadata(u.id, u.metadata)
	if err != nil {
		return nil, internal(err)
	}
	cs, err := s.chunks(ctx, s.db, u)
	if err != nil {
		return nil, internal(err)
	}
	content := &contentReader{ctx: ctx, blobs: s.cfg.Blobs, key: *key, id: u.id, length: u.length, chunks: cs}
	loc, err := s.cfg.Complete(ctx, s.upload(u, md), content)
	content.close()
	if err != nil {
		if e, ok := asClientError(err, http.StatusUnprocessableEntity); ok {
			if rerr := s.remove(ctx, u.id); rerr != nil {
				s.cfg.Logger.Error("tus: cannot delete a refused upload", "upload", u.id, "err", rerr)
			}
			return nil, e
		}
		return nil, internal(fmt.Errorf("tus: complete upload %s: %w", u.id, err))
	}
	if loc == "" {
		return nil, internal(fmt.Errorf("tus: complete upload %s: Complete returned no location", u.id))
	}
	if !content.eof {
		s.cfg.Logger.Warn("tus: Complete did not read the whole upload", "upload", u.id, "read", content.total, "length", u.length)
	}
	now := s.cfg.Now()
	done := *u
	done.completedAt.Int64, done.completedAt.Valid = store.Micros(now), true
	done.result.String, done.result.Valid = loc, true
	done.expiresAt = store.Micros(now.Add(s.cfg.Expiry))
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE tus_uploads SET completed_at = ?, result = ?, expires_at = ? WHERE id = ? AND completed_at IS NULL AND received = ?`,
			done.completedAt.Int64, loc, done.expiresAt, u.id, u.length)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(errChanged, err)
		}
		_, err = tx.Exec(ctx, `DELETE FROM tus_chunks WHERE upload_id = ?`, u.id)
		return err
	})
	if errors.Is(err, errChanged) {
		// Another process finished or removed it meanwhile.
		if now, gerr := s.get(ctx, s.db, u.id); gerr == nil && now.completed() {
			return now, nil
		}
	}
	if err != nil {
		return nil, internal(fmt.Errorf("tus: record completion of %s: %w", u.id, err))
	}
	if err := s.deleteBlobs(ctx, u.id); err != nil {
		// The item is made and recorded: leftovers are Sweep's to delete.
		s.cfg.Logger.Warn("tus: cannot delete the chunks of a finished upload", "upload", u.id, "err", err)
	}
	return &done, nil
}

// errChanged means an upload's row changed under a request, in another
// process: the request's write was not made.
var errChanged = errors.New("the upload changed during the request")

// contentReader decrypts an upload's chunks in order, checking that each
// holds exactly the bytes its record says and that they add up to the
// upload's length. Any damage is a read error.
type contentReader struct {
	ctx    context.Context
	blobs  Blobs
	key    uploadKey
	id     string
	length int64
	chunks []chunk

	i     int           // the chunk being read
	cur   io.Reader     // its plaintext, nil between chunks
	blob  io.ReadCloser // its blob
	got   int64         // bytes read from it
	total int64         // bytes read from all
	eof   bool
	err   error
}

func (r *contentReader) fail(err error) (int, error) {
	r.close()
	r.err = fmt.Errorf("tus: upload %s: %w", r.id, err)
	return 0, r.err
}

func (r *contentReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.eof {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if r.cur == nil {
			if r.i == len(r.chunks) {
				if r.total != r.length {
					return r.fail(fmt.Errorf("content ends at %d bytes, expected %d", r.total, r.length))
				}
				r.eof = true
				return 0, io.EOF
			}
			c := r.chunks[r.i]
			b, err := r.blobs.Get(r.ctx, chunkKey(r.id, c.seq))
			if err != nil {
				return r.fail(fmt.Errorf("chunk %d: %w", c.seq, err))
			}
			r.blob = b
			d, err := r.key.sa.NewDecryptingReader(b, chunkAD(r.id, c.seq, c.start))
			if err != nil {
				return r.fail(fmt.Errorf("chunk %d: %w", c.seq, err))
			}
			r.cur, r.got = d, 0
		}
		c := r.chunks[r.i]
		n, err := r.cur.Read(p)
		r.got += int64(n)
		if r.got > c.size {
			return r.fail(fmt.Errorf("chunk %d holds more than the %d bytes recorded", c.seq, c.size))
		}
		r.total += int64(n)
		if errors.Is(err, io.EOF) {
			if r.got != c.size {
				return r.fail(fmt.Errorf("chunk %d holds %d bytes, %d recorded", c.seq, r.got, c.size))
			}
			r.blob.Close()
			r.cur, r.blob = nil, nil
			r.i++
		} else if err != nil {
			return r.fail(fmt.Errorf("chunk %d: %w", c.seq, err))
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *contentReader) close() {
	if r.blob != nil {
		r.blob.Close()
		r.blob, r.cur = nil, nil
	}
}

// Resume finishes, at start-up, the uploads whose bytes all arrived but
// whose Complete did not: the server crashed or Complete failed. Uploads
// Complete refuses are terminated as usual. It returns the failures, all
// of them, having tried every upload.
func (s *Server) Resume(ctx context.Context) error {
	rows, err := s.db.Query(ctx, `SELECT id FROM tus_uploads WHERE completed_at IS NULL AND received = length`)
	if err != nil {
		return fmt.Errorf("tus: resume: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("tus: resume: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("tus: resume: %w", err)
	}
	var errs []error
	for _, id := range ids {
		if err := s.resumeOne(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Server) resumeOne(ctx context.Context, id string) error {
	h, ok := s.locks.lock(ctx, id, false, lockWait)
	if !ok {
		return fmt.Errorf("tus: resume %s: the upload is busy", id)
	}
	defer h.release()
	u, err := s.get(ctx, s.db, id)
	if errors.Is(err, errNoUpload) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.completed() || u.received != u.length {
		return nil
	}
	_, err = s.finish(ctx, u, nil)
	if _, refused := asClientError(err, 0); refused {
		s.cfg.Logger.Info("tus: a resumed upload was refused and deleted", "upload", id, "reason", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("tus: resume %s: %w", id, err)
	}
	return nil
}
