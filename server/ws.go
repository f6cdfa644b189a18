package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/execctx"
	"github.com/netra-ai/netra/ratelimit"
	"github.com/netra-ai/netra/redact"
	"github.com/netra-ai/netra/sched"
)

// Protocol is the WebSocket subprotocol of the wire contract.
const Protocol = "netra.v1"

var (
	errSlow       = errors.New("slow consumer")
	errReaderDone = errors.New("reader done")
	errExpired    = errors.New("token expired")
	errSignedOut  = errors.New("signed out")
	errNoPong     = errors.New("no pong")
)

// StatusTokenExpired closes a connection whose token has expired; the client reconnects with
// a new token (and resumes by seq).
const StatusTokenExpired websocket.StatusCode = 4401

// checkOrigin refuses cross-site WebSocket requests (before authentication): an Origin must
// name the request's own host and port, or be listed in AllowedOrigins. No Origin passes.
func (s *Server) checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" || slices.Contains(s.cfg.AllowedOrigins, origin) {
		return nil
	}
	refused := netra.Errorf(netra.CodeForbidden, "origin not allowed")
	if origin == "null" {
		return refused
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
		return refused
	}
	return nil
}

// wsGrant authenticates an upgrade by header, subprotocol token or ticket.
func (s *Server) wsGrant(r *http.Request) (auth.Grant, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return s.authenticate(r, false)
	}
	for _, p := range strings.Split(strings.Join(r.Header.Values("Sec-WebSocket-Protocol"), ","), ",") {
		if tok, ok := strings.CutPrefix(strings.TrimSpace(p), "bearer."); ok {
			return s.cfg.Verifier.Check(tok)
		}
	}
	if t := r.URL.Query().Get("ticket"); t != "" {
		g, err := s.cfg.Tickets.Redeem(r.Context(), t)
		if err == nil && s.cfg.Verifier.Revoked(g) {
			return auth.Grant{}, netra.Errorf(netra.CodeUnauthorized, "signed out")
		}
		return g, err
	}
	return auth.Grant{}, netra.Errorf(netra.CodeUnauthorized, "missing credentials")
}

func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	r = withRequest(w, r)
	if err := s.checkOrigin(r); err != nil {
		s.audit(r.Context(), netra.AuditAnonymous, netra.AuditConnect, "", "origin "+r.Header.Get("Origin"), err)
		s.writeError(w, r, err, nil)
		return
	}
	g, err := s.wsGrant(r)
	if err == nil && !g.Expires.IsZero() && !time.Now().Before(g.Expires) {
		// Inside the verifier's leeway, but a connection would close at once with 4401:
		// refuse the upgrade instead, so the client renews its token first.
		err = netra.Errorf(netra.CodeUnauthorized, "token expired")
	}
	id := g.Identity
	s.auditAuth(r, id, err)
	if err != nil {
		s.cfg.Metrics.AuthFailures.Inc()
		s.writeError(w, r, err, err)
		return
	}
	if s.open.Add(1) > int64(s.cfg.MaxConnections) {
		s.open.Add(-1)
		s.cfg.Metrics.RateLimited.WithLabelValues("server_connection").Inc()
		s.writeError(w, r, RetryAfter(netra.Errorf(netra.CodeUnavailable, "the server holds its most connections; try again shortly"), 5*time.Second), nil)
		return
	}
	local := s.cfg.Limits.Connect(id)
	service := local && (s.cfg.Connections == nil || s.cfg.Connections.Connect(id))
	if !service {
		s.open.Add(-1)
		if local {
			s.cfg.Limits.Disconnect(id.UserID)
		}
		s.cfg.Metrics.RateLimited.WithLabelValues("connection").Inc()
		s.writeError(w, r, RetryAfter(netra.Errorf(netra.CodeRateLimited, "at most %d connections at once for tier %s", s.cfg.Limits.Limits(id.Tier).Connections, id.Tier), 5*time.Second), nil)
		return
	}
	// Counted before the upgrade: http.Server.Shutdown waits for this handler until it
	// hijacks the connection, so WaitConns, which comes after, cannot miss it.
	s.conns.Add(1)
	release := func() {
		s.conns.Done()
		s.open.Add(-1)
		s.cfg.Limits.Disconnect(id.UserID)
		if s.cfg.Connections != nil {
			s.cfg.Connections.Disconnect(id.UserID)
		}
	}
	hj := &hijackCapture{ResponseWriter: w}
	ws, err := websocket.Accept(hj, r, &websocket.AcceptOptions{
		Subprotocols:       []string{Protocol},
		InsecureSkipVerify: true, // checkOrigin above is the contract's check
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		release()
		return // Accept has answered
	}
	// The connection is served on a goroutine of its own, and this handler returns: the
	// request, its headers and the handler's deep stack are let go (about half of what an idle
	// connection held). Its context is the server's base, not the request's, which ends when
	// the handler returns; it keeps the request's id and remote address for the audit trail.
	base, _ := r.Context().Value(baseKey{}).(context.Context)
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithCancelCause(context.WithValue(base, requestKey{}, requestOf(r.Context())))
	wctx, wcancel := context.WithCancel(context.Background())
	c := &wsConn{s: s, ws: ws, raw: hj.conn, cork: hj.cork, user: id, expires: g.Expires, connID: netra.NewID("conn_"), ctx: ctx, cancel: cancel, wctx: wctx,
		out: newOutQueue(s.cfg.SendQueue), sent: map[string]*seqSet{}, held: map[string][]*netra.Event{}}
	go func() {
		defer release()
		defer wcancel()
		stop := context.AfterFunc(ctx, func() { time.AfterFunc(closeGrace, wcancel) })
		defer stop()
		context.AfterFunc(wctx, c.cork.cut) // a writer's held frames wait no longer than its frames do
		defer s.sessions.add(g.ID, c)()
		if s.cfg.Verifier.Revoked(g) { // signed out since its ticket was issued, or while it connected
			c.cancel(errSignedOut)
		}
		c.serve()
	}()
}

