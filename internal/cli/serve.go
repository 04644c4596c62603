package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/app"
	"github.com/vigil-project/vigil/internal/demo"
	"github.com/vigil-project/vigil/internal/vault"
	"github.com/vigil-project/vigil/internal/witness"
)

// parseBytes reads a size: digits, optionally followed by kB, MB, GB, TB
// (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, err
	}
	mult := map[string]int64{"": 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[unit]
	if mult == 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("unknown or too large size %q", s)
	}
	return n * mult, nil
}

// serveConfig holds the flags serve shares with demo.
type serveConfig struct {
	addr, logName, contact     *string
	blobs, retention, maxItem  *string
	secure                     *bool
	packs, switches, overrides stringList
	witnessPolicy              *string
	witnessFailOpen            *bool
}

func serveFlags(f *flags) *serveConfig {
	c := &serveConfig{
		addr:    f.String("addr", envOr("VIGIL_ADDR", "127.0.0.1:8080"), "listen on `ADDR` ($VIGIL_ADDR)"),
		logName: f.String("log-name", os.Getenv("VIGIL_LOG_NAME"), "the `NAME` of a new log, such as log.example.org/vigil ($VIGIL_LOG_NAME)"),
		contact: f.String("data-contact", os.Getenv("VIGIL_DATA_CONTACT"), "where people ask about data held on them, shown on every public notice: a `URL or address`"),
		secure:  f.Bool("secure-cookies", false, "mark cookies Secure (set when clients reach Vigil over TLS)"),
		blobs: f.String("blobs", os.Getenv("VIGIL_BLOBS"), "where the evidence vault keeps encrypted items: a `DIR` or s3://ACCESS:SECRET@HOST/BUCKET "+
			"($VIGIL_BLOBS; default the data directory's blobs)"),
		retention: f.String("retention", os.Getenv("VIGIL_RETENTION"), "the vault's retention schedules: a JSON `FILE` replacing the defaults (see docs/vault.md)"),
		maxItem:   f.String("max-item-size", envOr("VIGIL_MAX_ITEM_SIZE", ""), "the largest evidence item, in `BYTES` or with a unit: 500MB, 8GiB (default 8GiB)"),
		witnessPolicy: f.String("witness-policy", os.Getenv("VIGIL_WITNESS_POLICY"), "a witness policy `FILE` ($VIGIL_WITNESS_POLICY): each checkpoint is published "+
			"once the witnesses it names have cosigned it (see docs/witness.md)"),
		witnessFailOpen: f.Bool("witness-fail-open", envBool("VIGIL_WITNESS_FAIL_OPEN"), "publish checkpoints without the witnesses' cosignatures when they "+
			"do not answer, rather than wait for them ($VIGIL_WITNESS_FAIL_OPEN)"),
	}
	f.Var(&c.packs, "policy", "a policy `PACK` on top of the default (a built-in name or a file; repeat for more, in order)")
	f.Var(&c.switches, "policy-switch", "set a pack's switch: `NAME=true|false` (recorded on the public log)")
	f.Var(&c.overrides, "policy-override", "let a pack switch off the deny `RULE` (recorded on the public log)")
	return c
}

