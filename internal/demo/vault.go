package demo

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"time"

	"github.com/vigil-project/vigil/internal/app"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/vault"
)

// bodycam is eight seconds of a test pattern, standing in for body-camera
// footage.
//
//go:embed media/bodycam.mp4
var bodycam []byte

// screenshot draws a stand-in for a victim's screenshot of threats: grey
// message bubbles.
func screenshot() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 360, 240))
	for y := range 240 {
		for x := range 360 {
			img.Set(x, y, color.RGBA{245, 245, 248, 255})
		}
	}
	for i, w := range []int{220, 280, 180, 250} {
		y0 := 20 + i*52
		for y := y0; y < y0+36; y++ {
			for x := 16; x < 16+w; x++ {
				img.Set(x, y, color.RGBA{200, 205, 215, 255})
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// Submission is the demo victim's submission, to try the anonymous view
// of who read it.
type Submission struct {
	Number, PIN string
}

// seedVault puts evidence in the vault: body-camera footage, one item of
// which is past its schedule and is destroyed when the server starts (its
// receipt on the log); an investigation holding another; and a victim's
// screenshot of threats, which a support service holds in a complaint and
// reads, so that the victim's anonymous view shows who read it and why.
func seedVault(ctx context.Context, a *app.App, accounts map[string]auth.Account, now time.Time) (*Submission, error) {
	v := a.Vault
	officer, commander, reporter, support := accounts["officer"], accounts["commander"], accounts["reporter"], accounts["moderator"]
	add := func(by auth.Account, n vault.NewItem, content []byte) (vault.Item, *vault.Receipt, error) {
		it, r, err := v.Ingest(ctx, by, n, bytes.NewReader(content))
		if err != nil {
			return it, r, fmt.Errorf("demo: evidence %q: %w", n.Capture.Filename, err)
		}
		return it, r, nil
	}
	// Footage from two months ago, never needed: its 60 days are over.
	if _, _, err := add(officer, vault.NewItem{Class: "bodycam", MediaType: "video/mp4", Purpose: "Routine patrol, market square",
		Capture: vault.Capture{Filename: "BWC-0417-0915.mp4", Source: "BWC 0417", DeviceTime: now.Add(-62 * 24 * time.Hour)}}, bodycam); err != nil {
		return nil, err
	}
	arrest, _, err := add(officer, vault.NewItem{Class: "bodycam", MediaType: "video/mp4", Purpose: "Arrest at the bridge during the climate march",
		Capture: vault.Capture{Filename: "BWC-0417-1405.mp4", Source: "BWC 0417", DeviceTime: now.Add(-3 * time.Hour)}}, bodycam)
	if err != nil {
		return nil, err
	}
	inv, err := v.OpenCase(ctx, commander, vault.Investigation, "INV-2026/0413 (assault on an officer, bridge)")
	if err != nil {
		return nil, err
	}
	if _, err := v.PlaceHold(ctx, commander, inv.ID, arrest.ID, now.Add(365*24*time.Hour), "Evidence for the prosecution of the assault"); err != nil {
		return nil, err
	}
	if _, err := v.Authorize(ctx, commander, arrest.ID, vault.Access{Action: vault.ActionView, Purpose: "Identify the moment of the assault",
		Basis: vault.Basis{Kind: vault.BasisCase, Ref: inv.ID}}); err != nil {
		return nil, err
	}

	// A victim's screenshot of threats, and the support service that
	// helps her with a complaint.
	shot, rcpt, err := add(reporter, vault.NewItem{Class: "report", MediaType: "image/png", Purpose: "Threats I received after speaking at the vigil",
		Capture: vault.Capture{Filename: "threats.png"}}, screenshot())
	if err != nil {
		return nil, err
	}
	// She asks a helpline for help and gives it her case number and PIN;
	// the helpline adds its intake note to her submission, which lets it
	// keep her evidence for a complaint.
	if _, _, err := add(support, vault.NewItem{Class: "report", MediaType: "text/plain", Purpose: "Helpline intake note for the complaint",
		Submission: rcpt.Submission, PIN: rcpt.PIN, Capture: vault.Capture{Filename: "intake-note.txt"}},
		[]byte("Intake note: threats by direct message after the vigil; screenshot attached by the caller.\n")); err != nil {
		return nil, err
	}
	complaint, err := v.OpenCase(ctx, support, vault.Complaint, "Helpline file 2026-118")
	if err != nil {
		return nil, err
	}
	if _, err := v.PlaceHold(ctx, support, complaint.ID, shot.ID, now.Add(2*365*24*time.Hour), "The victim's complaint to the police"); err != nil {
		return nil, err
	}
	// The helpline reads the screenshot for the complaint: the victim
	// will see that it did, and why.
	if _, err := v.Authorize(ctx, support, shot.ID, vault.Access{Action: vault.ActionDownload, Purpose: "Attach to the complaint to the police",
		Basis: vault.Basis{Kind: vault.BasisCase, Ref: complaint.ID}}); err != nil {
		return nil, err
	}
	return &Submission{Number: rcpt.Submission, PIN: rcpt.PIN}, nil
}
