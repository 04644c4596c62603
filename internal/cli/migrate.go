package cli

import (
	"fmt"

	"github.com/vigil-project/vigil/internal/store"
)

func runMigrate(e *env, args []string) error {
	f := newFlags(e, "migrate", "migrate [--data DIR] [--db URL]").withStore()
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.positional) > 0 {
		return usagef("migrate takes no arguments, only flags")
	}
	a, err := f.open(e) // opening migrates
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.DB.Version(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "The %s database is at schema version %d of %d.\n", a.DB.Kind(), v, store.Latest())
	return nil
}
