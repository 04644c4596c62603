package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"testing"
)

// FuzzParseAddRequest: any body either parses into a request that writes
// back as the same bytes, or is refused; never a panic.
func FuzzParseAddRequest(f *testing.F) {
	h := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	cp := "vigil.example.org/log\n12\nBL1MQ4QTGFbZYj3Q3jeqgTWFaKsqPeB/dLY1W/zxvS4=\n\n— vigil.example.org/log nB3QXwAAAAAA\n"
	for _, s := range []string{
		"old 0\n\n" + cp,
		"old 8\n" + h + "\n" + h + "\n\n" + cp,
		"old 08\n\n" + cp,
		"old 1\n" + h + "\n",
		"old \n\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseAddRequest(body)
		if err != nil {
			return
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "old %d\n", req.OldSize)
		for _, p := range req.Proof {
			if len(p) != 32 {
				t.Fatalf("a proof hash of %d bytes", len(p))
			}
			b.WriteString(base64.StdEncoding.EncodeToString(p) + "\n")
		}
		b.WriteString("\n")
		b.Write(req.Checkpoint)
		if !bytes.Equal(b.Bytes(), body) || len(req.Proof) > maxProofLines || len(req.Checkpoint) == 0 {
			t.Fatalf("%q parsed as %+v, which writes back as %q", body, req, b.Bytes())
		}
	})
}
