package bundle

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"filippo.io/age"
)

// TestFlipEveryByte is the acceptance test of the container: no byte of a
// bundle, anywhere, can change without verification failing.
func TestFlipEveryByte(t *testing.T) {
	f := newFixture(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		ids  []age.Identity
	}{
		{"plain", f.write(t), nil},
		{"encrypted", f.write(t, id.Recipient()), []age.Identity{id}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := verifyBytes(tc.data, f.verifier, tc.ids...); err != nil {
				t.Fatalf("the unchanged bundle does not verify: %v", err)
			}
			checks := map[string]int{}
			mut := make([]byte, len(tc.data))
			step := 1
			if testing.Short() {
				step = 7 // -short: every seventh byte
			}
			for i := 0; i < len(tc.data); i += step {
				copy(mut, tc.data)
				mut[i] ^= 0x01
				_, err := verifyBytes(mut, f.verifier, tc.ids...)
				if err == nil {
					t.Fatalf("flipping byte %d of %d: the bundle still verifies", i, len(tc.data))
				}
				ve := mustFail(t, err, "")
				checks[ve.Check]++
			}
			t.Logf("%d bytes flipped one at a time, all caught; by check: %v", len(tc.data), checks)
		})
	}
}

func TestTruncated(t *testing.T) {
	f := newFixture(t)
	data := f.write(t)
	for n := 0; n < len(data); n++ {
		_, err := verifyBytes(data[:n], f.verifier)
		mustFail(t, err, "container")
	}
	// A size larger than what the reader holds.
	_, err := Verify(bytes.NewReader(data), int64(len(data))+10, f.verifier, nil, nil)
	mustFail(t, err, "container")
	// Bytes appended.
	_, err = verifyBytes(append(bytes.Clone(data), 0), f.verifier)
	mustFail(t, err, "container")
}

func TestWrongKey(t *testing.T) {
	f := newFixture(t)
	data := f.write(t)
	for _, tc := range []struct{ name, origin, seed string }{
		{"another key of the same name", testOrigin, "another key"},
		{"another log", "other.example/log", "bundle test key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, v := testKeys(t, tc.origin, tc.seed)
			_, err := verifyBytes(data, v)
			ve := mustFail(t, err, "signature")
			if ve.File != signatureTxt || !strings.Contains(ve.Msg, "not signed by the key") {
				t.Errorf("got %v", err)
			}
		})
	}
}

