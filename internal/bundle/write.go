package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/ledger"
)

// Write writes b to w as a bundle ZIP, signing it with signer, the log's
// key (the key that signed b.Checkpoint). With recipients, each item's
// content is encrypted with age to all of them; without, it is written as
// is. progress, if not nil, is called with the number of bytes written to w
// so far.
//
// Write refuses, with an error wrapping ErrInvalid and before writing
// anything, a bundle whose events are not all proven against b.Checkpoint,
// whose checkpoint is not the signer's log's, or an item without its
// item.ingested event (facts "item" = its ID and "content" = its
// Commitment) among b.Events. It reads each item's content twice (once to
// hash it, once to write it) and fails if it does not match the item's
// Size and SHA256. Encrypted content goes through a temporary file, since
// the ZIP header before the content holds the CRC-32 of the ciphertext.
// After an error, what was written to w is not a valid bundle.
func Write(w io.Writer, b Bundle, signer note.Signer, recipients []age.Recipient, progress func(done int64)) error {
	p, err := plan(b, signer, len(recipients) > 0)
	if err != nil {
		return err
	}
	cw := &countWriter{w: w, progress: progress}
	zw := &zipWriter{w: cw}
	sums := map[string][32]byte{}
	var octets int64
	for _, f := range p.files {
		var sum [32]byte
		var size int64
		if f.item != nil {
			sum, size, err = writeContent(zw, f.path, f.item, recipients)
		} else {
			sum, size, err = writeFile(zw, f.path, f.data)
		}
		if err != nil {
			return err
		}
		sums[f.path] = sum
		octets += size
	}

	// The tag files, from what was written.
	info := append([]infoField{
		{"Bag-Software-Agent", "vigil"},
		{"Bagging-Date", p.date},
		{"Payload-Oxum", fmt.Sprintf("%d.%d", octets, len(sums))},
		{"Vigil-Checkpoint-Size", strconv.FormatUint(p.cp.Size, 10)},
		{"Vigil-Log-Origin", p.cp.Origin},
	}, p.info...)
	tags := map[string][]byte{
		bagitTxt:    []byte(bagitContent),
		bagInfoTxt:  bagInfoText(info),
		manifestTxt: manifestText(sums),
	}
	tagSums := map[string][32]byte{}
	for name, data := range tags {
		tagSums[name] = sha256.Sum256(data)
	}
	tags[tagManifestTxt] = manifestText(tagSums)
	sig, err := note.Sign(&note.Note{Text: signatureText(sha256.Sum256(tags[tagManifestTxt]))}, signer)
	if err != nil {
		return fmt.Errorf("bundle: sign: %w", err)
	}
	tags[signatureTxt] = sig
	names := make([]string, 0, len(tags))
	for name := range tags {
		names = append(names, name)
	}
	sortPaths(names)
	for _, name := range names {
		if _, _, err := writeFile(zw, name, tags[name]); err != nil {
			return err
		}
	}
	if err := zw.close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

// plannedFile is a payload file: bytes in memory, or an item's content.
type plannedFile struct {
	path string
	data []byte
	item *Item
}

type writePlan struct {
	cp    *f_log.Checkpoint
	date  string
	info  []infoField
	files []plannedFile // payload files in canonical order
}

// plan checks everything about b that does not need the items' content and
// lays out its payload files.
func plan(b Bundle, signer note.Signer, encrypt bool) (*writePlan, error) {
	p := &writePlan{date: time.Now().UTC().Format(time.DateOnly)}
	cp, err := checkpointFor(b.Checkpoint, signer)
	if err != nil {
		return nil, err
	}
	p.cp = cp
	add := func(path string, data []byte, it *Item) {
		p.files = append(p.files, plannedFile{path: path, data: data, item: it})
	}
	add(checkpointFile, []byte(b.Checkpoint), nil)

	// Custody events.
	entries := map[uint64]ledger.Entry{}
	raw := map[uint64][]byte{}
	for _, ev := range b.Events {
		if ev.Checkpoint != b.Checkpoint {
			return nil, invalid("the event at log index %d is proven against another checkpoint than the bundle's: prove every event against the same checkpoint", ev.Index)
		}
		if ev.TreeSize != cp.Size || ev.Index >= cp.Size {
			return nil, invalid("the event at log index %d is proven for a tree of %d entries, but the checkpoint has %d", ev.Index, ev.TreeSize, cp.Size)
		}
		if prev, dup := raw[ev.Index]; dup {
			if !bytes.Equal(prev, ev.Entry) {
				return nil, invalid("two different events claim log index %d", ev.Index)
			}
			continue
		}
		en, err := ledger.ParseEntry(ev.Entry)
		if err != nil {
			return nil, invalid("the event at log index %d: %v", ev.Index, err)
		}
		leaf := rfc6962.DefaultHasher.HashLeaf(ev.Entry)
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, ev.Index, cp.Size, leaf, ev.Inclusion, cp.Hash); err != nil {
			return nil, invalid("the inclusion proof of the event at log index %d does not verify against the checkpoint: %v", ev.Index, err)
		}
		pf, err := marshalJSON(proofFile{Index: ev.Index, TreeSize: cp.Size, LeafHash: leaf, Inclusion: nonNil(ev.Inclusion)})
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		entries[ev.Index], raw[ev.Index] = en, ev.Entry
		name := custodyDir + strconv.FormatUint(ev.Index, 10)
		add(name+entrySuffix, ev.Entry, nil)
		add(name+proofSuffix, pf, nil)
	}

	// Items.
	ids := map[string]bool{}
	commits := map[string]string{}
	for i := range b.Items {
		it := &b.Items[i]
		m := it.Meta
		m.Filename = m.contentName()
		m.CapturedAt, m.RetainUntil = m.CapturedAt.UTC(), m.RetainUntil.UTC()
		if err := m.check(); err != nil {
			return nil, invalid("%v", err)
		}
		if ids[strings.ToLower(m.ID)] {
			return nil, invalid("item %s is in the bundle twice", m.ID)
		}
		if it.Open == nil {
			return nil, invalid("item %s has no content (Open is nil)", m.ID)
		}
		ids[strings.ToLower(m.ID)] = true
		commits[m.ID] = m.Commitment
		if _, err := findIngest(entries, m); err != nil {
			return nil, invalid("item %s: %v", m.ID, err)
		}
		meta, err := marshalJSON(m)
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		dir := itemsDir + m.ID + "/"
		content := dir + m.Filename
		if encrypt {
			content += ageSuffix
		}
		if !validPath(content) {
			return nil, invalid("item %s: the path %s is too long", m.ID, content)
		}
		add(dir+itemJSON, meta, nil)
		add(content, nil, &Item{Meta: m, Open: it.Open})
	}
	for _, it := range b.Items {
		m := it.Meta
		if c, ok := commits[m.ParentID]; ok && m.ParentCommitment != "" && c != m.ParentCommitment {
			return nil, invalid("item %s: its parent commitment %s is not its parent %s's commitment %s", m.ID, m.ParentCommitment, m.ParentID, c)
		}
	}
	if len(p.files) > MaxEntries-5 {
		return nil, invalid("the bundle would hold %d files, more than %d", len(p.files)+5, MaxEntries)
	}
	sort.Slice(p.files, func(i, j int) bool { return pathLess(p.files[i].path, p.files[j].path) })

	// Extra bag-info.txt fields.
	keys := make([]string, 0, len(b.Info))
	for k := range b.Info {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := b.Info[k]
		if !infoLabel.MatchString(k) {
			return nil, invalid("bag-info field %q: a label is a letter, then letters and '-'", k)
		}
		for _, r := range reservedInfo {
			if strings.EqualFold(k, r) {
				return nil, invalid("bag-info field %q is set by Vigil", k)
			}
		}
		if err := checkInfoValue(v); err != nil {
			return nil, invalid("bag-info field %s: %v", k, err)
		}
		if strings.EqualFold(k, "Bagging-Date") {
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return nil, invalid("bag-info field Bagging-Date %q is not YYYY-MM-DD", v)
			}
			p.date = v
			continue
		}
		p.info = append(p.info, infoField{k, v})
	}
	return p, nil
}

