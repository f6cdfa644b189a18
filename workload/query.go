package workload

import (
	"fmt"
	"sort"
	"strings"
)

// Group-by keys of a Query.
const (
	GroupNone      = ""
	GroupModel     = "model"
	GroupRoute     = "route"
	GroupProvider  = "provider"
	GroupDay       = "day"
	GroupHour      = "hour" // hour of the day, UTC, 00 to 23
	GroupErrorType = "error_type"
)

// GroupBys are the keys a Query groups by.
func GroupBys() []string {
	return []string{GroupNone, GroupModel, GroupRoute, GroupProvider, GroupDay, GroupHour, GroupErrorType}
}

// MaxQueryGroups bounds the rows of a query; records of further groups are summed in one
// row keyed "(other)".
const MaxQueryGroups = 100

// QueryRow is one group of a query's answer.
type QueryRow struct {
	Key          string  `json:"key"`
	Requests     int64   `json:"requests"`
	Errors       int64   `json:"errors"`
	ErrorRate    float64 `json:"error_rate"`
	CostUSD      float64 `json:"cost_usd"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	Retries      int64   `json:"retries"`
	LatencyP50MS float64 `json:"latency_p50_ms"`
	LatencyP95MS float64 `json:"latency_p95_ms"`
	LatencyP99MS float64 `json:"latency_p99_ms"`
	TTFTP50MS    float64 `json:"ttft_p50_ms,omitempty"`
}

// QueryResult is a query's answer: its rows, by cost (largest first) or, for days and hours,
// in time order.
type QueryResult struct {
	Window  Window     `json:"window"`
	GroupBy string     `json:"group_by,omitempty"`
	Rows    []QueryRow `json:"rows"`
	// Other counts the groups summed in the "(other)" row.
	Other int `json:"other_groups,omitempty"`
}

// Query groups records and computes each group's volume, errors, cost, tokens and latency
// percentiles: the analyst's general-purpose tool.
type Query struct {
	w       Window
	groupBy string
	prices  *Prices
	names   *Names
	groups  map[string]*queryAcc
	other   *queryAcc
	nOther  map[string]bool
}

type queryAcc struct {
	row      QueryRow
	lat, tft []float32
}

// NewQuery returns a query over w grouped by groupBy (one of GroupBys).
func NewQuery(w Window, groupBy string, prices *Prices) (*Query, error) {
	ok := false
	for _, g := range GroupBys() {
		ok = ok || g == groupBy
	}
	if !ok {
		return nil, fmt.Errorf("group_by must be one of %s", strings.Join(GroupBys()[1:], ", "))
	}
	return &Query{w: w, groupBy: groupBy, prices: prices, names: prices.NewNames(), groups: map[string]*queryAcc{}, nOther: map[string]bool{}}, nil
}

func (q *Query) key(r *Record) string {
	switch q.groupBy {
	case GroupModel:
		c, _ := q.names.Canonical(r.Model)
		return c
	case GroupRoute:
		return r.Route
	case GroupProvider:
		return r.Provider
	case GroupDay:
		return r.TS.UTC().Format("2006-01-02")
	case GroupHour:
		return fmt.Sprintf("%02d", r.TS.UTC().Hour())
	case GroupErrorType:
		if r.OK {
			return "(ok)"
		}
		if r.ErrorType == "" {
			return "unknown"
		}
		return r.ErrorType
	}
	return "all"
}

// Add counts a record if it lies in the window.
func (q *Query) Add(r *Record) {
	if !q.w.Contains(r.TS) {
		return
	}
	k := q.key(r)
	a := q.groups[k]
	if a == nil {
		if len(q.groups) < MaxQueryGroups {
			k = strings.Clone(k)
			a = &queryAcc{row: QueryRow{Key: k}}
			q.groups[k] = a
		} else {
			if q.other == nil {
				q.other = &queryAcc{row: QueryRow{Key: "(other)"}}
			}
			if len(q.nOther) < 10*MaxQueryGroups {
				q.nOther[strings.Clone(k)] = true
			}
			a = q.other
		}
	}
	row := &a.row
	row.Requests++
	if !r.OK {
		row.Errors++
	}
	row.CostUSD += r.CostUSD
	row.InputTokens += r.InputTokens
	row.OutputTokens += r.OutputTokens
	row.Retries += r.Retries
	a.lat = append(a.lat, float32(r.LatencyMS))
	if r.TTFTMS > 0 {
		a.tft = append(a.tft, float32(r.TTFTMS))
	}
}

// Result is the query's answer.
func (q *Query) Result() QueryResult {
	res := QueryResult{Window: q.w, GroupBy: q.groupBy, Rows: []QueryRow{}, Other: len(q.nOther)}
	accs := make([]*queryAcc, 0, len(q.groups)+1)
	for _, a := range q.groups {
		accs = append(accs, a)
	}
	if q.other != nil {
		accs = append(accs, q.other)
	}
	for _, a := range accs {
		row := a.row
		if row.Requests > 0 {
			row.ErrorRate = round4(float64(row.Errors) / float64(row.Requests))
		}
		row.CostUSD = round6(row.CostUSD)
		lat := dist(a.lat, 0)
		row.LatencyP50MS, row.LatencyP95MS, row.LatencyP99MS = lat.P50, lat.P95, lat.P99
		if len(a.tft) > 0 {
			row.TTFTP50MS = dist(a.tft, 0).P50
		}
		res.Rows = append(res.Rows, row)
	}
	byTime := q.groupBy == GroupDay || q.groupBy == GroupHour
	sort.Slice(res.Rows, func(i, j int) bool {
		a, b := res.Rows[i], res.Rows[j]
		if (a.Key == "(other)") != (b.Key == "(other)") {
			return b.Key == "(other)"
		}
		if !byTime && a.CostUSD != b.CostUSD {
			return a.CostUSD > b.CostUSD
		}
		return a.Key < b.Key
	})
	return res
}

func round4(x float64) float64 { return float64(int64(x*10000+0.5)) / 10000 }
func round6(x float64) float64 { return float64(int64(x*1e6+0.5)) / 1e6 }
