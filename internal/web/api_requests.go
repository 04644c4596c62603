package web

import (
	"net/http"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/policy"
)

// requestJSON is a request as the API shows it.
type requestJSON struct {
	ID                string          `json:"id"`
	Status            string          `json:"status"`
	Assembly          string          `json:"assembly,omitempty"`
	Technology        string          `json:"technology"`
	Request           policy.Request  `json:"request"`
	Decision          policy.Decision `json:"decision"`
	NoticeDelayDays   int             `json:"notice_delay_days,omitempty"`
	NoticeDelayReason string          `json:"notice_delay_reason,omitempty"`
	RequesterUnit     string          `json:"requester_unit,omitempty"`
	CreatedAt         time.Time       `json:"created_at"`
	Event             int64           `json:"event,omitempty"`
	Deployment        *deploymentJSON `json:"deployment,omitempty"`
}

type deploymentJSON struct {
	ID            string     `json:"id"`
	Request       string     `json:"request"`
	Status        string     `json:"status"`
	Starts        time.Time  `json:"starts"`
	Ends          time.Time  `json:"ends"`
	RetentionDays int        `json:"retention_days"`
	ReviewBy      *time.Time `json:"review_by,omitempty"`
	EndReason     string     `json:"end_reason,omitempty"`
}

func toDeploymentJSON(d assembly.Deployment) *deploymentJSON {
	return &deploymentJSON{ID: d.ID, Request: d.RequestID, Status: d.Status, Starts: d.Starts, Ends: d.Ends, RetentionDays: d.RetentionDays, ReviewBy: d.ReviewBy, EndReason: d.EndReason}
}

func (s *Server) toRequestJSON(r *http.Request, req assembly.Request) (requestJSON, error) {
	out := requestJSON{ID: req.ID, Status: req.Status, Assembly: req.AssemblyID, Technology: req.TechnologyID, Request: req.Body, Decision: req.Decision,
		NoticeDelayDays: req.NoticeDelayDays, NoticeDelayReason: req.NoticeDelayReason, RequesterUnit: req.RequesterUnit, CreatedAt: req.CreatedAt}
	if d, err := s.deps.Assemblies.DeploymentOf(r.Context(), req.ID); err == nil {
		out.Deployment = toDeploymentJSON(d)
	}
	return out, nil
}

// newRequestJSON is the body of POST /api/requests.
type newRequestJSON struct {
	Assembly           string           `json:"assembly"`
	Technology         string           `json:"technology"`
	Purpose            string           `json:"purpose"`
	Mode               string           `json:"mode"`
	Covert             bool             `json:"covert"`
	Targets            []string         `json:"targets"`
	Suspicion          policy.Suspicion `json:"suspicion"`
	ExistingFootage    bool             `json:"existing_footage"`
	Objective          string           `json:"objective"`
	LegalBasis         string           `json:"legal_basis"`
	Grounds            string           `json:"grounds"`
	Starts             time.Time        `json:"starts"`
	Ends               time.Time        `json:"ends"`
	Area               rawJSON          `json:"area"`
	RetentionDays      int              `json:"retention_days"`
	Urgent             bool             `json:"urgent"`
	ForceJustification string           `json:"force_justification"`
	NoticeDelayDays    int              `json:"notice_delay_days"`
	NoticeDelayReason  string           `json:"notice_delay_reason"`
}

