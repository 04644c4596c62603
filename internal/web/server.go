package web

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/disrupt"
	"github.com/vigil-project/vigil/internal/force"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/tus"
	"github.com/vigil-project/vigil/internal/vault"
)

//go:embed templates static
var assets embed.FS

// WriterStats reports on the ledger writer, if this process runs one.
type WriterStats interface {
	Stats() ledger.Stats
}

// WitnessPolicy says whether a checkpoint carries the witness
// cosignatures the log's policy requires (witness.Policy).
type WitnessPolicy interface {
	Satisfied(checkpoint []byte) bool
}

// Deps are what the server serves. All are required but Writer and
// Witnesses.
type Deps struct {
	DB         *store.DB
	Auth       *auth.Service
	Assemblies *assembly.Service
	// Disruptions is the register of disruption orders.
	Disruptions *disrupt.Service
	// Force is the training register and the use-of-force record.
	Force *force.Service
	// Keys are the log's keys; only the public half is used here.
	Keys ledger.Keys
	// Log reads the public log.
	Log      ledger.Source
	Writer   WriterStats
	Messages *i18n.Catalog
	Logger   *slog.Logger
	// Secure marks cookies Secure: set it when clients reach Vigil over
	// TLS (directly or through a proxy).
	Secure bool
	// Registry receives the server's metrics (default: a new registry).
	Registry *prometheus.Registry
	// Vault is the evidence vault, and Uploads its resumable (tus)
	// uploads. Without them the evidence pages answer 503.
	Vault   *vault.Vault
	Uploads *tus.Server
	// Witnesses, if the log has a witness policy, checks the published
	// checkpoint against it for the metrics.
	Witnesses WitnessPolicy
}

// Server is Vigil's HTTP server.
type Server struct {
	deps      Deps
	browser   *http.ServeMux
	api       *http.ServeMux
	apiRoutes []string // "METHOD /path", for the OpenAPI check
	pages     *pages
	metrics   *metrics
	handler   http.Handler
	// limits count wrong case numbers and PINs, and wrong share links, by
	// client address, as logins are counted.
	submissionLimits *auth.Limiter
	shareLimits      *auth.Limiter
}

// access says who may use a route.
type access struct {
	public bool        // anyone, signed in or not
	roles  []auth.Role // any signed-in account with one of these roles; none means any role
}

var (
	public   = access{public: true}
	signedIn = access{}
)

func roles(rs ...auth.Role) access { return access{roles: rs} }

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	p, err := loadPages(d.Messages)
	if err != nil {
		return nil, err
	}
	s := &Server{deps: d, browser: http.NewServeMux(), api: http.NewServeMux(), pages: p,
		submissionLimits: auth.NewLimiter(submissionLimits), shareLimits: auth.NewLimiter(shareLimits)}
	s.metrics = newMetrics(d.Registry, s)
	s.routes()

	static, _ := fs.Sub(assets, "static")
	root := http.NewServeMux()
	root.Handle("/api/", s.apiMiddleware(s.api))
	root.Handle("/log/", http.StripPrefix("/log", publicCORS(ledger.Handler(d.Log))))
	root.HandleFunc("GET /healthz", s.healthz)
	root.HandleFunc("GET /readyz", s.readyz)
	root.Handle("GET /metrics", s.metrics.handler())
	root.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	root.Handle("/", s.browserMiddleware(s.browser))
	s.handler = s.metrics.instrument(securityHeaders(root))
	return s, nil
}

