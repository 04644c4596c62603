package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/vigil-project/vigil/internal/force"
)

// forceQueueView is oversight's desk: untrained uses waiting for review,
// and referrals still in progress.
type forceQueueView struct {
	Queue     []force.Incident
	Referrals []force.Referral
	// CanAct: oversight acts; admins only look.
	CanAct bool
}

func (s *Server) forceQueuePage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := *viewerFrom(ctx).account
	queue, err := s.deps.Force.Queue(ctx, a)
	if err != nil {
		return err
	}
	var open []force.Referral
	for _, st := range []force.ReferralStatus{force.Referred, force.Opened} {
		list, err := s.deps.Force.Referrals(ctx, a, force.ReferralQuery{Status: st, Limit: 500})
		if err != nil {
			return err
		}
		open = append(open, list...)
	}
	s.render(w, r, http.StatusOK, "force_queue", "force.queue.title", forceQueueView{Queue: queue, Referrals: open, CanAct: a.Role.Is(force.CanOversee...)})
	return nil
}

func (s *Server) forceReviewFlag(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.deps.Force.ReviewFlag(r.Context(), *viewerFrom(r.Context()).account, id, r.PostForm.Get("note")); err != nil {
		if errors.Is(err, force.ErrNotFound) {
			return err
		}
		return s.forceReportAgain(w, r, id, "review", err)
	}
	redirectDone(w, r, "/force/reports/"+id, "reviewed", "")
	return nil
}

func (s *Server) forceRefer(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	f := r.PostForm
	_, err := s.deps.Force.Refer(r.Context(), *viewerFrom(r.Context()).account, id, force.NewReferral{
		BodyKind: force.BodyKind(f.Get("body_kind")), Body: f.Get("body"), Reference: f.Get("reference"), Reasons: f.Get("reasons"),
	})
	if err != nil {
		if errors.Is(err, force.ErrNotFound) {
			return err
		}
		return s.forceReportAgain(w, r, id, "refer", err)
	}
	redirectDone(w, r, "/force/reports/"+id, "referred", "referrals")
	return nil
}

func (s *Server) forceUpdateReferral(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := *viewerFrom(ctx).account
	ref, err := s.deps.Force.Referral(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	f := r.PostForm
	if _, err := s.deps.Force.UpdateReferral(ctx, a, ref.ID, force.ReferralStatus(f.Get("status")), f.Get("reference"), f.Get("note")); err != nil {
		return s.forceReportAgain(w, r, ref.IncidentID, ref.ID, err)
	}
	redirectDone(w, r, "/force/reports/"+ref.IncidentID, "referral", "referrals")
	return nil
}

// forceStatsView is the statistics page.
type forceStatsView struct {
	Stats  force.Stats
	Filter url.Values
	Error  string
}

func (s *Server) forceStatsPage(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	q := r.URL.Query()
	exact := vw.account != nil && vw.account.Role.Is(force.CanSeeExactStats...)
	st, err := s.deps.Force.Stats(r.Context(), force.StatsQuery{Range: force.MonthRange{From: q.Get("from"), To: q.Get("to")}, Exact: exact})
	v := forceStatsView{Stats: st, Filter: q}
	status := http.StatusOK
	if err != nil {
		var ok bool
		if status, v.Error, ok = s.forceProblem(err, vw.lang); !ok {
			return err
		}
		// Show the default range instead, under the error.
		if v.Stats, err = s.deps.Force.Stats(r.Context(), force.StatsQuery{Exact: exact}); err != nil {
			return err
		}
	}
	s.render(w, r, status, "force_stats", "force.stats.title", v)
	return nil
}
