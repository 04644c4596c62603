package tus

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Error is a failure with an HTTP status and a message for the client.
// Msg is safe to show; Err, if set, is detail for the server's log and is
// never shown.
//
// Server.Serve returns every failure as an *Error: a 4xx one for the
// client's mistakes, a 5xx one (Msg "internal error" or similar, the cause
// in Err) for the server's own. Client.Upload returns one when the server
// refuses an upload, with the server's message in Msg.
type Error struct {
	Status int
	Msg    string
	Err    error
}

// Error returns Msg, followed by Err's text when there is an Err: for logs,
// not for the client.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ClientFault is implemented by errors that know whether they are the
// client's fault. Config.Complete and Config.CheckMetadata may return one
// (anywhere in the error's chain, found with errors.As): when ClientError
// reports true, the error's text is shown to the client, with status 400
// for metadata and 422 for content, and a refused content terminates the
// upload. A *Error with a 4xx status is taken the same way, with its own
// status and Msg.
type ClientFault interface {
	error
	ClientError() bool
}

// asClientError returns err as a client error to show, if it is one.
func asClientError(err error, status int) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		if e.Status >= 400 && e.Status < 500 {
			return e, true
		}
		return nil, false
	}
	var cf ClientFault
	if errors.As(err, &cf) && cf.ClientError() {
		return &Error{Status: status, Msg: cf.Error(), Err: err}, true
	}
	return nil, false
}

func badRequest(msg string) *Error { return &Error{Status: http.StatusBadRequest, Msg: msg} }

func internal(err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Msg: "internal error", Err: err}
}

// WriteError writes err as a plain-text response: its status and Msg when
// it is an *Error, otherwise 500 and "internal error". It is a convenience
// for callers of Server.Serve that have no error page of their own; headers
// Serve set (Tus-Resumable, Upload-Offset on a conflict) are kept.
func WriteError(w http.ResponseWriter, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	var e *Error
	if errors.As(err, &e) && e.Status != 0 {
		status, msg = e.Status, e.Msg
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(msg)+1))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}

// maxErrorBody is how much of an error response the client reads.
const maxErrorBody = 4 << 10

// responseError reads the message of an error response: plain text, or
// JSON {"error": "..."}.
func responseError(resp *http.Response) *Error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg := strings.TrimSpace(string(b))
	if strings.HasPrefix(msg, "{") {
		if m := jsonErrorField(b); m != "" {
			msg = m
		}
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &Error{Status: resp.StatusCode, Msg: msg}
}
