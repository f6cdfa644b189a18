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

type reader struct {
	b   []byte
	err bool
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = true
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

// DecodeChunk calls fn for each record of a chunk, reusing one Record; fn must copy what it
// keeps. It stops early when fn returns false.
func DecodeChunk(b []byte, fn func(*Record) bool) error {
	if len(b) == 0 || b[0] != chunkVersion {
		return errChunk
	}
	r := reader{b: b[1:]}
	n := r.uvarint()
	nw := r.uvarint()
	if r.err || nw > uint64(len(b)) || n > uint64(len(b)) {
		return errChunk
	}
	words := make([]string, nw)
	for i := range words {
		l := r.uvarint()
		if r.err || l > uint64(len(r.b)) {
			return errChunk
		}
		words[i] = string(r.b[:l])
		r.b = r.b[l:]
	}
	word := func() string {
		i := r.uvarint()
		if i >= uint64(len(words)) {
			r.err = true
			return ""
		}
		return words[i]
	}
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
		if r.err || len(r.b) < 8 {
			return errChunk
		}
		rec.CostUSD = math.Float64frombits(binary.LittleEndian.Uint64(r.b))
		r.b = r.b[8:]
		if !fn(&rec) {
			return nil
		}
	}
	return nil
}
