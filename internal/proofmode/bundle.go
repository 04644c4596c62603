package proofmode

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Limits on a bundle, which comes from outside.
const (
	maxEntries       = 1000
	maxEntrySize     = 8 << 30  // one entry, uncompressed
	maxTotalSize     = 32 << 30 // all entries, uncompressed
	maxProofSize     = 1 << 20  // a .proof.json or .proof.csv
	maxSignatureSize = 64 << 10 // an .asc signature
	maxKeySize       = 1 << 20  // pubkey.asc
)

// File names and suffixes used by ProofMode (ProofMode.java).
const (
	pubkeyName     = "pubkey.asc"
	suffixJSON     = ".proof.json"
	suffixCSV      = ".proof.csv"
	suffixSig      = ".asc"
	suffixJSONSig  = suffixJSON + suffixSig
	suffixCSVSig   = suffixCSV + suffixSig
	batchProofName = "batchproof.csv"
)

// extrasSuffixes are ProofMode's files that Check neither checks nor
// reports: notarisations, attestations, certificates, instructions.
var extrasSuffixes = []string{
	".ots", ".gst", ".devicecheck", ".txt", ".cert", ".crt", ".pem",
	".public", ".provider", batchProofName,
}

// mediaExtensions are the extensions of files taken as media even when no
// proof or signature is named after them, like ProofMode's own verifier
// (ProofMode.verifyProofZip takes entries whose MIME type, from the
// extension, is image, video or audio).
var mediaExtensions = map[string]bool{
	".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true,
	".heic": true, ".heif": true, ".avif": true, ".dng": true, ".tif": true,
	".tiff": true, ".bmp": true,
	".mp4": true, ".m4v": true, ".mov": true, ".3gp": true, ".3g2": true,
	".mkv": true, ".webm": true, ".avi": true,
	".mp3": true, ".m4a": true, ".aac": true, ".wav": true, ".ogg": true,
	".oga": true, ".opus": true, ".flac": true, ".amr": true,
}

// bundle is a zip's entries, sorted into what ProofMode puts in a bundle.
type bundle struct {
	src   *recordingReaderAt
	files map[string]*zip.File // by name (the last element of the entry's path)

	// Entries' names, sorted by kind. The maps are keyed by the name
	// without its suffix (a hash in lower case).
	pubkey   string
	media    []string          // in the zip's order
	jsons    map[string]string // .proof.json
	csvs     map[string]string // .proof.csv
	jsonSigs map[string]string // .proof.json.asc
	csvSigs  map[string]string // .proof.csv.asc
	sigs     map[string]string // other .asc
}

// openBundle reads a zip's directory and sorts its entries. It fails with
// ErrNotProofMode when r is not a zip at all, and with ErrInvalid when it
// is a broken zip or breaks a limit.
func openBundle(r io.ReaderAt, size int64) (*bundle, error) {
	if size < 0 {
		return nil, fmt.Errorf("%w: negative size", ErrInvalid)
	}
	src := &recordingReaderAt{r: r}
	zr, err := zip.NewReader(src, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// Insecure paths do not matter here: nothing is written, and
		// entries are known by the last element of their paths.
		isZip := looksLikeZip(src, size)
		switch {
		case src.err != nil:
			return nil, fmt.Errorf("proofmode: reading the bundle: %w", src.err)
		case !isZip:
			return nil, fmt.Errorf("%w: not a zip file", ErrNotProofMode)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(zr.File) > maxEntries {
		return nil, fmt.Errorf("%w: %d entries, more than the %d allowed", ErrInvalid, len(zr.File), maxEntries)
	}
	b := &bundle{
		src:      src,
		files:    map[string]*zip.File{},
		jsons:    map[string]string{},
		csvs:     map[string]string{},
		jsonSigs: map[string]string{},
		csvSigs:  map[string]string{},
		sigs:     map[string]string{},
	}
	var total uint64
	var names []string
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") || f.Mode().IsDir() {
			continue
		}
		name := path.Base(f.Name)
		if name == "." || name == "/" || name == ".." {
			continue
		}
		if f.UncompressedSize64 > maxEntrySize {
			return nil, fmt.Errorf("%w: entry %q declares %d bytes, more than the %d allowed", ErrInvalid, name, f.UncompressedSize64, uint64(maxEntrySize))
		}
		total += f.UncompressedSize64
		if total > maxTotalSize {
			return nil, fmt.Errorf("%w: entries declare more than the %d bytes allowed in all", ErrInvalid, uint64(maxTotalSize))
		}
		if _, dup := b.files[name]; dup {
			return nil, fmt.Errorf("%w: two entries named %q", ErrInvalid, name)
		}
		b.files[name] = f
		names = append(names, name)
	}
	var others []string
	for _, name := range names {
		lower := strings.ToLower(name)
		switch {
		case lower == pubkeyName:
			b.pubkey = name
		case strings.HasSuffix(lower, suffixJSONSig):
			b.jsonSigs[trimKey(name, suffixJSONSig)] = name
		case strings.HasSuffix(lower, suffixCSVSig):
			b.csvSigs[trimKey(name, suffixCSVSig)] = name
		case strings.HasSuffix(lower, suffixJSON):
			b.jsons[trimKey(name, suffixJSON)] = name
		case strings.HasSuffix(lower, suffixCSV):
			b.csvs[trimKey(name, suffixCSV)] = name
		case strings.HasSuffix(lower, suffixSig):
			b.sigs[trimKey(name, suffixSig)] = name
		case isExtra(lower):
		default:
			others = append(others, name)
		}
	}
	for _, name := range others {
		_, signed := b.sigs[name]
		_, json := b.jsons[name]
		_, csv := b.csvs[name]
		if signed || json || csv || mediaExtensions[strings.ToLower(path.Ext(name))] {
			b.media = append(b.media, name)
		}
	}
	return b, nil
}

