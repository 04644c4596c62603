package tus

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/store"
)

// Sweep deletes what uploads leave behind, and returns how many uploads
// and orphan chunk blobs it deleted:
//
//   - uploads past their expiry, with their chunks: unfinished ones the
//     client abandoned, and the records of finished ones;
//   - chunk blobs of uploads that no longer exist or are finished: left by
//     a crash between a blob's deletion and its record's, or by a PATCH
//     whose upload went while it was being written.
//
// A chunk blob of an unfinished upload is never deleted here, even with no
// record: it may be a PATCH's in flight in another process, and a blob the
// upload does not record is replaced by its next PATCH or deleted with the
// upload. An upload a request of this process holds is skipped until the
// next sweep. Failures on one upload are logged and the sweep goes on; the
// error is the first failure.
func (s *Server) Sweep(ctx context.Context) (int, error) {
	var first error
	note := func(err error) {
		if err != nil {
			s.cfg.Logger.Warn("tus: sweep", "err", err)
			if first == nil {
				first = err
			}
		}
	}
	n := 0
	expired, err := s.expiredIDs(ctx)
	if err != nil {
		return 0, err
	}
	for _, uid := range expired {
		ok, err := s.sweepExpired(ctx, uid)
		note(err)
		if ok {
			n++
		}
	}
	orphans, err := s.sweepOrphans(ctx)
	note(err)
	return n + orphans, first
}

func (s *Server) expiredIDs(ctx context.Context) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM tus_uploads WHERE expires_at <= ?`, store.Micros(s.cfg.Now()))
	if err != nil {
		return nil, fmt.Errorf("tus: sweep: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			return nil, fmt.Errorf("tus: sweep: %w", err)
		}
		ids = append(ids, uid)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tus: sweep: %w", err)
	}
	return ids, nil
}

// sweepExpired deletes one upload if it is still expired once locked.
func (s *Server) sweepExpired(ctx context.Context, uid string) (bool, error) {
	h, ok := s.locks.tryLock(uid)
	if !ok {
		return false, nil
	}
	defer h.release()
	u, err := s.get(ctx, s.db, uid)
	if errors.Is(err, errNoUpload) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !s.expired(u) {
		return false, nil
	}
	if err := s.remove(ctx, uid); err != nil {
		return false, err
	}
	return true, nil
}

// sweepOrphans deletes the chunk blobs of uploads that are gone or
// finished.
func (s *Server) sweepOrphans(ctx context.Context) (int, error) {
	byUpload := map[string][]string{}
	var order []string
	err := s.cfg.Blobs.List(ctx, "uploads/", func(info blob.Info) error {
		key := info.Key
		uid, _, ok := strings.Cut(strings.TrimPrefix(key, "uploads/"), "/")
		if !ok || !id.Valid(idPrefix, uid) {
			return nil // not ours to judge
		}
		if byUpload[uid] == nil {
			order = append(order, uid)
		}
		byUpload[uid] = append(byUpload[uid], key)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("tus: sweep: list chunks: %w", err)
	}
	n := 0
	var errs []error
	for _, uid := range order {
		h, ok := s.locks.tryLock(uid)
		if !ok {
			continue
		}
		u, err := s.get(ctx, s.db, uid)
		switch {
		case errors.Is(err, errNoUpload) || err == nil && u.completed():
			for _, key := range byUpload[uid] {
				if err := s.cfg.Blobs.Delete(ctx, key); err != nil {
					errs = append(errs, fmt.Errorf("tus: sweep: delete %s: %w", key, err))
					continue
				}
				n++
			}
		case err != nil:
			errs = append(errs, err)
		}
		h.release()
	}
	return n, errors.Join(errs...)
}
