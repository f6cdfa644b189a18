package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netra-ai/netra/client"
)

// The reader decodes each frame once: replies reach their request, events come out with every
// field, a followed run's events in seq order, and a frame that is not a valid event is dropped.
func TestConnDecodesRepliesAndEvents(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"netra.v1"}})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := r.Context()
		send := func(s string) {
			if err := ws.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
				t.Error(err)
			}
		}
		send(`{"type":"connected","connection_id":"conn_1"}`)
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var req struct{ ID, Type string }
		if json.Unmarshal(data, &req) != nil || req.Type != "start_run" {
			t.Errorf("request %s", data)
			return
		}
		send(`{"type":"run_accepted","id":"` + req.ID + `","run_id":"run_a","thread_id":"thr_a","status":"queued","queue_position":3}`)
		// Out of order, a bad ts (of a run not followed, which would come out at once), a frame
		// of another run, then the rest.
		send(`{"type":"run_started","run_id":"run_a","thread_id":"thr_a","seq":2,"ts":"2026-12-01T10:00:00.5Z","data":{"started_at":"2026-12-01T10:00:00.4Z"}}`)
		send(`{"type":"agent_thinking","run_id":"run_c","thread_id":"thr_c","seq":1,"ts":"yesterday","data":{}}`)
		send(`{"type":"agent_started","run_id":"run_b","thread_id":"thr_b","seq":4,"ts":"2026-12-01T10:00:01Z","agent":"echo","data":{}}`)
		send(`{"type":"run_queued","run_id":"run_a","thread_id":"thr_a","seq":1,"ts":"2026-12-01T10:00:00.25Z","data":{"position":3}}`)
		send(`{"type":"run_completed","run_id":"run_a","thread_id":"thr_a","seq":3,"ts":"2026-12-01T10:00:02Z","agent":"","data":{"output":"hi"}}`)
		_, _, _ = ws.Read(ctx) // until the client closes
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cn, err := client.New(srv.URL, "token").Connect(ctx, client.ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	if cn.ConnectionID() != "conn_1" {
		t.Fatalf("connection id %q", cn.ConnectionID())
	}
	acc, err := cn.Start(ctx, client.StartRun{Input: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if acc.RunID != "run_a" || acc.ThreadID != "thr_a" || acc.Status != "queued" || acc.QueuePosition == nil || *acc.QueuePosition != 3 {
		t.Fatalf("accepted %+v", acc)
	}
	want := []struct {
		typ, run, agent, data string
		seq                   int64
		ts                    string
	}{
		{"agent_started", "run_b", "echo", `{}`, 4, "2026-12-01T10:00:01Z"},
		{"run_queued", "run_a", "", `{"position":3}`, 1, "2026-12-01T10:00:00.25Z"},
		{"run_started", "run_a", "", `{"started_at":"2026-12-01T10:00:00.4Z"}`, 2, "2026-12-01T10:00:00.5Z"},
		{"run_completed", "run_a", "", `{"output":"hi"}`, 3, "2026-12-01T10:00:02Z"},
	}
	for _, w := range want {
		select {
		case ev := <-cn.Events():
			ts, _ := time.Parse(time.RFC3339, w.ts)
			if ev.Type != w.typ || ev.RunID != w.run || ev.Agent != w.agent || string(ev.Data) != w.data || ev.Seq != w.seq || !ev.TS.Equal(ts) {
				t.Fatalf("event %+v (data %s), want %+v", ev, ev.Data, w)
			}
		case <-ctx.Done():
			t.Fatalf("no %s event", w.typ)
		}
	}
}
