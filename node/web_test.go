package node_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/client"
	"github.com/netra-ai/netra/server"
	"github.com/netra-ai/netra/web"
)

// TestSignInLinks: a link's code signs in once and only as a code (not as an API token, nor an
// API token as a code); its session works until signed out, then is refused on the server.
func TestSignInLinks(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	link, err := h.n.LoginLink(netra.Identity{UserID: "lin", Tier: netra.TierMid, Role: netra.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	code := link[strings.Index(link, "#code=")+len("#code="):]
	if !strings.HasPrefix(link, h.url+"/#code=") {
		t.Fatalf("link %q", link)
	}
	if status, _, _ := rawHTTP(t, "GET", h.url+"/v1/me", code, "", nil); status != 401 {
		t.Fatalf("a sign-in code used as a token: %d", status)
	}
	if status, _, _ := rawHTTP(t, "POST", h.url+"/v1/auth/login", "", `{"code":"`+h.token("lin", netra.TierMid)+`"}`, map[string]string{"Content-Type": "application/json"}); status != 401 {
		t.Fatalf("a token used as a sign-in code: %d", status)
	}
	status, sess, _ := rawHTTP(t, "POST", h.url+"/v1/auth/login", "", `{"code":"`+code+`"}`, map[string]string{"Content-Type": "application/json"})
	tok, _ := sess["token"].(string)
	if status != 200 || tok == "" || sess["user_id"] != "lin" || sess["tier"] != "mid" {
		t.Fatalf("login: %d %v", status, sess)
	}
	if status, _, _ := rawHTTP(t, "POST", h.url+"/v1/auth/login", "", `{"code":"`+code+`"}`, map[string]string{"Content-Type": "application/json"}); status != 401 {
		t.Fatalf("a code used twice: %d", status)
	}
	if status, me, _ := rawHTTP(t, "GET", h.url+"/v1/me", tok, "", nil); status != 200 || me["user_id"] != "lin" {
		t.Fatalf("the session: %d %v", status, me)
	}
	// Two tabs of the session hold sockets; a ticket waits to be used.
	tabs := []*client.Conn{h.connect(client.New(h.url, tok), client.ConnOptions{}), h.connect(client.New(h.url, tok), client.ConnOptions{})}
	_, ticket, _ := rawHTTP(t, "POST", h.url+"/v1/ws-tickets", tok, "", nil)
	if status, _, _ := rawHTTP(t, "POST", h.url+"/v1/auth/logout", tok, "", nil); status != 204 {
		t.Fatalf("logout: %d", status)
	}
	for i, tab := range tabs { // signing out in one tab ends the others' sockets, with 4401
		select {
		case <-tab.Done():
			if websocket.CloseStatus(tab.Err()) != client.StatusTokenExpired {
				t.Fatalf("tab %d's socket ended with %v, not 4401", i, tab.Err())
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("tab %d's socket is still open after sign-out", i)
		}
	}
	wsURL := "ws" + strings.TrimPrefix(h.url, "http") + "/v1/ws?ticket=" + ticket["ticket"].(string)
	if _, resp, err := websocket.Dial(t.Context(), wsURL, &websocket.DialOptions{Subprotocols: []string{server.Protocol}}); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("a ticket of a signed-out session: %v %v", resp, err)
	}
	if status, body, _ := rawHTTP(t, "GET", h.url+"/v1/me", tok, "", nil); status != 401 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "signed out") {
		t.Fatalf("a signed-out session: %d %v", status, body)
	}
}

// TestWebAppServed: the page and its assets, each with the strict CSP, and no inline script.
func TestWebAppServed(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	c := &http.Client{}
	defer c.CloseIdleConnections()
	for path, ctype := range map[string]string{"/": "text/html", "/app/app.js": "javascript", "/app/markdown.js": "javascript", "/app/style.css": "text/css"} {
		resp, err := c.Get(h.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), ctype) || resp.Header.Get("Content-Security-Policy") != web.CSP {
			t.Fatalf("%s: %d %q %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Security-Policy"))
		}
		if path == "/" && (strings.Contains(string(body), "<script>") || strings.Contains(string(body), " style=")) {
			t.Fatal("the page has inline script or style")
		}
	}
	if resp, err := c.Get(h.url + "/app/nothing.js"); err != nil || resp.StatusCode != 404 {
		t.Fatalf("a missing asset: %v %v", resp, err)
	} else {
		_ = resp.Body.Close()
	}
}

// TestTemplateAnswersStream: an answer written from templates goes out as message_delta too,
// and its pieces make the output's markdown exactly.
func TestTemplateAnswersStream(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	tok := h.token("tia", netra.TierFree)
	h.demoData(tok, 7, 2)
	for _, q := range []string{"which model costs me the most in the last 7 days?", "how can I reduce my LLM costs?", "hello"} {
		md := askHTTP(t, h, tok, q)
		_, runs, _ := rawHTTP(t, "GET", h.url+"/v1/runs?limit=1", tok, "", nil)
		id := runs["runs"].([]any)[0].(map[string]any)["id"].(string)
		var deltas strings.Builder
		n := 0
		for _, e := range eventsOf(t, h, "tia", id) {
			if e.Type == "message_delta" {
				var d struct {
					Text string `json:"text"`
				}
				_ = json.Unmarshal(e.Data, &d)
				deltas.WriteString(d.Text)
				n++
			}
		}
		if n == 0 || deltas.String() != md {
			t.Fatalf("%q: %d deltas that make %q, output %q", q, n, deltas.String(), md)
		}
	}
}
