package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// committed is when an event's transaction committed, and the event's ID.
type committed struct {
	id int64
	at time.Time
}

// runVigil pushes o.n events through Vigil's own path in dir: each writer
// goroutine commits one event per database transaction through the outbox,
// the ledger writer appends them to the log, and a published checkpoint
// covers them. Then it checks the log and the database.
func runVigil(ctx context.Context, o options, keys ledger.Keys, dir string) (*result, error) {
	engine, dsn := "sqlite", filepath.Join(dir, "vigil.db")
	if o.db != "" {
		engine, dsn = "postgres", o.db
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// Refuse a database that holds events before touching its schema: the
	// benchmark wants a throwaway one, and its log starts empty.
	if v, err := db.Version(ctx); err != nil {
		return nil, err
	} else if v > 0 {
		var existing int64
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM events").Scan(&existing); err != nil {
			return nil, err
		}
		if existing != 0 {
			return nil, fmt.Errorf("the database already holds %d events: give the benchmark an empty, throwaway database", existing)
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	if o.sqliteSync != "" {
		if err := setSynchronous(ctx, db, o.sqliteSync); err != nil {
			return nil, err
		}
		engine += ", EXPERIMENT synchronous=" + o.sqliteSync
	}

	logDir := filepath.Join(dir, "log")
	lg, err := ledger.OpenLog(ctx, ledger.LogConfig{Dir: logDir, Keys: keys})
	if err != nil {
		return nil, err
	}
	logOpen := true
	defer func() {
		if logOpen {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			lg.Close(cctx)
		}
	}()

	tctx, tcancel := context.WithTimeoutCause(ctx, o.timeout, fmt.Errorf("gave up after -timeout %v", o.timeout))
	defer tcancel()
	rctx, cancel := context.WithCancelCause(tctx)
	defer cancel(nil)
	outbox := ledger.NewOutbox()
	writer := ledger.NewWriter(db, lg, outbox, ledger.WriterConfig{})
	wctx, stopWriter := context.WithCancel(rctx)
	writerErr := make(chan error, 1)
	go func() {
		err := writer.Run(wctx)
		if wctx.Err() == nil {
			cancel(fmt.Errorf("the ledger writer stopped: %w", err)) // so does the run
		}
		writerErr <- err
	}()
	writerRunning := true
	stop := func() error {
		if !writerRunning {
			return nil
		}
		writerRunning = false
		stopWriter()
		if err := <-writerErr; !errors.Is(err, context.Canceled) {
			return fmt.Errorf("the ledger writer stopped: %w", err)
		}
		return nil
	}
	defer stop()

	wait := watchAsync(rctx, lg.Reader().ReadCheckpoint, keys, uint64(o.n))
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}

	commits := make([]committed, o.n)
	err = runWorkers(rctx, o.n, o.writers, func(ctx context.Context, i int) error {
		var id int64
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			id, err = outbox.Record(ctx, tx, benchEvent(i))
			return err
		})
		if err != nil {
			return fmt.Errorf("commit event %d: %w", i, err)
		}
		commits[i] = committed{id: id, at: time.Now()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	seen, err := wait()
	if err != nil {
		return nil, err
	}
	pprof.StopCPUProfile()
	if err := stop(); err != nil {
		return nil, err
	}
	if s := writer.Stats(); s.Failures > 0 {
		return nil, fmt.Errorf("the ledger writer failed %d times (last: %s)", s.Failures, s.LastError)
	}
	cctx, ccancel := context.WithTimeout(ctx, time.Minute)
	defer ccancel()
	logOpen = false
	if err := lg.Close(cctx); err != nil {
		return nil, fmt.Errorf("close the log: %w", err)
	}

	// Each event's latency: from its commit to the first published
	// checkpoint covering its log index.
	at := make(map[int64]time.Time, o.n)
	start := commits[0].at
	for _, c := range commits {
		at[c.id] = c.at
		if c.at.Before(start) {
			start = c.at
		}
	}
	rows, err := db.Query(ctx, "SELECT id, log_index, LENGTH(entry) FROM events")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	latencies := make([]time.Duration, 0, o.n)
	var entryBytes int64
	for rows.Next() {
		var id, size int64
		var idx sql.NullInt64
		if err := rows.Scan(&id, &idx, &size); err != nil {
			return nil, err
		}
		c, ok := at[id]
		if !ok {
			return nil, fmt.Errorf("event %d is in the database but no writer committed it", id)
		}
		if !idx.Valid {
			return nil, fmt.Errorf("event %d has no log index", id)
		}
		t, ok := seen.covered(uint64(idx.Int64))
		if !ok {
			return nil, fmt.Errorf("event %d (log index %d) is in no published checkpoint seen", id, idx.Int64)
		}
		latencies = append(latencies, t.Sub(c))
		entryBytes += size
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(latencies) != o.n {
		return nil, fmt.Errorf("the database holds %d events, %d were committed", len(latencies), o.n)
	}
	if err := check(ctx, db, logDir, keys, o.n); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("%s; LogConfig defaults: batch %d/%v, checkpoint %v", engine, vigilBatchSize, vigilBatchAge, vigilCheckpointInterval)
	r := newResult(pathVigil, cfg, o.n, start, seen, latencies, entryBytes)
	// The writer stamps each batch's events with one logged_at.
	if err := db.QueryRow(ctx, "SELECT COUNT(DISTINCT logged_at) FROM events").Scan(&r.WriterBatches); err != nil {
		return nil, err
	}
	return r, nil
}

// check verifies the log from its files, trusting only the public key, and
// reconciles the database with it: the log must hold exactly n entries,
// each the event the database says, in commit order.
func check(ctx context.Context, db *store.DB, logDir string, keys ledger.Keys, n int) error {
	src, err := ledger.OpenSource(logDir)
	if err != nil {
		return err
	}
	v, err := ledger.Verify(ctx, src, ledger.VerifyOptions{VerifierKey: keys.VerifierKey})
	if err != nil {
		return fmt.Errorf("verify the log: %w", err)
	}
	if v.Checkpoint.Size != uint64(n) {
		return fmt.Errorf("the verified log holds %d entries, want %d", v.Checkpoint.Size, n)
	}
	rep, err := ledger.Reconcile(ctx, db, src, keys.Verifier)
	if err != nil {
		return fmt.Errorf("reconcile the database with the log: %w", err)
	}
	if !rep.OK() || rep.Pending != 0 || rep.Events != int64(n) {
		return fmt.Errorf("the database and the log disagree: %d events, %d pending, discrepancies %+v", rep.Events, rep.Pending, rep.Discrepancies)
	}
	return nil
}

// setSynchronous sets PRAGMA synchronous on the store's one writing
// connection, which lives as long as the store, and reads it back there.
func setSynchronous(ctx context.Context, db *store.DB, mode string) error {
	if _, err := db.Exec(ctx, "PRAGMA synchronous = "+mode); err != nil {
		return err
	}
	want := map[string]int{"OFF": 0, "NORMAL": 1, "FULL": 2}[mode]
	var got int
	err := db.Tx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, "PRAGMA synchronous").Scan(&got)
	})
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("PRAGMA synchronous is %d on the writing connection, want %d (%s)", got, want, mode)
	}
	return nil
}