// baseKey carries the server's base context in every request's (BaseContext).
type baseKey struct{}

// BaseContext is http.Server's BaseContext for this server. A WebSocket connection outlives
// its request, whose context ends when the upgrade's handler returns; it ends with base.
func (s *Server) BaseContext(base context.Context) func(net.Listener) context.Context {
	ctx := context.WithValue(base, baseKey{}, base)
	return func(net.Listener) context.Context { return ctx }
}

// closeGrace is how long a closing connection may take to finish the frame it is writing, and
// then to deliver its close frame, before its TCP connection is closed under it: a client
// that does not read is let go within about twice this, not after the write timeout.
const closeGrace = 300 * time.Millisecond

// closeWith closes with a status when the handshake completes within closeGrace, and drops the
// TCP connection otherwise: a peer that does not read would hold the library's handshake for
// its own 5 s, and CloseNow does not cut a handshake under way.
func (c *wsConn) closeWith(code websocket.StatusCode, reason string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.ws.Close(code, reason)
	}()
	select {
	case <-done:
	case <-time.After(closeGrace):
		if c.raw != nil {
			_ = c.raw.Close()
		}
		<-done
	}
}

// hijackCapture keeps the connection the WebSocket library hijacks, so that closeWith can cut
// it, and puts a cork under the library's write buffer.
type hijackCapture struct {
	http.ResponseWriter
	conn net.Conn
	cork *corkConn
}

func (h *hijackCapture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	h.conn = c
	if err == nil && rw != nil && rw.Writer != nil {
		h.cork = &corkConn{Conn: c}
		rw.Writer.Reset(h.cork) // empty: the 101 response went out before the hijack
	}
	return c, rw, err
}

type itemKind uint8

const (
	itemEvent   itemKind = iota // a run event from the hub
	itemFrame                   // a direct reply
	itemHold                    // hold the events of runID until its release
	itemRelease                 // write frame, then the held events of runID
	itemResume                  // replay stored events of runID after afterSeq, then frame (the ack)
)

// outItem is one entry of a connection's send queue: a run event, or a control item. It is
// two pointers (16 bytes), because the queue is allocated whole for every connection: with
// 1,024 slots this keeps an idle connection's queue at 16 KiB.
type outItem struct {
	ev  *netra.Event // itemEvent
	ctl *control     // everything else
}

