package blob

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FS is a Store in a directory of the local filesystem. Its layout:
//
//	DIR/objects/KEY   one file per object, the key's segments as directories
//	DIR/tmp/          objects being written
//
// Files are created with mode 0600 and directories with 0700. Put writes
// into a new file under tmp, syncs it, renames it over objects/KEY (an atomic
// replacement on POSIX filesystems) and syncs the directory, so that an
// object, once Put returns, survives a crash, and a crash during Put leaves
// at most a file in tmp. NewFS deletes files in tmp older than StaleTemp:
// leftovers of a crash. (A second process sharing the directory whose Put
// has been stalled for that long loses that Put, which fails; nothing else.)
// Delete removes directories it leaves empty.
//
// All access goes through an os.Root: a symbolic link that leads out of
// DIR makes the operation fail. List does not follow symbolic links at all.
type FS struct {
	dir  string
	root *os.Root
}

var _ Store = (*FS)(nil)

// StaleTemp is how old a file in an FS's tmp directory must be for NewFS
// to take it for a crash's leftover and delete it.
const StaleTemp = time.Minute

const (
	fsObjects = "objects"
	fsTmp     = "tmp"
	fileMode  = 0o600
	dirMode   = 0o700
)

// NewFS opens the store in directory dir, creating it (and its parents) if
// needed, and deletes temporary files left by a crash. Close releases it.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blob: fs: no directory given")
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("blob: fs: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: fs: %w", err)
	}
	s := &FS{dir: dir, root: root}
	for _, d := range []string{fsObjects, fsTmp} {
		if err := root.Mkdir(d, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
			root.Close()
			return nil, fmt.Errorf("blob: fs: %w", err)
		}
	}
	if err := s.removeStaleTemp(time.Now().Add(-StaleTemp)); err != nil {
		root.Close()
		return nil, fmt.Errorf("blob: fs: cleaning %s: %w", fsTmp, err)
	}
	return s, nil
}

// Close releases the directory. The FS must not be used afterwards.
func (s *FS) Close() error { return s.root.Close() }

// String describes the store for logs: a file:// URL.
func (s *FS) String() string { return "file://" + s.dir }

