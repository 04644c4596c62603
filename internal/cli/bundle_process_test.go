package cli_test

// Process tests of what `vigil export` makes and `vigil verify` checks
// offline: a case's bundle and a deletion receipt, whole and with one byte
// changed.

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBundleOffline exports a case with `vigil export` from a real server,
// stops the server, and checks with `vigil verify` and the log's public key
// alone that the bundle and a deletion receipt verify, and that one
// changed byte anywhere in either makes verification fail, saying what
// failed. On the way it checks what export says when there is nothing to
// export.
func TestBundleOffline(t *testing.T) {
	data := t.TempDir()
	work := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	officer := newOfficer(t, "--data", data)
	mustCLI(t, "user", "add", "carl", "--role", "commander", "--data", data)
	commander := strings.TrimSpace(mustCLI(t, "user", "token", "carl", "--name", "export", "--data", data))
	args := []string{"--data", data}
	s := startServer(t, args...)

	// Two items to export, and one captured long enough ago that its
	// schedule has ended, for a deletion receipt.
	clip := filepath.Join(work, "clip.mp4")
	clipSum := writeRandom(t, clip, 40<<10, "VIGIL-EXPORT-TEST")
	note := filepath.Join(work, "note.txt")
	const noteText = "Officer's note: the arrest at the bridge began at 14:05.\n"
	if err := os.WriteFile(note, []byte(noteText), 0o600); err != nil {
		t.Fatal(err)
	}
	noteSum := sha256.Sum256([]byte(noteText))
	old := filepath.Join(work, "old.mp4")
	writeRandom(t, old, 8<<10, "VIGIL-EXPORT-TEST")
	add := []string{"item", "add", "--class", "bodycam", "--purpose", "Arrest at the bridge, 14:05", "--server", s.url, "--token", officer}
	ids := addedItems(t, mustCLI(t, append(add, clip, note)...))
	ids[old] = addedItems(t, mustCLI(t, append(add, "--captured-at", time.Now().AddDate(0, 0, -70).UTC().Format(time.RFC3339), old)...))[old]
	if len(ids) != 3 {
		t.Fatalf("vigil item add added %v", ids)
	}

	var c struct {
		ID string `json:"id"`
	}
	if code, body := apiCall(t, "POST", s.url+"/api/cases", commander, map[string]string{"kind": "investigation", "reference": "Bridge arrest 14:05"}, &c); code != http.StatusCreated {
		t.Fatalf("POST /api/cases: %d %s", code, body)
	}
	export := func(caseID, out string) (int, string, string) {
		return vigilCLI(t, "", "export", "--case", caseID, "--purpose", "Disclosure to the defence", "-o", out, "--server", s.url, "--token", commander)
	}

	// Nothing to export yet, or no such case: a clear refusal, and no file.
	refusals := t.TempDir()
	for _, r := range []struct {
		caseID, want string
	}{
		{c.ID, "There is nothing to export: the case holds no items now"},
		{"case_nosuchcaseatall", "(404): There is nothing here"},
	} {
		code, out, errs := export(r.caseID, filepath.Join(refusals, "case.zip"))
		if code != 1 || !strings.Contains(errs, "vigil export: the server refused") || !strings.Contains(errs, r.want) || strings.Contains(out, "Wrote") {
			t.Errorf("vigil export --case %s: exit %d, want 1 and a message with %q\nstdout:\n%s\nstderr:\n%s", r.caseID, code, r.want, out, errs)
		}
	}
	if code, _, errs := vigilCLI(t, "", "export", "--case", c.ID, "--server", s.url, "--token", commander); code != 2 || !strings.Contains(errs, "--purpose") {
		t.Errorf("vigil export without --purpose: exit %d, want 2 and a word on --purpose:\n%s", code, errs)
	}
	if left, _ := os.ReadDir(refusals); len(left) > 0 {
		t.Errorf("refused exports left files: %v", left)
	}

	until := time.Now().AddDate(0, 6, 0).UTC().Format(time.RFC3339)
	for _, f := range []string{clip, note} {
		body := map[string]string{"item": ids[f], "until": until, "reason": "Evidence in the investigation of the arrest"}
		if code, b := apiCall(t, "POST", s.url+"/api/cases/"+c.ID+"/holds", commander, body, nil); code != http.StatusCreated {
			t.Fatalf("POST /api/cases/%s/holds: %d %s", c.ID, code, b)
		}
	}
	bundlePath := filepath.Join(work, "case.zip")
	if code, out, errs := export(c.ID, bundlePath); code != 0 || !strings.Contains(out, "Wrote "+bundlePath) {
		t.Fatalf("vigil export: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}

	// A restart sweeps at once: the old item is destroyed, with a receipt.
	if code := s.terminate(); code != 0 {
		t.Fatalf("vigil serve exited %d after SIGTERM\n%s", code, s.output())
	}
	s = startServer(t, args...)
	receipt := waitReceipt(t, s.url, ids[old])
	// The log's item.destroyed event names the receipt's hash.
	digest := fmt.Sprintf("sha256:%x", sha256.Sum256(receipt))
	for deadline := time.Now().Add(30 * time.Second); ; {
		var named bool
		for _, e := range readLog(t, s.url, verifier(t, data)).entries {
			named = named || bytes.Contains(e, []byte(`"item.destroyed"`)) && bytes.Contains(e, []byte(ids[old])) && bytes.Contains(e, []byte(digest))
		}
		if named {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no item.destroyed event on the log names item %s and receipt %s", ids[old], digest)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := s.terminate(); code != 0 {
		t.Fatalf("vigil serve exited %d after SIGTERM\n%s", code, s.output())
	}

	// Offline: the bundle, the receipt and the log's public key, in a
	// directory of their own, and no server.
	offline := t.TempDir()
	key := strings.TrimSpace(mustCLI(t, "keys", "public", "--data", data))
	bundle, err := os.ReadFile(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"case.zip": bundle, "receipt.txt": receipt, "log.pub": []byte(key + "\n")} {
		if err := os.WriteFile(filepath.Join(offline, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"VIGIL_DATA=" + filepath.Join(offline, "no-data"), "VIGIL_SERVER=http://127.0.0.1:9"}
	out, err := vigilCmd(t, offline, env, "verify", "case.zip", "receipt.txt", "--key", "log.pub").Output()
	if err != nil {
		t.Fatalf("vigil verify case.zip receipt.txt: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderrOf(err))
	}
	for _, want := range []string{
		`OK: case.zip verifies against the log "` + strings.SplitN(key, "+", 2)[0] + `"`,
		fmt.Sprintf("%s  bodycam  video/mp4  %d bytes  sha256 %x  checked", ids[clip], 40<<10, clipSum),
		fmt.Sprintf("%s  bodycam  text/plain  %d bytes  sha256 %x  checked", ids[note], len(noteText), noteSum),
		"OK: receipt.txt is a deletion receipt signed by the log",
		"Item " + ids[old] + " (bodycam)",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("vigil verify does not say %q:\n%s", want, out)
		}
	}

	t.Run("bundle", func(t *testing.T) { flipBundle(t, offline, bundle) })
	t.Run("directory", func(t *testing.T) { flipDir(t, offline, bundle) })
	t.Run("receipt", func(t *testing.T) { flipReceipt(t, offline, receipt) })
	t.Run("not a bundle", func(t *testing.T) { notBundles(t, offline) })
}

// addedItems reads vigil item add's output: the item added for each file.
func addedItems(t *testing.T, out string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, m := range addedLine.FindAllStringSubmatch(out, -1) {
		ids[m[1]] = m[2]
	}
	return ids
}

// waitReceipt waits until item id is destroyed and returns its deletion
// receipt, as anyone can fetch it.
func waitReceipt(t *testing.T, base, id string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, b := apiCall(t, "GET", base+"/api/items/"+id+"/receipt", "", nil, nil)
		if code == http.StatusOK {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("item %s has no deletion receipt 30s after a start swept the vault: %d %s", id, code, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// verifyFails runs vigil verify on path in this process (cli.Run, the
// command's own code) and checks that it fails with a message that is
// not a crash, naming the file in the bag named want, if any. It returns
// the message.
func verifyFails(t *testing.T, dir, path, want, what string) string {
	t.Helper()
	code, out, errs := vigilCLI(t, "", "verify", path, "--key", filepath.Join(dir, "log.pub"))
	prefix := "FAILED: " + path + " does NOT verify: "
	msg := strings.TrimSpace(strings.TrimPrefix(out, prefix))
	switch {
	case code != 1:
		t.Errorf("%s: vigil verify exit %d, want 1\nstdout:\n%s\nstderr:\n%s", what, code, out, errs)
	case !strings.HasPrefix(out, prefix) || strings.Contains(out, "OK:") || len(msg) < 20 || strings.Count(out, "\n") != 1:
		t.Errorf("%s: vigil verify says\n%s\nwant one line starting %q and saying what failed", what, out, prefix)
	case strings.Contains(out+errs, "panic") || strings.Contains(out+errs, "goroutine "):
		t.Errorf("%s: vigil verify crashed:\n%s%s", what, out, errs)
	case errs != "vigil verify: 1 of 1 files do not verify\n":
		t.Errorf("%s: vigil verify's error output is %q", what, errs)
	case want != "" && !strings.Contains(msg, want):
		t.Errorf("%s: vigil verify's message does not name %s: %s", what, want, msg)
	}
	return msg
}

// zipMember is one file of a ZIP, where its parts are.
type zipMember struct {
	name         string // bag path, without the bundle/ directory
	header, data int64  // offsets of its local header and its content
	size         int64
	cd           int64 // offset of its central directory entry
	cdLen        int64
}

// zipLayout reads where the parts of a ZIP file are, with archive/zip and
// by walking the central directory as APPNOTE.TXT describes it.
func zipLayout(t *testing.T, b []byte) (members []zipMember, cdStart, eocd int64) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the bundle is not a ZIP file: %v", err)
	}
	eocd = int64(len(b)) - 22
	le := binary.LittleEndian
	if le.Uint32(b[eocd:]) != 0x06054b50 || len(zr.File) < 10 {
		t.Fatalf("the bundle does not end with a plain end-of-central-directory record, or holds only %d files", len(zr.File))
	}
	cdStart = int64(le.Uint32(b[eocd+16:]))
	off := cdStart
	for _, f := range zr.File {
		if le.Uint32(b[off:]) != 0x02014b50 {
			t.Fatalf("no central directory entry at byte %d", off)
		}
		n := int64(le.Uint16(b[off+28:])) + int64(le.Uint16(b[off+30:])) + int64(le.Uint16(b[off+32:]))
		data, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, zipMember{
			name: strings.TrimPrefix(f.Name, "bundle/"), header: int64(le.Uint32(b[off+42:])), data: data,
			size: int64(f.CompressedSize64), cd: off, cdLen: 46 + n,
		})
		off += 46 + n
	}
	if off != eocd {
		t.Fatalf("the central directory ends at byte %d, the end record begins at %d", off, eocd)
	}
	return members, cdStart, eocd
}

// flipBundle changes one bit of one byte of the bundle at a time, at
// positions spread over the whole file and in every part of every member,
// and checks that each copy fails to verify, saying which file when the
// byte is in a member's header or content.
func flipBundle(t *testing.T, dir string, bundle []byte) {
	members, cdStart, eocd := zipLayout(t, bundle)
	size := int64(len(bundle))
	pos := map[int64]bool{size - 1: true}
	for p := int64(0); p < size; p += 37 {
		pos[p] = true
	}
	for _, m := range members {
		for _, p := range []int64{m.header, m.header + 14, m.header + 22, m.header + 30, m.data - 1,
			m.data, m.data + m.size/2, m.data + m.size - 1,
			m.cd, m.cd + 16, m.cd + 24, m.cd + 42, m.cd + 46, m.cd + m.cdLen - 1} {
			pos[p] = true
		}
	}
	for p := eocd; p < size; p++ {
		pos[p] = true
	}
	positions := slices.Sorted(func(yield func(int64) bool) {
		for p := range pos {
			if !yield(p) {
				return
			}
		}
	})
	path := filepath.Join(dir, "flipped.zip")
	b := bytes.Clone(bundle)
	parts := map[string]int{}
	for _, p := range positions {
		want, part := "", "the central directory"
		switch {
		case p >= eocd:
			part = "the end record"
		case p < cdStart:
			for _, m := range members {
				if p >= m.header && p < m.data+m.size {
					want, part = m.name, "a member's header"
					if p >= m.data {
						part = "a member's content"
					}
				}
			}
		}
		parts[part]++
		b[p] ^= 1 << (p % 8)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		verifyFails(t, dir, path, want, fmt.Sprintf("byte %d (in %s %s) flipped", p, part, want))
		b[p] = bundle[p]
	}
	t.Logf("tried %d single-byte changes in a bundle of %d bytes, %d files: %v", len(positions), size, len(members), parts)
	if parts["a member's content"] < 2*len(members)-2 || parts["the central directory"] < 3*len(members) {
		t.Errorf("the positions missed parts of the bundle: %v", parts)
	}
	// The original still verifies: the test changed copies only.
	if code, out, errs := vigilCLI(t, "", "verify", filepath.Join(dir, "case.zip"), "--key", filepath.Join(dir, "log.pub")); code != 0 {
		t.Errorf("the untouched bundle no longer verifies: exit %d\n%s%s", code, out, errs)
	}
}

// flipDir unpacks the bundle into a directory, which verifies, then
// changes one byte in the middle of each file in turn: verification of the
// directory fails, naming the file.
func flipDir(t *testing.T, dir string, bundle []byte) {
	zr, err := zip.NewReader(bytes.NewReader(bundle), int64(len(bundle)))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "unpacked")
	if err := os.CopyFS(root, zr); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := vigilCLI(t, "", "verify", root, "--key", filepath.Join(dir, "log.pub")); code != 0 || !strings.HasPrefix(out, "OK: "+root+" verifies") {
		t.Fatalf("the unpacked bundle does not verify: exit %d\n%s%s", code, out, errs)
	}
	n := 0
	err = filepath.WalkDir(filepath.Join(root, "bundle"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(root, "bundle"), p)
		orig, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b := bytes.Clone(orig)
		b[len(b)/2] ^= 0x01
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return err
		}
		verifyFails(t, dir, root, "check failed: "+rel+": ", "unpacked "+rel+" changed")
		n++
		return os.WriteFile(p, orig, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("changed only %d files of the unpacked bundle", n)
	}
	t.Logf("tried a change to each of the %d unpacked files", n)
}

// flipReceipt changes each byte of a deletion receipt in turn.
func flipReceipt(t *testing.T, dir string, receipt []byte) {
	if !bytes.HasPrefix(receipt, []byte("vigil deletion receipt v1\n")) {
		t.Fatalf("the receipt does not begin as one:\n%s", receipt)
	}
	path := filepath.Join(dir, "flipped-receipt.txt")
	b := bytes.Clone(receipt)
	for p := range receipt {
		b[p] ^= 1 << (p % 8)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		verifyFails(t, dir, path, "", fmt.Sprintf("receipt byte %d (%q in line %d) flipped", p, receipt[p], bytes.Count(receipt[:p], []byte("\n"))+1))
		b[p] = receipt[p]
	}
	t.Logf("tried a change to each of the %d bytes of the receipt", len(receipt))
}

// notBundles gives vigil verify files that are not bundles.
func notBundles(t *testing.T, dir string) {
	var plain bytes.Buffer
	zw := zip.NewWriter(&plain)
	for _, name := range []string{"bundle/bagit.txt", "bundle/data/items/x/clip.mp4"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "not a Vigil bundle: %s\n", name)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		want *regexp.Regexp
	}{
		{"plain.zip", plain.Bytes(), regexp.MustCompile(`^container check failed: `)},
		{"empty.zip", nil, regexp.MustCompile(`too short to be a ZIP file`)},
		{"notes.txt", []byte("Meeting notes, not a bundle.\n"), regexp.MustCompile(`is not a bundle`)},
	} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if msg := verifyFails(t, dir, p, "", c.name); !c.want.MatchString(msg) {
			t.Errorf("vigil verify %s: %q does not match %q", c.name, msg, c.want)
		}
	}
}