// TestForged alters a bundle's files and packs them again in canonical
// form, with or without re-signing: each change must be caught, and by the
// right check.
func TestForged(t *testing.T) {
	f := newFixture(t)
	data := f.write(t)
	a, b := f.bundle.Items[0].Meta, f.bundle.Items[1].Meta
	aFile, bFile := itemsDir+a.ID+"/clip.mp4", itemsDir+b.ID+"/content"
	swap := func(files map[string][]byte) { files[aFile], files[bFile] = files[bFile], files[aFile] }
	for _, tc := range []struct {
		name   string
		change func(files map[string][]byte)
		resign bool
		check  string
		file   string
		msg    string
	}{
		{"item content swapped", swap, false, "manifest", aFile, "its SHA-256 is"},
		{"item content swapped, re-signed", swap, true, "item", aFile, "but " + itemsDir + a.ID + "/item.json says"},
		{"extra payload file", func(files map[string][]byte) { files["data/notes.txt"] = []byte("hi") }, false, "manifest", "data/notes.txt", "not listed"},
		{"extra payload file, re-signed", func(files map[string][]byte) { files["data/notes.txt"] = []byte("hi") }, true, "bagit", "data/notes.txt", "no such file"},
		{"extra file in an item", func(files map[string][]byte) { files[itemsDir+a.ID+"/more.mp4"] = []byte("hi") }, true, "item", itemsDir + a.ID + "/more.mp4", "not item"},
		{"extra tag file", func(files map[string][]byte) { files["notes.txt"] = []byte("hi") }, false, "bagit", "notes.txt", "no such tag file"},
		{"file removed", func(files map[string][]byte) { delete(files, aFile) }, false, "manifest", aFile, "missing"},
		{"missing ingest event, re-signed", func(files map[string][]byte) {
			delete(files, "data/custody/2.entry")
			delete(files, "data/custody/2.proof.json")
		}, true, "item", itemsDir + b.ID + "/item.json", "no item.ingested event"},
		{"entry changed, re-signed", func(files map[string][]byte) {
			files["data/custody/2.entry"] = bytes.Replace(files["data/custody/2.entry"], []byte(`"seq":3`), []byte(`"seq":9`), 1)
		}, true, "custody", "data/custody/2.proof.json", "leaf hash"},
		{"item.json changed, re-signed", func(files map[string][]byte) {
			files[itemsDir+a.ID+"/item.json"] = bytes.Replace(files[itemsDir+a.ID+"/item.json"], []byte(`"class": "video"`), []byte(`"class": "photo"`), 1)
		}, true, "", "", ""},
		{"size changed, re-signed", func(files map[string][]byte) {
			files[itemsDir+a.ID+"/item.json"] = bytes.Replace(files[itemsDir+a.ID+"/item.json"], []byte(`"size": 300`), []byte(`"size": 301`), 1)
		}, true, "item", aFile, "301"},
		{"checkpoint of another size, re-signed", func(files map[string][]byte) {
			files[bagInfoTxt] = bytes.Replace(files[bagInfoTxt], []byte("Vigil-Checkpoint-Size: 6"), []byte("Vigil-Checkpoint-Size: 7"), 1)
		}, true, "checkpoint", bagInfoTxt, "Vigil-Checkpoint-Size"},
		{"signature removed", func(files map[string][]byte) { delete(files, signatureTxt) }, false, "bagit", signatureTxt, "missing"},
		{"zip slip", func(files map[string][]byte) { files["data/../../etc/passwd"] = []byte("x") }, false, "container", "", "safe path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := unpack(t, data)
			tc.change(files)
			if tc.resign {
				resign(t, files, f.signer)
			}
			var mutated []byte
			if tc.check == "container" {
				mutated = packRaw(t, files)
			} else {
				mutated = pack(t, files)
			}
			_, err := verifyBytes(mutated, f.verifier)
			if tc.check == "" {
				// Re-signed metadata that is still consistent: the key
				// vouches for it, so it verifies.
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			ve := mustFail(t, err, tc.check)
			if ve.File != tc.file || !strings.Contains(ve.Msg, tc.msg) {
				t.Errorf("got %q (file %q), want file %q and a message with %q", err, ve.File, tc.file, tc.msg)
			}
			t.Log(err)
		})
	}
}

// packRaw writes files into a ZIP without checking their names.
func packRaw(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := sortedKeys(files)
	sortPaths(names)
	for _, n := range names {
		fw, err := zw.CreateRaw(stdHeader(n, files[n]))
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(files[n])
	}
	zw.Close()
	return buf.Bytes()
}

// TestStandardZIP checks the canonical form against archive/zip: written
// by its CreateRaw with the canonical headers, the entries of a bundle come
// out byte for byte as Write wrote them.
func TestStandardZIP(t *testing.T) {
	f := newFixture(t)
	data := f.write(t)
	if std := packRaw(t, unpack(t, data)); !bytes.Equal(std, data) {
		t.Errorf("archive/zip writes the bundle's entries as %d bytes that differ from Write's %d", len(std), len(data))
	}
}

