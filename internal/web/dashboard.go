package web

import (
	"net/http"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
)

// dashboardView is what an account lands on after signing in: what its
// role does here, and what needs it now.
type dashboardView struct {
	Role        auth.Role
	Log         logStatus
	Counts      *ledger.Counts
	Writer      *ledger.Stats
	Accounts    map[auth.Role]int
	Roles       []auth.Role
	Assemblies  []assembly.Assembly
	CanRegister bool
	Events      []ledger.Stored
	// Queue counts the requests waiting for an authorizer.
	Queue int
	// CanRequest: the account files requests.
	CanRequest bool
	// Evidence: the account works with the evidence vault; CanUpload adds
	// items; CanOpenCase opens cases.
	Evidence, CanUpload, CanOpenCase bool
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := viewerFrom(ctx).account
	d := dashboardView{Role: a.Role, Log: s.logStatus(ctx), Roles: auth.Roles, CanRegister: a.Role.Is(assembly.CanRegister...)}
	if a.Role.Is(auth.Admin, auth.Oversight) {
		c, err := ledger.Count(ctx, s.deps.DB)
		if err != nil {
			return err
		}
		d.Counts = &c
		if s.deps.Writer != nil {
			st := s.deps.Writer.Stats()
			d.Writer = &st
		}
		if d.Events, err = ledger.List(ctx, s.deps.DB, ledger.Query{Limit: 10}); err != nil {
			return err
		}
	}
	if a.Role == auth.Authorizer {
		q, err := s.deps.Assemblies.Requests(ctx, assembly.RequestQuery{Status: []string{assembly.Pending, assembly.Urgent}})
		if err != nil {
			return err
		}
		d.Queue = len(q)
	}
	d.CanRequest = a.Role.Is(assembly.CanRequest...)
	d.Evidence, d.CanUpload, d.CanOpenCase = a.Role.Is(evidenceRoles...), a.Role.Is(itemUploaders...), a.Role.Is(caseOpeners...)
	if a.Role == auth.Admin {
		var err error
		if d.Accounts, err = s.deps.Auth.CountByRole(ctx); err != nil {
			return err
		}
	}
	if a.Role.Is(assemblyReaders...) {
		var err error
		if d.Assemblies, err = s.deps.Assemblies.List(ctx, time.Now().Add(-24*time.Hour), 10); err != nil {
			return err
		}
	}
	s.render(w, r, http.StatusOK, "dashboard", "dashboard.title", d)
	return nil
}
