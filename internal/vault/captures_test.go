package vault

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/policy"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// TestRefusedUrgentUseShredsItsCaptures runs the real register: a drone
// flies under urgent use, its footage is stored, and the authorizer
// refuses the use. The footage's schedule ends in the transaction that
// stops the deployment, and the next sweep destroys it; footage of a
// deployment that was authorized is kept.
func TestRefusedUrgentUseShredsItsCaptures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		stack, err := policy.Stack(policy.DefaultPack)
		if err != nil {
			t.Fatal(err)
		}
		engine, err := policy.NewEngine(stack, policy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		reg := assembly.NewService(db, ledger.NewOutbox(), assembly.Options{Policy: engine})
		reg.SetCaptureShredder(f.v)
		f.v.cfg.Deployments = reg
		f.now = time.Now().UTC()
		admin, oversight, judge := f.acc("admin"), f.acc("oversight"), f.acc("authorizer")
		commander := f.acc("commander")
		start := f.now.Add(-time.Hour)
		asm, _, err := reg.Register(ctx, commander, assembly.New{Title: "Climate march", Kind: assembly.Notified, Starts: start, Ends: start.Add(8 * time.Hour),
			ExpectedSize: 5000, Area: `{"type":"Polygon","coordinates":[[[4.8910,52.3730],[4.8930,52.3730],[4.8930,52.3740],[4.8910,52.3740],[4.8910,52.3730]]]}`})
		if err != nil {
			t.Fatal(err)
		}
		drone, err := reg.RegisterTechnology(ctx, admin, assembly.NewTechnology{Kind: "drone_camera", Product: "SkyEye 4", Supplier: "Aerial Ltd", Accuracy: "n/a", DemographicErrors: "n/a"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.RecordAssessment(ctx, oversight, drone.ID, assembly.NewAssessment{AssessedOn: f.now.Add(-30 * 24 * time.Hour), ExpiresOn: f.now.Add(300 * 24 * time.Hour),
			Assessor: "Institute for Human Rights", Summary: "Assessed against the UN Guiding Principles; safeguards in place."}); err != nil {
			t.Fatal(err)
		}
		urgent := assembly.NewRequest{AssemblyID: asm.ID, TechnologyID: drone.ID, Purpose: "public_order", Mode: "untargeted", Urgent: true,
			Suspicion: policy.Suspicion{ConcreteIndications: true}, RetentionDays: 14,
			Grounds: "A group posted plans to attack the counter-demonstration with bottles at 15:00."}
		fly := func() (assembly.Request, Item) {
			r, _, err := reg.FileRequest(ctx, commander, urgent)
			if err != nil {
				t.Fatal(err)
			}
			dep, err := reg.DeploymentOf(ctx, r.ID)
			if err != nil || dep.Status != assembly.Active {
				t.Fatalf("urgent use did not start: %+v, %v", dep, err)
			}
			n := NewItem{Class: "capture", MediaType: "video/mp4", DeploymentID: dep.ID, Purpose: "Drone footage of the march",
				Capture: Capture{DeviceTime: f.now, Source: "drone 2"}}
			it, _ := f.ingest("officer", n, mp4("drone-", 8192))
			return r, it
		}
		refusedReq, refused := fly()
		approvedReq, approved := fly()
		if !refused.RetainUntil.After(f.now.Add(13 * 24 * time.Hour)) {
			t.Fatalf("a capture is kept until %v, not its deployment's 14 days", refused.RetainUntil)
		}
		if _, err := reg.Decide(ctx, judge, refusedReq.ID, assembly.Verdict{Approve: false, Reasons: "No concrete indications were shown."}); err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Decide(ctx, judge, approvedReq.ID, assembly.Verdict{Approve: true, Reasons: "The posted plans are concrete and specific."}); err != nil {
			t.Fatal(err)
		}
		f.now = time.Now().UTC().Add(time.Second)
		n, err := f.v.Sweep(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sweep destroyed %d, %v; want the refused deployment's capture", n, err)
		}
		got, err := f.v.Get(ctx, refused.ID)
		if err != nil || got.DestroyedAt == nil {
			t.Fatalf("the refused deployment's capture: %+v, %v", got, err)
		}
		signed, err := f.v.Receipt(ctx, refused.ID)
		if err != nil {
			t.Fatal(err)
		}
		r, err := VerifyReceipt([]byte(signed), f.verifier)
		if err != nil {
			t.Fatal(err)
		}
		if !r.RetainUntil.Before(f.now) {
			t.Errorf("the receipt keeps the original schedule %v", r.RetainUntil)
		}
		if got, err := f.v.Get(ctx, approved.ID); err != nil || got.DestroyedAt != nil {
			t.Fatalf("the authorized deployment's capture: %+v, %v", got, err)
		}
		// A capture of the stopped deployment can no longer be added.
		dep, _ := reg.DeploymentOf(ctx, refusedReq.ID)
		_, _, err = f.v.Ingest(ctx, f.acc("officer"), NewItem{Class: "capture", MediaType: "video/mp4", DeploymentID: dep.ID, Purpose: "Late upload of drone footage"}, bytes.NewReader(mp4("late-", 4096)))
		if err == nil {
			t.Error("a capture of a refused deployment was accepted")
		}
	})
}
