package assembly

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func TestCheckArea(t *testing.T) {
	for _, tc := range []struct {
		area string
		ok   bool
	}{
		{`{"type":"LineString","coordinates":[[4.88,52.37],[4.90,52.36]]}`, true},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`, true},
		{`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`, true},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`, false}, // open ring
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, false},       // too short
		{`{"type":"Point","coordinates":[0,0]}`, false},
		{`{"type":"LineString","coordinates":[[0,0]]}`, false},
		{`{"type":"LineString","coordinates":[[181,0],[0,0]]}`, false},
		{`{"type":"LineString","coordinates":[[0,-91],[0,0]]}`, false},
		{`{"type":"LineString","coordinates":[[0],[0,0]]}`, false},
		{`not json`, false},
		{`{"type":"Polygon","coordinates":"x"}`, false},
		{`{"type":"LineString","coordinates":[[0,0],[1,1]],"extra":` + strings.Repeat(`"x"`, 1) + `}`, true},
		{`"` + strings.Repeat("a", MaxAreaBytes) + `"`, false},
	} {
		err := CheckArea(tc.area)
		if (err == nil) != tc.ok {
			t.Errorf("CheckArea(%.60s) = %v, want ok=%v", tc.area, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("CheckArea error %v is not ErrInvalid", err)
		}
	}
}

func TestRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		outbox := ledger.NewOutbox()
		s := NewService(db, outbox, Options{})
		as := auth.New(db, outbox, auth.Config{Params: auth.Params{Memory: 1024, Time: 1, Threads: 1}})
		officer, _, err := as.Create(ctx, ledger.System, auth.NewAccount{Username: "officer", Role: auth.Officer})
		if err != nil {
			t.Fatal(err)
		}
		reporter, _, _ := as.Create(ctx, ledger.System, auth.NewAccount{Username: "reporter", Role: auth.Reporter})
		start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		n := New{Title: "Climate march", Kind: Notified, Starts: start, Ends: start.Add(6 * time.Hour), ExpectedSize: 5000, OrganiserContact: "stewards@example.org"}
		a, ev, err := s.Register(ctx, officer, n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, a.ID)
		if err != nil || got.Title != "Climate march" || !got.Starts.Equal(start) || got.OrganiserContact != "stewards@example.org" || got.CreatedBy != officer.ID {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		e, err := ledger.Get(ctx, db, ev)
		if err != nil || e.Type != "assembly.registered" || e.Subject != "assembly:"+a.ID {
			t.Fatalf("event = %+v, %v", e, err)
		}
		if strings.Contains(string(e.Entry), "stewards") || strings.Contains(string(e.Entry), "Climate") {
			t.Fatalf("entry holds private fields: %s", e.Entry)
		}
		if _, _, err := s.Register(ctx, reporter, n); !errors.Is(err, ErrForbidden) {
			t.Fatalf("reporter registering: %v", err)
		}
		bad := n
		bad.Ends = start.Add(15 * 24 * time.Hour)
		if _, _, err := s.Register(ctx, officer, bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("15-day window: %v", err)
		}
		list, err := s.List(ctx, start.Add(7*time.Hour), 10)
		if err != nil || len(list) != 0 {
			t.Fatalf("List after it ended = %v, %v", list, err)
		}
		list, _ = s.List(ctx, start, 10)
		if len(list) != 1 {
			t.Fatalf("List = %v", list)
		}
		if _, err := s.Get(ctx, "asm_nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get unknown: %v", err)
		}
	})
}
