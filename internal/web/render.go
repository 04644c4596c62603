package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
)

// pages are the parsed templates, one set per page, each with the layout.
type pages struct {
	cat *i18n.Catalog
	set map[string]*template.Template
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	// whenp is when for a time that may be missing.
	"whenp": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"day":  func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"list": func(items ...string) []string { return items },
	// whenText shows an RFC 3339 time string as "when" does.
	"whenText": func(s string) string {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return s
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	// under reports whether path is prefix or a page below it.
	"under":   func(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") },
	"roleKey": func(r auth.Role) string { return "role." + string(r) },
	// bytes shows a size for people: "1.4 MB".
	"bytes": humanBytes,
	"inc":   func(i int) int { return i + 1 },
	// mediaKind says what a file is, in a word people use.
	"mediaKind": mediaKind,
	// has reports whether list holds s.
	"has": func(list []string, s string) bool { return slices.Contains(list, s) },
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("kMGTPE"[exp]) + "B"
}

func loadPages(cat *i18n.Catalog) (*pages, error) {
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{cat: cat, set: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html", f)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", f, err)
		}
		p.set[name] = t
	}
	return p, nil
}

// pageData is what every template gets.
type pageData struct {
	Lang   string
	Title  string // a catalog key
	Viewer *auth.Account
	CSRF   string
	Path   string
	// Notice is a translated line shown at the top, after an action.
	Notice string
	Data   any
	cat    *i18n.Catalog
}

// T translates key in the page's language.
func (p pageData) T(key string, args ...any) string { return p.cat.T(p.Lang, key, args...) }

// Is reports whether the viewer holds one of the roles.
func (p pageData) Is(roles ...string) bool {
	if p.Viewer == nil {
		return false
	}
	for _, r := range roles {
		if string(p.Viewer.Role) == r {
			return true
		}
	}
	return false
}

// notices are the messages a redirect may ask for with ?done=; nothing
// else from the URL is ever shown.
var notices = map[string]string{
	"password":      "notice.password_changed",
	"token_revoked": "notice.token_revoked",
	"role":          "notice.role_changed",
	"disabled":      "notice.account_disabled",
	"enabled":       "notice.account_enabled",
	"signed_out":    "notice.signed_out",
	"held":          "notice.item_held",
	"segment":       "notice.segment_cut",
	"member":        "notice.member_added",
	"released":      "notice.hold_released",
	"share_revoked": "notice.share_revoked",
	"case_closed":   "notice.case_closed",
}

// render writes page name with data, in the viewer's language.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	v := viewerFrom(r.Context())
	t, ok := s.pages.set[name]
	if !ok {
		s.deps.Logger.Error("no such template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pd := pageData{Lang: v.lang, Title: title, Viewer: v.account, CSRF: v.csrf, Path: r.URL.Path, Data: data, cat: s.pages.cat}
	if key, ok := notices[r.URL.Query().Get("done")]; ok {
		pd.Notice = pd.T(key)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pd); err != nil {
		s.deps.Logger.Error("render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func itoa(n int) string { return strconv.Itoa(n) }

// mediaKinds are the words mediaKind answers.
var mediaKinds = []string{"picture", "video", "audio", "document", "text", "file"}

func mediaKind(mediaType string) string {
	major, _, _ := strings.Cut(mediaType, "/")
	switch {
	case major == "image":
		return "picture"
	case major == "video" || major == "audio" || major == "text":
		return major
	case mediaType == "application/pdf":
		return "document"
	}
	return "file"
}