func (s *FS) removeStaleTemp(before time.Time) error {
	entries, err := s.readDir(fsTmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if info.ModTime().Before(before) {
			if err := s.root.Remove(path.Join(fsTmp, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

func (s *FS) readDir(name string) ([]fs.DirEntry, error) {
	d, err := s.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadDir(-1)
}

// Put implements Putter.
func (s *FS) Put(ctx context.Context, key string, r io.Reader) (n int64, err error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("blob: fs: put %q: %w", key, err)
		}
	}()
	tmp, f, err := s.createTemp()
	if err != nil {
		return 0, err
	}
	renamed := false
	defer func() {
		if f != nil {
			f.Close()
		}
		if !renamed {
			s.root.Remove(tmp)
		}
	}()
	n, err = io.Copy(f, ctxReader{ctx, r})
	if err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	err = f.Close()
	f = nil
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	name := path.Join(fsObjects, key)
	dir := path.Dir(name)
	// Delete removes directories it empties, so a directory made here can
	// vanish before the rename: make it again and retry.
	for attempt := 0; ; attempt++ {
		created, err := s.mkdirs(dir)
		if err != nil {
			return 0, err
		}
		err = s.root.Rename(tmp, name)
		if errors.Is(err, fs.ErrNotExist) && attempt < 10 {
			continue
		}
		if err != nil {
			return 0, err
		}
		renamed = true
		for _, d := range append(created, dir) {
			if err := s.syncDir(d); err != nil {
				return 0, err
			}
		}
		return n, nil
	}
}

// createTemp creates a new, empty file in the tmp directory.
func (s *FS) createTemp() (string, *os.File, error) {
	for {
		var b [12]byte
		rand.Read(b[:])
		name := path.Join(fsTmp, hex.EncodeToString(b[:]))
		f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
}

// mkdirs makes dir and any missing parents, and returns the parents of
// those it made, whose entries must be synced.
func (s *FS) mkdirs(dir string) ([]string, error) {
	if _, err := s.root.Stat(dir); err == nil {
		return nil, nil
	}
	var created []string
	for i := len(fsObjects) + 1; i <= len(dir); i++ {
		if i < len(dir) && dir[i] != '/' {
			continue
		}
		err := s.root.Mkdir(dir[:i], dirMode)
		switch {
		case err == nil:
			created = append(created, path.Dir(dir[:i]))
		case errors.Is(err, fs.ErrExist):
		default:
			return nil, err
		}
	}
	return created, nil
}

func (s *FS) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// open opens the object's file for reading, or fails with ErrNotFound.
func (s *FS) open(key string) (*os.File, fs.FileInfo, error) {
	if err := CheckKey(key); err != nil {
		return nil, nil, err
	}
	f, err := s.root.Open(path.Join(fsObjects, key))
	if err != nil {
		return nil, nil, notFound(key, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("blob: fs: %q: %w", key, err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("blob: fs: %q: %w", key, ErrNotFound)
	}
	return f, info, nil
}

// notFound wraps err, adding ErrNotFound when the file or one of its
// directories does not exist (ENOTDIR: a key below an object's key).
func notFound(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("blob: fs: %q: %w", key, ErrNotFound)
	}
	return fmt.Errorf("blob: fs: %q: %w", key, err)
}

// Get implements Getter.
func (s *FS) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	f, _, err := s.open(key)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// GetRange implements Getter.
func (s *FS) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if off < 0 {
		return nil, fmt.Errorf("blob: fs: %q: negative offset %d", key, off)
	}
	f, info, err := s.open(key)
	if err != nil {
		return nil, err
	}
	size := info.Size()
	if off >= size || n == 0 {
		f.Close()
		return emptyReader(), nil
	}
	if n < 0 || n > size-off {
		n = size - off
	}
	return &sectionCloser{io.NewSectionReader(f, off, n), f}, nil
}

type sectionCloser struct {
	*io.SectionReader
	f *os.File
}

func (s *sectionCloser) Close() error { return s.f.Close() }

// Stat implements Statter.
func (s *FS) Stat(ctx context.Context, key string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	info, err := s.root.Stat(path.Join(fsObjects, key))
	if err != nil {
		return Info{}, notFound(key, err)
	}
	if !info.Mode().IsRegular() {
		return Info{}, fmt.Errorf("blob: fs: %q: %w", key, ErrNotFound)
	}
	return Info{Key: key, Size: info.Size(), Modified: info.ModTime()}, nil
}

// Delete implements Deleter. It also removes the directories it leaves
// empty.
func (s *FS) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	name := path.Join(fsObjects, key)
	info, err := s.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: fs: delete %q: %w", key, err)
	}
	if info.IsDir() {
		// A directory of other keys, not an object: nothing to delete.
		return nil
	}
	if err := s.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: fs: delete %q: %w", key, err)
	}
	dir := path.Dir(name)
	if err := s.syncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: fs: delete %q: %w", key, err)
	}
	// Remove directories left empty; stop at the first that is not.
	for dir != fsObjects {
		if s.root.Remove(dir) != nil {
			break
		}
		dir = path.Dir(dir)
	}
	return nil
}

