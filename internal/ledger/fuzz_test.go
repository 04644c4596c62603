package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// The fuzz log's key pair, fixed so that every fuzzing process builds the
// same log and the corpus stays meaningful between them and between runs.
const (
	fuzzSignerKey   = "PRIVATE+KEY+vigil.test/fuzz+e9fd3040+AS3RQ6eLQfIZ3Qrw5n/nGwcVhFu9pg+1J+OcT030pmo8"
	fuzzVerifierKey = "vigil.test/fuzz+e9fd3040+AZQflUu5Esv0YkIZ30TpEEHEPm4r+439GpzwkVHjJxrZ"
)

func fuzzKeys(tb testing.TB) ledger.Keys {
	tb.Helper()
	s, err := note.NewSigner(fuzzSignerKey)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := note.NewVerifier(fuzzVerifierKey)
	if err != nil {
		tb.Fatal(err)
	}
	return ledger.Keys{Signer: s, Verifier: v, VerifierKey: fuzzVerifierKey}
}

// fuzzLogSize is the size of the fuzz log: one partial entry bundle and
// one partial tile.
const fuzzLogSize = 5

// fuzzLog builds a real log, with Outbox.Record, the Writer and Tessera,
// whose every byte is fixed: fixed keys, fixed times, and events with no
// private fields (which would be committed to with random salts). It
// returns the log's files.
func fuzzLog(tb testing.TB) memSource {
	tb.Helper()
	db := storetest.SQLite(tb)
	e := &env{t: tb, db: db, dir: tb.TempDir(), keys: fuzzKeys(tb), outbox: ledger.NewOutbox()}
	e.open(ledger.Hooks{})
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	for i := range fuzzLogSize {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := e.outbox.Record(ctx, tx, ledger.Event{
				Kind:  testKind,
				Actor: ledger.Actor{Role: "officer"},
				Facts: map[string]any{"thing": fmt.Sprintf("asm_%d", i), "count": i, "at": at, "tags": []string{"a", "b.c"}},
				Time:  at.Add(time.Duration(i) * time.Second),
			})
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := e.writer.Flush(ctx); err != nil {
		tb.Fatal(err)
	}
	e.published(fuzzLogSize)
	e.close()
	src := memSource{}
	err := filepath.WalkDir(e.logDir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(e.logDir(), p)
		src[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range []string{layout.CheckpointPath, fuzzBundle, fuzzTile} {
		if src[p] == nil {
			tb.Fatalf("the fuzz log has no %s", p)
		}
	}
	return src
}

// The fuzz log's files that the fuzz targets replace.
var (
	fuzzBundle = layout.EntriesPath(0, fuzzLogSize)
	fuzzTile   = layout.TilePath(0, 0, fuzzLogSize)
)

// memSource is a log held in memory, by tlog-tiles path. It serves
// exactly the files it holds: no fallback from a partial to a full one.
type memSource map[string][]byte

var _ ledger.Source = memSource{}

func (m memSource) read(p string) ([]byte, error) {
	b, ok := m[p]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, os.ErrNotExist)
	}
	return b, nil
}

func (m memSource) ReadCheckpoint(context.Context) ([]byte, error) {
	return m.read(layout.CheckpointPath)
}

func (m memSource) ReadTile(_ context.Context, level, index uint64, p uint8) ([]byte, error) {
	return m.read(layout.TilePath(level, index, p))
}

func (m memSource) ReadEntryBundle(_ context.Context, index uint64, p uint8) ([]byte, error) {
	return m.read(layout.EntriesPath(index, p))
}

// with returns a copy of m in which the file at p holds b.
func (m memSource) with(p string, b []byte) memSource {
	c := make(memSource, len(m))
	for k, v := range m {
		c[k] = v
	}
	c[p] = b
	return c
}

// Entries as Outbox.Record wrote them in a test run.
var realEntries = []string{
	`{"v":1,"seq":1,"type":"test.thing_done","time":"2026-11-23T10:01:00.000Z","role":"officer","facts":{"at":"2026-11-23T10:00:00.000Z","count":3,"thing":"asm_x"},"commit":{"actor":"3160705031952efce104fbfd1dd92bba74f600ab0c295a8b499867eb5af59436","name":"59c198e8f98f3aeec28f92e8d5d0f3682d38c5a8d3811e2895b13f29c069c8f8","phone":"31219c53065d40671f381a88e3925c32f3cf53c925c222bb32f67ed1cccd2ead"}}`,
	`{"v":1,"seq":2,"type":"account.created","time":"2026-11-23T10:02:00.000Z","role":"system","facts":{"must_change":true,"role":"officer"},"commit":{"username":"c38d046b14064e026397747dd44bd51f4c7fae61306c1ab3cacfdac4183e165f"}}`,
	`{"v":1,"seq":42,"type":"account.created","time":"2026-01-02T03:04:05.678Z","role":"system"}`,
}

func FuzzParseEntry(f *testing.F) {
	for _, s := range realEntries {
		f.Add([]byte(s))
	}
	for _, en := range entriesOf(fuzzLog(f)[fuzzBundle]) {
		f.Add(en)
	}
	for _, s := range []string{
		``,
		`{}`,
		`null`,
		`[]`,
		`{"v":1,"seq":1,"type":"a.b","time":"2026-01-01T00:00:00Z","role":"x"} {}`,
		`{"v":2,"seq":1,"type":"a.b","time":"2026-01-01T00:00:00Z","role":"x"}`,
		`{"v":1,"seq":0,"type":"a.b","time":"2026-01-01T00:00:00Z","role":"x"}`,
		`{"v":1,"seq":1,"type":"a","time":"2026-01-01T00:00:00Z","role":"x"}`,
		`{"v":1,"seq":1,"type":"a.b","time":"yesterday","role":"x"}`,
		`{"v":1,"seq":1,"type":"a.b","time":"2026-01-01T00:00:00Z","role":"x","name":"Amina"}`,
		`{"v":1,"seq":1,"type":"a.b","time":"2026-01-01T00:00:00Z","role":"x","facts":{"n":1e400,"m":{"deep":[null,true,-0.5]}}}`,
		`{"v":1,"seq":1,"type":"a.b","time":"2026-01-01T00:00:00Z","role":"x","facts":{},"commit":{}}`,
		`{"V":1,"SEQ":9223372036854775807,"Type":"a.b","time":"2026-01-01T00:00:00Z","v":1}`,
		`{"v":1.0,"seq":1,"type":"a.b","time":"2026-01-01T00:00:00Z","role":"x"}`,
		`{"v":1,"seq":1,"type":"a.b","time":"2026-01-01T00:00:00Z","role":"x","facts":{"s":"\u2028\ud800<>&"}}`,
		"{\"v\":1,\"seq\":1,\"type\":\"a.b\",\"time\":\"2026-01-01T00:00:00Z\",\"role\":\"\xff\xfe\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		en, err := ledger.ParseEntry(b)
		if err != nil {
			return
		}
		m, err := en.Marshal()
		if errors.Is(err, ledger.ErrInvalidEvent) {
			return // re-encoding (of \xff as \ufffd, say) made it too large
		}
		if err != nil {
			t.Fatalf("Marshal of a parsed entry: %v", err)
		}
		en2, err := ledger.ParseEntry(m)
		if err != nil {
			t.Fatalf("ParseEntry(%q) succeeded, but not on its re-encoding %q: %v", b, m, err)
		}
		// Facts decode with UseNumber, so a number keeps its text; an empty
		// map and none both encode as nothing.
		if diff := cmp.Diff(en, en2, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("re-encoding %q as %q changed the entry (-first +second):\n%s", b, m, diff)
		}
		m2, err := en2.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m, m2) {
			t.Fatalf("encoding is not stable: %q, then %q", m, m2)
		}
		en3, err := ledger.ParseEntry(m2)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(en2, en3); diff != "" {
			t.Fatalf("parse of a canonical encoding is not stable (-first +second):\n%s", diff)
		}
	})
}

