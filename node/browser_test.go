package node_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/server"
)

// browser starts a headless Chromium for the test, or skips when there is none (outside CI:
// under CI=true .ci/run installs Debian's package, and a missing browser fails the test).
func browser(t *testing.T, limit ...time.Duration) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-headless-shell", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium on the PATH: .ci/run installs Debian's chromium package")
		}
		t.Skip("no Chromium on the PATH (apt-get install chromium); the browser tests run in CI")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 900),
		chromedp.Flag("enable-precise-memory-info", true)) // performance.memory, for the dashboard's soak
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	d := 60 * time.Second // the whole test's browsing
	if len(limit) > 0 {
		d = limit[0]
	}
	ctx, cancelT := context.WithTimeout(ctx, d)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// until waits for a JavaScript expression to be true.
func until(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr)(ctx, t)
		return err
	})
}

// run evaluates a JavaScript expression for its effect.
func run(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return err
	})
}

// screenshot saves the page (or the element sel names, or with "top" the page's first screen)
// to NETRA_SCREENSHOTS/name.png when that variable names a folder.
func screenshot(t *testing.T, ctx context.Context, name string, sel ...string) {
	dir := os.Getenv("NETRA_SCREENSHOTS")
	if dir == "" {
		return
	}
	shot := chromedp.FullScreenshot(100)
	switch {
	case len(sel) > 0 && sel[0] == "top":
		shot = func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			size, err := chromedp.Evaluate[[]float64](`[document.documentElement.clientWidth, document.documentElement.clientHeight]`)(ctx, t)
			if err != nil {
				return nil, err
			}
			r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
				Clip: &page.Viewport{Width: size[0], Height: size[1], Scale: 1}, CaptureBeyondViewport: new(true)})
			return r.Data, err
		}
	case len(sel) > 0:
		shot = chromedp.Screenshot(sel[0])
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserGoldenPath: a new user opens a sign-in link, asks a question, watches the
// timeline fill and reads the answer, with its table; a thread title and a route name that
// carry markup stay text.
func TestBrowserGoldenPath(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	h := start(t, nil)
	tok := h.token("bea", netra.TierFree)
	h.demoData(tok, 14, 5)
	// Markup in a thread title and in a route name of the user's own data.
	const xssTitle = `<img src=x onerror="window.__pwned=1">`
	if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/threads", tok, fmt.Sprintf(`{"title":%q}`, xssTitle), map[string]string{"Content-Type": "application/json"}); status != 201 {
		t.Fatalf("thread: %d %v", status, body)
	}
	rec := fmt.Sprintf(`{"id":"x1","ts":%q,"model":"gpt-4o","route":"<script>window.__pwned=2</script>","input_tokens":99999,"output_tokens":99999,"latency_ms":100,"status":"ok"}`,
		time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	if status, body, _ := rawHTTP(t, "POST", h.url+"/v1/workloads/records", tok, rec, map[string]string{"Content-Type": "application/x-ndjson"}); status != 201 {
		t.Fatalf("upload: %d %v", status, body)
	}
	link, err := h.n.LoginLink(netra.Identity{UserID: "bea", Tier: netra.TierFree, Role: netra.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible("#chat"), chromedp.WaitVisible("#thread-list button.thread")); err != nil {
		t.Fatal(err)
	}
	who, threads := text("#who"), text("#thread-list")
	if !strings.Contains(who, "bea") || !strings.Contains(threads, xssTitle) {
		t.Fatalf("signed in as %q; the thread list shows %q", who, threads)
	}
	screenshot(t, ctx, "signed-in")
	// Renaming a thread in place; its title stays text.
	if err := chromedp.Do(ctx, chromedp.Click("#thread-list .rename"), chromedp.WaitVisible(".rename-input"),
		run(`document.querySelector(".rename-input").value = ""`), chromedp.SendKeys(".rename-input", "<b>costs</b>\r"),
		until(`[...document.querySelectorAll("#thread-list button.thread")].some(b => b.textContent === "<b>costs</b>")`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys("#question", "which route costs me the most in the last 7 days?"),
		chromedp.Click(`#ask-form button[type=submit]`),
		chromedp.WaitVisible(".answer .md table"),
	); err != nil {
		t.Fatal(err)
	}
	answer := text(".answer")
	// How long after the server's run_started the page showed it (one clock: same machine).
	shownAt, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`+document.querySelector(".timeline li").dataset.at`))
	if err != nil {
		t.Fatal(err)
	}
	_, runs, _ := rawHTTP(t, "GET", h.url+"/v1/runs?limit=1", tok, "", nil)
	for _, e := range eventsOf(t, h, "bea", runs["runs"].([]any)[0].(map[string]any)["id"].(string)) {
		if e.Type == "run_started" {
			t.Logf("first timeline entry %.1f ms after run_started", shownAt-float64(e.TS.UnixMicro())/1000)
		}
	}
	timeline, err := chromedp.Run(ctx, chromedp.TextContent(".timeline")) // folded: not rendered text
	if err != nil {
		t.Fatal(err)
	}
	pwned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!window.__pwned || document.querySelectorAll("img, .answer script").length > 0`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer, "costs you the most") || !strings.Contains(answer, "<script>window.__pwned=2</script>") {
		t.Fatalf("the answer:\n%s", answer)
	}
	for _, want := range []string{"triage started", "workload_tally", "reporting done"} {
		if !strings.Contains(timeline, want) {
			t.Fatalf("the timeline lacks %q:\n%s", want, timeline)
		}
	}
	if pwned {
		t.Fatal("markup from a thread title or a route name ran or rendered")
	}
	screenshot(t, ctx, "chat")

	// The report, with its charts: the waterfall ends at the report's combined total.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys("#question", "how can I reduce my LLM costs?"),
		chromedp.Click(`#ask-form button[type=submit]`),
		chromedp.WaitVisible("#messages > li:last-child .charts figure"),
	); err != nil {
		t.Fatal(err)
	}
	captions, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#messages > li:last-child .charts figcaption")].map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Spend by model, by day", "Spend by route", "Latency by route", "Savings a month, combined"} {
		if !slices.Contains(captions, want) {
			t.Fatalf("the report's charts are %q, without %q", captions, want)
		}
	}
	screenshot(t, ctx, "report-charts", "#messages > li:last-child .charts")
}

