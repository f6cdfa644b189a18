package workload

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxLine bounds one JSONL or CSV line.
const MaxLine = 64 << 10

// LineError is a problem with one line (or, for OTLP, one span) of an upload.
type LineError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// Parsed is one decoded record, or the error of its line.
type Parsed struct {
	Line      int
	Record    Record
	CostGiven bool
	Err       error
	// Lines is how many lines of the upload the error covers when it is more than one (a
	// CSV field whose quote opens on Line and closes further down swallows the lines
	// between): each counts as a rejected record. 0 means one.
	Lines int
}

// Decoder yields the records of an upload one at a time. Next returns io.EOF at the end; any
// other error is fatal for the upload (a read failure), while line problems come in
// Parsed.Err.
type Decoder interface {
	Next() (Parsed, error)
}

// Format is an upload format, chosen by Content-Type.
type Format string

// The upload formats.
const (
	FormatJSONL Format = "jsonl"
	FormatCSV   Format = "csv"
	FormatOTLP  Format = "otlp"
)

// FormatOf maps a Content-Type to a format.
func FormatOf(contentType string) (Format, bool) {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	switch ct {
	case "application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/ndjson":
		return FormatJSONL, true
	case "text/csv":
		return FormatCSV, true
	case "application/json":
		return FormatOTLP, true
	}
	return "", false
}

// NewDecoder returns the decoder of a format over r.
func NewDecoder(f Format, r io.Reader) Decoder {
	switch f {
	case FormatCSV:
		return newCSVDecoder(r)
	case FormatOTLP:
		return newOTLPDecoder(r)
	}
	return newJSONLDecoder(r)
}

// ---- JSONL

type jsonlDecoder struct {
	sc   *bufio.Scanner
	line int
}

func newJSONLDecoder(r io.Reader) *jsonlDecoder {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	return &jsonlDecoder{sc: sc}
}

type jsonRecord struct {
	ID                *string         `json:"id"`
	TS                json.RawMessage `json:"ts"`
	Provider          *string         `json:"provider"`
	Model             *string         `json:"model"`
	InputTokens       *int64          `json:"input_tokens"`
	OutputTokens      *int64          `json:"output_tokens"`
	CachedInputTokens *int64          `json:"cached_input_tokens"`
	LatencyMS         *float64        `json:"latency_ms"`
	TTFTMS            *float64        `json:"ttft_ms"`
	Status            *string         `json:"status"`
	ErrorType         *string         `json:"error_type"`
	CostUSD           *float64        `json:"cost_usd"`
	Route             *string         `json:"route"`
	PrefixHash        *string         `json:"prefix_hash"`
	Interactive       *bool           `json:"interactive"`
	Retries           *int64          `json:"retries"`
}

func (d *jsonlDecoder) Next() (Parsed, error) {
	for {
		if !d.sc.Scan() {
			if err := d.sc.Err(); err != nil {
				if errors.Is(err, bufio.ErrTooLong) {
					d.line++
					return Parsed{}, fmt.Errorf("line %d: longer than %d bytes", d.line, MaxLine)
				}
				return Parsed{}, err
			}
			return Parsed{}, io.EOF
		}
		d.line++
		b := bytes.TrimSpace(d.sc.Bytes())
		if len(b) == 0 {
			continue // blank lines are allowed
		}
		p := Parsed{Line: d.line}
		if !utf8.Valid(b) { // json.Unmarshal would store U+FFFD in its place without a word
			p.Err = errNotUTF8
			return p, nil
		}
		var jr jsonRecord
		if err := json.Unmarshal(b, &jr); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				p.Err = typeError(te)
			} else {
				p.Err = fmt.Errorf("not a JSON object")
			}
			return p, nil
		}
		p.Record, p.CostGiven, p.Err = jr.record()
		return p, nil
	}
}

// typeError words a value of the wrong type: a count that is a number but not a whole one in
// range (1.5, 1e300) says so, with the value; anything else names the type wanted and given.
func typeError(te *json.UnmarshalTypeError) error {
	want := kindName(te.Type.String())
	if strings.Contains(te.Type.String(), "int") {
		if v, ok := strings.CutPrefix(te.Value, "number "); ok {
			return fmt.Errorf("%s must be a whole number from 0 to %d, got %s", te.Field, maxCount(te.Field), truncate(v))
		}
		want = "whole number"
	}
	got := te.Value
	if strings.HasPrefix(got, "number") {
		got = "number"
	}
	return fmt.Errorf("%s must be a %s, got a %s", te.Field, want, got)
}

