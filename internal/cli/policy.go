package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/policy"
)

const policyUsage = `policy <subcommand>

Subcommands:
  list                                   the built-in packs
  test PACK...                           run the examples a pack ships with (PACK: a built-in name or a file)
  check REQUEST.json [--pack PACK]... [--switch NAME=true|false]... [--override RULE]... [--json]
                                         decide one request ('-' reads it from standard input)`

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runPolicy(e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "Usage: vigil "+policyUsage)
		if len(args) == 0 {
			return usagef("say what to do: list, test or check")
		}
		return nil
	}
	sub, args := args[0], args[1:]
	f := newFlags(e, "policy "+sub, policyUsage)
	var packs, switches, overrides stringList
	asJSON := f.Bool("json", false, "print JSON")
	f.Var(&packs, "pack", "a `PACK` on top of the default pack (repeat for more, in order)")
	f.Var(&switches, "switch", "set a pack's switch: `NAME=true|false`")
	f.Var(&overrides, "override", "let a pack switch off the deny `RULE` (logged when Vigil serves)")
	if err := f.parse(args); err != nil {
		return err
	}
	switch sub {
	case "list":
		for _, name := range policy.BuiltIn() {
			p, err := policy.Open(name)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%-12s %s  %s (%d rules)\n", p.Name, p.Version, p.Title, len(p.Rules))
		}
		return nil
	case "test":
		if len(f.positional) == 0 {
			return usagef("test needs at least one PACK")
		}
		failed := 0
		for _, name := range f.positional {
			stack, err := policy.Stack(name)
			if err != nil {
				return err
			}
			for _, r := range policy.RunExamples(stack) {
				if r.OK() {
					fmt.Fprintf(e.stdout, "ok    %s: %s\n", r.Pack, r.Name)
					continue
				}
				failed++
				fmt.Fprintf(e.stdout, "FAIL  %s: %s\n", r.Pack, r.Name)
				if r.Err != nil {
					fmt.Fprintf(e.stdout, "      error: %v\n", r.Err)
				} else {
					fmt.Fprintf(e.stdout, "      want %s %v\n      got  %s %v\n", r.Want, r.WantRan, r.Got, r.GotRan)
				}
			}
		}
		if failed > 0 {
			return fmt.Errorf("%d examples did not get the decision they expect", failed)
		}
		return nil
	case "check":
		if len(f.positional) != 1 {
			return usagef("check takes one REQUEST.json ('-' for standard input)")
		}
		engine, err := buildEngine(packs, switches, overrides)
		if err != nil {
			return err
		}
		var b []byte
		if f.positional[0] == "-" {
			b, err = io.ReadAll(io.LimitReader(e.stdin, 1<<20))
		} else {
			b, err = os.ReadFile(f.positional[0])
		}
		if err != nil {
			return err
		}
		req, err := policy.ParseRequest(b)
		if err != nil {
			return err
		}
		d, err := engine.Decide(req)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(d)
		}
		printDecision(e.stdout, d)
		return nil
	}
	return usagef("unknown subcommand %q; the subcommands are list, test and check", sub)
}

// buildEngine stacks the default pack and the named packs, with switches
// and overrides as the flags give them.
func buildEngine(packs, switches, overrides []string) (*policy.Engine, error) {
	stack, err := policy.Stack(policy.DefaultPack)
	if err != nil {
		return nil, err
	}
	for _, name := range packs {
		p, err := policy.Open(name)
		if err != nil {
			return nil, err
		}
		stack = append(stack, p)
	}
	sw := map[string]bool{}
	for _, s := range switches {
		name, v, ok := strings.Cut(s, "=")
		b, err := strconv.ParseBool(v)
		if !ok || err != nil {
			return nil, usagef("--switch takes NAME=true or NAME=false, not %q", s)
		}
		sw[name] = b
	}
	return policy.NewEngine(stack, policy.Options{Switches: sw, Overrides: overrides})
}

func printDecision(w io.Writer, d policy.Decision) {
	fmt.Fprintf(w, "Decision: %s\n", describeOutcome(d.Outcome))
	if d.UrgentStartHours > 0 {
		fmt.Fprintf(w, "Urgent: use may start now, and stops by itself unless authorized within %d hours.\n", d.UrgentStartHours)
	}
	if len(d.Fired) > 0 {
		fmt.Fprintln(w, "\nRules that fired:")
		for _, f := range d.Fired {
			fmt.Fprintf(w, "  %s: %s (%s)\n      %s\n", f.Effect, f.Rule, f.Source, strings.TrimSpace(f.Message))
		}
	}
	fmt.Fprintln(w, "\nDecided by:")
	for _, p := range d.Packs {
		fmt.Fprintf(w, "  %s %s (%s)\n", p.Name, p.Version, p.Digest)
	}
	if len(d.Overridden) > 0 {
		fmt.Fprintf(w, "  with deny rules switched off by the operator: %s\n", strings.Join(d.Overridden, ", "))
	}
	fmt.Fprintf(w, "Request: %s\n", d.InputDigest)
}

func describeOutcome(o policy.Outcome) string {
	switch o {
	case policy.Denied:
		return "DENIED: the rules refuse this request."
	case policy.NeedsJudicial:
		return "needs the prior authorization of a judicial authority."
	case policy.NeedsIndependent:
		return "needs the authorization of an independent authorizer."
	}
	return "allowed: it needs no authorization, and is recorded."
}
