package bundle

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/ledger"
)

// checkBag checks a bag whose files have been read, top down: the
// signature over the tag manifest, the tag manifest over the tag files, the
// manifest over the payload, then what the payload says. Checking in that
// order blames the first link that broke, not a file downstream of it.
func checkBag(files map[string]*summary, v note.Verifier, decrypting bool) (*Report, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sortPaths(paths)

	// Tag files: exactly the five.
	tagFiles := []string{bagitTxt, bagInfoTxt, manifestTxt, tagManifestTxt, signatureTxt}
	for _, p := range paths {
		if isTag(p) && !contains(tagFiles, p) {
			return nil, verr(p, "bagit", "a Vigil bundle holds no such tag file: it was added to the bag")
		}
	}
	for _, p := range tagFiles {
		if files[p] == nil {
			return nil, verr(p, "bagit", "it is missing from the bag")
		}
	}

	// The signature, over the tag manifest.
	n, err := note.Open(files[signatureTxt].data, note.VerifierList(v))
	if err != nil {
		return nil, signatureErr(signatureTxt, "the bundle", v, err)
	}
	tmSum := files[tagManifestTxt].sha
	if want := signatureText(tmSum); n.Text != want {
		signed, _ := strings.CutPrefix(n.Text, signatureHeader+"tagmanifest-sha256 ")
		if !strings.HasPrefix(n.Text, signatureHeader) {
			return nil, verr(signatureTxt, "signature", "it is signed, but it does not say %q", strings.TrimSpace(signatureHeader))
		}
		return nil, verr(tagManifestTxt, "signature", "its SHA-256 is %x but %s signs %s", tmSum, signatureTxt, strings.TrimSpace(signed))
	}

	// The tag manifest, over the other tag files.
	tm, err := parseManifest(files[tagManifestTxt].data)
	if err != nil {
		return nil, verr(tagManifestTxt, "manifest", "%v", err)
	}
	for _, p := range []string{bagitTxt, bagInfoTxt, manifestTxt} {
		if err := checkSum(files, p, tm, tagManifestTxt); err != nil {
			return nil, err
		}
	}
	if len(tm) != 3 {
		for p := range tm {
			if !contains([]string{bagitTxt, bagInfoTxt, manifestTxt}, p) {
				return nil, verr(tagManifestTxt, "manifest", "it lists %s, which a Vigil bundle's tag manifest does not", p)
			}
		}
	}
	if string(files[bagitTxt].data) != bagitContent {
		return nil, verr(bagitTxt, "bagit", "it does not declare BagIt 1.0 in UTF-8 as a Vigil bundle does")
	}

	// The manifest, over the payload, both ways.
	m, err := parseManifest(files[manifestTxt].data)
	if err != nil {
		return nil, verr(manifestTxt, "manifest", "%v", err)
	}
	var octets int64
	var count int
	for _, p := range paths {
		if isTag(p) {
			continue
		}
		if _, ok := m[p]; !ok {
			return nil, verr(p, "manifest", "it is not listed in %s: it was added to the bag", manifestTxt)
		}
		if err := checkSum(files, p, m, manifestTxt); err != nil {
			return nil, err
		}
		octets += files[p].size
		count++
	}
	listed := make([]string, 0, len(m))
	for p := range m {
		listed = append(listed, p)
	}
	sort.Strings(listed)
	for _, p := range listed {
		if isTag(p) {
			return nil, verr(manifestTxt, "manifest", "it lists %s, which is not a payload file", p)
		}
		if files[p] == nil {
			return nil, verr(p, "manifest", "it is listed in %s but missing from the bag", manifestTxt)
		}
	}

	// bag-info.txt.
	fields, err := parseBagInfo(files[bagInfoTxt].data)
	if err != nil {
		return nil, verr(bagInfoTxt, "bagit", "%v", err)
	}
	info := make(map[string]string, len(fields))
	for _, f := range fields {
		info[f.Label] = f.Value
	}
	for _, l := range []string{"Bagging-Date", "Payload-Oxum", "Bag-Software-Agent", "Vigil-Log-Origin", "Vigil-Checkpoint-Size"} {
		if _, ok := info[l]; !ok {
			return nil, verr(bagInfoTxt, "bagit", "it has no %s field", l)
		}
	}
	if want := fmt.Sprintf("%d.%d", octets, count); info["Payload-Oxum"] != want {
		return nil, verr(bagInfoTxt, "bagit", "its Payload-Oxum is %s, but the payload is %d bytes in %d files (%s)", info["Payload-Oxum"], octets, count, want)
	}

	// The checkpoint.
	if files[checkpointFile] == nil {
		return nil, verr(checkpointFile, "checkpoint", "it is missing from the bag")
	}
	cp, err := ledger.ParseCheckpoint(files[checkpointFile].data, v)
	if err != nil {
		return nil, signatureErr(checkpointFile, "the checkpoint", v, err)
	}
	if info["Vigil-Log-Origin"] != cp.Origin {
		return nil, verr(bagInfoTxt, "checkpoint", "its Vigil-Log-Origin is %q, but the checkpoint is of log %q", info["Vigil-Log-Origin"], cp.Origin)
	}
	if info["Vigil-Checkpoint-Size"] != strconv.FormatUint(cp.Size, 10) {
		return nil, verr(bagInfoTxt, "checkpoint", "its Vigil-Checkpoint-Size is %s, but the checkpoint has %d entries", info["Vigil-Checkpoint-Size"], cp.Size)
	}

	// What the payload holds.
	custody, items, err := layout(paths)
	if err != nil {
		return nil, err
	}
	entries, err := checkCustody(files, custody, cp)
	if err != nil {
		return nil, err
	}
	reports, err := checkItems(files, items, entries, decrypting)
	if err != nil {
		return nil, err
	}
	rep := &Report{Origin: cp.Origin, CheckpointSize: cp.Size, RootHash: cp.Hash, Checkpoint: bytes.Clone(files[checkpointFile].data), Events: len(entries), Items: reports, Info: info}
	rep.Summary = summarize(rep)
	return rep, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkSum checks file p's hash against a manifest.
func checkSum(files map[string]*summary, p string, m map[string]string, manifest string) error {
	want, ok := m[p]
	if !ok {
		return verr(manifest, "manifest", "it does not list %s", p)
	}
	if got := hex.EncodeToString(files[p].sha[:]); got != want {
		return verr(p, "manifest", "its SHA-256 is %s but %s says %s", got, manifest, want)
	}
	return nil
}

// signatureErr explains why a signed note does not verify.
func signatureErr(file, what string, v note.Verifier, err error) error {
	var unverified *note.UnverifiedNoteError
	var invalidSig *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		var by []string
		for _, s := range unverified.Note.UnverifiedSigs {
			by = append(by, fmt.Sprintf("%s (key %08x)", s.Name, s.Hash))
		}
		return verr(file, "signature", "%s is not signed by the key of %q (key %08x); it carries signatures by %s: it was altered, or it is another log's, or the wrong key was given", what, v.Name(), v.KeyHash(), strings.Join(by, ", "))
	case errors.As(err, &invalidSig):
		return verr(file, "signature", "the signature of %q on %s is not valid: the file was altered", invalidSig.Name, what)
	}
	return verr(file, "signature", "%s is not a valid signed note: %v", what, err)
}

