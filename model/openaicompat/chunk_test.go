package openaicompat

import "testing"

// BenchmarkChunk: reading one streamed token's chunk, the most frequent work of a streamed
// answer (docs/benchmarks.md, "Streaming answers").
//
//	go test -run XXX -bench Chunk -benchmem ./model/openaicompat/
func BenchmarkChunk(b *testing.B) {
	data := []byte(`{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1764460800,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":" costliest"},"logprobs":null,"finish_reason":null}]}`)
	var t turn
	for b.Loop() {
		if s, err := t.add(data); err != nil || s != " costliest" {
			b.Fatal(s, err)
		}
		t.text.Reset()
	}
}
