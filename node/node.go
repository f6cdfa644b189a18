// Package node assembles one Netra node from its configuration: store, event pipeline and
// bus, hub, scheduler, engine factory and transport. cmd/netra builds a node from flags and
// environment; tests build nodes the same way, so that what is tested is what runs.
package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/agent"
	"github.com/netra-ai/netra/agent/actions"
	"github.com/netra-ai/netra/agent/analyst"
	"github.com/netra-ai/netra/agent/data"
	"github.com/netra-ai/netra/agent/datahelper"
	"github.com/netra-ai/netra/agent/echo"
	"github.com/netra-ai/netra/agent/optimization"
	"github.com/netra-ai/netra/agent/reporting"
	"github.com/netra-ai/netra/agent/supervisor"
	"github.com/netra-ai/netra/agent/synthetic"
	"github.com/netra-ai/netra/agent/triage"
	"github.com/netra-ai/netra/audit"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/cluster"
	"github.com/netra-ai/netra/engine"
	"github.com/netra-ai/netra/event"
	"github.com/netra-ai/netra/event/eventmem"
	"github.com/netra-ai/netra/event/eventnats"
	"github.com/netra-ai/netra/ingest"
	"github.com/netra-ai/netra/killswitch"
	"github.com/netra-ai/netra/metrics"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/model/anthropicapi"
	"github.com/netra-ai/netra/model/offline"
	"github.com/netra-ai/netra/model/openaicompat"
	"github.com/netra-ai/netra/ratelimit"
	"github.com/netra-ai/netra/redact"
	"github.com/netra-ai/netra/resilience"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/server"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storepg"
	"github.com/netra-ai/netra/store/storesqlite"
	"github.com/netra-ai/netra/tool"
	"github.com/netra-ai/netra/tool/threadtool"
	"github.com/netra-ai/netra/tool/workloadtool"
	"github.com/netra-ai/netra/workload"
)

// Config configures a node. Zero values mean the documented defaults.
type Config struct {
	// Addr is the listen address. Default 127.0.0.1:8080; ":0" style picks a free port.
	Addr string
	// DataDir holds the embedded database and the generated JWT secret. Default ./netra-data.
	DataDir string
	// DatabaseURL selects PostgreSQL instead of the embedded store (postgres://...; see
	// docs/operations.md). With NATSURL too, the nodes on one database form a cluster
	// (package cluster); without it, one node serves from a database at a time.
	DatabaseURL string
	// NATSURL carries events on NATS (nats://host:4222) instead of in process: a user's
	// events reach whichever node the user is connected to (event/eventnats).
	NATSURL string
	// NodeID names this node (letters, digits, '_', '-'). Default generated. In a cluster a
	// suffix of the process follows it ("node1-k3x9qa"): each process is a member of its own.
	NodeID string
	// ClusterBeat and ClusterExpire: a cluster node beats its row every ClusterBeat, and one
	// whose beat is older than ClusterExpire is dead to the leader (package cluster).
	// Defaults 1 s and 5 s.
	ClusterBeat, ClusterExpire time.Duration
	// Version names the build in GET /v1/admin/nodes. Default "dev".
	Version string
	// JWTSecret is the HS256 secret; empty means the one kept in DataDir (made when missing).
	JWTSecret string
	// JWTIssuer, when set, is required in every token's iss.
	JWTIssuer string
	// JWTKeysFile is a JWKS or PEM file of RS256/EdDSA public keys (auth.LoadKeys). With keys,
	// only their algorithms are accepted unless JWTAlgorithms says otherwise.
	JWTKeysFile string
	// JWTAlgorithms is the token algorithm allowlist. Default: HS256, or the keys' algorithms.
	JWTAlgorithms []string
	// AllowedOrigins are extra WebSocket origins.
	AllowedOrigins []string
	// MaxRunning bounds the runs executing at once. Default 64.
	MaxRunning int
	// MaxQueued bounds the runs waiting on the node, all users together; beyond it a run is
	// refused with 503 unavailable and Retry-After. Default 100,000.
	MaxQueued int
	// Limits and Weights override the tier defaults of the scheduler.
	Limits  map[netra.Tier]sched.Limit
	Weights map[netra.Tier]int
	// Timeouts per tier (run, agent step, tool call), which must nest. Default: 10 min, 5 min,
	// 2 min for every tier.
	Timeouts map[netra.Tier]engine.Timeouts
	// SendQueue is each connection's outgoing queue length. Default 1024.
	SendQueue int
	// ShutdownGrace is how long Stop lets running runs finish before cancelling them. Default 10 s.
	ShutdownGrace time.Duration
	// OIDC signs users of the web app in through an organisation's identity provider
	// (server.OIDCConfig). Default: off.
	OIDC server.OIDCConfig
	// ServiceAccount is the user whose workload records are Netra's own model calls (one a
	// call: provider, model, route netra/<task>, tokens, cost, latency, outcome), for an
	// operator to analyse with Netra. Default "netra".
	ServiceAccount string
	// PricesFile overrides and extends the embedded price table (workload/prices.json format).
	PricesFile string
	// RateLimits override, per tier and field, the per-user request, frame and connection
	// limits of ratelimit.Defaults.
	RateLimits map[netra.Tier]ratelimit.Limit
	// MaxConnections bounds the WebSocket connections of the node. Default 20,000.
	MaxConnections int
	// UploadsPerUser and Uploads bound the uploads in flight per user and on the node (429
	// beyond). Defaults 2 and 8. UploadMemory is their memory budget (server.Config), 256 MiB.
	UploadsPerUser, Uploads int
	UploadMemory            int64
	// Model chooses the language model. Zero: the offline provider (rules and templates).
	Model ModelConfig
	// TokenBudgets are the model tokens a user of each tier may use a month (server.Config).
	// Default: none.
	TokenBudgets map[netra.Tier]int64
	// AnalystLimits bound the analyst's turns, tool calls and tokens per question, by tier.
	// Default analyst.DefaultLimits.
	AnalystLimits map[netra.Tier]analyst.Limits
	// OTLPRouteAttribute is the span attribute POST /v1/traces reads routes from first.
	// Default netra.route.
	OTLPRouteAttribute string
	// PingEvery and PongWait: an idle WebSocket is pinged every PingEvery and closed when
	// the pong has not come within PongWait. Defaults 30 s and 15 s.
	PingEvery, PongWait time.Duration
	// CORSOrigins are browser origins allowed to call the HTTP API. Default none.
	CORSOrigins []string
	// RecordLimits override the per-tier limits of stored workload records.
	RecordLimits map[netra.Tier]int64
	// MaxDBBytes caps the embedded database's size; past it writes are refused as on a full
	// disk (507 insufficient_storage, /readyz 503). Default 0: no cap but the disk's.
	MaxDBBytes int64
	// Agents and Tools are added to the built-in ones; for extensions and tests.
	Agents []agent.Spec
	Tools  []tool.Tool
	// MetricsAddr, when set, serves /metrics there without authentication, for a scraper on
	// a private network. /metrics on Addr always needs an admin token.
	MetricsAddr string
	// OTLPEndpoint, when set ("http://collector:4318"), exports a trace of every run (its agent
	// steps and tool calls as child spans) with OTLP over HTTP. Default: no tracing.
	OTLPEndpoint string
	// TracerProvider, when set, is used instead of OTLPEndpoint (for embedding and tests).
	TracerProvider trace.TracerProvider
	// AuditCheckpointEvery is how often the audit trail's heads are signed (audit.Checkpoint),
	// besides after each prune and at stop. Default 10 minutes.
	AuditCheckpointEvery time.Duration
	// AuditRetention is how long audit entries are kept; older ones are pruned every hour,
	// keeping each chain's anchor. Zero keeps them forever (the default).
	AuditRetention time.Duration
	// Logger receives the node's logs. Default: JSON to stderr at info level.
	Logger *slog.Logger
}