// checkpointFor parses the checkpoint note without a verifier (Write has
// only the signer) and checks that the signer's key signed it.
func checkpointFor(raw string, signer note.Signer) (*f_log.Checkpoint, error) {
	_, err := note.Open([]byte(raw), note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return nil, invalid("the checkpoint is not a signed note: %v", err)
	}
	signed := false
	for _, s := range unverified.Note.UnverifiedSigs {
		signed = signed || (s.Name == signer.Name() && s.Hash == signer.KeyHash())
	}
	if !signed {
		return nil, invalid("the checkpoint is not signed by the bundle's key %q: sign the bundle with the log's key", signer.Name())
	}
	var cp f_log.Checkpoint
	if _, err := cp.Unmarshal([]byte(unverified.Note.Text)); err != nil {
		return nil, invalid("the checkpoint: %v", err)
	}
	if cp.Origin != signer.Name() {
		return nil, invalid("the checkpoint is of log %q, but the key is %q's", cp.Origin, signer.Name())
	}
	if len(cp.Hash) != sha256.Size {
		return nil, invalid("the checkpoint's root hash has %d bytes, not %d", len(cp.Hash), sha256.Size)
	}
	return &cp, nil
}

func nonNil(h [][]byte) [][]byte {
	if h == nil {
		return [][]byte{}
	}
	return h
}

