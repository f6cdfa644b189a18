package workload

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
)

// ChunkSize is the most records the store keeps in one chunk.
const ChunkSize = 4096

const chunkVersion = 1

var errChunk = errors.New("workload: corrupt chunk")

// EncodeChunk encodes records compactly: a string dictionary, then each record as varints
// (timestamps in microseconds, latencies in microseconds) and its cost as float64 bits.
// Decoding runs at tens of nanoseconds per record, which is what lets the data agent read a
// TimeSpan returns the earliest and the latest time of recs (zero times when recs is empty):
// a stored chunk's bounds.
func TimeSpan(recs []Record) (first, last time.Time) {
	for i := range recs {
		if i == 0 || recs[i].TS.Before(first) {
			first = recs[i].TS
		}
		if i == 0 || recs[i].TS.After(last) {
			last = recs[i].TS
		}
	}
	return first, last
}

// million records in well under a second.
func EncodeChunk(recs []Record) []byte {
	dict := map[string]uint64{"": 0}
	words := []string{""}
	idx := func(s string) uint64 {
		if i, ok := dict[s]; ok {
			return i
		}
		i := uint64(len(words))
		dict[s] = i
		words = append(words, s)
		return i
	}
	body := make([]byte, 0, len(recs)*40)
	for i := range recs {
		r := &recs[i]
		body = binary.AppendUvarint(body, idx(r.ID))
		body = binary.AppendVarint(body, r.TS.UnixMicro())
		body = binary.AppendUvarint(body, idx(r.Provider))
		body = binary.AppendUvarint(body, idx(r.Model))
		body = binary.AppendUvarint(body, idx(r.Route))
		body = binary.AppendUvarint(body, idx(r.ErrorType))
		body = binary.AppendUvarint(body, idx(r.PrefixHash))
		body = binary.AppendUvarint(body, uint64(r.InputTokens))
		body = binary.AppendUvarint(body, uint64(r.OutputTokens))
		body = binary.AppendUvarint(body, uint64(r.CachedInputTokens))
		body = binary.AppendUvarint(body, uint64(math.Round(r.LatencyMS*1000)))
		body = binary.AppendUvarint(body, uint64(math.Round(r.TTFTMS*1000)))
		var flags uint64
		if r.OK {
			flags |= 1
		}
		if r.Interactive {
			flags |= 2
		}
		body = binary.AppendUvarint(body, flags)
		body = binary.AppendUvarint(body, uint64(r.Retries))
		body = binary.LittleEndian.AppendUint64(body, math.Float64bits(r.CostUSD))
	}
	out := make([]byte, 0, len(body)+len(words)*16+16)
	out = append(out, chunkVersion)
	out = binary.AppendUvarint(out, uint64(len(recs)))
	out = binary.AppendUvarint(out, uint64(len(words)))
	for _, w := range words {
		out = binary.AppendUvarint(out, uint64(len(w)))
		out = append(out, w...)
	}
	return append(out, body...)
}

// A reader walks a chunk. Its methods are small enough to inline on the one-byte path, which
// is most values; a malformed chunk sets err (checked once a record) and reads zeros after.
type reader struct {
	b   []byte
	p   int
	err bool
}

func (r *reader) uvarint() uint64 {
	var v uint64
	for s := uint(0); s < 64; s += 7 {
		if r.p >= len(r.b) {
			break
		}
		c := r.b[r.p]
		r.p++
		v |= uint64(c&0x7f) << s
		if c < 0x80 {
			return v
		}
	}
	r.err, r.p = true, len(r.b)
	return 0
}

func (r *reader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1) // zig-zag, as binary.AppendVarint writes
}

// header reads what a chunk and a rollup start with after their version: the count of items
// and the dictionary of their strings.
func (r *reader) header() (n uint64, words []string, err error) {
	n, nw := r.uvarint(), r.uvarint()
	if r.err || nw > uint64(len(r.b)) || n > uint64(len(r.b)) {
		return 0, nil, errChunk
	}
	// The words are cut from one string: one allocation a chunk instead of one a record
	// (ids are unique). A kept word holds the chunk's dictionary alive, so callers that keep
	// names for long (as map keys) clone them.
	words = make([]string, nw)
	offs := make([]int, 0, 2*nw)
	start := r.p
	for range words {
		l := r.uvarint()
		if r.err || l > uint64(len(r.b)-r.p) {
			return 0, nil, errChunk
		}
		offs = append(offs, r.p-start, int(l))
		r.p += int(l)
	}
	all := string(r.b[start:r.p])
	for i := range words {
		o, l := offs[2*i], offs[2*i+1]
		words[i] = all[o : o+l]
	}
	return n, words, nil
}

// wordOf returns a reader of dictionary indexes into words.
func (r *reader) wordOf(words []string) func() string {
	return func() string {
		if i := r.uvarint(); i < uint64(len(words)) {
			return words[i]
		}
		r.err = true
		return ""
	}
}

// DecodeChunk calls fn for each record of a chunk, reusing one Record; fn must copy what it
// keeps. It stops early when fn returns false.
func DecodeChunk(b []byte, fn func(*Record) bool) error {
	if len(b) == 0 || b[0] != chunkVersion {
		return errChunk
	}
	r := reader{b: b, p: 1}
	n, words, err := r.header()
	if err != nil {
		return err
	}
	word := r.wordOf(words)
	var rec Record
	for k := uint64(0); k < n; k++ {
		rec.ID = word()
		rec.TS = time.UnixMicro(r.varint()).UTC()
		rec.Provider = word()
		rec.Model = word()
		rec.Route = word()
		rec.ErrorType = word()
		rec.PrefixHash = word()
		rec.InputTokens = int64(r.uvarint())
		rec.OutputTokens = int64(r.uvarint())
		rec.CachedInputTokens = int64(r.uvarint())
		rec.LatencyMS = float64(r.uvarint()) / 1000
		rec.TTFTMS = float64(r.uvarint()) / 1000
		flags := r.uvarint()
		rec.OK, rec.Interactive = flags&1 != 0, flags&2 != 0
		rec.Retries = int64(r.uvarint())
		if r.err || len(b)-r.p < 8 {
			return errChunk
		}
		rec.CostUSD = math.Float64frombits(binary.LittleEndian.Uint64(b[r.p:]))
		r.p += 8
		if !fn(&rec) {
			return nil
		}
	}
	return nil
}
