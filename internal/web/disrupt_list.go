package web

import (
	"net/http"
	"strconv"

	"github.com/vigil-project/vigil/internal/disrupt"
)

// disruptPageSize is how many orders one page of the public list shows.
const disruptPageSize = 50

type disruptionsView struct {
	Orders []disruptionView
	// Flag is what every order is flagged under.
	Flag        []citationView
	Total       int
	Page, Pages int
	// Prev and Next are the neighbouring pages; 0 if there is none.
	Prev, Next int
	CanRecord  bool
}

// disruptionsPage is the public register: every order, latest first, each
// flagged as contrary to international human rights standards.
func (s *Server) disruptionsPage(w http.ResponseWriter, r *http.Request) error {
	page := 1
	if q := r.URL.Query().Get("page"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			return httpError(http.StatusBadRequest, "disrupt.bad_page")
		}
		page = n
	}
	ctx := r.Context()
	total, err := s.deps.Disruptions.Count(ctx)
	if err != nil {
		return err
	}
	pages := max(1, (total+disruptPageSize-1)/disruptPageSize)
	if page > pages {
		return httpError(http.StatusNotFound, "error.not_found")
	}
	list, err := s.deps.Disruptions.List(ctx, (page-1)*disruptPageSize, disruptPageSize)
	if err != nil {
		return err
	}
	v := viewerFrom(ctx)
	view := disruptionsView{
		Flag: s.flags(v.lang, &disrupt.Order{}), Total: total, Page: page, Pages: pages,
		CanRecord: v.account != nil && v.account.Role.Is(disrupt.CanRecord...),
	}
	if page > 1 {
		view.Prev = page - 1
	}
	if page < pages {
		view.Next = page + 1
	}
	for i := range list {
		view.Orders = append(view.Orders, s.disruptionView(v.lang, &list[i], false))
	}
	s.render(w, r, http.StatusOK, "disrupt_list", "disrupt.list.title", view)
	return nil
}
