package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// ConnOptions tune a WebSocket connection.
type ConnOptions struct {
	// Reconnect redials after the connection drops and resumes every run being followed.
	Reconnect bool
	// MaxReconnects bounds consecutive failed redials. Default 10.
	MaxReconnects int
	// Buffer is the length of the Events channel. Default 4096.
	Buffer int
	// RefreshToken, when set, gives a new token after the server closed the connection
	// because the token expired (StatusTokenExpired); the Conn then redials with it. Without
	// it such a connection ends.
	RefreshToken func(ctx context.Context) (string, error)
	// OnFrame, when set, is called in the reading goroutine with every frame as it comes off
	// the wire, before de-duplication and ordering, and the server's id of the connection it
	// came on (each reconnect is a new one). It is for tests and debugging; it must not block.
	OnFrame func(connectionID string, frame []byte)
}

// StatusTokenExpired is the close status of a connection whose token expired.
const StatusTokenExpired websocket.StatusCode = 4401

// Conn is a WebSocket connection to the server as one user. Run events of the user's runs
// arrive on Events. Runs started or resumed through this Conn are followed: their events are
// delivered once each, in seq order, also across reconnects.
type Conn struct {
	c    *Client
	opts ConnOptions

	events chan Event
	done   chan struct{}
	cancel context.CancelFunc

	mu      sync.Mutex
	ws      *websocket.Conn
	connID  string
	nextID  int
	waiters map[string]chan frame
	follow  map[string]*follower
	err     error
	closed  bool
}

type follower struct {
	next    int64 // seq expected next
	pending map[int64]Event
}

type frame struct {
	Type          string `json:"type"`
	ID            string `json:"id"`
	RunID         string `json:"run_id"`
	ThreadID      string `json:"thread_id"`
	Status        string `json:"status"`
	QueuePosition *int   `json:"queue_position"`
	Code          string `json:"code"`
	Message       string `json:"message"`
	ConnectionID  string `json:"connection_id"`
	// An event's fields beside the ones above: a frame is decoded once, whatever it is. ts is
	// parsed only for events (another frame may one day carry a ts of its own kind).
	Seq   int64           `json:"seq"`
	TS    json.RawMessage `json:"ts"`
	Agent string          `json:"agent"`
	Data  json.RawMessage `json:"data"`
	raw   []byte
}

// Connect opens a WebSocket connection.
func (c *Client) Connect(ctx context.Context, opts ConnOptions) (*Conn, error) {
	if opts.MaxReconnects <= 0 {
		opts.MaxReconnects = 10
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 4096
	}
	life, cancel := context.WithCancel(context.Background())
	cn := &Conn{c: c, opts: opts, events: make(chan Event, opts.Buffer), done: make(chan struct{}), cancel: cancel,
		waiters: map[string]chan frame{}, follow: map[string]*follower{}}
	if err := cn.dial(ctx); err != nil {
		cancel()
		return nil, err
	}
	go cn.run(life)
	return cn, nil
}

func (cn *Conn) dial(ctx context.Context) error {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+cn.c.Token())
	ws, resp, err := websocket.Dial(ctx, cn.c.wsURL(), &websocket.DialOptions{HTTPHeader: h, Subprotocols: []string{"netra.v1"}})
	if err != nil {
		if resp != nil {
			// A refused upgrade answers with the contract's error body.
			var body struct {
				Error APIError `json:"error"`
			}
			if resp.Body != nil && json.NewDecoder(resp.Body).Decode(&body) == nil && body.Error.Code != "" {
				body.Error.Status = resp.StatusCode
				return &body.Error
			}
			return fmt.Errorf("websocket: %s: %w", resp.Status, err)
		}
		return err
	}
	ws.SetReadLimit(16 << 20)
	_, data, err := ws.Read(ctx)
	if err != nil {
		_ = ws.CloseNow()
		return err
	}
	var hello frame
	if json.Unmarshal(data, &hello) != nil || hello.Type != "connected" {
		_ = ws.CloseNow()
		return fmt.Errorf("websocket: unexpected first frame %q", data)
	}
	if cn.opts.OnFrame != nil {
		cn.opts.OnFrame(hello.ConnectionID, data)
	}
	cn.mu.Lock()
	cn.ws, cn.connID = ws, hello.ConnectionID
	cn.mu.Unlock()
	return nil
}

// ConnectionID is the server's id of the current connection.
func (cn *Conn) ConnectionID() string {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.connID
}