type control struct {
	kind     itemKind
	frame    []byte
	runID    string
	afterSeq int64
	id       *string // the client's frame id, for an error reply
}

// wsConn is one WebSocket connection. The reader goroutine handles client frames. A writer
// goroutine runs while frames wait (outQueue) and the closer runs once the connection ends;
// they take turns under wmu, which owns every write and the per-run delivery state (what was
// sent, what is held). An idle connection has its reader only.
type wsConn struct {
	s       *Server
	ws      *websocket.Conn
	user    netra.Identity
	expires time.Time // the token's; the connection closes then (StatusTokenExpired)
	connID  string
	ctx     context.Context
	cancel  context.CancelCauseFunc
	raw     net.Conn  // the hijacked TCP connection
	cork    *corkConn // under the library's writes: a writer's turn leaves in one write
	// wctx bounds frame writes: it ends closeGrace after ctx, so that a write blocked on a
	// peer that does not read cannot hold the closing connection for the write timeout.
	wctx context.Context
	out  *outQueue
	slow atomic.Bool
	wmu  sync.Mutex     // held by the writer and the closer
	wg   sync.WaitGroup // writers started

	// Direct replies in the order of their frames. A start_run's reply waits for its commit,
	// on a replier goroutine that runs only while replies wait, so that the reader goes on
	// with the next frames; every reply after a waiting one waits its turn behind it.
	// pending holds at most maxPendingReplies, so a client that sends faster than its replies
	// can go out is held back at its reader, as before; waiting counts the replies handed, or
	// about to be handed, to it. pmu guards waiting and replying; pending is made by the reader
	// on first use.
	pmu      sync.Mutex
	pending  chan func()
	waiting  int
	replying bool
	replier  sync.WaitGroup

	// runs to cancel when the connection closes; appended by the replier, read after it ends
	cancelOnClose []string

	// writer-owned
	sent map[string]*seqSet
	held map[string][]*netra.Event
}

// Deliver is called by the hub; it never blocks. A connection whose queue is full is closed
// with 1013 and resumes by seq.
func (c *wsConn) Deliver(ev *netra.Event) {
	if !c.offer(outItem{ev: ev}) && c.slow.CompareAndSwap(false, true) {
		c.s.cfg.Metrics.SlowDisconnects.Inc()
		c.cancel(errSlow)
	}
}

func (c *wsConn) serve() {
	m := c.s.cfg.Metrics
	m.Connections.Inc()
	defer m.Connections.Dec()
	c.ws.SetReadLimit(MaxFrame)
	c.s.audit(c.ctx, c.user.UserID, netra.AuditConnect, "", "connection "+c.connID, nil)
	defer c.s.audit(context.WithoutCancel(c.ctx), c.user.UserID, netra.AuditDisconnect, "", "connection "+c.connID, nil)
	// Last, once nothing offers any more (the hub has dropped the connection, the replier is
	// done): the writers have ended.
	defer c.wg.Wait()
	defer c.cancel(errReaderDone)
	// Subscribe before "connected", so that every event emitted after the client has seen
	// it reaches the client; a writer started meanwhile waits for "connected" to go first.
	c.wmu.Lock()
	unsubscribe, err := c.s.cfg.Hub.Subscribe(c.ctx, c.user.UserID, c)
	if err != nil {
		c.wmu.Unlock()
		c.s.log.Warn("subscribing a connection on the event bus failed", "err", err)
		c.closeWith(websocket.StatusTryAgainLater, "the event bus is unavailable: reconnect shortly")
		return
	}
	defer unsubscribe()
	hello, _ := json.Marshal(struct {
		Type         string `json:"type"`
		ConnectionID string `json:"connection_id"`
		UserID       string `json:"user_id"`
		Protocol     string `json:"protocol"`
	}{"connected", c.connID, c.user.UserID, Protocol})
	err = c.write(hello)
	c.wmu.Unlock()
	if err != nil {
		_ = c.ws.CloseNow()
		return
	}
	expiry := time.AfterFunc(time.Until(c.expires), func() { c.cancel(errExpired) })
	defer expiry.Stop()
	// Pings run on a timer, not a goroutine of their own: idle connections cost no goroutine.
	var pinger *time.Timer
	pinger = time.AfterFunc(c.s.cfg.PingEvery, func() {
		ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.PongWait)
		defer cancel()
		if err := c.ws.Ping(ctx); err != nil {
			c.cancel(errNoPong)
			return
		}
		pinger.Reset(c.s.cfg.PingEvery)
	})
	defer pinger.Stop()
	closed := make(chan struct{})
	context.AfterFunc(c.ctx, func() {
		defer close(closed)
		c.close()
	})
	c.readLoop()
	c.cancel(errReaderDone)
	<-closed
	// Runs whose acceptance was under way are queued even though their replies are lost.
	c.replier.Wait()
	for _, runID := range c.cancelOnClose {
		// Runs that already ended answer conflict; nothing to do for them.
		_, _ = c.s.cancelRun(context.WithoutCancel(c.ctx), c.user, runID)
	}
}