// ModelConfig chooses the model provider (docs/models.md).
type ModelConfig struct {
	// Provider is offline (the default), openai (OpenAI and every server that speaks its chat
	// completions API, at BaseURL) or anthropic.
	Provider string
	// Model names the model, e.g. gpt-4o-mini or llama3.1:8b.
	Model string
	// BaseURL of an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1. Default OpenAI.
	BaseURL string
	// APIKey authenticates with the provider (OPENAI_API_KEY, ANTHROPIC_API_KEY). It is never
	// logged.
	APIKey string
	// Agents overrides the model of some agents (triage, analyst, reporting, synthetic_data):
	// for example triage on a small model, the analyst on a larger one. An override's empty
	// fields are this config's. Default none.
	Agents map[string]ModelConfig
}

// ModelAgents are the agents that call a model, which ModelConfig.Agents may name.
func ModelAgents() []string { return []string{"triage", "analyst", "reporting", "synthetic_data"} }

// forAgent is the model config of one agent: its override, its empty fields filled from mc.
func (mc ModelConfig) forAgent(name string) ModelConfig {
	o, ok := mc.Agents[name]
	if !ok {
		return ModelConfig{Provider: mc.Provider, Model: mc.Model, BaseURL: mc.BaseURL, APIKey: mc.APIKey}
	}
	if o.Provider == "" {
		o.Provider = mc.Provider
	}
	if o.Model == "" {
		o.Model = mc.Model
	}
	if o.BaseURL == "" && o.Provider == mc.Provider {
		o.BaseURL = mc.BaseURL
	}
	if o.APIKey == "" && o.Provider == mc.Provider {
		o.APIKey = mc.APIKey
	}
	o.Agents = nil
	return o
}

// fullStore is what a node needs of its store: the user-scoped interface and the admin one.
type fullStore interface {
	store.Store
	store.AuditAdmin
}

// sizeCapped is a store whose size can be capped (the embedded one: MaxDBBytes).
type sizeCapped interface {
	SetMaxSize(ctx context.Context, bytes int64) error
}

