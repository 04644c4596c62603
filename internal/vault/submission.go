package vault

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/store"
)

// A submission groups what one person (a victim, a trusted flagger, a
// monitor) handed to the vault. Its case number and PIN let them see every
// access to what they submitted without an account: a victim may not keep
// one, and must not need to ask the police to learn who looked.

// submitted reports whether items uploaded by role form a submission.
func submitted(role auth.Role) bool {
	return role.Is(auth.Reporter, auth.Flagger, auth.Monitor, auth.Moderator)
}

// caseAlphabet has no vowels (no words), no 0/O or 1/I/L (no misreading).
const caseAlphabet = "BCDFGHJKMNPQRSTVWXZ23456789"

// newCaseNumber returns "VC-XXXX-XXXX-XXXX": 12 symbols, about 57 bits.
func newCaseNumber() string {
	var b strings.Builder
	b.WriteString("VC")
	for i := range 12 {
		if i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(caseAlphabet[randInt(len(caseAlphabet))])
	}
	return b.String()
}

// newPIN returns eight digits in two groups: "4821-0937".
func newPIN() string {
	return fmt.Sprintf("%04d-%04d", randInt(10000), randInt(10000))
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("vault: no randomness: " + err.Error())
	}
	return int(v.Int64())
}

// NormalizeCaseNumber accepts a case number as people type it: any case,
// spaces or no dashes.
func NormalizeCaseNumber(s string) string {
	var raw []byte
	for _, c := range strings.ToUpper(s) {
		if strings.ContainsRune(caseAlphabet, c) || c == 'V' {
			raw = append(raw, byte(c))
		}
	}
	if len(raw) == 14 && string(raw[:2]) == "VC" {
		raw = raw[2:]
	}
	if len(raw) != 12 {
		return ""
	}
	return "VC-" + string(raw[0:4]) + "-" + string(raw[4:8]) + "-" + string(raw[8:12])
}

func normalizePIN(s string) string {
	var d []byte
	for _, c := range s {
		if c >= '0' && c <= '9' {
			d = append(d, byte(c))
		}
	}
	if len(d) != 8 {
		return ""
	}
	return string(d[:4]) + "-" + string(d[4:])
}

// submission returns the submission a new item joins: the one named, if
// the uploader made it or knows its PIN, or a new one, whose receipt is
// returned.
func (v *Vault) submission(ctx context.Context, tx *store.Tx, by auth.Account, number, pin string) (string, *Receipt, error) {
	if strings.TrimSpace(number) == "" {
		number, pin = newCaseNumber(), newPIN()
		hash, err := auth.HashPassword(pin, v.cfg.PINParams)
		if err != nil {
			return "", nil, err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO vault_submissions (id, pin_hash, created_by, created_at) VALUES (?, ?, ?, ?)",
			number, hash, by.ID, store.Micros(v.now())); err != nil {
			return "", nil, fmt.Errorf("vault: record submission: %w", err)
		}
		return number, &Receipt{Submission: number, PIN: pin}, nil
	}
	sub, err := v.checkSubmission(ctx, tx, number, pin, by.ID)
	if err != nil {
		return "", nil, err
	}
	return sub, nil, nil
}

// errSubmission is the one answer to a wrong case number or PIN: which of
// the two was wrong is not said.
func errSubmission() error { return forbidden("vault.submission_unknown") }

// checkSubmission returns the normalized case number if the PIN matches,
// or the account given made the submission.
func (v *Vault) checkSubmission(ctx context.Context, q store.Querier, number, pin, accountID string) (string, error) {
	number = NormalizeCaseNumber(number)
	var hash string
	var creator sql.NullString
	err := q.QueryRow(ctx, "SELECT pin_hash, created_by FROM vault_submissions WHERE id = ?", number).Scan(&hash, &creator)
	if number == "" || errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check, so that timing does not say
		// whether a case number exists.
		auth.VerifyPassword("0000-0000", v.dummyPIN)
		return "", errSubmission()
	}
	if err != nil {
		return "", fmt.Errorf("vault: submission: %w", err)
	}
	if accountID != "" && creator.String == accountID {
		return number, nil
	}
	ok, err := auth.VerifyPassword(normalizePIN(pin), hash)
	if err != nil || !ok {
		return "", errSubmission()
	}
	return number, nil
}

// inSubmission reports whether an account made a submission or added to
// it (with its PIN, given by whoever made it: a victim's support service).
func inSubmission(ctx context.Context, q store.Querier, accountID, submissionID string) (bool, error) {
	if submissionID == "" {
		return false, nil
	}
	var n int
	err := q.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM vault_submissions WHERE id = ? AND created_by = ?) +
		(SELECT COUNT(*) FROM vault_items WHERE submission_id = ? AND uploaded_by = ?)`, submissionID, accountID, submissionID, accountID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("vault: submission: %w", err)
	}
	return n > 0, nil
}
