// Package server is Netra's HTTP and WebSocket transport (protocol-v1 §2–§3): it
// authenticates every call, maps domain errors to statuses and frames at the edge, and hands
// run events to the connections and streams of their owner.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/engine"
	"github.com/netra-ai/netra/event"
	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/killswitch"
	"github.com/netra-ai/netra/metrics"
	"github.com/netra-ai/netra/ratelimit"
	"github.com/netra-ai/netra/redact"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/web"
)

// Tickets issues single-use WebSocket tickets: auth.Tickets on one node, storepg.Tickets in
// a cluster.
type Tickets interface {
	Issue(ctx context.Context, g auth.Grant) (ticket string, expires time.Time, err error)
	Redeem(ctx context.Context, ticket string) (auth.Grant, error)
}

// Scheduler decides when accepted runs execute: *sched.Scheduler on one node, a cluster
// node's *cluster.Member across nodes (the service's limits, fair order and positions).
type Scheduler interface {
	Reserve(id netra.Identity, runID string) (release func(), err error)
	Submit(j sched.Job) (position int)
	ETA(position int) time.Duration
	// Cancel reports false when the run is neither reserved, queued nor running anywhere.
	Cancel(runID string) bool
	Position(runID string) int
	ActiveInThread(owner, threadID string) []string
	Usage(userID string) (running, queued int)
	Users() []sched.UserUsage
	Live() []sched.LiveRun
	Owner(runID string) (owner string, ok bool)
	Limit(t netra.Tier) sched.Limit
}

// Connections counts a user's WebSocket connections across a cluster's nodes (cluster.Member),
// against the tier's cap; a lone node's rate limiter counts them alone.
type Connections interface {
	// Connect counts a new connection; false when the user holds the tier's cap already.
	Connect(id netra.Identity) bool
	// Disconnect counts a connection's end.
	Disconnect(userID string)
}

// Config holds the server's collaborators and settings.
type Config struct {
	Verifier *auth.Verifier
	Tickets  Tickets
	// SessionSecret signs the sessions of sign-in links (POST /v1/auth/login); SessionIssuer
	// is their iss. Without a secret (public-key tokens only) sign-in links are unavailable.
	SessionSecret []byte
	SessionIssuer string
	// OIDC signs users in through an organisation's identity provider. Default: off.
	OIDC      OIDCConfig
	Store     store.Store
	Scheduler Scheduler
	Factory   *engine.Factory
	Hub       *event.Hub
	Ingest    *ingest.Service
	Metrics   *metrics.Metrics
	Logger    *slog.Logger
	// AllowedOrigins are extra WebSocket origins, matched exactly ("https://app.example.com").
	AllowedOrigins []string
	// SendQueue is each connection's outgoing queue length; a connection whose queue fills is
	// closed with 1013. Default 1024.
	SendQueue int
	// WriteTimeout bounds one frame write to a client. Default 10 s.
	WriteTimeout time.Duration
	// Ready reports whether the node can serve (readyz). Default: the store answers a ping.
	Ready func(ctx context.Context) error
	// Audit records authentications, connections, run starts and cancels, uploads and
	// deletions, and admin actions. Default: nothing recorded.
	Audit netra.Auditor
	// AuditKey is the public half of the key that signs audit checkpoints, base64, served at
	// GET /v1/audit/checkpoint-key; AuditStatus answers GET /v1/admin/audit/status. Defaults:
	// those endpoints answer unavailable.
	AuditKey    string
	AuditStatus func() any
	// AuditAdmin serves GET /v1/admin/audit. Default: the endpoint answers unavailable.
	AuditAdmin store.AuditAdmin
	// Limits rate-limits each user's requests and frames and caps their connections.
	// Default: ratelimit.Defaults.
	Limits *ratelimit.Limiter
	// Connections, when set, counts each user's connections service-wide (besides Limits,
	// which counts this node's). Default: none.
	Connections Connections
	// MaxConnections bounds the WebSocket connections of the whole server. Default 20,000.
	MaxConnections int
	// PingEvery is how often an idle WebSocket is pinged; a peer that has not answered
	// within PongWait is disconnected. Defaults 30 s and 15 s.
	PingEvery, PongWait time.Duration
	// CORSOrigins are the browser origins allowed to call the HTTP API (exact match). Default
	// none: no CORS headers are sent.
	CORSOrigins []string
	// TokenBudgets are the language-model tokens (input and output) a user of each tier may
	// use a month; a run started past it is refused with 429 budget_exceeded. Missing or 0: no
	// budget.
	TokenBudgets map[netra.Tier]int64
	// OTLPRouteAttribute is the span attribute POST /v1/traces reads a record's route from
	// first. Default netra.route; then http.route, service.name and the span's name.
	OTLPRouteAttribute string
	// UploadsPerUser and Uploads bound the record uploads (and synthetic datasets) in flight
	// for one user and for the whole server; beyond them an upload answers 429 with
	// Retry-After. Defaults 2 and 8.
	UploadsPerUser, Uploads int
	// UploadMemory is the memory budget of the uploads in flight: each reserves what its kind
	// can hold at once (8 MiB for JSONL and CSV, 64 MiB for an OTLP/JSON document, 24 MiB for
	// an OTLP/HTTP export). Default 256 MiB.
	UploadMemory int64
	// Switches are the agent and tool kill switches; share the engine's. Default: all on.
	Switches *killswitch.Board
	// Nodes lists the service's nodes with their load for GET /v1/admin/nodes. Default: the
	// endpoint answers unavailable.
	Nodes func(ctx context.Context) ([]NodeInfo, error)
}

