package node_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
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
			Type  string `json:"type"`
			Title string `json:"title"`
			Scope struct {
				Model, Route, Provider string
			} `json:"scope"`
			MonthlySavingsUSD  float64 `json:"monthly_savings_usd"`
			CombinedSavingsUSD float64 `json:"combined_savings_usd"`
			Confidence         string  `json:"confidence"`
		} `json:"recommendations"`
		MonthlySpendUSD      float64 `json:"monthly_spend_usd"`
		MonthlySavingsUSD    float64 `json:"monthly_savings_usd"`
		MinorRecommendations struct {
			Count             int     `json:"count"`
			MonthlySavingsUSD float64 `json:"monthly_savings_usd"`
		} `json:"minor_recommendations"`
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

// fixtureRecord is one record the test writes itself, with its own cost, so that the expected
// totals owe nothing to the project's parser, price table or storage.
type fixtureRecord struct {
	ID           string    `json:"id"`
	TS           time.Time `json:"ts"`
	Model        string    `json:"model"`
	Route        string    `json:"route"`
	InputTokens  int64     `json:"input_tokens"`
	OutputTokens int64     `json:"output_tokens"`
	LatencyMS    float64   `json:"latency_ms"`
	Status       string    `json:"status"`
	CostUSD      float64   `json:"cost_usd"`
}

// goldenFixture makes records over the 40 days before now, a few a day on three models and
// two routes. None lies within two hours of a whole-day boundary back from now, so a window of
// whole days taken a little later than now holds exactly the same records.
func goldenFixture(now time.Time, seed int64) []fixtureRecord {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet"}
	routes := []string{"support-chat", "summarize"}
	var out []fixtureRecord
	for day := 0; day < 40; day++ {
		for k := 0; k < 6; k++ {
			age := time.Duration(day)*24*time.Hour + 2*time.Hour + time.Duration(rng.Int64N(int64(20*time.Hour)))
			in, outTok := 200+rng.Int64N(4000), 50+rng.Int64N(800)
			m := models[rng.IntN(len(models))]
			status := "ok"
			if rng.IntN(20) == 0 {
				status = "error"
			}
			out = append(out, fixtureRecord{ID: fmt.Sprintf("fx-%d-%d-%d", seed, day, k), TS: now.Add(-age).Truncate(time.Second),
				Model: m, Route: routes[rng.IntN(len(routes))], InputTokens: in, OutputTokens: outTok,
				LatencyMS: float64(300 + rng.IntN(3000)), Status: status,
				// Cents as integers, so that sums are exact whatever their order.
				CostUSD: float64(1+rng.Int64N(5000)) / 100_000})
		}
	}
	return out
}