// openStore opens the store the config names: PostgreSQL with DatabaseURL, else the embedded
// SQLite file in DataDir.
func openStore(ctx context.Context, cfg Config) (fullStore, error) {
	if cfg.DatabaseURL != "" {
		if cfg.MaxDBBytes > 0 {
			return nil, errors.New("a database size cap applies to the embedded store only: PostgreSQL keeps its own quotas")
		}
		st, err := storepg.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		if err := st.Claim(ctx, cfg.NATSURL != ""); err != nil {
			_ = st.Close()
			return nil, err
		}
		return st, nil
	}
	st, err := storesqlite.Open(ctx, filepath.Join(cfg.DataDir, "netra.db"))
	if err != nil {
		return nil, err
	}
	if cfg.MaxDBBytes > 0 {
		if err := st.SetMaxSize(ctx, cfg.MaxDBBytes); err != nil {
			_ = st.Close()
			return nil, fmt.Errorf("max database size: %w", err)
		}
	}
	return st, nil
}

// Node is a running Netra node.
type Node struct {
	cfg   Config
	log   *slog.Logger
	calls *serviceRecords // Netra's own model calls, as the service account's records
	// sessionSecret signs sign-in links and their sessions; nil when HS256 is not accepted.
	sessionSecret []byte
	store         fullStore
	pipeline      *event.Pipeline
	pruned        chan struct{} // closed when the audit keeper's loop returns
	keeper        *auditKeeper
	msrv          *http.Server             // the metrics listener, when MetricsAddr is set
	traces        *sdktrace.TracerProvider // the OTLP exporter's provider, flushed at Stop
	mserved       chan error
	maddr         string
	api           *server.Server
	stopBus       func()
	abortBus      func()          // drops the bus at once (Crash)
	member        *cluster.Member // this node's part in a cluster; nil on a lone node
	clusterNC     *nats.Conn
	switches      *killswitch.Board
	verifier      *auth.Verifier
	id            string    // this node's, in GET /v1/admin/nodes
	started       time.Time // when it was made
	hub           *event.Hub
	sched         *sched.Scheduler
	factory       *engine.Factory
	metrics       *metrics.Metrics
	srv           *http.Server
	ln            net.Listener
	cancel        context.CancelFunc
	served        chan error
	stopOnce      sync.Once
	stopErr       error
}

