package web

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
)

type noticesView struct {
	Notices []assembly.Notice
	BaseURL string
}

// noticesPage is the public list of deployments of technologies that
// record or process people.
func (s *Server) noticesPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Assemblies.Notices(r.Context(), 200)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "notices", "notices.title", noticesView{Notices: list, BaseURL: baseURL(r)})
	return nil
}

func (s *Server) noticePage(w http.ResponseWriter, r *http.Request) error {
	n, err := s.deps.Assemblies.Notice(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "notice", "notices.one.title", n)
	return nil
}

// noticeSummary is a notice in one sentence, for feeds, in the reader's
// language.
func (s *Server) noticeSummary(lang string, n assembly.Notice) (title, text string) {
	c := s.deps.Messages
	kind := c.T(lang, "kind."+n.TechnologyKind)
	authority := n.Authority
	if authority == "policy" {
		authority = c.T(lang, "notices.policy_short")
	}
	title = c.T(lang, "notices.feed_title", "kind", kind, "date", n.Starts.UTC().Format("2006-01-02"))
	text = c.T(lang, "notices.feed_text", "kind", kind, "purpose", c.T(lang, "purpose."+n.Purpose),
		"starts", n.Starts.UTC().Format("2006-01-02 15:04 UTC"), "ends", n.Ends.UTC().Format("2006-01-02 15:04 UTC"),
		"authority", authority, "days", n.RetentionDays, "contact", n.Contact)
	return title, text
}

// Atom 1.0 (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	Title     string   `xml:"title"`
	ID        string   `xml:"id"`
	Updated   string   `xml:"updated"`
	Published string   `xml:"published"`
	Link      atomLink `xml:"link"`
	Summary   string   `xml:"summary"`
}

func (s *Server) noticesAtom(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Assemblies.Notices(r.Context(), 100)
	if err != nil {
		return err
	}
	lang := viewerFrom(r.Context()).lang
	base := baseURL(r)
	feed := atomFeed{
		Title: s.deps.Messages.T(lang, "notices.title"), ID: base + "/notices", Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/notices.atom"}, {Rel: "alternate", Type: "text/html", Href: base + "/notices"}},
		Author: atomAuthor{Name: s.deps.Keys.Origin()},
	}
	for _, n := range list {
		title, text := s.noticeSummary(lang, n)
		updated := n.UpdatedAt.UTC().Format(time.RFC3339)
		if updated > feed.Updated {
			feed.Updated = updated
		}
		feed.Entries = append(feed.Entries, atomEntry{
			Title: title, ID: base + "/notices/" + n.ID, Updated: updated, Published: n.PublishedAt.UTC().Format(time.RFC3339),
			Link: atomLink{Rel: "alternate", Type: "text/html", Href: base + "/notices/" + n.ID}, Summary: text,
		})
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	return enc.Encode(feed)
}

// JSON Feed 1.1 (https://jsonfeed.org/version/1.1), with each notice's
// facts alongside for machines.
func (s *Server) noticesJSON(w http.ResponseWriter, r *http.Request) error {
	list, err := s.deps.Assemblies.Notices(r.Context(), 100)
	if err != nil {
		return err
	}
	lang := viewerFrom(r.Context()).lang
	base := baseURL(r)
	type fact struct {
		Assembly       string    `json:"assembly,omitempty"`
		TechnologyKind string    `json:"technology_kind"`
		Purpose        string    `json:"purpose"`
		Starts         time.Time `json:"starts"`
		Ends           time.Time `json:"ends"`
		Area           any       `json:"area,omitempty"`
		Authority      string    `json:"authority"`
		RetentionDays  int       `json:"retention_days"`
		Contact        string    `json:"contact"`
		Status         string    `json:"deployment_status"`
		DelayReason    string    `json:"delay_reason,omitempty"`
	}
	type item struct {
		ID            string `json:"id"`
		URL           string `json:"url"`
		Title         string `json:"title"`
		ContentText   string `json:"content_text"`
		DatePublished string `json:"date_published"`
		DateModified  string `json:"date_modified"`
		Vigil         fact   `json:"_vigil"`
	}
	feed := struct {
		Version     string `json:"version"`
		Title       string `json:"title"`
		HomePageURL string `json:"home_page_url"`
		FeedURL     string `json:"feed_url"`
		Items       []item `json:"items"`
	}{Version: "https://jsonfeed.org/version/1.1", Title: s.deps.Messages.T(lang, "notices.title"), HomePageURL: base + "/notices", FeedURL: base + "/notices.json", Items: []item{}}
	for _, n := range list {
		title, text := s.noticeSummary(lang, n)
		var area any
		if n.Area != "" {
			area = json.RawMessage(n.Area)
		}
		feed.Items = append(feed.Items, item{
			ID: base + "/notices/" + n.ID, URL: base + "/notices/" + n.ID, Title: title, ContentText: text,
			DatePublished: n.PublishedAt.UTC().Format(time.RFC3339), DateModified: n.UpdatedAt.UTC().Format(time.RFC3339),
			Vigil: fact{Assembly: n.AssemblyID, TechnologyKind: n.TechnologyKind, Purpose: n.Purpose, Starts: n.Starts, Ends: n.Ends, Area: area,
				Authority: n.Authority, RetentionDays: n.RetentionDays, Contact: n.Contact, Status: n.DeploymentStatus, DelayReason: n.DelayReason},
		})
	}
	w.Header().Set("Content-Type", "application/feed+json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(feed)
}
