package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/model/modeltest"
	"github.com/netra-ai/netra/node"
	"github.com/netra-ai/netra/workload"
)

// pages are the app's pages, by fragment, with what shows each is ready.
var appPages = []struct{ name, hash, ready string }{
	{"chat", "#/", "#chat"},
	{"data", "#/data", "#data-summary dl"},
	{"usage", "#/usage", "#audit-rows tr"},
	{"admin", "#/admin", "#admin-tiles .tile"},
}

// unnamed lists the controls and images of the page's accessibility tree whose accessible
// name has no letter: what a screen reader would read as nothing, or as "×".
func unnamed(ctx context.Context) ([]string, error) {
	var bad []string
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		tree, err := cdp.Call(ctx, t, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		if err != nil {
			return err
		}
		str := func(v *accessibility.Value) string {
			var s string
			if v != nil {
				_ = json.Unmarshal(v.Value, &s)
			}
			return s
		}
		letter := regexp.MustCompile(`\pL`)
		for _, n := range tree.Nodes {
			role := str(n.Role)
			switch role {
			case "button", "link", "textbox", "combobox", "checkbox", "radio", "image", "img", "progressbar", "searchbox", "spinbutton", "slider", "listbox", "switch", "tab", "menuitem":
				if !n.Ignored && !letter.MatchString(str(n.Name)) {
					bad = append(bad, fmt.Sprintf("%s %q", role, str(n.Name)))
				}
			}
		}
		return nil
	}))
	return bad, err
}

// TestBrowserKeyboardAndScreenReader: every page's controls and charts have names a screen
// reader can read, each page has one heading of the first level, and a keyboard alone goes
// from the skip link to the question, asks it, opens the run's timeline and moves between
// pages, with a visible focus at every stop.
func TestBrowserKeyboardAndScreenReader(t *testing.T) {
	t.Parallel()
	ctx := browser(t, 90*time.Second)
	h := start(t, nil)
	tok := h.token("kai", netra.TierFree)
	h.demoData(tok, 14, 3)
	askHTTP(t, h, tok, "how can I reduce my LLM costs?") // a thread in the list, with a rename and a delete button
	link, err := h.n.LoginLink(netra.Identity{UserID: "kai", Tier: netra.TierEnterprise, Role: netra.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible("#thread-list button.thread")); err != nil {
		t.Fatal(err)
	}
	tab := func(shift bool) chromedp.Action[chromedp.Void] {
		if shift {
			return chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift))
		}
		return chromedp.KeyEvent("\t")
	}
	// focused describes the focused element, and whether its focus can be seen.
	const focused = `(() => { const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
		return {tag: e.tagName, id: e.id, cls: e.className, text: (e.getAttribute("aria-label") || e.textContent).trim().slice(0, 40),
			visible: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2 && r.width > 0 && r.height > 0}; })()`
	type stop struct {
		Tag, ID, Cls, Text string
		Visible            bool
	}
	// tabTo presses Tab (or Shift+Tab) until want holds of the focused element, checking each
	// stop on the way shows its focus.
	tabTo := func(shift bool, want func(stop) bool) stop {
		t.Helper()
		for range 40 {
			// Each press moves the focus; wait for it to have moved before looking.
			if err := chromedp.Do(ctx, run(`window.__was = document.activeElement`), tab(shift), until(`document.activeElement !== window.__was`)); err != nil {
				t.Fatal(err)
			}
			s, err := chromedp.Run(ctx, chromedp.Evaluate[stop](focused))
			if err != nil {
				t.Fatal(err)
			}
			if s.Tag == "BODY" {
				continue // past the page's last control: the browser's own, then the page's first
			}
			if !s.Visible {
				t.Fatalf("the focus on %+v cannot be seen", s)
			}
			if want(s) {
				return s
			}
		}
		t.Fatal("40 presses of Tab did not reach it")
		return stop{}
	}
	// The first Tab reaches the skip link; Enter skips to the question.
	if s := tabTo(false, func(stop) bool { return true }); s.ID != "skip" {
		t.Fatalf("the first Tab stops at %+v, not the skip link", s)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), until(`document.activeElement.id === "question"`)); err != nil {
		t.Fatalf("the skip link: %v", err)
	}
	// Around again, by Tab alone: the menu, the threads, the question.
	tabTo(false, func(s stop) bool { return s.ID == "question" })
	if err := chromedp.Do(ctx, chromedp.KeyEvent("which route costs me the most in the last 7 days?"), chromedp.KeyEvent("\r"),
		until(`(document.querySelector("#messages > li:last-child .status") || {}).textContent === "Completed"`)); err != nil {
		t.Fatal(err)
	}
	busy, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#messages > li:last-child .answer").getAttribute("aria-busy")`))
	if busy != "false" {
		t.Fatalf("the finished answer is aria-busy=%q: a screen reader would never read it", busy)
	}
	// Back from the question to the run's folded timeline; Enter opens it.
	tabTo(true, func(s stop) bool { return s.Tag == "SUMMARY" })
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\r"), until(`document.querySelector("#messages > li:last-child details").open`)); err != nil {
		t.Fatalf("the timeline by keyboard: %v", err)
	}
	// Each page: names, one first-level heading; reached from the menu, its heading has the focus.
	for _, p := range appPages {
		if err := chromedp.Do(ctx, run(`location.hash = "`+p.hash+`"`), chromedp.WaitVisible(p.ready)); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		bad, err := unnamed(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Fatalf("the %s page has controls without a name: %v", p.name, bad)
		}
		h1, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("h1")].filter(h => !h.closest("[hidden]")).map(h => h.textContent)`))
		if len(h1) != 1 {
			t.Fatalf("the %s page has first-level headings %q", p.name, h1)
		}
		title, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
		if p.name != "chat" {
			s, _ := chromedp.Run(ctx, chromedp.Evaluate[stop](focused))
			if s.Tag != "H1" || title != s.Text+" · Netra" {
				t.Fatalf("on the %s page the focus is on %+v and the title is %q", p.name, s, title)
			}
		}
	}
}

// TestBrowserPhone: on a phone's screen (390 × 844) no page scrolls sideways, and every
// button and field is at least 24 px a side (WCAG 2.2's minimum target).
func TestBrowserPhone(t *testing.T) {
	t.Parallel()
	ctx := browser(t, 90*time.Second)
	h := start(t, nil)
	tok := h.token("pia", netra.TierFree)
	h.demoData(tok, 14, 8)
	link, err := h.n.LoginLink(netra.Identity{UserID: "pia", Tier: netra.TierMid, Role: netra.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(link), chromedp.WaitVisible("#chat"),
		chromedp.SendKeys("#question", "how can I reduce my LLM costs?"), chromedp.Click(`#ask-form button[type=submit]`),
		chromedp.WaitVisible("#messages > li:last-child .charts figure")); err != nil {
		t.Fatal(err)
	}
	type fit struct {
		Width, Scroll int
		Small         []string
	}
	// Against the screen's width, not innerWidth: a phone's browser widens its layout viewport
	// to fit what overflows.
	for _, p := range appPages {
		if err := chromedp.Do(ctx, run(`location.hash = "`+p.hash+`"`), chromedp.WaitVisible(p.ready)); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		f, err := chromedp.Run(ctx, chromedp.Evaluate[fit](`({width: screen.width, scroll: document.documentElement.scrollWidth,
			small: [...document.querySelectorAll("button, input, textarea, select, a.button")].filter(e => !e.closest("[hidden]") && e.id !== "skip")
				.map(e => [e, e.getBoundingClientRect()]).filter(([e, r]) => r.width < 24 || r.height < 24)
				.map(([e, r]) => (e.id || e.textContent.trim().slice(0, 20)) + " " + Math.round(r.width) + "×" + Math.round(r.height))})`))
		if err != nil {
			t.Fatal(err)
		}
		if f.Scroll > f.Width || len(f.Small) > 0 {
			t.Fatalf("on a phone the %s page is %d px wide in a %d px screen; targets under 24 px: %v", p.name, f.Scroll, f.Width, f.Small)
		}
		screenshot(t, ctx, "phone-"+p.name, "top")
	}
}

