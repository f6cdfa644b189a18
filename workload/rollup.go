package workload

import (
	"encoding/binary"
	"math"
	"strings"
)

// A Rollup counts the records of one chunk that share a day, provider, model, route and
// outcome. The store keeps a chunk's rollups beside its records, so a question about spend,
// volume, tokens or errors over whole chunks sums a few hundred rollups instead of decoding
// thousands of records.
type Rollup struct {
	Day                    int64 // UTC days since 1970-01-01
	Provider, Model, Route string
	OK                     bool
	ErrorType              string
	Requests               int64
	InputTokens            int64
	OutputTokens           int64
	CachedInputTokens      int64
	Retries                int64
	WithTTFT, WithPrefix   int64 // records that carry a time to first token, a prefix hash
	CostUSD, RetryWasteUSD float64
}

const rollupVersion = 1

type rollupKey struct {
	day                               int64
	provider, model, route, errorType string
	ok                                bool
}

// Rollups groups records as a chunk's rollups do: a tally's additive unit, so that records
// counted on several cores sum into one Tally (AddRollup). The zero value is empty.
type Rollups struct {
	groups map[rollupKey]*Rollup
	order  []*Rollup // in the order first met
}

// Add counts r in its group. Keys are cloned: a record's strings share its chunk's memory.
func (s *Rollups) Add(r *Record) {
	k := rollupKey{daysSinceEpoch(r.TS), r.Provider, r.Model, r.Route, r.ErrorType, r.OK}
	g := s.groups[k]
	if g == nil {
		if s.groups == nil {
			s.groups = map[rollupKey]*Rollup{}
		}
		k.provider, k.model, k.route, k.errorType = strings.Clone(k.provider), strings.Clone(k.model), strings.Clone(k.route), strings.Clone(k.errorType)
		g = &Rollup{Day: k.day, Provider: k.provider, Model: k.model, Route: k.route, OK: r.OK, ErrorType: k.errorType}
		s.groups[k] = g
		s.order = append(s.order, g)
	}
	g.Requests++
	g.InputTokens += r.InputTokens
	g.OutputTokens += r.OutputTokens
	g.CachedInputTokens += r.CachedInputTokens
	g.Retries += r.Retries
	if r.TTFTMS > 0 {
		g.WithTTFT++
	}
	if r.PrefixHash != "" {
		g.WithPrefix++
	}
	g.CostUSD += r.CostUSD
	g.RetryWasteUSD += float64(r.Retries) * r.CostUSD
}

// All are the groups, in the order first met.
func (s *Rollups) All() []*Rollup { return s.order }

// RollUp encodes the rollups of a chunk's records: the same dictionary-and-varints layout as
// EncodeChunk.
func RollUp(recs []Record) []byte {
	var set Rollups
	for i := range recs {
		set.Add(&recs[i])
	}
	order := set.All()
	dict := map[string]uint64{}
	var words []string
	idx := func(s string) uint64 {
		i, ok := dict[s]
		if !ok {
			i = uint64(len(words))
			dict[s] = i
			words = append(words, s)
		}
		return i
	}
	var body []byte
	for _, g := range order {
		body = binary.AppendVarint(body, g.Day)
		body = binary.AppendUvarint(body, idx(g.Provider))
		body = binary.AppendUvarint(body, idx(g.Model))
		body = binary.AppendUvarint(body, idx(g.Route))
		body = binary.AppendUvarint(body, idx(g.ErrorType))
		ok := uint64(0)
		if g.OK {
			ok = 1
		}
		for _, v := range []uint64{ok, uint64(g.Requests), uint64(g.InputTokens), uint64(g.OutputTokens), uint64(g.CachedInputTokens),
			uint64(g.Retries), uint64(g.WithTTFT), uint64(g.WithPrefix)} {
			body = binary.AppendUvarint(body, v)
		}
		body = binary.LittleEndian.AppendUint64(body, math.Float64bits(g.CostUSD))
		body = binary.LittleEndian.AppendUint64(body, math.Float64bits(g.RetryWasteUSD))
	}
	out := []byte{rollupVersion}
	out = binary.AppendUvarint(out, uint64(len(order)))
	out = binary.AppendUvarint(out, uint64(len(words)))
	for _, w := range words {
		out = binary.AppendUvarint(out, uint64(len(w)))
		out = append(out, w...)
	}
	return append(out, body...)
}

// DecodeRollups calls fn for each rollup of an encoded chunk, reusing one Rollup (fn must
// clone the strings it keeps), until fn returns false.
func DecodeRollups(b []byte, fn func(*Rollup) bool) error {
	if len(b) == 0 || b[0] != rollupVersion {
		return errChunk
	}
	r := reader{b: b, p: 1}
	n, words, err := r.header()
	if err != nil {
		return err
	}
	word := r.wordOf(words)
	var g Rollup
	for range n {
		g.Day = r.varint()
		g.Provider, g.Model, g.Route, g.ErrorType = word(), word(), word(), word()
		g.OK = r.uvarint() == 1
		g.Requests, g.InputTokens, g.OutputTokens = int64(r.uvarint()), int64(r.uvarint()), int64(r.uvarint())
		g.CachedInputTokens, g.Retries = int64(r.uvarint()), int64(r.uvarint())
		g.WithTTFT, g.WithPrefix = int64(r.uvarint()), int64(r.uvarint())
		if r.err || len(b)-r.p < 16 {
			return errChunk
		}
		g.CostUSD = math.Float64frombits(binary.LittleEndian.Uint64(b[r.p:]))
		g.RetryWasteUSD = math.Float64frombits(binary.LittleEndian.Uint64(b[r.p+8:]))
		r.p += 16
		if !fn(&g) {
			return nil
		}
	}
	return nil
}