// entriesOf splits a well-formed entry bundle into its entries.
func entriesOf(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 {
		n := int(b[0])<<8 | int(b[1])
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range [][2]string{
		{"0", "000"}, {"0", "x001/x234/067"}, {"1", "067.p/8"}, {"63", "999.p/255"},
		{"0", "x018/x446/x744/x073/x709/x551/615"}, // the largest index
		{"entries", "000"}, {"00", "000"}, {"64", "000"}, {"+1", "000"}, {"-0", "000"},
		{"0", ".p"}, {"0", "x.p/1"}, {"0", "../../etc"}, {"0", "0.p/0"}, {"0", "000.p/0"},
		{"0", "000.p/256"}, {"0", "000.p/08"}, {"0", "x000/001"}, {"0", "001/000"},
		{"0", "x018/x446/x744/x073/x709/x551/616"}, {"0", "x001/x002/x003/x004/x005/x006/x007/008"},
		{"0", "000/"}, {"0", "/000"}, {"0", "000.p/1/"}, {"0", "０００"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, level, index string) {
		l, i, p, err := ledger.ParseTilePath(level, index)
		if err != nil {
			return
		}
		want := "tile/" + level + "/" + index
		if got := layout.TilePath(l, i, p); got != want {
			t.Fatalf("ParseTilePath(%q, %q) = %d, %d, %d, which is the path %q", level, index, l, i, p, got)
		}
		if l > 63 {
			t.Fatalf("ParseTilePath(%q, %q): level %d is above 63", level, index, l)
		}
	})
}

func FuzzParseTileIndex(f *testing.F) {
	for _, s := range []string{
		"000", "001", "x001/x234/067", "067.p/8", "255.p/255", "x001/000.p/1",
		"entries", ".p", "x.p/1", "../../etc", "0.p/0", "000.p/0", "000.p/256", "000.p/-1",
		"000.p/1.p/1", "x000/001", "0001", "00", "", "x001/", "001.p/", "x999/x999/x999/x999/x999/x999/999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, index string) {
		i, p, err := ledger.ParseTileIndex(index)
		if err != nil {
			return
		}
		if got := layout.EntriesPath(i, p); got != "tile/entries/"+index {
			t.Fatalf("ParseTileIndex(%q) = %d, %d, which is the path %q", index, i, p, got)
		}
	})
}

