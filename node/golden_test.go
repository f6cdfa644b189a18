package node_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/workload"
)

type report struct {
	Markdown string `json:"markdown"`
	Report   struct {
		Window workload.Window `json:"window"`
		Totals struct {
			Requests     int64   `json:"requests"`
			CostUSD      float64 `json:"cost_usd"`
			InputTokens  int64   `json:"input_tokens"`
			OutputTokens int64   `json:"output_tokens"`
		} `json:"totals"`
		SpendByModel []struct {
			Model    string  `json:"model"`
			Requests int64   `json:"requests"`
			CostUSD  float64 `json:"cost_usd"`
		} `json:"spend_by_model"`
		Recommendations []struct {
			Type              string  `json:"type"`
			Title             string  `json:"title"`
			MonthlySavingsUSD float64 `json:"monthly_savings_usd"`
			Confidence        string  `json:"confidence"`
		} `json:"recommendations"`
		Sufficiency string `json:"sufficiency"`
	} `json:"report"`
}

// ask runs the supervisor on conn and returns the run's events and its output.
func ask(t *testing.T, c *client.Client, conn *client.Conn, question string) ([]client.Event, report) {
	t.Helper()
	acc, err := conn.Start(ctxT(t), client.StartRun{Input: question})
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, conn, 60*time.Second, terminalsFor(map[string]bool{acc.RunID: true}))
	var mine []client.Event
	for _, e := range evs {
		if e.RunID == acc.RunID {
			mine = append(mine, e)
		}
	}
	last := mine[len(mine)-1]
	if last.Type != "run_completed" {
		t.Fatalf("%q ended with %s %s", question, last.Type, last.Data)
	}
	var out struct {
		Output report `json:"output"`
	}
	if err := json.Unmarshal(last.Data, &out); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Messages(ctxT(t), acc.ThreadID)
	if err != nil || len(msgs) != 2 || msgs[1].Role != "assistant" || msgs[1].Content != out.Output.Markdown {
		t.Fatalf("the assistant message is not the markdown: %v %+v", err, msgs)
	}
	return evs, out.Output
}

func agentsIn(evs []client.Event) string {
	var seen []string
	for _, e := range evs {
		if e.Type == "agent_started" {
			seen = append(seen, e.Agent)
		}
	}
	return strings.Join(seen, ",")
}

// independentTotals reads the user's committed records straight from the database file and
// sums those in the window, without the store's or the analyzer's code.
func independentTotals(t *testing.T, dir, owner string, w workload.Window) (n, in, out int64, cost float64) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "netra.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT data FROM workload_chunks WHERE owner = ? AND committed = 1`, owner)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		if err := workload.DecodeChunk(b, func(r *workload.Record) bool {
			if !r.TS.Before(w.From) && !r.TS.After(w.To) {
				n++
				in += r.InputTokens
				out += r.OutputTokens
				cost += r.CostUSD
			}
			return true
		}); err != nil {
			t.Fatal(err)
		}
	}
	return n, in, out, cost
}

// TestGoldenPath is the acceptance test of the optimization workflow: two users at once, each
// asks before having data, generates a demo dataset, and asks again.
func TestGoldenPath(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	users := map[string]string{
		"golden-ann": "generate a demo dataset for 30 days",
		"golden-ben": "generate a demo dataset for 20 days of a coding assistant",
	}
	var mu sync.Mutex
	runsOf := map[string]map[string]bool{}
	var wg sync.WaitGroup
	for user, demo := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := h.client(user)
			conn := h.connect(c, client.ConnOptions{})
			evs, first := ask(t, c, conn, "how can I reduce my LLM costs?")
			if got := agentsIn(evs); got != "supervisor,triage,data_helper,reporting" {
				t.Errorf("%s, no data: agents %s", user, got)
			}
			if first.Report.Sufficiency != "insufficient" || first.Report.Totals.Requests != 0 || first.Report.SpendByModel == nil ||
				first.Report.Recommendations == nil || !strings.Contains(first.Markdown, "usage data") || !strings.Contains(first.Markdown, "demo dataset") {
				t.Errorf("%s, no data: %+v", user, first)
			}
			evs2, gen := ask(t, c, conn, demo)
			if got := agentsIn(evs2); got != "supervisor,triage,synthetic_data,reporting" || !strings.Contains(gen.Markdown, "Demo data ready") {
				t.Errorf("%s, demo: agents %s, %q", user, got, gen.Markdown)
			}
			evs3, rep := ask(t, c, conn, "how can I reduce my LLM costs?")
			if got := agentsIn(evs3); got != "supervisor,triage,data,optimization,actions,reporting" {
				t.Errorf("%s, with data: agents %s", user, got)
			}
			n, in, out, cost := independentTotals(t, h.dir, user, rep.Report.Window)
			tot := rep.Report.Totals
			if n == 0 || tot.Requests != n || tot.InputTokens != in || tot.OutputTokens != out || math.Abs(tot.CostUSD-cost) > 1e-6 {
				t.Errorf("%s: report totals %+v, records say %d requests, %d in, %d out, $%.6f", user, tot, n, in, out, cost)
			}
			var bySum float64
			for _, m := range rep.Report.SpendByModel {
				bySum += m.CostUSD
			}
			if math.Abs(bySum-cost) > 1e-6 || len(rep.Report.Recommendations) == 0 {
				t.Errorf("%s: spend by model sums to %v, want %v; %d recommendations", user, bySum, cost, len(rep.Report.Recommendations))
			}
			for _, want := range []string{"## Spend", "## Recommendations", "## Action plan", fmt.Sprintf("%d requests", n)} {
				if !strings.Contains(rep.Markdown, want) {
					t.Errorf("%s: markdown lacks %q", user, want)
				}
			}
			mu.Lock()
			runsOf[user] = map[string]bool{}
			for _, e := range append(append(evs, evs2...), evs3...) {
				runsOf[user][e.RunID] = true
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	// Each connection saw only its own user's runs.
	for u, runs := range runsOf {
		for v, other := range runsOf {
			if u == v {
				continue
			}
			for r := range runs {
				if other[r] {
					t.Errorf("run %s was seen by %s and %s", r, u, v)
				}
			}
		}
	}
	// The two users' data differ (their demo sets differ) and stay apart.
	c := h.client("golden-ann")
	var sum struct {
		Records int64 `json:"records"`
	}
	if err := c.Do(ctxT(t), "GET", "/v1/workloads/summary", nil, &sum); err != nil || sum.Records == 0 {
		t.Fatalf("summary %+v %v", sum, err)
	}
	var other struct {
		Records int64 `json:"records"`
	}
	_ = h.client("golden-ben").Do(ctxT(t), "GET", "/v1/workloads/summary", nil, &other)
	if other.Records == sum.Records {
		t.Fatalf("both users hold %d records: their demo sets should differ", sum.Records)
	}
	h.waitIdle()
}
