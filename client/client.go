// Package client is a Go client for Netra's wire protocol v1: the HTTP API, and WebSocket
// connections that start, cancel and follow runs, reconnecting and resuming by seq on their
// own so that a follower sees each run's events once, in order, with no gap.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Client talks to one Netra server as one user.
type Client struct {
	base  string
	token atomic.Pointer[string] // replaced by SetToken when a token is renewed
	http  *http.Client
}

// Token returns the bearer token the client sends.
func (c *Client) Token() string { return *c.token.Load() }

// URL is the server's base URL.
func (c *Client) URL() string { return c.base }

// SetToken replaces the bearer token, for requests and redials from now on.
func (c *Client) SetToken(tok string) { c.token.Store(&tok) }

// New returns a client for the server at baseURL ("http://127.0.0.1:8080") with a bearer token.
func New(baseURL, token string) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	c.token.Store(&token)
	return c
}

// APIError is an error answered by the server.
type APIError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     string `json:"ref"`
}

func (e *APIError) Error() string {
	msg := e.Code + ": " + e.Message
	if e.Status != 0 {
		msg = fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
	}
	if e.Ref != "" {
		msg += " [ref " + e.Ref + "]"
	}
	return msg
}

// Run is a run as the server reports it.
type Run struct {
	ID            string          `json:"id"`
	ThreadID      string          `json:"thread_id"`
	Agent         string          `json:"agent"`
	Status        string          `json:"status"`
	CreatedAt     time.Time       `json:"created_at"`
	StartedAt     *time.Time      `json:"started_at,omitempty"`
	EndedAt       *time.Time      `json:"ended_at,omitempty"`
	QueuePosition *int            `json:"queue_position,omitempty"`
	Output        json.RawMessage `json:"output,omitempty"`
	Error         *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Thread is a conversation.
type Thread struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Message is one entry of a thread.
type Message struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	Content   string    `json:"content"`
	RunID     string    `json:"run_id"`
	CreatedAt time.Time `json:"created_at"`
}

// Event is a run event.
type Event struct {
	Type     string          `json:"type"`
	RunID    string          `json:"run_id"`
	ThreadID string          `json:"thread_id"`
	Seq      int64           `json:"seq"`
	TS       time.Time       `json:"ts"`
	Agent    string          `json:"agent,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// Terminal reports whether e ends its run.
func (e Event) Terminal() bool {
	return e.Type == "run_completed" || e.Type == "run_failed" || e.Type == "run_cancelled"
}

// StartRun is a request to start a run.
type StartRun struct {
	Input     string         `json:"input"`
	Agent     string         `json:"agent,omitempty"`
	ThreadID  string         `json:"thread_id,omitempty"`
	Params    map[string]any `json:"params,omitempty"`
	Multitask string         `json:"multitask,omitempty"`
}

// Do sends a request with the client's token and decodes a JSON answer into out (if not nil).
// An error status answers an *APIError.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if tok := c.Token(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var eb struct {
			Error APIError `json:"error"`
		}
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return &APIError{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: strings.TrimSpace(string(data))}
		}
		eb.Error.Status = resp.StatusCode
		return &eb.Error
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// StartRun starts a run over HTTP (POST /v1/runs).
func (c *Client) StartRun(ctx context.Context, req StartRun) (Run, error) {
	var r Run
	return r, c.Do(ctx, http.MethodPost, "/v1/runs", req, &r)
}

// GetRun returns a run.
func (c *Client) GetRun(ctx context.Context, id string) (Run, error) {
	var r Run
	return r, c.Do(ctx, http.MethodGet, "/v1/runs/"+url.PathEscape(id), nil, &r)
}

// CancelRun cancels a run.
func (c *Client) CancelRun(ctx context.Context, id string) (Run, error) {
	var r Run
	return r, c.Do(ctx, http.MethodPost, "/v1/runs/"+url.PathEscape(id)+"/cancel", nil, &r)
}

// Events returns a run's stored events with seq > afterSeq.
func (c *Client) Events(ctx context.Context, runID string, afterSeq int64) ([]Event, error) {
	var out struct {
		Events []Event `json:"events"`
	}
	err := c.Do(ctx, http.MethodGet, "/v1/runs/"+url.PathEscape(runID)+"/events?after_seq="+strconv.FormatInt(afterSeq, 10), nil, &out)
	return out.Events, err
}

// CreateThread creates a thread.
func (c *Client) CreateThread(ctx context.Context, title string) (Thread, error) {
	var t Thread
	return t, c.Do(ctx, http.MethodPost, "/v1/threads", map[string]string{"title": title}, &t)
}

// Messages returns a thread's messages.
func (c *Client) Messages(ctx context.Context, threadID string) ([]Message, error) {
	var out struct {
		Messages []Message `json:"messages"`
	}
	return out.Messages, c.Do(ctx, http.MethodGet, "/v1/threads/"+url.PathEscape(threadID)+"/messages", nil, &out)
}

func (c *Client) wsURL() string {
	u := c.base
	switch {
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + strings.TrimPrefix(u, "http://")
	}
	return u + "/v1/ws"
}
