package bundle

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/ledger"
)

// This file builds real log material for the tests: a note key, log
// entries, a Merkle tree, a signed checkpoint and inclusion proofs.

const testOrigin = "vigil.example/test-log"

// testKeys makes a note key pair from a seed, so that bundles written in
// tests are the same bytes on every run.
func testKeys(t testing.TB, name, seed string) (note.Signer, note.Verifier) {
	t.Helper()
	rnd := sha256.Sum256([]byte(seed))
	skey, vkey, err := note.GenerateKey(bytes.NewReader(rnd[:]), name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// fixture is a bundle of three items, one a segment of another, with real
// custody events in a real log.
type fixture struct {
	signer   note.Signer
	verifier note.Verifier
	bundle   Bundle
	// tree holds every entry of the log, some of them not in the bundle.
	tree    *testonly.Tree
	entries [][]byte
}

// testItem makes an item with deterministic content and salt.
func testItem(id, class, media, filename string, content []byte) Item {
	salt := sha256.Sum256([]byte("salt " + id))
	sum := sha256.Sum256(content)
	m := ItemMeta{
		ID: id, Class: class, MediaType: media, Filename: filename,
		Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), Salt: hex.EncodeToString(salt[:16]),
		CapturedAt:  time.Date(2026, 2, 27, 14, 3, 0, 0, time.UTC),
		RetainUntil: time.Date(2036, 2, 27, 0, 0, 0, 0, time.UTC),
	}
	m.Commitment = "sha256:" + ledger.Commitment("item_content", salt[:16], m.SHA256)
	return Item{Meta: m, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil }}
}

func pattern(seed string, n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		s := sha256.Sum256([]byte(fmt.Sprintf("%s %d", seed, i)))
		b.Write(s[:])
	}
	return b.Bytes()[:n]
}

func entry(t testing.TB, seq int64, typ string, facts map[string]any) []byte {
	t.Helper()
	en := ledger.Entry{V: ledger.EntryVersion, Seq: seq, Type: typ, Time: fmt.Sprintf("2026-03-01T10:00:%02d.000Z", seq), Role: "analyst", Facts: facts}
	b, err := en.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.ParseEntry(b); err != nil {
		t.Fatalf("test entry does not parse: %v", err)
	}
	return b
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	a := testItem("itm_bcdfghjklmnpqrstvwx", "video", "video/mp4", "clip.mp4", pattern("a", 300))
	b := testItem("itm_zxwvtsrqpnmlkjhgfd", "photo", "image/jpeg", "", pattern("b", 300))
	c := testItem("itm_cccccccccccccccccc", "video", "video/mp4", "clip-segment.mp4", pattern("c", 100))
	c.Meta.ParentID, c.Meta.ParentCommitment, c.Meta.Segment = a.Meta.ID, a.Meta.Commitment, "t=00:00:01.000-00:00:02.000"
	return newFixtureOf(t, a, b, c)
}