// TestBrowserNewUser: the README's promise. A user with no data opens the link, generates the
// demo dataset with one click, asks the question the page offers, and reads a charted report.
// The chat page's first contentful paint is logged (docs/benchmarks.md).
func TestBrowserNewUser(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	h := start(t, nil)
	link, err := h.n.LoginLink(netra.Identity{UserID: "nova", Tier: netra.TierFree, Role: netra.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible("#empty")); err != nil {
		t.Fatal(err)
	}
	fcp, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(performance.getEntriesByName("first-contentful-paint")[0] || {startTime: -1}).startTime`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first contentful paint of the chat page: %.0f ms", fcp)
	screenshot(t, ctx, "new-user")
	if err := chromedp.Do(ctx,
		chromedp.Click("#demo"),
		chromedp.WaitNotVisible("#empty"),
		chromedp.Click(`#ask-form button[type=submit]`),
		chromedp.WaitVisible("#messages > li:last-child .charts figure"),
	); err != nil {
		t.Fatal(err)
	}
	answer, err := chromedp.Run(ctx, chromedp.Text("#messages > li:last-child .answer"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer, "Optimization report") || !strings.Contains(answer, "Savings a month, combined") {
		t.Fatalf("the new user's answer:\n%.600s", answer)
	}
}

// TestBrowserDataAndUsage: a file uploaded with its progress, the summary that follows, a key
// shown once with its exporter snippet, and the usage page with the user's own audit trail.
func TestBrowserDataAndUsage(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	h := start(t, nil)
	file := filepath.Join(t.TempDir(), "calls.jsonl")
	var body strings.Builder
	now := time.Now().UTC()
	for i := range 500 {
		fmt.Fprintf(&body, `{"id":"d%d","ts":%q,"model":"gpt-4o","route":"chat","input_tokens":100,"output_tokens":20,"latency_ms":300,"status":"ok"}`+"\n", i, now.Add(-time.Duration(i+1)*time.Minute).Format(time.RFC3339))
	}
	if err := os.WriteFile(file, []byte(body.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	link, err := h.n.LoginLink(netra.Identity{UserID: "dora", Tier: netra.TierEarly, Role: netra.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible("#chat"), run(`location.hash = "#/data"`), chromedp.WaitVisible("#data"),
		chromedp.SetUploadFiles("#upload-file", []string{file}), chromedp.Click(`#upload-form button[type=submit]`),
		until(`document.getElementById("upload-status").textContent.includes("accepted")`)); err != nil {
		t.Fatal(err)
	}
	status, _ := chromedp.Run(ctx, chromedp.Text("#upload-status"))
	progress, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById("upload-progress").value`))
	if status != "500 accepted, 0 duplicates, 0 rejected." || progress != 1 {
		t.Fatalf("upload: %q, progress %v", status, progress)
	}
	if err := chromedp.Do(ctx, until(`document.getElementById("data-summary").textContent.includes("500 of")`),
		chromedp.SendKeys("#key-name", "collector"), chromedp.Click(`#key-form button[type=submit]`), chromedp.WaitVisible("#new-key"),
		until(`document.getElementById("key-list").textContent.includes("collector")`)); err != nil {
		t.Fatal(err)
	}
	snippet, _ := chromedp.Run(ctx, chromedp.Text("#otel-snippet"))
	if !strings.Contains(snippet, h.url+"/v1/traces") || !strings.Contains(snippet, "X-Netra-Key=nk_") {
		t.Fatalf("the exporter snippet: %q", snippet)
	}
	if chatShown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById("chat")).display !== "none"`)); chatShown {
		t.Fatal("the chat shows beside the data page")
	}
	screenshot(t, ctx, "data")
	if err := chromedp.Do(ctx, run(`location.hash = "#/usage"`), chromedp.WaitVisible("#usage"),
		until(`document.getElementById("audit-rows").children.length > 0`)); err != nil {
		t.Fatal(err)
	}
	facts, _ := chromedp.Run(ctx, chromedp.Text("#usage-facts"))
	audit, _ := chromedp.Run(ctx, chromedp.Text("#audit-rows"))
	if !strings.Contains(facts, "early") || !strings.Contains(audit, "data.upload") {
		t.Fatalf("usage page: %q\naudit: %q", facts, audit)
	}
	screenshot(t, ctx, "usage")
}

// TestBrowserDashboard: the operations page, for admins only, shows the live figures from the
// server-sent stream; its connection count agrees with /metrics, and its isolation
// violations read 0.
func TestBrowserDashboard(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	h := start(t, func(c *node.Config) { c.MetricsAddr = "127.0.0.1:0" })
	// Three WebSocket connections of another user, beside the page's own.
	for range 3 {
		h.connect(h.client("ops-peer"), client.ConnOptions{})
	}
	link, err := h.n.LoginLink(netra.Identity{UserID: "root", Tier: netra.TierEnterprise, Role: netra.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible("#chat"), chromedp.WaitVisible("#admin-link"), run(`location.hash = "#/admin"`),
		until(`document.querySelectorAll("#admin-tiles .tile").length > 0 && document.querySelector("#spark-running svg") !== null`)); err != nil {
		t.Fatal(err)
	}
	// The page's own WebSocket may open after the stream's first snapshot; the next one, a
	// second later, counts it.
	const connTile = `[...document.querySelectorAll("#admin-tiles .tile")].find(t => t.firstChild.textContent === "Connections").lastChild.textContent`
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(wait, until(connTile+` === "4"`)); err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](connTile))
		t.Fatalf("the dashboard's connections stay at %q, not 4: %v", shown, err)
	}
	violations, _ := chromedp.Run(ctx, chromedp.Text("#violations"))
	conns, err := chromedp.Run(ctx, chromedp.Evaluate[string](connTile))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(h.n.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	var scraped string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "netra_ws_connections ") {
			scraped = strings.TrimPrefix(line, "netra_ws_connections ")
		}
	}
	if violations != "0" || conns != "4" || scraped != conns {
		t.Fatalf("the dashboard shows %s violations and %s connections; /metrics says %q", violations, conns, scraped)
	}
	// The nodes of the service: this one, with its connections.
	// The nodes table refreshes on its own tick: wait for the row to count the fourth connection.
	if err := chromedp.Do(ctx, until(`document.querySelectorAll("#admin-nodes tr").length === 1 && document.querySelectorAll("#admin-nodes td")[3]?.textContent === "4"`)); err != nil {
		t.Fatal(err)
	}
	row, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#admin-nodes td")].map(td => td.textContent)`))
	if len(row) != 7 || !strings.HasPrefix(row[0], "node_") || row[1] != h.url || row[2] != "sqlite · in-process" || row[3] != "4" {
		t.Fatalf("the nodes table shows %q", row)
	}
	screenshot(t, ctx, "operations")
	// A user who is not an admin has no such page, and the stream refuses them.
	tok := h.token("plain", netra.TierFree)
	if status, _, _ := rawHTTP(t, "GET", h.url+"/v1/admin/live", tok, "", nil); status != 403 {
		t.Fatalf("the live stream for a user: %d", status)
	}
}

