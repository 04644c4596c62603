package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/witness"
)

const witnessUsage = `witness <subcommand> [flags]

A witness cosigns a log's checkpoints once it has checked that the log only
grew. Oversight bodies and monitors run one; the log's operator lists it in
the log's --witness-policy.

Subcommands:
  key [--data DIR] [--name NAME] [--url URL]
        print the witness's public key, making the key first if there is none
        (named NAME, such as oversight.example.org/witness); with --url, where
        the witness listens, print a witness policy requiring it instead
  serve [--data DIR] [--db URL] [--addr ADDR] [--name NAME] --log KEY|FILE...
        cosign the checkpoints of the logs whose public keys are given
        (repeat --log, or give a file with one key per line)`

func runWitness(e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "Usage: vigil "+witnessUsage)
		if len(args) == 0 {
			return usagef("say what to do: key or serve")
		}
		return nil
	}
	sub, args := args[0], args[1:]
	f := newFlags(e, "witness "+sub, witnessUsage)
	data := f.String("data", envOr("VIGIL_WITNESS_DATA", "vigil-witness"), "the witness's data directory `DIR` ($VIGIL_WITNESS_DATA)")
	name := f.String("name", os.Getenv("VIGIL_WITNESS_NAME"), "the `NAME` of a new witness key, such as oversight.example.org/witness ($VIGIL_WITNESS_NAME)")
	switch sub {
	case "key":
		where := f.String("url", "", "the `URL` the witness listens on: print a witness policy for the log's operator")
		if err := f.parse(args); err != nil {
			return err
		}
		if len(f.positional) > 0 {
			return usagef("witness key takes no arguments, only flags")
		}
		return witnessKey(e, *data, *name, *where)
	case "serve":
		db := f.String("db", os.Getenv("VIGIL_WITNESS_DB"), "database: a postgres:// `URL` ($VIGIL_WITNESS_DB); default SQLite in the data directory")
		addr := f.String("addr", envOr("VIGIL_WITNESS_ADDR", "127.0.0.1:8090"), "listen on `ADDR` ($VIGIL_WITNESS_ADDR)")
		var logs stringList
		f.Var(&logs, "log", "a log to witness: its public `KEY` (name+hash+key, as 'vigil keys public' prints it), or a file of such keys, one per line")
		if err := f.parse(args); err != nil {
			return err
		}
		if len(f.positional) > 0 {
			return usagef("witness serve takes no arguments, only flags")
		}
		if len(logs) == 0 {
			return usagef("say which logs to witness with --log KEY or --log FILE")
		}
		return witnessServe(e, *data, *db, *addr, *name, logs)
	}
	return usagef("unknown subcommand %q; the subcommands are key and serve", sub)
}

func witnessKeyDir(data string) string { return filepath.Join(data, "keys") }

// witnessKey prints the witness's public key, or a policy requiring the
// witness, making the key if there is none.
func witnessKey(e *env, data, name, where string) error {
	k, err := loadOrCreateWitnessKey(e, data, name)
	if err != nil {
		return err
	}
	if where == "" {
		fmt.Fprintln(e.stdout, k.VerifierKey)
		return nil
	}
	u, err := url.Parse(where)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return usagef("--url takes where the witness listens, such as https://witness.example.org/, not %q", where)
	}
	label := "witness-" + strings.NewReplacer("/", "-", ".", "-", ":", "-").Replace(k.Name())
	fmt.Fprintf(e.stdout, "# A witness policy for Vigil's --witness-policy: the log's checkpoints need\n# a cosignature by %s. Add other witnesses' lines and a group to need more.\nwitness %s %s %s\nquorum %s\n",
		k.Name(), label, k.VerifierKey, where, label)
	return nil
}

func loadOrCreateWitnessKey(e *env, data, name string) (witness.Key, error) {
	k, created, err := witness.LoadOrCreateKey(witnessKeyDir(data), name)
	if errors.Is(err, os.ErrNotExist) {
		return k, usagef("%s has no witness key yet: name the witness with --name, such as --name oversight.example.org/witness", data)
	}
	if err != nil {
		return k, err
	}
	if created {
		fmt.Fprintf(e.stderr, "Created the witness key %q in %s. Keep %s secret, and back it up.\n", k.Name(), witnessKeyDir(data), filepath.Join(witnessKeyDir(data), "witness.key"))
	}
	return k, nil
}

// readLogKeys reads each --log: a key, or a file of keys.
func readLogKeys(logs []string) ([]note.Verifier, error) {
	var out []note.Verifier
	for _, l := range logs {
		text := []byte(l)
		if b, err := os.ReadFile(l); err == nil {
			text = b
		}
		vs, err := witness.ParseLogKeys(text)
		if err != nil {
			return nil, usagef("--log %s: %v", l, err)
		}
		if len(vs) == 0 {
			return nil, usagef("--log %s holds no log key", l)
		}
		out = append(out, vs...)
	}
	return out, nil
}

// witnessServe runs the witness until e.ctx ends.
func witnessServe(e *env, data, dsn, addr, name string, logArgs []string) error {
	logs, err := readLogKeys(logArgs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	k, err := loadOrCreateWitnessKey(e, data, name)
	if err != nil {
		return err
	}
	if dsn == "" {
		dsn = filepath.Join(data, "witness.db")
	}
	db, err := store.Open(e.ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(e.ctx); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := witness.New(db, witness.Config{Key: k, Logs: logs, Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("cannot listen on %s: the address is in use (choose another with --addr)", addr)
		}
		return fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	fmt.Fprintf(e.stdout, "Witness %s, public key %s\n", k.Name(), k.VerifierKey)
	for _, v := range logs {
		fmt.Fprintf(e.stdout, "Witnessing the log %s (key %08x)\n", v.Name(), v.KeyHash())
	}
	fmt.Fprintf(e.stdout, "Listening on http://%s/ (POST /add-checkpoint)\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-e.ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	logger.Info("witness stopped")
	return nil
}