func (c *wsConn) write(frame []byte) error {
	ctx, cancel := context.WithTimeout(c.wctx, c.s.cfg.WriteTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, frame)
}

// offer queues an item for the writer, starting one when none is under way.
func (c *wsConn) offer(it outItem) bool {
	ok, start := c.out.offer(it)
	if start {
		c.wg.Add(1)
		go c.writeOut()
	}
	return ok
}

// writeOut writes what waits, then ends: the next offer starts another writer. What it
// writes in one turn leaves in one write(2), when the turn ends.
func (c *wsConn) writeOut() {
	defer c.wg.Done()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.cork.cork()
	err := c.writeQueued()
	if uerr := c.cork.uncork(c.s.cfg.WriteTimeout); err == nil {
		err = uerr
	}
	if err != nil && c.ctx.Err() == nil {
		c.cancel(errReaderDone) // the closer drops the connection
	}
}

func (c *wsConn) writeQueued() error {
	for c.ctx.Err() == nil { // closing: the closer closes with the right status, nothing else goes out
		it, ok := c.out.take()
		if !ok {
			return nil
		}
		if err := c.handleOut(it); err != nil {
			return err
		}
	}
	return nil
}

// close ends the connection with the status its cause calls for, after the frame being
// written (bounded by wctx).
func (c *wsConn) close() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	switch cause := context.Cause(c.ctx); {
	case errors.Is(cause, errSlow):
		c.closeWith(websocket.StatusTryAgainLater, "too slow: reconnect and resume with after_seq")
	case errors.Is(cause, errNoPong):
		_ = c.ws.CloseNow() // the peer is gone or stuck: nobody to send a status to
	case errors.Is(cause, errExpired):
		c.closeWith(StatusTokenExpired, "token expired: reconnect with a new token")
	case errors.Is(cause, errSignedOut):
		c.closeWith(StatusTokenExpired, "signed out: sign in again")
	case errors.Is(cause, errReaderDone):
		_ = c.ws.CloseNow()
	default:
		c.closeWith(websocket.StatusGoingAway, "server shutting down")
	}
}

func (c *wsConn) handleOut(item outItem) error {
	if item.ev != nil {
		return c.handleEvent(item.ev)
	}
	it := item.ctl
	switch it.kind {
	case itemFrame:
		return c.write(it.frame)
	case itemHold:
		c.held[it.runID] = nil
		return nil
	case itemRelease:
		if err := c.write(it.frame); err != nil {
			return err
		}
		held := c.held[it.runID]
		delete(c.held, it.runID)
		for _, ev := range held {
			if err := c.sendEvent(ev.RunID, ev.Seq, ev.Type, ev.Frame); err != nil {
				return err
			}
		}
		return nil
	case itemResume:
		// What the turn holds goes out before the store is read, not after.
		if err := c.cork.uncork(c.s.cfg.WriteTimeout); err != nil {
			return err
		}
		c.cork.cork()
		evs, err := c.s.cfg.Store.ListEvents(c.ctx, c.user.UserID, it.runID, it.afterSeq, 0)
		if err != nil {
			if c.ctx.Err() != nil {
				return err // the connection is closing; the client resumes again after it
			}
			return c.write(c.errorFrame(it.id, err))
		}
		for i := range evs {
			if err := c.sendEvent(it.runID, evs[i].Seq, evs[i].Type, evs[i].Frame); err != nil {
				return err
			}
		}
		return c.write(it.frame) // the ack
	}
	return nil
}