// New opens the store and builds the node; Start makes it serve.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "netra-data"
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	// Every log line of the node goes through the one sanitizer: no tokens, credentials,
	// people's words or file paths (redact.Handler).
	log = slog.New(redact.Handler(log.Handler()))
	secret := []byte(cfg.JWTSecret)
	if len(secret) == 0 {
		s, err := auth.LoadOrCreateSecret(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("JWT secret: %w", err)
		}
		secret = s
	}
	var keys []auth.PublicKey
	if cfg.JWTKeysFile != "" {
		var err error
		if keys, err = auth.LoadKeys(cfg.JWTKeysFile); err != nil {
			return nil, fmt.Errorf("JWT keys: %w", err)
		}
	}
	verifier, err := auth.NewVerifier(auth.Config{Secret: secret, Keys: keys, Algorithms: cfg.JWTAlgorithms, Issuer: cfg.JWTIssuer})
	var sessionSecret []byte
	if err == nil && verifier.Allows("HS256") {
		sessionSecret = secret // sign-in links and their sessions are HS256
	}
	if err != nil {
		return nil, err
	}
	prices := workload.DefaultPrices()
	if cfg.PricesFile != "" {
		if prices, err = workload.LoadPrices(cfg.PricesFile); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	svc := ingest.New(ingest.Config{Limits: cfg.RecordLimits, Prices: prices}, st)
	var modelNames []string
	for _, p := range prices.Models() {
		modelNames = append(modelNames, p.Model)
	}
	n := &Node{cfg: cfg, log: log, store: st, sessionSecret: sessionSecret, id: cfg.NodeID, started: time.Now().UTC(), verifier: verifier}
	if n.id == "" {
		n.id = netra.NewID("node_")
	}
	// The gauges are read at scrape time, when the factory and scheduler exist.
	n.metrics = metrics.New(
		metrics.Gauge{Name: "netra_engines_live", Help: "Run engines alive now.", Value: func() float64 { return float64(n.factory.Gauges().Engines) }},
		metrics.Gauge{Name: "netra_dispatchers_live", Help: "Tool dispatchers alive now.", Value: func() float64 { return float64(n.factory.Gauges().Dispatchers) }},
		metrics.Gauge{Name: "netra_emitters_live", Help: "Run emitters alive now.", Value: func() float64 { return float64(n.factory.Gauges().Emitters) }},
		metrics.Gauge{Name: "netra_runs_running", Help: "Runs executing now.", Value: func() float64 { return float64(n.Running()) }},
		metrics.Gauge{Name: "netra_runs_queued", Help: "Runs waiting in the queue now.", Value: func() float64 { return float64(n.Queued()) }},
	)
	// Model calls retry transient failures and stop calling a failing provider for a while;
	// each attempt's outcome is counted.
	if cfg.ServiceAccount == "" {
		cfg.ServiceAccount = "netra"
	}
	n.calls = newServiceRecords(st, cfg.ServiceAccount, n.log)
	providers, err := n.modelProviders(cfg.Model, modelNames, prices)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	wtools := workloadtool.Tools(svc)
	agents, err := agent.NewRegistry(append([]agent.Spec{echo.Spec(), supervisor.Spec(),
		triage.Spec(providers["triage"], model.CanChat(providers["analyst"])), datahelper.Spec(n.URL),
		data.Spec(), optimization.Spec(), actions.Spec(), reporting.Spec(providers["reporting"]), synthetic.Spec(providers["synthetic_data"]),
		analyst.Spec(providers["analyst"], wtools, cfg.AnalystLimits, n.tokensLeft(st, cfg.TokenBudgets))}, cfg.Agents...)...)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	tools, err := tool.NewRegistry(append(append([]tool.Tool{echo.Tool(), threadtool.Tool(st.ListMessages)}, wtools...), cfg.Tools...)...)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	var bus event.Bus = eventmem.New()
	n.stopBus, n.abortBus = func() {}, func() {}
	if cfg.NATSURL != "" {
		nb, err := eventnats.Connect(cfg.NATSURL, "netra", log)
		if err != nil {
			_ = st.Close()
			return nil, err
		}
		bus, n.stopBus, n.abortBus = nb, nb.Close, nb.Abort
	}
	built := false
	defer func() {
		if !built {
			n.stopBus() // a later step failed: the node never runs
			if n.clusterNC != nil {
				n.clusterNC.Close()
			}
		}
	}()
	n.hub = event.NewHub(bus)
	auditKey, err := audit.LoadKey(cfg.DataDir, true)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	if cfg.AuditCheckpointEvery <= 0 {
		cfg.AuditCheckpointEvery = 10 * time.Minute
	}
	chain := audit.NewChain(st)
	n.pipeline = event.NewPipeline(event.PipelineConfig{Chain: chain}, st, bus, log)
	n.keeper = &auditKeeper{store: st, key: auditKey, chain: chain, every: cfg.AuditCheckpointEvery, retention: cfg.AuditRetention,
		log: log, metrics: n.metrics, signs: func() bool { return n.member == nil || n.member.Leader() }}
	trail := audit.NewLog(n.pipeline, log)
	tp := cfg.TracerProvider
	if tp == nil && cfg.OTLPEndpoint != "" {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(strings.TrimRight(cfg.OTLPEndpoint, "/")+"/v1/traces"))
		if err != nil {
			_ = st.Close()
			return nil, fmt.Errorf("OTLP exporter: %w", err)
		}
		n.traces = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "netra"))))
		tp = n.traces
	}
	var tracer trace.Tracer
	if tp != nil {
		tracer = tp.Tracer("github.com/netra-ai/netra")
	}
	switches, err := killswitch.Load(ctx, st)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	n.switches = switches
	scfg := sched.Config{MaxRunning: cfg.MaxRunning, MaxQueued: cfg.MaxQueued, Limits: cfg.Limits, Weights: cfg.Weights}
	var scheduler server.Scheduler
	var tickets server.Tickets = auth.NewTickets()
	var connections server.Connections
	limiter := ratelimit.New(cfg.RateLimits)
	if pg, ok := st.(*storepg.Store); ok && cfg.NATSURL != "" {
		// A cluster: the leader schedules for the service, tickets are the database's, and
		// this node's commits need its row (fenced when the leader takes its runs over). A
		// process is a member of its own: a node restarted at once under the same name is a
		// new member, and the leader takes the old one's runs over when its row goes stale.
		id := netra.NewID("")
		n.id += "-" + id[len(id)-6:]
		pg.Fence(n.id)
		if n.clusterNC, err = eventnats.Dial(cfg.NATSURL, "netra-cluster", log); err != nil {
			_ = st.Close()
			return nil, err
		}
		scfg = scfg.WithDefaults()
		limiter.Share() // a user's rates hold across the nodes (cluster.Rates)
		caps := map[netra.Tier]int{}
		for _, t := range []netra.Tier{netra.TierFree, netra.TierEarly, netra.TierMid, netra.TierEnterprise} {
			caps[t] = limiter.Limits(t).Connections
		}
		if n.member, err = cluster.New(cluster.Config{NodeID: n.id, Slots: cfg.MaxRunning, Sched: scfg, Connections: caps, Beat: cfg.ClusterBeat,
			Expire: cfg.ClusterExpire, Load: func() any { return n.self() }, Rates: limiter, Logger: log}, pg, n, n.clusterNC); err != nil {
			_ = st.Close()
			return nil, err
		}
		scheduler, tickets, connections = n.member, pg.Tickets(), n.member
		verifier.Share(pg)
	} else {
		n.sched = sched.New(scfg, log)
		scheduler = n.sched
	}
	if n.factory, err = engine.NewFactory(engine.Config{Timeouts: cfg.Timeouts, Audit: trail, Switches: switches, Metrics: n.metrics, Tracer: tracer,
		Usage: func(ctx context.Context, owner string, by map[string]model.Usage) {
			if err := st.AddModelUsage(ctx, owner, time.Now().UTC().Format("2006-01"), by); err != nil {
				n.log.Error("model usage not stored", "user_id", owner, "err", err)
			}
		}}, agents, tools, n.pipeline, log); err != nil {
		if n.traces != nil {
			_ = n.traces.Shutdown(ctx)
		}
		_ = st.Close()
		return nil, err
	}
	n.api = server.New(server.Config{Verifier: verifier, Tickets: tickets, SessionSecret: n.sessionSecret, SessionIssuer: cfg.JWTIssuer, OIDC: cfg.OIDC, Store: st, Scheduler: scheduler,
		Factory: n.factory, Hub: n.hub, Ingest: svc, Metrics: n.metrics, Logger: log, AllowedOrigins: cfg.AllowedOrigins, SendQueue: cfg.SendQueue,
		Audit: trail, AuditAdmin: st, Limits: limiter, Connections: connections, MaxConnections: cfg.MaxConnections, CORSOrigins: cfg.CORSOrigins,
		UploadsPerUser: cfg.UploadsPerUser, Uploads: cfg.Uploads, UploadMemory: cfg.UploadMemory, TokenBudgets: cfg.TokenBudgets, OTLPRouteAttribute: cfg.OTLPRouteAttribute,
		AuditKey: audit.PublicKey(auditKey), AuditStatus: func() any { return n.keeper.Status() },
		PingEvery: cfg.PingEvery, PongWait: cfg.PongWait, Switches: switches, Nodes: n.nodes})
	n.srv = &http.Server{Handler: n.api.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	built = true
	return n, nil
}

