package force

import (
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/policy"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestTrainingChecks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		cert := w.certify(w.cmd3, w.offA, "baton")

		// One officer: trained at the moment, not before issue or after expiry, not for another weapon.
		for _, tc := range []struct {
			name   string
			weapon string
			at     time.Time
			want   bool
		}{
			{"now", "baton", w.now, true},
			{"on the day of issue", "baton", cert.IssuedOn, true},
			{"before issue", "baton", cert.IssuedOn.Add(-time.Second), false},
			{"at expiry", "baton", cert.ExpiresOn, false},
			{"expired", "baton", w.now.AddDate(2, 0, 0), false},
			{"other weapon", "tear_gas", w.now, false},
			{"unknown weapon", "flamethrower", w.now, false},
		} {
			got, err := w.s.OfficerTrained(ctx, w.offA.ID, tc.weapon, tc.at)
			if err != nil || got != tc.want {
				t.Errorf("OfficerTrained %s = %v, %v; want %v", tc.name, got, err, tc.want)
			}
		}

		// The unit: one untrained member makes it untrained.
		unitTrained := func(unit, weapon string, at time.Time) bool {
			t.Helper()
			ok, err := w.s.UnitTrained(ctx, unit, weapon, at)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if unitTrained(unit3, "baton", w.now) {
			t.Fatal("unit 3 trained with two of three members uncertified")
		}
		w.certify(w.cmd3, w.offB, "baton")
		if unitTrained(unit3, "baton", w.now) {
			t.Fatal("unit 3 trained while its commander is uncertified")
		}
		w.certify(w.admin, w.cmd3, "baton") // a commander does not certify themself
		if !unitTrained(unit3, "baton", w.now) {
			t.Fatal("unit 3 untrained with every member certified")
		}
		if !unitTrained("PUBLIC ORDER UNIT3", "baton", w.now) {
			t.Fatal("units must compare without regard to case or spacing")
		}
		if unitTrained(unit3, "baton", w.now.AddDate(2, 0, 0)) {
			t.Fatal("unit 3 trained after its certificates expired")
		}
		if unitTrained(unit3, "tear_gas", w.now) {
			t.Fatal("unit 3 trained for a weapon nobody holds a certificate for")
		}
		if unitTrained("", "baton", w.now) || unitTrained("Nobody's Unit", "baton", w.now) {
			t.Fatal("an empty unit, or one without members, is never trained")
		}
		// A new, uncertified member untrains the unit; disabling them does not count them.
		newbie := w.account("newbie", "New Recruit", auth.Officer, unit3)
		if unitTrained(unit3, "baton", w.now) {
			t.Fatal("unit 3 trained with an uncertified new member")
		}
		u, err := w.s.UnitTrainingFor(ctx, unit3, "baton", w.now)
		if err != nil || len(u.Members) != 4 || len(u.Untrained()) != 1 || u.Untrained()[0].AccountID != newbie.ID {
			t.Fatalf("unit training %+v %v", u, err)
		}
		if _, err := w.as.SetDisabled(ctx, w.admin.Actor(), newbie.ID, true); err != nil {
			t.Fatal(err)
		}
		if !unitTrained(unit3, "baton", w.now) {
			t.Fatal("a disabled account still counts as a member")
		}
		// Revocation holds from then on, not before.
		revokedAt := w.now
		if _, err := w.s.RevokeCertificate(ctx, w.cmd3, cert.ID, "Failed the annual refresher."); err != nil {
			t.Fatal(err)
		}
		if ok, _ := w.s.OfficerTrained(ctx, w.offA.ID, "baton", revokedAt.Add(time.Minute)); ok {
			t.Fatal("a revoked certificate still holds")
		}
		if ok, _ := w.s.OfficerTrained(ctx, w.offA.ID, "baton", revokedAt.Add(-time.Hour)); !ok {
			t.Fatal("revocation reached back before it was made")
		}
		if unitTrained(unit3, "baton", revokedAt.Add(time.Minute)) {
			t.Fatal("unit 3 trained after a member's certificate was revoked")
		}
		if _, err := w.s.RevokeCertificate(ctx, w.cmd3, cert.ID, "Failed the annual refresher."); err == nil {
			t.Fatal("revoked twice")
		}
		readiness, err := w.s.UnitReadiness(ctx, unit3, revokedAt.Add(time.Minute))
		if err != nil || len(readiness) != len(assembly.Weapons) || readiness[0].Weapon != "baton" || readiness[0].Members != 3 || readiness[0].Trained != 2 {
			t.Fatalf("readiness %+v %v", readiness, err)
		}
		// Every change is an event.
		for _, want := range []string{"force.certificate_recorded", "force.certificate_revoked"} {
			var k int
			db.QueryRow(ctx, "SELECT COUNT(*) FROM events WHERE type = ?", want).Scan(&k)
			if k == 0 {
				t.Errorf("no %s event", want)
			}
		}
	})
}

func TestCertificateRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		good := NewCertificate{AccountID: w.offA.ID, Weapon: "baton", IssuedOn: w.now.AddDate(0, -1, 0), ExpiresOn: w.now.AddDate(1, 0, 0), Issuer: "National Police Academy"}
		for _, tc := range []struct {
			name   string
			by     auth.Account
			change func(*NewCertificate)
			want   error
		}{
			{"officer records", w.offB, func(*NewCertificate) {}, ErrForbidden},
			{"oversight records", w.oversight, func(*NewCertificate) {}, ErrForbidden},
			{"commander of another unit", w.cmd5, func(*NewCertificate) {}, ErrForbidden},
			{"commander for themself", w.cmd3, func(n *NewCertificate) { n.AccountID = w.cmd3.ID }, ErrForbidden},
			{"holder not police", w.admin, func(n *NewCertificate) { n.AccountID = w.reporter.ID }, ErrInvalid},
			{"no such holder", w.admin, func(n *NewCertificate) { n.AccountID = "acc_nobody" }, ErrInvalid},
			{"unknown weapon", w.cmd3, func(n *NewCertificate) { n.Weapon = "sonic_boom" }, ErrInvalid},
			{"expires before issue", w.cmd3, func(n *NewCertificate) { n.ExpiresOn = n.IssuedOn.Add(-time.Hour) }, ErrInvalid},
			{"no dates", w.cmd3, func(n *NewCertificate) { n.IssuedOn = time.Time{} }, ErrInvalid},
			{"too long", w.cmd3, func(n *NewCertificate) { n.ExpiresOn = n.IssuedOn.AddDate(6, 0, 0) }, ErrInvalid},
			{"issued in the future", w.cmd3, func(n *NewCertificate) { n.IssuedOn = w.now.AddDate(0, 0, 3) }, ErrInvalid},
			{"no issuer", w.cmd3, func(n *NewCertificate) { n.Issuer = " " }, ErrInvalid},
			{"control characters", w.cmd3, func(n *NewCertificate) { n.Issuer = "Academy\x00" }, ErrInvalid},
		} {
			n := good
			tc.change(&n)
			_, err := w.s.RecordCertificate(ctx, tc.by, n)
			is(t, tc.name, err, tc.want)
		}
		c, err := w.s.RecordCertificate(ctx, w.cmd3, good)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.RevokeCertificate(ctx, w.cmd5, c.ID, "Not my unit but I try anyway."); !isErr(err, ErrForbidden) {
			t.Fatalf("another unit's commander revoking: %v", err)
		}
		if _, err := w.s.RevokeCertificate(ctx, w.cmd3, c.ID, "short"); !isErr(err, ErrInvalid) {
			t.Fatalf("short reason: %v", err)
		}
		if _, err := w.s.RevokeCertificate(ctx, w.cmd3, "fce_nothing", "Recorded in error by me."); !isErr(err, ErrNotFound) {
			t.Fatalf("no such certificate: %v", err)
		}
		w.certify(w.cmd5, w.off5, "tear_gas")

		// Who sees which certificates.
		for _, tc := range []struct {
			viewer auth.Account
			q      CertificateQuery
			want   int
			err    error
		}{
			{w.offA, CertificateQuery{}, 1, nil},
			{w.offB, CertificateQuery{}, 0, nil},
			{w.offB, CertificateQuery{AccountID: w.offA.ID}, 0, ErrForbidden},
			{w.cmd3, CertificateQuery{}, 1, nil},
			{w.cmd5, CertificateQuery{}, 1, nil},
			{w.cmd5, CertificateQuery{Unit: unit3}, 0, ErrForbidden},
			{w.oversight, CertificateQuery{}, 2, nil},
			{w.admin, CertificateQuery{Unit: "public order unit 5"}, 1, nil},
			{w.admin, CertificateQuery{Weapon: "baton", CurrentAt: w.now}, 1, nil},
			{w.admin, CertificateQuery{Weapon: "baton", CurrentAt: w.now.AddDate(3, 0, 0)}, 0, nil},
			{w.reporter, CertificateQuery{}, 0, ErrForbidden},
		} {
			list, err := w.s.Certificates(ctx, tc.viewer, tc.q)
			if tc.err != nil {
				is(t, tc.viewer.Username+" certificates", err, tc.err)
				continue
			}
			if err != nil || len(list) != tc.want {
				t.Errorf("%s sees %d certificates (%v), want %d", tc.viewer.Username, len(list), err, tc.want)
			}
		}
		if _, err := w.s.Certificate(ctx, w.cmd5, c.ID); !isErr(err, ErrNotFound) {
			t.Fatalf("another unit's commander reading a certificate: %v", err)
		}
		if got, err := w.s.Certificate(ctx, w.offA, c.ID); err != nil || got.Issuer != "National Police Academy" || got.HolderUsername != "sam" {
			t.Fatalf("holder reading their certificate: %+v %v", got, err)
		}
		members, err := w.s.Members(ctx, unit3)
		if err != nil || len(members) != 3 {
			t.Fatalf("members of unit 3: %+v %v", members, err)
		}
	})
}

