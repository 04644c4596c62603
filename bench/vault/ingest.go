package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"sync"
	"syscall"
	"time"

	crand "crypto/rand"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/vault"
)

// file is one file of the set.
type file struct {
	path      string
	size      int64
	mediaType string
}

// generate writes the set, unless it is there already: videos with an MP4
// header and photos with a JPEG header, the rest random (incompressible,
// as recordings are).
func generate(dir string, o options) ([]file, int64, error) {
	var files []file
	add := func(name, mediaType string, size int64, head []byte) error {
		p := filepath.Join(dir, name)
		files = append(files, file{p, size, mediaType})
		if fi, err := os.Stat(p); err == nil && fi.Size() == size {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		seed := [32]byte{}
		copy(seed[:], name)
		r := mrand.NewChaCha8(seed)
		if _, err := f.Write(head); err != nil {
			f.Close()
			return err
		}
		if _, err := io.CopyN(f, r, size-int64(len(head))); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	mp4 := []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
	jpeg := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")
	for i := range o.videos {
		if err := add(fmt.Sprintf("videos/video-%02d.mp4", i), "video/mp4", int64(o.videoMB)*1e6, mp4); err != nil {
			return nil, 0, err
		}
	}
	for i := range o.photos {
		if err := add(fmt.Sprintf("photos/%03d/photo-%05d.jpg", i/500, i), "image/jpeg", int64(o.photoKB)*1e3, jpeg); err != nil {
			return nil, 0, err
		}
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	return files, total, nil
}

// warm reads every file, so that each tool starts with them in the page
// cache.
//
// It first writes back what earlier runs left dirty (the generated set,
// restic's repository), so that no run pays for another's writes.
func warm(files []file) error {
	syscall.Sync()
	for _, f := range files {
		fh, err := os.Open(f.path)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, fh)
		fh.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func benchIngest(ctx context.Context, dir string, o options) error {
	set := filepath.Join(dir, "set")
	files, total, err := generate(set, o)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	fmt.Printf("set: %d videos of %d MB and %d photos of %d kB: %.0f MB in %d files\n\n", o.videos, o.videoMB, o.photos, o.photoKB, float64(total)/1e6, len(files))
	results := map[string]time.Duration{}

	// sha256sum: the floor.
	if err := warm(files); err != nil {
		return err
	}
	d, err := timeSHA256sum(ctx, files)
	if err != nil {
		return fmt.Errorf("sha256sum: %w", err)
	}
	results["sha256sum"] = d
	fmt.Printf("%-10s %8.1f MB/s  (%v)\n", "sha256sum", mbps(total, d), d.Round(time.Millisecond))

	// restic backup.
	if _, err := exec.LookPath("restic"); err != nil || o.skipTool["restic"] {
		fmt.Printf("%-10s skipped: not installed (apt-get install restic)\n", "restic")
	} else {
		if err := warm(files); err != nil {
			return err
		}
		d, err := timeRestic(ctx, filepath.Join(dir, "restic"), set)
		if err != nil {
			return fmt.Errorf("restic: %w", err)
		}
		results["restic"] = d
		fmt.Printf("%-10s %8.1f MB/s  (%v)\n", "restic", mbps(total, d), d.Round(time.Millisecond))
	}

	// Vigil.
	if err := warm(files); err != nil {
		return err
	}
	d, err = timeVigil(ctx, filepath.Join(dir, "vigil"), files, o.workers)
	if err != nil {
		return fmt.Errorf("vigil: %w", err)
	}
	results["vigil"] = d
	fmt.Printf("%-10s %8.1f MB/s  (%v, %d at once)\n\n", "vigil", mbps(total, d), d.Round(time.Millisecond), o.workers)

	vigil := mbps(total, results["vigil"])
	fmt.Printf("ratio vigil / sha256sum: %.2f (aim >= 0.6)\n", vigil/mbps(total, results["sha256sum"]))
	if r, ok := results["restic"]; ok {
		fmt.Printf("ratio vigil / restic:    %.2f (aim >= 2)\n", vigil/mbps(total, r))
	}
	return nil
}

func timeSHA256sum(ctx context.Context, files []file) (time.Duration, error) {
	start := time.Now()
	for i := 0; i < len(files); i += 500 {
		args := []string{}
		for _, f := range files[i:min(i+500, len(files))] {
			args = append(args, f.path)
		}
		cmd := exec.CommandContext(ctx, "sha256sum", args...)
		cmd.Stdout = io.Discard
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return 0, fmt.Errorf("%w: %s", err, stderr.String())
		}
	}
	return time.Since(start), nil
}

func timeRestic(ctx context.Context, repo, set string) (time.Duration, error) {
	env := append(os.Environ(), "RESTIC_PASSWORD=bench", "RESTIC_REPOSITORY="+repo, "RESTIC_CACHE_DIR="+repo+"-cache")
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "restic", args...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("restic %s: %w: %s", args[0], err, out.String())
		}
		return nil
	}
	if err := run("init"); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := run("backup", "--quiet", set); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// timeVigil ingests every file into a new vault: SQLite and the
// filesystem blob store, as `vigil serve` runs by default.
func timeVigil(ctx context.Context, dir string, files []file, workers int) (time.Duration, error) {
	v, by, cleanup, err := newVault(ctx, dir)
	if err != nil {
		return 0, err
	}
	defer cleanup()
	// Biggest first, so that the workers finish together.
	sorted := append([]file(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].size > sorted[j].size })
	work := make(chan file)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	if prof := os.Getenv("VIGIL_BENCH_CPUPROFILE"); prof != "" {
		f, err := os.Create(prof + "-ingest")
		if err != nil {
			return 0, err
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				fh, err := os.Open(f.path)
				if err == nil {
					_, _, err = v.Ingest(ctx, by, vault.NewItem{Class: "bodycam", MediaType: f.mediaType, Purpose: "Benchmark ingest",
						Capture: vault.Capture{Filename: filepath.Base(f.path)}}, fh)
					fh.Close()
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", f.path, err))
					mu.Unlock()
				}
			}
		}()
	}
	for _, f := range sorted {
		work <- f
	}
	close(work)
	wg.Wait()
	d := time.Since(start)
	return d, errors.Join(errs...)
}