// modelProvider builds the agents' provider: the configured model, retried and broken off
// when it keeps failing, with the offline provider as its fallback (also for any text that
// holds a number the facts do not); or the offline provider alone.
// modelProviders returns the provider of each agent of ModelAgents: one provider (with its
// retries, breaker and metering) per distinct provider, model and base URL.
func (n *Node) modelProviders(mc ModelConfig, modelNames []string, prices *workload.Prices) (map[string]model.Provider, error) {
	for name := range mc.Agents {
		if !slices.Contains(ModelAgents(), name) {
			return nil, fmt.Errorf("model config: no agent %q calls a model; the agents that do: %s", name, strings.Join(ModelAgents(), ", "))
		}
	}
	type key struct{ provider, model, base string }
	built := map[key]model.Provider{}
	out := map[string]model.Provider{}
	for _, name := range ModelAgents() {
		c := mc.forAgent(name)
		k := key{c.Provider, c.Model, c.BaseURL}
		p, ok := built[k]
		if !ok {
			var err error
			if p, err = n.modelProvider(c, modelNames, prices); err != nil {
				return nil, fmt.Errorf("model of %s: %w", name, err)
			}
			built[k] = p
		}
		if _, over := mc.Agents[name]; over {
			n.log.Info("model override", "agent", name, "provider", p.Name())
		}
		out[name] = p
	}
	return out, nil
}

func (n *Node) modelProvider(mc ModelConfig, modelNames []string, prices *workload.Prices) (model.Provider, error) {
	wrap := func(p model.Provider) model.Provider {
		return model.Resilient(model.Observed(p, func(p, outcome string) {
			n.metrics.ModelCalls.WithLabelValues(p, outcome).Inc()
		}), resilience.Retry{Attempts: 3}, resilience.NewBreaker(5, 30*time.Second))
	}
	// A real model's calls are metered: their tokens, priced by the table when it knows the
	// model, add up per run (run_completed.usage) and in the metrics.
	metered := func(p model.Provider) model.Provider {
		var cost func(in, out int64) float64
		if price, ok := prices.Lookup(mc.Model); ok {
			cost = func(in, out int64) float64 { return price.Cost(in, 0, out, false) }
		}
		return model.Recorded(model.Metered(p, cost, func(u model.Usage) {
			n.metrics.ModelTokens.WithLabelValues(p.Name(), "input").Add(float64(u.InputTokens))
			n.metrics.ModelTokens.WithLabelValues(p.Name(), "output").Add(float64(u.OutputTokens))
		}), n.calls.record)
	}
	off := wrap(offline.New(modelNames))
	if mc.Model == "" { // the provider's default, named here so that its calls are priced
		switch mc.Provider {
		case "openai":
			mc.Model = openaicompat.DefaultModel
		case "anthropic":
			mc.Model = anthropicapi.DefaultModel
		}
	}
	switch mc.Provider {
	case "", "offline":
		n.log.Info("model provider", "provider", "offline")
		return off, nil
	case "openai":
		p, err := openaicompat.New(openaicompat.Config{BaseURL: mc.BaseURL, APIKey: mc.APIKey, Model: mc.Model})
		if err != nil {
			return nil, err
		}
		base := mc.BaseURL
		if base == "" {
			base = "https://api.openai.com/v1"
		}
		n.log.Info("model provider", "provider", "openai", "model", mc.Model, "base_url", base, "api_key_set", mc.APIKey != "")
		return model.WithFallback(metered(wrap(p)), off, func(err error) { n.log.Warn("model call fell back to the offline provider", "err", err) }), nil
	case "anthropic":
		p, err := anthropicapi.New(anthropicapi.Config{BaseURL: mc.BaseURL, APIKey: mc.APIKey, Model: mc.Model})
		if err != nil {
			return nil, err
		}
		n.log.Info("model provider", "provider", "anthropic", "model", mc.Model, "base_url", mc.BaseURL, "api_key_set", mc.APIKey != "")
		return model.WithFallback(metered(wrap(p)), off, func(err error) { n.log.Warn("model call fell back to the offline provider", "err", err) }), nil
	}
	return nil, fmt.Errorf("NETRA_MODEL_PROVIDER must be offline, openai or anthropic, not %q", mc.Provider)
}