// layout sorts the payload files into custody events (by log index) and
// items (by ID, then file name), refusing anything else.
func layout(paths []string) (map[uint64][2]string, map[string][]string, error) {
	custody := map[uint64][2]string{}
	items := map[string][]string{}
	for _, p := range paths {
		switch {
		case isTag(p), p == checkpointFile:
			continue
		case strings.HasPrefix(p, custodyDir):
			name := strings.TrimPrefix(p, custodyDir)
			kind := 0
			num, ok := strings.CutSuffix(name, entrySuffix)
			if !ok {
				kind = 1
				num, ok = strings.CutSuffix(name, proofSuffix)
			}
			i, err := strconv.ParseUint(num, 10, 64)
			if !ok || err != nil || strconv.FormatUint(i, 10) != num {
				return nil, nil, verr(p, "custody", "it is not <log index>%s or <log index>%s", entrySuffix, proofSuffix)
			}
			c := custody[i]
			c[kind] = p
			custody[i] = c
		case strings.HasPrefix(p, itemsDir) && strings.Count(p, "/") == 3:
			id, _, _ := strings.Cut(strings.TrimPrefix(p, itemsDir), "/")
			items[id] = append(items[id], p)
		default:
			return nil, nil, verr(p, "bagit", "a Vigil bundle holds no such file")
		}
	}
	return custody, items, nil
}

