package vault

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"regexp"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/bundle"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Prover proves events are in the public log: it waits until a published
// checkpoint covers them and returns their inclusion proofs against it.
// The app's log answers (ledger.ProveAll).
type Prover interface {
	ProveAll(ctx context.Context, ids []int64) ([]ledger.Proof, string, error)
}

// Export asks for a case's items as a bundle.
type Export struct {
	CaseID string
	// ItemIDs are the items to export; empty means every item the case
	// holds now.
	ItemIDs []string
	Purpose string
	// Recipients, if any, are the age public keys the originals are
	// encrypted to.
	Recipients []age.Recipient
}

// MaxExportItems bounds one bundle.
const MaxExportItems = 1000

// ProofWait is how long an export waits for the log to publish its events.
const ProofWait = 30 * time.Second

// Export writes a BagIt bundle of a case's items to w: the originals,
// their custody events with inclusion proofs, a signed checkpoint and a
// signed manifest, which `vigil verify` checks offline. Each item's export
// is recorded, and on the log, before a byte is written.
func (v *Vault) Export(ctx context.Context, by auth.Account, e Export, w io.Writer, progress func(done, total int64)) error {
	if err := checkPurpose(&e.Purpose); err != nil {
		return err
	}
	var items []Item
	var c Case
	err := v.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = v.memberCase(ctx, tx, by, e.CaseID, false); err != nil {
			return err
		}
		ids := e.ItemIDs
		if len(ids) == 0 {
			hs, err := v.holds(ctx, tx, "case_id = ? AND released_at IS NULL AND until_at > ?", c.ID, store.Micros(v.now()))
			if err != nil {
				return err
			}
			for _, h := range hs {
				ids = append(ids, h.ItemID)
			}
		}
		if len(ids) == 0 {
			return invalid("vault.export_empty")
		}
		if len(ids) > MaxExportItems {
			return invalid("vault.export_too_many", "max", MaxExportItems)
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			it, err := v.get(ctx, tx, id)
			if err != nil {
				return err
			}
			if it.DestroyedAt != nil {
				return fmt.Errorf("item %s: %w", id, ErrShredded)
			}
			a := Access{Action: ActionExport, Purpose: e.Purpose, Basis: Basis{Kind: BasisCase, Ref: c.ID}}
			if err := v.authorize(ctx, tx, by, it, a); err != nil {
				return err
			}
			if _, err := v.recordAccess(ctx, tx, by.Actor(), it.ID, a); err != nil {
				return err
			}
			items = append(items, it)
		}
		return nil
	})
	if err != nil {
		return err
	}
	info := map[string]string{"Vigil-Case": c.ID, "Vigil-Case-Kind": c.Kind, "Vigil-Exported-By-Role": string(by.Role)}
	return v.writeBundle(ctx, c.ID, items, info, e.Recipients, w, progress)
}

// writeBundle gathers the items' custody events and the case's, proves
// them against one checkpoint, and writes the bundle.
func (v *Vault) writeBundle(ctx context.Context, caseID string, items []Item, info map[string]string, recipients []age.Recipient, w io.Writer, progress func(done, total int64)) error {
	if v.cfg.Prover == nil {
		return errors.New("vault: no log to prove custody against")
	}
	subjects := []string{"case:" + caseID}
	for _, it := range items {
		subjects = append(subjects, "item:"+it.ID)
	}
	var ids []int64
	for _, s := range subjects {
		more, err := eventIDs(ctx, v.db, s)
		if err != nil {
			return err
		}
		ids = append(ids, more...)
	}
	wait, cancel := context.WithTimeout(ctx, ProofWait)
	defer cancel()
	proofs, checkpoint, err := v.cfg.Prover.ProveAll(wait, ids)
	if err != nil {
		return fmt.Errorf("vault: prove custody: %w", err)
	}
	b := bundle.Bundle{Events: proofs, Checkpoint: checkpoint, Info: info}
	var total int64
	for _, it := range items {
		src, err := v.openContent(ctx, it.ID)
		if err != nil {
			return err
		}
		src.Close()
		meta := bundle.ItemMeta{ID: it.ID, Class: it.Class, MediaType: it.MediaType, Filename: safeFilename(src.Capture.Filename, it.MediaType),
			Size: it.Size, SHA256: hex.EncodeToString(it.SHA256), Salt: hex.EncodeToString(it.salt), Commitment: it.Commitment,
			ParentID: it.ParentID, ParentCommitment: it.ParentCommitment, Segment: it.Segment, CapturedAt: it.CapturedAt, RetainUntil: it.RetainUntil}
		itemID := it.ID
		b.Items = append(b.Items, bundle.Item{Meta: meta, Open: func() (io.ReadCloser, error) {
			c, err := v.openContent(ctx, itemID)
			if err != nil {
				return nil, err
			}
			return c, nil
		}})
		total += it.Size
	}
	var report func(int64)
	if progress != nil {
		report = func(done int64) { progress(done, total) }
	}
	if err := bundle.Write(w, b, v.cfg.Signer, recipients, report); err != nil {
		return fmt.Errorf("vault: write bundle: %w", err)
	}
	return nil
}

// eventIDs lists the IDs of every event about subject, oldest first.
func eventIDs(ctx context.Context, q store.Querier, subject string) ([]int64, error) {
	var out []int64
	var before int64
	for {
		page, err := ledger.List(ctx, q, ledger.Query{Subject: subject, Before: before, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			out = append(out, e.ID)
		}
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].ID
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeFilename makes a file name fit for a bundle: letters, digits, '.',
// '_' and '-', no leading dot, with an extension from the media type if it
// has none.
func safeFilename(name, mediaType string) string {
	name = strings.Trim(unsafeName.ReplaceAllString(path.Base(strings.ReplaceAll(name, `\`, "/")), "_"), "._-")
	if len(name) > 100 {
		name = name[len(name)-100:]
	}
	if name == "" || name == "item.json" {
		name = "content"
	}
	if path.Ext(name) == "" {
		if exts, _ := mime.ExtensionsByType(mediaType); len(exts) > 0 {
			name += exts[0]
		}
	}
	return strings.TrimLeft(name, ".")
}
