package witness

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/store"
)

// Config configures a witness server.
type Config struct {
	// Key signs the cosignatures. Required.
	Key Key
	// Logs are the public keys of the logs the witness witnesses; each
	// key's name is its log's origin. Checkpoints of any other log are
	// refused.
	Logs []note.Verifier
	// Logger receives what the witness refuses, and why (default
	// slog.Default()).
	Logger *slog.Logger
}

// Server is a witness: it serves the C2SP tlog-witness protocol.
type Server struct {
	cfg    Config
	states *States
	logs   map[string][]note.Verifier // origin -> the log's keys
	mux    *http.ServeMux
}

// New makes a witness server that keeps its states in db (migrated).
func New(db *store.DB, cfg Config) (*Server, error) {
	if cfg.Key.Signer == nil {
		return nil, errors.New("witness: no key to cosign with")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, states: NewStates(db), logs: map[string][]note.Verifier{}, mux: http.NewServeMux()}
	for _, v := range cfg.Logs {
		s.logs[v.Name()] = append(s.logs[v.Name()], v)
	}
	s.mux.HandleFunc("POST /add-checkpoint", s.handle(s.addCheckpoint))
	s.mux.HandleFunc("GET /{$}", s.handle(s.status))
	return s, nil
}

// Handler serves the witness: POST /add-checkpoint, and GET / saying who
// the witness is and which logs it witnesses.
func (s *Server) Handler() http.Handler { return s.mux }

// States are the logs' states the server keeps.
func (s *Server) States() *States { return s.states }

// refusal is an answer other than a cosignature: an HTTP status and a
// message for the client.
type refusal struct {
	code int
	msg  string
}

func (r *refusal) Error() string {
	return fmt.Sprintf("%d %s: %s", r.code, http.StatusText(r.code), r.msg)
}

func refuse(code int, format string, args ...any) error {
	return &refusal{code: code, msg: fmt.Sprintf(format, args...)}
}

// sizeConflict says the client's old size is not the size the witness last
// cosigned, and what that size is.
type sizeConflict struct{ size uint64 }

func (c *sizeConflict) Error() string {
	return fmt.Sprintf("409 Conflict: the latest cosigned size is %d", c.size)
}

// handle turns a handler's error into the response: the protocol's
// status codes with a short message, and for anything else a 500 that
// reveals nothing.
func (s *Server) handle(f func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := f(w, r)
		var sc *sizeConflict
		var rf *refusal
		switch {
		case err == nil:
		case errors.As(err, &sc):
			w.Header().Set("Content-Type", "text/x.tlog.size")
			w.WriteHeader(http.StatusConflict)
			fmt.Fprintf(w, "%d\n", sc.size)
		case errors.As(err, &rf):
			http.Error(w, rf.msg, rf.code)
		default:
			s.cfg.Logger.Error("witness", "path", r.URL.Path, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}
}

// status says who the witness is, which logs it witnesses, and the latest
// size it cosigned for each.
func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	states, err := s.states.List(r.Context())
	if err != nil {
		return err
	}
	seen := map[string]State{}
	for _, st := range states {
		seen[st.Origin] = st
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Vigil witness %s\nkey %s\n\nLogs witnessed (origin, latest cosigned size, when):\n", s.cfg.Key.Name(), s.cfg.Key.VerifierKey)
	origins := make([]string, 0, len(s.logs))
	for o := range s.logs {
		origins = append(origins, o)
	}
	slices.Sort(origins)
	for _, o := range origins {
		if st, ok := seen[o]; ok {
			fmt.Fprintf(w, "%s %d %s\n", o, st.Size, st.Updated.Format(time.RFC3339))
		} else {
			fmt.Fprintf(w, "%s - never\n", o)
		}
	}
	return nil
}
