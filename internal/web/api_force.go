package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/force"
)

// accountRefJSON names an account in a use-of-force record.
type accountRefJSON struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name,omitempty"`
}

// incidentJSON is a use-of-force report as the API shows it.
type incidentJSON struct {
	ID                    string          `json:"id"`
	Officer               accountRefJSON  `json:"officer"`
	Unit                  string          `json:"unit"`
	Weapon                string          `json:"weapon"`
	OccurredAt            time.Time       `json:"occurred_at"`
	Month                 string          `json:"month"`
	Point                 json.RawMessage `json:"point,omitempty"`
	Place                 string          `json:"place,omitempty"`
	Assembly              string          `json:"assembly,omitempty"`
	Circumstances         string          `json:"circumstances"`
	WarningGiven          bool            `json:"warning_given"`
	Warning               string          `json:"warning,omitempty"`
	Injuries              int             `json:"injuries"`
	InjuryDescription     string          `json:"injury_description,omitempty"`
	Medical               force.Medical   `json:"medical"`
	MedicalNote           string          `json:"medical_note,omitempty"`
	BodyCameras           []string        `json:"body_cameras"`
	Uses                  int             `json:"uses"`
	Trained               bool            `json:"trained"`
	Certificate           string          `json:"certificate,omitempty"`
	Flag                  force.Flag      `json:"flag,omitempty"`
	FlagNote              string          `json:"flag_note,omitempty"`
	FlagClosedAt          *time.Time      `json:"flag_closed_at,omitempty"`
	ContradictsZeroReport bool            `json:"contradicts_zero_report"`
	CreatedAt             time.Time       `json:"created_at"`
	Addenda               []addendumJSON  `json:"addenda,omitempty"`
	Referrals             []referralJSON  `json:"referrals,omitempty"`
	Event                 int64           `json:"event,omitempty"`
}

func toIncidentJSON(in force.Incident) incidentJSON {
	out := incidentJSON{
		ID: in.ID, Officer: accountRefJSON{ID: in.OfficerID, Username: in.OfficerUsername, DisplayName: in.OfficerName},
		Unit: in.Unit, Weapon: in.Weapon, OccurredAt: in.OccurredAt, Month: in.Month, Place: in.Place, Assembly: in.AssemblyID,
		Circumstances: in.Circumstances, WarningGiven: in.WarningGiven, Warning: in.Warning, Injuries: in.Injuries,
		InjuryDescription: in.InjuryDescription, Medical: in.Medical, MedicalNote: in.MedicalNote, BodyCameras: in.BodyCameras,
		Uses: in.Uses, Trained: in.Trained, Certificate: in.CertificateID, Flag: in.Flag, FlagNote: in.FlagNote,
		FlagClosedAt: in.FlagClosedAt, ContradictsZeroReport: in.ContradictsZeroReport, CreatedAt: in.CreatedAt,
	}
	if in.Point != "" {
		out.Point = json.RawMessage(in.Point)
	}
	if out.BodyCameras == nil {
		out.BodyCameras = []string{}
	}
	return out
}

type addendumJSON struct {
	ID          string         `json:"id"`
	Author      accountRefJSON `json:"author"`
	AuthorRole  auth.Role      `json:"author_role"`
	Text        string         `json:"text"`
	BodyCameras []string       `json:"body_cameras"`
	CreatedAt   time.Time      `json:"created_at"`
}

func toAddendumJSON(a force.Addendum) addendumJSON {
	out := addendumJSON{ID: a.ID, Author: accountRefJSON{ID: a.AuthorID, Username: a.AuthorUsername, DisplayName: a.AuthorName},
		AuthorRole: a.AuthorRole, Text: a.Text, BodyCameras: a.BodyCameras, CreatedAt: a.CreatedAt}
	if out.BodyCameras == nil {
		out.BodyCameras = []string{}
	}
	return out
}

type referralUpdateJSON struct {
	From force.ReferralStatus `json:"from"`
	To   force.ReferralStatus `json:"to"`
	Note string               `json:"note"`
	By   string               `json:"by"`
	At   time.Time            `json:"at"`
}

type referralJSON struct {
	ID         string               `json:"id"`
	Incident   string               `json:"incident"`
	BodyKind   force.BodyKind       `json:"body_kind"`
	Body       string               `json:"body"`
	Reference  string               `json:"reference,omitempty"`
	Reasons    string               `json:"reasons"`
	Status     force.ReferralStatus `json:"status"`
	ReferredBy string               `json:"referred_by"`
	ReferredAt time.Time            `json:"referred_at"`
	UpdatedAt  time.Time            `json:"updated_at"`
	Updates    []referralUpdateJSON `json:"updates"`
}