// Events delivers run events; it is closed when the connection ends for good.
func (cn *Conn) Events() <-chan Event { return cn.events }

// Done is closed when the connection has ended for good; Err then says why.
func (cn *Conn) Done() <-chan struct{} { return cn.done }

// Err returns why the connection ended, or nil while it is open or after Close.
func (cn *Conn) Err() error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err
}

// Close closes the connection.
func (cn *Conn) Close() error {
	cn.mu.Lock()
	cn.closed = true
	ws := cn.ws
	cn.mu.Unlock()
	cn.cancel()
	err := ws.Close(websocket.StatusNormalClosure, "")
	<-cn.done
	return err
}

// Drop closes the network connection abruptly, as a failing network would; with Reconnect
// the Conn then redials and resumes. For tests and chaos drills.
func (cn *Conn) Drop() {
	cn.mu.Lock()
	ws := cn.ws
	cn.mu.Unlock()
	_ = ws.CloseNow()
}

func (cn *Conn) run(life context.Context) {
	defer close(cn.done)
	defer close(cn.events)
	end := func(err error) {
		cn.mu.Lock()
		cn.err = err
		cn.mu.Unlock()
	}
	for {
		err := cn.readLoop(life)
		cn.mu.Lock()
		closed := cn.closed
		for id, w := range cn.waiters { // requests in flight get no answer on this connection
			close(w)
			delete(cn.waiters, id)
		}
		cn.mu.Unlock()
		if closed || life.Err() != nil {
			return
		}
		if !cn.opts.Reconnect {
			end(err)
			return
		}
		if websocket.CloseStatus(err) == StatusTokenExpired {
			if rerr := cn.refresh(life, err); rerr != nil {
				end(rerr)
				return
			}
		}
		if !cn.redial(life) {
			end(err)
			return
		}
	}
}

// refresh gets a new token after the old one expired; it returns nil when there is one to
// redial with, else why the connection must end.
func (cn *Conn) refresh(ctx context.Context, closed error) error {
	if cn.opts.RefreshToken == nil {
		return closed
	}
	tok, err := cn.opts.RefreshToken(ctx)
	if err != nil {
		return fmt.Errorf("token expired and could not be refreshed: %w (%w)", err, closed)
	}
	cn.c.SetToken(tok)
	return nil
}

func (cn *Conn) redial(life context.Context) bool {
	backoff := 50 * time.Millisecond
	for attempt := 0; attempt < cn.opts.MaxReconnects; attempt++ {
		ctx, cancel := context.WithTimeout(life, 10*time.Second)
		err := cn.dial(ctx)
		cancel()
		if err == nil {
			go cn.resumeAll(life)
			return true
		}
		select {
		case <-life.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 2*time.Second)
	}
	return false
}

// resumeAll asks for what each followed run missed while the connection was down.
func (cn *Conn) resumeAll(ctx context.Context) {
	cn.mu.Lock()
	type rs struct {
		run   string
		after int64
	}
	var todo []rs
	for id, f := range cn.follow {
		todo = append(todo, rs{id, f.next - 1})
	}
	cn.mu.Unlock()
	for _, r := range todo {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, _ = cn.request(rctx, map[string]any{"type": "resume", "run_id": r.run, "after_seq": r.after})
		cancel()
	}
}

func (cn *Conn) readLoop(life context.Context) error {
	cn.mu.Lock()
	ws, connID := cn.ws, cn.connID
	cn.mu.Unlock()
	for {
		_, data, err := ws.Read(life)
		if err != nil {
			return err
		}
		if cn.opts.OnFrame != nil {
			cn.opts.OnFrame(connID, data)
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			continue
		}
		f.raw = data
		switch f.Type {
		case "run_accepted", "ack", "pong", "error":
			cn.mu.Lock()
			if f.Type == "run_accepted" {
				// Registered here, in the reader, before any event of the run can be read.
				cn.follow[f.RunID] = &follower{next: 1, pending: map[int64]Event{}}
			}
			w := cn.waiters[f.ID]
			delete(cn.waiters, f.ID)
			cn.mu.Unlock()
			if w != nil {
				w <- f
			}
		default:
			var ts time.Time
			if len(f.TS) > 0 && ts.UnmarshalJSON(f.TS) != nil {
				continue
			}
			if f.RunID == "" {
				continue
			}
			ev := Event{Type: f.Type, RunID: f.RunID, ThreadID: f.ThreadID, Seq: f.Seq, TS: ts, Agent: f.Agent, Data: f.Data}
			for _, out := range cn.order(ev) {
				select {
				case cn.events <- out:
				case <-life.Done():
					return life.Err()
				}
			}
		}
	}
}

