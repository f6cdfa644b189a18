package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/engine"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/ratelimit"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/server"
)

func allTiers(t engine.Timeouts) map[netra.Tier]engine.Timeouts {
	return map[netra.Tier]engine.Timeouts{netra.TierFree: t, netra.TierEarly: t, netra.TierMid: t, netra.TierEnterprise: t}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	maxRunning, _ := strconv.Atoi(envOr("NETRA_MAX_RUNNING", "64"))
	maxQueued, _ := strconv.Atoi(envOr("NETRA_MAX_QUEUED", "100000"))
	maxDB, _ := strconv.ParseInt(envOr("NETRA_MAX_DB_BYTES", "0"), 10, 64)
	var (
		addr       = fs.String("addr", envOr("NETRA_ADDR", "127.0.0.1:8080"), "listen address (NETRA_ADDR)")
		dataDir    = fs.String("data-dir", envOr("NETRA_DATA_DIR", "./netra-data"), "embedded database and generated secret (NETRA_DATA_DIR)")
		dbURL      = fs.String("database-url", envOr("NETRA_DATABASE_URL", ""), "postgres://... to use PostgreSQL (NETRA_DATABASE_URL)")
		natsURL    = fs.String("nats-url", envOr("NETRA_NATS_URL", ""), "nats://... to carry events on NATS instead of in process; with --database-url, the nodes on one database form a cluster (NETRA_NATS_URL)")
		nodeID     = fs.String("node-id", envOr("NETRA_NODE_ID", ""), "this node's name in a cluster: letters, digits, '_', '-' (NETRA_NODE_ID; default generated)")
		secret     = fs.String("jwt-secret", envOr("NETRA_JWT_SECRET", ""), "HS256 secret, at least 32 bytes (NETRA_JWT_SECRET); default: generated in the data dir")
		issuer     = fs.String("jwt-issuer", envOr("NETRA_JWT_ISSUER", ""), "required token issuer (NETRA_JWT_ISSUER)")
		keysFile   = fs.String("jwt-keys", envOr("NETRA_JWT_KEYS", ""), "JWKS or PEM file of RS256/EdDSA public keys (NETRA_JWT_KEYS)")
		algs       = fs.String("jwt-algorithms", envOr("NETRA_JWT_ALGORITHMS", ""), "accepted token algorithms, comma-separated (NETRA_JWT_ALGORITHMS); default HS256, or the keys' algorithms")
		origins    = fs.String("allowed-origins", envOr("NETRA_ALLOWED_ORIGINS", ""), "extra WebSocket origins, comma-separated (NETRA_ALLOWED_ORIGINS)")
		maxRun     = fs.Int("max-running", maxRunning, "runs executing at once (NETRA_MAX_RUNNING)")
		maxQueue   = fs.Int("max-queued", maxQueued, "runs waiting on this server, all users together; beyond it a run is refused with 503 (NETRA_MAX_QUEUED)")
		modelProv  = fs.String("model-provider", envOr("NETRA_MODEL_PROVIDER", "offline"), "offline, openai (OpenAI and any OpenAI-compatible server) or anthropic (NETRA_MODEL_PROVIDER); the key is OPENAI_API_KEY or ANTHROPIC_API_KEY")
		modelName  = fs.String("model", envOr("NETRA_MODEL", ""), "the model, e.g. gpt-4o-mini or llama3.1:8b (NETRA_MODEL)")
		modelURL   = fs.String("model-base-url", envOr("NETRA_MODEL_BASE_URL", ""), "an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 for Ollama (NETRA_MODEL_BASE_URL)")
		oidcIssuer = fs.String("oidc-issuer", envOr("NETRA_OIDC_ISSUER", ""), "an OpenID provider for the web app's sign-in (NETRA_OIDC_ISSUER); its client secret is NETRA_OIDC_CLIENT_SECRET")
		oidcClient = fs.String("oidc-client-id", envOr("NETRA_OIDC_CLIENT_ID", ""), "the client id registered with it (NETRA_OIDC_CLIENT_ID)")
		oidcClaims = fs.String("oidc-claims", envOr("NETRA_OIDC_CLAIMS", ""), `the ID token's claims for user id, tier and role, as JSON (NETRA_OIDC_CLAIMS), e.g. {"user":"email","tier":"netra_tier","role":"netra_role"}; defaults sub, netra_tier, netra_role`)
		oidcURL    = fs.String("oidc-redirect-url", envOr("NETRA_OIDC_REDIRECT_URL", ""), "where the provider sends the browser back, when the server is reached under another address than its own (NETRA_OIDC_REDIRECT_URL)")
		svcAccount = fs.String("service-account", envOr("NETRA_SERVICE_ACCOUNT", "netra"), "the user whose workload records are this server's own model calls (NETRA_SERVICE_ACCOUNT)")
		modelFile  = fs.String("model-config", envOr("NETRA_MODEL_CONFIG", ""), `a JSON file of per-agent model overrides (NETRA_MODEL_CONFIG), e.g. {"agents":{"triage":{"model":"gpt-4o-mini"},"analyst":{"provider":"anthropic","model":"claude-sonnet-4"}}}`)
		budgets    = fs.String("token-budgets", envOr("NETRA_TOKEN_BUDGETS", ""), `monthly language-model tokens per tier, as JSON (NETRA_TOKEN_BUDGETS), e.g. {"free":200000}; default none`)
		routeAttr  = fs.String("otlp-route-attribute", envOr("NETRA_OTLP_ROUTE_ATTRIBUTE", "netra.route"), "the span attribute POST /v1/traces reads a record's route from, before http.route, service.name and the span name (NETRA_OTLP_ROUTE_ATTRIBUTE)")
		maxDBBytes = fs.Int64("max-db-bytes", maxDB, "cap on the embedded database's size; past it writes answer 507 as on a full disk (NETRA_MAX_DB_BYTES); 0: the disk's")
		tierLimits = fs.String("tier-limits", envOr("NETRA_TIER_LIMITS", ""), `per-tier overrides of each user's running and queued runs, as JSON (NETRA_TIER_LIMITS), e.g. {"enterprise":{"max_queued":1000}}`)
		logLevel   = fs.String("log-level", envOr("NETRA_LOG_LEVEL", "info"), "debug, info, warn or error (NETRA_LOG_LEVEL)")
		grace      = fs.Duration("shutdown-grace", 10*time.Second, "how long running runs may finish on SIGTERM before they are cancelled")
		runTimeout = fs.Duration("run-timeout", 10*time.Minute, "longest a run may execute (every tier)")
		agentTO    = fs.Duration("agent-timeout", 5*time.Minute, "longest an agent step may take (every tier); must be under --run-timeout")
		toolTO     = fs.Duration("tool-timeout", 2*time.Minute, "longest a tool call may take (every tier); must be under --agent-timeout")
		prices     = fs.String("prices", envOr("NETRA_PRICES", ""), "price table file overriding the embedded one (NETRA_PRICES)")
		cors       = fs.String("cors-origins", envOr("NETRA_CORS_ORIGINS", ""), "browser origins allowed to call the HTTP API, comma-separated (NETRA_CORS_ORIGINS); default none")
		metricsAt  = fs.String("metrics-addr", envOr("NETRA_METRICS_ADDR", ""), "also serve /metrics here without authentication, for a private scraper (NETRA_METRICS_ADDR)")
		otlp       = fs.String("otlp-endpoint", envOr("NETRA_OTLP_ENDPOINT", os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")), "export run traces with OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318 (NETRA_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT)")
		maxConns   = fs.Int("max-connections", 20000, "WebSocket connections the server holds at once")
		rateLimits = fs.String("rate-limits", envOr("NETRA_RATE_LIMITS", ""), `per-tier overrides of the per-user limits, as JSON (NETRA_RATE_LIMITS), e.g. {"free":{"requests_per_sec":5,"connections":4}}`)
		retention  = fs.Duration("audit-retention", 0, "how long audit entries are kept, e.g. 8760h; 0 keeps them forever")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	allowed := splitList(*origins)
	corsOrigins := splitList(*cors)
	limits, err := parseRateLimits(*rateLimits)
	if err != nil {
		return fmt.Errorf("--rate-limits: %w", err)
	}
	tiers, err := parseTierLimits(*tierLimits)
	if err != nil {
		return fmt.Errorf("--tier-limits: %w", err)
	}
	var tokenBudgets map[netra.Tier]int64
	if *budgets != "" {
		if err := json.Unmarshal([]byte(*budgets), &tokenBudgets); err != nil {
			return fmt.Errorf(`--token-budgets must be JSON such as {"free":200000}: %w`, err)
		}
	}
	oidcCfg := server.OIDCConfig{Issuer: *oidcIssuer, ClientID: *oidcClient, ClientSecret: os.Getenv("NETRA_OIDC_CLIENT_SECRET"), RedirectURL: *oidcURL}
	if *oidcClaims != "" {
		var c struct {
			User string `json:"user"`
			Tier string `json:"tier"`
			Role string `json:"role"`
		}
		dec := json.NewDecoder(strings.NewReader(*oidcClaims))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return fmt.Errorf(`--oidc-claims must be JSON such as {"user":"email"}: %w`, err)
		}
		oidcCfg.UserClaim, oidcCfg.TierClaim, oidcCfg.RoleClaim = c.User, c.Tier, c.Role
	}
	if oidcCfg.Issuer != "" && oidcCfg.ClientID == "" {
		return fmt.Errorf("--oidc-issuer needs --oidc-client-id (NETRA_OIDC_CLIENT_ID)")
	}
	mc := node.ModelConfig{Provider: *modelProv, Model: *modelName, BaseURL: *modelURL, APIKey: modelKey(*modelProv)}
	if *modelFile != "" {
		if mc.Agents, err = readModelConfig(*modelFile); err != nil {
			return err
		}
	}
	algorithms := splitList(*algs)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	n, err := node.New(ctx, node.Config{Addr: *addr, DataDir: *dataDir, DatabaseURL: *dbURL, NATSURL: *natsURL, NodeID: *nodeID, Version: versionLine(), JWTSecret: *secret,
		JWTIssuer: *issuer, JWTKeysFile: *keysFile, JWTAlgorithms: algorithms, AllowedOrigins: allowed, MaxRunning: *maxRun, MaxQueued: *maxQueue, MaxDBBytes: *maxDBBytes, OTLPRouteAttribute: *routeAttr, TokenBudgets: tokenBudgets,
		Model: mc, ServiceAccount: *svcAccount, OIDC: oidcCfg, Limits: tiers, ShutdownGrace: *grace, Timeouts: allTiers(engine.Timeouts{Run: *runTimeout, Agent: *agentTO, Tool: *toolTO}), PricesFile: *prices,
		AuditRetention: *retention, CORSOrigins: corsOrigins, MaxConnections: *maxConns, MetricsAddr: *metricsAt, OTLPEndpoint: *otlp, RateLimits: limits, Logger: log})
	if err != nil {
		return err
	}
	if err := n.Start(ctx); err != nil {
		return err
	}
	url := n.URL()
	// The machine's owner signs in to the web app as "local", with every right.
	link, err := n.LoginLink(netra.Identity{UserID: "local", Tier: netra.TierEnterprise, Role: netra.RoleAdmin})
	if err != nil {
		link = "(" + err.Error() + ")"
	}
	fmt.Printf(`Netra is serving on %s (data in %s)

  Web app:       %s
                 (a sign-in link for this machine's owner, once, for 15 minutes;
                  netra login-link --user ID makes one for anyone)
  Get a token:   export NETRA_TOKEN=$(netra token --user alice)
  Chat:          netra chat --agent echo hi
  HTTP:          curl -H "Authorization: Bearer $NETRA_TOKEN" %s/v1/me
  WebSocket:     ws://%s/v1/ws  (Authorization: Bearer <token>)

Press Ctrl-C to stop.
`, url, *dataDir, link, url, n.Addr())
	<-ctx.Done()
	stop()
	fmt.Println("\nStopping: letting running runs finish…")
	stopCtx, cancel := context.WithTimeout(context.Background(), *grace+30*time.Second)
	defer cancel()
	return n.Stop(stopCtx)
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseRateLimits reads per-tier overrides of the rate limits: a JSON object from tier to
// ratelimit.Limit fields; absent or zero fields keep their defaults.
// parseTierLimits reads per-tier overrides of the scheduler's limits; a field left out keeps
// the tier's default.
func parseTierLimits(v string) (map[netra.Tier]sched.Limit, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var raw map[netra.Tier]json.RawMessage
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, err
	}
	out := map[netra.Tier]sched.Limit{}
	for tier, b := range raw {
		if !tier.Valid() {
			return nil, fmt.Errorf("unknown tier %q", tier)
		}
		l := sched.DefaultLimits()[tier]
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("tier %s: %w", tier, err)
		}
		if l.Running < 1 || l.Queued < 0 {
			return nil, fmt.Errorf("tier %s: max_running must be at least 1 and max_queued not negative", tier)
		}
		out[tier] = l
	}
	return out, nil
}

func parseRateLimits(v string) (map[netra.Tier]ratelimit.Limit, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	var m map[netra.Tier]ratelimit.Limit
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	for tier, l := range m {
		if !tier.Valid() {
			return nil, fmt.Errorf("unknown tier %q", tier)
		}
		if l.RequestsPerSec < 0 || l.RequestBurst < 0 || l.FramesPerSec < 0 || l.FrameBurst < 0 || l.Connections < 0 {
			return nil, fmt.Errorf("tier %s: limits must not be negative", tier)
		}
	}
	return m, nil
}

// readModelConfig reads the per-agent model overrides: {"agents": {NAME: {"provider",
// "model", "base_url"}}}, strictly (an unknown field is an error). Each override's key comes
// from its provider's standard variable; the node checks the agent names.
func readModelConfig(path string) (map[string]node.ModelConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--model-config: %w", err)
	}
	defer f.Close()
	var file struct {
		Agents map[string]struct {
			Provider string `json:"provider"`
			Model    string `json:"model"`
			BaseURL  string `json:"base_url"`
		} `json:"agents"`
	}
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("--model-config %s: %w", path, err)
	}
	out := make(map[string]node.ModelConfig, len(file.Agents))
	for name, a := range file.Agents {
		mc := node.ModelConfig{Provider: a.Provider, Model: a.Model, BaseURL: a.BaseURL}
		if a.Provider != "" {
			mc.APIKey = modelKey(a.Provider)
		}
		out[name] = mc
	}
	return out, nil
}

// modelKey is the provider's key from its standard variable: never a flag, which the process
// list would show.
func modelKey(provider string) string {
	if provider == "anthropic" {
		return os.Getenv("ANTHROPIC_API_KEY")
	}
	return os.Getenv("OPENAI_API_KEY")
}
