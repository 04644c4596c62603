package bundle

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the bag's text formats, shared by Write and Verify.

// manifestText is a BagIt manifest: one "<sha256 hex>  <path>" line per
// file, in byte order of path. Two spaces, as sha256sum writes, so that
// `sha256sum -c manifest-sha256.txt` checks a bag unpacked by hand.
func manifestText(sums map[string][32]byte) []byte {
	paths := make([]string, 0, len(sums))
	for p := range sums {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b bytes.Buffer
	for _, p := range paths {
		s := sums[p]
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(s[:]), p)
	}
	return b.Bytes()
}

var manifestLine = regexp.MustCompile(`^([0-9a-f]{64})  (\S+)$`)

// parseManifest reads a manifest as manifestText writes it.
func parseManifest(b []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(b) == 0 {
		return out, nil
	}
	if b[len(b)-1] != '\n' {
		return nil, fmt.Errorf("its last line does not end in a newline")
	}
	for n, line := range strings.Split(string(b[:len(b)-1]), "\n") {
		m := manifestLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("line %d is not \"<sha256 in hex>  <path>\"", n+1)
		}
		if !validPath(m[2]) {
			return nil, fmt.Errorf("line %d names %q, which is not a safe path", n+1, m[2])
		}
		if _, dup := out[m[2]]; dup {
			return nil, fmt.Errorf("line %d lists %s a second time", n+1, m[2])
		}
		out[m[2]] = m[1]
	}
	return out, nil
}

// infoField is one bag-info.txt line.
type infoField struct{ Label, Value string }

var infoLabel = regexp.MustCompile(`^[A-Za-z][A-Za-z-]{0,63}$`)

// reservedInfo are the bag-info.txt labels Write sets itself.
var reservedInfo = []string{"Bag-Software-Agent", "Payload-Oxum", "Vigil-Log-Origin", "Vigil-Checkpoint-Size", "Bag-Size", "BagIt-Version"}

// checkInfoValue reports whether v is a value bag-info.txt can hold: one
// line of printable UTF-8 without surrounding space.
func checkInfoValue(v string) error {
	if len(v) > 1024 {
		return fmt.Errorf("value is %d bytes long, more than 1024", len(v))
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("value is not UTF-8")
	}
	if strings.TrimSpace(v) != v {
		return fmt.Errorf("value begins or ends with space")
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("value holds the unprintable character %U", r)
		}
	}
	return nil
}

func bagInfoText(fields []infoField) []byte {
	var b bytes.Buffer
	for _, f := range fields {
		fmt.Fprintf(&b, "%s: %s\n", f.Label, f.Value)
	}
	return b.Bytes()
}

// parseBagInfo reads bag-info.txt as bagInfoText writes it: one
// "Label: value" per line, no label twice.
func parseBagInfo(b []byte) ([]infoField, error) {
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("it is not UTF-8")
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return nil, fmt.Errorf("it is empty or its last line does not end in a newline")
	}
	var out []infoField
	seen := map[string]bool{}
	for n, line := range strings.Split(string(b[:len(b)-1]), "\n") {
		label, value, ok := strings.Cut(line, ": ")
		if !ok || !infoLabel.MatchString(label) {
			return nil, fmt.Errorf("line %d is not \"Label: value\"", n+1)
		}
		if err := checkInfoValue(value); err != nil {
			return nil, fmt.Errorf("line %d (%s): %v", n+1, label, err)
		}
		if seen[strings.ToLower(label)] {
			return nil, fmt.Errorf("line %d repeats the label %s", n+1, label)
		}
		seen[strings.ToLower(label)] = true
		out = append(out, infoField{label, value})
	}
	return out, nil
}

// signatureText is the text of vigil-signature.txt's note.
func signatureText(tagManifestSum [32]byte) string {
	return signatureHeader + "tagmanifest-sha256 " + hex.EncodeToString(tagManifestSum[:]) + "\n"
}

// proofFile is data/custody/<index>.proof.json.
type proofFile struct {
	Index     uint64   `json:"index"`
	TreeSize  uint64   `json:"tree_size"`
	LeafHash  []byte   `json:"leaf_hash"`
	Inclusion [][]byte `json:"inclusion"`
}

// marshalJSON is how the bag writes JSON: indented, with a final newline.
func marshalJSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// unmarshalJSON reads JSON that marshalJSON wrote: it refuses unknown
// fields, trailing data, and any other form of the same value (spacing,
// key order, repeated keys), so a file has exactly one valid form.
func unmarshalJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("it is not valid: %v", err)
	}
	if dec.More() {
		return fmt.Errorf("it has data after its JSON value")
	}
	again, err := marshalJSON(v)
	if err != nil || !bytes.Equal(again, b) {
		return fmt.Errorf("it is not in the form Vigil writes (spacing, key order or repeated keys differ)")
	}
	return nil
}
