package web

import (
	"errors"
	"net/http"

	"github.com/vigil-project/vigil/internal/disrupt"
)

// disruptImportView is the import page: the form, and after an upload
// what was imported or, if nothing was, every problem with its line.
type disruptImportView struct {
	Result   *disrupt.ImportResult
	Problems []problemView
	Notices  []problemView
	Error    string
	MaxMiB   int
	MaxRows  int
	Columns  []string
	Required []string
}

func (s *Server) importView() disruptImportView {
	return disruptImportView{
		MaxMiB: disrupt.MaxSTOPBytes >> 20, MaxRows: disrupt.MaxSTOPRows,
		Columns: disrupt.Columns(), Required: disrupt.RequiredColumns(),
	}
}

func (s *Server) disruptionImportForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "disrupt_import", "disrupt.import.title", s.importView())
	return nil
}

// rowProblems lists a STOP reader's problems for people.
func rowProblems(list []disrupt.RowError) []problemView {
	out := make([]problemView, len(list))
	for i, e := range list {
		out[i] = problemView{Line: e.Line, Col: e.Column, Msg: e.Msg}
	}
	return out
}

// importDisruptions takes an uploaded STOP file (multipart, field "file")
// and imports it, all or nothing.
func (s *Server) importDisruptions(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	view := s.importView()
	fail := func(status int, key string) error {
		view.Error = s.deps.Messages.T(vw.lang, key)
		s.render(w, r, status, "disrupt_import", "disrupt.import.title", view)
		return nil
	}
	if r.MultipartForm == nil {
		return fail(http.StatusBadRequest, "disrupt.import.no_file")
	}
	defer r.MultipartForm.RemoveAll()
	files := r.MultipartForm.File["file"]
	if len(files) != 1 {
		return fail(http.StatusBadRequest, "disrupt.import.no_file")
	}
	f, err := files[0].Open()
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := s.deps.Disruptions.Import(r.Context(), *vw.account, f)
	view.Notices = rowProblems(res.Notices)
	var ie *disrupt.ImportError
	switch {
	case errors.As(err, &ie):
		view.Problems = rowProblems(ie.Problems)
		return fail(http.StatusBadRequest, "disrupt.import.rejected")
	case err != nil:
		err = disruptError(err)
		p, err := s.formProblem(r, err)
		if err != nil {
			return err
		}
		view.Error = p.Detail
		s.render(w, r, p.Status, "disrupt_import", "disrupt.import.title", view)
		return nil
	}
	view.Result = &res
	s.render(w, r, http.StatusOK, "disrupt_import", "disrupt.import.title", view)
	return nil
}
