package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/store"
)

// benchSweep times the sweep over n items of which a share is due, and
// over the due items alone.
func benchSweep(ctx context.Context, dir string, n int, share float64) error {
	due := int(float64(n) * share)
	if due < 1 {
		return fmt.Errorf("-expired %.4f of %d items is no item", share, n)
	}
	full, err := sweepOnce(ctx, filepath.Join(dir, "full"), n, due)
	if err != nil {
		return err
	}
	alone, err := sweepOnce(ctx, filepath.Join(dir, "alone"), due, due)
	if err != nil {
		return err
	}
	fmt.Printf("\nsweep of %d due items among %d: %v (%.0f items/s)\n", due, n, full.Round(time.Millisecond), float64(due)/full.Seconds())
	fmt.Printf("baseline, the same %d due items alone: %v\n", due, alone.Round(time.Millisecond))
	fmt.Printf("ratio: %.2f (near 1: the cost follows what is due, not what is kept)\n", full.Seconds()/alone.Seconds())
	verdict := "met"
	if full > time.Second {
		verdict = "NOT met"
	}
	fmt.Printf("aim <= 1 s for %d items, %d due: %s\n", n, due, verdict)
	return nil
}

// sweepOnce fills a new vault with n items, the first due of them past
// their schedule (each with its encrypted blob), and times one sweep.
func sweepOnce(ctx context.Context, dir string, n, due int) (time.Duration, error) {
	v, by, cleanup, err := newVault(ctx, dir)
	if err != nil {
		return 0, err
	}
	defer cleanup()
	db, err := store.Open(ctx, filepath.Join(dir, "vigil.db"))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		return 0, err
	}
	defer blobs.Close()
	itemsDir := filepath.Join(dir, "blobs", "objects", "items")
	if err := os.MkdirAll(itemsDir, 0o700); err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	past, future := store.Micros(now.Add(-24*time.Hour)), store.Micros(now.Add(365*24*time.Hour))
	created := store.Micros(now.Add(-90 * 24 * time.Hour))
	start := time.Now()
	salt := make([]byte, 32)
	key := make([]byte, 120)
	rand.Read(key)
	const batch = 20000
	for lo := 0; lo < n; lo += batch {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for i := lo; i < min(lo+batch, n); i++ {
				itemID := id.New("itm")
				rand.Read(salt)
				sum := make([]byte, 32)
				rand.Read(sum)
				retain := future
				if i < due {
					retain = past
					// Written straight into the store's directory: filling is
					// not what is measured, and Put syncs every file.
					if err := os.WriteFile(filepath.Join(itemsDir, itemID), key, 0o600); err != nil {
						return err
					}
				}
				if _, err := tx.Exec(ctx, `INSERT INTO vault_items (id, class, media_type, size, sha256, salt, commitment, blob_key, wrapped_key, metadata,
					uploaded_by, uploader_role, captured_at, retain_until, due_at, created_at) VALUES (?, 'bodycam', 'video/mp4', 1000, ?, ?, ?, ?, ?, ?, ?, 'officer', ?, ?, ?, ?)`,
					itemID, sum, salt, "sha256:"+hex.EncodeToString(sum), "items/"+itemID, key, key, by.ID, created, retain, retain, created); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("fill: %w", err)
		}
	}
	// Blobs long kept are on disk, not only in the page cache: deleting
	// them costs what it costs in production, in both runs alike.
	syscall.Sync()
	fmt.Printf("filled %d items (%d due) in %v\n", n, due, time.Since(start).Round(time.Millisecond))
	v.SetClock(func() time.Time { return now })
	if prof := os.Getenv("VIGIL_BENCH_CPUPROFILE"); prof != "" {
		f, err := os.Create(prof + "-" + filepath.Base(dir))
		if err != nil {
			return 0, err
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	start = time.Now()
	destroyed, err := v.Sweep(ctx)
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if destroyed != due {
		return 0, fmt.Errorf("the sweep destroyed %d items, want %d", destroyed, due)
	}
	var left int
	if err := blobs.List(ctx, "items/", func(blob.Info) error { left++; return nil }); err != nil {
		return 0, err
	}
	if left != 0 {
		return 0, fmt.Errorf("%d blobs of destroyed items are left", left)
	}
	return d, nil
}