func toReferralJSON(r force.Referral) referralJSON {
	out := referralJSON{ID: r.ID, Incident: r.IncidentID, BodyKind: r.BodyKind, Body: r.Body, Reference: r.Reference, Reasons: r.Reasons,
		Status: r.Status, ReferredBy: r.ReferredBy, ReferredAt: r.ReferredAt, UpdatedAt: r.UpdatedAt, Updates: []referralUpdateJSON{}}
	for _, u := range r.Updates {
		out.Updates = append(out.Updates, referralUpdateJSON{From: u.From, To: u.To, Note: u.Note, By: u.By, At: u.At})
	}
	return out
}

func incidentsJSON(list []force.Incident) []incidentJSON {
	out := make([]incidentJSON, len(list))
	for i, in := range list {
		out[i] = toIncidentJSON(in)
	}
	return out
}

func (s *Server) apiForceReports(w http.ResponseWriter, r *http.Request) error {
	q := forceQuery(r.URL.Query())
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return httpError(http.StatusBadRequest, "force.form.bad_number", "field", "limit")
		}
		q.Limit = n
	}
	list, err := s.deps.Force.Incidents(r.Context(), *callerFrom(r.Context()).account, q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reports": incidentsJSON(list)})
}

// newIncidentJSON is the body of POST /api/force/reports.
type newIncidentJSON struct {
	Weapon            string          `json:"weapon"`
	OccurredAt        time.Time       `json:"occurred_at"`
	Point             json.RawMessage `json:"point"`
	Place             string          `json:"place"`
	Assembly          string          `json:"assembly"`
	Circumstances     string          `json:"circumstances"`
	WarningGiven      *bool           `json:"warning_given"`
	Warning           string          `json:"warning"`
	Injuries          int             `json:"injuries"`
	InjuryDescription string          `json:"injury_description"`
	Medical           force.Medical   `json:"medical"`
	MedicalNote       string          `json:"medical_note"`
	BodyCameras       []string        `json:"body_cameras"`
	Uses              int             `json:"uses"`
}