// TestRequestsCheckTraining files a less-lethal request through the
// assembly register with this service as its training register: an
// untrained unit is refused by the policy, a trained one is not.
func TestRequestsCheckTraining(t *testing.T) {
	db := storetest.SQLite(t)
	w := newWorld(t, db)
	ctx := w.ctx
	stack, err := policy.Stack(policy.DefaultPack)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := policy.NewEngine(stack, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	asm := assembly.NewService(db, ledger.NewOutbox(), assembly.Options{Policy: engine, Training: w.s})
	baton, err := asm.RegisterTechnology(ctx, w.admin, assembly.NewTechnology{Kind: "less_lethal", Weapon: "baton", Product: "Side-handle baton", Supplier: "Police Supply"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asm.RecordAssessment(ctx, w.oversight, baton.ID, assembly.NewAssessment{AssessedOn: w.now.AddDate(0, -1, 0), ExpiresOn: w.now.AddDate(1, 0, 0),
		Assessor: "Institute for Human Rights", Summary: "Assessed against the UN Guidance on Less-Lethal Weapons."}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Hour)
	march, _, err := asm.Register(ctx, w.cmd3, assembly.New{Title: "Second march", Kind: assembly.Notified, Starts: start, Ends: start.Add(4 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	file := func() []string {
		t.Helper()
		r, _, err := asm.FileRequest(ctx, w.cmd3, assembly.NewRequest{AssemblyID: march.ID, TechnologyID: baton.ID, Purpose: "public_order", Mode: "untargeted",
			Grounds: "Counter-groups fought at the last two marches.", ForceJustification: "Officers separate the groups only if talking fails."})
		if err != nil {
			t.Fatal(err)
		}
		return r.Decision.Rules()
	}
	const rule = "less-lethal-trained-units-only"
	if rules := file(); !contains(rules, rule) {
		t.Fatalf("an untrained unit's request passed the training rule: %v", rules)
	}
	// Certificates that hold at the assembly's time.
	for _, holder := range []auth.Account{w.offA, w.offB} {
		if _, err := w.s.RecordCertificate(ctx, w.cmd3, NewCertificate{AccountID: holder.ID, Weapon: "baton", IssuedOn: w.now.AddDate(0, -6, 0), ExpiresOn: start.AddDate(1, 0, 0), Issuer: "National Police Academy"}); err != nil {
			t.Fatal(err)
		}
	}
	if rules := file(); !contains(rules, rule) {
		t.Fatalf("a unit whose commander is untrained passed the training rule: %v", rules)
	}
	if _, err := w.s.RecordCertificate(ctx, w.admin, NewCertificate{AccountID: w.cmd3.ID, Weapon: "baton", IssuedOn: w.now.AddDate(0, -6, 0), ExpiresOn: start.AddDate(1, 0, 0), Issuer: "National Police Academy"}); err != nil {
		t.Fatal(err)
	}
	if rules := file(); contains(rules, rule) {
		t.Fatalf("a trained unit's request failed the training rule: %v", rules)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
