package web

import (
	"net/http"

	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"

	"github.com/vigil-project/vigil/internal/ledger"
)

// publicEntry is one log entry, as the public sees it.
type publicEntry struct {
	Index uint64
	Entry ledger.Entry
	Raw   string
}

type ledgerView struct {
	Log     logStatus
	Entries []publicEntry
	BaseURL string
}

// recentEntries reads the newest n entries from the public log itself, not
// from the database: this page shows what anyone can check.
func (s *Server) recentEntries(r *http.Request, size uint64, n int) ([]publicEntry, error) {
	var out []publicEntry
	for b := (size - 1) / layout.EntryBundleWidth; size > 0 && len(out) < n; b-- {
		bundle, err := client.GetEntryBundle(r.Context(), s.deps.Log.ReadEntryBundle, b, size)
		if err != nil {
			return nil, err
		}
		for j := len(bundle.Entries) - 1; j >= 0 && len(out) < n; j-- {
			idx := b*layout.EntryBundleWidth + uint64(j)
			if idx >= size {
				continue
			}
			en, err := ledger.ParseEntry(bundle.Entries[j])
			if err != nil {
				return nil, err
			}
			out = append(out, publicEntry{Index: idx, Entry: en, Raw: string(bundle.Entries[j])})
		}
		if b == 0 {
			break
		}
	}
	return out, nil
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) ledgerPage(w http.ResponseWriter, r *http.Request) error {
	st := s.logStatus(r.Context())
	v := ledgerView{Log: st, BaseURL: baseURL(r)}
	if st.Available && st.Size > 0 {
		var err error
		if v.Entries, err = s.recentEntries(r, st.Size, 25); err != nil {
			return err
		}
	}
	s.render(w, r, http.StatusOK, "ledger", "ledger.title", v)
	return nil
}

func (s *Server) reconcilePage(w http.ResponseWriter, r *http.Request) error {
	rep, err := ledger.Reconcile(r.Context(), s.deps.DB, s.deps.Log, s.deps.Keys.Verifier)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "reconcile", "reconcile.title", rep)
	return nil
}
