package bundle

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"
)

// VerifyError is a failed check of a bundle, with a message for people.
type VerifyError struct {
	// File is the file in the bag the failure is about, such as
	// "data/items/itm_x/video.mp4"; empty when it is about the container
	// or the bag as a whole.
	File string
	// Check is what failed: "container" (the ZIP file or the directory),
	// "bagit", "manifest", "signature", "checkpoint", "custody" or "item".
	Check string
	// Msg says what is wrong.
	Msg string
}

// Error says which file failed and why, such as
// "data/items/itm_x/video.mp4: its SHA-256 is 3f… but manifest-sha256.txt says 9a…".
func (e *VerifyError) Error() string {
	if e.File == "" {
		return "bundle: " + e.Msg
	}
	return e.File + ": " + e.Msg
}

func verr(file, check, format string, args ...any) error {
	return &VerifyError{File: file, Check: check, Msg: fmt.Sprintf(format, args...)}
}

// Report is what a successful verification saw.
type Report struct {
	// Origin is the log's name; CheckpointSize the number of entries in
	// the checkpoint the custody events are proven against; RootHash its
	// root.
	Origin         string
	CheckpointSize uint64
	RootHash       []byte
	// Checkpoint is the signed checkpoint note, as the bundle holds it:
	// the log's signature, checked, and any witnesses' cosignatures, not
	// checked here (witness.Policy checks them).
	Checkpoint []byte
	// Events is the number of custody events, each proven in the log.
	Events int
	Items  []ItemReport
	// Info holds the bag-info.txt fields.
	Info map[string]string
	// Summary says all of it in a few lines, for people.
	Summary string
}

// ItemReport is one verified item.
type ItemReport struct {
	Meta ItemMeta
	// File is the content file's path in the bag.
	File string
	// Encrypted says the content is age-encrypted; Checked that its size
	// and SHA-256 were checked (always, unless it is encrypted and no
	// identity was given).
	Encrypted bool
	Checked   bool
	// IngestIndex is the log index of the item's ingest event.
	IngestIndex uint64
}

// Status says in words how far the item's content was checked.
func (r ItemReport) Status() string {
	switch {
	case r.Encrypted && !r.Checked:
		return "encrypted, not checked"
	case r.Encrypted:
		return "decrypted and checked"
	}
	return "checked"
}

// Verify checks a bundle ZIP of the given size, trusting nothing but the
// verifier (the log's public key): that the file is exactly the canonical
// ZIP of its entries; that it is a complete BagIt bag whose manifests match
// every file; that vigil-signature.txt and the checkpoint verify under
// verifier; that every custody event is in the log under the checkpoint;
// and that every item's content is what its ingest event committed to. With
// identities, encrypted content is decrypted and checked too; without, it
// is reported as not checked. progress, if not nil, is called with the
// number of bytes of the file checked so far.
//
// Verify reads each byte of the file once and holds only metadata in
// memory, within fixed limits. A failed check is returned as a
// *VerifyError; other errors are I/O errors reading r.
func Verify(r io.ReaderAt, size int64, verifier note.Verifier, identities []age.Identity, progress func(done int64)) (*Report, error) {
	if size < 0 {
		return nil, verr("", "container", "the file size %d is negative", size)
	}
	entries, err := readDirectory(r, size)
	if err != nil {
		return nil, err
	}
	c := newCollector(identities, size)
	err = checkCanonical(r, size, entries, func(e zipEntry, content io.Reader) error {
		return c.add(e.name, int64(e.size), content)
	}, progress)
	if err != nil {
		return nil, err
	}
	return checkBag(c.files, verifier, len(identities) > 0)
}

// VerifyDir checks an unpacked bundle as Verify checks a ZIP, except for
// the container itself: dir is the bag (the directory that holds bagit.txt)
// or the directory it was unpacked into (holding bundle/bagit.txt). Every
// file in it must be a regular file with a safe name; directories hold no
// meaning. progress, if not nil, is called with the number of bytes read so
// far.
func VerifyDir(dir string, verifier note.Verifier, identities []age.Identity, progress func(done int64)) (*Report, error) {
	root := dir
	if _, err := os.Lstat(filepath.Join(dir, bagitTxt)); errors.Is(err, fs.ErrNotExist) {
		if fi, err := os.Lstat(filepath.Join(dir, strings.TrimSuffix(topDir, "/"), bagitTxt)); err == nil && fi.Mode().IsRegular() {
			root = filepath.Join(dir, strings.TrimSuffix(topDir, "/"))
		}
	}
	var paths []string
	seen := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return verr(rel, "container", "it is a symbolic link or a special file; a bundle holds only regular files")
		case !validPath(rel):
			return verr(rel, "container", "its name is not a safe path a bundle holds")
		case len(paths) >= MaxEntries:
			return verr("", "container", "the directory holds more than %d files", MaxEntries)
		}
		if prev, dup := seen[strings.ToLower(rel)]; dup {
			return verr(rel, "container", "it differs from %s only in case", prev)
		}
		seen[strings.ToLower(rel)] = rel
		paths = append(paths, rel)
		return nil
	})
	if err != nil {
		var ve *VerifyError
		if errors.As(err, &ve) {
			return nil, err
		}
		return nil, fmt.Errorf("bundle: %w", err)
	}
	sortPaths(paths)
	c := newCollector(identities, 256<<10)
	pr := &progressReader{progress: progress}
	for _, p := range paths {
		if err := addFile(c, root, p, pr); err != nil {
			return nil, err
		}
	}
	return checkBag(c.files, verifier, len(identities) > 0)
}

// addFile reads one file of an unpacked bag, which must stay the regular
// file the walk saw, of the same size, while it is read.
func addFile(c *collector, root, p string, pr *progressReader) error {
	full := filepath.Join(root, filepath.FromSlash(p))
	before, err := os.Lstat(full)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	f, err := os.Open(full)
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if !fi.Mode().IsRegular() || !os.SameFile(before, fi) {
		return verr(p, "container", "it changed into something other than a regular file while it was read")
	}
	pr.r = f
	if err := c.add(p, fi.Size(), pr); err != nil {
		return err
	}
	if n, _ := f.Read(make([]byte, 1)); n > 0 {
		return verr(p, "container", "it grew while it was read")
	}
	return nil
}

// progressReader reports the bytes read through it, in all.
type progressReader struct {
	r        io.Reader
	n        int64
	progress func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.progress != nil && n > 0 {
		p.progress(p.n)
	}
	return n, err
}
