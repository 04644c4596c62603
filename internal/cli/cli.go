// Package cli is the vigil command: its subcommands, their flags, and the
// messages people read. cmd/vigil calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vigil-project/vigil/internal/app"
)

// env is what a command runs with.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(e *env, args []string) error
}

// commands are every subcommand, in the order `vigil help` lists them.
var commands = []command{
	{"serve", "run Vigil: web interface, API and the public log", runServe},
	{"demo", "run Vigil on a fresh data directory seeded with a demo scenario", runDemo},
	{"migrate", "bring the database schema up to date, and nothing else", runMigrate},
	{"user", "manage accounts: add, list, disable, enable, role, password, token", runUser},
	{"keys", "show the log's public key: keys public", runKeys},
	{"item", "add evidence to a server's vault: item add FILE...", runItem},
	{"export", "download a case as a bundle that anyone can verify offline", runExport},
	{"verify", "verify a public log, an exported bundle or a deletion receipt", runVerify},
	{"oversight", "oversight tools: oversight reconcile", runOversight},
	{"witness", "run a witness that cosigns logs' checkpoints: witness key, witness serve", runWitness},
	{"policy", "policy packs: list, test a pack's examples, check a request", runPolicy},
	{"version", "print the version", runVersion},
}

// usageError is a mistake in how a command was typed; the message says how
// to type it.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Main runs the command line in os.Args and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// Run runs one command line. Exit codes: 0 all well, 1 the command failed,
// 2 it was typed wrong.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(e, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.As(err, new(usageError)):
				fmt.Fprintf(stderr, "vigil %s: %v\n", c.name, err)
				return 2
			default:
				fmt.Fprintf(stderr, "vigil %s: %v\n", c.name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(stderr, "vigil: unknown command %q; see 'vigil help'\n", args[0])
	return 2
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "Vigil: accountability for technology around peaceful assemblies.")
	fmt.Fprintln(w, "\nUsage: vigil <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --data DIR (default ./vigil-data, or $VIGIL_DATA).")
	fmt.Fprintln(w, "Run 'vigil <command> -h' for its flags.")
}

// flags is a flag set that also accepts flags after positional arguments,
// as people type them: vigil user add alice --role officer.
type flags struct {
	*flag.FlagSet
	positional []string
	data       *string
	db         *string
}

func newFlags(e *env, name, usage string) *flags {
	fs := flag.NewFlagSet("vigil "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	f := &flags{FlagSet: fs}
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: vigil %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return f
}

// withStore adds --data and --db.
func (f *flags) withStore() *flags {
	f.data = f.String("data", envOr("VIGIL_DATA", "vigil-data"), "data directory `DIR` ($VIGIL_DATA)")
	f.db = f.String("db", os.Getenv("VIGIL_DB"), "database: a postgres:// `URL` ($VIGIL_DB); default SQLite in the data directory")
	return f
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (f *flags) parse(args []string) error {
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		args = f.Args()
		if len(args) == 0 {
			return nil
		}
		f.positional = append(f.positional, args[0])
		args = args[1:]
	}
}

// config is the app configuration the store flags give.
func (f *flags) config(e *env) app.Config {
	return app.Config{Data: *f.data, DB: *f.db, Out: e.stdout}
}

// open opens Vigil's data directory and database.
func (f *flags) open(e *env) (*app.App, error) {
	return app.Open(e.ctx, f.config(e))
}

func runVersion(e *env, args []string) error {
	fmt.Fprintln(e.stdout, "vigil", version())
	return nil
}

func nowUTC() time.Time { return time.Now().UTC() }
