package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netra-ai/netra"
)

// countingListener counts the writes made on the connections it accepts.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	return countingConn{c, l.writes}, err
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// A writer's turn leaves in one write: twenty frames queued together reach the client whole and
// in order, in one write(2) on the server's side instead of twenty.
func TestWriterTurnLeavesInOneWrite(t *testing.T) {
	t.Parallel()
	var writes atomic.Int64
	conns := make(chan *wsConn, 1)
	s := &Server{cfg: Config{WriteTimeout: 5 * time.Second}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj := &hijackCapture{ResponseWriter: w}
		ws, err := websocket.Accept(hj, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		c := &wsConn{s: s, ws: ws, raw: hj.conn, cork: hj.cork, ctx: ctx, cancel: cancel, wctx: context.Background(),
			out: newOutQueue(64), sent: map[string]*seqSet{}, held: map[string][]*netra.Event{}}
		conns <- c
	}))
	srv.Listener = countingListener{srv.Listener, &writes}
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, _, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseNow()
	c := <-conns
	defer c.ws.CloseNow()
	if c.cork == nil {
		t.Fatal("the hijacked connection has no cork")
	}
	before := writes.Load()
	const frames = 20
	c.wmu.Lock() // the writer waits until every frame is queued, as it does behind a commit's publish
	for i := range frames {
		if !c.offer(outItem{ctl: &control{kind: itemFrame, frame: fmt.Appendf(nil, `{"n":%d}`, i)}}) {
			t.Fatal("queue full")
		}
	}
	c.wmu.Unlock()
	for i := range frames {
		_, data, err := client.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`{"n":%d}`, i); string(data) != want {
			t.Fatalf("frame %d = %s, want %s", i, data, want)
		}
	}
	c.wg.Wait()
	if n := writes.Load() - before; n != 1 {
		t.Fatalf("%d frames took %d writes, want 1", frames, n)
	}
	// Uncorked, a frame goes straight through (the hello, a close).
	if err := c.write([]byte(`{"n":"direct"}`)); err != nil {
		t.Fatal(err)
	}
	if _, data, err := client.Read(ctx); err != nil || string(data) != `{"n":"direct"}` {
		t.Fatalf("direct frame: %s, %v", data, err)
	}
}

// A cork holds at most corkMax bytes: a longer turn goes out as it fills, in order.
func TestCorkBoundsWhatItHolds(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &corkConn{Conn: a}
	got := make(chan []byte, 1)
	go func() {
		all, _ := io.ReadAll(b)
		got <- all
	}()
	c.cork()
	var want []byte
	for i := range 100 {
		p := fmt.Appendf(nil, "%04d%01000d", i, 0)
		want = append(want, p...)
		if _, err := c.Write(p); err != nil {
			t.Fatal(err)
		}
		if len(c.held) > corkMax {
			t.Fatalf("holds %d bytes, more than %d", len(c.held), corkMax)
		}
	}
	if err := c.uncork(time.Second); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if all := <-got; string(all) != string(want) {
		t.Fatalf("read %d bytes, not the %d written in order", len(all), len(want))
	}
}

// A cut ends an uncork blocked on a peer that does not read, and makes the next one fail at
// once: a closing connection's held frames wait no longer than its frames do (closeGrace),
// not for the write timeout.
// Shown to catch: uncork's write bounded by its timeout alone (planted uncork-not-cut).
func TestCutEndsABlockedUncork(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe() // nobody reads b: a write on a blocks
	defer a.Close()
	defer b.Close()
	c := &corkConn{Conn: a}
	c.cork()
	if _, err := c.Write([]byte("held")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.uncork(time.Minute) }()
	time.Sleep(50 * time.Millisecond) // the write is under way, blocked
	at := time.Now()
	c.cut()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the cut write succeeded")
		}
		if d := time.Since(at); d > time.Second {
			t.Fatalf("the write ended %v after the cut", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the write still waits 5 s after the cut")
	}
	// Cut before it starts: the next uncork fails at once, whatever its timeout.
	c.cork()
	if _, err := c.Write([]byte("more")); err != nil {
		t.Fatal(err)
	}
	at = time.Now()
	if err := c.uncork(time.Minute); err == nil || time.Since(at) > time.Second {
		t.Fatalf("an uncork after the cut: %v after %v", err, time.Since(at))
	}
}