// NodeInfo is a node of the service as GET /v1/admin/nodes shows it.
type NodeInfo struct {
	ID          string    `json:"id"`
	Address     string    `json:"address"`
	Version     string    `json:"version"`
	StartedAt   time.Time `json:"started_at"`
	Store       string    `json:"store"` // sqlite or postgresql
	Bus         string    `json:"bus"`   // in-process or nats
	Connections int64     `json:"connections"`
	Running     int       `json:"runs_running"`
	Queued      int       `json:"runs_queued"`
	Slots       int       `json:"slots"`
	Leader      bool      `json:"leader,omitempty"`      // schedules for the cluster
	BeatAgeMS   int64     `json:"beat_age_ms,omitempty"` // since its last heartbeat, in a cluster
}

// Limits of the transport.
const (
	MaxFrame    = 65536   // bytes in one WebSocket message
	MaxBody     = 1 << 20 // bytes in one JSON request body
	MaxInput    = 65536   // bytes of a run's input
	MaxParams   = 16384   // bytes of a run's params
	maxThreadID = 128
)

// Server is the transport. Build it with New; Handler serves it.
type Server struct {
	cfg      Config
	oidc     *oidcLogin // nil without OIDCConfig.Issuer
	log      *slog.Logger
	mux      *http.ServeMux
	conns    sync.WaitGroup // WebSocket connections being served (hijacked: http.Server does not wait for them)
	uploads  *uploadGate
	keysUsed keyUse
	open     atomic.Int64 // WebSocket connections open now, for MaxConnections
	sessions liveSessions // WebSocket connections by session, closed when it signs out
}

// Connections is how many WebSocket connections are open now.
func (s *Server) Connections() int64 { return s.open.Load() }

