package force

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// TestNothingPersonalOnTheLedger goes through every write path of the
// package with recognisable names, units, places and free text, then
// checks that no log entry holds any of them, nor any account's ID.
func TestNothingPersonalOnTheLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		z := w.account("zainab.okonkwo", "Zainab Okonkwo", auth.Officer, "Riot Squad Nine")
		boss := w.account("harbour.boss", "Marguerite Van Der Berg", auth.Commander, "Riot Squad Nine")
		if _, err := db.Exec(ctx, "UPDATE accounts SET created_at = ? WHERE unit = 'Riot Squad Nine'", store.Micros(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))); err != nil {
			t.Fatal(err)
		}
		secrets := []string{
			"Zainab", "Okonkwo", "zainab.okonkwo", "Marguerite", "Riot Squad Nine", "Public Order Unit",
			"Sam Okafor", "Lee Brandt",
			"Kestrel Training College", "CERT-99-ALPHA", "failed the refresher at Kestrel",
			"fountain on Harbour Road", "4.8952", "52.3702",
			"bottles at the fountain", "shouted twice through the megaphone", "cracked rib", "paramedic Jones",
			"BWC-SECRET-7", "the footage shows him kneeling", "Kestrel ombuds office", "OMB-77-QX",
			"kneeling man struck", "case opened by Kestrel", "late certificate from Kestrel",
		}
		c, err := w.s.RecordCertificate(ctx, boss, NewCertificate{AccountID: z.ID, Weapon: "baton", IssuedOn: w.now.AddDate(0, -2, 0), ExpiresOn: w.now.AddDate(1, 0, 0),
			Issuer: "Kestrel Training College", Reference: "CERT-99-ALPHA"})
		if err != nil {
			t.Fatal(err)
		}
		in, _, err := w.s.Report(ctx, z, NewIncident{
			Weapon: "baton", OccurredAt: w.now.Add(-2 * time.Hour), Point: Point(4.8952, 52.3702), Place: "fountain on Harbour Road", AssemblyID: w.assembly.ID,
			Circumstances: "Two men threw bottles at the fountain and at officers.", WarningGiven: true, Warning: "I shouted twice through the megaphone.",
			Injuries: 1, InjuryDescription: "A cracked rib.", Medical: MedicalGiven, MedicalNote: "paramedic Jones treated him.",
			BodyCameras: []string{"BWC-SECRET-7"}, Uses: 3,
		})
		if err != nil {
			t.Fatal(err)
		}
		n := w.incident()
		n.Weapon = "tear_gas"
		n.Circumstances = "A kneeling man struck with the canister."
		untrained := w.report(z, n)
		if _, err := w.s.AddAddendum(ctx, z, in.ID, "Correction: the footage shows him kneeling.", []string{"BWC-SECRET-7"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.ReviewFlag(ctx, w.oversight, untrained.ID, "A late certificate from Kestrel was seen."); err != nil {
			t.Fatal(err)
		}
		ref, err := w.s.Refer(ctx, w.oversight, in.ID, NewReferral{BodyKind: Ombudsperson, Body: "Kestrel ombuds office", Reference: "OMB-77-QX", Reasons: "A kneeling man struck: the footage contradicts the report."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.UpdateReferral(ctx, w.oversight, ref.ID, Opened, "", "A case opened by Kestrel ombuds."); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.FileZeroReport(ctx, boss, "2026-10"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.RevokeCertificate(ctx, boss, c.ID, "She failed the refresher at Kestrel."); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range []auth.Account{z, boss, w.offA, w.offB, w.cmd3, w.oversight} {
			ids = append(ids, a.ID)
		}

		rows, err := db.Query(ctx, "SELECT type, entry FROM events WHERE type LIKE 'force.%' ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		seen := map[string]bool{}
		for rows.Next() {
			var typ string
			var entry []byte
			if err := rows.Scan(&typ, &entry); err != nil {
				t.Fatal(err)
			}
			seen[typ] = true
			if _, err := ledger.ParseEntry(entry); err != nil {
				t.Errorf("%s: not a valid entry: %v", typ, err)
			}
			low := strings.ToLower(string(entry))
			for _, s := range append(secrets, ids...) {
				if strings.Contains(low, strings.ToLower(s)) {
					t.Errorf("%s entry holds %q: %s", typ, s, entry)
				}
			}
		}
		for _, k := range []ledger.Kind{evCertificateRecorded, evCertificateRevoked, evIncidentReported, evAddendumAdded, evFlagReviewed, evZeroReportFiled, evReferred, evReferralUpdated} {
			if !seen[k.Name] {
				t.Errorf("no %s entry was checked", k.Name)
			}
		}
	})
}
