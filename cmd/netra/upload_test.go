package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
)

// writeRecords writes n JSONL records with ids over the last days into a file.
func writeRecords(t *testing.T, n int, bad bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "usage.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	now := time.Now().UTC().Add(-time.Minute)
	for i := range n {
		fmt.Fprintf(w, `{"id":"u%d","ts":%q,"model":"gpt-4o-mini","route":"chat","input_tokens":%d,"output_tokens":50,"latency_ms":%d,"status":"ok"}`+"\n",
			i, now.Add(-time.Duration(i%(7*24*3600))*time.Second).Format(time.RFC3339), 100+i%900, 200+i%800)
		if bad && i == 2 {
			fmt.Fprintln(w, `{"id":"broken","model":"gpt-4o-mini"}`)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUpload: `netra upload` of a million records (30,000 under -race, which makes ingestion 20x slower) shows a
// progress bar on a terminal (a pseudo-terminal here) and plain lines elsewhere, and ends
// with the server's counts; run again it stores nothing twice; a bad line refuses the file
// and names the line, unless --partial; an ingestion key works in place of a token.
func TestUpload(t *testing.T) {
	n, c, dir := startWithToken(t)
	defer stop(n)
	secret, err := auth.LoadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := auth.Sign(secret, netra.Identity{UserID: "ursula", Tier: netra.TierEnterprise, Role: netra.RoleUser}, time.Hour, "")
	records := 1_000_000
	if raceDetector {
		records = 30_000
	}
	path := writeRecords(t, records, false)
	base := []string{"--url", c.URL(), "--token", tok}

	// On a terminal: a bar redrawn in place.
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skip("no pseudo-terminal:", err)
	}
	defer ptmx.Close()
	var screen bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(&screen, ptmx)
	}()
	var out bytes.Buffer
	t0 := time.Now()
	if err := uploadCmd(append(base, path), &out, tty); err != nil {
		t.Fatalf("upload: %v\n%s", err, out.String())
	}
	took := time.Since(t0)
	tty.Close()
	wg.Wait()
	want := fmt.Sprintf("%s accepted, 0 duplicates, 0 rejected", thousands(int64(records)))
	if !strings.Contains(out.String(), want) {
		t.Fatalf("summary %q, want %q", out.String(), want)
	}
	if s := screen.String(); !strings.Contains(s, "\r") || !strings.Contains(s, "usage.jsonl [") || !strings.Contains(s, "records/s") {
		t.Fatalf("no progress bar on the terminal: %q", s)
	}
	t.Logf("%d records in %v: %s", records, took.Round(time.Millisecond), strings.TrimSpace(out.String()))

	// Not a terminal: plain lines; run again, nothing is stored twice.
	var plain bytes.Buffer
	out.Reset()
	t0 = time.Now()
	if err := uploadCmd(append(base, path), &out, &plain); err != nil {
		t.Fatal(err)
	}
	t.Logf("again in %v: %s", time.Since(t0).Round(time.Millisecond), strings.TrimSpace(out.String()))
	if !strings.Contains(out.String(), fmt.Sprintf("0 accepted, %s duplicates", thousands(int64(records)))) {
		t.Fatalf("second run: %s", out.String())
	}
	if p := plain.String(); strings.Contains(p, "\r") || !strings.Contains(p, "usage.jsonl ") || !strings.Contains(p, "%") {
		t.Fatalf("plain progress: %q", p)
	}

	// A bad line: nothing stored and the line named; with --partial the rest is stored.
	bad := writeRecords(t, 5, true)
	out.Reset()
	err = uploadCmd(append(base, bad), &out, io.Discard)
	if ec, ok := err.(exitCode); !ok || ec != 1 || !strings.Contains(out.String(), "line 4: ts is required") || !strings.Contains(out.String(), "nothing stored") {
		t.Fatalf("bad file: %v\n%s", err, out.String())
	}
	// An ingestion key instead of the token; --partial stores the good lines (all duplicates
	// but the ids beyond the first file's... which there are none of: 5 duplicates).
	_, made, err := postKey(c.URL(), tok)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := uploadCmd([]string{"--url", c.URL(), "--key", made, "--partial", bad}, &out, io.Discard); err != nil {
		t.Fatalf("--partial with a key: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "0 accepted, 5 duplicates, 1 rejected") || !strings.Contains(out.String(), "line 4:") {
		t.Fatalf("--partial: %s", out.String())
	}
	// Unknown extension, no format.
	out.Reset()
	if err := uploadCmd(append(base, filepath.Join(t.TempDir(), "x.txt")), &out, io.Discard); err == nil || !strings.Contains(out.String(), "--format") {
		t.Fatalf("unknown extension: %v %s", err, out.String())
	}
}

func postKey(url, tok string) (string, string, error) {
	var k struct{ ID, Key string }
	err := client.New(url, tok).Do(context.Background(), "POST", "/v1/keys", map[string]string{"name": "cli"}, &k)
	return k.ID, k.Key, err
}
