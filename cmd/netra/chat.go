package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
)

type chatFlags struct {
	set                                                  *flag.FlagSet
	agent, baseURL, token, user, thread, params, dataDir *string
	quiet                                                *bool
}

func newChatFlags() chatFlags {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	return chatFlags{
		set:     fs,
		agent:   fs.String("agent", "", "agent to run (default: the server's default, supervisor)"),
		baseURL: fs.String("url", envOr("NETRA_URL", ""), "server URL (NETRA_URL); default http://<NETRA_ADDR or 127.0.0.1:8080>"),
		token:   fs.String("token", envOr("NETRA_TOKEN", ""), "bearer token (NETRA_TOKEN); default: a local token for --user"),
		user:    fs.String("user", "", "user for a local token when no token is given (default: your login name)"),
		thread:  fs.String("thread", "", "continue this thread"),
		params:  fs.String("params", "", `run params as JSON, e.g. '{"delay_ms":500}'`),
		dataDir: fs.String("data-dir", envOr("NETRA_DATA_DIR", "./netra-data"), "where a local server keeps its secret, for local tokens"),
		quiet:   fs.Bool("quiet", false, "print only the output"),
	}
}

func chat(args []string) error {
	f := newChatFlags()
	agentName, baseURL, tok, userID, threadID, params, dataDir, quiet := f.agent, f.baseURL, f.token, f.user, f.thread, f.params, f.dataDir, f.quiet
	words, err := parseInterspersed(f.set, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitCode(0)
	}
	if err != nil {
		return exitCode(2)
	}
	input := strings.TrimSpace(strings.Join(words, " "))
	if input == "" {
		return fmt.Errorf(`chat: say something, e.g. netra chat --agent echo "hello"`)
	}
	if *baseURL == "" {
		*baseURL = "http://" + envOr("NETRA_ADDR", "127.0.0.1:8080")
	}
	if *tok == "" {
		if *tok, err = localToken(*dataDir, *userID); err != nil {
			return fmt.Errorf("chat: no token: set NETRA_TOKEN or pass --token (%w)", err)
		}
	}
	req := client.StartRun{Input: input, Agent: *agentName, ThreadID: *threadID}
	if *params != "" {
		if err := json.Unmarshal([]byte(*params), &req.Params); err != nil {
			return fmt.Errorf("chat: --params must be a JSON object: %w", err)
		}
	}
	progress := io.Writer(os.Stderr)
	if *quiet {
		progress = io.Discard
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return runChat(ctx, client.New(*baseURL, *tok), req, os.Stdout, progress)
}

// parseInterspersed parses flags that may come before, between or after the words.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return words, nil
		}
		words = append(words, rest[0])
		args = rest[1:]
	}
}

var loginChars = regexp.MustCompile(`[^A-Za-z0-9._@-]`)

func localToken(dataDir, userID string) (string, error) {
	if userID == "" {
		userID = "cli-user"
		if u, err := user.Current(); err == nil && u.Username != "" {
			userID = loginChars.ReplaceAllString(u.Username, "-")
		}
	}
	secret, err := secretFor(dataDir)
	if err != nil {
		return "", err
	}
	return auth.Sign(secret, netra.Identity{UserID: userID, Tier: netra.TierFree, Role: netra.RoleUser}, time.Hour, envOr("NETRA_JWT_ISSUER", ""))
}