func (s *Server) apiFileRequest(w http.ResponseWriter, r *http.Request) error {
	var in newRequestJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	req, event, err := s.deps.Assemblies.FileRequest(r.Context(), *callerFrom(r.Context()).account, assembly.NewRequest{
		AssemblyID: in.Assembly, TechnologyID: in.Technology, Purpose: in.Purpose, Mode: in.Mode, Covert: in.Covert, Targets: in.Targets,
		Suspicion: in.Suspicion, ExistingFootage: in.ExistingFootage, Objective: in.Objective, LegalBasis: in.LegalBasis, Grounds: in.Grounds,
		Starts: in.Starts, Ends: in.Ends, Area: in.Area.String(), RetentionDays: in.RetentionDays, Urgent: in.Urgent,
		ForceJustification: in.ForceJustification, NoticeDelayDays: in.NoticeDelayDays, NoticeDelayReason: in.NoticeDelayReason,
	})
	if err != nil {
		return err
	}
	out, err := s.toRequestJSON(r, req)
	if err != nil {
		return err
	}
	out.Event = event
	w.Header().Set("Location", "/api/requests/"+req.ID)
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) apiRequests(w http.ResponseWriter, r *http.Request) error {
	list, _, err := s.listRequests(r, callerFrom(r.Context()).account)
	if err != nil {
		return err
	}
	out := make([]requestJSON, 0, len(list))
	for _, req := range list {
		j, err := s.toRequestJSON(r, req)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

func (s *Server) apiRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := s.deps.Assemblies.GetRequest(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if !canSeeRequest(callerFrom(r.Context()).account, req) {
		return httpError(http.StatusNotFound, "error.not_found")
	}
	out, err := s.toRequestJSON(r, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// verdictJSON is the body of POST /api/requests/{id}/decision.
type verdictJSON struct {
	Approve       bool      `json:"approve"`
	Reasons       string    `json:"reasons"`
	Starts        time.Time `json:"starts"`
	Ends          time.Time `json:"ends"`
	RetentionDays *int      `json:"retention_days"`
}

func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request) error {
	var in verdictJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	req, err := s.deps.Assemblies.Decide(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"),
		assembly.Verdict{Approve: in.Approve, Reasons: in.Reasons, Starts: in.Starts, Ends: in.Ends, RetentionDays: in.RetentionDays})
	if err != nil {
		return err
	}
	out, err := s.toRequestJSON(r, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiRevoke(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.deps.Assemblies.Revoke(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), in.Reason); err != nil {
		return err
	}
	d, err := s.deps.Assemblies.Deployment(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDeploymentJSON(d))
}

func (s *Server) apiDeployments(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Assemblies.ActiveDeployments(r.Context())
	if err != nil {
		return err
	}
	out := make([]*deploymentJSON, len(list))
	for i, d := range list {
		out[i] = toDeploymentJSON(d)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deployments": out})
}

// technologyJSON is a technology as the API shows it: all public.
type technologyJSON struct {
	ID                string              `json:"id"`
	Kind              string              `json:"kind"`
	Product           string              `json:"product"`
	Supplier          string              `json:"supplier"`
	Version           string              `json:"version,omitempty"`
	Properties        assembly.Properties `json:"properties"`
	Weapon            string              `json:"weapon,omitempty"`
	Accuracy          string              `json:"accuracy"`
	DemographicErrors string              `json:"demographic_errors"`
	Documents         []assembly.Document `json:"documents"`
	Registered        bool                `json:"registered"`
	Assessments       []assessmentJSON    `json:"assessments"`
}

type assessmentJSON struct {
	ID         string    `json:"id"`
	AssessedOn time.Time `json:"assessed_on"`
	ExpiresOn  time.Time `json:"expires_on"`
	Assessor   string    `json:"assessor"`
	Summary    string    `json:"summary"`
}

func (s *Server) toTechnologyJSON(r *http.Request, t assembly.Technology) (technologyJSON, error) {
	as, err := s.deps.Assemblies.Assessments(r.Context(), t.ID)
	if err != nil {
		return technologyJSON{}, err
	}
	out := technologyJSON{ID: t.ID, Kind: t.Kind, Product: t.Product, Supplier: t.Supplier, Version: t.Version, Properties: t.Properties,
		Weapon: t.Weapon, Accuracy: t.Accuracy, DemographicErrors: t.DemographicErrors, Documents: t.Documents, Registered: t.Registered, Assessments: []assessmentJSON{}}
	for _, a := range as {
		out.Assessments = append(out.Assessments, assessmentJSON{ID: a.ID, AssessedOn: a.AssessedOn, ExpiresOn: a.ExpiresOn, Assessor: a.Assessor, Summary: a.Summary})
	}
	return out, nil
}

func (s *Server) apiTechnologies(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Assemblies.Technologies(r.Context())
	if err != nil {
		return err
	}
	out := make([]technologyJSON, 0, len(list))
	for _, t := range list {
		j, err := s.toTechnologyJSON(r, t)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"technologies": out})
}

func (s *Server) apiTechnology(w http.ResponseWriter, r *http.Request) error {
	t, err := s.deps.Assemblies.Technology(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out, err := s.toTechnologyJSON(r, t)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// newTechnologyJSON is the body of POST /api/technologies.
type newTechnologyJSON struct {
	Kind              string              `json:"kind"`
	Product           string              `json:"product"`
	Supplier          string              `json:"supplier"`
	Version           string              `json:"version"`
	Properties        assembly.Properties `json:"properties"`
	Weapon            string              `json:"weapon"`
	Accuracy          string              `json:"accuracy"`
	DemographicErrors string              `json:"demographic_errors"`
	Documents         []assembly.Document `json:"documents"`
	Registered        bool                `json:"registered"`
}

func (s *Server) apiRegisterTechnology(w http.ResponseWriter, r *http.Request) error {
	var in newTechnologyJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.deps.Assemblies.RegisterTechnology(r.Context(), *callerFrom(r.Context()).account, assembly.NewTechnology(in))
	if err != nil {
		return err
	}
	out, err := s.toTechnologyJSON(r, t)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/technologies/"+t.ID)
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) apiRecordAssessment(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AssessedOn time.Time `json:"assessed_on"`
		ExpiresOn  time.Time `json:"expires_on"`
		Assessor   string    `json:"assessor"`
		Summary    string    `json:"summary"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.deps.Assemblies.RecordAssessment(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), assembly.NewAssessment(in))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, assessmentJSON{ID: a.ID, AssessedOn: a.AssessedOn, ExpiresOn: a.ExpiresOn, Assessor: a.Assessor, Summary: a.Summary})
}
