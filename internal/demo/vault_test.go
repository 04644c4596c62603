package demo

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/app"
)

// TestSeedVault: the whole demo seeds; its old footage is due and goes at
// the first sweep with a receipt; the victim's anonymous view shows the
// helpline's read and its purpose, never who.
func TestSeedVault(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := Seed(ctx, a, time.Now()); err == nil {
		t.Fatal("seeded without the log's keys")
	}
	if err := a.EnsureKeys(); err != nil {
		t.Fatal(err)
	}
	seeded, err := Seed(ctx, a, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if seeded == nil || seeded.Submission == nil || len(seeded.Credentials) != len(people) {
		t.Fatalf("seeded = %+v", seeded)
	}
	if n, err := a.Vault.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("the first sweep destroyed %d, %v; want the 62-day-old footage", n, err)
	}
	view, err := a.Vault.Submission(ctx, seeded.Submission.Number, seeded.Submission.PIN, "")
	if err != nil {
		t.Fatal(err)
	}
	var reads int
	for _, it := range view.Items {
		for _, acc := range view.Accesses[it.ID] {
			reads++
			if acc.Role != "moderator" || acc.Purpose == "" || acc.AccountID != "" {
				t.Errorf("access = %+v", acc)
			}
		}
	}
	if len(view.Items) != 2 || reads != 1 {
		t.Errorf("the victim sees %d items and %d reads; want 2 and 1", len(view.Items), reads)
	}
	if again, err := Seed(ctx, a, time.Now()); err != nil || again != nil {
		t.Errorf("seeding twice: %+v, %v", again, err)
	}
}
