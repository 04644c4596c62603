package witness

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// ParseLogKeys reads the public keys of the logs a witness witnesses: one
// key in note format (name+hash+key, as `vigil keys public` prints it) per
// line, with blank lines and lines starting with '#' ignored. A key's name
// is its log's origin, the first line of the log's checkpoints. A log may
// have more than one key (while it rotates keys); its checkpoints need a
// signature by one of them.
func ParseLogKeys(text []byte) ([]note.Verifier, error) {
	var out []note.Verifier
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := note.NewVerifier(line)
		if err != nil {
			return nil, fmt.Errorf("witness: line %d is not a log's public key (name+hash+key): %w", n, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	return out, nil
}
