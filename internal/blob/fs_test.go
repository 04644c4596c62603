package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/blob/blobtest"
)

func openFS(t *testing.T) blob.Store {
	s, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFS(t *testing.T) { blobtest.Run(t, openFS) }

func newFS(t *testing.T) (*blob.FS, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs")
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// files lists the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type failing struct{ n int }

func (f *failing) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	n := min(len(p), f.n)
	clear(p[:n])
	f.n -= n
	return n, nil
}

func TestFSFailedPutLeavesNoTempFile(t *testing.T) {
	s, dir := newFS(t)
	ctx := context.Background()
	if _, err := s.Put(ctx, "a/b", strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 10, 3 << 20} {
		if _, err := s.Put(ctx, "a/b", &failing{n}); err == nil {
			t.Fatal("Put with a failing reader succeeded")
		}
		if _, err := s.Put(ctx, "c/d", &failing{n}); err == nil {
			t.Fatal("Put with a failing reader succeeded")
		}
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(canceled, "c/d", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put with a canceled context: %v", err)
		}
	}
	if got := files(t, dir); !slices.Equal(got, []string{"objects/a/b"}) {
		t.Errorf("files after failed Puts: %q", got)
	}
}

func TestFSModes(t *testing.T) {
	s, dir := newFS(t)
	if _, err := s.Put(context.Background(), "m/n/o", strings.NewReader("secret")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "objects", "tmp", "objects/m", "objects/m/n", "objects/m/n/o"} {
		info, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		want := fs.FileMode(0o700)
		if !info.IsDir() {
			want = 0o600
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s/%s has mode %v, want %v", dir, p, got, want)
		}
	}
}

func TestFSSymlinkEscape(t *testing.T) {
	s, dir := newFS(t)
	ctx := context.Background()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	objects := filepath.Join(dir, "objects")
	if err := os.Symlink(outside, filepath.Join(objects, "evil")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(objects, "leak")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../"+filepath.Base(outside)+"/secret", filepath.Join(objects, "rel")); err != nil {
		t.Fatal(err)
	}

	if _, err := s.Put(ctx, "evil/planted", strings.NewReader("x")); err == nil {
		t.Error("Put through a symbolic link out of the root succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted")); err == nil {
		t.Error("Put wrote outside the root")
	}
	for _, key := range []string{"evil/secret", "leak", "rel"} {
		if r, err := s.Get(ctx, key); err == nil {
			b, _ := io.ReadAll(r)
			r.Close()
			t.Errorf("Get(%q) through a symbolic link out of the root read %q", key, b)
		}
		if r, err := s.GetRange(ctx, key, 0, -1); err == nil {
			r.Close()
			t.Errorf("GetRange(%q) through a symbolic link out of the root succeeded", key)
		}
		if info, err := s.Stat(ctx, key); err == nil {
			t.Errorf("Stat(%q) through a symbolic link out of the root = %+v", key, info)
		}
	}
	if err := s.Delete(ctx, "evil/secret"); err == nil {
		// Acceptable only if nothing outside was touched.
		t.Log("Delete through a symbolic link out of the root reported success")
	}
	if b, err := os.ReadFile(filepath.Join(outside, "secret")); err != nil || string(b) != "outside" {
		t.Errorf("file outside the root after Delete: %q, %v", b, err)
	}
	var listed []string
	if err := s.List(ctx, "", func(i blob.Info) error { listed = append(listed, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 0 {
		t.Errorf("List followed symbolic links: %q", listed)
	}
}

func TestFSRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	stale, fresh := filepath.Join(dir, "tmp", "stale"), filepath.Join(dir, "tmp", "fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-blob.StaleTemp - time.Second)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	s, err = blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary file (a Put in progress elsewhere?) removed: %v", err)
	}
}

func TestFSDeleteRemovesEmptyDirectories(t *testing.T) {
	s, dir := newFS(t)
	ctx := context.Background()
	for _, k := range []string{"x/y/z", "x/w"} {
		if _, err := s.Put(ctx, k, strings.NewReader(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, "x/y/z"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "objects", "x", "y")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty directory x/y left behind: %v", err)
	}
	if err := s.Delete(ctx, "x/w"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "objects", "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty directory x left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "objects")); err != nil {
		t.Errorf("objects directory removed: %v", err)
	}
}

// A key cannot be both an object and a directory of objects on a
// filesystem: Put refuses, and leaves what is there alone.
func TestFSKeyAndDirectory(t *testing.T) {
	s, _ := newFS(t)
	ctx := context.Background()
	if _, err := s.Put(ctx, "k/v", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "k", strings.NewReader("k")); err == nil {
		t.Error("Put of a key that is a directory succeeded")
	}
	if _, err := s.Put(ctx, "k/v/w", strings.NewReader("w")); err == nil {
		t.Error("Put of a key below an object succeeded")
	}
	r, err := s.Get(ctx, "k/v")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, _ := io.ReadAll(r); !bytes.Equal(b, []byte("v")) {
		t.Errorf("k/v = %q", b)
	}
}

func TestFSString(t *testing.T) {
	s, dir := newFS(t)
	if got := s.String(); got != "file://"+dir {
		t.Errorf("String() = %q", got)
	}
}