// order returns the events that can be delivered now: for followed runs, the next ones in seq
// order (holding back any that arrive early, dropping any seen before).
func (cn *Conn) order(ev Event) []Event {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	f := cn.follow[ev.RunID]
	if f == nil {
		return []Event{ev}
	}
	if ev.Seq < f.next {
		return nil
	}
	if ev.Seq > f.next {
		f.pending[ev.Seq] = ev
		return nil
	}
	out := []Event{ev}
	f.next++
	for {
		nx, ok := f.pending[f.next]
		if !ok {
			break
		}
		delete(f.pending, f.next)
		out = append(out, nx)
		f.next++
	}
	if out[len(out)-1].Terminal() {
		delete(cn.follow, ev.RunID)
	}
	return out
}

// ErrClosed answers requests on a connection that ended before the reply came.
var ErrClosed = errors.New("netra client: connection closed before the reply")

func (cn *Conn) request(ctx context.Context, msg map[string]any) (frame, error) {
	cn.mu.Lock()
	cn.nextID++
	id := "c" + strconv.Itoa(cn.nextID)
	w := make(chan frame, 1)
	cn.waiters[id] = w
	ws := cn.ws
	cn.mu.Unlock()
	msg["id"] = id
	data, _ := json.Marshal(msg)
	if err := ws.Write(ctx, websocket.MessageText, data); err != nil {
		cn.mu.Lock()
		delete(cn.waiters, id)
		cn.mu.Unlock()
		return frame{}, err
	}
	select {
	case f, ok := <-w:
		if !ok {
			return frame{}, ErrClosed
		}
		if f.Type == "error" {
			return f, &APIError{Code: f.Code, Message: f.Message}
		}
		return f, nil
	case <-ctx.Done():
		cn.mu.Lock()
		delete(cn.waiters, id)
		cn.mu.Unlock()
		return frame{}, ctx.Err()
	}
}

// Accepted is the server's answer to a start request.
type Accepted struct {
	RunID         string
	ThreadID      string
	Status        string
	QueuePosition *int
}

// Start starts a run on this connection and follows it.
func (cn *Conn) Start(ctx context.Context, req StartRun) (Accepted, error) {
	msg := map[string]any{"type": "start_run", "input": req.Input}
	if req.Agent != "" {
		msg["agent"] = req.Agent
	}
	if req.ThreadID != "" {
		msg["thread_id"] = req.ThreadID
	}
	if req.Params != nil {
		msg["params"] = req.Params
	}
	if req.Multitask != "" {
		msg["multitask"] = req.Multitask
	}
	f, err := cn.request(ctx, msg)
	if err != nil {
		return Accepted{}, err
	}
	return Accepted{RunID: f.RunID, ThreadID: f.ThreadID, Status: f.Status, QueuePosition: f.QueuePosition}, nil
}

// Cancel cancels a run.
func (cn *Conn) Cancel(ctx context.Context, runID string) error {
	_, err := cn.request(ctx, map[string]any{"type": "cancel_run", "run_id": runID})
	return err
}

// Resume follows a run from afterSeq: its stored events after that seq, then the live ones.
func (cn *Conn) Resume(ctx context.Context, runID string, afterSeq int64) error {
	cn.mu.Lock()
	added := cn.follow[runID] == nil
	if added {
		cn.follow[runID] = &follower{next: afterSeq + 1, pending: map[int64]Event{}}
	}
	cn.mu.Unlock()
	_, err := cn.request(ctx, map[string]any{"type": "resume", "run_id": runID, "after_seq": afterSeq})
	if err != nil && added {
		cn.mu.Lock()
		delete(cn.follow, runID)
		cn.mu.Unlock()
	}
	return err
}

// Ping checks the connection end to end.
func (cn *Conn) Ping(ctx context.Context) error {
	_, err := cn.request(ctx, map[string]any{"type": "ping"})
	return err
}

// Send writes a raw frame, for tests of the server's frame handling.
func (cn *Conn) Send(ctx context.Context, data []byte) error {
	cn.mu.Lock()
	ws := cn.ws
	cn.mu.Unlock()
	return ws.Write(ctx, websocket.MessageText, data)
}
