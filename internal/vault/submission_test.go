package vault

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func screenshot() NewItem {
	return NewItem{Class: "report", MediaType: "image/png", Purpose: "Threats received by direct message", Capture: Capture{Filename: "threat.png"}}
}

var png = append([]byte("\x89PNG\x0d\x0a\x1a\x0a"), make([]byte, 4000)...)

func TestSubmitterSeesEveryAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		victim := f.acc("reporter")
		first, rcpt := f.ingest("reporter", screenshot(), png)
		if rcpt == nil || NormalizeCaseNumber(rcpt.Submission) != rcpt.Submission || len(rcpt.PIN) != 9 {
			t.Fatalf("receipt = %+v", rcpt)
		}
		if first.SubmissionID != rcpt.Submission {
			t.Fatalf("item's submission %q, receipt's %q", first.SubmissionID, rcpt.Submission)
		}
		// Adding to it: by its maker, or by whoever has its PIN.
		n := screenshot()
		n.Submission = strings.ToLower(strings.ReplaceAll(rcpt.Submission, "-", " "))
		second, again := f.ingest("reporter", n, png)
		if again != nil || second.SubmissionID != rcpt.Submission {
			t.Fatalf("second item joined %q (receipt %+v)", second.SubmissionID, again)
		}
		n.PIN = rcpt.PIN
		if _, _, err := f.v.Ingest(f.ctx, f.acc("moderator"), n, strings.NewReader(string(png))); err != nil {
			t.Fatalf("a support service with the PIN: %v", err)
		}
		n.PIN = "0000-0000"
		if _, _, err := f.v.Ingest(f.ctx, f.acc("reporter2"), n, strings.NewReader(string(png))); !errors.Is(err, ErrForbidden) {
			t.Fatalf("a stranger with a wrong PIN added to the submission: %v", err)
		}

		// A support service opens a complaint, holds the screenshot and
		// reads it; oversight cannot read it without a case.
		sup := f.acc("moderator")
		c, err := f.v.OpenCase(f.ctx, sup, Complaint, "Complaint 88")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.v.PlaceHold(f.ctx, sup, c.ID, first.ID, f.now.Add(1000*24*time.Hour), "The victim's complaint to the police"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.v.Authorize(f.ctx, sup, first.ID, Access{Action: ActionDownload, Purpose: "Attach to the complaint", Basis: Basis{Kind: BasisCase, Ref: c.ID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.v.Authorize(f.ctx, f.acc("oversight"), first.ID, Access{Action: ActionView, Purpose: "Audit", Basis: Basis{Kind: BasisCase, Ref: c.ID}}); !errors.Is(err, ErrForbidden) {
			t.Errorf("oversight read without being on the case: %v", err)
		}
		// The victim reads their own.
		if _, err := f.v.Authorize(f.ctx, victim, second.ID, Access{Action: ActionView, Purpose: "Check what I sent", Basis: Basis{Kind: BasisSubmitter}}); err != nil {
			t.Errorf("the submitter reading their own: %v", err)
		}
		if _, err := f.v.Authorize(f.ctx, f.acc("reporter2"), second.ID, Access{Action: ActionView, Purpose: "Snooping around", Basis: Basis{Kind: BasisSubmitter}}); !errors.Is(err, ErrNotFound) {
			t.Errorf("another reporter claiming to be the submitter: %v", err)
		}

		// Anonymously, with the case number and PIN: every read, by role,
		// with its purpose; never who.
		view, err := f.v.Submission(f.ctx, " "+strings.ToLower(rcpt.Submission)+" ", strings.ReplaceAll(rcpt.PIN, "-", ""), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Items) != 3 {
			t.Fatalf("view has %d items, want 3", len(view.Items))
		}
		acc := view.Accesses[first.ID]
		if len(acc) != 1 || acc[0].Role != "moderator" || acc[0].Action != ActionDownload || acc[0].Purpose != "Attach to the complaint" || acc[0].AccountID != "" {
			t.Errorf("accesses to the first item = %+v", acc)
		}
		if hs := view.Holds[first.ID]; len(hs) != 1 || hs[0].CaseKind != Complaint || !hs[0].Active {
			t.Errorf("holds = %+v", hs)
		}
		for _, bad := range [][2]string{{rcpt.Submission, "1234-5678"}, {"VC-BBBB-BBBB-BBBB", rcpt.PIN}, {"nonsense", rcpt.PIN}, {"", ""}} {
			if _, err := f.v.Submission(f.ctx, bad[0], bad[1], ""); !errors.Is(err, ErrForbidden) || errorKey(err) != "vault.submission_unknown" {
				t.Errorf("Submission(%q, %q) = %v", bad[0], bad[1], err)
			}
		}
	})
}

func TestDeploymentBasis(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.deps.m["dep_drone"] = deploymentWindow{starts: f.now.Add(-time.Hour), ends: f.now.Add(5 * time.Hour), days: 14}
		n := NewItem{Class: "capture", DeploymentID: "dep_drone", MediaType: "video/mp4", Purpose: "Drone footage of the march route"}
		it, _ := f.ingest("officer", n, mp4("drone-", 10000))
		if want := f.now.Add(14 * 24 * time.Hour); !it.RetainUntil.Equal(want) {
			t.Errorf("a capture is kept until %v, want the deployment's 14 days (%v)", it.RetainUntil, want)
		}
		read := Access{Action: ActionView, Purpose: "Identify the thrown object", Basis: Basis{Kind: BasisDeployment, Ref: "dep_drone"}}
		if _, err := f.v.Authorize(f.ctx, f.acc("commander"), it.ID, read); err != nil {
			t.Fatal(err)
		}
		other := read
		other.Basis.Ref = "dep_other"
		if _, err := f.v.Authorize(f.ctx, f.acc("commander"), it.ID, other); !errors.Is(err, ErrForbidden) {
			t.Errorf("another deployment as basis: %v", err)
		}
		if _, err := f.v.Authorize(f.ctx, f.acc("oversight"), it.ID, read); !errors.Is(err, ErrForbidden) {
			t.Errorf("oversight on a deployment basis: %v", err)
		}
		// Once the deployment ends, it is no basis.
		f.now = f.now.Add(6 * time.Hour)
		if _, err := f.v.Authorize(f.ctx, f.acc("commander"), it.ID, read); !errors.Is(err, ErrForbidden) {
			t.Errorf("an ended deployment as basis: %v", err)
		}
	})
}
