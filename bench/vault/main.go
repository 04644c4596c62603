// Command vault benchmarks the evidence vault.
//
// Ingest: it generates a set of files (a few large videos and many small
// photos, incompressible), then, in one run and on the same disk, reads
// them with sha256sum (the floor: hashing alone), backs them up with
// restic (a tool that also hashes, encrypts and stores), and ingests them
// into Vigil's vault (hash, encrypt with a key per item, store, record the
// custody event). It prints MB/s for each and Vigil's ratios to the two
// baselines. Aim: >= 2x restic, >= 0.6x sha256sum.
//
// Sweep: it fills a vault's database with N items, 1% of them past their
// schedule, and times the sweep that destroys those (signed receipt, event,
// key and blob gone); as the baseline in the same run it times the same
// sweep over a database holding only the expired items. Aim: 1,000,000
// items, 1% expired, <= 1 s; and a ratio near 1, the cost following what
// is due, not what is kept.
//
//	go run ./bench/vault [-dir DIR] [-videos 3] [-video-mb 256] [-photos 2000] [-photo-kb 200] [-workers 2×cores]
//	go run ./bench/vault -sweep 1000000 [-expired 0.01]
//
// Everything runs in a temporary directory (or DIR), deleted afterwards
// unless -keep. restic comes from Debian's restic package; without it the
// ingest comparison with restic is skipped and said so.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

type options struct {
	dir      string
	keep     bool
	videos   int
	videoMB  int
	photos   int
	photoKB  int
	workers  int
	sweep    int
	expired  float64
	skipTool map[string]bool
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "", "work in `DIR` (default a new temporary directory)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.IntVar(&o.videos, "videos", 3, "number of large videos")
	flag.IntVar(&o.videoMB, "video-mb", 256, "size of each video in MB")
	flag.IntVar(&o.photos, "photos", 2000, "number of small photos")
	flag.IntVar(&o.photoKB, "photo-kb", 200, "size of each photo in kB")
	flag.IntVar(&o.workers, "workers", 2*runtime.GOMAXPROCS(0), "items Vigil ingests at once (default two per core: each item waits for its fsyncs about half the time, as concurrent uploads do)")
	flag.IntVar(&o.sweep, "sweep", 0, "run the sweep benchmark with this many items instead")
	flag.Float64Var(&o.expired, "expired", 0.01, "share of the items past their schedule, for -sweep")
	skipRestic := flag.Bool("no-restic", false, "skip restic")
	flag.Parse()
	o.skipTool = map[string]bool{"restic": *skipRestic}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/vault:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "vigil-bench-vault-")
		if err != nil {
			return err
		}
		dir = d
	}
	if !o.keep && o.dir == "" {
		defer os.RemoveAll(dir)
	}
	fmt.Printf("work directory: %s (%d CPUs)\n", dir, runtime.NumCPU())
	if o.sweep > 0 {
		return benchSweep(ctx, filepath.Join(dir, "sweep"), o.sweep, o.expired)
	}
	return benchIngest(ctx, dir, o)
}

func mbps(bytes int64, d time.Duration) float64 { return float64(bytes) / 1e6 / d.Seconds() }
