// Package bench is Netra's load generator: scenarios that drive a server through the client
// package and report numbers (isolation, throughput, latency, fairness, soak, connections).
// `netra bench` runs them against a running server, or starts one in-process.
package bench

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/auth"
	"github.com/netra-ai/netra/client"
)

// Target is the server under test and how to mint its tokens.
type Target struct {
	URL string
	// Nodes, when set, are the URLs of every node of one cluster (URL among them): each user
	// talks to one, chosen by a hash of the user's id, and metrics are summed over them.
	Nodes  []string
	Secret []byte
	Issuer string
	// Prefix makes the scenario's user ids unique, so that runs do not meet earlier data.
	Prefix string
}

// Token signs a token for a user of the target.
func (t Target) Token(user string, tier netra.Tier, role netra.Role) (string, error) {
	return auth.Sign(t.Secret, netra.Identity{UserID: t.Prefix + user, Tier: tier, Role: role}, 6*time.Hour, t.Issuer)
}

// Client returns a client for a user.
func (t Target) Client(user string, tier netra.Tier) (*client.Client, error) {
	tok, err := t.Token(user, tier, netra.RoleUser)
	if err != nil {
		return nil, err
	}
	return client.New(t.URLFor(user), tok), nil
}

// URLFor is the node a user talks to.
func (t Target) URLFor(user string) string {
	if len(t.Nodes) == 0 {
		return t.URL
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(user))
	return t.Nodes[h.Sum32()%uint32(len(t.Nodes))]
}

// Percentiles summarizes durations in milliseconds (nearest rank).
type Percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

// Summarize computes percentiles of ds.
func Summarize(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return float64(s[max(i, 0)].Microseconds()) / 1000
	}
	return Percentiles{Count: len(s), P50: at(0.50), P99: at(0.99), P999: at(0.999), Max: at(1)}
}

// Metrics reads gauges from the server's /metrics (admin token), summed over its nodes.
func (t Target) Metrics(ctx context.Context, names ...string) (map[string]float64, error) {
	if len(t.Nodes) == 0 {
		return t.metrics(ctx, t.URL, names)
	}
	sum := map[string]float64{}
	for _, u := range t.Nodes {
		m, err := t.metrics(ctx, u, names)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			sum[k] += v
		}
	}
	return sum, nil
}

func (t Target) metrics(ctx context.Context, url string, names []string) (map[string]float64, error) {
	tok, err := t.Token("bench-admin", netra.TierEnterprise, netra.RoleAdmin)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, n := range names {
			if v, ok := strings.CutPrefix(line, n+" "); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err == nil {
					out[n] = f
				}
			}
		}
	}
	return out, sc.Err()
}

// follow reads conn's events until every run in want has ended or ctx ends, and calls fn
// for each event (on the caller's goroutine).
func follow(ctx context.Context, conn *client.Conn, want map[string]bool, fn func(client.Event)) error {
	left := len(want)
	ended := map[string]bool{}
	for left > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d runs did not end: %w", left, ctx.Err())
		case ev, ok := <-conn.Events():
			if !ok {
				return fmt.Errorf("connection closed: %v", conn.Err())
			}
			fn(ev)
			if ev.Terminal() && want[ev.RunID] && !ended[ev.RunID] {
				ended[ev.RunID] = true
				left--
			}
		}
	}
	return nil
}