// TestBrowserQueueCancelAndTwoUsers: with the node's one slot busy, two users in two browser
// contexts each ask a question; each page shows its own run queued with its position, lists
// only its own thread, and cancels its own run.
func TestBrowserQueueCancelAndTwoUsers(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	h := start(t, func(c *node.Config) { c.MaxRunning = 1 })
	hog := h.token("hog", netra.TierFree)
	status, run, _ := rawHTTP(t, "POST", h.url+"/v1/runs", hog, `{"input":"hold","agent":"echo","params":{"delay_ms":60000}}`, map[string]string{"Content-Type": "application/json"})
	if status != 202 {
		t.Fatalf("the hog's run: %d %v", status, run)
	}
	defer rawHTTP(t, "POST", h.url+"/v1/runs/"+run["id"].(string)+"/cancel", hog, "", nil)
	pages := map[string]context.Context{}
	for _, user := range []string{"ann", "ben"} {
		pctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		link, err := h.n.LoginLink(netra.Identity{UserID: user, Tier: netra.TierFree, Role: netra.RoleUser})
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(pctx, chromedp.Navigate(link), chromedp.WaitVisible("#chat"),
			chromedp.SendKeys("#question", "secret question of "+user), chromedp.Click(`#ask-form button[type=submit]`),
			until(`(document.querySelector("#messages .status") || {}).textContent?.startsWith("Queued, position")`)); err != nil {
			t.Fatal(err)
		}
		pages[user] = pctx
	}
	for user, pctx := range pages {
		other := map[string]string{"ann": "ben", "ben": "ann"}[user]
		page, err := chromedp.Run(pctx, chromedp.TextContent("body"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page, "secret question of "+user) || strings.Contains(page, "secret question of "+other) {
			t.Fatalf("%s's page:\n%s", user, page)
		}
		if err := chromedp.Do(pctx, until(`document.querySelector("#thread-list").textContent.includes("secret question of `+user+`")`)); err != nil {
			t.Fatal(err)
		}
	}
	screenshot(t, pages["ann"], "queued")
	if err := chromedp.Do(pages["ann"], chromedp.Click("#messages .run button"),
		until(`document.querySelector("#messages .status").textContent === "Cancelled"`)); err != nil {
		t.Fatal(err)
	}
	ben, _ := chromedp.Run(pages["ben"], chromedp.Text("#messages .status"))
	if !strings.HasPrefix(ben, "Queued") {
		t.Fatalf("ann's cancel touched ben's run: %q", ben)
	}
}

// TestBrowserOIDCSignIn: with an organisation's OpenID provider configured, the sign-in page
// offers it; the authorization code flow with PKCE signs the user in under the claims the
// server maps (email as the user id, a tier claim), and the session works like a link's.
func TestBrowserOIDCSignIn(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	idp := newOIDCProvider(t, "netra-web", "client-secret", map[string]any{"sub": "u-81", "email": "olga@example.com", "org_tier": "mid"})
	h := start(t, func(c *node.Config) {
		c.OIDC = server.OIDCConfig{Issuer: idp.URL, ClientID: "netra-web", ClientSecret: "client-secret", UserClaim: "email", TierClaim: "org_tier"}
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(h.url+"/"), chromedp.WaitVisible("#oidc-link"), chromedp.Click("#oidc-link"),
		chromedp.WaitVisible("#chat"), until(`document.getElementById("who").textContent !== ""`)); err != nil {
		t.Fatal(err)
	}
	who, _ := chromedp.Run(ctx, chromedp.Text("#who"))
	if who != "olga@example.com · mid" {
		t.Fatalf("signed in as %q", who)
	}
	// An ID token whose nonce is not this sign-in's (a replayed token) is refused.
	idp.mu.Lock()
	idp.Claims["nonce"] = "replayed"
	idp.mu.Unlock()
	c := &http.Client{}
	defer c.CloseIdleConnections()
	resp, err := c.Get(h.url + "/v1/auth/oidc/start")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 401 || resp.Request.URL.Path != "/v1/auth/oidc/callback" {
		t.Fatalf("a replayed ID token ended at %s with %d", resp.Request.URL.Path, resp.StatusCode)
	}
	// A callback with a state this server never made is refused.
	if status, body, _ := rawHTTP(t, "GET", h.url+"/v1/auth/oidc/callback?code=x&state=forged", "", "", nil); status != 401 {
		t.Fatalf("a forged callback: %d %v", status, body)
	}
}

// TestBrowserResumesAfterDrop: the server drops the page's socket while a run's events pour
// out (a send queue of 2 overflows at once); the page reconnects, resumes the run after the
// last seq it saw, and shows the whole answer, without a gap or a repeat.
func TestBrowserResumesAfterDrop(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	h := start(t, func(c *node.Config) { c.SendQueue = 2 })
	tok := h.token("rex", netra.TierFree)
	h.demoData(tok, 7, 4)
	link, err := h.n.LoginLink(netra.Identity{UserID: "rex", Tier: netra.TierFree, Role: netra.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	want := askHTTP(t, h, tok, "how can I reduce my LLM costs in the last 3 days?")
	// The page's run waits behind one of rex's (the free tier runs one at a time), so that its
	// run_accepted reaches the page alone and the drops come while its events stream: then only
	// the resume of the page's open runs recovers the gap. (Started at once, a run's reply and
	// first events leave together, a drop takes them all, and the page finds the run again as
	// an unacknowledged start instead.)
	status, blocker, _ := rawHTTP(t, "POST", h.url+"/v1/runs", tok, `{"input":"hold","agent":"echo","params":{"delay_ms":3000}}`, nil)
	if status != 202 {
		t.Fatalf("blocker: %d %v", status, blocker)
	}
	waitFor(t, 5*time.Second, "the blocking run to start", func() bool {
		_, r, _ := rawHTTP(t, "GET", h.url+"/v1/runs/"+blocker["id"].(string), tok, "", nil)
		return r["status"] == "running"
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible("#chat"),
		chromedp.SendKeys("#question", "how can I reduce my LLM costs in the last 3 days?"), chromedp.Click(`#ask-form button[type=submit]`),
		until(`(document.querySelector("#messages > li:last-child .status") || {}).textContent === "Completed"`)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.TextContent("#messages > li:last-child .answer .md"))
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#messages > li:last-child .timeline li").length`))
	snap, err := h.n.Metrics().Snapshot()
	if err != nil || snap.SlowDisconnects == 0 {
		t.Fatalf("the socket was never dropped (%v): the test checks nothing", err)
	}
	// One timeline entry per event that makes one: none missing, none twice.
	_, runs, _ := rawHTTP(t, "GET", h.url+"/v1/runs?limit=1", tok, "", nil)
	wantEntries := 0
	for _, e := range eventsOf(t, h, "rex", runs["runs"].([]any)[0].(map[string]any)["id"].(string)) {
		switch e.Type {
		case "run_started", "agent_started", "agent_thinking", "tool_executing", "agent_completed", "agent_error":
			wantEntries++
		}
	}
	if !strings.Contains(want, "## Recommendations") || !strings.Contains(got, "Recommendations") || entries != wantEntries {
		t.Fatalf("after %v drops the page shows %d timeline entries of %d, and:\n%.300s", snap.SlowDisconnects, entries, wantEntries, got)
	}
}

// TestBrowserDashboardUnderLoad (a benchmark, run with NETRA_DASHBOARD_SOAK=10m or any
// duration): 1,000 connected users, 200 of them each keeping a run going the whole time, and
// the operations page open. Logged: the page's renders a second, its JS heap over time, and
// the figures it shows.
func TestBrowserDashboardUnderLoad(t *testing.T) {
	soak, err := time.ParseDuration(os.Getenv("NETRA_DASHBOARD_SOAK"))
	if err != nil {
		t.Skip("set NETRA_DASHBOARD_SOAK=10m to run the dashboard under load (docs/benchmarks.md)")
	}
	ctx := browser(t, soak+2*time.Minute)
	h := start(t, func(c *node.Config) { c.MaxRunning = 256 })
	const users, active = 1000, 200
	done := make(chan struct{})
	defer close(done)
	for i := range users {
		conn := h.connect(h.client(fmt.Sprintf("load-%04d", i)), client.ConnOptions{})
		if i >= active {
			continue
		}
		// Each active user keeps one run going: a minute of echo (the contract's longest),
		// then the next.
		go func() {
			for {
				acc, err := conn.Start(context.Background(), client.StartRun{Input: "hold", Agent: "echo", Params: map[string]any{"delay_ms": 60000}})
				if err != nil {
					return
				}
				for ev := range conn.Events() {
					if ev.RunID == acc.RunID && ev.Terminal() {
						break
					}
				}
				select {
				case <-done:
					return
				default:
				}
			}
		}()
	}
	for h.n.Running() < active {
		time.Sleep(50 * time.Millisecond)
	}
	link, err := h.n.LoginLink(netra.Identity{UserID: "root", Tier: netra.TierEnterprise, Role: netra.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible("#admin-link"), run(`location.hash = "#/admin"`),
		until(`document.querySelectorAll("#admin-tiles .tile").length > 0`),
		run(`window.__renders = 0; new MutationObserver(() => window.__renders++).observe(document.getElementById("admin-tiles"), {childList: true})`)); err != nil {
		t.Fatal(err)
	}
	heap := func() float64 {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.memory ? performance.memory.usedJSHeapSize : -1`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tile := func(name string) string {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#admin-tiles .tile")].find(t => t.firstChild.textContent === "`+name+`").lastChild.textContent`))
		return v
	}
	began, h0 := time.Now(), heap()
	for time.Since(began) < soak {
		time.Sleep(min(30*time.Second, soak-time.Since(began)))
		t.Logf("%4.0f s: JS heap %.1f MB, connections %s, runs running %s", time.Since(began).Seconds(), heap()/1e6, tile("Connections"), tile("Runs running"))
	}
	renders, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__renders`))
	t.Logf("over %s: %.2f renders a second; JS heap %.1f MB at the start, %.1f MB at the end", soak, renders/time.Since(began).Seconds(), h0/1e6, heap()/1e6)
	if conns := tile("Connections"); conns != fmt.Sprint(users+1) {
		t.Errorf("the page shows %s connections, want %d", conns, users+1)
	}
}
