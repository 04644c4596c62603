// Package app wires Vigil together: the data directory, the database, the
// log and its keys, the services, and the HTTP server. The commands in
// internal/cli use it; nothing else does.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/disrupt"
	"github.com/vigil-project/vigil/internal/force"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/policy"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/tus"
	"github.com/vigil-project/vigil/internal/vault"
)

// Config says where Vigil keeps its data and how it serves. Its zero value
// runs on ./vigil-data with SQLite on 127.0.0.1:8080.
type Config struct {
	// Data is the data directory (default "vigil-data").
	Data string
	// DB is the database: a postgres:// URL, or empty for SQLite in Data.
	DB string
	// Addr is where to listen (default 127.0.0.1:8080).
	Addr string
	// LogName names a new log (default "vigil.invalid/" and a random
	// suffix: set a real one, such as "log.example.org/vigil"). An
	// existing log keeps its name.
	LogName string
	// SecureCookies marks cookies Secure; set it when clients reach Vigil
	// over TLS.
	SecureCookies bool
	// Auth tunes accounts and sessions.
	Auth auth.Config
	// Policy packs to stack on the default pack, in order (names of
	// built-in packs or files).
	Policy []string
	// PolicySwitches set the packs' switches.
	PolicySwitches map[string]bool
	// PolicyOverrides let a pack switch off these deny rules; each is
	// recorded on the public log at start.
	PolicyOverrides []string
	// DataContact is where people ask about data held on them; every
	// public notice gives it (default: the /rights page).
	DataContact string
	// Log tunes the Merkle log.
	Log ledger.LogConfig
	// Blobs is where the evidence vault keeps its encrypted items: a
	// directory or an s3:// URL (default: the blobs directory in Data).
	Blobs string
	// Classes are the vault's retention schedules (default
	// vault.DefaultClasses).
	Classes []vault.Class
	// MaxItemSize bounds one evidence item (default 8 GiB).
	MaxItemSize int64
	// Logger receives operational logs (default: text to stderr).
	Logger *slog.Logger
	// Out receives what people must read: the URL, a first password.
	Out io.Writer
}

