package vault

import (
	"context"
	"errors"
	"io"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Blobs is where the vault keeps ciphertext: internal/blob's filesystem
// or S3 store. Get returns an error wrapping an ErrNotFound of its own for
// a missing key; Delete of a missing key is not an error.
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
	// DeleteAll deletes many at once (the sweep's); its error joins those
	// of the keys it could not delete.
	DeleteAll(ctx context.Context, keys []string) error
	// List calls fn with every blob under prefix.
	List(ctx context.Context, prefix string, fn func(blob.Info) error) error
}

// Deployments tells the vault whether a deployment is in force, and for
// how long what it captures is kept: internal/assembly answers.
type Deployments interface {
	// DeploymentInForce returns whether the deployment is active at t, and
	// its retention in days.
	DeploymentInForce(ctx context.Context, deploymentID string, t time.Time) (active bool, retentionDays int, err error)
}

// Config configures the vault. Blobs, KEK and Signer are required.
type Config struct {
	Blobs Blobs
	KEK   KEK
	// Signer signs deletion receipts (the log's key: anyone who can check
	// the log can check a receipt).
	Signer note.Signer
	// Deployments answers for items captured under a deployment.
	Deployments Deployments
	// Prover proves custody events for bundles.
	Prover Prover
	// Classes are the retention schedules (default DefaultClasses).
	Classes []Class
	// MaxSize bounds one item (default 8 GiB).
	MaxSize int64
	// PINParams are the costs of hashing submission PINs (default
	// auth.DefaultParams).
	PINParams auth.Params
}

// DefaultMaxSize bounds an item unless configured: 8 GiB, a few hours of
// body-camera video.
const DefaultMaxSize = 8 << 30

// Vault is the evidence vault.
type Vault struct {
	db      *store.DB
	outbox  *ledger.Outbox
	cfg     Config
	classes classes
	now     func() time.Time
	// dummyPIN is checked against when a case number is unknown.
	dummyPIN string
	grants   grants
}

// Errors of the vault; check them with errors.Is.
var (
	// ErrInvalid: the request breaks a rule; the message says which.
	ErrInvalid = errors.New("invalid")
	// ErrForbidden: the account's role, or the basis it gave, does not
	// allow this.
	ErrForbidden = errors.New("not allowed")
	// ErrNotFound: no such item, case or hold.
	ErrNotFound = store.ErrNotFound
	// ErrShredded: the item was destroyed; only its receipt remains.
	ErrShredded = errors.New("the item was destroyed on schedule")
	// ErrTooLarge: the item is larger than the vault takes.
	ErrTooLarge = errors.New("the item is too large")
)

func invalid(key string, args ...any) error   { return i18n.NewError(ErrInvalid, key, args...) }
func forbidden(key string, args ...any) error { return i18n.NewError(ErrForbidden, key, args...) }

// New returns the vault.
func New(db *store.DB, outbox *ledger.Outbox, cfg Config) (*Vault, error) {
	if cfg.Blobs == nil || cfg.KEK == nil || cfg.Signer == nil {
		return nil, errors.New("vault: blobs, a key-encryption key and a signer are required")
	}
	if cfg.Classes == nil {
		cfg.Classes = DefaultClasses
	}
	if err := classes(cfg.Classes).check(); err != nil {
		return nil, err
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.PINParams == (auth.Params{}) {
		cfg.PINParams = auth.DefaultParams
	}
	dummy, err := auth.HashPassword(newPIN(), cfg.PINParams)
	if err != nil {
		return nil, err
	}
	return &Vault{db: db, outbox: outbox, cfg: cfg, classes: classes(cfg.Classes), now: time.Now, dummyPIN: dummy}, nil
}

// SetClock replaces the vault's clock, for tests and the demo.
func (v *Vault) SetClock(now func() time.Time) { v.now = now }

// Classes returns the retention schedules in force.
func (v *Vault) Classes() []Class { return v.cfg.Classes }
