package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/netra-ai/netra/client"
)

// uploadCmd runs `netra upload FILE...`: each file is streamed to POST /v1/workloads/records
// with its progress, then the server's counts. An upload is all or nothing on the server
// (staged, then committed), so running the command again after an interruption completes it;
// records with ids are never stored twice.
func uploadCmd(args []string, out, progress io.Writer) error {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	baseURL := fs.String("url", envOr("NETRA_URL", ""), "server URL (NETRA_URL); default http://<NETRA_ADDR or 127.0.0.1:8080>")
	tok := fs.String("token", envOr("NETRA_TOKEN", ""), "bearer token (NETRA_TOKEN)")
	key := fs.String("key", envOr("NETRA_KEY", ""), "an ingestion key (NETRA_KEY; POST /v1/keys), instead of a token")
	userID := fs.String("user", "", "user for a local token when neither token nor key is given")
	dataDir := fs.String("data-dir", envOr("NETRA_DATA_DIR", "./netra-data"), "where a local server keeps its secret, for local tokens")
	format := fs.String("format", "", "jsonl, csv or otlp (OTLP/JSON); default: by the file's extension (.jsonl/.ndjson, .csv, .json)")
	partial := fs.Bool("partial", false, "store the good lines of a file with bad ones (default: a bad line stores nothing)")
	files, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitCode(0)
	}
	if err != nil {
		return exitCode(2)
	}
	if len(files) == 0 {
		return errors.New("upload: name the files, e.g. netra upload usage.jsonl")
	}
	if *baseURL == "" {
		*baseURL = "http://" + envOr("NETRA_ADDR", "127.0.0.1:8080")
	}
	cred := *key
	if cred == "" {
		cred = *tok
	}
	if cred == "" {
		if cred, err = localToken(*dataDir, *userID); err != nil {
			return fmt.Errorf("upload: no credential: set NETRA_TOKEN or NETRA_KEY, or pass --token or --key (%w)", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c := client.New(*baseURL, cred)
	failed := 0
	for _, f := range files {
		if err := uploadFile(ctx, c, f, *format, *partial, out, progress); err != nil {
			fmt.Fprintf(out, "%s: %v\n", f, err)
			failed++
		}
	}
	if failed > 0 {
		return exitCode(1)
	}
	return nil
}

// contentTypes are the upload formats' Content-Types.
func contentTypes() map[string]string {
	return map[string]string{"jsonl": "application/x-ndjson", "csv": "text/csv", "otlp": "application/json"}
}

func formatOf(path, given string) (string, error) {
	if given != "" {
		if _, ok := contentTypes()[given]; !ok {
			return "", fmt.Errorf("--format must be jsonl, csv or otlp, not %q", given)
		}
		return given, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return "jsonl", nil
	case ".csv":
		return "csv", nil
	case ".json":
		return "otlp", nil
	}
	return "", errors.New("cannot tell the format from the extension: give --format jsonl, csv or otlp")
}

type uploadAnswer struct {
	Accepted   int64 `json:"accepted"`
	Duplicates int64 `json:"duplicates"`
	Rejected   int64 `json:"rejected"`
	Errors     []struct {
		Line    int    `json:"line"`
		Message string `json:"message"`
	} `json:"errors"`
}

func uploadFile(ctx context.Context, c *client.Client, path, given string, partial bool, out, progress io.Writer) error {
	format, err := formatOf(path, given)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	meter := &meter{r: f, total: st.Size(), name: filepath.Base(path), start: time.Now(), lines: format != "otlp"}
	done := meter.show(progress)
	url := c.URL() + "/v1/workloads/records"
	if partial {
		url += "?partial=true"
	}
	req, err := http.NewRequestWithContext(ctx, "POST", url, meter)
	if err != nil {
		done()
		return err
	}
	req.ContentLength = st.Size()
	req.Header.Set("Content-Type", contentTypes()[format])
	req.Header.Set("Authorization", "Bearer "+c.Token())
	resp, err := http.DefaultClient.Do(req)
	done()
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted: nothing of this file is stored; run the command again to upload it")
		}
		return errors.New(connectHint(c, err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var ans uploadAnswer
	var apiErr struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Errors  []struct {
				Line    int    `json:"line"`
				Message string `json:"message"`
			} `json:"errors"`
		} `json:"error"`
	}
	took := time.Since(meter.start)
	switch {
	case resp.StatusCode == http.StatusCreated && json.Unmarshal(body, &ans) == nil:
		fmt.Fprintf(out, "%s: %s accepted, %s duplicates, %s rejected in %.1f s (%s records/s)\n", path,
			thousands(ans.Accepted), thousands(ans.Duplicates), thousands(ans.Rejected), took.Seconds(),
			thousands(int64(float64(ans.Accepted+ans.Duplicates)/max(took.Seconds(), 1e-3))))
		for i, e := range ans.Errors {
			if i == 5 {
				fmt.Fprintf(out, "  … %d more\n", len(ans.Errors)-5)
				break
			}
			fmt.Fprintf(out, "  line %d: %s\n", e.Line, e.Message)
		}
		return nil
	case json.Unmarshal(body, &apiErr) == nil && apiErr.Error.Message != "":
		var b strings.Builder
		b.WriteString(apiErr.Error.Message)
		for i, e := range apiErr.Error.Errors {
			if i == 5 {
				fmt.Fprintf(&b, "\n  … %d more", len(apiErr.Error.Errors)-5)
				break
			}
			fmt.Fprintf(&b, "\n  line %d: %s", e.Line, e.Message)
		}
		if resp.StatusCode == http.StatusUnauthorized {
			return errors.New(connectHint(c, &client.APIError{Status: 401, Message: apiErr.Error.Message}))
		}
		return errors.New(b.String())
	}
	return fmt.Errorf("the server answered %s: %s", resp.Status, bytes.TrimSpace(body))
}

// meter counts what is read of a file, and its lines (records, for JSONL and CSV).
type meter struct {
	r     io.Reader
	total int64
	name  string
	start time.Time
	lines bool
	read  atomic.Int64
	nl    atomic.Int64
}

func (m *meter) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.read.Add(int64(n))
	if m.lines {
		m.nl.Add(int64(bytes.Count(p[:n], []byte{'\n'})))
	}
	return n, err
}