// Start recovers the runs a previous process left, then listens and serves until Stop.
func (n *Node) Start(ctx context.Context) error {
	// Before anything can append to a chain: hold those that disagree with the signed
	// checkpoint.
	if err := n.keeper.check(ctx); err != nil {
		return fmt.Errorf("checking the audit trail: %w", err)
	}
	ln, err := net.Listen("tcp", n.cfg.Addr)
	if err != nil {
		return err
	}
	n.ln = ln
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	n.pipeline.Start()
	n.calls.start()
	if n.member != nil {
		// The cluster's leader recovers the runs, and hands a dead node's to the others.
		if err := n.member.Start(base); err != nil {
			cancel()
			_ = ln.Close()
			return fmt.Errorf("joining the cluster: %w", err)
		}
		go n.refreshShared(base)
	} else {
		n.sched.Start(base)
		if err := n.recover(ctx); err != nil {
			cancel()
			_ = ln.Close()
			return fmt.Errorf("recovering runs: %w", err)
		}
	}
	n.keeper.checkpoint(ctx)
	n.srv.BaseContext = n.api.BaseContext(base)
	n.pruned = make(chan struct{})
	go func() {
		defer close(n.pruned)
		n.keeper.run(base)
	}()
	if n.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", n.cfg.MetricsAddr)
		if err != nil {
			cancel()
			_ = ln.Close()
			<-n.pruned
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(n.metrics.Registry, promhttp.HandlerOpts{}))
		n.msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		n.mserved = make(chan error, 1)
		go func() { n.mserved <- n.msrv.Serve(mln) }()
		n.maddr = mln.Addr().String()
		n.log.Info("metrics serving", "addr", n.maddr)
	}
	n.served = make(chan error, 1)
	go func() { n.served <- n.srv.Serve(ln) }()
	n.log.Info("netra serving", "addr", ln.Addr().String(), "data_dir", n.cfg.DataDir)
	return nil
}

// recover ends runs a crash left running (run_failed, interrupted) and queues again the runs
// left queued, in their original order, so that no accepted run is lost or stuck. Nothing
// starts until all are queued again (sched.Resume), so the fair order is the one they had.
func (n *Node) recover(ctx context.Context) error {
	t0 := time.Now()
	runs, err := n.store.ActiveRuns(ctx)
	if err != nil {
		return err
	}
	// Their last seqs, a query per MaxRunStates runs rather than one a run: on PostgreSQL a
	// round trip each would hold a deep queue's restart for seconds.
	lastSeq := make(map[string]int64, len(runs))
	refs := make([]store.RunRef, 0, store.MaxRunStates)
	for chunk := range slices.Chunk(runs, store.MaxRunStates) {
		refs = refs[:0]
		for _, r := range chunk {
			refs = append(refs, store.RunRef{ID: r.ID, Owner: r.Owner})
		}
		states, err := n.store.RunStates(ctx, refs)
		if err != nil {
			return err
		}
		for _, st := range states {
			lastSeq[st.Run.ID] = st.LastSeq
		}
	}
	for _, r := range runs {
		last := lastSeq[r.ID]
		if r.Status == netra.RunRunning {
			n.factory.EndOrphan(ctx, r, last, netra.Errorf(netra.CodeInterrupted, "the server stopped while the run was executing"))
			continue
		}
		job := n.factory.NewRun(r, "", last)
		job.Recovered()
		// Recovered runs bypass the queue bounds: they were accepted within them.
		n.sched.Recovered(job)
	}
	n.sched.Resume()
	if len(runs) > 0 {
		n.log.Info("recovered runs", "count", len(runs), "took", time.Since(t0).Round(time.Millisecond).String())
	}
	return nil
}

