package ingest

import (
	stdjson "encoding/json"
	"testing"

	"github.com/streamcast/streamcast/features"
)

// FuzzDecode checks that JSONCodec never panics, only returns PoisonErrors
// with known reasons, and agrees with encoding/json on everything it
// accepts. Seeds live in testdata/fuzz/FuzzDecode and run in plain go test.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("meter-17"), []byte(`{"series":"meter-17","ts":"2026-11-26T05:00:00Z","value":123.4,"exog":{"temp":3.2}}`))
	f.Add([]byte(""), []byte(`{"series":"a","ts":1795669200000,"value":-1e-3}`))
	c := &JSONCodec{}
	f.Fuzz(func(t *testing.T, key, value []byte) {
		var ob features.Observation
		err := c.Decode(key, value, &ob)
		checkAgainstStdlib(t, key, value, &ob, err)
	})
}

// BenchmarkDecode measures the hot path on a typical message.
func BenchmarkDecode(b *testing.B) {
	cases := []struct{ name, key, value string }{
		{"rfc3339+exog", "meter-17", `{"series":"meter-17","ts":"2026-11-26T05:00:00Z","value":123.4,"exog":{"temp":3.2}}`},
		{"rfc3339", "meter-17", `{"series":"meter-17","ts":"2026-11-26T05:00:00Z","value":123.4}`},
		{"unixms", "meter-17", `{"series":"meter-17","ts":1795669200000,"value":123.4}`},
	}
	for _, cs := range cases {
		b.Run(cs.name, func(b *testing.B) {
			c := &JSONCodec{}
			key, value := []byte(cs.key), []byte(cs.value)
			var ob features.Observation
			b.SetBytes(int64(len(value)))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Decode(key, value, &ob); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeStdlib is the reflection-based baseline the hand-written
// scanner is compared against.
func BenchmarkDecodeStdlib(b *testing.B) {
	value := []byte(`{"series":"meter-17","ts":"2026-11-26T05:00:00Z","value":123.4,"exog":{"temp":3.2}}`)
	b.ReportAllocs()
	for b.Loop() {
		var m struct {
			Series string             `json:"series"`
			TS     string             `json:"ts"`
			Value  float64            `json:"value"`
			Exog   map[string]float64 `json:"exog"`
		}
		if err := jsonUnmarshal(value, &m); err != nil {
			b.Fatal(err)
		}
	}
}

var jsonUnmarshal = func(data []byte, v any) error { return stdjson.Unmarshal(data, v) }