// apply puts the flags into cfg.
func (c *serveConfig) apply(cfg *app.Config) error {
	cfg.Addr, cfg.LogName, cfg.SecureCookies, cfg.DataContact = *c.addr, *c.logName, *c.secure, *c.contact
	cfg.Policy, cfg.PolicyOverrides = c.packs, c.overrides
	cfg.Blobs = *c.blobs
	if *c.witnessPolicy != "" {
		b, err := os.ReadFile(*c.witnessPolicy)
		if err != nil {
			return fmt.Errorf("read the witness policy: %w", err)
		}
		if _, err := witness.ParsePolicy(b); err != nil {
			return usagef("--witness-policy %s: %v", *c.witnessPolicy, err)
		}
		cfg.Log.WitnessPolicy = b
	}
	cfg.Log.WitnessFailOpen = *c.witnessFailOpen
	if cfg.Log.WitnessFailOpen && len(cfg.Log.WitnessPolicy) == 0 {
		return usagef("--witness-fail-open needs a --witness-policy")
	}
	if *c.retention != "" {
		f, err := os.Open(*c.retention)
		if err != nil {
			return fmt.Errorf("read the retention schedules: %w", err)
		}
		defer f.Close()
		if cfg.Classes, err = vault.LoadClasses(f); err != nil {
			return err
		}
	}
	if *c.maxItem != "" {
		n, err := parseBytes(*c.maxItem)
		if err != nil || n < 1<<20 {
			return usagef("--max-item-size takes a size of at least 1MiB, such as 500MB or 8GiB, not %q", *c.maxItem)
		}
		cfg.MaxItemSize = n
	}
	cfg.PolicySwitches = map[string]bool{}
	for _, s := range c.switches {
		name, v, ok := strings.Cut(s, "=")
		b, err := strconv.ParseBool(v)
		if !ok || err != nil {
			return usagef("--policy-switch takes NAME=true or NAME=false, not %q", s)
		}
		cfg.PolicySwitches[name] = b
	}
	return nil
}

// envBool reads a boolean environment variable: true if it is set to
// true, 1, yes or on.
func envBool(name string) bool {
	switch strings.ToLower(os.Getenv(name)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func runServe(e *env, args []string) error {
	f := newFlags(e, "serve", "serve [--data DIR] [--db URL] [--addr ADDR] [--log-name NAME]").withStore()
	sc := serveFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.positional) > 0 {
		return usagef("serve takes no arguments, only flags")
	}
	cfg := f.config(e)
	if err := sc.apply(&cfg); err != nil {
		return err
	}
	a, err := app.Open(e.ctx, cfg)
	if err != nil {
		return stopped(e, err)
	}
	defer a.Close()
	fmt.Fprintf(e.stdout, "Data directory: %s\n", absPath(cfg.Data))
	return stopped(e, a.Serve(e.ctx))
}

// stopped treats an interrupt during start-up as a clean stop, not a
// failure.
func stopped(e *env, err error) error {
	if err != nil && e.ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(e.stderr, "vigil: stopped before it started")
		return nil
	}
	return err
}

func runDemo(e *env, args []string) error {
	f := newFlags(e, "demo", "demo [--data DIR] [--addr ADDR]")
	data := f.String("data", "", "data directory `DIR` for the demo (default: a new temporary directory, removed on exit)")
	addr := f.String("addr", "127.0.0.1:8080", "listen on `ADDR`")
	if err := f.parse(args); err != nil {
		return err
	}
	if len(f.positional) > 0 {
		return usagef("demo takes no arguments, only flags")
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "vigil-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
		fmt.Fprintf(e.stdout, "Demo data directory: %s (removed when the demo stops)\n", tmp)
	} else {
		fmt.Fprintf(e.stdout, "Demo data directory: %s\n", absPath(dir))
	}
	a, err := app.Open(e.ctx, app.Config{Data: dir, Addr: *addr, LogName: "demo.vigil.invalid/log", Out: e.stdout})
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.EnsureKeys(); err != nil {
		return err
	}
	seeded, err := demo.Seed(e.ctx, a, nowUTC())
	if err != nil {
		return err
	}
	if seeded != nil {
		fmt.Fprintln(e.stdout, "\nDemo accounts (invented people; sign in as any of them):")
		demo.Print(e.stdout, seeded.Credentials)
		if s := seeded.Submission; s != nil {
			fmt.Fprintf(e.stdout, "\nThe reporter's evidence submission: case number %s, PIN %s.\nEnter them at /submission to see, without signing in, who read it and why.\n", s.Number, s.PIN)
		}
		fmt.Fprintln(e.stdout)
	} else {
		fmt.Fprintln(e.stdout, "The data directory already has accounts: the demo scenario was not seeded again.")
	}
	fmt.Fprintln(e.stdout, "Press Ctrl+C to stop.")
	return stopped(e, a.Serve(e.ctx))
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