// newFixtureOf makes a fixture of the given items: a log of an unrelated
// event, the items' ingest events, an access to the first item and another
// unrelated event, all but the unrelated events in the bundle.
func newFixtureOf(t testing.TB, items ...Item) *fixture {
	t.Helper()
	f := &fixture{}
	f.signer, f.verifier = testKeys(t, testOrigin, "bundle test key")
	f.bundle.Items = items
	a := items[0]

	ingest := func(seq int64, m ItemMeta) []byte {
		facts := map[string]any{"item": m.ID, "class": m.Class, "media": strings.Split(m.MediaType, "/")[0], "content": m.Commitment, "submitted": false}
		if m.ParentID != "" {
			facts["derived_from"] = m.ParentID
		}
		return entry(t, seq, "item.ingested", facts)
	}
	f.entries = [][]byte{entry(t, 1, "account.created", map[string]any{"account": "acc_x"})}
	for _, it := range items {
		f.entries = append(f.entries, ingest(int64(len(f.entries)+1), it.Meta))
	}
	n := int64(len(f.entries))
	f.entries = append(f.entries,
		entry(t, n+1, "item.accessed", map[string]any{"item": a.Meta.ID, "action": "view", "basis": "case", "basis_ref": "case_x", "anonymous": false}),
		entry(t, n+2, "case.opened", map[string]any{"case": "case_x", "kind": "investigation"}))
	f.tree = testonly.New(rfc6962.DefaultHasher)
	f.tree.AppendData(f.entries...)
	cp := f_log.Checkpoint{Origin: testOrigin, Size: f.tree.Size(), Hash: f.tree.Hash()}
	signed, err := note.Sign(&note.Note{Text: string(cp.Marshal())}, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	f.bundle.Checkpoint = string(signed)
	for i := uint64(1); i < f.tree.Size()-1; i++ {
		f.bundle.Events = append(f.bundle.Events, f.proof(t, i))
	}
	f.bundle.Info = map[string]string{"Vigil-Case": "case_x", "Vigil-Exported-By-Role": "commander", "Bagging-Date": "2026-03-02"}
	return f
}

// proof proves entry i against the fixture's checkpoint.
func (f *fixture) proof(t testing.TB, i uint64) ledger.Proof {
	t.Helper()
	incl, err := f.tree.InclusionProof(i, f.tree.Size())
	if err != nil {
		t.Fatal(err)
	}
	en, err := ledger.ParseEntry(f.entries[i])
	if err != nil {
		t.Fatal(err)
	}
	return ledger.Proof{Index: i, Entry: f.entries[i], Decoded: en, LeafHash: f.tree.LeafHash(i), Checkpoint: f.bundle.Checkpoint,
		TreeSize: f.tree.Size(), RootHash: f.tree.Hash(), Inclusion: incl}
}

func (f *fixture) write(t testing.TB, recipients ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f.bundle, f.signer, recipients, nil); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func verifyBytes(data []byte, v note.Verifier, ids ...age.Identity) (*Report, error) {
	return Verify(bytes.NewReader(data), int64(len(data)), v, ids, nil)
}

// mustFail checks that err is a *VerifyError of the given check with a
// message, and returns it.
func mustFail(t testing.TB, err error, check string) *VerifyError {
	t.Helper()
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("got error %v (%T), want a *VerifyError", err, err)
	}
	if ve.Msg == "" || err.Error() == "" {
		t.Fatalf("VerifyError with no message: %#v", ve)
	}
	if check != "" && ve.Check != check {
		t.Fatalf("failed check %q (%v), want %q", ve.Check, err, check)
	}
	return ve
}

// unpack reads a bundle with archive/zip, as any ZIP tool would, into bag
// paths and contents.
func unpack(t testing.TB, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("archive/zip cannot read the bundle: %v", err)
	}
	files := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc) // checks the CRC-32
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		rc.Close()
		files[strings.TrimPrefix(zf.Name, topDir)] = b
	}
	return files
}

// pack writes files as a canonical bundle ZIP, whatever they hold.
func pack(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sortPaths(names)
	var buf bytes.Buffer
	zw := &zipWriter{w: &buf}
	for _, n := range names {
		if _, _, err := writeFile(zw, n, files[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// resign redoes the manifests, Payload-Oxum and signature over files, as
// someone holding the log's key could: what is left to catch is what the
// key does not vouch for.
func resign(t testing.TB, files map[string][]byte, signer note.Signer) {
	t.Helper()
	sums := map[string][32]byte{}
	var octets int
	for p, b := range files {
		if !isTag(p) {
			sums[p] = sha256.Sum256(b)
			octets += len(b)
		}
	}
	files[manifestTxt] = manifestText(sums)
	fields, err := parseBagInfo(files[bagInfoTxt])
	if err != nil {
		t.Fatal(err)
	}
	for i := range fields {
		if fields[i].Label == "Payload-Oxum" {
			fields[i].Value = fmt.Sprintf("%d.%d", octets, len(sums))
		}
	}
	files[bagInfoTxt] = bagInfoText(fields)
	tags := map[string][32]byte{}
	for _, p := range []string{bagitTxt, bagInfoTxt, manifestTxt} {
		tags[p] = sha256.Sum256(files[p])
	}
	files[tagManifestTxt] = manifestText(tags)
	sig, err := note.Sign(&note.Note{Text: signatureText(sha256.Sum256(files[tagManifestTxt]))}, signer)
	if err != nil {
		t.Fatal(err)
	}
	files[signatureTxt] = sig
}

// unpackTo writes files under dir/bundle/.
func unpackTo(t testing.TB, files map[string][]byte, dir string) {
	t.Helper()
	for p, b := range files {
		full := filepath.Join(dir, "bundle", filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stdHeader is the header archive/zip's CreateRaw needs to write an entry
// of under 4 GiB in canonical form.
func stdHeader(name string, data []byte) *zip.FileHeader {
	return &zip.FileHeader{
		Name: topDir + name, Method: zip.Store, CreatorVersion: madeByUnix | zipV20, ReaderVersion: zipV20,
		ModifiedDate: dosDate1980, CRC32: crc32.ChecksumIEEE(data), CompressedSize64: uint64(len(data)),
		UncompressedSize64: uint64(len(data)), ExternalAttrs: modeFile << 16,
	}
}
