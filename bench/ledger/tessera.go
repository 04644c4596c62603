package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"

	"github.com/vigil-project/vigil/internal/ledger"
)

// What ledger.LogConfig defaults to, and how OpenLog hands it to Tessera
// (the pushback is four batches there too).
const (
	vigilBatchSize          = ledger.DefaultBatchSize
	vigilBatchAge           = ledger.DefaultBatchAge
	vigilCheckpointInterval = ledger.DefaultCheckpointInterval
	vigilPushback           = 4 * vigilBatchSize
)

// tesseraDefault is what a Tessera personality gets out of the box, with
// Vigil's checkpoint interval and signer so that publishing costs the same.
func tesseraDefault(keys ledger.Keys) (*tessera.AppendOptions, string) {
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(keys.Signer).
		WithCheckpointInterval(vigilCheckpointInterval)
	return opts, fmt.Sprintf("Tessera defaults: batch %d/%v, checkpoint %v", tessera.DefaultBatchMaxSize, tessera.DefaultBatchMaxAge, vigilCheckpointInterval)
}

// tesseraLikeVigil is Tessera with exactly the options Vigil's OpenLog sets.
func tesseraLikeVigil(keys ledger.Keys) (*tessera.AppendOptions, string) {
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(keys.Signer).
		WithBatching(vigilBatchSize, vigilBatchAge).
		WithCheckpointInterval(vigilCheckpointInterval).
		WithPushback(vigilPushback)
	return opts, fmt.Sprintf("Vigil's batching: batch %d/%v, checkpoint %v", vigilBatchSize, vigilBatchAge, vigilCheckpointInterval)
}

// added is when an entry's Add call started and when its future resolved,
// and the index it got.
type added struct {
	called, resolved time.Time
	index            uint64
}

// runTessera pushes o.n entries through a bare Tessera POSIX appender in
// dir, each writer goroutine calling Add and waiting for the future as a
// personality's HTTP handler would, until a published checkpoint covers
// them all.
func runTessera(ctx context.Context, o options, keys ledger.Keys, dir, path string, configure func(ledger.Keys) (*tessera.AppendOptions, string)) (*result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tctx, tcancel := context.WithTimeoutCause(ctx, o.timeout, fmt.Errorf("gave up after -timeout %v", o.timeout))
	defer tcancel()
	lctx, cancel := context.WithCancel(tctx)
	defer cancel()
	driver, err := posix.New(lctx, posix.Config{Path: dir})
	if err != nil {
		return nil, err
	}
	opts, cfg := configure(keys)
	appender, shutdown, reader, err := tessera.NewAppender(lctx, driver, opts)
	if err != nil {
		return nil, err
	}

	wait := watchAsync(tctx, reader.ReadCheckpoint, keys, uint64(o.n))
	adds := make([]added, o.n)
	var entryBytes int64
	sizes := make([]int, o.n)
	err = runWorkers(tctx, o.n, o.writers, func(ctx context.Context, i int) error {
		entry, err := benchEntry(i)
		if err != nil {
			return err
		}
		sizes[i] = len(entry)
		called := time.Now()
		idx, err := appender.Add(ctx, tessera.NewEntry(entry))()
		if err != nil {
			return fmt.Errorf("add entry %d: %w", i, err)
		}
		adds[i] = added{called: called, resolved: time.Now(), index: idx.Index}
		return nil
	})
	if err != nil {
		return nil, err
	}
	seen, err := wait()
	if err != nil {
		return nil, err
	}
	sctx, scancel := context.WithTimeout(ctx, time.Minute)
	defer scancel()
	if err := shutdown(sctx); err != nil {
		return nil, fmt.Errorf("shut the appender down: %w", err)
	}

	// Every entry got its own index in [0, n), and a published checkpoint
	// covered it.
	taken := make([]bool, o.n)
	fromCall := make([]time.Duration, 0, o.n)
	fromResolved := make([]time.Duration, 0, o.n)
	start := adds[0].called
	for i, a := range adds {
		if a.index >= uint64(o.n) || taken[a.index] {
			return nil, fmt.Errorf("entry %d got index %d, out of range or taken twice", i, a.index)
		}
		taken[a.index] = true
		t, ok := seen.covered(a.index)
		if !ok {
			return nil, fmt.Errorf("entry %d (index %d) is in no published checkpoint seen", i, a.index)
		}
		fromCall = append(fromCall, t.Sub(a.called))
		fromResolved = append(fromResolved, t.Sub(a.resolved))
		if a.called.Before(start) {
			start = a.called
		}
		entryBytes += int64(sizes[i])
	}
	raw, err := reader.ReadCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	cp, err := ledger.ParseCheckpoint(raw, keys.Verifier)
	if err != nil {
		return nil, fmt.Errorf("the final checkpoint does not verify: %w", err)
	}
	if cp.Size != uint64(o.n) {
		return nil, fmt.Errorf("the final checkpoint covers %d entries, want %d", cp.Size, o.n)
	}

	r := newResult(path, cfg, o.n, start, seen, fromCall, entryBytes)
	p50, p99 := quantiles(fromResolved)
	r.IntegratedP50, r.IntegratedP99 = new(ms(p50)), new(ms(p99))
	return r, nil
}
