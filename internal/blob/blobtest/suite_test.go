package blobtest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/blob/blobtest"
)

// The suite must catch broken stores. Each kind below breaks one promise of
// blob.Store; TestSuiteCatchesBrokenStores runs the suite on it in a child
// process (a failing subtest cannot be undone in this one) and checks that
// the suite fails, in the subtest that should notice.
var brokenKinds = map[string]string{
	"":               "", // the FS itself: the suite passes
	"nonatomic":      "FailedPut",
	"unsorted":       "List",
	"deletemissing":  "Delete",
	"notfoundplain":  "NotFound",
	"rangeignoresof": "GetRange",
	"shortget":       "RoundTrip",
	"laxkeys":        "InvalidKeys",
}

func TestSuiteCatchesBrokenStores(t *testing.T) {
	if os.Getenv("BLOBTEST_BROKEN") != "" {
		t.Skip("in the child process")
	}
	for kind, fails := range brokenKinds {
		name := kind
		if name == "" {
			name = "none"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenStore$", "-test.count=1")
			cmd.Env = append(os.Environ(), "BLOBTEST_BROKEN="+name)
			out, err := cmd.CombinedOutput()
			if fails == "" {
				if err != nil {
					t.Fatalf("the suite fails on a sound store: %v\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("the suite passed a store that is broken (%s):\n%s", kind, out)
			}
			if !strings.Contains(string(out), "--- FAIL: TestBrokenStore/"+fails+" ") {
				t.Errorf("the suite failed on %s, but not in %s:\n%s", kind, fails, out)
			}
		})
	}
}

// TestBrokenStore runs the suite on the broken store that BLOBTEST_BROKEN
// names, for TestSuiteCatchesBrokenStores.
func TestBrokenStore(t *testing.T) {
	kind := os.Getenv("BLOBTEST_BROKEN")
	if kind == "" {
		t.Skip("run by TestSuiteCatchesBrokenStores")
	}
	blobtest.Run(t, func(t *testing.T) blob.Store {
		fs, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fs.Close() })
		return broken{fs, kind}
	})
}

type broken struct {
	*blob.FS
	kind string
}

func (b broken) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	switch b.kind {
	case "nonatomic":
		// Keeps what it read before the reader failed.
		var buf bytes.Buffer
		_, rerr := io.Copy(&buf, r)
		n, err := b.FS.Put(ctx, key, &buf)
		if rerr != nil {
			return n, rerr
		}
		return n, err
	case "laxkeys":
		if blob.CheckKey(key) != nil {
			return 0, nil
		}
	}
	return b.FS.Put(ctx, key, r)
}

func (b broken) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := b.FS.Get(ctx, key)
	switch {
	case b.kind == "notfoundplain" && errors.Is(err, blob.ErrNotFound):
		return nil, errors.New("no such thing")
	case b.kind == "shortget" && err == nil:
		return struct {
			io.Reader
			io.Closer
		}{io.LimitReader(r, 1<<20), r}, nil
	}
	return r, err
}

func (b broken) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if b.kind == "rangeignoresof" {
		off = 0
	}
	return b.FS.GetRange(ctx, key, off, n)
}

func (b broken) Delete(ctx context.Context, key string) error {
	if b.kind == "deletemissing" {
		if _, err := b.FS.Stat(ctx, key); err != nil {
			return err
		}
	}
	return b.FS.Delete(ctx, key)
}

func (b broken) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if b.kind != "unsorted" {
		return b.FS.List(ctx, prefix, fn)
	}
	var all []blob.Info
	if err := b.FS.List(ctx, prefix, func(i blob.Info) error { all = append(all, i); return nil }); err != nil {
		return err
	}
	slices.Reverse(all)
	for _, i := range all {
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}