// trimKey returns name without suffix, and a hash in lower case so that it
// matches however it was written.
func trimKey(name, suffix string) string {
	key := name[:len(name)-len(suffix)]
	if isSHA256(key) {
		return strings.ToLower(key)
	}
	return key
}

func isExtra(lower string) bool {
	for _, s := range extrasSuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

// isMedia reports whether name is one of the bundle's media files.
func (b *bundle) isMedia(name string) bool {
	for _, m := range b.media {
		if m == name {
			return true
		}
	}
	return false
}

// looksLikeZip reports whether r starts as a zip does, so that a broken
// zip is told apart from a file of another kind.
func looksLikeZip(r io.ReaderAt, size int64) bool {
	var magic [4]byte
	if size < int64(len(magic)) {
		return false
	}
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return false
	}
	for _, m := range [][]byte{[]byte("PK\x03\x04"), []byte("PK\x05\x06"), []byte("PK\x07\x08")} {
		if bytes.Equal(magic[:], m) {
			return true
		}
	}
	return false
}

// open returns a reader for an entry that yields exactly the bytes its
// header declares: more (a decompression bomb) or fewer fail with
// ErrInvalid, counted here whatever the zip library does.
func (b *bundle) open(name string) (*sizedReader, error) {
	f := b.files[name]
	rc, err := f.Open()
	if err != nil {
		return nil, b.readError(name, err)
	}
	return &sizedReader{b: b, rc: rc, name: name, declared: f.UncompressedSize64}, nil
}

// readAll reads a small entry, refusing one that declares more than limit
// bytes.
func (b *bundle) readAll(name string, limit uint64) ([]byte, error) {
	f := b.files[name]
	if f.UncompressedSize64 > limit {
		return nil, fmt.Errorf("%w: %q declares %d bytes, more than the %d allowed for it", ErrInvalid, name, f.UncompressedSize64, limit)
	}
	r, err := b.open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// readError classifies an error met reading an entry: a failure of the
// underlying reader is reported as it is, anything else means the zip is
// broken or hostile.
func (b *bundle) readError(name string, err error) error {
	if b.src.err != nil {
		return fmt.Errorf("proofmode: reading %q: %w", name, b.src.err)
	}
	if errors.Is(err, ErrInvalid) {
		return err
	}
	return fmt.Errorf("%w: entry %q: %v", ErrInvalid, name, err)
}

// sizedReader reads an entry, counting its bytes against the size its
// header declares.
type sizedReader struct {
	b        *bundle
	rc       io.ReadCloser
	name     string
	declared uint64
	n        uint64
	err      error // the first error, already classified
}

func (s *sizedReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	// Ask for at most one byte more than is left, which is enough to see
	// an entry that goes on past its declared size.
	if left := s.declared - s.n; uint64(len(p)) > left+1 {
		p = p[:left+1]
	}
	n, err := s.rc.Read(p)
	s.n += uint64(n)
	if s.n > s.declared {
		s.err = fmt.Errorf("%w: entry %q inflates past the %d bytes it declares", ErrInvalid, s.name, s.declared)
		return n - int(s.n-s.declared), s.err
	}
	switch {
	case errors.Is(err, zip.ErrFormat) && s.n == s.declared:
		// archive/zip's own count, a step ahead of this one.
		s.err = fmt.Errorf("%w: entry %q inflates past the %d bytes it declares", ErrInvalid, s.name, s.declared)
		return n, s.err
	case err == io.EOF && s.n < s.declared:
		s.err = fmt.Errorf("%w: entry %q ends after %d of the %d bytes it declares", ErrInvalid, s.name, s.n, s.declared)
		return n, s.err
	case err != nil && err != io.EOF:
		s.err = s.b.readError(s.name, err)
		return n, s.err
	}
	return n, err
}

func (s *sizedReader) Close() error { return s.rc.Close() }

// recordingReaderAt remembers the first error, other than io.EOF, of the
// reader the caller gave, so that a failing disk is not mistaken for a
// broken zip.
type recordingReaderAt struct {
	r   io.ReaderAt
	err error
}

func (r *recordingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		// An offset the zip's own headers got wrong: not the reader's
		// failure, and not to be passed to it.
		return 0, errors.New("negative offset")
	}
	n, err := r.r.ReadAt(p, off)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}
