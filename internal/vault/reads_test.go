package vault

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// TestOversightSeesEveryRead: items from an officer, a victim and a
// deployment's capture are read by four people on four bases, an hour
// apart; oversight's register has every read, newest first, names the
// readers, filters and pages; nobody else gets it.
func TestOversightSeesEveryRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		start := f.now
		read := func(by string, itemID string, a Access) {
			t.Helper()
			if _, err := f.v.Authorize(f.ctx, f.acc(by), itemID, a); err != nil {
				t.Fatalf("%s reads %s: %v", by, itemID, err)
			}
			f.now = f.now.Add(time.Hour)
		}

		// An officer's body-camera clip, read by a commander for an
		// investigation.
		clip, _ := f.ingest("officer", bodycam(), mp4("clip-", 4096))
		cmd := f.acc("commander")
		inv, err := f.v.OpenCase(f.ctx, cmd, Investigation, "INV-2026/200")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.v.PlaceHold(f.ctx, cmd, inv.ID, clip.ID, f.now.Add(365*24*time.Hour), "The arrest is contested"); err != nil {
			t.Fatal(err)
		}
		read("commander", clip.ID, Access{Action: ActionView, Purpose: "Review the arrest", Basis: Basis{Kind: BasisCase, Ref: inv.ID}})

		// A victim's screenshot, downloaded by her support service (which
		// adds to her submission with her case number and PIN) for a
		// complaint, and read by herself.
		shot, rcpt := f.ingest("reporter", screenshot(), png)
		statement := screenshot()
		statement.Submission, statement.PIN = rcpt.Submission, rcpt.PIN
		f.ingest("moderator", statement, png)
		sup := f.acc("moderator")
		comp, err := f.v.OpenCase(f.ctx, sup, Complaint, "HL-2026-0457")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.v.PlaceHold(f.ctx, sup, comp.ID, shot.ID, f.now.Add(365*24*time.Hour), "Her complaint to the police"); err != nil {
			t.Fatal(err)
		}
		read("moderator", shot.ID, Access{Action: ActionDownload, Purpose: "Attach to the complaint", Basis: Basis{Kind: BasisCase, Ref: comp.ID}})
		read("reporter", shot.ID, Access{Action: ActionView, Purpose: "Check what I sent", Basis: Basis{Kind: BasisSubmitter}})

		// A drone's capture under a deployment in force, read by another
		// officer on the deployment's basis.
		f.deps.m["dep_bcdfghjklmnpqrstvwxz"] = deploymentWindow{starts: start.Add(-time.Hour), ends: start.Add(48 * time.Hour), days: 14}
		drone, _ := f.ingest("officer", NewItem{Class: "capture", MediaType: "video/mp4", DeploymentID: "dep_bcdfghjklmnpqrstvwxz",
			Purpose: "Drone footage of the march", Capture: Capture{Source: "drone 2"}}, mp4("drone-", 4096))
		read("officer2", drone.ID, Access{Action: ActionView, Purpose: "Find the thrown bottle", Basis: Basis{Kind: BasisDeployment, Ref: "dep_bcdfghjklmnpqrstvwxz"}})

		oversight := f.acc("oversight")
		all, err := f.v.Reads(f.ctx, oversight, ReadFilter{})
		if err != nil {
			t.Fatal(err)
		}
		type row struct{ Username, Role, Action, Item, Basis, Ref, CaseReference, Purpose string }
		rows := func(rs []AccessRecord) []row {
			var out []row
			for _, a := range rs {
				out = append(out, row{a.Username, a.Role, a.Action, a.ItemID, a.Basis.Kind, a.Basis.Ref, a.CaseReference, a.Purpose})
			}
			return out
		}
		want := []row{
			{"officer2", "officer", ActionView, drone.ID, BasisDeployment, "dep_bcdfghjklmnpqrstvwxz", "", "Find the thrown bottle"},
			{"reporter", "reporter", ActionView, shot.ID, BasisSubmitter, "", "", "Check what I sent"},
			{"moderator", "moderator", ActionDownload, shot.ID, BasisCase, comp.ID, "HL-2026-0457", "Attach to the complaint"},
			{"commander", "commander", ActionView, clip.ID, BasisCase, inv.ID, "INV-2026/200", "Review the arrest"},
		}
		if diff := cmp.Diff(want, rows(all)); diff != "" {
			t.Fatalf("the register (-want +got):\n%s", diff)
		}
		for i, a := range all {
			if a.AccountID != f.acc(a.Username).ID {
				t.Errorf("read %d: account %q, want %s's", i, a.AccountID, a.Username)
			}
			if wantAt := start.Add(time.Duration(len(all)-1-i) * time.Hour); !a.At.Equal(wantAt) {
				t.Errorf("read %d at %v, want %v", i, a.At, wantAt)
			}
			if i > 0 && a.ID >= all[i-1].ID {
				t.Errorf("read %d has ID %d after %d: not newest first", i, a.ID, all[i-1].ID)
			}
		}
		// The custody record's own view is unchanged: readers by role.
		if acc, err := f.v.Accesses(f.ctx, oversight, clip.ID); err != nil || len(acc) != 1 || acc[0].Username != "" || acc[0].CaseReference != "" {
			t.Errorf("an item's accesses = %+v, %v", acc, err)
		}

		// Filters, alone and together.
		for _, tc := range []struct {
			name string
			f    ReadFilter
			want []row
		}{
			{"by role", ReadFilter{Role: "commander"}, want[3:]},
			{"by action", ReadFilter{Action: ActionDownload}, want[2:3]},
			{"by basis", ReadFilter{BasisKind: BasisCase}, want[2:]},
			{"by item", ReadFilter{ItemID: shot.ID}, want[1:3]},
			{"by reader", ReadFilter{AccountID: f.acc("officer2").ID}, want[:1]},
			{"from, inclusive", ReadFilter{From: start.Add(2 * time.Hour)}, want[:2]},
			{"to, exclusive", ReadFilter{To: start.Add(time.Hour)}, want[3:]},
			{"a period", ReadFilter{From: start.Add(time.Hour), To: start.Add(3 * time.Hour)}, want[1:3]},
			{"item and action", ReadFilter{ItemID: shot.ID, Action: ActionView}, want[1:2]},
			{"role and basis", ReadFilter{Role: "officer", BasisKind: BasisCase}, nil},
			{"a share's recipient", ReadFilter{Role: RecipientRole}, nil},
			{"no such item", ReadFilter{ItemID: "itm_none"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := f.v.Reads(f.ctx, oversight, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, rows(got)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}

		// Paging by ID: pages of three, then of one, meet without gaps or
		// repeats.
		var paged []AccessRecord
		before := int64(0)
		for _, limit := range []int{3, 1, 1} {
			page, err := f.v.Reads(f.ctx, oversight, ReadFilter{Before: before, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit {
				t.Fatalf("a page of %d has %d reads", limit, len(page))
			}
			paged = append(paged, page...)
			if len(page) > 0 {
				before = page[len(page)-1].ID
			}
		}
		if diff := cmp.Diff(rows(all), rows(paged)); diff != "" {
			t.Errorf("the pages (-all +paged):\n%s", diff)
		}
		if page, err := f.v.Reads(f.ctx, oversight, ReadFilter{Before: all[2].ID, Role: "commander"}); err != nil || len(page) != 1 || page[0].ID != all[3].ID {
			t.Errorf("a filtered page: %+v, %v", page, err)
		}

		// Filters no read can match are refused, and say why.
		for _, tc := range []struct {
			name string
			f    ReadFilter
			key  string
		}{
			{"unknown role", ReadFilter{Role: "sheriff"}, "vault.read_role"},
			{"unknown action", ReadFilter{Action: "peek"}, "vault.action"},
			{"unknown basis", ReadFilter{BasisKind: "hunch"}, "vault.read_basis"},
			{"period ends before it starts", ReadFilter{From: start.Add(time.Hour), To: start}, "vault.read_period"},
			{"empty period", ReadFilter{From: start, To: start}, "vault.read_period"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.v.Reads(f.ctx, oversight, tc.f)
				if !errors.Is(err, ErrInvalid) || errorKey(err) != tc.key {
					t.Errorf("got %v, want %s", err, tc.key)
				}
				if err != nil && strings.Contains(err.Error(), "vault.") {
					t.Errorf("the message shows a raw key: %v", err)
				}
			})
		}

		// Nobody else sees the register: not the readers themselves, not an
		// administrator.
		for _, r := range auth.Roles {
			if r == auth.Oversight {
				continue
			}
			got, err := f.v.Reads(f.ctx, f.acc(string(r)), ReadFilter{})
			if !errors.Is(err, ErrForbidden) || errorKey(err) != "vault.reads_role" || got != nil {
				t.Errorf("%s: %d reads, %v", r, len(got), err)
			}
		}
	})
}
