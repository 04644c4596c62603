package demo

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/app"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/disrupt"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// TestSeedDisruption: the demo's order is valid, recorded with its
// history, and shows in the public register.
func TestSeedDisruption(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	operator, _, err := a.Auth.Create(ctx, ledger.System, auth.NewAccount{Username: "operator", Role: auth.Moderator})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	if err := seedDisruption(ctx, a, operator, day); err != nil {
		t.Fatal(err)
	}
	list, err := a.Disruptions.List(ctx, 0, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("register = %v, %v", list, err)
	}
	o := list[0]
	if o.Order.Country != "Freedonia" || o.Order.Challenged != disrupt.Yes || o.Order.CustomersTold != disrupt.Yes ||
		o.Order.Implemented != disrupt.No || len(o.History) != 2 || !o.Order.Start.Equal(day) {
		t.Errorf("demo order = %+v", o)
	}
}
