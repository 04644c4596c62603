package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-project/vigil/internal/app"
	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/policy"
)

// seedRequests registers the technologies the demo's police hold, with
// their assessments, and files the requests a week around the climate
// march brings: counting people (allowed at once), body cameras for
// accountability (allowed, with safeguards), a drone over the march on
// concrete indications (waiting for the judge), and facial recognition of
// the crowd (refused by the rules).
func seedRequests(ctx context.Context, a *app.App, accounts map[string]auth.Account, asms []assembly.Assembly, now time.Time) error {
	admin, oversight, commander := accounts["admin"], accounts["oversight"], accounts["commander"]
	techs := map[string]assembly.Technology{}
	for _, n := range []assembly.NewTechnology{
		{Kind: "crowd_counting", Product: "FlowCount", Version: "3.2", Supplier: "Stadsensor BV"},
		{Kind: "body_camera", Product: "BodyCam 2", Supplier: "Axon Enterprise"},
		{Kind: "drone_camera", Product: "SkyEye 4", Supplier: "Aerial Systems Ltd",
			Accuracy: "No image analysis: video only.", DemographicErrors: "No image analysis: video only."},
		{Kind: "facial_recognition", Product: "FaceMatch", Version: "7", Supplier: "Biometrix",
			Accuracy: "FNMR 0.3% at FMR 0.1% (vendor test, 2025)", DemographicErrors: "Not published by the vendor."},
	} {
		t, err := a.Assemblies.RegisterTechnology(ctx, admin, n)
		if err != nil {
			return fmt.Errorf("demo: technology %s: %w", n.Product, err)
		}
		techs[n.Kind] = t
		if n.Kind == "facial_recognition" {
			continue // never assessed: the register shows it
		}
		if _, err := a.Assemblies.RecordAssessment(ctx, oversight, t.ID, assembly.NewAssessment{
			AssessedOn: now.AddDate(0, -2, 0), ExpiresOn: now.AddDate(1, 0, 0), Assessor: "National Institute for Human Rights",
			Summary: "Assessed against the UN Guiding Principles on Business and Human Rights: purpose limits, retention and access logging in place.",
		}); err != nil {
			return fmt.Errorf("demo: assessment of %s: %w", n.Product, err)
		}
	}
	march := asms[0]
	for _, n := range []assembly.NewRequest{
		{AssemblyID: march.ID, TechnologyID: techs["crowd_counting"].ID, Purpose: "facilitation", Mode: "untargeted",
			Grounds: "Estimate density at the Magere Brug to open the second route in time."},
		{AssemblyID: march.ID, TechnologyID: techs["body_camera"].ID, Purpose: "accountability", Mode: "untargeted", RetentionDays: 60,
			Grounds: "Officers on the route wear cameras openly to record their own interventions."},
		{AssemblyID: march.ID, TechnologyID: techs["drone_camera"].ID, Purpose: "public_order", Mode: "untargeted", RetentionDays: 14,
			Suspicion: policy.Suspicion{ConcreteIndications: true}, LegalBasis: "Police Act s. 3",
			Grounds: "A group posted plans to attack the counter-demonstration at Dam Square at 15:00."},
		{AssemblyID: march.ID, TechnologyID: techs["facial_recognition"].ID, Purpose: "public_order", Mode: "untargeted",
			Grounds: "Identify known troublemakers in the crowd as they arrive."},
	} {
		if _, _, err := a.Assemblies.FileRequest(ctx, commander, n); err != nil {
			return fmt.Errorf("demo: request: %w", err)
		}
	}
	return nil
}