// maxCount is the largest value a count field takes.
func maxCount(field string) int64 {
	if field == "retries" {
		return MaxRetries
	}
	return MaxTokens
}

func kindName(goType string) string {
	switch {
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "number"
	case strings.Contains(goType, "bool"):
		return "boolean"
	}
	return "string"
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

func (jr *jsonRecord) record() (Record, bool, error) {
	r := Record{ID: str(jr.ID), Provider: str(jr.Provider), Model: str(jr.Model), ErrorType: str(jr.ErrorType),
		Route: str(jr.Route), PrefixHash: str(jr.PrefixHash), Interactive: true}
	ts, err := parseTSJSON(jr.TS)
	if err != nil {
		return r, false, err
	}
	r.TS = ts
	if jr.InputTokens != nil {
		r.InputTokens = *jr.InputTokens
	}
	if jr.OutputTokens != nil {
		r.OutputTokens = *jr.OutputTokens
	}
	if jr.CachedInputTokens != nil {
		r.CachedInputTokens = *jr.CachedInputTokens
	}
	if jr.LatencyMS == nil {
		return r, false, fmt.Errorf("latency_ms is required")
	}
	r.LatencyMS = *jr.LatencyMS
	if jr.TTFTMS != nil {
		r.TTFTMS = *jr.TTFTMS
	}
	if r.OK, err = normalizeStatus(str(jr.Status)); err != nil {
		return r, false, err
	}
	if jr.Interactive != nil {
		r.Interactive = *jr.Interactive
	}
	if jr.Retries != nil {
		r.Retries = *jr.Retries
	}
	if jr.CostUSD != nil {
		r.CostUSD = *jr.CostUSD
	}
	return r, jr.CostUSD != nil, nil
}

func parseTSJSON(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, fmt.Errorf("ts is required (RFC 3339 or Unix seconds)")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, fmt.Errorf("ts: invalid string")
		}
		return parseTS(s)
	}
	return parseTS(string(raw))
}

