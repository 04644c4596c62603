package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/app"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/force"
)

// seedForce gives Public Order Unit 3's officer and commander their baton
// certificates, files the unit's zero report for last month, and reports
// the baton use of last night, so that the training register, the
// zero-report page and the statistics are not empty.
func seedForce(ctx context.Context, a *app.App, accounts map[string]auth.Account, now time.Time) error {
	admin, commander, officer := accounts["admin"], accounts["commander"], accounts["officer"]
	issued := now.AddDate(0, -8, 0).UTC().Truncate(24 * time.Hour)
	for _, c := range []struct {
		by, holder auth.Account
		reference  string
	}{
		{commander, officer, "NPA-LLW-2026-0412"}, // a commander certifies their unit's officers
		{admin, commander, "NPA-LLW-2026-0388"},   // and never themself
	} {
		if _, err := a.Force.RecordCertificate(ctx, c.by, force.NewCertificate{
			AccountID: c.holder.ID, Weapon: "baton", IssuedOn: issued, ExpiresOn: issued.AddDate(2, 0, 0),
			Issuer: "National Police Academy, public order course", Reference: c.reference,
		}); err != nil {
			return fmt.Errorf("demo: certificate: %w", err)
		}
	}
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if _, err := a.Force.FileZeroReport(ctx, commander, force.MonthOf(thisMonth.AddDate(0, -1, 0))); err != nil {
		return fmt.Errorf("demo: zero report: %w", err)
	}
	if _, _, err := a.Force.Report(ctx, officer, force.NewIncident{
		Weapon: "baton", OccurredAt: now.Add(-20 * time.Hour).UTC().Truncate(time.Minute), Uses: 2,
		Place: "Dam Square, by the National Monument", Point: force.Point(4.8932, 52.3731),
		Circumstances: "After the evening rally had ended, a man pulled a steward to the ground and kicked him. " +
			"He ignored two orders to stop and swung a bottle at the officer who stepped in.",
		WarningGiven: true, Warning: "Ordered him twice to stop and step back, in Dutch and English.",
		Injuries: 1, InjuryDescription: "Bruised forearm (the man); the steward was unhurt.",
		Medical: force.MedicalGiven, MedicalNote: "First aid on the spot; he declined the ambulance.",
		BodyCameras: []string{"BWC-0412/clip-2231"},
	}); err != nil {
		return fmt.Errorf("demo: use of force: %w", err)
	}
	return nil
}
