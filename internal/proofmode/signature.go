package proofmode

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
)

// readPublicKey reads pubkey.asc: one OpenPGP key, armored as ProofMode
// writes it (or binary). It returns the key and its fingerprint in
// upper-case hex, or a problem to report.
func readPublicKey(data []byte) (openpgp.EntityList, string, string) {
	var keys openpgp.EntityList
	var err error
	if isArmored(data) {
		keys, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	} else {
		keys, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	switch {
	case err != nil:
		return nil, "", fmt.Sprintf("%s is not a readable OpenPGP public key (%v), so no signature could be checked", pubkeyName, err)
	case len(keys) != 1:
		return nil, "", fmt.Sprintf("%s holds %d keys rather than one, so no signature could be checked", pubkeyName, len(keys))
	}
	return keys, strings.ToUpper(hex.EncodeToString(keys[0].PrimaryKey.Fingerprint)), ""
}

// verifySignature checks a detached signature, armored or binary, over
// signed against keys. It may stop reading signed early; a caller that
// also hashes signed must read the rest.
func verifySignature(keys openpgp.EntityList, signed io.Reader, sig []byte) error {
	var err error
	if isArmored(sig) {
		_, err = openpgp.CheckArmoredDetachedSignature(keys, signed, bytes.NewReader(sig), nil)
	} else {
		_, err = openpgp.CheckDetachedSignature(keys, signed, bytes.NewReader(sig), nil)
	}
	return err
}

// signatureProblem says in words why a signature did not verify.
func signatureProblem(err error) string {
	var sigErr pgperrors.SignatureError
	switch {
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return "it was made by a key other than the one in " + pubkeyName
	case errors.Is(err, pgperrors.ErrKeyExpired):
		return "the key in " + pubkeyName + " has expired"
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		return "the signature has expired"
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return "the key in " + pubkeyName + " is revoked"
	case errors.As(err, &sigErr):
		return "it does not match the file: the file or the signature was changed"
	default:
		return fmt.Sprintf("it is not a usable OpenPGP signature (%v)", err)
	}
}

func isArmored(data []byte) bool {
	return bytes.Contains(data[:min(len(data), 1024)], []byte("-----BEGIN PGP "))
}
