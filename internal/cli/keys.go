package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/vigil-project/vigil/internal/ledger"
)

func runKeys(e *env, args []string) error {
	f := newFlags(e, "keys", "keys public [--data DIR]")
	data := f.String("data", envOr("VIGIL_DATA", "vigil-data"), "data directory `DIR` ($VIGIL_DATA)")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.positional) != 1 || f.positional[0] != "public" {
		return usagef("the only keys subcommand is 'public': vigil keys public [--data DIR]")
	}
	k, err := ledger.LoadKeys(filepath.Join(*data, "keys"))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s has no log key yet: start 'vigil serve --data %s' once to create it", *data, *data)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, k.VerifierKey)
	return nil
}
