package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/ledger"
)

const verifyUsage = "verify --log URL|DIR --key KEY|FILE [--event ID] [--state FILE] [--witness KEY|FILE]... [--witness-policy FILE]\n       vigil verify BUNDLE.zip|BUNDLE-DIR|RECEIPT... --key KEY|FILE [--identity FILE] [--witness KEY|FILE]... [--witness-policy FILE]"

func runVerify(e *env, args []string) error {
	f := newFlags(e, "verify", verifyUsage)
	data := f.String("data", envOr("VIGIL_DATA", "vigil-data"), "data directory `DIR`: its log and key are the defaults for --log and --key")
	logLoc := f.String("log", "", "the log: its `URL` (https://host/log/) or directory")
	key := f.String("key", "", "the log's public `KEY` (name+hash+key), or a file holding it")
	event := f.String("event", "", "also check that event `ID` is in the log")
	state := f.String("state", "", "`FILE` keeping the checkpoint seen last time; the log must have grown from it")
	var identities stringList
	f.Var(&identities, "identity", "an age identity `FILE` to decrypt a bundle's encrypted originals and check them too")
	wf := addWitnessFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	policies, err := wf.policies()
	if err != nil {
		return err
	}
	if len(f.positional) > 0 {
		if *logLoc != "" || *event != "" || *state != "" {
			return usagef("give either files to check (bundles, receipts) or --log, not both")
		}
		return verifyFiles(e, f.positional, *key, *data, identities, policies)
	}
	if len(identities) > 0 {
		return usagef("--identity is for bundles: vigil verify BUNDLE --identity FILE")
	}
	if *logLoc == "" {
		*logLoc = filepath.Join(*data, "log")
		if _, err := os.Stat(*logLoc); err != nil {
			return usagef("say which log to check with --log URL or --log DIR")
		}
	}
	vkey, err := verifierKey(*key, *data)
	if err != nil {
		return err
	}
	opts := ledger.VerifyOptions{VerifierKey: vkey}
	if *event != "" {
		id, err := strconv.ParseInt(*event, 10, 64)
		if err != nil || id <= 0 {
			return usagef("--event takes an event number, such as 42")
		}
		opts.Event = id
	}
	if *state != "" {
		prev, err := os.ReadFile(*state)
		switch {
		case err == nil:
			opts.Previous = prev
		case errors.Is(err, fs.ErrNotExist):
			// First run: nothing to compare with yet.
		default:
			return fmt.Errorf("read the state file: %w", err)
		}
	}
	src, err := ledger.OpenSource(*logLoc)
	if err != nil {
		return err
	}
	v, err := ledger.Verify(e.ctx, src, opts)
	if err != nil {
		var ve *ledger.VerifyError
		if errors.As(err, &ve) {
			return fmt.Errorf("the log does NOT verify: %s", ve.Msg)
		}
		return err
	}
	lv, err := note.NewVerifier(vkey)
	if err != nil {
		return err
	}
	witnessed, err := checkWitnesses(v.Raw, lv, policies)
	if err != nil {
		return fmt.Errorf("the log does NOT verify: %w", err)
	}
	fmt.Fprintf(e.stdout, "OK: the log %q holds %d entries; the checkpoint is signed by its key, and every tile and entry matches it.\n", v.Checkpoint.Origin, v.Checkpoint.Size)
	for _, l := range witnessed {
		fmt.Fprintln(e.stdout, l)
	}
	if opts.Previous != nil {
		fmt.Fprintf(e.stdout, "OK: it grew from %d to %d entries without rewriting any.\n", v.PreviousSize, v.Checkpoint.Size)
	}
	if opts.Event > 0 {
		fmt.Fprintf(e.stdout, "OK: event %d is entry %d, with a valid inclusion proof.\n", opts.Event, v.EventIndex)
	}
	if *state != "" {
		if err := writeState(*state, v.Raw); err != nil {
			return fmt.Errorf("save the state file: %w", err)
		}
	}
	return nil
}

// verifierKey reads --key: the key itself, a file holding it, or, if
// absent, the data directory's own public key.
func verifierKey(key, data string) (string, error) {
	if key == "" {
		k, err := ledger.LoadKeys(filepath.Join(data, "keys"))
		if err != nil {
			return "", usagef("give the log's public key with --key (it is on the log's /ledger page, or 'vigil keys public' prints it)")
		}
		return k.VerifierKey, nil
	}
	if b, err := os.ReadFile(key); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(key), nil
}

// writeState replaces the state file atomically.
func writeState(path string, cp []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, cp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
