package web

import (
	"crypto/subtle"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/vault"
)

type uploadFormView struct {
	Classes []vault.Class
	// Submits: the viewer's items form a submission, followed by case
	// number and PIN.
	Submits bool
	// Police capture under deployments.
	Police bool
	Form   url.Values
	Error  string
}

// uploadClasses are the classes role may add, refused ones left out.
func (s *Server) uploadClasses(role auth.Role) []vault.Class {
	var out []vault.Class
	for _, c := range s.deps.Vault.Classes() {
		if !c.Refuse && slices.Contains(c.Uploaders, role) {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) uploadFormView(r *http.Request, form url.Values) uploadFormView {
	a := viewerFrom(r.Context()).account
	if form == nil {
		form = url.Values{}
	}
	return uploadFormView{Classes: s.uploadClasses(a.Role), Submits: a.Role.Is(submitters...), Police: a.Role.Is(auth.Officer, auth.Commander), Form: form}
}

func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "vault_new", "evidence.new.title", s.uploadFormView(r, nil))
	return nil
}

type uploadedView struct {
	Item    vault.Item
	Receipt *vault.Receipt
}

// Limits on the fields of the upload form, before its file.
const (
	maxUploadFields     = 20
	maxUploadFieldBytes = 4 << 10
	// maxDrain is how much of a refused upload is read and thrown away,
	// so that the browser, still sending, gets to see why.
	maxDrain = 64 << 20
)

// uploadItem takes the upload form as a stream: its fields come first (the
// form puts them before the file), then the file, which goes straight
// through the vault's hashing and encryption to the blob store. Nothing is
// spooled to disk, and nothing unencrypted touches it.
func (s *Server) uploadItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	vw := viewerFrom(ctx)
	max := s.deps.Vault.MaxSize()
	body := newIdleReader(w, r.Body)
	r.Body = http.MaxBytesReader(w, io.NopCloser(body), max+1<<20)
	fields, file, err := readUploadForm(r)
	if err == nil && subtle.ConstantTimeCompare([]byte(fields.Get("csrf")), []byte(vw.csrf)) != 1 {
		return httpError(http.StatusForbidden, "error.csrf")
	}
	var n vault.NewItem
	if err == nil {
		n, err = uploadItemOf(fields, file)
	}
	if err == nil {
		err = s.checkNewItem(r, *vw.account, n)
	}
	var it vault.Item
	var rcpt *vault.Receipt
	if err == nil {
		it, rcpt, err = s.deps.Vault.Ingest(ctx, *vw.account, n, file)
	}
	if err != nil {
		io.CopyN(io.Discard, r.Body, maxDrain)
		body.done()
		p, err := s.vaultFormProblem(r, err)
		if err != nil {
			return err
		}
		fields.Del("csrf")
		fields.Del("pin")
		v := s.uploadFormView(r, fields)
		v.Error = p.Detail
		s.render(w, r, p.Status, "vault_new", "evidence.new.title", v)
		return nil
	}
	body.done()
	// The case number and PIN are shown now, once: the page is the
	// answer to the post, not a page that can be loaded again.
	s.render(w, r, http.StatusCreated, "vault_uploaded", "evidence.uploaded.title", uploadedView{Item: it, Receipt: rcpt})
	return nil
}

// readUploadForm reads the form's fields up to its file part, which it
// returns unread.
func readUploadForm(r *http.Request) (url.Values, *multipart.Part, error) {
	fields := url.Values{}
	mr, err := r.MultipartReader()
	if err != nil {
		return fields, nil, &Error{Status: http.StatusBadRequest, Key: "error.bad_form", Err: err}
	}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return fields, nil, httpError(http.StatusBadRequest, "evidence.no_file")
		}
		if err != nil {
			return fields, nil, &Error{Status: http.StatusBadRequest, Key: "error.bad_form", Err: err}
		}
		if part.FormName() == "file" {
			if part.FileName() == "" {
				return fields, nil, httpError(http.StatusBadRequest, "evidence.no_file")
			}
			return fields, part, nil
		}
		if n >= maxUploadFields || part.FileName() != "" {
			return fields, nil, httpError(http.StatusBadRequest, "evidence.form_order")
		}
		b, err := io.ReadAll(io.LimitReader(part, maxUploadFieldBytes+1))
		if err != nil {
			return fields, nil, &Error{Status: http.StatusBadRequest, Key: "error.bad_form", Err: err}
		}
		if len(b) > maxUploadFieldBytes {
			return fields, nil, httpError(http.StatusBadRequest, "evidence.field_too_long")
		}
		fields.Add(part.FormName(), string(b))
	}
}

// uploadItemOf describes the item from the form's fields and its file
// part's headers.
func uploadItemOf(f url.Values, file *multipart.Part) (vault.NewItem, error) {
	n := vault.NewItem{Class: f.Get("class"), MediaType: file.Header.Get("Content-Type"), DeploymentID: strings.TrimSpace(f.Get("deployment")),
		Submission: strings.TrimSpace(f.Get("submission")), PIN: strings.TrimSpace(f.Get("pin")), Purpose: f.Get("purpose"),
		Capture: vault.Capture{Filename: file.FileName(), Source: "browser upload"}}
	if v := strings.TrimSpace(f.Get("captured_at")); v != "" {
		t, err := time.Parse(formTimeLayout, v)
		if err != nil {
			return n, httpError(http.StatusBadRequest, "evidence.bad_capture_time")
		}
		n.Capture.DeviceTime = t
	}
	return n, nil
}
