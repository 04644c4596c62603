package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/vigil-project/vigil/internal/ledger"
)

func runOversight(e *env, args []string) error {
	f := newFlags(e, "oversight", "oversight reconcile [--data DIR] [--db URL] [--json]").withStore()
	asJSON := f.Bool("json", false, "print JSON")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.positional) != 1 || f.positional[0] != "reconcile" {
		return usagef("the only oversight subcommand is 'reconcile'")
	}
	a, err := f.open(e)
	if err != nil {
		return err
	}
	defer a.Close()
	if !a.HasKeys() {
		return fmt.Errorf("%s has no log yet: has 'vigil serve' run on it?", *f.data)
	}
	src, err := ledger.OpenSource(a.LogDir())
	if err != nil {
		return fmt.Errorf("the log: %w (has 'vigil serve' run on this data directory?)", err)
	}
	rep, err := ledger.Reconcile(e.ctx, a.DB, src, a.Keys.Verifier)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "Events in the database: %d\nEntries in the published log: %d\nEvents on their way to the log: %d\n", rep.Events, rep.LogSize, rep.Pending)
		if rep.OK() {
			fmt.Fprintln(e.stdout, "OK: the database and the log agree.")
		} else {
			fmt.Fprintf(e.stdout, "%d discrepancies:\n", len(rep.Discrepancies))
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tEVENT\tINDEX\tDETAIL")
			for _, d := range rep.Discrepancies {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", d.Kind, d.Event, d.Index, d.Detail)
			}
			tw.Flush()
		}
	}
	if !rep.OK() {
		return fmt.Errorf("%d discrepancies between the database and the log", len(rep.Discrepancies))
	}
	return nil
}