// WaitConns waits until every WebSocket connection has ended, or ctx ends. Cancel the
// connections' base context first.
func (s *Server) WaitConns(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// New returns a server.
func New(cfg Config) *Server {
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = 1024
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.Ready == nil {
		cfg.Ready = cfg.Store.Ping
	}
	if cfg.Audit == nil {
		cfg.Audit = netra.NoAudit{}
	}
	if cfg.Limits == nil {
		cfg.Limits = ratelimit.New(nil)
	}
	if cfg.Switches == nil {
		cfg.Switches = killswitch.New()
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 20_000
	}
	if cfg.UploadsPerUser <= 0 {
		cfg.UploadsPerUser = 2
	}
	if cfg.Uploads <= 0 {
		cfg.Uploads = 8
	}
	if cfg.UploadMemory <= 0 {
		cfg.UploadMemory = 256 << 20
	}
	if cfg.PingEvery <= 0 {
		cfg.PingEvery = 30 * time.Second
	}
	if cfg.PongWait <= 0 {
		cfg.PongWait = 15 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), uploads: newUploadGate(cfg.UploadsPerUser, cfg.Uploads, cfg.UploadMemory)}
	if o := cfg.OIDC; o.Issuer != "" {
		if o.UserClaim == "" {
			o.UserClaim = "sub"
		}
		if o.TierClaim == "" {
			o.TierClaim = "netra_tier"
		}
		if o.RoleClaim == "" {
			o.RoleClaim = "netra_role"
		}
		s.oidc = &oidcLogin{cfg: o, flows: map[string]oidcFlow{}}
	}
	s.routes()
	return s
}

// Handler returns the root handler: the routes behind the security headers and CORS.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(s.cfg.CORSOrigins, origin) {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if n := headerBytes(r.Header); n > MaxHeaderBytes {
			s.writeError(w, r, netra.Errorf(netra.CodeHeadersTooLarge, "request headers of %d bytes; at most %d", n, MaxHeaderBytes), nil)
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// MaxHeaderBytes bounds a request's headers, answered 431 with the JSON error body. (Past
// http.Server's own bound, 1 MiB, Go's server answers 431 in plain text before any handler.)
const MaxHeaderBytes = 64 << 10

func headerBytes(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	return n
}

