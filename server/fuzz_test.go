package server

import (
	"encoding/json"
	"testing"

	"github.com/netra-ai/netra"
)

// FuzzDecodeFrame: any client frame decodes without panicking to either a known command or an
// invalid_request / not_found refusal whose reply is a valid JSON error frame carrying the
// frame's id; oversize and binary frames never get here (the reader closes with 1009 / 1003).
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"ping","id":"1"}`,
		`{"type":"start_run","id":"s","input":"hi","agent":"echo","params":{"delay_ms":5},"multitask":"interrupt","thread_id":"thr_x","cancel_on_disconnect":true}`,
		`{"type":"cancel_run","run_id":"run_abc"}`,
		`{"type":"resume","run_id":"run_abc","after_seq":3}`,
		`{"type":"resume","run_id":"run_abc","after_seq":-1}`,
		`{"type":"resume","run_id":"../../etc","after_seq":1.5}`,
		`{"type":7}`, `{"id":{}}`, `[1]`, `nul`, ` {"type":"ping"} `, `{"type":"ping","type":"start_run"}`,
		"{\"type\":\"start_run\",\"input\":\"\\ud800\"}",
	} {
		f.Add([]byte(s))
	}
	known := map[string]bool{"ping": true, "start_run": true, "cancel_run": true, "resume": true}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data)
		if err == nil {
			if !known[fr.typ] {
				t.Fatalf("accepted type %q", fr.typ)
			}
			if fr.typ == "resume" && fr.afterSeq < 0 {
				t.Fatalf("accepted after_seq %d", fr.afterSeq)
			}
			return
		}
		if c := netra.ErrorCode(err); c != netra.CodeInvalidRequest && c != netra.CodeNotFound && c != netra.CodePayloadTooLarge {
			t.Fatalf("refused with code %s: %v", c, err)
		}
		reply := errorWithID(fr.id, err)
		var back struct {
			Type string  `json:"type"`
			ID   *string `json:"id"`
			Code string  `json:"code"`
		}
		if json.Unmarshal(reply, &back) != nil || back.Type != "error" || back.Code == "" {
			t.Fatalf("error reply %q is not a valid error frame", reply)
		}
		if (fr.id == nil) != (back.ID == nil) || (fr.id != nil && *fr.id != *back.ID) {
			t.Fatalf("reply id %v, frame id %v", back.ID, fr.id)
		}
	})
}