// TestGoldenPath is the acceptance test of the optimization workflow: two users at once, each
// asks before having data; one uploads records the test wrote itself and asks about the last
// 14 days, the other generates a demo dataset and asks again.
//
// Shown to catch: a triage that analyses a third of the asked window (the totals, taken from
// the test's own records in the window the question names, on the test's clock, disagree).
func TestGoldenPath(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	var mu sync.Mutex
	runsOf := map[string]map[string]bool{}
	remember := func(user string, evs ...[]client.Event) {
		mu.Lock()
		defer mu.Unlock()
		if runsOf[user] == nil {
			runsOf[user] = map[string]bool{}
		}
		for _, list := range evs {
			for _, e := range list {
				runsOf[user][e.RunID] = true
			}
		}
	}
	noData := func(user string, c *client.Client, conn *client.Conn) []client.Event {
		evs, first := ask(t, c, conn, "how can I reduce my LLM costs?")
		if got := agentsIn(evs); got != "supervisor,triage,data_helper,reporting" {
			t.Errorf("%s, no data: agents %s", user, got)
		}
		if first.Report.Sufficiency != "insufficient" || first.Report.Totals.Requests != 0 || first.Report.SpendByModel == nil ||
			first.Report.Recommendations == nil || !strings.Contains(first.Markdown, "usage data") || !strings.Contains(first.Markdown, "demo dataset") {
			t.Errorf("%s, no data: %+v", user, first)
		}
		// Its commands work as pasted: this server's URL and a token for this user.
		if !strings.Contains(first.Markdown, h.url+"/v1/workloads/records") || !strings.Contains(first.Markdown, "netra token --user "+user) ||
			strings.Contains(first.Markdown, "$NETRA_URL") {
			t.Errorf("%s, no data: the upload command is not paste-ready:\n%s", user, first.Markdown)
		}
		return evs
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // ann: her own records, a question about the last 14 days
		defer wg.Done()
		const user = "golden-ann"
		c := h.client(user)
		conn := h.connect(c, client.ConnOptions{})
		evs := noData(user, c, conn)
		fixture := goldenFixture(time.Now().UTC(), 1)
		var body bytes.Buffer
		enc := json.NewEncoder(&body)
		for _, r := range fixture {
			if err := enc.Encode(r); err != nil {
				t.Error(err)
				return
			}
		}
		status, up, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/records", h.token(user, "free"), body.String(), map[string]string{"Content-Type": "application/x-ndjson"})
		if status != 201 || up["accepted"] != float64(len(fixture)) {
			t.Errorf("upload: %d %v", status, up)
			return
		}
		// A day her records do not reach: said so, with the days they do cover.
		first, last := fixture[0].TS, fixture[0].TS
		for _, r := range fixture {
			if r.TS.Before(first) {
				first = r.TS
			}
			if r.TS.After(last) {
				last = r.TS
			}
		}
		evsNone, none := ask(t, c, conn, "how much did I spend on 2020-01-01?")
		if want := fmt.Sprintf("# No records on 2020-01-01 (UTC)\n\n## About your data\n\nYou have %d records stored, from %s to %s (UTC), but none on 2020-01-01 (UTC).",
			len(fixture), first.UTC().Format(time.DateOnly), last.UTC().Format(time.DateOnly)); !strings.Contains(none.Markdown, want) {
			t.Errorf("%s, a day without records:\n%s\nwant it to hold:\n%s", user, none.Markdown, want)
		}
		before := time.Now().UTC()
		evs2, rep := ask(t, c, conn, "How can I reduce my LLM costs over the last 14 days?")
		after := time.Now().UTC()
		remember(user, evs, evsNone, evs2)
		if got := agentsIn(evs2); got != "supervisor,triage,data,optimization,actions,reporting" {
			t.Errorf("%s, with data: agents %s", user, got)
		}
		// The window the question names, on the test's clock.
		w := rep.Report.Window
		if w.To.Before(before) || w.To.After(after) || w.To.Sub(w.From) != 14*24*time.Hour {
			t.Errorf("%s: window %v – %v, want the 14 days ending between %v and %v", user, w.From, w.To, before, after)
		}
		var n, in, out int64
		var cost float64
		byModel := map[string]float64{}
		for _, r := range fixture {
			if r.TS.After(before.Add(-14*24*time.Hour)) && !r.TS.After(before) {
				n++
				in += r.InputTokens
				out += r.OutputTokens
				cost += r.CostUSD
				byModel[r.Model] += r.CostUSD
			}
		}
		tot := rep.Report.Totals
		if n < 50 || tot.Requests != n || tot.InputTokens != in || tot.OutputTokens != out || math.Abs(tot.CostUSD-cost) > 1e-6 {
			t.Errorf("%s: report totals %+v; the records of the last 14 days: %d requests, %d in, %d out, $%.6f", user, tot, n, in, out, cost)
		}
		if len(rep.Report.SpendByModel) != len(byModel) {
			t.Errorf("%s: spend by model %+v, want %v", user, rep.Report.SpendByModel, byModel)
		}
		for _, m := range rep.Report.SpendByModel {
			if math.Abs(m.CostUSD-byModel[m.Model]) > 1e-6 {
				t.Errorf("%s: %s spend %v, its records in the window say %v", user, m.Model, m.CostUSD, byModel[m.Model])
			}
		}
		if len(rep.Report.Recommendations) == 0 {
			t.Errorf("%s: no recommendation", user)
		}
		// Savings add up: combined, never more than the spend; each scoped where it acts.
		combined := rep.Report.MinorRecommendations.MonthlySavingsUSD
		for _, r := range rep.Report.Recommendations {
			combined += r.CombinedSavingsUSD
			if r.CombinedSavingsUSD > r.MonthlySavingsUSD+0.005 {
				t.Errorf("%s: %s adds %v after the others, more than its %v alone", user, r.Type, r.CombinedSavingsUSD, r.MonthlySavingsUSD)
			}
			if (r.Type == "model_routing" || r.Type == "prompt_caching" || r.Type == "batching") && r.Scope.Model == "" {
				t.Errorf("%s: %s without a model in its scope", user, r.Type)
			}
			if r.Type != "latency" && r.MonthlySavingsUSD < 0.005*rep.Report.MonthlySpendUSD {
				t.Errorf("%s: %s saves %v of %v: a minor item listed on its own", user, r.Type, r.MonthlySavingsUSD, rep.Report.MonthlySpendUSD)
			}
		}
		if s := rep.Report.MonthlySavingsUSD; s <= 0 || s > rep.Report.MonthlySpendUSD || math.Abs(s-combined) > 0.01*float64(len(rep.Report.Recommendations)) {
			t.Errorf("%s: savings %v of a spend of %v; the recommendations add %v", user, s, rep.Report.MonthlySpendUSD, combined)
		}
		for _, want := range []string{"## Spend", "## Recommendations", "## Action plan", fmt.Sprintf("%d requests", n), "combined, not summed", "Prices as of 20"} {
			if !strings.Contains(rep.Markdown, want) {
				t.Errorf("%s: markdown lacks %q", user, want)
			}
		}
	}()
	go func() { // ben: a demo dataset, and the default window
		defer wg.Done()
		const user = "golden-ben"
		c := h.client(user)
		conn := h.connect(c, client.ConnOptions{})
		evs := noData(user, c, conn)
		evs2, gen := ask(t, c, conn, "generate a demo dataset for 20 days of a coding assistant")
		if got := agentsIn(evs2); got != "supervisor,triage,synthetic_data,reporting" || !strings.Contains(gen.Markdown, "Demo data ready") {
			t.Errorf("%s, demo: agents %s, %q", user, got, gen.Markdown)
		}
		before := time.Now().UTC()
		evs3, rep := ask(t, c, conn, "how can I reduce my LLM costs?")
		remember(user, evs, evs2, evs3)
		if got := agentsIn(evs3); got != "supervisor,triage,data,optimization,actions,reporting" {
			t.Errorf("%s, with data: agents %s", user, got)
		}
		// A question without a window means the last 30 days, on the test's clock.
		if w := rep.Report.Window; w.To.Before(before) || w.To.Sub(w.From) != 30*24*time.Hour {
			t.Errorf("%s: window %v – %v, want the last 30 days", user, w.From, w.To)
		}
		n, in, out, cost := independentTotals(t, h.dir, user, rep.Report.Window)
		tot := rep.Report.Totals
		if n == 0 || tot.Requests != n || tot.InputTokens != in || tot.OutputTokens != out || math.Abs(tot.CostUSD-cost) > 1e-6 {
			t.Errorf("%s: report totals %+v, stored records say %d requests, %d in, %d out, $%.6f", user, tot, n, in, out, cost)
		}
		var bySum float64
		for _, m := range rep.Report.SpendByModel {
			bySum += m.CostUSD
		}
		if math.Abs(bySum-cost) > 1e-6 || len(rep.Report.Recommendations) == 0 {
			t.Errorf("%s: spend by model sums to %v, want %v; %d recommendations", user, bySum, cost, len(rep.Report.Recommendations))
		}
	}()
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
	// The two users' data stay apart.
	var ann, ben struct {
		Records int64 `json:"records"`
	}
	if err := h.client("golden-ann").Do(ctxT(t), "GET", "/v1/workloads/summary", nil, &ann); err != nil || ann.Records != 240 {
		t.Fatalf("ann's summary %+v %v, want her 240 records", ann, err)
	}
	if err := h.client("golden-ben").Do(ctxT(t), "GET", "/v1/workloads/summary", nil, &ben); err != nil || ben.Records == 0 || ben.Records == ann.Records {
		t.Fatalf("ben's summary %+v %v", ben, err)
	}
	h.waitIdle()
}