func (c *Config) fill() {
	if c.Data == "" {
		c.Data = "vigil-data"
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
}

// App is an opened Vigil: data directory, database and services.
type App struct {
	Config     Config
	DB         *store.DB
	Outbox     *ledger.Outbox
	Auth       *auth.Service
	Assemblies *assembly.Service
	Policy     *policy.Engine
	// Disruptions is the register of disruption orders.
	Disruptions *disrupt.Service
	// Force is the training register and the use-of-force record; the
	// register of assemblies asks it whether a unit is trained.
	Force *force.Service
	// Blobs holds the vault's encrypted items.
	Blobs blob.Store
	// Vault is the evidence vault; nil until the log's keys exist (it
	// signs deletion receipts with them).
	Vault *vault.Vault
	// Uploads are the resumable uploads that become vault items; nil
	// until serve.
	Uploads *tus.Server
	// Keys are the log's keys; zero until the first serve makes them.
	Keys     ledger.Keys
	Messages *i18n.Catalog
}

// HasKeys reports whether the log's keys exist yet.
func (a *App) HasKeys() bool { return a.Keys.Signer != nil }

// EnsureKeys makes the log's keys if there are none, named cfg.LogName or,
// failing that, a placeholder name under .invalid that says it was never
// set, and opens the vault, which signs with them.
func (a *App) EnsureKeys() error {
	if a.HasKeys() {
		return nil
	}
	name := a.Config.LogName
	if name == "" {
		name = "vigil.invalid/" + id.New("log")
	}
	keys, created, err := ledger.LoadOrCreateKeys(a.KeyDir(), name)
	if err != nil {
		return err
	}
	if created {
		a.Config.Logger.Info("created the log's signing key", "name", keys.Origin(), "dir", a.KeyDir())
	}
	a.Keys = keys
	return a.openVault(nil)
}

// Paths inside the data directory.
func (a *App) LogDir() string  { return filepath.Join(a.Config.Data, "log") }
func (a *App) KeyDir() string  { return filepath.Join(a.Config.Data, "keys") }
func (a *App) BlobDir() string { return filepath.Join(a.Config.Data, "blobs") }

// DBPath is the SQLite file used when no database URL is given.
func DBPath(data string) string { return filepath.Join(data, "vigil.db") }

// Open creates the data directory if needed (mode 0700: it holds private
// data and the log's signing key), opens and migrates the database, and
// loads or creates the log's key. It does not open the log for writing.
func Open(ctx context.Context, cfg Config) (*App, error) {
	cfg.fill()
	ledger.QuietTessera(cfg.Logger.Handler())
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	for _, d := range []string{"blobs", "log", "keys"} {
		mode := os.FileMode(0o700)
		if d == "log" {
			mode = 0o755 // the log is public
		}
		if err := os.MkdirAll(filepath.Join(cfg.Data, d), mode); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	dsn := cfg.DB
	if dsn == "" {
		dsn = DBPath(cfg.Data)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Config: cfg, DB: db, Outbox: ledger.NewOutbox()}
	// The log's key is made by the first serve, which may name the log;
	// other commands only read it.
	switch keys, err := ledger.LoadKeys(a.KeyDir()); {
	case err == nil:
		if cfg.LogName != "" && cfg.LogName != keys.Origin() {
			db.Close()
			return nil, fmt.Errorf("the log in %s is named %q, not %q: a log's name cannot change", cfg.Data, keys.Origin(), cfg.LogName)
		}
		a.Keys = keys
	case !errors.Is(err, os.ErrNotExist):
		db.Close()
		return nil, err
	}
	if a.Messages, err = i18n.Load(); err != nil {
		db.Close()
		return nil, err
	}
	a.Auth = auth.New(db, a.Outbox, cfg.Auth)
	stack, err := policy.Stack(policy.DefaultPack)
	if err == nil {
		for _, name := range cfg.Policy {
			var p *policy.Pack
			if p, err = policy.Open(name); err != nil {
				break
			}
			stack = append(stack, p)
		}
	}
	if err == nil {
		a.Policy, err = policy.NewEngine(stack, policy.Options{Switches: cfg.PolicySwitches, Overrides: cfg.PolicyOverrides})
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	a.Force = force.NewService(db, a.Outbox)
	a.Assemblies = assembly.NewService(db, a.Outbox, assembly.Options{Policy: a.Policy, Training: a.Force, DataContact: cfg.DataContact})
	a.Disruptions = disrupt.NewService(db, a.Outbox)
	loc := cfg.Blobs
	if loc == "" {
		loc = a.BlobDir()
	}
	if a.Blobs, err = blob.Open(ctx, loc); err != nil {
		db.Close()
		return nil, fmt.Errorf("blob store: %w", err)
	}
	if a.HasKeys() {
		if err := a.openVault(nil); err != nil {
			a.Close()
			return nil, err
		}
	}
	return a, nil
}

// openVault opens the evidence vault, once the log's keys exist. With a
// log, its exports prove custody against it.
func (a *App) openVault(log *ledger.Log) error {
	kek, err := vault.LocalKEK(a.KeyDir())
	if err != nil {
		return err
	}
	cfg := vault.Config{Blobs: a.Blobs, KEK: kek, Signer: a.Keys.Signer, Deployments: a.Assemblies, Classes: a.Config.Classes,
		MaxSize: a.Config.MaxItemSize, PINParams: a.Config.Auth.Params}
	if log != nil {
		cfg.Prover = logProver{db: a.DB, src: log.Reader(), verifier: a.Keys.Verifier}
	}
	a.Vault, err = vault.New(a.DB, a.Outbox, cfg)
	if err != nil {
		return err
	}
	a.Assemblies.SetCaptureShredder(a.Vault)
	return nil
}

// logProver proves events against the log this process writes.
type logProver struct {
	db       *store.DB
	src      ledger.Source
	verifier note.Verifier
}

func (p logProver) ProveAll(ctx context.Context, ids []int64) ([]ledger.Proof, string, error) {
	return ledger.ProveAll(ctx, p.db, p.src, p.verifier, ids)
}

// Close closes the database and the blob store.
func (a *App) Close() error {
	var err error
	if c, ok := a.Blobs.(io.Closer); ok {
		err = c.Close()
	}
	return errors.Join(err, a.DB.Close())
}