type handler func(w http.ResponseWriter, r *http.Request, id netra.Identity) error

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	m.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.writeError(w, r, netra.Errorf(netra.CodeUnavailable, "not ready"), err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	m.Handle("GET /metrics", s.authed(func(w http.ResponseWriter, r *http.Request, id netra.Identity) error {
		if id.Role != netra.RoleAdmin {
			return netra.Errorf(netra.CodeForbidden, "metrics need an admin token")
		}
		promhttp.HandlerFor(s.cfg.Metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
		return nil
	}))
	m.Handle("GET /v1/me", s.authed(s.me))
	m.Handle("POST /v1/threads", s.authed(s.createThread))
	m.Handle("GET /v1/threads", s.authed(s.listThreads))
	m.Handle("GET /v1/threads/{id}", s.authed(s.getThread))
	m.Handle("DELETE /v1/threads/{id}", s.authed(s.deleteThread))
	m.Handle("PATCH /v1/threads/{id}", s.authed(s.renameThread))
	m.Handle("GET /v1/threads/{id}/messages", s.authed(s.listMessages))
	m.Handle("POST /v1/threads/{id}/runs", s.authed(s.createRunInThread))
	m.Handle("GET /v1/threads/{id}/runs", s.authed(s.listRuns))
	m.Handle("POST /v1/runs", s.authed(s.createRun))
	m.Handle("GET /v1/runs", s.authed(s.listUserRuns))
	m.Handle("GET /v1/agents", s.authed(s.listAgents))
	m.Handle("GET /v1/runs/{id}", s.authed(s.getRun))
	m.Handle("POST /v1/runs/{id}/cancel", s.authed(s.cancelRunHTTP))
	m.Handle("GET /v1/runs/{id}/events", s.authed(s.events))
	m.Handle("POST /v1/ws-tickets", s.authed(s.issueTicket))
	m.Handle("POST /v1/auth/login", http.HandlerFunc(s.login))
	m.Handle("POST /v1/auth/logout", s.authed(s.logout))
	m.Handle("GET /v1/auth/config", http.HandlerFunc(s.oidcConfig))
	m.Handle("GET /v1/auth/oidc/start", http.HandlerFunc(s.oidcStart))
	m.Handle("GET /v1/auth/oidc/callback", http.HandlerFunc(s.oidcCallback))
	m.Handle("GET /{$}", web.Handler())
	m.Handle("GET /app/", web.Handler())
	m.Handle("POST /v1/workloads/records", s.ingesting(s.uploadRecords))
	m.Handle("POST /v1/traces", s.ingesting(s.traces))
	m.Handle("GET /v1/workloads/summary", s.authed(s.workloadSummary))
	m.Handle("DELETE /v1/workloads", s.authed(s.deleteWorkloads))
	m.Handle("POST /v1/workloads/synthetic", s.authed(s.synthetic))
	m.Handle("GET /v1/audit", s.authed(s.ownAudit))
	m.Handle("GET /v1/admin/audit", s.admin(s.adminAudit))
	m.Handle("GET /v1/audit/checkpoint-key", s.authed(s.checkpointKey))
	m.Handle("POST /v1/keys", s.authed(s.createKey))
	m.Handle("GET /v1/keys", s.authed(s.listKeys))
	m.Handle("DELETE /v1/keys/{id}", s.authed(s.deleteKey))
	m.Handle("GET /v1/admin/audit/status", s.admin(s.auditStatus))
	m.Handle("GET /v1/admin/users", s.admin(s.adminUsers))
	m.Handle("GET /v1/admin/nodes", s.admin(s.adminNodes))
	m.Handle("GET /v1/admin/live", s.admin(s.adminLive))
	m.Handle("GET /v1/admin/runs", s.admin(s.adminRuns))
	m.Handle("POST /v1/admin/runs/{id}/cancel", s.admin(s.adminCancel))
	m.Handle("GET /v1/admin/switches", s.admin(s.listSwitches))
	m.Handle("POST /v1/admin/switches", s.admin(s.throwSwitch))
	m.Handle("DELETE /v1/admin/switches/{kind}/{name}", s.admin(s.clearSwitch))
	m.HandleFunc("GET /v1/ws", s.websocket)
	// Anything else under /v1 answers the contract's error body rather than a bare 404.
	m.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, netra.Errorf(netra.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path), nil)
	})
}

// authenticate checks an HTTP request's bearer token.
func (s *Server) authenticate(r *http.Request, keys bool) (auth.Grant, error) {
	tok, ok := auth.BearerToken(r.Header.Get("Authorization"))
	if k := r.Header.Get("X-Netra-Key"); !ok && keys && k != "" {
		tok, ok = k, true // contract §9: an ingestion key may come in its own header
	}
	if !ok {
		return auth.Grant{}, netra.Errorf(netra.CodeUnauthorized, "missing bearer token")
	}
	if strings.HasPrefix(tok, keyPrefix) {
		if !keys {
			return auth.Grant{}, netra.Errorf(netra.CodeUnauthorized, "an ingestion key only sends telemetry (POST /v1/traces, POST /v1/workloads/records): use a token here")
		}
		return s.keyGrant(r.Context(), tok)
	}
	return s.cfg.Verifier.Check(tok)
}

// authed serves h to requests with a valid token.
func (s *Server) authed(h handler) http.Handler { return s.guard(h, false) }

// ingesting serves h to requests with a valid token or ingestion key.
func (s *Server) ingesting(h handler) http.Handler { return s.guard(h, true) }

