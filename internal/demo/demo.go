// Package demo seeds a fresh Vigil with a small, realistic scenario: an
// account for every role, a few assemblies in a city, an order to cut the
// mobile network that an operator received and challenged, and the events
// they leave on the log, so that a newcomer sees a living system.
//
// Everything here is invented. The names, units and contacts exist to show
// that the public log never carries them.
package demo

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/vigil-project/vigil/internal/app"
	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/disrupt"
	"github.com/vigil-project/vigil/internal/ledger"
)

// Credential is a demo account and its password.
type Credential struct {
	Username string
	Password string
	Role     auth.Role
}

type person struct {
	username, name, unit string
	role                 auth.Role
}

var people = []person{
	{"admin", "Site Administrator", "", auth.Admin},
	{"officer", "Sam Okafor", "Public Order Unit 3", auth.Officer},
	{"commander", "Dana Reyes", "Public Order Unit 3", auth.Commander},
	{"judge", "Judge Ilse Brandt", "District Court", auth.Authorizer},
	{"oversight", "Data Protection Inspector", "Data Protection Authority", auth.Oversight},
	{"monitor", "Priya Nair", "Civic Observers", auth.Monitor},
	{"moderator", "Tomás Silva", "Helpline Trust and Safety", auth.Moderator},
	// A mobile network's staff record the orders it receives; Vigil has
	// no operator role, and moderators are the service operators' staff.
	{"operator", "Network Operations Desk", "Northwind Mobile", auth.Moderator},
	{"flagger", "Safe Online Network", "Safe Online Network", auth.Flagger},
	{"reporter", "Alex Morgan", "", auth.Reporter},
}

// Seeded is what the demo made that people need to try it.
type Seeded struct {
	Credentials []Credential
	// Submission is a victim's evidence submission.
	Submission *Submission
}

// Seed fills an empty Vigil with the scenario and returns the demo
// accounts. If there are accounts already, it changes nothing and returns
// nil. The app's vault must be open (the log's keys must exist).
func Seed(ctx context.Context, a *app.App, now time.Time) (*Seeded, error) {
	list, err := a.Auth.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(list) > 0 {
		return nil, nil
	}
	if a.Vault == nil {
		return nil, fmt.Errorf("demo: the vault is not open: make the log's keys first")
	}
	var creds []Credential
	accounts := map[string]auth.Account{}
	for _, p := range people {
		acc, pw, err := a.Auth.Create(ctx, ledger.System, auth.NewAccount{Username: p.username, DisplayName: p.name, Role: p.role, Unit: p.unit})
		if err != nil {
			return nil, fmt.Errorf("demo: account %s: %w", p.username, err)
		}
		accounts[p.username] = acc
		creds = append(creds, Credential{Username: p.username, Password: pw, Role: p.role})
	}

	day := now.UTC().Truncate(24 * time.Hour)
	assemblies := []struct {
		by string
		n  assembly.New
	}{
		{"commander", assembly.New{
			Title: "Climate march, city centre", Kind: assembly.Notified,
			Starts: day.Add(24*time.Hour + 10*time.Hour), Ends: day.Add(24*time.Hour + 16*time.Hour), ExpectedSize: 5000,
			Area:             `{"type":"LineString","coordinates":[[4.8897,52.3731],[4.8936,52.3727],[4.8994,52.3712],[4.9041,52.3676]]}`,
			OrganiserContact: "march-stewards@example.org",
		}},
		{"monitor", assembly.New{
			Title: "Vigil for press freedom", Kind: assembly.Spontaneous,
			Starts: day.Add(18 * time.Hour), Ends: day.Add(21 * time.Hour), ExpectedSize: 300,
			Area: `{"type":"Polygon","coordinates":[[[4.8910,52.3730],[4.8930,52.3730],[4.8930,52.3740],[4.8910,52.3740],[4.8910,52.3730]]]}`,
		}},
		{"officer", assembly.New{
			Title: "Teachers' strike rally", Kind: assembly.Notified,
			Starts: day.Add(3*24*time.Hour + 11*time.Hour), Ends: day.Add(3*24*time.Hour + 14*time.Hour), ExpectedSize: 1200,
			OrganiserContact: "union office, +31 20 555 0100",
		}},
	}
	var registered []assembly.Assembly
	for _, x := range assemblies {
		asm, _, err := a.Assemblies.Register(ctx, accounts[x.by], x.n)
		if err != nil {
			return nil, fmt.Errorf("demo: assembly %q: %w", x.n.Title, err)
		}
		registered = append(registered, asm)
	}
	if err := seedRequests(ctx, a, accounts, registered, now); err != nil {
		return nil, err
	}
	if err := seedForce(ctx, a, accounts, now); err != nil {
		return nil, err
	}
	// A token for the body-camera dock, and an officer moved to a new unit:
	// the kind of changes a real week brings.
	if _, _, err := a.Auth.CreateToken(ctx, accounts["officer"], "body camera dock, station 4", 30*24*time.Hour); err != nil {
		return nil, err
	}
	if _, err := a.Auth.SetUnit(ctx, accounts["admin"].Actor(), accounts["officer"].ID, "Public Order Unit 5"); err != nil {
		return nil, err
	}
	if err := seedDisruption(ctx, a, accounts["operator"], day); err != nil {
		return nil, err
	}
	sub, err := seedVault(ctx, a, accounts, now)
	if err != nil {
		return nil, err
	}
	return &Seeded{Credentials: creds, Submission: sub}, nil
}