// newVault opens a vault in dir with an officer account to ingest as.
func newVault(ctx context.Context, dir string) (*vault.Vault, auth.Account, func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, auth.Account{}, nil, err
	}
	db, err := store.Open(ctx, filepath.Join(dir, "vigil.db"))
	if err != nil {
		return nil, auth.Account{}, nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, auth.Account{}, nil, err
	}
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		db.Close()
		return nil, auth.Account{}, nil, err
	}
	cleanup := func() { blobs.Close(); db.Close() }
	kek, err := vault.LocalKEK(filepath.Join(dir, "keys"))
	if err != nil {
		cleanup()
		return nil, auth.Account{}, nil, err
	}
	skey, _, err := note.GenerateKey(crand.Reader, "bench.invalid/vault")
	if err != nil {
		cleanup()
		return nil, auth.Account{}, nil, err
	}
	signer, _ := note.NewSigner(skey)
	outbox := ledger.NewOutbox()
	cheap := auth.Params{Memory: 1024, Time: 1, Threads: 1}
	v, err := vault.New(db, outbox, vault.Config{Blobs: blobs, KEK: kek, Signer: signer, PINParams: cheap})
	if err != nil {
		cleanup()
		return nil, auth.Account{}, nil, err
	}
	as := auth.New(db, outbox, auth.Config{Params: cheap})
	by, _, err := as.Create(ctx, ledger.System, auth.NewAccount{Username: "officer", Role: auth.Officer})
	if err != nil {
		cleanup()
		return nil, auth.Account{}, nil, err
	}
	return v, by, cleanup, nil
}
