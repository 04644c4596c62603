package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
)

// pollEvery is how often the published checkpoint is read.
const pollEvery = 5 * time.Millisecond

// sighting is when a published checkpoint of some size was first seen.
type sighting struct {
	at   time.Time
	size uint64
}

// sightings are a log's published checkpoints in the order seen, each
// larger than the one before.
type sightings []sighting

// covered returns when a published checkpoint first covered log index idx.
func (s sightings) covered(idx uint64) (time.Time, bool) {
	i := sort.Search(len(s), func(i int) bool { return s[i].size > idx })
	if i == len(s) {
		return time.Time{}, false
	}
	return s[i].at, true
}

// watch reads the published checkpoint every pollEvery, checks its
// signature with keys, and notes each time it grows, until it covers want
// entries or ctx ends. A checkpoint that does not verify, or shrinks, is
// an error.
func watch(ctx context.Context, read func(context.Context) ([]byte, error), keys ledger.Keys, want uint64) (sightings, error) {
	var seen sightings
	var last []byte
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		raw, err := read(ctx)
		now := time.Now()
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return seen, fmt.Errorf("read the published checkpoint: %w", err)
		case !bytes.Equal(raw, last):
			cp, err := ledger.ParseCheckpoint(raw, keys.Verifier)
			if err != nil {
				return seen, fmt.Errorf("the published checkpoint does not verify: %w", err)
			}
			last = raw
			if n := len(seen); n > 0 && cp.Size < seen[n-1].size {
				return seen, fmt.Errorf("the published checkpoint shrank from %d to %d entries", seen[n-1].size, cp.Size)
			}
			if n := len(seen); n == 0 || cp.Size > seen[n-1].size {
				seen = append(seen, sighting{at: now, size: cp.Size})
			}
			if cp.Size >= want {
				return seen, nil
			}
		}
		select {
		case <-ctx.Done():
			got := uint64(0)
			if n := len(seen); n > 0 {
				got = seen[n-1].size
			}
			return seen, fmt.Errorf("no published checkpoint covers %d entries (the last covers %d): %w", want, got, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// watchAsync runs watch in a goroutine; wait returns its result.
func watchAsync(ctx context.Context, read func(context.Context) ([]byte, error), keys ledger.Keys, want uint64) (wait func() (sightings, error)) {
	var seen sightings
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		seen, err = watch(ctx, read, keys, want)
	}()
	return func() (sightings, error) {
		<-done
		return seen, err
	}
}

// runWorkers calls do for i in [0, n) from the given number of goroutines,
// each taking the next i when it is done with the last, as concurrent
// request handlers would. It stops at the first error and returns it.
func runWorkers(ctx context.Context, n, workers int, do func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := do(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// quantiles returns the 50th and 99th percentiles (nearest rank) of d,
// which it sorts.
func quantiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	rank := func(p float64) time.Duration {
		k := int(math.Ceil(p*float64(len(d)))) - 1
		return d[max(0, min(k, len(d)-1))]
	}
	return rank(0.50), rank(0.99)
}

// result is what one path measured.
type result struct {
	Path string `json:"path"`
	// Config is the log's batching and checkpoint settings.
	Config string `json:"config"`
	Events int    `json:"events"`
	// Seconds is from the first commit (or Add call) to the first published
	// checkpoint that covers all the events.
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"events_per_second"`
	// P50 and P99 are the time from an event's commit (for bare Tessera:
	// the start of its Add call) to the first published checkpoint that
	// covers it, in milliseconds.
	P50 float64 `json:"p50_commit_to_checkpoint_ms"`
	P99 float64 `json:"p99_commit_to_checkpoint_ms"`
	// For bare Tessera only: from the entry's future resolving (the entry
	// is integrated) to the checkpoint covering it, in milliseconds.
	IntegratedP50 *float64 `json:"p50_integrated_to_checkpoint_ms,omitempty"`
	IntegratedP99 *float64 `json:"p99_integrated_to_checkpoint_ms,omitempty"`
	// EntryBytes is the mean size of a log entry.
	EntryBytes float64 `json:"mean_entry_bytes"`
	// WriterBatches is how many batches Vigil's ledger writer appended
	// (Vigil only).
	WriterBatches int64 `json:"writer_batches,omitempty"`
	// Checkpoints is how many published checkpoints, each larger than the
	// last, the run saw.
	Checkpoints int `json:"checkpoints_seen"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// newResult fills in the figures every path shares.
func newResult(path, config string, n int, start time.Time, seen sightings, latencies []time.Duration, entryBytes int64) *result {
	end := seen[len(seen)-1].at
	secs := end.Sub(start).Seconds()
	p50, p99 := quantiles(latencies)
	grew := 0
	for _, s := range seen {
		if s.size > 0 {
			grew++
		}
	}
	return &result{
		Path:        path,
		Config:      config,
		Events:      n,
		Seconds:     secs,
		Rate:        float64(n) / secs,
		P50:         ms(p50),
		P99:         ms(p99),
		EntryBytes:  float64(entryBytes) / float64(n),
		Checkpoints: grew,
	}
}