// Handler is the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// routes registers every route, with who may use it.
func (s *Server) routes() {
	// Public pages.
	s.page("GET /{$}", public, s.home)
	s.page("GET /ledger", public, s.ledgerPage)
	s.page("GET /login", public, s.loginForm)
	s.page("POST /login", public, s.login)
	s.page("POST /logout", signedIn, s.logout)

	// Every signed-in account.
	s.page("GET /dashboard", signedIn, s.dashboard)
	s.page("GET /account", signedIn, s.accountPage)
	s.page("POST /account/password", signedIn, s.changePassword)
	s.page("POST /account/tokens", signedIn, s.createToken)
	s.page("POST /account/tokens/{id}/revoke", signedIn, s.revokeToken)

	// Administration.
	s.page("GET /admin/accounts", roles(auth.Admin), s.adminAccounts)
	s.page("POST /admin/accounts", roles(auth.Admin), s.adminCreateAccount)
	s.page("GET /admin/accounts/{id}", roles(auth.Admin), s.adminAccount)
	s.page("POST /admin/accounts/{id}/role", roles(auth.Admin), s.adminSetRole)
	s.page("POST /admin/accounts/{id}/disable", roles(auth.Admin), s.adminDisable)
	s.page("POST /admin/accounts/{id}/enable", roles(auth.Admin), s.adminEnable)
	s.page("POST /admin/accounts/{id}/password", roles(auth.Admin), s.adminResetPassword)

	// Assemblies.
	s.page("GET /assemblies", roles(assemblyReaders...), s.assembliesPage)
	s.page("GET /assemblies/new", roles(assembly.CanRegister...), s.assemblyForm)
	s.page("POST /assemblies", roles(assembly.CanRegister...), s.registerAssembly)
	s.page("GET /assemblies/{id}", roles(assemblyReaders...), s.assemblyPage)

	// Technologies: a public register.
	s.page("GET /technologies", public, s.technologiesPage)
	s.page("GET /technologies/new", roles(assembly.CanRegisterTechnology...), s.technologyForm)
	s.page("POST /technologies", roles(assembly.CanRegisterTechnology...), s.registerTechnology)
	s.page("GET /technologies/{id}", public, s.technologyPage)
	s.page("POST /technologies/{id}/assessments", roles(assembly.CanAssess...), s.recordAssessment)

	// Requests, authorizations, deployments.
	s.page("GET /requests", roles(requestReaders...), s.requestsPage)
	s.page("GET /requests/new", roles(assembly.CanRequest...), s.requestForm)
	s.page("POST /requests", roles(assembly.CanRequest...), s.fileRequest)
	s.page("GET /requests/{id}", roles(requestReaders...), s.requestPage)
	s.page("POST /requests/{id}/decision", roles(auth.Authorizer), s.decideRequest)
	s.page("GET /deployments", roles(requestReaders...), s.deploymentsPage)
	s.page("POST /deployments/{id}/revoke", roles(assembly.CanRevoke...), s.revokeDeployment)

	// Public notices and their feeds.
	s.page("GET /notices", public, s.noticesPage)
	s.page("GET /notices/{id}", public, s.noticePage)
	s.page("GET /notices.atom", public, s.noticesAtom)
	s.page("GET /notices.json", public, s.noticesJSON)

	// Oversight.
	s.page("GET /oversight/reconcile", roles(auth.Oversight, auth.Admin), s.reconcilePage)

	// Capabilities with routes of their own.
	s.forceRoutes()
	s.disruptRoutes()
	s.vaultRoutes()

	// The JSON API.
	s.apiRoute("GET /api/openapi.json", public, s.openAPI)
	s.apiRoute("GET /api/ledger", public, s.apiLedger)
	s.apiRoute("GET /api/events/{id}/proof", public, s.apiProof)
	s.apiRoute("GET /api/me", signedIn, s.apiMe)
	s.apiRoute("GET /api/accounts", roles(auth.Admin), s.apiAccounts)
	s.apiRoute("POST /api/accounts", roles(auth.Admin), s.apiCreateAccount)
	s.apiRoute("GET /api/accounts/{id}", roles(auth.Admin), s.apiAccount)
	s.apiRoute("PUT /api/accounts/{id}/role", roles(auth.Admin), s.apiSetRole)
	s.apiRoute("POST /api/accounts/{id}/disable", roles(auth.Admin), s.apiDisable)
	s.apiRoute("POST /api/accounts/{id}/enable", roles(auth.Admin), s.apiEnable)
	s.apiRoute("GET /api/assemblies", roles(assemblyReaders...), s.apiAssemblies)
	s.apiRoute("POST /api/assemblies", roles(assembly.CanRegister...), s.apiRegisterAssembly)
	s.apiRoute("GET /api/assemblies/{id}", roles(assemblyReaders...), s.apiAssembly)
	s.apiRoute("GET /api/oversight/reconcile", roles(auth.Oversight, auth.Admin), s.apiReconcile)
	s.apiRoute("GET /api/technologies", public, s.apiTechnologies)
	s.apiRoute("POST /api/technologies", roles(assembly.CanRegisterTechnology...), s.apiRegisterTechnology)
	s.apiRoute("GET /api/technologies/{id}", public, s.apiTechnology)
	s.apiRoute("POST /api/technologies/{id}/assessments", roles(assembly.CanAssess...), s.apiRecordAssessment)
	s.apiRoute("GET /api/requests", roles(requestReaders...), s.apiRequests)
	s.apiRoute("POST /api/requests", roles(assembly.CanRequest...), s.apiFileRequest)
	s.apiRoute("GET /api/requests/{id}", roles(requestReaders...), s.apiRequest)
	s.apiRoute("POST /api/requests/{id}/decision", roles(auth.Authorizer), s.apiDecide)
	s.apiRoute("GET /api/deployments", roles(requestReaders...), s.apiDeployments)
	s.apiRoute("POST /api/deployments/{id}/revoke", roles(assembly.CanRevoke...), s.apiRevoke)
}

// assemblyReaders see the assembly register. Reporters, flaggers and
// moderators work on reports, not on policing; they do not.
var assemblyReaders = []auth.Role{auth.Officer, auth.Commander, auth.Authorizer, auth.Monitor, auth.Oversight, auth.Admin}

// healthz says the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyz says the process can serve: the database answers and the log has
// a checkpoint.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.deps.DB.Ping(ctx); err != nil {
		s.deps.Logger.Error("readyz: database", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	if _, err := s.deps.Log.ReadCheckpoint(ctx); err != nil {
		s.deps.Logger.Error("readyz: log", "err", err)
		http.Error(w, "log unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

// securityHeaders apply to every response.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// publicCORS lets any site's scripts read the public log, as witnesses and
// monitors need.
func publicCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the address login limits count against: the connection's
// remote address. Behind a proxy, the proxy must be trusted to set it
// (Vigil does not read X-Forwarded-For, which any client can forge).
func clientAddr(r *http.Request) string {
	addr := r.RemoteAddr
	if i := strings.LastIndexByte(addr, ':'); i > 0 {
		addr = addr[:i]
	}
	return strings.Trim(addr, "[]")
}