func (s *Server) guard(h handler, keys bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = withRequest(w, r)
		g, err := s.authenticate(r, keys)
		id := g.Identity
		if err != nil {
			s.auditAuth(r, id, err)
			s.cfg.Metrics.AuthFailures.Inc()
			s.writeError(w, r, err, err)
			return
		}
		// A flood must not become a flood of audit writes: refused requests are audited as one
		// entry a second with their count.
		ok, wait := s.allow(r.Context(), id, ratelimit.Requests, netra.AuditAuth, "requests")
		if !ok {
			s.cfg.Metrics.RateLimited.WithLabelValues("request").Inc()
			err := RetryAfter(netra.Errorf(netra.CodeRateLimited, "too many requests; retry in %s", wait.Round(time.Millisecond)), wait)
			s.writeError(w, r, err, nil)
			return
		}
		s.auditAuth(r, id, nil)
		if err := h(w, r, id); err != nil {
			s.writeError(w, r, err, err)
		}
	})
}

type requestKey struct{}

// request is what the audit trail says of where an action came from.
type request struct {
	id, remote string
}

// withRequest gives the request an id (answered in X-Request-Id) for the log and the audit
// trail.
func withRequest(w http.ResponseWriter, r *http.Request) *http.Request {
	rq := request{id: netra.NewID("req_"), remote: r.RemoteAddr}
	w.Header().Set("X-Request-Id", rq.id)
	return r.WithContext(context.WithValue(r.Context(), requestKey{}, rq))
}

func requestOf(ctx context.Context) request {
	rq, _ := ctx.Value(requestKey{}).(request)
	return rq
}

// audit records an action of user from the request in ctx; outcome is "ok" when err is nil,
// else err's code.
func (s *Server) audit(ctx context.Context, user, action, runID, detail string, err error) {
	rq := requestOf(ctx)
	outcome := netra.AuditOK
	if err != nil {
		outcome = string(netra.ErrorCode(err))
	}
	s.cfg.Audit.Record(ctx, netra.AuditEntry{UserID: user, Action: action, Outcome: outcome, RequestID: rq.id,
		RunID: runID, Remote: rq.remote, Detail: detail})
}

// allow takes a token from the user's bucket of kind. Refusals are audited as one entry a
// second with their count (action, "N <what> refused by the rate limit"), so that a flood does
// not become a flood of audit writes.
func (s *Server) allow(ctx context.Context, id netra.Identity, kind ratelimit.Kind, action, what string) (bool, time.Duration) {
	ok, wait, report := s.cfg.Limits.AllowReport(id, kind)
	if report > 0 {
		s.audit(ctx, id.UserID, action, "", fmt.Sprintf("%d %s refused by the rate limit", report, what),
			netra.Errorf(netra.CodeRateLimited, "rate limited"))
	}
	return ok, wait
}

// auditAuth records a credential check. A refused credential goes to the anonymous chain:
// the subject of a token that did not verify is not trusted, not even for the log.
func (s *Server) auditAuth(r *http.Request, id netra.Identity, err error) {
	detail := r.Method + " " + r.URL.Path
	if err != nil {
		detail += ": " + redact.Message(netra.ErrorMessage(err))
		id.UserID = netra.AuditAnonymous
	}
	s.audit(r.Context(), id.UserID, netra.AuditAuth, "", detail, err)
}