// TestBrowserSignOutEndsOtherTabs: two tabs share a session; signing out in one shows the
// sign-in page in the other within a moment, and the session is refused on the server.
func TestBrowserSignOutEndsOtherTabs(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	h := start(t, nil)
	link, err := h.n.LoginLink(netra.Identity{UserID: "tab", Tier: netra.TierFree, Role: netra.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	code := link[strings.Index(link, "#code=")+len("#code="):]
	_, sess, _ := rawHTTP(t, "POST", h.url+"/v1/auth/login", "", `{"code":"`+code+`"}`, map[string]string{"Content-Type": "application/json"})
	tok, _ := sess["token"].(string)
	second, cancel := chromedp.NewContext(ctx) // a second tab of the same browser
	t.Cleanup(cancel)
	for _, tab := range []context.Context{ctx, second} {
		if err := chromedp.Do(tab, chromedp.Navigate(h.url+"/"), run(`sessionStorage.setItem("netra.token", "`+tok+`")`), chromedp.Reload(),
			chromedp.WaitVisible("#chat"), until(`document.getElementById("who").textContent !== ""`)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // both sockets open
	if err := chromedp.Do(ctx, chromedp.Click("#signout"), chromedp.WaitVisible("#signin")); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	wctx, wcancel := context.WithTimeout(second, 3*time.Second)
	defer wcancel()
	if err := chromedp.Do(wctx, until(`!document.getElementById("signin").hidden && document.getElementById("chat").hidden`)); err != nil {
		t.Fatalf("the other tab still shows the session 3 s after sign-out: %v", err)
	}
	t.Logf("the other tab showed the sign-in page %v after sign-out", time.Since(t0).Round(time.Millisecond))
	if status, _, _ := rawHTTP(t, "GET", h.url+"/v1/me", tok, "", nil); status != 401 {
		t.Fatalf("the signed-out session answers %d", status)
	}
}

// TestBrowserStreamingAnswer: a model's answer appears as it is written (message_delta), while
// the run's status says it runs and the answer is marked busy for screen readers; the whole
// answer, figures and table, is what the model wrote from its tool's result.
func TestBrowserStreamingAnswer(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	var mu sync.Mutex
	var answer string // the model's, once it is written
	fake := modeltest.NewOpenAI(t, func(_ int, req modeltest.OpenAIRequest) modeltest.OpenAIReply {
		if len(req.ResponseFormat) > 0 {
			return modeltest.OpenAIReply{Content: `{"category":"workload_analysis","kind":"question","metric":"","out_of_scope":false,"target_model":"","models":[],"routes":[],"window_days":7,"window_label":"last 7 days","targets":{"cost_cut_percent":0,"p95_ms":0},"synthetic":{"preset":"","days":0}}`}
		}
		last := req.Messages[len(req.Messages)-1]
		if last.Role == "user" {
			w := windowRe.FindStringSubmatch(req.Messages[0].Content)
			return modeltest.OpenAIReply{ToolCalls: []model.ToolCall{{ID: "c1", Name: "workload_query", Args: json.RawMessage(fmt.Sprintf(`{"from":%q,"to":%q,"group_by":"route"}`, w[1], w[2]))}}}
		}
		var res workload.QueryResult
		_ = json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(last.Content, "<tool_result>\n"), "\n</tool_result>")), &res)
		slices.SortFunc(res.Rows, func(a, b workload.QueryRow) int { return int(b.CostUSD*1e6) - int(a.CostUSD*1e6) })
		var b strings.Builder
		fmt.Fprintf(&b, "Your costliest route this week is **%s**: %d requests costing $%.2f.\n\n| route | requests | cost |\n| --- | ---: | ---: |\n",
			res.Rows[0].Key, res.Rows[0].Requests, res.Rows[0].CostUSD)
		for _, r := range res.Rows[:min(len(res.Rows), 4)] {
			fmt.Fprintf(&b, "| %s | %d | $%.2f |\n", r.Key, r.Requests, r.CostUSD)
		}
		b.WriteString("\nShorter prompts on that route would cut the most spend.\n")
		mu.Lock()
		answer = b.String()
		mu.Unlock()
		return modeltest.OpenAIReply{Chunks: strings.SplitAfter(b.String(), " "), ChunkDelay: 40 * time.Millisecond}
	})
	h := start(t, func(c *node.Config) {
		c.Model = node.ModelConfig{Provider: "openai", Model: "gpt-4o-mini", BaseURL: fake.URL, APIKey: "sk-test-stream"}
	})
	tok := h.token("sam", netra.TierMid)
	h.demoData(tok, 14, 2)
	link, err := h.n.LoginLink(netra.Identity{UserID: "sam", Tier: netra.TierMid, Role: netra.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible("#chat"),
		chromedp.SendKeys("#question", "which route cost me the most this week, and what should I do about it?"), chromedp.Click(`#ask-form button[type=submit]`),
		until(`!!document.querySelector("#messages > li:last-child .answer table tbody tr")`)); err != nil {
		t.Fatal(err)
	}
	type view struct {
		Status, Busy string
		Length       int
	}
	const look = `(() => { const li = document.querySelector("#messages > li:last-child");
		return {status: li.querySelector(".status").textContent, busy: li.querySelector(".answer").getAttribute("aria-busy"), length: li.querySelector(".answer").textContent.length}; })()`
	mid, err := chromedp.Run(ctx, chromedp.Evaluate[view](look))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "streaming")
	if err := chromedp.Do(ctx, until(`document.querySelector("#messages > li:last-child .status").textContent === "Completed"`)); err != nil {
		t.Fatal(err)
	}
	end, _ := chromedp.Run(ctx, chromedp.Evaluate[view](look))
	text, _ := chromedp.Run(ctx, chromedp.Text("#messages > li:last-child .answer"))
	if mid.Status != "Running" || mid.Busy != "true" || mid.Length == 0 || mid.Length >= end.Length || end.Busy != "false" {
		t.Fatalf("mid-stream %+v, at the end %+v: the answer did not stream", mid, end)
	}
	mu.Lock()
	first := strings.SplitN(answer, "\n", 2)[0]
	mu.Unlock()
	plain := strings.ReplaceAll(first, "**", "")
	if !strings.Contains(text, plain) {
		t.Fatalf("the page shows:\n%s\nnot the model's %q", text, plain)
	}
}
