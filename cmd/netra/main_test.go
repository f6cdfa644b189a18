package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/model/modeltest"
	"github.com/netra-ai/netra/node"
)

// TestTokenAndChat is the README tour: a token from `netra token` (with the data directory's
// generated secret) and `netra chat --agent echo hi` against a server on the same data dir.
func TestTokenAndChat(t *testing.T) {
	n, c, _ := startWithToken(t)
	defer stop(n)
	ctx := context.Background()
	var out, progress bytes.Buffer
	if err := runChat(ctx, c, client.StartRun{Input: "hi", Agent: "echo"}, &out, &progress); err != nil {
		t.Fatalf("chat: %v\n%s", err, progress.String())
	}
	if out.String() != "hi\n" {
		t.Fatalf("output %q", out.String())
	}
	for _, want := range []string{"queued, position 1", "started", "echo ▸ started", "echo ▸ calling echo", "echo ▸ echo done", "echo ▸ completed", "completed"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
	// A failing run exits non-zero with its reason.
	err := runChat(ctx, c, client.StartRun{Input: "hi", Agent: "nope"}, &out, &progress)
	if err == nil || !strings.Contains(err.Error(), "not_found") {
		t.Fatalf("unknown agent: %v", err)
	}
}

// startWithToken starts a node on a fresh data directory (which makes its secret), then signs
// a token with `netra token` on that directory, as a user of a fresh machine would.
func startWithToken(t *testing.T) (*node.Node, *client.Client, string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("NETRA_JWT_SECRET", "")
	ctx := context.Background()
	n, err := node.New(ctx, node.Config{Addr: "127.0.0.1:0", DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var tok bytes.Buffer
	if err := token([]string{"--user", "alice", "--data-dir", dir}, &tok); err != nil {
		t.Fatal(err)
	}
	return n, client.New(n.URL(), strings.TrimSpace(tok.String())), dir
}

// TestNewcomerErrors: the command-line tools say what to do next. `netra token` never makes
// a secret (one of its own would match no server) and says where it looked; --ttl must be
// positive; -h exits 0; a chat without a server or with an expired token says so; an unknown
// agent's error names the agents; `netra version` names the build.
func TestNewcomerErrors(t *testing.T) {
	t.Setenv("NETRA_JWT_SECRET", "")
	dir := t.TempDir()
	var out bytes.Buffer
	err := token([]string{"--user", "alice", "--data-dir", dir}, &out)
	if err == nil || !strings.Contains(err.Error(), "Start `netra serve` first") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("token without a secret: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("token wrote %v into the data dir", entries)
	}
	n, c, dir := startWithToken(t)
	defer stop(n)
	for _, ttl := range []string{"0s", "-1h"} {
		if err := token([]string{"--user", "alice", "--data-dir", dir, "--ttl", ttl}, &out); err == nil || !strings.Contains(err.Error(), "--ttl must be positive") {
			t.Fatalf("--ttl %s: %v", ttl, err)
		}
	}
	if err := token([]string{"-h"}, &out); err != exitCode(0) {
		t.Fatalf("token -h: %v, want exit 0", err)
	}
	if err := auditCmd([]string{"verify", "-h"}, &out); err != exitCode(0) {
		t.Fatalf("audit verify -h: %v, want exit 0", err)
	}
	if err := benchCmd([]string{"throughput", "-h"}); err != exitCode(0) {
		t.Fatalf("bench throughput -h: %v, want exit 0", err)
	}
	// No server: the port of a listener that has just closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + ln.Addr().String()
	ln.Close()
	ctx := context.Background()
	var progress bytes.Buffer
	err = runChat(ctx, client.New(gone, c.Token()), client.StartRun{Input: "hi", Agent: "echo"}, &out, &progress)
	if err == nil || !strings.Contains(err.Error(), "no server at "+gone) || !strings.Contains(err.Error(), "netra serve") {
		t.Fatalf("chat without a server: %v", err)
	}
	expired, err := auth.Sign(mustSecret(t, dir), netra.Identity{UserID: "alice", Tier: netra.TierFree, Role: netra.RoleUser}, -time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	err = runChat(ctx, client.New(n.URL(), expired), client.StartRun{Input: "hi", Agent: "echo"}, &out, &progress)
	if err == nil || !strings.Contains(err.Error(), "token expired") || !strings.Contains(err.Error(), "netra token") {
		t.Fatalf("chat with an expired token: %v", err)
	}
	err = runChat(ctx, c, client.StartRun{Input: "hi", Agent: "nope"}, &out, &progress)
	if err == nil || !strings.Contains(err.Error(), "echo") || !strings.Contains(err.Error(), "supervisor") {
		t.Fatalf("unknown agent: %v", err)
	}
	if v := versionLine(); !strings.HasPrefix(v, "netra ") || !strings.Contains(v, runtime.Version()) {
		t.Fatalf("version %q", v)
	}
}

func mustSecret(t *testing.T, dir string) []byte {
	t.Helper()
	s, err := auth.LoadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func stop(n *node.Node) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return n.Stop(ctx)
}

func TestParseInterspersed(t *testing.T) {
	fs := newChatFlags()
	words, err := parseInterspersed(fs.set, []string{"hello", "--agent", "echo", "world", "--quiet"})
	if err != nil || strings.Join(words, " ") != "hello world" || *fs.agent != "echo" || !*fs.quiet {
		t.Fatalf("words %v err %v agent %q quiet %v", words, err, *fs.agent, *fs.quiet)
	}
}

func TestParseRateLimits(t *testing.T) {
	m, err := parseRateLimits(`{"free":{"requests_per_sec":5,"connections":4},"enterprise":{"frame_burst":5000}}`)
	if err != nil || m["free"].RequestsPerSec != 5 || m["free"].Connections != 4 || m["enterprise"].FrameBurst != 5000 {
		t.Fatalf("parsed %+v, %v", m, err)
	}
	if m, err := parseRateLimits(" "); err != nil || m != nil {
		t.Fatalf("empty: %v %v", m, err)
	}
	for _, bad := range []string{`{"gold":{}}`, `{"free":{"requests_per_sec":-1}}`, `{"free":{"rps":1}}`, `[`} {
		if _, err := parseRateLimits(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestChatPrintsPartialReport: a run that failed after some steps (a step switched off, say)
// prints what was done before the failure, and exits 1.
func TestChatPrintsPartialReport(t *testing.T) {
	var out bytes.Buffer
	ev := client.Event{Type: "run_failed", RunID: "run_x",
		Data: []byte(`{"code":"unavailable","message":"agent optimization is switched off","output":{"markdown":"# Workload report\n\npartial figures"}}`)}
	var streamed bool
	done, err := show(ev, func(string, ...any) {}, &out, &streamed)
	if !done || err != exitCode(1) || !strings.Contains(out.String(), "partial figures") {
		t.Fatalf("done %v, err %v, printed %q", done, err, out.String())
	}
}

// TestChatPrintsDeltas: message_delta pieces are printed as they arrive, and the output they
// make is not printed again at the end.
func TestChatPrintsDeltas(t *testing.T) {
	var out bytes.Buffer
	var streamed bool
	for i, piece := range []string{"Your busiest ", "hour is 14."} {
		b, _ := json.Marshal(map[string]string{"text": piece})
		if done, _ := show(client.Event{Type: "message_delta", RunID: "run_x", Data: b}, func(string, ...any) {}, &out, &streamed); done {
			t.Fatal("a delta ended the run")
		}
		if want := []string{"Your busiest ", "Your busiest hour is 14."}[i]; out.String() != want {
			t.Fatalf("after delta %d: %q", i, out.String())
		}
	}
	done, err := show(client.Event{Type: "run_completed", RunID: "run_x", Data: []byte(`{"output":{"markdown":"Your busiest hour is 14."}}`)}, func(string, ...any) {}, &out, &streamed)
	if !done || err != nil || out.String() != "Your busiest hour is 14.\n" {
		t.Fatalf("done %v %v, printed %q", done, err, out.String())
	}
}

// TestEvalCommand: `netra eval` runs the set in process and prints a score per kind. The
// whole set runs in node.TestEvaluationSet; here the first 5 cases are enough.
func TestEvalCommand(t *testing.T) {
	var out bytes.Buffer
	if err := evalCmd([]string{"--limit", "5"}, &out); err != nil {
		t.Fatalf("eval: %v\n%s", err, out.String())
	}
	for _, want := range []string{"5 of 5 cases passed", "figure"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("eval output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestEvalAgainstAProvider: `netra eval --provider openai --base-url …` runs the set with the
// in-process server on that model (here the fake, which classifies every question as a spend
// figure): the model is asked, and the set is scored.
func TestEvalAgainstAProvider(t *testing.T) {
	fake := modeltest.NewOpenAI(t, modeltest.ScriptedOpenAI)
	var out bytes.Buffer
	err := evalCmd([]string{"--limit", "3", "--provider", "openai", "--model", "fake-model", "--base-url", fake.URL}, &out)
	if err != nil && err != exitCode(1) {
		t.Fatalf("eval: %v\n%s", err, out.String())
	}
	if len(fake.Requests()) == 0 || fake.Requests()[0].Model != "fake-model" || !strings.Contains(out.String(), "of 3 cases passed") {
		t.Fatalf("%d requests to the model; output:\n%s", len(fake.Requests()), out.String())
	}
}

// TestReadModelConfig: overrides by agent, each with its provider's key from the environment;
// an unknown field is an error, not a silent default.
func TestReadModelConfig(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
	dir := t.TempDir()
	good := dir + "/models.json"
	if err := os.WriteFile(good, []byte(`{"agents":{"triage":{"model":"gpt-4o-mini"},"analyst":{"provider":"anthropic","model":"claude-sonnet-4"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := readModelConfig(good)
	if err != nil || m["triage"].Model != "gpt-4o-mini" || m["triage"].APIKey != "" || m["analyst"].APIKey != "sk-ant-from-env" {
		t.Fatalf("%+v %v", m, err)
	}
	bad := dir + "/bad.json"
	if err := os.WriteFile(bad, []byte(`{"agents":{"triage":{"modle":"gpt-4o-mini"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readModelConfig(bad); err == nil || !strings.Contains(err.Error(), "modle") {
		t.Fatalf("a misspelt field: %v", err)
	}
}