// TestAnswersShapedByTheQuestion: a greeting, a question outside the data and three figure
// questions each get their own answer, scoped to what they name, with the figures computed
// here from the records the test wrote; none of them gets the optimization report.
func TestAnswersShapedByTheQuestion(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	const user = "shape-sam"
	c := h.client(user)
	conn := h.connect(c, client.ConnOptions{})
	fixture := goldenFixture(time.Now().UTC(), 2)
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, r := range fixture {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if status, up, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/records", h.token(user, "free"), body.String(), map[string]string{"Content-Type": "application/x-ndjson"}); status != 201 {
		t.Fatalf("upload: %d %v", status, up)
	}
	inWindow := func(days int, keep func(fixtureRecord) bool) []fixtureRecord {
		from := time.Now().UTC().Add(-time.Duration(days) * 24 * time.Hour)
		var out []fixtureRecord
		for _, r := range fixture {
			if r.TS.After(from) && keep(r) {
				out = append(out, r)
			}
		}
		return out
	}
	all := func(fixtureRecord) bool { return true }
	noReport := func(q string, evs []client.Event, rep report, agents string) {
		t.Helper()
		if got := agentsIn(evs); got != agents {
			t.Errorf("%q: agents %s, want %s", q, got, agents)
		}
		if strings.Contains(rep.Markdown, "## Recommendations") || len(rep.Report.Recommendations) != 0 {
			t.Errorf("%q got recommendations:\n%s", q, rep.Markdown)
		}
	}

	q := "hello"
	evs, rep := ask(t, c, conn, q)
	noReport(q, evs, rep, "supervisor,triage,reporting")
	if n := len(inWindow(30, all)); !strings.Contains(rep.Markdown, fmt.Sprintf("You have %d records in the last 30 days", n)) || !strings.Contains(rep.Markdown, "Questions worth asking") ||
		strings.Contains(rep.Markdown, "cannot answer") {
		t.Errorf("%q:\n%s", q, rep.Markdown)
	}
	q = "what's the weather in Paris?"
	evs, rep = ask(t, c, conn, q)
	noReport(q, evs, rep, "supervisor,triage,reporting")
	if !strings.Contains(rep.Markdown, "cannot answer") {
		t.Errorf("%q does not say it is out of scope:\n%s", q, rep.Markdown)
	}

	// Which model costs the most in the last 14 days.
	q = "Which model costs me the most in the last 14 days?"
	evs, rep = ask(t, c, conn, q)
	noReport(q, evs, rep, "supervisor,triage,data,reporting")
	spend := map[string]float64{}
	for _, r := range inWindow(14, all) {
		spend[r.Model] += r.CostUSD
	}
	top := ""
	for m, v := range spend {
		if top == "" || v > spend[top] {
			top = m
		}
	}
	if want := fmt.Sprintf("**%s** costs you the most in the last 14 days: $%.2f", top, spend[top]); !strings.HasPrefix(rep.Markdown, want) {
		t.Errorf("%q: want the answer first, %q:\n%s", q, want, rep.Markdown)
	}

	// The error rate of one route: that route's records only.
	q = "What's my error rate on route support-chat in the last 14 days?"
	evs, rep = ask(t, c, conn, q)
	noReport(q, evs, rep, "supervisor,triage,data,reporting")
	route := inWindow(14, func(r fixtureRecord) bool { return r.Route == "support-chat" })
	failed := 0
	for _, r := range route {
		if r.Status == "error" {
			failed++
		}
	}
	if want := fmt.Sprintf("Your error rate on route support-chat in the last 14 days is **%.2f%%**: %d of %d requests failed", 100*float64(failed)/float64(len(route)), failed, len(route)); !strings.HasPrefix(rep.Markdown, want) {
		t.Errorf("%q: want %q:\n%s", q, want, rep.Markdown)
	}

	// Follow-ups in that thread keep its scope unless they name another.
	errorRate := func(days int, route string) string {
		rs := inWindow(days, func(r fixtureRecord) bool { return r.Route == route })
		failed := 0
		for _, r := range rs {
			if r.Status == "error" {
				failed++
			}
		}
		return fmt.Sprintf("Your error rate on route %s in the last %d days is **%.2f%%**: %d of %d requests failed", route, days, 100*float64(failed)/float64(len(rs)), failed, len(rs))
	}
	thread := evs[0].ThreadID
	for _, f := range []struct{ q, want string }{
		{"and for the last 7 days?", errorRate(7, "support-chat")},
		{"what about summarize?", errorRate(7, "summarize")},
	} {
		acc, err := conn.Start(ctxT(t), client.StartRun{Input: f.q, ThreadID: thread})
		if err != nil {
			t.Fatal(err)
		}
		fevs := collect(t, conn, 60*time.Second, terminalsFor(map[string]bool{acc.RunID: true}))
		var out struct {
			Output report `json:"output"`
		}
		if last := fevs[len(fevs)-1]; last.Type != "run_completed" || json.Unmarshal(last.Data, &out) != nil {
			t.Fatalf("%q ended %s %s", f.q, last.Type, last.Data)
		}
		if !strings.HasPrefix(out.Output.Markdown, f.want) {
			t.Errorf("follow-up %q: want %q:\n%s", f.q, f.want, out.Output.Markdown)
		}
	}

	// The p95 latency of another route, nearest rank.
	q = "What is the p95 latency of summarize in the last 14 days?"
	evs, rep = ask(t, c, conn, q)
	noReport(q, evs, rep, "supervisor,triage,data,reporting")
	var lat []float64
	for _, r := range inWindow(14, func(r fixtureRecord) bool { return r.Route == "summarize" }) {
		lat = append(lat, r.LatencyMS)
	}
	slices.Sort(lat)
	p95 := lat[int(math.Ceil(0.95*float64(len(lat))))-1]
	if want := fmt.Sprintf("**p95 %.0f ms**, ", p95); !strings.Contains(rep.Markdown, want) || !strings.HasPrefix(rep.Markdown, "Latency on route summarize in the last 14 days") {
		t.Errorf("%q: want %q:\n%s", q, want, rep.Markdown)
	}
	// A performance question about a route named loosely, against the user's target.
	q = "why is my support bot slow? I want p95 under 1 s"
	evs, rep = ask(t, c, conn, q)
	noReport(q, evs, rep, "supervisor,triage,data,reporting")
	lat = lat[:0]
	for _, r := range inWindow(30, func(r fixtureRecord) bool { return r.Route == "support-chat" }) {
		lat = append(lat, r.LatencyMS)
	}
	slices.Sort(lat)
	p95 = lat[int(math.Ceil(0.95*float64(len(lat))))-1]
	want := fmt.Sprintf("p95 latency on route support-chat in the last 30 days is **%.0f ms**", p95)
	if p95 > 1000 {
		want += fmt.Sprintf(", over your 1000 ms target by %.0f ms", p95-1000)
	}
	if !strings.HasPrefix(rep.Markdown, want) || !strings.Contains(rep.Markdown, "## What drives it") || !strings.Contains(rep.Markdown, "## What would bring it down") {
		t.Errorf("%q: want %q:\n%s", q, want, rep.Markdown)
	}
	h.waitIdle()
}
