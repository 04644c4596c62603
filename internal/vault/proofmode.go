package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/proofmode"
)

// ProofMode (Guardian Project) signs a photo or video on the phone that
// takes it, with proofs of when and where. Importing a ProofMode bundle
// checks its OpenPGP signatures and hashes, keeps each media file as an
// item, and seals the result of the check with the item (the proofs' own
// location and device data are not kept: the capture metadata the uploader
// gives is).

// MaxProofModeSize bounds a ProofMode bundle; it is checked in memory.
const MaxProofModeSize = 2 << 30

// ProofModeCheck is the result of checking a bundle, as kept with each
// item imported from it.
type ProofModeCheck struct {
	// Signer is the fingerprint of the bundle's key; Media the check of
	// this item's file.
	Signer    string          `json:"signer"`
	Media     proofmode.Media `json:"media"`
	Problems  []string        `json:"problems,omitempty"`
	OK        bool            `json:"ok"`
	CheckedAt time.Time       `json:"checked_at"`
}

// ImportProofMode checks a ProofMode bundle read from r and ingests each of
// its media files as an item described by n (its media type, if empty,
// from each file's name). The bundle is held in memory, never on disk. It
// returns the items, the receipt of a new submission, and the check.
func (v *Vault) ImportProofMode(ctx context.Context, by auth.Account, n NewItem, r io.Reader) ([]Item, *Receipt, *proofmode.Result, error) {
	f, size, err := memfile(r, MaxProofModeSize)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	res, err := proofmode.Check(f, size)
	switch {
	case errors.Is(err, proofmode.ErrNotProofMode), errors.Is(err, proofmode.ErrInvalid):
		return nil, nil, nil, invalid("vault.proofmode_invalid", "detail", strings.TrimPrefix(err.Error(), "proofmode: "))
	case err != nil:
		return nil, nil, nil, fmt.Errorf("vault: proofmode: %w", err)
	}
	if len(res.Media) == 0 {
		return nil, nil, nil, invalid("vault.proofmode_invalid", "detail", "it holds no media file")
	}
	var items []Item
	var rcpt *Receipt
	for _, m := range res.Media {
		check, err := json.Marshal(ProofModeCheck{Signer: res.Signer, Media: m, Problems: res.Problems, OK: res.OK && m.SignatureValid && m.HashMatches,
			CheckedAt: v.now().UTC()})
		if err != nil {
			return items, rcpt, res, err
		}
		mr, _, err := proofmode.OpenMedia(f, size, m.Name)
		if err != nil {
			return items, rcpt, res, fmt.Errorf("vault: proofmode: %w", err)
		}
		one := n
		if one.MediaType == "" {
			one.MediaType = mediaTypeByName(m.Name)
		}
		one.Capture.Filename = m.Name
		it, r, err := v.ingest(ctx, by, one, mr, ingestExtra{proofmode: check})
		mr.Close()
		if err != nil {
			return items, rcpt, res, err
		}
		items = append(items, it)
		if r != nil {
			rcpt = r
			// The other files join the submission the first one made.
			n.Submission, n.PIN = r.Submission, r.PIN
		}
	}
	return items, rcpt, res, nil
}

// mediaTypeByName guesses a media type from a file's extension.
func mediaTypeByName(name string) string {
	t := mime.TypeByExtension(strings.ToLower(path.Ext(name)))
	if t == "" {
		return "application/octet-stream"
	}
	mt, _, _ := mime.ParseMediaType(t)
	return mt
}

// memfile copies r into an anonymous file in memory (memfd_create(2)):
// random access for checking a zip, and nothing on disk.
func memfile(r io.Reader, limit int64) (*os.File, int64, error) {
	fd, err := unix.MemfdCreate("vigil-proofmode", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, 0, fmt.Errorf("vault: memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "proofmode-bundle")
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("vault: read the bundle: %w", err)
	}
	if n > limit {
		f.Close()
		return nil, 0, i18n.NewError(ErrTooLarge, "vault.too_large", "max", humanSize(limit))
	}
	return f, n, nil
}
