package node_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/node"
)

func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxT(t), "GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetrics: /metrics needs an admin token on the API address, or a separate listener;
// it reports runs by status and tier, queue waits, run and event latencies, tool and model
// call outcomes, refusals, and the isolation violations counter.
func TestMetrics(t *testing.T) {
	t.Parallel()
	h := start(t, func(c *node.Config) { c.MetricsAddr = "127.0.0.1:0" })
	alice := h.client("alice")
	finishedRun(t, alice, "count me")
	rawHTTP(t, "GET", h.url+"/v1/me", "forged", "", nil)
	if status, _ := scrape(t, h.url+"/metrics", h.token("alice", netra.TierFree)); status != 403 {
		t.Fatalf("metrics as a user = %d", status)
	}
	if status, _ := scrape(t, h.url+"/metrics", ""); status != 401 {
		t.Fatalf("metrics without a token = %d", status)
	}
	status, body := scrape(t, h.url+"/metrics", adminToken(t))
	if status != 200 {
		t.Fatalf("metrics as an admin = %d", status)
	}
	for _, want := range []string{
		`netra_runs_ended_total{status="completed",tier="free"} 1`,
		`netra_tool_calls_total{outcome="ok",tool="echo"} 1`,
		`netra_queue_wait_seconds_count{tier="free"} 1`,
		`netra_run_duration_seconds_count{agent="echo"} 1`,
		`netra_event_latency_seconds_count`,
		`netra_auth_failures_total 2`, // the forged token and the scrape without one
		`netra_isolation_violations_total 0`,
		`netra_runs_queued 0`,
		`netra_runs_accepted_total{tier="free"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	status, body = scrape(t, h.n.MetricsURL(), "")
	if status != 200 || !strings.Contains(body, "netra_isolation_violations_total 0") {
		t.Fatalf("separate metrics listener = %d", status)
	}
}