// runChat starts the run over WebSocket, prints its progress and then its output. Ctrl-C
// cancels the run and waits for its end.
func runChat(ctx context.Context, c *client.Client, req client.StartRun, out, progress io.Writer) error {
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := c.Connect(dialCtx, client.ConnOptions{Reconnect: true})
	cancel()
	if err != nil {
		return fmt.Errorf("chat: %s", connectHint(c, err))
	}
	defer conn.Close()
	start := time.Now()
	line := func(format string, args ...any) {
		fmt.Fprintf(progress, "[%7.3fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	acc, err := conn.Start(context.WithoutCancel(ctx), req)
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	line("run %s accepted in thread %s", acc.RunID, acc.ThreadID)
	cancelled := false
	streamed := false // the answer came as message_delta, printed as it arrived
	for {
		select {
		case <-ctx.Done():
			if !cancelled {
				cancelled = true
				line("cancelling…")
				cctx, cc := context.WithTimeout(context.Background(), 5*time.Second)
				_ = conn.Cancel(cctx, acc.RunID)
				cc()
			}
			ctx = context.Background()
		case ev, ok := <-conn.Events():
			if !ok {
				return fmt.Errorf("chat: connection lost: %v", conn.Err())
			}
			if ev.RunID != acc.RunID {
				continue
			}
			if done, err := show(ev, line, out, &streamed); done {
				return err
			}
		}
	}
}

// connectHint says what a failed connection most likely needs: a server, or a new token.
func connectHint(c *client.Client, err error) string {
	var ae *client.APIError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("no server at %s: is `netra serve` running? (--url or NETRA_URL names another)", c.URL())
	case errors.As(err, &ae) && ae.Status == 401:
		if exp, ok := tokenExpiry(c.Token()); ok && time.Now().After(exp) {
			return fmt.Sprintf("the token expired at %s: get a new one with `netra token --user ID`", exp.Format(time.RFC3339))
		}
		return fmt.Sprintf("the server refused the token (%s): `netra token` signs with the secret in --data-dir (NETRA_DATA_DIR), which must be the server's", ae.Message)
	}
	return fmt.Sprintf("connecting to %s: %v", c.URL(), err)
}

// tokenExpiry reads a JWT's exp without verifying it: only to explain a refusal.
func tokenExpiry(tok string) (time.Time, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.Exp == 0 {
		return time.Time{}, false
	}
	return time.Unix(claims.Exp, 0), true
}

type eventData struct {
	Position   int             `json:"position"`
	Text       string          `json:"text"`
	Tool       string          `json:"tool"`
	Args       json.RawMessage `json:"args"`
	OK         bool            `json:"ok"`
	DurationMS float64         `json:"duration_ms"`
	Code       string          `json:"code"`
	Message    string          `json:"message"`
	Output     json.RawMessage `json:"output"`
	Error      *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// show prints one event; done is true after the terminal event. The answer's message_delta
// pieces go to out as they arrive; *streamed remembers that they did, so that the output is
// not printed twice.
func show(ev client.Event, line func(string, ...any), out io.Writer, streamed *bool) (done bool, err error) {
	var d eventData
	_ = json.Unmarshal(ev.Data, &d)
	who := ev.Agent + " ▸ "
	switch ev.Type {
	case "run_queued":
		line("queued, position %d", d.Position)
	case "run_started":
		line("started")
	case "agent_started":
		line("%sstarted", who)
	case "agent_thinking":
		line("%s%s", who, d.Text)
	case "tool_executing":
		line("%scalling %s %s", who, d.Tool, clip(string(d.Args), 120))
	case "tool_completed":
		if d.OK {
			line("%s%s done in %.1f ms", who, d.Tool, d.DurationMS)
		} else if d.Error != nil {
			line("%s%s failed: %s (%s)", who, d.Tool, d.Error.Message, d.Error.Code)
		}
	case "agent_completed":
		line("%scompleted in %.1f ms", who, d.DurationMS)
	case "agent_error":
		line("%sfailed: %s (%s)", who, d.Message, d.Code)
	case "message_delta":
		*streamed = true
		fmt.Fprint(out, d.Text)
	case "run_completed":
		if *streamed {
			fmt.Fprintln(out)
			line("completed")
			return true, nil
		}
		line("completed")
		fmt.Fprintln(out, outputText(d.Output))
		return true, nil
	case "run_failed":
		if *streamed {
			fmt.Fprintln(out)
		}
		line("failed: %s (%s)", d.Message, d.Code)
		if len(d.Output) > 0 && string(d.Output) != "null" && !*streamed {
			// What was done before the failure (the supervisor's partial report).
			fmt.Fprintln(out, outputText(d.Output))
		}
		return true, exitCode(1)
	case "run_cancelled":
		line("cancelled")
		return true, exitCode(130)
	default:
		line("%s%s", who, ev.Type)
	}
	return false, nil
}

// outputText is the output when it is a string, its markdown when it has one, else its JSON.
func outputText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Markdown *string `json:"markdown"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Markdown != nil {
		return *o.Markdown
	}
	return string(raw)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