// refreshShared reads what other nodes of the cluster may have changed, every second: kill
// switches, and sessions signed out (whose connections here close then).
func (n *Node) refreshShared(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := n.switches.Refresh(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("reading kill switches", "err", err)
		}
		ended, err := n.verifier.Refresh(ctx)
		if err != nil && ctx.Err() == nil {
			n.log.Warn("reading signed-out sessions", "err", err)
		}
		n.api.EndSessions(ended)
	}
}

// Adopt implements cluster.Runs: the jobs of stored queued runs this node takes over, read
// MaxRunStates at a time (one query each, not two a run).
func (n *Node) Adopt(ctx context.Context, refs []store.RunRef) ([]cluster.Job, error) {
	jobs := make([]cluster.Job, 0, len(refs))
	for chunk := range slices.Chunk(refs, store.MaxRunStates) {
		states, err := n.store.RunStates(ctx, chunk)
		if err != nil {
			return nil, err
		}
		for _, st := range states {
			job := n.factory.NewRun(st.Run, "", st.LastSeq)
			job.Recovered()
			jobs = append(jobs, job)
		}
	}
	return jobs, nil
}

// EndOrphan implements cluster.Runs: a run whose node died ends with run_failed interrupted.
func (n *Node) EndOrphan(ctx context.Context, owner, runID string) error {
	r, err := n.store.GetRun(ctx, owner, runID)
	if netra.ErrorCode(err) == netra.CodeNotFound {
		return nil // started at once, and its node died before storing its acceptance: nobody was told of it
	}
	if err != nil {
		return err
	}
	if r.Status.Ended() {
		return nil
	}
	last, err := n.store.LastSeq(ctx, runID)
	if err != nil {
		return err
	}
	n.factory.EndOrphan(ctx, r, last, netra.Errorf(netra.CodeInterrupted, "the node executing the run stopped"))
	return nil
}

// Addr returns the address the node listens on.
func (n *Node) Addr() string { return n.ln.Addr().String() }

// URL returns the node's base URL.
func (n *Node) URL() string { return "http://" + n.Addr() }

// LoginLinkTTL is how long a sign-in link works.
const LoginLinkTTL = 15 * time.Minute

// LoginLink returns a single-use sign-in link to the web app for id, valid LoginLinkTTL. The
// code rides in the fragment, which browsers never send to a server.
func (n *Node) LoginLink(id netra.Identity) (string, error) {
	if n.sessionSecret == nil {
		return "", errors.New("sign-in links need HS256 tokens, which this server does not accept")
	}
	code, err := auth.SignLoginCode(n.sessionSecret, id, LoginLinkTTL, n.cfg.JWTIssuer)
	if err != nil {
		return "", err
	}
	return n.URL() + "/#code=" + code, nil
}

// nodes lists the service's nodes: this one, or a cluster's from their rows.
func (n *Node) nodes(ctx context.Context) ([]server.NodeInfo, error) {
	if n.member == nil {
		return []server.NodeInfo{n.self()}, nil
	}
	members, err := n.member.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]server.NodeInfo, 0, len(members))
	for _, m := range members {
		info := server.NodeInfo{ID: m.ID}
		_ = json.Unmarshal(m.Load, &info)
		info.ID, info.Leader, info.BeatAgeMS = m.ID, m.Leader, m.BeatAge.Milliseconds()
		out = append(out, info)
	}
	return out, nil
}

// self describes this node.
func (n *Node) self() server.NodeInfo {
	slots := n.cfg.MaxRunning
	if slots <= 0 {
		slots = 64
	}
	info := server.NodeInfo{ID: n.id, Address: n.URL(), Version: n.cfg.Version, StartedAt: n.started, Store: "sqlite", Bus: "in-process",
		Connections: n.api.Connections(), Running: n.Running(), Queued: n.Queued(), Slots: slots}
	if info.Version == "" {
		info.Version = "dev"
	}
	if n.cfg.DatabaseURL != "" {
		info.Store = "postgresql"
	}
	if n.cfg.NATSURL != "" {
		info.Bus = "nats"
	}
	return info
}

// SetMaxDBBytes caps the database's size at run time (Config.MaxDBBytes); 0 lifts the cap.
func (n *Node) SetMaxDBBytes(ctx context.Context, bytes int64) error {
	st, ok := n.store.(sizeCapped)
	if !ok {
		return errors.New("a database size cap applies to the embedded store only")
	}
	return st.SetMaxSize(ctx, bytes)
}

// MetricsURL returns the URL of the separate metrics listener, "" without one.
func (n *Node) MetricsURL() string {
	if n.maddr == "" {
		return ""
	}
	return "http://" + n.maddr + "/metrics"
}

// Metrics returns the node's metrics.
func (n *Node) Metrics() *metrics.Metrics { return n.metrics }

// Gauges returns the live per-run object counts.
func (n *Node) Gauges() engine.Gauges { return n.factory.Gauges() }

// Running returns how many runs execute on this node now.
func (n *Node) Running() int {
	if n.member != nil {
		return n.member.Running()
	}
	return n.sched.Running()
}