func TestContainerRules(t *testing.T) {
	f := newFixture(t)
	data := f.write(t)
	files := unpack(t, data)
	rezip := func(edit func(name string, h *zip.FileHeader), order func([]string)) []byte {
		names := sortedKeys(files)
		if order != nil {
			order(names)
		} else {
			sortPaths(names)
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, n := range names {
			h := stdHeader(n, files[n])
			edit(n, h)
			fw, err := zw.CreateRaw(h)
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(files[n])
		}
		zw.Close()
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"deflated by a ZIP tool", func() []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, n := range sortedKeys(files) {
				w, _ := zw.Create(topDir + n)
				w.Write(files[n])
			}
			zw.Close()
			return buf.Bytes()
		}(), ""},
		{"another time", rezip(func(_ string, h *zip.FileHeader) { h.ModifiedDate++ }, nil), "local header"},
		{"an extra field", rezip(func(_ string, h *zip.FileHeader) { h.Extra = []byte{0xfe, 0xca, 0, 0} }, nil), ""},
		{"other attributes", rezip(func(_ string, h *zip.FileHeader) { h.ExternalAttrs = 0o100755 << 16 }, nil), "central directory"},
		{"bytewise order", rezip(func(string, *zip.FileHeader) {}, sort.Strings), "order"},
		{"a file outside bundle/", rezip(func(n string, h *zip.FileHeader) {
			if n == bagitTxt {
				h.Name = "other/" + n
			}
		}, nil), "safe path"},
		{"a duplicate in another case", rezip(func(n string, h *zip.FileHeader) {
			if n == bagInfoTxt {
				h.Name = topDir + "BAGIT.txt"
			}
		}, func(names []string) { sortPaths(names) }), ""},
		{"too many files", func() []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for i := 0; i <= MaxEntries; i++ {
				zw.CreateRaw(stdHeader(fmt.Sprintf("data/%06d", i), nil))
			}
			zw.Close()
			return buf.Bytes()
		}(), "declares 100001 files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifyBytes(tc.data, f.verifier)
			ve := mustFail(t, err, "container")
			if !strings.Contains(ve.Msg, tc.msg) {
				t.Errorf("got %q, want a message with %q", err, tc.msg)
			}
			t.Log(err)
		})
	}
}

func TestVerifyDir(t *testing.T) {
	f := newFixture(t)
	id, _ := age.GenerateX25519Identity()
	for _, tc := range []struct {
		name string
		data []byte
		ids  []age.Identity
	}{
		{"plain", f.write(t), nil},
		{"encrypted", f.write(t, id.Recipient()), []age.Identity{id}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := unpack(t, tc.data)
			dir := t.TempDir()
			unpackTo(t, files, dir)
			for _, d := range []string{dir, filepath.Join(dir, "bundle")} {
				rep, err := VerifyDir(d, f.verifier, tc.ids, nil)
				if err != nil {
					t.Fatalf("VerifyDir(%s): %v", d, err)
				}
				if len(rep.Items) != 3 || !rep.Items[0].Checked {
					t.Errorf("report: %+v", rep.Items)
				}
			}
			// Flip one byte of each file in turn.
			for _, p := range sortedKeys(files) {
				full := filepath.Join(dir, "bundle", filepath.FromSlash(p))
				b := bytes.Clone(files[p])
				b[len(b)/2] ^= 0x01
				if err := os.WriteFile(full, b, 0o644); err != nil {
					t.Fatal(err)
				}
				_, err := VerifyDir(dir, f.verifier, tc.ids, nil)
				ve := mustFail(t, err, "")
				t.Logf("%s flipped: %v", p, ve)
				if err := os.WriteFile(full, files[p], 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}

	t.Run("extra file", func(t *testing.T) {
		dir := t.TempDir()
		unpackTo(t, unpack(t, f.write(t)), dir)
		os.WriteFile(filepath.Join(dir, "bundle", "data", ".DS_Store"), []byte("x"), 0o644)
		_, err := VerifyDir(dir, f.verifier, nil, nil)
		mustFail(t, err, "container")
	})
	t.Run("symbolic link", func(t *testing.T) {
		dir := t.TempDir()
		unpackTo(t, unpack(t, f.write(t)), dir)
		if err := os.Symlink("/etc/passwd", filepath.Join(dir, "bundle", "data", "link")); err != nil {
			t.Skip(err)
		}
		_, err := VerifyDir(dir, f.verifier, nil, nil)
		mustFail(t, err, "container")
	})
}