// Status maps an error code to its HTTP status.
func Status(c netra.Code) int {
	switch c {
	case netra.CodeInvalidRequest:
		return http.StatusBadRequest
	case netra.CodeUnauthorized:
		return http.StatusUnauthorized
	case netra.CodeForbidden:
		return http.StatusForbidden
	case netra.CodeNotFound:
		return http.StatusNotFound
	case netra.CodeConflict, netra.CodeCancelled:
		return http.StatusConflict
	case netra.CodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case netra.CodeRateLimited, netra.CodeQueueFull, netra.CodeBudgetExceeded:
		return http.StatusTooManyRequests
	case netra.CodeUnavailable, netra.CodeInterrupted:
		return http.StatusServiceUnavailable
	case netra.CodeTimeout:
		return http.StatusGatewayTimeout
	case netra.CodeInsufficientStorage:
		return http.StatusInsufficientStorage
	case netra.CodeHeadersTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    netra.Code `json:"code"`
	Message string     `json:"message"`
	Ref     string     `json:"ref"`
}

// writeError answers err as the contract's error body; detail (may be nil) is logged beside
// the ref and never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err, detail error) {
	code := netra.ErrorCode(err)
	ref := netra.NewID("ref_")
	level := slog.LevelInfo
	switch {
	case errors.Is(err, sched.ErrNodeQueueFull) || code == netra.CodeRateLimited:
		level = slog.LevelDebug // a flood must not become a flood of log lines; the audit trail counts it
	case code == netra.CodeInternal || code == netra.CodeUnavailable:
		level = slog.LevelError
	}
	attrs := []any{"ref", ref, "code", code, "method", r.Method, "path", r.URL.Path}
	if rq := requestOf(r.Context()); rq.id != "" {
		attrs = append(attrs, "request_id", rq.id, "remote", rq.remote)
	}
	if detail != nil {
		attrs = append(attrs, "err", detail.Error())
	}
	s.log.Log(r.Context(), level, "request refused", attrs...)
	status := Status(code)
	// Every 429 says when to come back (1 s unless the error knows better); so does any other
	// refusal that carries a wait (503 when the server holds its most connections).
	var ra *retryAfter
	if errors.As(err, &ra) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(ra.wait.Seconds())))))
	} else if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: redact.Message(netra.ErrorMessage(err)), Ref: ref}})
}

// retryAfter is an error that says when to try again (Retry-After, in whole seconds up).
type retryAfter struct {
	error
	wait time.Duration
}

func (e *retryAfter) Unwrap() error { return e.error }

// RetryAfter attaches a wait to err for the Retry-After header.
func RetryAfter(err error, wait time.Duration) error { return &retryAfter{err, wait} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// bodyTimeout bounds reading a JSON body, against clients that send it slowly.
const bodyTimeout = 30 * time.Second

// decodeBody reads a JSON object body of at most MaxBody bytes into v. An empty body is {}.
// A body is JSON by its Content-Type (application/json, or none) and holds only the fields v
// knows: a misspelt optional field ("tread_id") would otherwise be dropped without a word and
// change what the request does.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		return netra.Errorf(netra.CodeInvalidRequest, "Content-Type must be application/json, not %q (with curl: -H 'Content-Type: application/json')", truncate(ct, 60))
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return netra.Errorf(netra.CodePayloadTooLarge, "request body larger than %d bytes", MaxBody)
		}
		return netra.Errorf(netra.CodeInvalidRequest, "could not read the request body")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte(`{}`)
	}
	if err := decodeObject(body, v); err != nil {
		return err
	}
	// Decoded once leniently for its messages about types; now for fields nobody knows.
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return netra.Errorf(netra.CodeInvalidRequest, "unknown field %s", truncate(f, 80))
		}
		return netra.Errorf(netra.CodeInvalidRequest, "malformed JSON")
	}
	return nil
}

// isJSON reports whether a Content-Type names JSON: application/json or a +json type, with
// any parameters.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// decodeObject decodes a JSON object into v, with messages that say which field is wrong.
func decodeObject(data []byte, v any) error {
	// encoding/json would turn invalid UTF-8 into U+FFFD without a word: refuse it instead, so
	// that what is stored is what was sent.
	if !utf8.Valid(data) {
		return netra.Errorf(netra.CodeInvalidRequest, "the request is not valid UTF-8")
	}
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return netra.Errorf(netra.CodeInvalidRequest, "expected a JSON object")
			}
			return netra.Errorf(netra.CodeInvalidRequest, "field %q must be of type %s", te.Field, jsonType(te.Type.Kind().String()))
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return netra.Errorf(netra.CodeInvalidRequest, "malformed JSON at byte %d", se.Offset)
		}
		return netra.Errorf(netra.CodeInvalidRequest, "malformed JSON")
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "number"
	case "bool":
		return "boolean"
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	}
	return kind
}
