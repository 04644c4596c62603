package tus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/store"
)

// The protocol version and extensions this package speaks.
const (
	Version    = "1.0.0"
	Extensions = "creation,termination,expiration"
)

// Defaults for the Config fields left at zero.
const (
	DefaultMaxSize = 64 << 30
	DefaultExpiry  = 24 * time.Hour
	// DefaultReadIdle is how long a PATCH body may send nothing before the
	// server stops reading it and keeps what arrived.
	DefaultReadIdle = 2 * time.Minute
)

// lockWait is how long a request waits for another request on the same
// upload to finish before answering 423 Locked.
const lockWait = 20 * time.Second

// idPrefix starts every upload ID.
const idPrefix = "upl"

// Blobs keeps the encrypted chunks. internal/blob's stores fit it.
type Blobs interface {
	// Put stores everything read from r under key, atomically: a failed
	// Put leaves nothing new under key. It replaces an existing blob and
	// returns the number of bytes stored.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Get opens the blob under key; an absent key is an error. The caller
	// closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the blob; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every key that starts with prefix, in lexical
	// order; an error from fn stops the walk and is returned.
	List(ctx context.Context, prefix string, fn func(blob.Info) error) error
}

// Config configures a Server. Blobs, KEK and Complete are required; the
// other fields have defaults.
type Config struct {
	// Blobs keeps the encrypted chunks, under "uploads/<id>/".
	Blobs Blobs
	// KEK wraps each upload's own key (a local key or a KMS's AEAD).
	KEK tink.AEAD
	// MaxSize is the largest upload accepted, in bytes; DefaultMaxSize
	// when zero.
	MaxSize int64
	// Expiry is how long an upload lives after its creation or its last
	// PATCH, and how long a finished upload's result stays on record;
	// DefaultExpiry when zero.
	Expiry time.Duration
	// ReadIdle is how long a PATCH body may stall before the server keeps
	// what arrived and stops reading, and how long the PATCH's response
	// may take to write; DefaultReadIdle when zero. While it handles a
	// PATCH the server manages the connection's read and write deadlines
	// itself, so an http.Server's ReadTimeout and WriteTimeout do not cut
	// long uploads.
	ReadIdle time.Duration

	// Complete turns a finished upload into an item. It must read content
	// to its end: content checks the chunks as it goes and reports any
	// damage as a read error, the last check at EOF. It must be idempotent
	// per upload ID, since it is called again when a crash came between
	// its return and the server recording the result. It returns where the
	// item is (such as "/api/items/itm_…"). An error that is the client's
	// fault (a *Error with a 4xx status, or a ClientFault) terminates the
	// upload and is shown to the client; any other error leaves the upload
	// complete but unfinished, to be tried again by the next request on it
	// or by Resume.
	Complete func(ctx context.Context, u Upload, content io.Reader) (location string, err error)
	// CheckMetadata, if set, validates an upload's metadata at creation,
	// so that a bad class or type is refused before any byte is sent. Its
	// errors are treated like Complete's.
	CheckMetadata func(ctx context.Context, owner string, md map[string]string) error

	// Logger receives what no request can report: a failure of Resume or
	// Sweep on one upload, leftovers that could not be deleted.
	// slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Upload describes one upload.
type Upload struct {
	ID    string
	Owner string
	// Length is the upload's size; Offset how many bytes have arrived.
	Length, Offset int64
	Metadata       map[string]string
	ExpiresAt      time.Time
	CreatedAt      time.Time
	// Result is where Complete said the item is, once it has been made.
	Result string
}

// Server serves tus uploads for authenticated owners.
type Server struct {
	db    *store.DB
	cfg   Config
	locks locks
}

// New returns a server keeping its uploads in db and cfg.Blobs.
func New(db *store.DB, cfg Config) (*Server, error) {
	if db == nil || cfg.Blobs == nil || cfg.KEK == nil || cfg.Complete == nil {
		return nil, errors.New("tus: a database, blobs, a key-encryption key and Complete are required")
	}
	if cfg.MaxSize < 0 || cfg.Expiry < 0 || cfg.ReadIdle < 0 {
		return nil, errors.New("tus: MaxSize, Expiry and ReadIdle must not be negative")
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.Expiry == 0 {
		cfg.Expiry = DefaultExpiry
	}
	if cfg.ReadIdle == 0 {
		cfg.ReadIdle = DefaultReadIdle
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Server{db: db, cfg: cfg}, nil
}

// Serve handles one tus request for owner, whom the caller has
// authenticated. id is the part of the path after the mount point: "" for
// the upload collection (OPTIONS, POST), an upload's ID for the upload
// itself (OPTIONS, HEAD, PATCH, DELETE; POST with X-HTTP-Method-Override
// too). An upload is visible only to its owner: to anyone else it does not
// exist (404).
//
// Serve writes success responses itself and returns every failure as an
// *Error for the caller to write (WriteError does), having already set
// the headers the protocol wants on it (Tus-Resumable, Tus-Version on 412,
// Upload-Offset on 409). Show the client Msg, log the rest.
func (s *Server) Serve(w http.ResponseWriter, r *http.Request, owner, id string) error {
	h := w.Header()
	h.Set("Tus-Resumable", Version)
	method := r.Method
	if o := r.Header.Get("X-HTTP-Method-Override"); o != "" && method == http.MethodPost {
		method = strings.ToUpper(o)
	}
	if method == http.MethodOptions {
		return s.options(w)
	}
	if v := r.Header.Get("Tus-Resumable"); v != Version {
		h.Set("Tus-Version", Version)
		if v == "" {
			return &Error{Status: http.StatusPreconditionFailed, Msg: "Tus-Resumable header missing: this server speaks tus " + Version}
		}
		return &Error{Status: http.StatusPreconditionFailed, Msg: fmt.Sprintf("tus version %q is not supported: this server speaks tus %s", v, Version)}
	}
	if owner == "" {
		return &Error{Status: http.StatusUnauthorized, Msg: "not signed in"}
	}
	if id == "" {
		if method != http.MethodPost {
			h.Set("Allow", "OPTIONS, POST")
			return &Error{Status: http.StatusMethodNotAllowed, Msg: method + " is not allowed on the upload collection"}
		}
		return s.create(w, r, owner)
	}
	switch method {
	case http.MethodHead:
		return s.head(w, r, owner, id)
	case http.MethodPatch:
		return s.patch(w, r, owner, id)
	case http.MethodDelete:
		return s.terminate(w, r, owner, id)
	}
	h.Set("Allow", "OPTIONS, HEAD, PATCH, DELETE")
	return &Error{Status: http.StatusMethodNotAllowed, Msg: method + " is not allowed on an upload"}
}

// options answers OPTIONS with what the server supports.
func (s *Server) options(w http.ResponseWriter) error {
	h := w.Header()
	h.Set("Tus-Version", Version)
	h.Set("Tus-Extension", Extensions)
	h.Set("Tus-Max-Size", strconv.FormatInt(s.cfg.MaxSize, 10))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// row is an upload as stored.
type row struct {
	id, owner         string
	length, received  int64
	chunks            int64
	metadata, wrapped []byte
	expiresAt         int64
	createdAt         int64
	completedAt       sql.NullInt64
	result            sql.NullString
}

func (u *row) completed() bool { return u.completedAt.Valid }

var errNoUpload = errors.New("no such upload")

// get reads an upload; errNoUpload (wrapped) when there is none.
func (s *Server) get(ctx context.Context, q store.Querier, id string) (*row, error) {
	u := &row{id: id}
	err := store.Scan(q.QueryRow(ctx, `SELECT owner, length, received, chunks, metadata, wrapped_key, expires_at, created_at, completed_at, result
		FROM tus_uploads WHERE id = ?`, id),
		&u.owner, &u.length, &u.received, &u.chunks, &u.metadata, &u.wrapped, &u.expiresAt, &u.createdAt, &u.completedAt, &u.result)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("tus: upload %s: %w", id, errNoUpload)
	}
	if err != nil {
		return nil, fmt.Errorf("tus: read upload %s: %w", id, err)
	}
	return u, nil
}

// load reads owner's upload id for a request: 404 if it is not there or
// not theirs, 410 if it has expired (unless expiredOK).
func (s *Server) load(ctx context.Context, owner, uid string, expiredOK bool) (*row, error) {
	if !id.Valid(idPrefix, uid) {
		return nil, &Error{Status: http.StatusNotFound, Msg: "no such upload"}
	}
	u, err := s.get(ctx, s.db, uid)
	if errors.Is(err, errNoUpload) || err == nil && u.owner != owner {
		return nil, &Error{Status: http.StatusNotFound, Msg: "no such upload"}
	}
	if err != nil {
		return nil, internal(err)
	}
	if !expiredOK && s.expired(u) {
		return nil, &Error{Status: http.StatusGone, Msg: "the upload has expired: start again"}
	}
	return u, nil
}

func (s *Server) expired(u *row) bool { return store.Micros(s.cfg.Now()) >= u.expiresAt }

// lock takes the upload's lock for a request, asking a PATCH that is
// reading a body to stop.
func (s *Server) lock(ctx context.Context, id string) (*held, error) {
	h, ok := s.locks.lock(ctx, id, true, lockWait)
	if !ok {
		if ctx.Err() != nil {
			return nil, &Error{Status: http.StatusServiceUnavailable, Msg: "request cancelled", Err: ctx.Err()}
		}
		return nil, &Error{Status: http.StatusLocked, Msg: "the upload is busy with another request: try again shortly"}
	}
	return h, nil
}

func (s *Server) upload(u *row, md map[string]string) Upload {
	return Upload{
		ID: u.id, Owner: u.owner, Length: u.length, Offset: u.received, Metadata: md,
		ExpiresAt: store.FromMicros(u.expiresAt), CreatedAt: store.FromMicros(u.createdAt), Result: u.result.String,
	}
}

// setState sets the headers that tell the client where the upload stands.
func setState(h http.Header, u *row) {
	h.Set("Upload-Offset", strconv.FormatInt(u.received, 10))
	h.Set("Upload-Length", strconv.FormatInt(u.length, 10))
	h.Set("Cache-Control", "no-store")
	if u.completed() {
		h.Set("Vigil-Item", u.result.String)
	} else {
		h.Set("Upload-Expires", store.FromMicros(u.expiresAt).Format(http.TimeFormat))
	}
}

// chunkKey names a chunk's blob.
func chunkKey(id string, seq int64) string { return fmt.Sprintf("uploads/%s/%010d", id, seq) }

func uploadPrefix(id string) string { return "uploads/" + id + "/" }

// deleteBlobs deletes every blob under the upload's prefix.
func (s *Server) deleteBlobs(ctx context.Context, id string) error {
	var keys []string
	if err := s.cfg.Blobs.List(ctx, uploadPrefix(id), func(info blob.Info) error {
		key := info.Key
		keys = append(keys, key)
		return nil
	}); err != nil {
		return fmt.Errorf("tus: list chunks of %s: %w", id, err)
	}
	var errs []error
	for _, k := range keys {
		if err := s.cfg.Blobs.Delete(ctx, k); err != nil {
			errs = append(errs, fmt.Errorf("tus: delete chunk %s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// remove deletes an upload's rows, then its blobs. Blobs left by a failure
// after the rows went are orphans, which Sweep deletes.
func (s *Server) remove(ctx context.Context, id string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM tus_chunks WHERE upload_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM tus_uploads WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("tus: delete upload %s: %w", id, err)
	}
	return s.deleteBlobs(ctx, id)
}