func (c *wsConn) handleEvent(ev *netra.Event) error {
	if ev.Owner != c.user.UserID { // the last line of defence; must never happen
		c.s.cfg.Metrics.IsolationViolations.Inc()
		c.s.log.Error("isolation violation: event for another user reached a connection",
			"connection_id", c.connID, "user_id", c.user.UserID, "run_id", ev.RunID)
		return nil
	}
	if h, ok := c.held[ev.RunID]; ok {
		c.held[ev.RunID] = append(h, ev)
		return nil
	}
	err := c.sendEvent(ev.RunID, ev.Seq, ev.Type, ev.Frame)
	if err == nil {
		c.s.cfg.Metrics.EventLatency.Observe(time.Since(ev.TS).Seconds())
	}
	return err
}

// maxTrackedRuns bounds the per-run delivery state of one connection; ended runs are
// forgotten first.
const maxTrackedRuns = 4096

// sendEvent writes an event unless this connection has sent it already.
func (c *wsConn) sendEvent(runID string, seq int64, typ netra.EventType, frame []byte) error {
	set := c.sent[runID]
	if set == nil {
		if len(c.sent) >= maxTrackedRuns {
			for id, s := range c.sent {
				if s.ended {
					delete(c.sent, id)
				}
			}
		}
		set = &seqSet{}
		c.sent[runID] = set
	}
	if set.has(seq) {
		return nil
	}
	if err := c.write(frame); err != nil {
		return err
	}
	set.add(seq)
	if typ.Terminal() {
		set.ended = true
	}
	return nil
}

// enqueue hands an item to the writer, waiting while the queue is full.
func (c *wsConn) enqueue(it outItem) bool {
	for !c.offer(it) {
		select {
		case <-c.out.space:
		case <-c.ctx.Done():
			return false
		}
	}
	return true
}

func (c *wsConn) readLoop() {
	// Reads use a context of their own: cancelling a read's context closes the connection
	// without a status, and the writer closes it properly instead.
	ctx := context.WithoutCancel(c.ctx)
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return // closed by the peer, by the writer, or with 1009 for a message over MaxFrame
		}
		if typ != websocket.MessageText {
			_ = c.ws.Close(websocket.StatusUnsupportedData, "binary messages are not supported")
			return
		}
		ok, wait := c.s.allow(c.ctx, c.user, ratelimit.Frames, netra.AuditConnect, "frames of connection "+c.connID)
		if !ok {
			c.s.cfg.Metrics.RateLimited.WithLabelValues("frame").Inc()
			err := netra.Errorf(netra.CodeRateLimited, "too many frames; retry in %s", wait.Round(time.Millisecond))
			if !c.enqueue(outItem{ctl: &control{kind: itemFrame, frame: errorWithID(frameID(data), err)}}) {
				return
			}
			// Read nothing more until the bucket has a token again: a flooding peer then meets
			// TCP backpressure instead of having every frame read, parsed and refused, which
			// took CPU from every other connection.
			if !c.pause(wait) {
				return
			}
			continue
		}
		if !c.handleFrame(data) {
			return
		}
	}
}

// maxFramePause bounds how long the reader rests after refusing a frame.
const maxFramePause = time.Second

