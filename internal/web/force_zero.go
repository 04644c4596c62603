package web

import (
	"net/http"
	"net/url"

	"github.com/vigil-project/vigil/internal/force"
)

// forceZeroView is the zero-report page: a commander files their unit's
// and sees what it still owes; oversight sees every unit's gaps and the
// zero reports that later reports contradicted.
type forceZeroView struct {
	CanFile      bool
	Unit         string
	Missing      []force.MissingZero
	Reports      []force.ZeroReport
	Contradicted []force.ZeroReport
	Filter       url.Values
	Form         url.Values
	Error        string
	Done         string
}

func (s *Server) forceZeroView(r *http.Request) (forceZeroView, int, string, error) {
	ctx := r.Context()
	vw := viewerFrom(ctx)
	a := *vw.account
	q := r.URL.Query()
	v := forceZeroView{CanFile: a.Role.Is(force.CanFileZero...), Unit: a.Unit, Filter: q, Form: url.Values{}}
	status, problem := http.StatusOK, ""
	var err error
	v.Missing, err = s.deps.Force.MissingZeroReports(ctx, a, force.MonthRange{From: q.Get("from"), To: q.Get("to")})
	if err != nil {
		var ok bool
		if status, problem, ok = s.forceProblem(err, vw.lang); !ok {
			return v, 0, "", err
		}
		if v.Missing, err = s.deps.Force.MissingZeroReports(ctx, a, force.MonthRange{}); err != nil {
			return v, 0, "", err
		}
	}
	if v.Reports, err = s.deps.Force.ZeroReports(ctx, a, force.ZeroQuery{}); err != nil {
		return v, 0, "", err
	}
	for _, z := range v.Reports {
		if z.ContradictedBy != "" {
			v.Contradicted = append(v.Contradicted, z)
		}
	}
	return v, status, problem, nil
}

func (s *Server) forceZeroPage(w http.ResponseWriter, r *http.Request) error {
	v, status, problem, err := s.forceZeroView(r)
	if err != nil {
		return err
	}
	v.Error, v.Done = problem, forceDoneKey(r)
	s.render(w, r, status, "force_zero", "force.zero.title", v)
	return nil
}

func (s *Server) forceFileZero(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	_, err := s.deps.Force.FileZeroReport(r.Context(), *vw.account, r.PostForm.Get("month"))
	if err == nil {
		redirectDone(w, r, "/force/zero-reports", "zero", "")
		return nil
	}
	status, detail, ok := s.forceProblem(err, vw.lang)
	if !ok {
		return err
	}
	v, _, _, verr := s.forceZeroView(r)
	if verr != nil {
		return verr
	}
	v.Error, v.Form = detail, r.PostForm
	s.render(w, r, status, "force_zero", "force.zero.title", v)
	return nil
}