// checkCustody checks each custody event: its entry is well-formed and in
// the log under the checkpoint.
func checkCustody(files map[string]*summary, custody map[uint64][2]string, cp *f_log.Checkpoint) (map[uint64]ledger.Entry, error) {
	idx := make([]uint64, 0, len(custody))
	for i := range custody {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	entries := make(map[uint64]ledger.Entry, len(custody))
	for _, i := range idx {
		name := custodyDir + strconv.FormatUint(i, 10)
		entryPath, proofPath := name+entrySuffix, name+proofSuffix
		if custody[i][0] == "" {
			return nil, verr(entryPath, "custody", "it is missing, but %s is there", proofPath)
		}
		if custody[i][1] == "" {
			return nil, verr(proofPath, "custody", "it is missing, but %s is there", entryPath)
		}
		var pf proofFile
		if err := unmarshalJSON(files[proofPath].data, &pf); err != nil {
			return nil, verr(proofPath, "custody", "%v", err)
		}
		if pf.Index != i {
			return nil, verr(proofPath, "custody", "it proves log index %d, but its name says %d", pf.Index, i)
		}
		if pf.TreeSize != cp.Size {
			return nil, verr(proofPath, "custody", "it proves inclusion in a tree of %d entries, but the checkpoint has %d", pf.TreeSize, cp.Size)
		}
		entry := files[entryPath].data
		leaf := rfc6962.DefaultHasher.HashLeaf(entry)
		if !bytes.Equal(pf.LeafHash, leaf) {
			return nil, verr(proofPath, "custody", "its leaf hash is %x, but %s hashes to %x", pf.LeafHash, entryPath, leaf)
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, cp.Size, leaf, pf.Inclusion, cp.Hash); err != nil {
			return nil, verr(entryPath, "custody", "its inclusion proof does not verify against the checkpoint (%v): it is not the entry the log holds at index %d", err, i)
		}
		en, err := ledger.ParseEntry(entry)
		if err != nil {
			return nil, verr(entryPath, "custody", "it is not a well-formed Vigil log entry: %v", err)
		}
		entries[i] = en
	}
	return entries, nil
}

// checkItems checks each item: its metadata, its ingest event, and its
// content against both.
func checkItems(files map[string]*summary, items map[string][]string, entries map[uint64]ledger.Entry, decrypting bool) ([]ItemReport, error) {
	ids := make([]string, 0, len(items))
	for id := range items {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []ItemReport
	commits := map[string]string{}
	for _, id := range ids {
		dir := itemsDir + id + "/"
		metaPath := dir + itemJSON
		if files[metaPath] == nil {
			return nil, verr(metaPath, "item", "it is missing, but %s holds other files", dir)
		}
		var m ItemMeta
		if err := unmarshalJSON(files[metaPath].data, &m); err != nil {
			return nil, verr(metaPath, "item", "%v", err)
		}
		if m.ID != id {
			return nil, verr(metaPath, "item", "it describes item %q, but it is in the directory of item %q", m.ID, id)
		}
		if m.Filename == "" {
			return nil, verr(metaPath, "item", "it names no content file")
		}
		if err := m.check(); err != nil {
			return nil, verr(metaPath, "item", "%v", err)
		}
		r := ItemReport{Meta: m}
		for _, p := range items[id] {
			switch p {
			case metaPath:
			case dir + m.Filename, dir + m.Filename + ageSuffix:
				if r.File != "" {
					return nil, verr(p, "item", "item %s has two content files, %s and this one", id, r.File)
				}
				r.File, r.Encrypted = p, p != dir+m.Filename
			default:
				return nil, verr(p, "item", "it is not item %s's content file, which %s names %q", id, itemJSON, m.Filename)
			}
		}
		if r.File == "" {
			return nil, verr(dir+m.Filename, "item", "item %s's content file is missing", id)
		}
		var err error
		if r.IngestIndex, err = findIngest(entries, m); err != nil {
			return nil, verr(metaPath, "item", "%v", err)
		}
		s := files[r.File]
		size, sha := s.size, s.sha
		if r.Encrypted {
			if !decrypting {
				out = append(out, r)
				commits[id] = m.Commitment
				continue
			}
			if s.plain == nil {
				return nil, verr(r.File, "item", "it was not decrypted")
			}
			if s.plain.err != nil {
				return nil, verr(r.File, "item", "it cannot be decrypted with the given identities: %v", s.plain.err)
			}
			size, sha = s.plain.size, s.plain.sha
		}
		what := "it"
		if r.Encrypted {
			what = "decrypted, it"
		}
		if size != m.Size {
			return nil, verr(r.File, "item", "%s is %d bytes, but %s says %d", what, size, metaPath, m.Size)
		}
		if got := hex.EncodeToString(sha[:]); got != m.SHA256 {
			return nil, verr(r.File, "item", "%s has SHA-256 %s, but %s says %s", what, got, metaPath, m.SHA256)
		}
		r.Checked = true
		out = append(out, r)
		commits[id] = m.Commitment
	}
	for _, r := range out {
		m := r.Meta
		if c, ok := commits[m.ParentID]; ok && m.ParentCommitment != "" && c != m.ParentCommitment {
			return nil, verr(itemsDir+m.ID+"/"+itemJSON, "item", "its parent commitment %s is not the commitment %s of its parent %s in this bundle", m.ParentCommitment, c, m.ParentID)
		}
	}
	return out, nil
}

// summarize says what was verified, for people.
func summarize(r *Report) string {
	var b strings.Builder
	checked, unchecked := 0, 0
	for _, it := range r.Items {
		if it.Checked {
			checked++
		} else {
			unchecked++
		}
	}
	fmt.Fprintf(&b, "Bundle verified: %d items (%d checked", len(r.Items), checked)
	if unchecked > 0 {
		fmt.Fprintf(&b, ", %d encrypted, not checked", unchecked)
	}
	fmt.Fprintf(&b, "), %d custody events in log %q, proven against its checkpoint of %d entries (root %x).\n", r.Events, r.Origin, r.CheckpointSize, r.RootHash)
	for _, it := range r.Items {
		m := it.Meta
		fmt.Fprintf(&b, "  %s: %s, %s, %d bytes, %s; ingested at log entry %d, commitment %s", m.ID, m.Class, m.MediaType, m.Size, it.Status(), it.IngestIndex, m.Commitment)
		if m.ParentID != "" {
			fmt.Fprintf(&b, "; segment %s of item %s", m.Segment, m.ParentID)
			if m.ParentCommitment != "" {
				fmt.Fprintf(&b, " (commitment %s)", m.ParentCommitment)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