// parseTS accepts RFC 3339 or Unix seconds (fractions allowed).
func parseTS(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("ts is required (RFC 3339 or Unix seconds)")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e11 {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("ts %q is neither RFC 3339 nor Unix seconds", truncate(s))
}

// ---- CSV

type csvDecoder struct {
	r      *csv.Reader
	in     *boundedRecords
	header map[string]int
	line   int
}

// MaxCSVRecord bounds the bytes of one CSV record (its line, or lines when a quoted field spans
// several). encoding/csv reads a quoted field until its quote closes: one that never closes
// would take the rest of an upload, gigabytes, into memory.
const MaxCSVRecord = 64 << 10

func newCSVDecoder(r io.Reader) *csvDecoder {
	in := &boundedRecords{r: bufio.NewReaderSize(io.LimitReader(r, math.MaxInt64), 64<<10)}
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvDecoder{r: cr, in: in}
}

// errRecordTooLong ends a CSV upload whose record outgrows MaxCSVRecord.
var errRecordTooLong = errors.New("record too long")

// boundedRecords hands the CSV reader its input, but no more than MaxCSVRecord bytes (and the
// reader's own read-ahead) past the end of the last record it returned, so that memory stays
// bounded whatever the input.
type boundedRecords struct {
	r        io.Reader
	read     int64 // bytes handed over
	boundary int64 // where the last record returned ends (csv.Reader.InputOffset then)
}

func (b *boundedRecords) Read(p []byte) (int, error) {
	const readAhead = 64 << 10 // the CSV reader's buffer may hold this much of the next records
	left := b.boundary + MaxCSVRecord + readAhead - b.read
	if left <= 0 {
		return 0, errRecordTooLong
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// csvFields are the columns a CSV upload may have.
func csvFields() []string {
	return []string{"id", "ts", "provider", "model", "input_tokens", "output_tokens", "cached_input_tokens", "latency_ms",
		"ttft_ms", "status", "error_type", "cost_usd", "route", "prefix_hash", "interactive", "retries"}
}

func (d *csvDecoder) Next() (Parsed, error) {
	if d.header == nil {
		row, err := d.r.Read()
		if err == io.EOF {
			return Parsed{}, io.EOF
		}
		d.line = 1
		if err != nil {
			return Parsed{}, fmt.Errorf("line 1: header: %v", err)
		}
		d.in.boundary = d.r.InputOffset()
		d.header = map[string]int{}
		for i, name := range row {
			d.header[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))] = i
		}
		for _, req := range []string{"ts", "model", "route", "latency_ms"} {
			if _, ok := d.header[req]; !ok {
				return Parsed{}, fmt.Errorf("line 1: the header lacks the %s column (columns: %s)", req, strings.Join(csvFields(), ","))
			}
		}
	}
	row, err := d.r.Read()
	if err == io.EOF {
		return Parsed{}, io.EOF
	}
	if err != nil {
		// FieldPos is only defined for a record that was read (it panics otherwise).
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			d.in.boundary = d.r.InputOffset() // the bad record is behind us; the next starts here
		}
		switch {
		case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine < pe.Line:
			// A quote opened on StartLine and never closed: the lines up to Line went into
			// one field. The error is where the quote opens; every line it took is rejected.
			d.line = pe.Line
			return Parsed{Line: pe.StartLine, Lines: pe.Line - pe.StartLine + 1,
				Err: fmt.Errorf("malformed CSV: a quoted field opens here and does not close before line %d", pe.Line)}, nil
		case errors.As(err, &pe):
			d.line = pe.Line
			return Parsed{Line: pe.Line, Err: fmt.Errorf("malformed CSV: %v", pe.Err)}, nil
		case errors.Is(err, errRecordTooLong):
			return Parsed{}, fmt.Errorf("line %d: a CSV record longer than %d KiB (is a quoted field left open?)", d.line+1, MaxCSVRecord>>10)
		}
		return Parsed{}, err
	}
	d.in.boundary = d.r.InputOffset()
	line, _ := d.r.FieldPos(0)
	d.line = line
	p := Parsed{Line: line}
	for _, f := range row {
		if !utf8.ValidString(f) {
			p.Err = errNotUTF8
			return p, nil
		}
	}
	get := func(name string) string {
		if i, ok := d.header[name]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	jr := jsonRecord{}
	set := func(name string, dst **string) {
		if v := get(name); v != "" {
			*dst = &v
		}
	}
	set("id", &jr.ID)
	set("provider", &jr.Provider)
	set("model", &jr.Model)
	set("status", &jr.Status)
	set("error_type", &jr.ErrorType)
	set("route", &jr.Route)
	set("prefix_hash", &jr.PrefixHash)
	if v := get("ts"); v != "" {
		jr.TS, _ = json.Marshal(v)
	}
	for name, dst := range map[string]**int64{"input_tokens": &jr.InputTokens, "output_tokens": &jr.OutputTokens,
		"cached_input_tokens": &jr.CachedInputTokens, "retries": &jr.Retries} {
		if v := get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				p.Err = fmt.Errorf("%s must be a whole number from 0 to %d, got %q", name, maxCount(name), truncate(v))
				return p, nil
			}
			*dst = &n
		}
	}
	for name, dst := range map[string]**float64{"latency_ms": &jr.LatencyMS, "ttft_ms": &jr.TTFTMS, "cost_usd": &jr.CostUSD} {
		if v := get(name); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				p.Err = fmt.Errorf("%s must be a number, got %q", name, truncate(v))
				return p, nil
			}
			*dst = &f
		}
	}
	if v := get("interactive"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			p.Err = fmt.Errorf("interactive must be true or false, got %q", truncate(v))
			return p, nil
		}
		jr.Interactive = &b
	}
	p.Record, p.CostGiven, p.Err = jr.record()
	return p, nil
}

// errNotUTF8 refuses text that is not UTF-8: stored, it would be changed (U+FFFD), not kept.
var errNotUTF8 = errors.New("not valid UTF-8")

// utf8Reader fails a stream at the first byte that is not UTF-8, carrying a rune cut by a read
// over to the next one.
type utf8Reader struct {
	r     io.Reader
	carry []byte
	buf   []byte
	off   int64
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	u.buf = append(append(u.buf[:0], u.carry...), p[:n]...)
	cut := len(u.buf)
	for i := len(u.buf) - 1; i >= 0 && i >= len(u.buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(u.buf[i]) {
			if !utf8.FullRune(u.buf[i:]) {
				cut = i
			}
			break
		}
	}
	if err == io.EOF {
		cut = len(u.buf) // nothing more will complete it
	}
	if !utf8.Valid(u.buf[:cut]) {
		return 0, fmt.Errorf("not valid UTF-8 (near byte %d)", u.off)
	}
	u.off += int64(n)
	u.carry = append(u.carry[:0], u.buf[cut:]...)
	return n, err
}
