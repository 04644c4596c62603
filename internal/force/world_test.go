package force

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// world is a force service over a real database, with two police units,
// oversight, an admin and a reporter, an assembly, and a clock the test
// moves.
type world struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	s   *Service
	as  *auth.Service
	asm *assembly.Service
	now time.Time

	admin, oversight, reporter auth.Account
	// Unit 3: a commander and two officers. Unit 5: a commander and an officer.
	cmd3, offA, offB auth.Account
	cmd5, off5       auth.Account
	assembly         assembly.Assembly
}

const (
	unit3 = "Public Order Unit 3"
	unit5 = "Public Order Unit 5"
)

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	outbox := ledger.NewOutbox()
	w := &world{t: t, ctx: ctx, db: db, now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	w.s = NewService(db, outbox)
	w.s.now = func() time.Time { return w.now }
	w.as = auth.New(db, outbox, auth.Config{Params: auth.Params{Memory: 1024, Time: 1, Threads: 1}})
	w.asm = assembly.NewService(db, outbox, assembly.Options{Training: w.s})
	w.admin = w.account("admin", "Site Administrator", auth.Admin, "")
	w.oversight = w.account("inspector", "Data Protection Inspector", auth.Oversight, "DPA")
	w.reporter = w.account("reporter", "Alex Morgan", auth.Reporter, "")
	w.cmd3 = w.account("dana", "Dana Reyes", auth.Commander, unit3)
	w.offA = w.account("sam", "Sam Okafor", auth.Officer, unit3)
	w.offB = w.account("lee", "Lee Brandt", auth.Officer, "public order  unit 3") // the same unit, spelt differently
	w.cmd5 = w.account("kim", "Kim Yilmaz", auth.Commander, unit5)
	w.off5 = w.account("ravi", "Ravi Nair", auth.Officer, unit5)
	// Every account exists since the start of 2026, as far as zero reports go.
	if _, err := db.Exec(ctx, "UPDATE accounts SET created_at = ?", store.Micros(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	var err error
	w.assembly, _, err = w.asm.Register(ctx, w.cmd3, assembly.New{Title: "Climate march", Kind: assembly.Notified, Starts: start, Ends: start.Add(6 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) account(username, name string, role auth.Role, unit string) auth.Account {
	w.t.Helper()
	a, _, err := w.as.Create(w.ctx, ledger.System, auth.NewAccount{Username: username, DisplayName: name, Role: role, Unit: unit})
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// certify records a certificate for a holder, valid for a year either
// side of now, by someone allowed to.
func (w *world) certify(by, holder auth.Account, weapon string) Certificate {
	w.t.Helper()
	c, err := w.s.RecordCertificate(w.ctx, by, NewCertificate{AccountID: holder.ID, Weapon: weapon,
		IssuedOn: w.now.AddDate(-1, 0, 0), ExpiresOn: w.now.AddDate(1, 0, 0), Issuer: "National Police Academy"})
	if err != nil {
		w.t.Fatalf("certify %s for %s: %v", holder.Username, weapon, err)
	}
	return c
}

// incident is a valid report of one baton use an hour ago.
func (w *world) incident() NewIncident {
	return NewIncident{
		Weapon: "baton", OccurredAt: w.now.Add(-time.Hour), Place: "Market square, north side", AssemblyID: w.assembly.ID,
		Circumstances: "A man struck a colleague with a flagpole and kept swinging it at the line.",
		WarningGiven:  true, Warning: "Shouted 'police, drop it' twice.",
		Injuries: 1, InjuryDescription: "Bruised forearm.", Medical: MedicalCalled, MedicalNote: "Street medics treated him.",
		BodyCameras: []string{"BWC-0042/2026-11-30T11:02"}, Uses: 2,
	}
}

func (w *world) report(by auth.Account, n NewIncident) Incident {
	w.t.Helper()
	in, _, err := w.s.Report(w.ctx, by, n)
	if err != nil {
		w.t.Fatalf("report by %s: %v", by.Username, err)
	}
	w.now = w.now.Add(time.Second) // reports made one after another
	return in
}

// is fails the test unless err matches target.
func is(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got %v, want %v", what, err, target)
	}
}

func isErr(err, target error) bool { return errors.Is(err, target) }
