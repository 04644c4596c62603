package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/bundle"
	"github.com/vigil-project/vigil/internal/vault"
	"github.com/vigil-project/vigil/internal/witness"
)

// verifyFiles checks each file given to 'vigil verify': an exported
// bundle (a zip, or a directory it was unpacked into) or a deletion
// receipt, with nothing but the log's public key (and, for encrypted
// originals, the recipient's age identity).
func verifyFiles(e *env, files []string, key, data string, identityFiles []string, policies []*witness.Policy) error {
	vkey, err := verifierKey(key, data)
	if err != nil {
		return err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return usagef("the key %q is not a log's public key (name+hash+key): %v", vkey, err)
	}
	var ids []age.Identity
	for _, f := range identityFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read the identity: %w", err)
		}
		more, err := age.ParseIdentities(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s holds no age identity: %w", f, err)
		}
		ids = append(ids, more...)
	}
	var failed int
	for _, f := range files {
		if err := verifyFile(e, f, v, ids, policies); err != nil {
			failed++
			fmt.Fprintf(e.stdout, "FAILED: %s does NOT verify: %v\n", f, err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files do not verify", failed, len(files))
	}
	return nil
}

func verifyFile(e *env, name string, v note.Verifier, ids []age.Identity, policies []*witness.Policy) error {
	fi, err := os.Stat(name)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		bar := newProgress(e.stderr, filepath.Base(name), 0)
		r, err := bundle.VerifyDir(name, v, ids, func(done int64) { bar.set(done, 0) })
		if err != nil {
			return explainBundle(err)
		}
		bar.finish("checked")
		return printReport(e, name, r, v, policies)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	if strings.HasPrefix(string(head[:n]), "vigil deletion receipt") {
		b, err := io.ReadAll(io.LimitReader(io.MultiReader(bytes.NewReader(head[:n]), f), 64<<10))
		if err != nil {
			return err
		}
		r, err := vault.VerifyReceipt(b, v)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "OK: %s is a deletion receipt signed by the log %q.\n  Item %s (%s), content commitment %s,\n  kept until %s", name, v.Name(), r.Item, r.Class, r.Content, r.RetainUntil.Format(time.RFC3339))
		if !r.HeldUntil.IsZero() {
			fmt.Fprintf(e.stdout, ", held until %s", r.HeldUntil.Format(time.RFC3339))
		}
		fmt.Fprintf(e.stdout, ", destroyed %s.\n  The log's item.destroyed event for it names receipt %s.\n", r.Destroyed.Format(time.RFC3339), r.Digest)
		if len(policies) > 0 {
			fmt.Fprintln(e.stdout, "  Witnesses cosign the log's checkpoints, not receipts: --witness does not apply to it.")
		}
		return nil
	}
	bar := newProgress(e.stderr, filepath.Base(name), fi.Size())
	r, err := bundle.Verify(f, fi.Size(), v, ids, func(done int64) { bar.set(done, fi.Size()) })
	if err != nil {
		return explainBundle(err)
	}
	bar.finish("checked")
	return printReport(e, name, r, v, policies)
}

// explainBundle says which check failed, in words.
func explainBundle(err error) error {
	var ve *bundle.VerifyError
	if errors.As(err, &ve) {
		return fmt.Errorf("%s check failed: %s", ve.Check, ve.Error())
	}
	return err
}

// printReport checks the checkpoint's witness cosignatures against the
// policies, then says what was verified.
func printReport(e *env, name string, r *bundle.Report, v note.Verifier, policies []*witness.Policy) error {
	witnessed, err := checkWitnesses(r.Checkpoint, v, policies)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "OK: %s verifies against the log %q (checkpoint of %d entries).\n", name, r.Origin, r.CheckpointSize)
	for _, l := range witnessed {
		fmt.Fprintln(e.stdout, "  "+l)
	}
	fmt.Fprintf(e.stdout, "  %d custody events, each proven in the log.\n", r.Events)
	for _, it := range r.Items {
		fmt.Fprintf(e.stdout, "  %s  %s  %s  %d bytes  sha256 %s  %s\n", it.Meta.ID, it.Meta.Class, it.Meta.MediaType, it.Meta.Size, it.Meta.SHA256, it.Status())
		if it.Meta.ParentID != "" {
			fmt.Fprintf(e.stdout, "    segment %s of %s (commitment %s)\n", it.Meta.Segment, it.Meta.ParentID, it.Meta.ParentCommitment)
		}
	}
	return nil
}
