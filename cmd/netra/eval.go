package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/eval"
	"github.com/netra-ai/netra/node"
)

// evalCmd runs `netra eval`: the agents' evaluation set against a server (--url) or one in
// this process, with a score per kind of answer. It exits 1 under 95%.
func evalCmd(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	url := fs.String("url", "", "server to evaluate (default: start one in this process)")
	dataDir := fs.String("data-dir", envOr("NETRA_DATA_DIR", "./netra-data"), "the server's data dir, for its secret (with --url)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	limit := fs.Int("limit", 0, "ask only the first N cases (0: all)")
	provider := fs.String("provider", envOr("NETRA_MODEL_PROVIDER", "offline"), "the in-process server's model provider: offline, openai or anthropic (NETRA_MODEL_PROVIDER)")
	modelName := fs.String("model", envOr("NETRA_MODEL", ""), "its model (NETRA_MODEL)")
	baseURL := fs.String("base-url", envOr("NETRA_MODEL_BASE_URL", ""), "its provider's base URL (NETRA_MODEL_BASE_URL)")
	freeForm := fs.String("free-form", "auto", "ask the free-form questions that need a model that calls tools (the analyst): yes, no, or auto (yes with a model provider other than offline, no with --url)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var secret []byte
	remote := *url != ""
	if *url == "" {
		mc := node.ModelConfig{Provider: *provider, Model: *modelName, BaseURL: *baseURL, APIKey: modelKey(*provider)}
		n, s, cleanup, err := startLocal(ctx, node.Config{Model: mc})
		if err != nil {
			return err
		}
		defer cleanup()
		*url, secret = n.URL(), s
	} else {
		s, err := secretFor(*dataDir)
		if err != nil {
			return err
		}
		secret = s
	}
	// A user of its own, so that its data meets nobody's.
	user := fmt.Sprintf("eval-%d", time.Now().UnixNano())
	tok, err := auth.Sign(secret, netra.Identity{UserID: user, Tier: netra.TierEnterprise, Role: netra.RoleUser}, time.Hour, envOr("NETRA_JWT_ISSUER", ""))
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	recs, err := eval.Dataset(now)
	if err != nil {
		return err
	}
	body, err := eval.JSONL(recs)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *url+"/v1/workloads/records", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("eval: uploading the dataset: %w", err)
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("eval: uploading the dataset: %s %s", resp.Status, msg)
	}
	cases := eval.Cases(recs, now)
	if *freeForm == "yes" || (*freeForm == "auto" && *provider != "offline" && !remote) {
		cases = append(cases, eval.QuestionCases(recs, now)...)
	}
	if *limit > 0 && *limit < len(cases) {
		cases = cases[:*limit]
	}
	rep, err := eval.Run(ctx, client.New(*url, tok), cases)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeIndented(out, rep); err != nil {
			return err
		}
	} else {
		kinds := make([]string, 0, len(rep.ByKind))
		for k := range rep.ByKind {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		fmt.Fprintf(out, "%d of %d cases passed (%.1f%%) in %.1f s over %d records\n", rep.Passed, rep.Total, 100*float64(rep.Passed)/float64(rep.Total), rep.Seconds, len(recs))
		for _, k := range kinds {
			s := rep.ByKind[k]
			fmt.Fprintf(out, "  %-12s %d/%d", k, s.Passed, s.Total)
			if s.Usage.ModelCalls > 0 {
				n := float64(s.Total)
				fmt.Fprintf(out, "  per question: %.1f model calls, %.0f input and %.0f output tokens, $%.4f",
					float64(s.Usage.ModelCalls)/n, float64(s.Usage.InputTokens)/n, float64(s.Usage.OutputTokens)/n, s.Usage.CostUSD/n)
			}
			fmt.Fprintln(out)
		}
		for _, f := range rep.Failures {
			fmt.Fprintf(out, "\nFAILED %q (%s)\n  missing %q\n  unwanted %q %s\n", f.Case.Question, f.Case.Kind, f.Missing, f.Unwanted, f.Error)
		}
	}
	if rep.Passed*100 < rep.Total*95 {
		return exitCode(1)
	}
	return nil
}