// writeFile writes one file held in memory.
func writeFile(zw *zipWriter, path string, data []byte) ([32]byte, int64, error) {
	fw, err := zw.create(path, crc32.ChecksumIEEE(data), uint64(len(data)))
	if err != nil {
		return [32]byte{}, 0, fmt.Errorf("bundle: %w", err)
	}
	if _, err := fw.Write(data); err != nil {
		return [32]byte{}, 0, fmt.Errorf("bundle: %w", err)
	}
	return sha256.Sum256(data), int64(len(data)), nil
}

// writeContent writes an item's content, encrypted if there are
// recipients, and returns the SHA-256 and size of what it wrote.
func writeContent(zw *zipWriter, path string, it *Item, recipients []age.Recipient) ([32]byte, int64, error) {
	m := it.Meta
	var src io.Reader
	var size int64
	var crc uint32
	var stored [32]byte
	if len(recipients) == 0 {
		// First pass: the CRC-32 for the header; the content must be
		// what the metadata says.
		s, err := readItem(it, nil, nil)
		if err != nil {
			return stored, 0, err
		}
		size, crc, stored = m.Size, s.crc, s.sha
		rc, err := it.Open()
		if err != nil {
			return stored, 0, fmt.Errorf("bundle: item %s: open: %w", m.ID, err)
		}
		defer rc.Close()
		src = rc
	} else {
		tmp, err := os.CreateTemp("", "vigil-bundle-*.age")
		if err != nil {
			return stored, 0, fmt.Errorf("bundle: %w", err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		s, err := readItem(it, recipients, tmp)
		if err != nil {
			return stored, 0, err
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return stored, 0, fmt.Errorf("bundle: %w", err)
		}
		size, crc, stored = s.outSize, s.crc, s.outSHA
		src = tmp
	}
	fw, err := zw.create(path, crc, uint64(size))
	if err != nil {
		return stored, 0, fmt.Errorf("bundle: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(fw, h), io.LimitReader(src, size+1))
	if err != nil {
		return stored, 0, fmt.Errorf("bundle: item %s: %w", m.ID, err)
	}
	if n != size || !bytes.Equal(h.Sum(nil), stored[:]) {
		return stored, 0, fmt.Errorf("bundle: item %s: its content changed while the bundle was being written", m.ID)
	}
	return stored, size, nil
}

// itemSums is what a pass over an item's content learnt.
type itemSums struct {
	crc     uint32   // of what is stored (plaintext or ciphertext)
	sha     [32]byte // of the plaintext
	outSHA  [32]byte // of the ciphertext
	outSize int64
}

// readItem reads an item's content once, checking it against its metadata.
// With recipients, it also encrypts it to them into out and hashes the
// ciphertext.
func readItem(it *Item, recipients []age.Recipient, out io.Writer) (itemSums, error) {
	var s itemSums
	m := it.Meta
	rc, err := it.Open()
	if err != nil {
		return s, fmt.Errorf("bundle: item %s: open: %w", m.ID, err)
	}
	defer rc.Close()
	plain := sha256.New()
	crc := crc32.NewIEEE()
	var dst io.Writer = io.MultiWriter(plain, crc)
	var enc io.WriteCloser
	outSHA := sha256.New()
	outCount := &countWriter{w: io.Discard}
	if len(recipients) > 0 {
		if enc, err = age.Encrypt(io.MultiWriter(out, crc, outSHA, outCount), recipients...); err != nil {
			return s, fmt.Errorf("bundle: item %s: encrypt: %w", m.ID, err)
		}
		dst = io.MultiWriter(plain, enc)
	}
	n, err := io.Copy(dst, io.LimitReader(rc, m.Size+1))
	if err != nil {
		return s, fmt.Errorf("bundle: item %s: read: %w", m.ID, err)
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return s, fmt.Errorf("bundle: item %s: encrypt: %w", m.ID, err)
		}
	}
	if n != m.Size {
		return s, invalid("item %s: its content is %s bytes, but its metadata says %d", m.ID, countString(n, m.Size), m.Size)
	}
	if got := hex.EncodeToString(plain.Sum(nil)); got != m.SHA256 {
		return s, invalid("item %s: its content's SHA-256 is %s, but its metadata says %s", m.ID, got, m.SHA256)
	}
	s.crc = crc.Sum32()
	copy(s.sha[:], plain.Sum(nil))
	copy(s.outSHA[:], outSHA.Sum(nil))
	s.outSize = outCount.n
	return s, nil
}

func countString(n, limit int64) string {
	if n > limit {
		return "more than " + strconv.FormatInt(limit, 10)
	}
	return strconv.FormatInt(n, 10)
}

// countWriter counts what it writes and reports progress.
type countWriter struct {
	w        io.Writer
	n        int64
	progress func(int64)
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(c.n)
	}
	return n, err
}
