package witness

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// addRequest is the body of an add-checkpoint request.
type addRequest struct {
	// OldSize is the size of the checkpoint the client believes the
	// witness last cosigned.
	OldSize uint64
	// Proof is the consistency proof from OldSize to the checkpoint.
	Proof [][]byte
	// Checkpoint is the checkpoint note, with its signatures.
	Checkpoint []byte
}

// Limits of the protocol, and of what the witness reads.
const (
	// maxProofLines is the longest consistency proof a client may send.
	maxProofLines = 63
	// maxRequest bounds a request body: a checkpoint with a few dozen
	// signatures and the longest proof fit many times over.
	maxRequest = 64 << 10
)

// parseAddRequest parses an add-checkpoint body: an old size line, zero or
// more consistency proof lines (base64 hashes), an empty line and the
// checkpoint, every line ending in a newline.
func parseAddRequest(body []byte) (addRequest, error) {
	var req addRequest
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return req, errors.New("the body has no old size line")
	}
	num, ok := bytes.CutPrefix(line, []byte("old "))
	if !ok {
		return req, errors.New(`the first line is not "old <size>"`)
	}
	size, err := strconv.ParseUint(string(num), 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != string(num) {
		return req, fmt.Errorf("the old size %q is not a decimal number without leading zeroes", num)
	}
	req.OldSize = size
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return req, errors.New("the body has no empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(req.Proof) == maxProofLines {
			return req, fmt.Errorf("the consistency proof has more than %d lines", maxProofLines)
		}
		h, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(h) != sha256.Size {
			return req, fmt.Errorf("consistency proof line %d is not a base64 SHA-256 hash", len(req.Proof)+1)
		}
		req.Proof = append(req.Proof, h)
	}
	if len(rest) == 0 {
		return req, errors.New("the body has no checkpoint")
	}
	req.Checkpoint = rest
	return req, nil
}
