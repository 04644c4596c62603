package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
)

// assemblyJSON is an assembly as the API shows it.
type assemblyJSON struct {
	ID               string          `json:"id"`
	Title            string          `json:"title"`
	Kind             assembly.Kind   `json:"kind"`
	Starts           time.Time       `json:"starts"`
	Ends             time.Time       `json:"ends"`
	Area             json.RawMessage `json:"area,omitempty"`
	ExpectedSize     int             `json:"expected_size"`
	OrganiserContact string          `json:"organiser_contact,omitempty"`
	CreatedAt        time.Time       `json:"created_at"`
	Event            int64           `json:"event,omitempty"`
}

func toAssemblyJSON(a assembly.Assembly, viewer auth.Account) assemblyJSON {
	out := assemblyJSON{ID: a.ID, Title: a.Title, Kind: a.Kind, Starts: a.Starts, Ends: a.Ends, ExpectedSize: a.ExpectedSize, CreatedAt: a.CreatedAt}
	if a.Area != "" {
		out.Area = json.RawMessage(a.Area)
	}
	if viewer.Role.Is(assembly.CanSeeContact...) || viewer.ID == a.CreatedBy {
		out.OrganiserContact = a.OrganiserContact
	}
	return out
}

func (s *Server) apiAssemblies(w http.ResponseWriter, r *http.Request) error {
	since := time.Now().Add(-30 * 24 * time.Hour)
	if q := r.URL.Query().Get("since"); q != "" {
		t, err := time.Parse(time.RFC3339, q)
		if err != nil {
			return httpError(http.StatusBadRequest, "api.bad_since")
		}
		since = t
	}
	list, err := s.deps.Assemblies.List(r.Context(), since, 500)
	if err != nil {
		return err
	}
	viewer := *callerFrom(r.Context()).account
	out := make([]assemblyJSON, len(list))
	for i, a := range list {
		out[i] = toAssemblyJSON(a, viewer)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"assemblies": out})
}

func (s *Server) apiAssembly(w http.ResponseWriter, r *http.Request) error {
	a, err := s.deps.Assemblies.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAssemblyJSON(a, *callerFrom(r.Context()).account))
}

// newAssemblyJSON is the body of POST /api/assemblies.
type newAssemblyJSON struct {
	Title            string          `json:"title"`
	Kind             assembly.Kind   `json:"kind"`
	Starts           time.Time       `json:"starts"`
	Ends             time.Time       `json:"ends"`
	Area             json.RawMessage `json:"area"`
	ExpectedSize     int             `json:"expected_size"`
	OrganiserContact string          `json:"organiser_contact"`
}

func (s *Server) apiRegisterAssembly(w http.ResponseWriter, r *http.Request) error {
	var in newAssemblyJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	area := ""
	if len(in.Area) > 0 && string(in.Area) != "null" {
		area = string(in.Area)
	}
	caller := *callerFrom(r.Context()).account
	a, event, err := s.deps.Assemblies.Register(r.Context(), caller, assembly.New{
		Title: in.Title, Kind: in.Kind, Starts: in.Starts, Ends: in.Ends, Area: area,
		ExpectedSize: in.ExpectedSize, OrganiserContact: in.OrganiserContact,
	})
	if err != nil {
		return err
	}
	out := toAssemblyJSON(a, caller)
	out.Event = event
	w.Header().Set("Location", "/api/assemblies/"+a.ID)
	return writeJSON(w, http.StatusCreated, out)
}