// show reports progress until the returned func is called: a bar redrawn in place on a
// terminal, a plain line every 10% (or 5 s) otherwise.
func (m *meter) show(w io.Writer) (done func()) {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		every := 5 * time.Second
		if tty {
			every = 200 * time.Millisecond
		}
		t := time.NewTicker(min(every, 200*time.Millisecond))
		defer t.Stop()
		lastPlain, lastShare := time.Now(), 0.0
		for {
			select {
			case <-stop:
				if tty {
					fmt.Fprintf(w, "\r%s\r", strings.Repeat(" ", 79))
				}
				return
			case <-t.C:
			}
			line, share := m.line(tty)
			switch {
			case tty:
				fmt.Fprintf(w, "\r%-79s", line)
			case time.Since(lastPlain) >= every || share-lastShare >= 0.1:
				fmt.Fprintln(w, line)
				lastPlain, lastShare = time.Now(), share
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
	}
}

// line is one progress report: bytes, records a second, time left.
func (m *meter) line(bar bool) (string, float64) {
	read, el := m.read.Load(), time.Since(m.start).Seconds()
	share := 0.0
	if m.total > 0 {
		share = float64(read) / float64(m.total)
	}
	var b strings.Builder
	b.WriteString(m.name)
	if bar {
		const width = 20
		fill := int(share * width)
		fmt.Fprintf(&b, " [%s%s]", strings.Repeat("=", fill), strings.Repeat(" ", width-fill))
	}
	fmt.Fprintf(&b, " %3.0f%% %s of %s", share*100, megabytes(read), megabytes(m.total))
	if m.lines && el > 0 {
		fmt.Fprintf(&b, ", %s records/s", thousands(int64(float64(m.nl.Load())/el)))
	}
	if share > 0 && share < 1 {
		left := time.Duration(el/share*(1-share)) * time.Second
		fmt.Fprintf(&b, ", %s left", left.Round(time.Second))
	} else if share >= 1 {
		b.WriteString(", waiting for the server")
	}
	return b.String(), share
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// thousands writes n with thin separators: 1,000,000.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
