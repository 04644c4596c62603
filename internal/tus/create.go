package tus

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/store"
)

// create answers POST on the collection: the creation extension. The
// metadata is checked before anything is stored, so a refused upload costs
// the client one round trip and no bytes.
func (s *Server) create(w http.ResponseWriter, r *http.Request, owner string) error {
	ctx := r.Context()
	if r.Header.Get("Upload-Defer-Length") != "" {
		return badRequest("Upload-Defer-Length is not supported: give Upload-Length")
	}
	if r.Header.Get("Upload-Concat") != "" {
		return badRequest("Upload-Concat is not supported")
	}
	length, err := parseLength(r.Header, "Upload-Length")
	if err != nil {
		return err
	}
	if length > s.cfg.MaxSize {
		w.Header().Set("Tus-Max-Size", strconv.FormatInt(s.cfg.MaxSize, 10))
		return &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("the upload is %d bytes, more than the %d this server takes", length, s.cfg.MaxSize)}
	}
	md, err := ParseMetadata(strings.Join(r.Header.Values("Upload-Metadata"), ","))
	if err != nil {
		return badRequest(err.Error())
	}
	if s.cfg.CheckMetadata != nil {
		if err := s.cfg.CheckMetadata(ctx, owner, md); err != nil {
			if e, ok := asClientError(err, http.StatusBadRequest); ok {
				return e
			}
			return internal(fmt.Errorf("tus: check metadata: %w", err))
		}
	}

	u := &row{id: id.New(idPrefix), owner: owner, length: length}
	key, err := newUploadKey()
	if err != nil {
		return internal(err)
	}
	if u.wrapped, err = key.wrap(s.cfg.KEK, u.id); err != nil {
		return internal(err)
	}
	if u.metadata, err = key.sealMetadata(u.id, md); err != nil {
		return internal(err)
	}
	now := s.cfg.Now()
	u.createdAt, u.expiresAt = store.Micros(now), store.Micros(now.Add(s.cfg.Expiry))
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tus_uploads (id, owner, length, received, chunks, metadata, wrapped_key, expires_at, created_at)
			VALUES (?, ?, ?, 0, 0, ?, ?, ?, ?)`, u.id, u.owner, u.length, u.metadata, u.wrapped, u.expiresAt, u.createdAt)
		return err
	})
	if err != nil {
		return internal(fmt.Errorf("tus: create upload: %w", err))
	}

	h := w.Header()
	h.Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+u.id)
	if length == 0 {
		// Nothing to wait for: an empty upload is complete at once.
		held, err := s.lock(ctx, u.id)
		if err != nil {
			return err
		}
		defer held.release()
		if u, err = s.finish(context.WithoutCancel(ctx), u, &key); err != nil {
			return err
		}
	}
	setState(h, u)
	h.Del("Upload-Length")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// parseLength reads a non-negative decimal header that must be present.
func parseLength(h http.Header, name string) (int64, error) {
	v := h.Get(name)
	if v == "" {
		return 0, badRequest(name + " header is required")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, badRequest(fmt.Sprintf("%s must be a non-negative whole number of bytes, not %.32q", name, v))
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest(fmt.Sprintf("%s %.32q is out of range", name, v))
	}
	return n, nil
}
