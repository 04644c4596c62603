package bundle

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzVerify feeds Verify mutations of valid bundles. It must never panic,
// and never accept anything but a valid bundle byte for byte. The seeds
// are a few kilobytes, which Go's minimizer takes long over; fuzz with
//
//	go test -run XXX -fuzz FuzzVerify -fuzzminimizetime 2s ./internal/bundle/
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	valid := [][]byte{fx.write(f)}
	small := fx.bundle
	small.Items, small.Events = small.Items[1:2], small.Events[1:2]
	var buf bytes.Buffer
	if err := Write(&buf, small, fx.signer, nil, nil); err != nil {
		f.Fatal(err)
	}
	valid = append(valid, buf.Bytes())
	for _, v := range valid {
		f.Add(v)
		f.Add(v[:len(v)/2])
		f.Add(append(bytes.Clone(v), 0))
	}
	f.Add([]byte("PK\x05\x06"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := verifyBytes(data, fx.verifier)
		if err == nil {
			for _, v := range valid {
				if bytes.Equal(data, v) {
					return
				}
			}
			t.Fatalf("Verify accepted %d bytes that are not a bundle Write made", len(data))
		}
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Msg == "" {
			t.Fatalf("Verify failed with %v (%T), not a VerifyError with a message", err, err)
		}
	})
}