// Queued returns how many runs wait in the queue now, to execute on this node.
func (n *Node) Queued() int {
	if n.member != nil {
		return n.member.Held() - n.member.Running()
	}
	return n.sched.Queued()
}

// Leader reports whether this node leads its cluster (false off a cluster).
func (n *Node) Leader() bool { return n.member != nil && n.member.Leader() }

// ID is the node's id.
func (n *Node) ID() string { return n.id }

// Stop stops accepting connections and starting queued runs (they stay queued in the store
// and start after the next Start), lets running runs finish for the grace period, then cancels
// what is left, commits the last events and closes the store. It is idempotent.
func (n *Node) Stop(ctx context.Context) error {
	n.stopOnce.Do(func() { n.stopErr = n.stop(ctx) })
	return n.stopErr
}

func (n *Node) stop(ctx context.Context) error {
	shutdownCtx, cancel := context.WithTimeout(ctx, n.cfg.ShutdownGrace)
	defer cancel()
	// No queued run starts from now on (on a cluster node, its queued runs go to the others);
	// then closing the listener stops new work; open connections end when base is cancelled.
	if n.member != nil {
		n.member.Leave(shutdownCtx)
	} else {
		n.sched.Drain()
	}
	_ = n.ln.Close()
	for n.Running() > 0 && shutdownCtx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if n.member != nil {
		n.member.Stop()
	} else {
		n.sched.Stop()
	}
	n.cancel() // ends WebSocket connections (1001) and SSE streams
	err := n.srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = n.srv.Close()
	}
	if errors.Is(err, net.ErrClosed) { // the listener was closed above, on purpose
		err = nil
	}
	<-n.served
	// WebSocket connections are hijacked; they end on the cancelled base context, and their
	// last audit entries must reach the pipeline before it stops.
	connCtx, connCancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	if werr := n.api.WaitConns(connCtx); werr != nil {
		n.log.Warn("WebSocket connections still open at shutdown", "err", werr)
	}
	connCancel()
	<-n.pruned
	if n.msrv != nil {
		_ = n.msrv.Close()
		<-n.mserved
	}
	if n.traces != nil {
		// Flush the last spans; a collector that does not answer costs at most 5 s.
		tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if terr := n.traces.Shutdown(tctx); terr != nil {
			n.log.Warn("flushing traces", "err", terr)
		}
		tcancel()
	}
	n.calls.stop() // no run is left to call a model
	n.pipeline.Stop()
	n.stopBus()
	// Every entry is committed: sign where each chain ends.
	n.keeper.checkpoint(context.WithoutCancel(ctx))
	if n.member != nil {
		n.member.Close(context.WithoutCancel(ctx))
		n.clusterNC.Close()
	}
	return errors.Join(err, n.store.Close())
}

// PauseHeartbeat stops a cluster node's heartbeat for d, as a stalled process or a cut
// network would, for tests of fencing.
func (n *Node) PauseHeartbeat(d time.Duration) {
	if n.member != nil {
		n.member.Pause(d)
	}
}

// DropStarts drops the next n notices to start a run that reach this cluster node, as NATS
// does while a connection is down, for tests of the leader's reconcile.
func (n *Node) DropStarts(k int) {
	if n.member != nil {
		n.member.DropStarts(k)
	}
}

// LoseBeginAnswers loses the leader's next n answers to this cluster node's reservations that
// start a run at once, after the leader acted on them, for tests of the leader's reconcile.
func (n *Node) LoseBeginAnswers(k int) {
	if n.member != nil {
		n.member.LoseBeginAnswers(k)
	}
}

// Crash stops a cluster node as kill -9 would, for tests of failover: no handover, no last
// events, no goodbye to the cluster, connections cut.
func (n *Node) Crash() {
	n.stopOnce.Do(func() {
		_ = n.ln.Close()
		_ = n.srv.Close()
		if n.member != nil {
			n.member.Crash()
			n.clusterNC.Close()
		}
		n.cancel()
		<-n.served
		n.abortBus()
		<-n.pruned
		if n.msrv != nil {
			_ = n.msrv.Close()
			<-n.mserved
		}
		n.calls.stop()
		n.pipeline.Stop()
		n.stopErr = n.store.Close()
	})
}

// tokensLeft is the analyst's view of the monthly token budgets: what a user has left of the
// month's budget, from the usage stored by the runs that ended.
func (n *Node) tokensLeft(st store.Store, budgets map[netra.Tier]int64) analyst.Budget {
	return func(ctx context.Context, user string, tier netra.Tier) (int64, bool, error) {
		budget := budgets[tier]
		if budget <= 0 {
			return 0, false, nil
		}
		by, err := st.ModelUsage(ctx, user, time.Now().UTC().Format("2006-01"))
		if err != nil {
			return 0, true, err
		}
		var used model.Usage
		for _, u := range by {
			used = used.Add(u)
		}
		return max(0, budget-used.InputTokens-used.OutputTokens), true, nil
	}
}