func (s *Server) apiForceReport(w http.ResponseWriter, r *http.Request) error {
	var in newIncidentJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.WarningGiven == nil {
		return httpError(http.StatusBadRequest, "force.form.warning_choice")
	}
	point := ""
	if len(in.Point) > 0 && string(in.Point) != "null" {
		point = string(in.Point)
	}
	inc, event, err := s.deps.Force.Report(r.Context(), *callerFrom(r.Context()).account, force.NewIncident{
		Weapon: in.Weapon, OccurredAt: in.OccurredAt, Point: point, Place: in.Place, AssemblyID: in.Assembly,
		Circumstances: in.Circumstances, WarningGiven: *in.WarningGiven, Warning: in.Warning, Injuries: in.Injuries,
		InjuryDescription: in.InjuryDescription, Medical: in.Medical, MedicalNote: in.MedicalNote, BodyCameras: in.BodyCameras, Uses: in.Uses,
	})
	if err != nil {
		return err
	}
	out := toIncidentJSON(inc)
	out.Event = event
	w.Header().Set("Location", "/api/force/reports/"+inc.ID)
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) apiForceIncident(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := *callerFrom(ctx).account
	in, err := s.deps.Force.Incident(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := toIncidentJSON(in)
	addenda, err := s.deps.Force.Addenda(ctx, a, in.ID)
	if err != nil {
		return err
	}
	for _, ad := range addenda {
		out.Addenda = append(out.Addenda, toAddendumJSON(ad))
	}
	if a.Role.Is(force.CanReadAll...) {
		refs, err := s.deps.Force.Referrals(ctx, a, force.ReferralQuery{IncidentID: in.ID})
		if err != nil {
			return err
		}
		for _, ref := range refs {
			out.Referrals = append(out.Referrals, toReferralJSON(ref))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiForceAddendum(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Text        string   `json:"text"`
		BodyCameras []string `json:"body_cameras"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.deps.Force.AddAddendum(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), in.Text, in.BodyCameras)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toAddendumJSON(a))
}

func (s *Server) apiForceReview(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Note string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	inc, err := s.deps.Force.ReviewFlag(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toIncidentJSON(inc))
}

func (s *Server) apiForceRefer(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		BodyKind  force.BodyKind `json:"body_kind"`
		Body      string         `json:"body"`
		Reference string         `json:"reference"`
		Reasons   string         `json:"reasons"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ref, err := s.deps.Force.Refer(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"),
		force.NewReferral{BodyKind: in.BodyKind, Body: in.Body, Reference: in.Reference, Reasons: in.Reasons})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toReferralJSON(ref))
}

func (s *Server) apiForceQueue(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Force.Queue(r.Context(), *callerFrom(r.Context()).account)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reports": incidentsJSON(list)})
}

func (s *Server) apiForceReferrals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	list, err := s.deps.Force.Referrals(r.Context(), *callerFrom(r.Context()).account,
		force.ReferralQuery{IncidentID: q.Get("incident"), Status: force.ReferralStatus(q.Get("status"))})
	if err != nil {
		return err
	}
	out := make([]referralJSON, len(list))
	for i, ref := range list {
		out[i] = toReferralJSON(ref)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"referrals": out})
}

func (s *Server) apiForceUpdateReferral(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Status    force.ReferralStatus `json:"status"`
		Reference string               `json:"reference"`
		Note      string               `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ref, err := s.deps.Force.UpdateReferral(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), in.Status, in.Reference, in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toReferralJSON(ref))
}

// certificateJSON is a training certificate as the API shows it.
type certificateJSON struct {
	ID           string         `json:"id"`
	Holder       accountRefJSON `json:"holder"`
	Unit         string         `json:"unit"`
	Weapon       string         `json:"weapon"`
	IssuedOn     time.Time      `json:"issued_on"`
	ExpiresOn    time.Time      `json:"expires_on"`
	Issuer       string         `json:"issuer"`
	Reference    string         `json:"reference,omitempty"`
	RecordedAt   time.Time      `json:"recorded_at"`
	RevokedAt    *time.Time     `json:"revoked_at,omitempty"`
	RevokeReason string         `json:"revoke_reason,omitempty"`
	ValidNow     bool           `json:"valid_now"`
}

func toCertificateJSON(c force.Certificate, now time.Time) certificateJSON {
	return certificateJSON{ID: c.ID, Holder: accountRefJSON{ID: c.AccountID, Username: c.HolderUsername, DisplayName: c.HolderName},
		Unit: c.HolderUnit, Weapon: c.Weapon, IssuedOn: c.IssuedOn, ExpiresOn: c.ExpiresOn, Issuer: c.Issuer, Reference: c.Reference,
		RecordedAt: c.RecordedAt, RevokedAt: c.RevokedAt, RevokeReason: c.RevokeReason, ValidNow: c.ValidAt(now)}
}

// parseAPITime reads an optional RFC 3339 time from the query.
func parseAPITime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, httpError(http.StatusBadRequest, "force.form.bad_api_time", "field", field)
	}
	return t, nil
}

func (s *Server) apiForceCertificates(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	at, err := parseAPITime(q.Get("current_at"), "current_at")
	if err != nil {
		return err
	}
	list, err := s.deps.Force.Certificates(r.Context(), *callerFrom(r.Context()).account, force.CertificateQuery{
		AccountID: q.Get("account"), Unit: q.Get("unit"), Weapon: q.Get("weapon"), CurrentAt: at})
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]certificateJSON, len(list))
	for i, c := range list {
		out[i] = toCertificateJSON(c, now)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"certificates": out})
}

func (s *Server) apiForceRecordCertificate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Account   string    `json:"account"`
		Weapon    string    `json:"weapon"`
		IssuedOn  time.Time `json:"issued_on"`
		ExpiresOn time.Time `json:"expires_on"`
		Issuer    string    `json:"issuer"`
		Reference string    `json:"reference"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.deps.Force.RecordCertificate(r.Context(), *callerFrom(r.Context()).account, force.NewCertificate{
		AccountID: in.Account, Weapon: in.Weapon, IssuedOn: in.IssuedOn, ExpiresOn: in.ExpiresOn, Issuer: in.Issuer, Reference: in.Reference})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toCertificateJSON(c, time.Now()))
}

func (s *Server) apiForceRevokeCertificate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.deps.Force.RevokeCertificate(r.Context(), *callerFrom(r.Context()).account, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toCertificateJSON(c, time.Now()))
}

// apiForceTraining says whether a unit is trained for a weapon at a time,
// member by member. A commander asks about their own unit only.
func (s *Server) apiForceTraining(w http.ResponseWriter, r *http.Request) error {
	a := *callerFrom(r.Context()).account
	q := r.URL.Query()
	unit := strings.TrimSpace(q.Get("unit"))
	if a.Role == auth.Commander {
		if unit != "" && force.UnitKey(unit) != force.UnitKey(a.Unit) {
			return httpError(http.StatusForbidden, "force.forbidden_other_unit")
		}
		unit = a.Unit
	}
	if force.UnitKey(unit) == "" {
		return httpError(http.StatusBadRequest, "force.form.unit_query")
	}
	if !force.IsWeapon(q.Get("weapon")) {
		return httpError(http.StatusBadRequest, "force.form.weapon_query")
	}
	at, err := parseAPITime(q.Get("at"), "at")
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = time.Now()
	}
	u, err := s.deps.Force.UnitTrainingFor(r.Context(), unit, q.Get("weapon"), at)
	if err != nil {
		return err
	}
	type memberJSON struct {
		accountRefJSON
		Role        auth.Role `json:"role"`
		Trained     bool      `json:"trained"`
		Certificate string    `json:"certificate,omitempty"`
	}
	members := make([]memberJSON, len(u.Members))
	for i, m := range u.Members {
		members[i] = memberJSON{accountRefJSON: accountRefJSON{ID: m.AccountID, Username: m.Username, DisplayName: m.DisplayName},
			Role: m.Role, Trained: m.Trained(), Certificate: m.CertificateID}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"unit": u.Unit, "weapon": u.Weapon, "at": u.At.UTC(), "trained": u.Trained(), "members": members})
}