// FuzzTilePathRoundTrip checks the other way round: whatever path Tessera
// writes, the canonical parser accepts and reads back.
func FuzzTilePathRoundTrip(f *testing.F) {
	f.Add(uint64(0), uint64(0), uint8(0))
	f.Add(uint64(1), uint64(1234067), uint8(8))
	f.Add(uint64(63), ^uint64(0), uint8(255))
	f.Fuzz(func(t *testing.T, level, index uint64, p uint8) {
		level %= 64
		path := layout.TilePath(level, index, p)
		parts := strings.SplitN(strings.TrimPrefix(path, "tile/"), "/", 2)
		l, i, q, err := ledger.ParseTilePath(parts[0], parts[1])
		if err != nil || l != level || i != index || q != p {
			t.Fatalf("ParseTilePath of %q = %d, %d, %d, %v", path, l, i, q, err)
		}
		i, q, err = ledger.ParseTileIndex(strings.TrimPrefix(layout.EntriesPath(index, p), "tile/entries/"))
		if err != nil || i != index || q != p {
			t.Fatalf("ParseTileIndex of %q = %d, %d, %v", layout.EntriesPath(index, p), i, q, err)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	keys := fuzzKeys(f)
	cp := fuzzLog(f)[layout.CheckpointPath]
	f.Add(cp)
	// A note is its text, a blank line and the signature lines.
	blank := bytes.Index(cp, []byte("\n\n"))
	text, sigLines := cp[:blank+1], cp[blank+2:]
	// Another key of the same name, different in each process: its
	// checkpoints never verify, whichever process reads them.
	other, _, err := ledger.LoadOrCreateKeys(f.TempDir(), keys.Origin())
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range [][]byte{
		nil,
		[]byte("\n"),
		text,
		append(bytes.Clone(text), '\n'),
		append(bytes.Clone(text), sigLines...),
		bytes.Replace(cp, []byte("\n5\n"), []byte("\n6\n"), 1),
		bytes.Replace(cp, []byte("vigil.test/fuzz\n"), []byte("vigil.test/fuzz2\n"), 1),
		bytes.Replace(cp, []byte("\n\n"), []byte("\n"), 1),
		append(bytes.Clone(cp), sigLines...),
		append(bytes.Clone(cp), "— vigil.test/other AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"...),
		otherSignatureByte(bytes.Clone(cp)),
		bytes.TrimSuffix(cp, []byte("\n")),
	} {
		f.Add(b)
	}
	for _, n := range []struct {
		text string
		by   note.Signer
	}{
		{string(text), other.Signer},
		{string(text) + "extension line\n", keys.Signer}, // signed, with an extension line
		{"vigil.test/fuzz\n5\nAAAA\n", keys.Signer},      // signed, with a hash too short
	} {
		b, err := note.Sign(&note.Note{Text: n.text}, n.by)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := ledger.ParseCheckpoint(b, keys.Verifier)
		if err != nil {
			return
		}
		// Only a note the key signed may parse, and it says what it signed.
		n, err := note.Open(b, note.VerifierList(keys.Verifier))
		if err != nil {
			t.Fatalf("ParseCheckpoint accepted %q, which does not verify: %v", b, err)
		}
		if cp.Origin != keys.Origin() {
			t.Fatalf("ParseCheckpoint accepted origin %q", cp.Origin)
		}
		if !strings.HasPrefix(n.Text, string(cp.Marshal())) {
			t.Fatalf("checkpoint %+v is not what the note says: %q", cp, n.Text)
		}
	})
}

// FuzzEntryBundle serves the fuzzed bytes as the fuzz log's only entry
// bundle. Verify must not panic, and must pass only the genuine bundle. A
// bundle may hold entries after the ones its checkpoint covers, as a full
// bundle served in place of a partial one does, so the property is that a
// bundle that passes begins with the genuine one.
func FuzzEntryBundle(f *testing.F) {
	src := fuzzLog(f)
	genuine := src[fuzzBundle]
	first := len(entriesOf(genuine)[0]) + 2
	fuzzResource(f, src, fuzzBundle, "entries",
		nil,
		[]byte{0},
		[]byte{0, 0},
		[]byte{0xff, 0xff},
		genuine[:len(genuine)-1],
		append(bytes.Clone(genuine), 0, 0),
		append(bytes.Clone(genuine), 0),
		append(bytes.Clone(genuine), genuine[:first]...),
		genuine[first:],
		append(bytes.Clone(genuine[first:]), genuine[:first]...),
		bytes.Replace(genuine, []byte(`"count":1`), []byte(`"count":7`), 1),
		bytes.Replace(genuine, []byte(`"seq":2`), []byte(`"seq":1`), 1),
		bytes.Replace(genuine, []byte(`{"v":1`), []byte(`{"v":2`), 1),
	)
}

// FuzzHashTile does the same with the fuzz log's only tile.
func FuzzHashTile(f *testing.F) {
	src := fuzzLog(f)
	genuine := src[fuzzTile]
	fuzzResource(f, src, fuzzTile, "tiles",
		nil,
		make([]byte, 32),
		genuine[:len(genuine)-1],
		genuine[:len(genuine)-32],
		append(bytes.Clone(genuine), make([]byte, 32)...),
		append(bytes.Clone(genuine), 0),
		append(bytes.Clone(genuine[32:]), genuine[:32]...),
	)
}

// fuzzResource fuzzes the file at path of the log src, seeded with the
// genuine file and seeds: Verify, asked for an event so that it builds an
// inclusion proof from the tiles too, must pass on the genuine bytes, and
// fail with a VerifyError of the check named on any bytes that do not begin
// with them.
func fuzzResource(f *testing.F, src memSource, path, check string, seeds ...[]byte) {
	genuine := src[path]
	f.Add(genuine)
	for _, b := range seeds {
		f.Add(b)
	}
	opts := ledger.VerifyOptions{VerifierKey: fuzzVerifierKey, Event: 3}
	if _, err := ledger.Verify(context.Background(), src, opts); err != nil {
		f.Fatalf("the fuzz log does not verify: %v", err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ledger.Verify(context.Background(), src.with(path, b), opts)
		switch {
		case err == nil && !bytes.HasPrefix(b, genuine):
			t.Fatalf("Verify passed %s = %x, the genuine one is %x", path, b, genuine)
		case err != nil && bytes.Equal(b, genuine):
			t.Fatalf("Verify failed on the genuine %s: %v", path, err)
		case err != nil:
			var ve *ledger.VerifyError
			if !errors.As(err, &ve) || ve.Check != check {
				t.Fatalf("Verify with %s = %x: %v, want a VerifyError of check %q", path, b, err, check)
			}
		}
	})
}
