// Command ledger benchmarks Vigil's event path against bare Tessera.
//
// It pushes N events through Vigil's own path (a database transaction with
// the outbox, the ledger writer, the log) until a published checkpoint
// covers them all, then pushes the same number of entries of the same shape
// through a bare Tessera POSIX appender, twice: once with Tessera's default
// batching and once with the batching Vigil's log uses. All three run in one
// temporary directory on the same disk, one after the other, and the
// program prints their rates, the ratios of Vigil's rate to the baselines'
// and the time from commit to a published checkpoint.
//
//	go run ./bench/ledger -n 20000 [-writers 32] [-dir DIR] [-db DSN] [-json]
//
// -db runs Vigil's path on an empty, throwaway PostgreSQL database instead of
// a SQLite file; -paths picks which paths run; -cpuprofile profiles Vigil's
// path; -sqlite-synchronous is an experiment that changes Vigil's SQLite
// durability setting, to see what it costs.
//
// After the run it verifies Vigil's log from its files with the public key
// and reconciles it with the database, so a fast but wrong result fails.
// Any error exits with status 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// The paths the benchmark can run, in the order it runs them.
const (
	pathVigil    = "vigil"
	pathDefault  = "tessera-default"
	pathBatching = "tessera-batching"
)

// options are the command line.
type options struct {
	n          int
	writers    int
	dir        string
	db         string
	paths      []string
	json       bool
	keep       bool
	timeout    time.Duration
	cpuprofile string
	// sqliteSync, if set, overrides Vigil's PRAGMA synchronous on the
	// writing connection: an experiment, not what Vigil runs with.
	sqliteSync string
}

func main() {
	var o options
	var paths string
	flag.IntVar(&o.n, "n", 20000, "events to push through each path")
	flag.IntVar(&o.writers, "writers", 32, "concurrent writers (as HTTP handlers would be)")
	flag.StringVar(&o.dir, "dir", "", "directory on the disk to measure (default: the system's temporary directory)")
	flag.StringVar(&o.db, "db", "", "an empty, throwaway PostgreSQL database (postgres://...) instead of SQLite")
	flag.StringVar(&paths, "paths", strings.Join([]string{pathVigil, pathDefault, pathBatching}, ","), "paths to run, comma separated")
	flag.BoolVar(&o.json, "json", false, "print the results as JSON")
	flag.BoolVar(&o.keep, "keep", false, "keep the benchmark's directory")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up on a path after this long")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the Vigil path to this file")
	flag.StringVar(&o.sqliteSync, "sqlite-synchronous", "", "experiment: override Vigil's SQLite PRAGMA synchronous (FULL) with NORMAL or OFF")
	flag.Parse()
	for _, p := range strings.Split(paths, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.paths = append(o.paths, p)
		}
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/ledger:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.n <= 0 || o.writers <= 0 {
		return errors.New("-n and -writers must be positive")
	}
	for _, p := range o.paths {
		if p != pathVigil && p != pathDefault && p != pathBatching {
			return fmt.Errorf("unknown path %q in -paths (want %s, %s or %s)", p, pathVigil, pathDefault, pathBatching)
		}
	}
	if o.db != "" && !store.IsPostgres(o.db) {
		return errors.New("-db takes a postgres:// URL; SQLite is the default, in the benchmark's directory")
	}
	switch strings.ToUpper(o.sqliteSync) {
	case "", "FULL", "NORMAL", "OFF":
		o.sqliteSync = strings.ToUpper(o.sqliteSync)
	default:
		return fmt.Errorf("-sqlite-synchronous takes FULL, NORMAL or OFF, not %q", o.sqliteSync)
	}
	if o.sqliteSync != "" && o.db != "" {
		return errors.New("-sqlite-synchronous is for SQLite, not with -db")
	}
	ledger.QuietTessera(slog.NewTextHandler(os.Stderr, nil))

	parent := o.dir
	if parent == "" {
		parent = os.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "vigil-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "bench/ledger: keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	// One key pair signs all three logs, so that checkpoints cost the same.
	keys, _, err := ledger.LoadOrCreateKeys(filepath.Join(dir, "keys"), "bench.vigil.example/log")
	if err != nil {
		return err
	}

	m, err := describe(dir)
	if err != nil {
		return err
	}
	rep := report{
		Machine: m,
		Dir:     dir,
		Events:  o.n,
		Writers: o.writers,
	}
	for _, p := range []string{pathVigil, pathDefault, pathBatching} {
		if !slices.Contains(o.paths, p) {
			continue
		}
		if !o.json {
			fmt.Fprintf(os.Stderr, "bench/ledger: running %s (%d events, %d writers)...\n", p, o.n, o.writers)
		}
		var r *result
		switch p {
		case pathVigil:
			r, err = runVigil(ctx, o, keys, filepath.Join(dir, p))
		case pathDefault:
			r, err = runTessera(ctx, o, keys, filepath.Join(dir, p), p, tesseraDefault)
		case pathBatching:
			r, err = runTessera(ctx, o, keys, filepath.Join(dir, p), p, tesseraLikeVigil)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		rep.Results = append(rep.Results, *r)
	}
	rep.compare()

	if o.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	rep.print(os.Stdout)
	return nil
}