// DeleteAll implements Deleter. It opens each directory once and removes
// its files by name, then syncs each directory it removed files from once,
// then removes the directories it left empty.
func (s *FS) DeleteAll(ctx context.Context, keys []string) error {
	var errs []error
	byDir := map[string][]string{}
	for _, key := range keys {
		if err := CheckKey(key); err != nil {
			errs = append(errs, err)
			continue
		}
		name := path.Join(fsObjects, key)
		byDir[path.Dir(name)] = append(byDir[path.Dir(name)], path.Base(name))
	}
	sorted := make([]string, 0, len(byDir))
	for d := range byDir {
		sorted = append(sorted, d)
	}
	slices.Sort(sorted)
	for _, dir := range sorted {
		if err := s.deleteIn(ctx, dir, byDir[dir]); err != nil {
			errs = append(errs, err)
		}
	}
	// Deepest first, so that a parent is tried after its children.
	for i := len(sorted) - 1; i >= 0; i-- {
		for dir := sorted[i]; dir != fsObjects; dir = path.Dir(dir) {
			if s.root.Remove(dir) != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// deleteWorkers is how many files deleteIn removes at once. Removing a
// file waits on the disk more than on the processor (on a disk mounted
// with discard, a few hundred microseconds each); several at once take
// about a third of the time one at a time does.
const deleteWorkers = 16

// deleteIn removes the named files of one directory, and syncs it.
func (s *FS) deleteIn(ctx context.Context, dir string, names []string) error {
	d, err := s.root.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: fs: delete in %q: %w", dir, err)
	}
	defer d.Close()
	workers := min(deleteWorkers, len(names))
	errs := make([][]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(names); i += workers {
				if err := ctx.Err(); err != nil {
					errs[w] = append(errs[w], err)
					return
				}
				err := d.Remove(names[i])
				if err == nil || errors.Is(err, fs.ErrNotExist) {
					continue
				}
				// A directory of other keys is not an object: nothing to delete.
				if info, serr := d.Lstat(names[i]); serr == nil && info.IsDir() {
					continue
				}
				errs[w] = append(errs[w], fmt.Errorf("blob: fs: delete %q: %w", path.Join(dir, names[i]), err))
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(errs...)
	if err := s.syncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		all = append(all, fmt.Errorf("blob: fs: delete: sync %q: %w", dir, err))
	}
	return errors.Join(all...)
}

// List implements Lister.
//
// Keys are reported in byte order without gathering them first: in each
// directory, entries are visited in the order of their names, a directory's
// name counting as if followed by '/', which is the order of the keys
// beneath them.
func (s *FS) List(ctx context.Context, prefix string, fn func(Info) error) error {
	err := s.list(ctx, "", prefix, fn)
	if stop, ok := err.(fnError); ok {
		return stop.err
	}
	if err != nil {
		return fmt.Errorf("blob: fs: list %q: %w", prefix, err)
	}
	return nil
}

// fnError carries the error from List's fn, to be returned as it is.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// list walks the directory for keys starting with dirKey (empty or ending
// in '/').
func (s *FS) list(ctx context.Context, dirKey, prefix string, fn func(Info) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := s.readDir(path.Join(fsObjects, dirKey))
	if errors.Is(err, fs.ErrNotExist) && dirKey != "" {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	type entry struct {
		key string // the key, or for a directory the key prefix ending in '/'
		dir bool
	}
	var list []entry
	for _, e := range entries {
		switch {
		case e.Type().IsDir():
			k := dirKey + e.Name() + "/"
			if strings.HasPrefix(k, prefix) || strings.HasPrefix(prefix, k) {
				list = append(list, entry{k, true})
			}
		case e.Type().IsRegular():
			k := dirKey + e.Name()
			if strings.HasPrefix(k, prefix) && CheckKey(k) == nil {
				list = append(list, entry{k, false})
			}
		}
		// Anything else (symbolic links, devices) is not an object.
	}
	slices.SortFunc(list, func(a, b entry) int { return cmp.Compare(a.key, b.key) })
	for _, e := range list {
		if e.dir {
			if err := s.list(ctx, e.key, prefix, fn); err != nil {
				return err
			}
			continue
		}
		info, err := s.root.Lstat(path.Join(fsObjects, e.key))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return err
		}
		if err := fn(Info{Key: e.key, Size: info.Size(), Modified: info.ModTime()}); err != nil {
			return fnError{err}
		}
	}
	return nil
}
