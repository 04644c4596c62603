package web

import (
	"bytes"
	"net/http"
)

// disruptionsCSV downloads the whole register in the column layout of
// Access Now's STOP dataset. WriteSTOP guards every cell a spreadsheet
// could take for a formula. The file is built before anything is sent, so
// that a failure is an error page, not half a file.
func (s *Server) disruptionsCSV(w http.ResponseWriter, r *http.Request) error {
	var buf bytes.Buffer
	if err := s.deps.Disruptions.Export(r.Context(), &buf); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="vigil-disruption-orders-stop.csv"`)
	h.Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}
