package cli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

const exportUsage = "export --case ID --purpose TEXT [--item ID]... [--recipient AGE-KEY]... [-o FILE] [--server URL] [--token TOKEN]"

// runExport downloads a case's bundle: a BagIt zip that 'vigil verify'
// checks offline.
func runExport(e *env, args []string) error {
	f := newFlags(e, "export", exportUsage)
	server, token := f.withServer()
	caseID := f.String("case", "", "the case `ID` to export")
	purpose := f.String("purpose", "", "why it is exported, in a sentence (`TEXT`); it is recorded")
	var items, recipients stringList
	f.Var(&items, "item", "export only this item `ID` (repeat for more; default: every item the case holds)")
	f.Var(&recipients, "recipient", "encrypt the originals to this age public `KEY` (age1…; repeat for more)")
	out := f.String("o", "", "write the bundle to `FILE` (default case-ID.zip)")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.positional) > 0 {
		return usagef("export takes only flags: vigil %s", exportUsage)
	}
	if *caseID == "" || strings.TrimSpace(*purpose) == "" {
		return usagef("say which --case to export, and the --purpose")
	}
	if *out == "" {
		*out = "case-" + *caseID + ".zip"
	}
	c, err := newAPIClient(*server, *token)
	if err != nil {
		return err
	}
	body := map[string]any{"purpose": *purpose, "items": []string(items), "recipients": []string(recipients)}
	if body["items"] == nil {
		body["items"] = []string{}
	}
	fmt.Fprintln(e.stderr, "Asking the server for the bundle; it waits until the log has published the export before sending it…")
	resp, err := c.send(e.ctx, http.MethodPost, "/api/cases/"+*caseID+"/export", body)
	if err != nil {
		return explainAPI(err)
	}
	defer resp.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".vigil-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bar := newProgress(e.stderr, filepath.Base(*out), resp.ContentLength)
	if _, err := io.Copy(&countingWriter{w: tmp, p: bar}, resp.Body); err != nil {
		tmp.Close()
		return fmt.Errorf("the download stopped: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	bar.finish("received")
	fmt.Fprintf(e.stdout, "Wrote %s. Check it with: vigil verify %s --key KEY\n", *out, *out)
	return nil
}
