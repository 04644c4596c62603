package bundle

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	id1, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	plain := f.write(t)
	encrypted := f.write(t, id1.Recipient(), id2.Recipient())

	for _, tc := range []struct {
		name      string
		data      []byte
		ids       []age.Identity
		encrypted bool
		checked   bool
	}{
		{"plain", plain, nil, false, true},
		{"plain, identity given", plain, []age.Identity{id1}, false, true},
		{"encrypted, first recipient", encrypted, []age.Identity{id1}, true, true},
		{"encrypted, second recipient", encrypted, []age.Identity{other, id2}, true, true},
		{"encrypted, no identity", encrypted, nil, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := verifyBytes(tc.data, f.verifier, tc.ids...)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			var want []ItemReport
			for _, it := range f.bundle.Items {
				m := it.Meta
				m.Filename = m.contentName()
				file := itemsDir + m.ID + "/" + m.Filename
				if tc.encrypted {
					file += ageSuffix
				}
				want = append(want, ItemReport{Meta: m, File: file, Encrypted: tc.encrypted, Checked: tc.checked, IngestIndex: ingestIndex(f, m.ID)})
			}
			sortReports(want)
			if diff := cmp.Diff(want, rep.Items); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if rep.Events != 4 || rep.CheckpointSize != 6 || rep.Origin != testOrigin {
				t.Errorf("report: %d events, checkpoint %d of %q; want 4, 6, %q", rep.Events, rep.CheckpointSize, rep.Origin, testOrigin)
			}
			wantInfo := map[string]string{
				"Bag-Software-Agent": "vigil", "Bagging-Date": "2026-03-02", "Vigil-Log-Origin": testOrigin, "Vigil-Checkpoint-Size": "6",
				"Vigil-Case": "case_x", "Vigil-Exported-By-Role": "commander", "Payload-Oxum": rep.Info["Payload-Oxum"],
			}
			if diff := cmp.Diff(wantInfo, rep.Info); diff != "" {
				t.Errorf("bag-info (-want +got):\n%s", diff)
			}
			status := "checked"
			if tc.encrypted && tc.checked {
				status = "decrypted and checked"
			} else if tc.encrypted {
				status = "encrypted, not checked"
			}
			if !strings.Contains(rep.Summary, status) || !strings.Contains(rep.Summary, "segment t=00:00:01.000-00:00:02.000 of item itm_bcdfghjklmnpqrstvwx") {
				t.Errorf("summary does not say %q or name the segment's parent:\n%s", status, rep.Summary)
			}
			t.Logf("%d bytes\n%s", len(tc.data), rep.Summary)
		})
	}

	t.Run("encrypted, wrong identity", func(t *testing.T) {
		_, err := verifyBytes(encrypted, f.verifier, other)
		ve := mustFail(t, err, "item")
		if !strings.Contains(ve.Msg, "cannot be decrypted") {
			t.Errorf("message %q does not say the content cannot be decrypted", ve.Msg)
		}
	})

	t.Run("any ZIP tool reads it", func(t *testing.T) {
		files := unpack(t, plain)
		a := f.bundle.Items[0]
		rc, _ := a.Open()
		content, _ := io.ReadAll(rc)
		if got := files["data/items/"+a.Meta.ID+"/clip.mp4"]; !bytes.Equal(got, content) {
			t.Errorf("content of item a differs after unpacking")
		}
		if string(files[bagitTxt]) != bagitContent {
			t.Errorf("bagit.txt = %q", files[bagitTxt])
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		if again := f.write(t); !bytes.Equal(again, plain) {
			t.Errorf("two writes of the same bundle differ")
		}
	})
}

func ingestIndex(f *fixture, id string) uint64 {
	for i, ev := range f.bundle.Events {
		if ev.Decoded.Type == ingestType && ev.Decoded.Facts["item"] == id {
			return f.bundle.Events[i].Index
		}
	}
	return 0
}

func sortReports(r []ItemReport) {
	for i := range r {
		for j := i + 1; j < len(r); j++ {
			if r[j].Meta.ID < r[i].Meta.ID {
				r[i], r[j] = r[j], r[i]
			}
		}
	}
}

func TestProgress(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	var wrote int64
	if err := Write(&buf, f.bundle, f.signer, nil, func(n int64) { wrote = n }); err != nil {
		t.Fatal(err)
	}
	var checked int64
	if _, err := Verify(bytes.NewReader(buf.Bytes()), int64(buf.Len()), f.verifier, nil, func(n int64) { checked = n }); err != nil {
		t.Fatal(err)
	}
	if wrote != int64(buf.Len()) || checked != int64(buf.Len()) {
		t.Errorf("progress ended at %d written and %d checked, want %d", wrote, checked, buf.Len())
	}
}

func TestWriteRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(f *fixture)
		want   string
	}{
		{"missing ingest event", func(f *fixture) { f.bundle.Events = f.bundle.Events[1:] }, "no item.ingested event"},
		{"ingest event of other content", func(f *fixture) {
			other := testItem(f.bundle.Items[0].Meta.ID, "video", "video/mp4", "x", []byte("other"))
			f.bundle.Items[0] = other
		}, "does not commit to its content"},
		{"event against another checkpoint", func(f *fixture) {
			f.bundle.Events[1].Checkpoint = strings.Replace(f.bundle.Checkpoint, "6\n", "7\n", 1)
		}, "another checkpoint"},
		{"bad inclusion proof", func(f *fixture) {
			f.bundle.Events[1].Inclusion[0] = bytes.Repeat([]byte{1}, 32)
		}, "does not verify"},
		{"checkpoint of another key", func(f *fixture) {
			f.signer, _ = testKeys(t, testOrigin, "another key")
		}, "not signed by the bundle's key"},
		{"unsafe file name", func(f *fixture) { f.bundle.Items[0].Meta.Filename = "../../etc/passwd" }, "not a safe base name"},
		{"unsafe ID", func(f *fixture) { f.bundle.Items[0].Meta.ID = "itm/../x" }, "not a safe name"},
		{"commitment does not open", func(f *fixture) { f.bundle.Items[0].Meta.Salt = "00" }, "does not open"},
		{"duplicate item", func(f *fixture) { f.bundle.Items = append(f.bundle.Items, f.bundle.Items[0]) }, "twice"},
		{"info label", func(f *fixture) { f.bundle.Info["Bad Label"] = "x" }, "label"},
		{"info value on two lines", func(f *fixture) { f.bundle.Info["Vigil-Case"] = "a\nb" }, "unprintable"},
		{"reserved info", func(f *fixture) { f.bundle.Info["payload-oxum"] = "1.1" }, "set by Vigil"},
		{"content is not what the metadata says", func(f *fixture) {
			f.bundle.Items[1].Open = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(strings.Repeat("x", 300))), nil }
		}, "SHA-256"},
		{"content longer than the metadata says", func(f *fixture) {
			f.bundle.Items[1].Open = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(strings.Repeat("x", 301))), nil }
		}, "more than 300"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.change(f)
			err := Write(io.Discard, f.bundle, f.signer, nil, nil)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Write: %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Write: %v, want it to say %q", err, tc.want)
			}
		})
	}
}