type zeroReportJSON struct {
	ID             string    `json:"id"`
	Unit           string    `json:"unit"`
	Month          string    `json:"month"`
	FiledBy        string    `json:"filed_by"`
	FiledAt        time.Time `json:"filed_at"`
	ContradictedBy string    `json:"contradicted_by,omitempty"`
}

func toZeroJSON(z force.ZeroReport) zeroReportJSON {
	return zeroReportJSON{ID: z.ID, Unit: z.Unit, Month: z.Month, FiledBy: z.FiledBy, FiledAt: z.FiledAt, ContradictedBy: z.ContradictedBy}
}

func (s *Server) apiForceZeroReports(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	list, err := s.deps.Force.ZeroReports(r.Context(), *callerFrom(r.Context()).account, force.ZeroQuery{
		Unit: q.Get("unit"), Range: force.MonthRange{From: q.Get("from"), To: q.Get("to")}, Contradicted: q.Get("contradicted") == "1"})
	if err != nil {
		return err
	}
	out := make([]zeroReportJSON, len(list))
	for i, z := range list {
		out[i] = toZeroJSON(z)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"zero_reports": out})
}

func (s *Server) apiForceFileZero(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Month string `json:"month"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	z, err := s.deps.Force.FileZeroReport(r.Context(), *callerFrom(r.Context()).account, in.Month)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toZeroJSON(z))
}

func (s *Server) apiForceMissingZero(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	list, err := s.deps.Force.MissingZeroReports(r.Context(), *callerFrom(r.Context()).account, force.MonthRange{From: q.Get("from"), To: q.Get("to")})
	if err != nil {
		return err
	}
	type missingJSON struct {
		Unit   string   `json:"unit"`
		Months []string `json:"months"`
	}
	out := make([]missingJSON, len(list))
	for i, m := range list {
		out[i] = missingJSON{Unit: m.Unit, Months: m.Months}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"missing": out})
}

// statCell is a statistics cell in JSON: its count, or "<5" or "x" when
// the count is withheld.
type statCell force.Cell

func (c statCell) MarshalJSON() ([]byte, error) {
	if force.Cell(c).Suppressed != force.Shown {
		return json.Marshal(force.Cell(c).String())
	}
	return json.Marshal(c.N)
}

type statRowJSON struct {
	Key       string   `json:"key,omitempty"`
	Incidents statCell `json:"incidents"`
	Uses      statCell `json:"uses"`
	Injuries  statCell `json:"injuries"`
	Untrained statCell `json:"untrained"`
	Referred  statCell `json:"referred"`
}

func toStatRows(rows []force.Row) []statRowJSON {
	out := make([]statRowJSON, len(rows))
	for i, r := range rows {
		out[i] = toStatRow(r)
	}
	return out
}

func toStatRow(r force.Row) statRowJSON {
	return statRowJSON{Key: r.Key, Incidents: statCell(r.Incidents), Uses: statCell(r.Uses), Injuries: statCell(r.Injuries),
		Untrained: statCell(r.Untrained), Referred: statCell(r.Referred)}
}

// apiForceStats is public: anyone gets the statistics with small cells
// suppressed; oversight gets them exact.
func (s *Server) apiForceStats(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r.Context())
	q := r.URL.Query()
	exact := c.account != nil && c.account.Role.Is(force.CanSeeExactStats...)
	st, err := s.deps.Force.Stats(r.Context(), force.StatsQuery{Range: force.MonthRange{From: q.Get("from"), To: q.Get("to")}, Exact: exact})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"from": st.Range.From, "to": st.Range.To, "exact": st.Exact, "suppress_below": force.SuppressBelow,
		"total": toStatRow(st.Total), "by_weapon": toStatRows(st.ByWeapon), "by_unit": toStatRows(st.ByUnit), "by_month": toStatRows(st.ByMonth),
	})
}
