package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-project/vigil/internal/app"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
)

// operator is the ledger actor for what is done from the command line: the
// person with access to the server itself.
var operator = ledger.Actor{Role: "operator"}

const userUsage = `user <subcommand> [flags]

Subcommands:
  add USERNAME --role ROLE [--name NAME] [--unit UNIT] [--password-stdin]
  list [--json]
  disable USERNAME
  enable USERNAME
  role USERNAME ROLE
  password USERNAME          give a new generated password (to be changed at sign-in)
  token USERNAME --name NAME [--days N]   create an API token`

func runUser(e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "Usage: vigil "+userUsage)
		if len(args) == 0 {
			return usagef("say what to do with accounts")
		}
		return nil
	}
	sub, args := args[0], args[1:]
	f := newFlags(e, "user "+sub, userUsage).withStore()
	var role, name, unit, tokenName *string
	var days *int
	var stdinPassword, asJSON *bool
	switch sub {
	case "add":
		role = f.String("role", "", "the account's `ROLE`: "+roleList())
		name = f.String("name", "", "display `NAME` (private)")
		unit = f.String("unit", "", "organisational `UNIT` (private)")
		stdinPassword = f.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	case "list":
		asJSON = f.Bool("json", false, "print JSON")
	case "token":
		tokenName = f.String("name", "", "what the token is for")
		days = f.Int("days", 90, "days the token works (1 to 365)")
	case "disable", "enable", "role", "password":
	default:
		return usagef("unknown subcommand %q; the subcommands are add, list, disable, enable, role, password, token", sub)
	}
	if err := f.parse(args); err != nil {
		return err
	}
	want := map[string]int{"add": 1, "list": 0, "disable": 1, "enable": 1, "role": 2, "password": 1, "token": 1}[sub]
	if len(f.positional) != want {
		return usagef("%s takes %d argument(s), got %d; see 'vigil user -h'", sub, want, len(f.positional))
	}
	if sub == "add" {
		if *role == "" {
			return usagef("add needs --role: one of %s", roleList())
		}
		if _, err := auth.ParseRole(*role); err != nil {
			return usageError{err.Error()}
		}
	}
	a, err := f.open(e)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := e.ctx

	switch sub {
	case "add":
		n := auth.NewAccount{Username: f.positional[0], Role: auth.Role(*role), DisplayName: *name, Unit: *unit}
		if *stdinPassword {
			line, err := bufio.NewReader(e.stdin).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("read the password from standard input: %w", err)
			}
			n.Password = strings.TrimRight(line, "\r\n")
		} else {
			n.MustChangePassword = true
		}
		acc, pw, err := a.Auth.Create(ctx, operator, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Created %s (%s).\n", acc.Username, acc.Role)
		if !*stdinPassword {
			fmt.Fprintf(e.stdout, "Password: %s\nIt is shown only now and must be changed at first sign-in.\n", pw)
		}
	case "list":
		list, err := a.Auth.List(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			type row struct {
				Username    string    `json:"username"`
				DisplayName string    `json:"display_name"`
				Role        auth.Role `json:"role"`
				Unit        string    `json:"unit"`
				Disabled    bool      `json:"disabled"`
				Created     time.Time `json:"created_at"`
			}
			out := make([]row, len(list))
			for i, x := range list {
				out[i] = row{x.Username, x.DisplayName, x.Role, x.Unit, x.Disabled, x.CreatedAt}
			}
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tUNIT\tSTATE\tNAME")
		for _, x := range list {
			state := "active"
			switch {
			case x.Disabled:
				state = "disabled"
			case x.MustChangePassword:
				state = "must-change-password"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.Username, x.Role, dash(x.Unit), state, dash(x.DisplayName))
		}
		return tw.Flush()
	case "disable", "enable":
		acc, err := lookup(e, a, f.positional[0])
		if err != nil {
			return err
		}
		if _, err := a.Auth.SetDisabled(ctx, operator, acc.ID, sub == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s is %sd.\n", acc.Username, sub)
	case "role":
		acc, err := lookup(e, a, f.positional[0])
		if err != nil {
			return err
		}
		r, err := auth.ParseRole(f.positional[1])
		if err != nil {
			return usageError{err.Error()}
		}
		if _, err := a.Auth.SetRole(ctx, operator, acc.ID, r); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s is now %s; their sessions have ended.\n", acc.Username, r)
	case "password":
		acc, err := lookup(e, a, f.positional[0])
		if err != nil {
			return err
		}
		pw, err := a.Auth.ResetPassword(ctx, operator, acc.ID, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "New password for %s: %s\nIt is shown only now and must be changed at next sign-in.\n", acc.Username, pw)
	case "token":
		acc, err := lookup(e, a, f.positional[0])
		if err != nil {
			return err
		}
		if *days < 1 || *days > 365 {
			return usagef("--days is from 1 to 365")
		}
		_, secret, err := a.Auth.CreateToken(ctx, acc, *tokenName, time.Duration(*days)*24*time.Hour)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, secret)
	}
	return nil
}

func lookup(e *env, a *app.App, username string) (auth.Account, error) {
	acc, err := a.Auth.GetByUsername(e.ctx, username)
	if errors.Is(err, auth.ErrNotFound) {
		return acc, fmt.Errorf("no account is named %q", username)
	}
	return acc, err
}

func roleList() string {
	names := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