// pause waits d (at most maxFramePause), or until the connection closes (false).
func (c *wsConn) pause(d time.Duration) bool {
	t := time.NewTimer(min(d, maxFramePause))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// reply is a direct reply frame: pong, ack or error.
type reply struct {
	Type    string     `json:"type"`
	ID      *string    `json:"id,omitempty"`
	Code    netra.Code `json:"code,omitempty"`
	Message string     `json:"message,omitempty"`
}

func frameOf(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// errorFrame encodes err for the client and logs the detail of server-side failures.
func (c *wsConn) errorFrame(id *string, err error) []byte {
	if code := netra.ErrorCode(err); (code == netra.CodeInternal || code == netra.CodeUnavailable) && !errors.Is(err, sched.ErrNodeQueueFull) {
		c.s.log.Error("websocket request failed", "connection_id", c.connID, "user_id", c.user.UserID, "code", code, "err", err)
	}
	return errorWithID(id, err)
}

// errorWithID encodes err as an error frame carrying the client's id, if it sent one.
func errorWithID(id *string, err error) []byte {
	return frameOf(reply{Type: "error", ID: id, Code: netra.ErrorCode(err), Message: redact.Message(netra.ErrorMessage(err))})
}

func invalid(format string, args ...any) error {
	return netra.Errorf(netra.CodeInvalidRequest, format, args...)
}

// clientFrame is a decoded client frame.
type clientFrame struct {
	typ      string
	id       *string // the client's id, copied into the reply
	start    startRequest
	runID    string
	afterSeq int64
}

// decodeFrame parses and checks one client frame (protocol-v1 §3). A refused frame's error is
// invalid_request (or not_found for an id that can name nothing); f.id is set whenever the
// frame had a string id, also with an error, so the reply can carry it.
func decodeFrame(data []byte) (f clientFrame, err error) {
	trimmed := bytes.TrimSpace(data)
	if !json.Valid(trimmed) {
		return f, invalid("malformed JSON")
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return f, invalid("a frame must be a JSON object")
	}
	var head struct {
		Type json.RawMessage `json:"type"`
		ID   json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(trimmed, &head)
	if len(head.ID) > 0 && string(head.ID) != "null" {
		var s string
		if err := json.Unmarshal(head.ID, &s); err != nil {
			return f, invalid("id must be a string")
		}
		f.id = &s
	}
	if err := json.Unmarshal(head.Type, &f.typ); err != nil || f.typ == "" {
		return f, invalid("type is required and must be a string")
	}
	switch f.typ {
	case "ping":
	case "start_run":
		err = decodeObject(trimmed, &f.start)
	case "cancel_run":
		f.runID, err = stringField(trimmed, "run_id")
	case "resume":
		if f.runID, err = stringField(trimmed, "run_id"); err == nil {
			f.afterSeq, err = seqField(trimmed, "after_seq")
		}
		if err == nil && !execctx.ValidID(f.runID) {
			err = netra.Errorf(netra.CodeNotFound, "run not found")
		}
	default:
		err = invalid("unknown type %q", truncate(f.typ, 40))
	}
	return f, err
}

// handleFrame answers one client frame. It reports false when the connection is closing.
func (c *wsConn) handleFrame(data []byte) bool {
	if c.ctx.Err() != nil {
		return false // the connection is closing (too slow, or shutting down): no reply
	}
	f, err := decodeFrame(data)
	fail := func(err error) bool {
		return c.replyInOrder(outItem{ctl: &control{kind: itemFrame, frame: c.errorFrame(f.id, err)}})
	}
	if err != nil {
		return fail(err)
	}
	ack := frameOf(reply{Type: "ack", ID: f.id})
	switch f.typ {
	case "ping":
		return c.replyInOrder(outItem{ctl: &control{kind: itemFrame, frame: frameOf(reply{Type: "pong", ID: f.id})}})
	case "start_run":
		c.startRun(f.id, f.start)
		return true
	case "cancel_run":
		if _, err := c.s.cancelRun(c.ctx, c.user, f.runID); err != nil {
			return fail(err)
		}
		return c.replyInOrder(outItem{ctl: &control{kind: itemFrame, frame: ack}})
	default: // resume
		if _, err := c.s.cfg.Store.GetRun(c.ctx, c.user.UserID, f.runID); err != nil {
			return fail(err)
		}
		return c.replyInOrder(outItem{ctl: &control{kind: itemResume, runID: f.runID, afterSeq: f.afterSeq, frame: ack, id: f.id}})
	}
}

// maxPendingReplies bounds the replies of one connection that wait behind a start_run's commit.
const maxPendingReplies = 64

// replyInOrder hands a reply to the writer now, or, while earlier replies wait for their
// commits, after them. Only the reader calls it.
func (c *wsConn) replyInOrder(it outItem) bool {
	c.pmu.Lock()
	if !c.replying {
		c.pmu.Unlock()
		return c.enqueue(it)
	}
	c.waiting++
	c.pmu.Unlock()
	c.pending <- func() { c.enqueue(it) }
	return true
}

// later runs fn on the replier, after the replies that wait already. Only the reader calls it.
func (c *wsConn) later(fn func()) {
	if c.pending == nil {
		c.pending = make(chan func(), maxPendingReplies)
	}
	c.pmu.Lock()
	c.waiting++
	if !c.replying {
		c.replying = true
		c.replier.Add(1)
		go c.reply()
	}
	c.pmu.Unlock()
	c.pending <- fn
}

// reply runs the waiting replies in order until none is left. It leaves only when nothing is
// being handed to it: a reply counted in waiting is always received.
func (c *wsConn) reply() {
	defer c.replier.Done()
	for {
		c.pmu.Lock()
		if c.waiting == 0 {
			c.replying = false
			c.pmu.Unlock()
			return
		}
		c.pmu.Unlock()
		fn := <-c.pending
		c.pmu.Lock()
		c.waiting--
		c.pmu.Unlock()
		fn()
	}
}

// startRun begins a run's acceptance on the reader and finishes it on the replier: the reader
// reads the next frames while the run's rows wait for their group commit.
func (c *wsConn) startRun(id *string, req startRequest) {
	var held string
	hold := func(runID string) {
		if c.enqueue(outItem{ctl: &control{kind: itemHold, runID: runID}}) {
			held = runID
		}
	}
	p := c.s.beginRun(c.ctx, c.user, req, c.connID, hold)
	c.later(func() {
		run, pos, err := p.finish()
		var frame []byte
		if err != nil {
			frame = c.errorFrame(id, err)
		} else {
			frame = acceptedFrame(id, run, pos)
			if req.CancelOnDisconnect {
				c.cancelOnClose = append(c.cancelOnClose, run.ID)
			}
		}
		if held != "" {
			c.enqueue(outItem{ctl: &control{kind: itemRelease, runID: held, frame: frame}})
			return
		}
		c.enqueue(outItem{ctl: &control{kind: itemFrame, frame: frame}})
	})
}

// acceptedFrame encodes run_accepted; queue_position is always present, null unless queued.
func acceptedFrame(id *string, run netra.Run, pos int) []byte {
	var qp *int
	if pos > 0 {
		qp = &pos
	}
	return frameOf(struct {
		Type          string          `json:"type"`
		ID            *string         `json:"id,omitempty"`
		RunID         string          `json:"run_id"`
		ThreadID      string          `json:"thread_id"`
		Status        netra.RunStatus `json:"status"`
		QueuePosition *int            `json:"queue_position"`
	}{"run_accepted", id, run.ID, run.ThreadID, run.Status, qp})
}

func stringField(frame []byte, name string) (string, error) {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(frame, &m)
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return "", invalid("%s is required", name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid("%s must be a string", name)
	}
	return s, nil
}

func seqField(frame []byte, name string) (int64, error) {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(frame, &m)
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return 0, invalid("%s is required", name)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < 0 {
		return 0, invalid("%s must be an integer ≥ 0", name)
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// seqSet is the set of seqs a connection has sent for one run, as sorted disjoint intervals;
// live delivery and replays each add contiguous stretches, so it stays one or two intervals.
type seqSet struct {
	iv    [][2]int64
	ended bool
}

func (s *seqSet) has(seq int64) bool {
	for _, r := range s.iv {
		if seq >= r[0] && seq <= r[1] {
			return true
		}
	}
	return false
}

func (s *seqSet) add(seq int64) {
	for i := range s.iv {
		r := &s.iv[i]
		if seq == r[1]+1 {
			r[1] = seq
			if i+1 < len(s.iv) && s.iv[i+1][0] == seq+1 { // merge with the next interval
				r[1] = s.iv[i+1][1]
				s.iv = append(s.iv[:i+1], s.iv[i+2:]...)
			}
			return
		}
		if seq == r[0]-1 {
			r[0] = seq
			return
		}
		if seq < r[0] {
			s.iv = slices.Insert(s.iv, i, [2]int64{seq, seq})
			return
		}
	}
	s.iv = append(s.iv, [2]int64{seq, seq})
}

// frameID returns the client's id of a frame, when it has a string one.
func frameID(data []byte) *string {
	var head struct {
		ID *string `json:"id"`
	}
	if json.Unmarshal(data, &head) != nil {
		return nil
	}
	return head.ID
}
