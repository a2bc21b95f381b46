package sink

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzAppendJSON: whatever the strings and numbers, AppendJSON emits valid
// JSON that encoding/json decodes back to the same forecast (strings with
// invalid UTF-8 come back with U+FFFD, as encoding/json would write them).
func FuzzAppendJSON(f *testing.F) {
	f.Add("meter-17", "snaive", "1-m24", 123.4, int64(1795669200000000000))
	f.Add("we\"ird\\\x01\u2028<&>", "m", "", -1e-7, int64(-1))
	f.Add("bad\xff", "x\xc3", "v", 1e21, int64(0))
	f.Fuzz(func(t *testing.T, series, model, version string, mean float64, ns int64) {
		if math.IsNaN(mean) || math.IsInf(mean, 0) {
			return
		}
		ts := time.Unix(0, ns).UTC()
		fc := Forecast{Series: series, OriginTS: ts, IssuedAt: ts, Model: model, ModelVersion: version,
			Horizon: []Point{{TS: ts, Mean: mean}, {TS: ts.Add(time.Hour), Mean: -mean}}}
		out := fc.AppendJSON(nil)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		var back Forecast
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("decode %q: %v", out, err)
		}
		fix := func(s string) string { // each invalid byte → U+FFFD, as encoding/json does
			var b strings.Builder
			for _, r := range s {
				b.WriteRune(r) // ranging yields utf8.RuneError per invalid byte
			}
			return b.String()
		}
		if back.Series != fix(series) || back.Model != fix(model) || back.ModelVersion != fix(version) {
			t.Fatalf("strings changed: %q %q %q → %q %q %q", series, model, version, back.Series, back.Model, back.ModelVersion)
		}
		if want := fix(ForecastID(series, ts, model, version)); back.ID != want {
			t.Fatalf("id %q, want %q", back.ID, want)
		}
		if !back.OriginTS.Equal(ts) || back.Horizon[0].Mean != mean || back.Horizon[1].Mean != -mean || !back.Horizon[1].TS.Equal(ts.Add(time.Hour)) {
			t.Fatalf("values changed: %s", out)
		}
	})
}