// seedDisruption records the order the mobile operator received this
// morning, to cut mobile internet in the capital during this evening's
// vigil, and what it did: it went to court and told its customers.
func seedDisruption(ctx context.Context, a *app.App, operator auth.Account, day time.Time) error {
	o, _, err := a.Disruptions.Record(ctx, operator, disrupt.Order{
		IssuingAuthority: "Ministry of the Interior, Directorate of Communications",
		OrderedBy:        "Executive government",
		LegalBasis:       "Public Order Act, section 12 (emergency powers), as cited in the order",
		Justification:    "Preventing the spread of calls to protest",
		Country:          "Freedonia",
		GeoScope:         disrupt.GeoScopeOneCity,
		Regions:          []string{"Capital District"},
		Types:            []disrupt.ShutdownType{disrupt.TypeShutdown},
		Extent:           []disrupt.Extent{disrupt.ExtentFullNetwork},
		Networks:         []disrupt.Network{disrupt.NetworkMobile},
		Telcos:           "Northwind Mobile",
		Start:            day,
		StartDateType:    "Actual",
		Status:           disrupt.StatusOngoing,
		ActualCause:      "Protests",
		Event:            "Written order received at 09:40 to cut mobile data in the Capital District from 17:00 until further notice, ahead of the vigil for press freedom.",
		Implemented:      disrupt.No,
	})
	if err != nil {
		return fmt.Errorf("demo: disruption order: %w", err)
	}
	for _, c := range []disrupt.StatusChange{
		{Change: disrupt.ChangeChallenged, Answer: disrupt.Yes, On: day, Note: "Urgent application to the Administrative Court, filed by the legal department."},
		{Change: disrupt.ChangeCustomersTold, Answer: disrupt.Yes, On: day, Note: "Text message to all subscribers in the Capital District, and a notice on the website."},
	} {
		if _, _, err := a.Disruptions.Update(ctx, operator, o.ID, c); err != nil {
			return fmt.Errorf("demo: disruption order: %w", err)
		}
	}
	return nil
}

// Print writes the demo accounts as a table.
func Print(w io.Writer, creds []Credential) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROLE\tUSERNAME\tPASSWORD")
	for _, c := range creds {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Role, c.Username, c.Password)
	}
	tw.Flush()
}
