package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/netra-ai/netra/client"
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

// startWithToken signs a token with `netra token` (making the data directory's secret), then
// starts a node on that directory, as a user of a fresh machine would.
func startWithToken(t *testing.T) (*node.Node, *client.Client, string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("NETRA_JWT_SECRET", "")
	var tok bytes.Buffer
	if err := token([]string{"--user", "alice", "--data-dir", dir}, &tok); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, err := node.New(ctx, node.Config{Addr: "127.0.0.1:0", DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return n, client.New(n.URL(), strings.TrimSpace(tok.String())), dir
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
