package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"k8s.io/klog/v2"
)

// LogConfig configures the log. Its zero value, with Dir and Keys set, is
// what `vigil serve` uses.
type LogConfig struct {
	// Dir is the log directory: the tlog-tiles files served under /log/.
	Dir string
	// Keys sign the checkpoints.
	Keys Keys
	// BatchSize is the most entries integrated at once (default
	// DefaultBatchSize).
	BatchSize int
	// BatchAge is how long a partial batch waits for more (default
	// DefaultBatchAge).
	BatchAge time.Duration
	// CheckpointInterval is the least time between checkpoints while
	// entries flow (default DefaultCheckpointInterval).
	CheckpointInterval time.Duration
	// WitnessPolicy, if not empty, is a witness policy file's text (see
	// witness.ParsePolicy): Tessera sends each new checkpoint, with a
	// consistency proof, to the witnesses it names (C2SP tlog-witness),
	// and publishes the checkpoint with their cosignatures once the
	// policy's quorum has cosigned it.
	WitnessPolicy []byte
	// WitnessTimeout is how long a checkpoint waits for the quorum
	// (default tessera.DefaultWitnessTimeout, 5 seconds).
	WitnessTimeout time.Duration
	// WitnessFailOpen publishes a checkpoint without the quorum's
	// cosignatures when the witnesses do not give them in time. By
	// default (Tessera's) such a checkpoint is not published: entries
	// are still appended, but the published checkpoint stays where it
	// was, and the log tries again at the next interval, until the
	// witnesses answer. A new log's first OpenLog fails while they do
	// not cosign its first checkpoint (of no entries).
	WitnessFailOpen bool
	// HTTPClient makes the requests to witnesses (default
	// http.DefaultClient; each request is bounded by WitnessTimeout).
	HTTPClient *http.Client
}

// The log's defaults.
const (
	// DefaultBatchSize is the writer's batch: up to this many committed
	// events go to the log in one integration.
	DefaultBatchSize = 1024
	// DefaultBatchAge is short: the writer adds a whole batch at once, so
	// waiting for more only delays it.
	DefaultBatchAge = 2 * time.Millisecond
	// DefaultCheckpointInterval makes a new checkpoint follow new entries
	// within a second.
	DefaultCheckpointInterval = 500 * time.Millisecond
)

func (c *LogConfig) fill() {
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchAge <= 0 {
		c.BatchAge = DefaultBatchAge
	}
	if c.CheckpointInterval <= 0 {
		c.CheckpointInterval = DefaultCheckpointInterval
	}
}

// QuietTessera sends the log library's own logging (klog) to h, keeping
// only warnings and errors: its informational lines mean nothing to
// Vigil's operators.
func QuietTessera(h slog.Handler) {
	klog.SetSlogLogger(slog.New(minLevel{h, slog.LevelWarn}))
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.Handler.Enabled(ctx, l)
}

func (m minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{m.Handler.WithAttrs(a), m.min}
}
func (m minLevel) WithGroup(g string) slog.Handler { return minLevel{m.Handler.WithGroup(g), m.min} }

// ErrLogBusy means another process is already writing the log.
var ErrLogBusy = errors.New("ledger: another vigil process is writing this log")

// Log is the writable Merkle log. Only one process may hold it open.
type Log struct {
	cfg      LogConfig
	appender *tessera.Appender
	reader   tessera.LogReader
	shutdown func(context.Context) error
	cancel   context.CancelFunc
	lock     *os.File
}

// OpenLog opens (creating if needed) the log in cfg.Dir for appending. It
// holds an exclusive lock on the directory until Close.
func OpenLog(ctx context.Context, cfg LogConfig) (*Log, error) {
	cfg.fill()
	if cfg.Keys.Signer == nil {
		return nil, errors.New("ledger: no signing key for the log")
	}
	var witnesses *tessera.WitnessGroup
	if len(cfg.WitnessPolicy) > 0 {
		g, err := tessera.NewWitnessGroupFromPolicy(cfg.WitnessPolicy)
		if err != nil {
			return nil, fmt.Errorf("ledger: witness policy: %w", err)
		}
		witnesses = &g
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(cfg.Dir, ".vigil-writer.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrLogBusy, cfg.Dir)
		}
		return nil, fmt.Errorf("ledger: lock %s: %w", cfg.Dir, err)
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	driver, err := posix.New(lctx, posix.Config{Path: cfg.Dir, HTTPClient: cfg.HTTPClient})
	if err != nil {
		cancel()
		lock.Close()
		return nil, fmt.Errorf("ledger: open log: %w", err)
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(cfg.Keys.Signer).
		WithBatching(uint(cfg.BatchSize), cfg.BatchAge).
		WithCheckpointInterval(cfg.CheckpointInterval).
		WithPushback(uint(4 * cfg.BatchSize))
	if witnesses != nil {
		opts.WithWitnesses(*witnesses, &tessera.WitnessOptions{Timeout: cfg.WitnessTimeout, FailOpen: cfg.WitnessFailOpen})
	}
	appender, shutdown, reader, err := tessera.NewAppender(lctx, driver, opts)
	if err != nil {
		cancel()
		lock.Close()
		return nil, fmt.Errorf("ledger: open log: %w", err)
	}
	return &Log{cfg: cfg, appender: appender, reader: reader, shutdown: shutdown, cancel: cancel, lock: lock}, nil
}

// Reader reads the log's public resources.
func (l *Log) Reader() tessera.LogReader { return l.reader }

// Keys returns the keys the log signs with.
func (l *Log) Keys() Keys { return l.cfg.Keys }

// Dir is the log directory.
func (l *Log) Dir() string { return l.cfg.Dir }

// Close waits until every entry appended is integrated and covered by a
// published checkpoint (or ctx ends), then releases the log.
func (l *Log) Close(ctx context.Context) error {
	err := l.shutdown(ctx)
	l.cancel()
	l.lock.Close()
	return err
}

// AwaitPublished waits until a published checkpoint covers size entries,
// or ctx ends.
func (l *Log) AwaitPublished(ctx context.Context, size uint64) error {
	t := time.NewTicker(25 * time.Millisecond)
	defer t.Stop()
	for {
		if raw, err := l.reader.ReadCheckpoint(ctx); err == nil {
			if cp, err := ParseCheckpoint(raw, l.cfg.Keys.Verifier); err == nil && cp.Size >= size {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
