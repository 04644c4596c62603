package proofmode

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the sample bundle in testdata")

const sampleBundle = "testdata/proofmode-sample.zip"

func check(t *testing.T, data []byte) (*Result, error) {
	t.Helper()
	return Check(bytes.NewReader(data), int64(len(data)))
}

func TestCheckValid(t *testing.T) {
	device, _ := testKeys(t)
	files := validFiles(t)
	media := get(files, "PXL_20240506_070807123.jpg")
	res, err := check(t, zipFiles(t, files))
	if err != nil {
		t.Fatal(err)
	}
	want := &Result{
		Signer: fingerprint(device),
		Media: []Media{{
			Name:                "PXL_20240506_070807123.jpg",
			SHA256:              sha256hex(media),
			Size:                int64(len(media)),
			SignatureValid:      true,
			ProofFound:          true,
			ProofSignatureValid: true,
			HashMatches:         true,
			Generated:           time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC),
		}},
		OK: true,
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}
	if len(res.Signer) != 40 || strings.ToUpper(res.Signer) != res.Signer {
		t.Errorf("Signer = %q, want 40 upper-case hex digits", res.Signer)
	}
}

// TestCheckProblems changes one thing in a valid bundle at a time.
func TestCheckProblems(t *testing.T) {
	device, other := testKeys(t)
	const photo = "PXL_20240506_070807123.jpg"
	base := validFiles(t)
	media := get(base, photo)
	hash := sha256hex(media)

	type mediaWant struct{ sig, proof, proofSig, hash bool }
	tests := []struct {
		name     string
		files    func() []file
		media    []mediaWant // nil: no media file
		signer   string
		problems []string // each must appear in some problem
	}{{
		name: "media byte flipped",
		files: func() []file {
			changed := bytes.Clone(media)
			changed[len(changed)/2] ^= 0x01
			return with(base, photo, changed)
		},
		media:  []mediaWant{{sig: false, proof: true, proofSig: true, hash: false}},
		signer: fingerprint(device),
		problems: []string{
			"is not the file the proof was made for",
			`the signature "` + hash + `.asc" of "` + photo + `" does not verify: it does not match the file`,
		},
	}, {
		// The name does not tie the photo to its proof, and neither does
		// the changed hash: the only photo goes with the only proof.
		name: "media byte flipped, file path a content URI",
		files: func() []file {
			changed := bytes.Clone(media)
			changed[len(changed)/2] ^= 0x01
			js := androidJSON(proofFieldsFor("content://media/external/images/media/1234", hash))
			files := with(base, photo, changed)
			files = with(files, hash+".proof.json", js)
			return with(files, hash+".proof.json.asc", sign(t, device, js))
		},
		media:    []mediaWant{{sig: false, proof: true, proofSig: true, hash: false}},
		signer:   fingerprint(device),
		problems: []string{"is not the file the proof was made for", "does not match the file"},
	}, {
		name: "proof json altered",
		files: func() []file {
			js := bytes.Replace(get(base, hash+".proof.json"), []byte(secretLatitude), []byte("40.6892494"), 1)
			return with(base, hash+".proof.json", js)
		},
		media:    []mediaWant{{sig: true, proof: true, proofSig: false, hash: true}},
		signer:   fingerprint(device),
		problems: []string{`the signature "` + hash + `.proof.json.asc" of "` + hash + `.proof.json" does not verify: it does not match the file`},
	}, {
		name: "proof csv altered",
		files: func() []file {
			cs := bytes.Replace(get(base, hash+".proof.csv"), []byte("Pixel 7"), []byte("Pixel 8"), 1)
			return with(base, hash+".proof.csv", cs)
		},
		media:    []mediaWant{{sig: true, proof: true, proofSig: false, hash: true}},
		signer:   fingerprint(device),
		problems: []string{`"` + hash + `.proof.csv" does not verify`},
	}, {
		name: "media signed by another key",
		files: func() []file {
			return with(base, hash+".asc", sign(t, other, media))
		},
		media:    []mediaWant{{sig: false, proof: true, proofSig: true, hash: true}},
		signer:   fingerprint(device),
		problems: []string{"made by a key other than the one in pubkey.asc"},
	}, {
		name: "everything signed by another key",
		files: func() []file {
			files := proofSet(t, other, photo, media)
			return append(files, shareFiles(t, device)...)
		},
		media:    []mediaWant{{sig: false, proof: true, proofSig: false, hash: true}},
		signer:   fingerprint(device),
		problems: []string{"made by a key other than the one in pubkey.asc"},
	}, {
		name: "public key swapped",
		files: func() []file {
			return with(base, "pubkey.asc", publicKey(t, other))
		},
		media:    []mediaWant{{sig: false, proof: true, proofSig: false, hash: true}},
		signer:   fingerprint(other),
		problems: []string{"made by a key other than the one in pubkey.asc"},
	}, {
		name:     "no public key",
		files:    func() []file { return without(base, "pubkey.asc") },
		media:    []mediaWant{{sig: false, proof: true, proofSig: false, hash: true}},
		problems: []string{"the bundle has no pubkey.asc, so no signature could be checked"},
	}, {
		name: "public key unreadable",
		files: func() []file {
			return with(base, "pubkey.asc", []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n"))
		},
		media:    []mediaWant{{sig: false, proof: true, proofSig: false, hash: true}},
		problems: []string{"pubkey.asc is not a readable OpenPGP public key"},
	}, {
		name:     "no media signature",
		files:    func() []file { return without(base, hash+".asc") },
		media:    []mediaWant{{sig: false, proof: true, proofSig: true, hash: true}},
		signer:   fingerprint(device),
		problems: []string{`"` + photo + `" has no signature`},
	}, {
		name:     "no proof signature",
		files:    func() []file { return without(base, hash+".proof.json.asc") },
		media:    []mediaWant{{sig: true, proof: true, proofSig: false, hash: true}},
		signer:   fingerprint(device),
		problems: []string{`"` + hash + `.proof.json" has no signature`},
	}, {
		name:     "media left out",
		files:    func() []file { return without(base, photo) },
		signer:   fingerprint(device),
		problems: []string{`proof "` + hash + `.proof.json" describes a file (SHA-256 ` + hash + `) that is not in the bundle`},
	}, {
		name:   "unproven photo slipped in",
		files:  func() []file { return append(slices.Clone(base), file{"IMG_0001.jpg", testJPEG(t, 7)}) },
		signer: fingerprint(device),
		media: []mediaWant{
			{sig: true, proof: true, proofSig: true, hash: true},
			{sig: false, proof: false, proofSig: false, hash: false},
		},
		problems: []string{`"IMG_0001.jpg" is described by no proof in the bundle`, `"IMG_0001.jpg" has no signature`},
	}, {
		name: "signatures of nothing in the bundle",
		files: func() []file {
			files := with(base, strings.Repeat("cd", 32)+".asc", sign(t, device, []byte("gone")))
			return with(files, "gone.proof.json.asc", sign(t, device, []byte("gone")))
		},
		media:    []mediaWant{{sig: true, proof: true, proofSig: true, hash: true}},
		signer:   fingerprint(device),
		problems: []string{`signature "` + strings.Repeat("cd", 32) + `.asc" signs no file`, `signature "gone.proof.json.asc" signs no file`},
	}, {
		name: "proof renamed to another hash",
		files: func() []file {
			wrong := strings.Repeat("ab", 32)
			files := without(base, hash+".proof.json", hash+".proof.json.asc")
			return append(files,
				file{wrong + ".proof.json", get(base, hash+".proof.json")},
				file{wrong + ".proof.json.asc", get(base, hash+".proof.json.asc")})
		},
		media:    []mediaWant{{sig: true, proof: true, proofSig: true, hash: true}},
		signer:   fingerprint(device),
		problems: []string{"declares the hash " + hash + ", not the one in its name"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := check(t, zipFiles(t, tt.files()))
			if err != nil {
				t.Fatal(err)
			}
			if res.OK {
				t.Errorf("OK = true, want false")
			}
			if res.Signer != tt.signer {
				t.Errorf("Signer = %q, want %q", res.Signer, tt.signer)
			}
			var got []mediaWant
			for _, m := range res.Media {
				got = append(got, mediaWant{m.SignatureValid, m.ProofFound, m.ProofSignatureValid, m.HashMatches})
			}
			if diff := cmp.Diff(tt.media, got, cmp.AllowUnexported(mediaWant{})); diff != "" {
				t.Errorf("media (-want +got):\n%s", diff)
			}
			for _, want := range tt.problems {
				found := false
				for _, p := range res.Problems {
					found = found || strings.Contains(p, want)
				}
				if !found {
					t.Errorf("no problem says %q; problems:\n%s", want, strings.Join(res.Problems, "\n"))
				}
			}
		})
	}
}

// TestCheckLayouts checks bundles laid out in other ways ProofMode has
// used, or that a person may make of one.
func TestCheckLayouts(t *testing.T) {
	device, _ := testKeys(t)
	photo, video := testJPEG(t, 1), append([]byte("\x00\x00\x00\x18ftypmp42"), bytes.Repeat([]byte{0x42}, 5000)...)
	tests := []struct {
		name  string
		files func() []file
		media []string
	}{{
		name: "two files shared at once, with a batch proof",
		files: func() []file {
			files := proofSet(t, device, "PXL_1.jpg", photo)
			files = append(files, proofSet(t, device, "PXL_2.mp4", video)...)
			files = append(files, file{"1715000000000batchproof.csv", []byte("File Path,File Hash SHA256,\n")})
			return append(files, shareFiles(t, device)...)
		},
		media: []string{"PXL_1.jpg", "PXL_2.mp4"},
	}, {
		name: "classic: CSV proof and signature named after the media",
		files: func() []file {
			fields := proofFieldsFor(secretDir+"IMG_1.jpg", sha256hex(photo))
			cs := proofCSV(fields)
			return append([]file{
				{"IMG_1.jpg", photo},
				{"IMG_1.jpg.asc", sign(t, device, photo)},
				{"IMG_1.jpg.proof.csv", cs},
				{"IMG_1.jpg.proof.csv.asc", sign(t, device, cs)},
			}, shareFiles(t, device)...)
		},
		media: []string{"IMG_1.jpg"},
	}, {
		name: "file path is a content URI",
		files: func() []file {
			hash := sha256hex(photo)
			js := androidJSON(proofFieldsFor("content://media/external/images/media/1234", hash))
			return append([]file{
				{"Screenshot.jpg", photo},
				{hash + ".proof.json", js},
				{hash + ".proof.json.asc", sign(t, device, js)},
				{hash + ".asc", sign(t, device, photo)},
			}, shareFiles(t, device)...)
		},
		media: []string{"Screenshot.jpg"},
	}, {
		name: "two media, content URIs: tied by hash",
		files: func() []file {
			var files []file
			for i, data := range [][]byte{photo, video} {
				hash := sha256hex(data)
				js := androidJSON(proofFieldsFor(fmt.Sprintf("content://media/external/file/%d", i), hash))
				files = append(files,
					file{fmt.Sprintf("shared-%d%s", i, []string{".jpg", ".mp4"}[i]), data},
					file{hash + ".proof.json", js},
					file{hash + ".proof.json.asc", sign(t, device, js)},
					file{hash + ".asc", sign(t, device, data)})
			}
			return append(files, shareFiles(t, device)...)
		},
		media: []string{"shared-0.jpg", "shared-1.mp4"},
	}, {
		name: "re-zipped inside a folder",
		files: func() []file {
			var files []file
			for _, f := range validFiles(t) {
				files = append(files, file{"proofmode-bundle/" + f.name, f.data})
			}
			return files
		},
		media: []string{"PXL_20240506_070807123.jpg"},
	}, {
		name: "proof written twice (appended)",
		files: func() []file {
			files := validFiles(t)
			hash := sha256hex(get(files, "PXL_20240506_070807123.jpg"))
			js := get(files, hash+".proof.json")
			js = append(bytes.Clone(js), js...)
			files = with(files, hash+".proof.json", js)
			return with(files, hash+".proof.json.asc", sign(t, device, js))
		},
		media: []string{"PXL_20240506_070807123.jpg"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := check(t, zipFiles(t, tt.files()))
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK {
				t.Errorf("OK = false; problems:\n%s", strings.Join(res.Problems, "\n"))
			}
			var names []string
			for _, m := range res.Media {
				names = append(names, m.Name)
			}
			if diff := cmp.Diff(tt.media, names); diff != "" {
				t.Errorf("media (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckRefuses checks inputs that are not bundles, and hostile zips.
func TestCheckRefuses(t *testing.T) {
	valid := zipFiles(t, validFiles(t))
	hash := sha256hex(get(validFiles(t), "PXL_20240506_070807123.jpg"))
	// build writes a zip with the valid bundle's files but those named in
	// skip, then calls add.
	build := func(skip []string, add func(zw *zip.Writer)) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, f := range without(validFiles(t), skip...) {
			w, _ := zw.Create(f.name)
			w.Write(f.data)
		}
		add(zw)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	tests := []struct {
		name string
		data func() []byte
		want error
	}{
		{"empty", func() []byte { return nil }, ErrNotProofMode},
		{"text", func() []byte { return []byte("this is not a zip file, only some text") }, ErrNotProofMode},
		{"a JPEG", func() []byte { return testJPEG(t, 1) }, ErrNotProofMode},
		{"zip without proofs", func() []byte {
			return zipFiles(t, []file{{"IMG_1.jpg", testJPEG(t, 1)}, {"pubkey.asc", []byte("x")}})
		}, ErrNotProofMode},
		{"empty zip", func() []byte { return zipFiles(t, nil) }, ErrNotProofMode},
		{"truncated", func() []byte { return valid[:len(valid)-30] }, ErrInvalid},
		{"cut in half", func() []byte { return valid[:len(valid)/2] }, ErrInvalid},
		{"media inflates past its size", func() []byte {
			return build([]string{"PXL_20240506_070807123.jpg"}, func(zw *zip.Writer) {
				rawEntry(t, zw, "PXL_20240506_070807123.jpg", make([]byte, 10<<20), 1000)
			})
		}, ErrInvalid},
		{"proof inflates past its size", func() []byte {
			return build([]string{hash + ".proof.json"}, func(zw *zip.Writer) {
				rawEntry(t, zw, hash+".proof.json", bytes.Repeat([]byte(" "), 4<<20), 100)
			})
		}, ErrInvalid},
		{"signature ends short of its size", func() []byte {
			return build([]string{hash + ".asc"}, func(zw *zip.Writer) {
				rawEntry(t, zw, hash+".asc", []byte("-----BEGIN PGP SIGNATURE-----"), 5000)
			})
		}, ErrInvalid},
		{"entry declares more than 8 GiB", func() []byte {
			return build(nil, func(zw *zip.Writer) {
				rawEntry(t, zw, "extra.bin", []byte("tiny"), 9<<30)
			})
		}, ErrInvalid},
		{"entries declare more than 32 GiB", func() []byte {
			return build(nil, func(zw *zip.Writer) {
				for i := range 5 {
					rawEntry(t, zw, fmt.Sprintf("extra%d.bin", i), []byte("tiny"), 7<<30)
				}
			})
		}, ErrInvalid},
		{"proof over 1 MiB", func() []byte {
			return build([]string{hash + ".proof.json"}, func(zw *zip.Writer) {
				w, _ := zw.Create(hash + ".proof.json")
				w.Write([]byte(`{"File Hash SHA256":"` + hash + `","Notes":"` + strings.Repeat("x", 1<<20) + `"}`))
			})
		}, ErrInvalid},
		{"signature over 64 KiB", func() []byte {
			return build([]string{hash + ".asc"}, func(zw *zip.Writer) {
				w, _ := zw.Create(hash + ".asc")
				w.Write(bytes.Repeat([]byte("A"), 65<<10))
			})
		}, ErrInvalid},
		{"1001 entries", func() []byte {
			return build(nil, func(zw *zip.Writer) {
				for i := range 1001 - len(validFiles(t)) {
					zw.Create(fmt.Sprintf("x%d.txt", i))
				}
			})
		}, ErrInvalid},
		{"two entries with the same name", func() []byte {
			return build(nil, func(zw *zip.Writer) {
				w, _ := zw.Create("other/PXL_20240506_070807123.jpg")
				w.Write(testJPEG(t, 2))
			})
		}, ErrInvalid},
		{"unknown compression method", func() []byte {
			return build([]string{"PXL_20240506_070807123.jpg"}, func(zw *zip.Writer) {
				w, _ := zw.CreateRaw(&zip.FileHeader{Name: "PXL_20240506_070807123.jpg", Method: 99, CompressedSize64: 3, UncompressedSize64: 3})
				w.Write([]byte("abc"))
			})
		}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := check(t, tt.data())
			if !errors.Is(err, tt.want) {
				t.Fatalf("Check = %+v, %v; want an error wrapping %v", res, err, tt.want)
			}
			if res != nil {
				t.Errorf("Check returned a result with its error: %+v", res)
			}
		})
	}
}

// TestSizedReader checks the count of bytes against the declared size
// without archive/zip's own check in the way.
func TestSizedReader(t *testing.T) {
	b := &bundle{src: &recordingReaderAt{}}
	for _, tt := range []struct {
		actual, declared int
		want             string
	}{
		{100, 10, "inflates past the 10 bytes it declares"},
		{10, 100, "ends after 10 of the 100 bytes it declares"},
		{50, 50, ""},
	} {
		r := &sizedReader{b: b, rc: io.NopCloser(bytes.NewReader(make([]byte, tt.actual))), name: "x", declared: uint64(tt.declared)}
		n, err := io.Copy(io.Discard, r)
		switch {
		case tt.want == "" && (err != nil || n != int64(tt.actual)):
			t.Errorf("%d of %d: read %d, %v", tt.actual, tt.declared, n, err)
		case tt.want != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%d of %d: error %v, want %q", tt.actual, tt.declared, err, tt.want)
		case n > int64(tt.declared):
			t.Errorf("%d of %d: passed on %d bytes", tt.actual, tt.declared, n)
		}
	}
}

// failingReaderAt fails as a disk might.
type failingReaderAt struct{ data []byte }

var errDisk = errors.New("input/output error")

func (f failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off > 100 {
		return 0, errDisk
	}
	return bytes.NewReader(f.data).ReadAt(p, off)
}

func TestCheckReadError(t *testing.T) {
	data := zipFiles(t, validFiles(t))
	_, err := Check(failingReaderAt{data}, int64(len(data)))
	if !errors.Is(err, errDisk) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotProofMode) {
		t.Fatalf("Check = %v, want the reader's own error", err)
	}
}

// TestCheckPrivacy checks that nothing of a proof's location, device or
// network identifiers, nor its file path, comes out of Check, even when
// the checks fail.
func TestCheckPrivacy(t *testing.T) {
	_, other := testKeys(t)
	base := validFiles(t)
	hash := sha256hex(get(base, "PXL_20240506_070807123.jpg"))
	for name, files := range map[string][]file{
		"valid":                base,
		"proof signed wrongly": with(base, hash+".proof.json.asc", sign(t, other, get(base, hash+".proof.json"))),
		"proof broken":         with(base, hash+".proof.json", []byte(`{"Location.Latitude":"`+secretLatitude+`","DeviceID":`)),
		"hash not SHA-256":     with(base, hash+".proof.json", androidJSON([]field{{"File Hash SHA256", secretDeviceID}, {"CellInfo", secretCell}})),
	} {
		res, err := check(t, zipFiles(t, files))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, _ := json.Marshal(res)
		text := string(out) + fmt.Sprintf("%#v", res)
		for _, secret := range []string{secretLatitude, secretLongitude, secretDeviceID, secretMAC, secretIPv4, secretCell, secretDir, "DCIM", "Pixel 7"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s: the result shows %q:\n%s", name, secret, text)
			}
		}
	}
}

func TestOpenMedia(t *testing.T) {
	files := validFiles(t)
	media := get(files, "PXL_20240506_070807123.jpg")
	data := zipFiles(t, files)
	rc, size, err := OpenMedia(bytes.NewReader(data), int64(len(data)), "PXL_20240506_070807123.jpg")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(media)) || !bytes.Equal(got, media) {
		t.Errorf("OpenMedia gave %d bytes (size %d), want the %d of the photo", len(got), size, len(media))
	}

	hash := sha256hex(media)
	for _, name := range []string{"pubkey.asc", hash + ".proof.json", "HowToVerifyProofData.txt", "nothing.jpg", ""} {
		if _, _, err := OpenMedia(bytes.NewReader(data), int64(len(data)), name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("OpenMedia(%q) = %v, want an error wrapping fs.ErrNotExist", name, err)
		}
	}

	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	rawEntry(t, zw, "bomb.jpg", make([]byte, 10<<20), 1000)
	zw.Close()
	rc, size, err = OpenMedia(bytes.NewReader(b.Bytes()), int64(b.Len()), "bomb.jpg")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	if !errors.Is(err, ErrInvalid) || n > size {
		t.Errorf("reading a bomb: %d bytes of %d, %v; want ErrInvalid", n, size, err)
	}
}

// TestSampleBundle checks the sample bundle kept in testdata, which also
// seeds FuzzCheck. Run with -update to write a new one.
func TestSampleBundle(t *testing.T) {
	if *update {
		if err := os.MkdirAll(filepath.Dir(sampleBundle), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sampleBundle, zipFiles(t, validFiles(t)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(sampleBundle)
	if err != nil {
		t.Fatal(err)
	}
	res, err := check(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || len(res.Media) != 1 {
		t.Errorf("sample: OK = %v, %d media; problems:\n%s", res.OK, len(res.Media), strings.Join(res.Problems, "\n"))
	}
}

func FuzzCheck(f *testing.F) {
	if data, err := os.ReadFile(sampleBundle); err == nil {
		f.Add(data)
	}
	f.Add(zipFiles(f, validFiles(f)))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Check(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !errors.Is(err, ErrNotProofMode) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("unexpected kind of error: %v", err)
			}
			if res != nil {
				t.Fatalf("result with an error")
			}
			return
		}
		if res.OK && (len(res.Problems) > 0 || len(res.Media) == 0) {
			t.Fatalf("OK with problems %q and %d media", res.Problems, len(res.Media))
		}
		if !res.OK && len(res.Problems) == 0 {
			t.Fatalf("not OK, and no problem said why")
		}
		for _, m := range res.Media {
			rc, size, err := OpenMedia(bytes.NewReader(data), int64(len(data)), m.Name)
			if err != nil {
				t.Fatalf("OpenMedia(%q) after Check: %v", m.Name, err)
			}
			n, err := io.Copy(io.Discard, rc)
			rc.Close()
			if err != nil || n != size || size != m.Size {
				t.Fatalf("OpenMedia(%q): %d bytes of %d (Check said %d), %v", m.Name, n, size, m.Size, err)
			}
		}
	})
}

// FuzzCheckContents fuzzes what is inside a well-formed zip (the public
// key, the proofs, the signatures), which FuzzCheck seldom reaches past
// the zip's checksums.
func FuzzCheckContents(f *testing.F) {
	files := validFiles(f)
	media := get(files, "PXL_20240506_070807123.jpg")
	hash := sha256hex(media)
	f.Add(get(files, "pubkey.asc"), get(files, hash+".proof.json"), get(files, hash+".proof.json.asc"), get(files, hash+".proof.csv"), get(files, hash+".asc"))
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n"), []byte(`{"File Hash SHA256":"`+hash+`"}{}`), []byte{}, []byte("a,b\nc"), []byte("\x88\x00"))
	f.Fuzz(func(t *testing.T, pubkey, js, jsSig, cs, mediaSig []byte) {
		data := zipFiles(t, []file{
			{"PXL_20240506_070807123.jpg", media},
			{hash + ".proof.json", js},
			{hash + ".proof.json.asc", jsSig},
			{hash + ".proof.csv", cs},
			{hash + ".proof.csv.asc", jsSig},
			{hash + ".asc", mediaSig},
			{"pubkey.asc", pubkey},
		})
		res, err := Check(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("unexpected kind of error: %v", err)
			}
			return
		}
		if len(res.Media) != 1 || res.Media[0].SHA256 != hash {
			t.Fatalf("media %+v, want the one photo", res.Media)
		}
		if res.OK && len(res.Problems) > 0 {
			t.Fatalf("OK with problems %q", res.Problems)
		}
	})
}
