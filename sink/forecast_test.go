package sink

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestForecastID(t *testing.T) {
	tests := []struct {
		series  string
		origin  time.Time
		model   string
		version string
		want    string
	}{
		{"meter-17", t0, "snaive", "1-m24", "meter-17/2026-11-26T05:00:00Z/snaive@1-m24"},
		{"a/b", t0.Add(1500 * time.Millisecond), "nhits", "3", "a/b/2026-11-26T05:00:01.5Z/nhits@3"},
		{"x", t0.In(time.FixedZone("CET", 3600)), "naive", "1", "x/2026-11-26T05:00:00Z/naive@1"},
	}
	for _, tc := range tests {
		if got := ForecastID(tc.series, tc.origin, tc.model, tc.version); got != tc.want {
			t.Errorf("ForecastID = %q, want %q", got, tc.want)
		}
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	tests := []Forecast{
		makeForecast("meter-17", t0, 3, 123.4),
		makeForecast(`we"ird\ser`+"\t\x01ies é", t0.Add(time.Nanosecond), 1, 0),
		{ID: "x", Series: "s", OriginTS: t0, IssuedAt: t0, Model: "m", ModelVersion: "",
			Horizon: []Point{{TS: t0, Mean: 1e-7}, {TS: t0, Mean: 1e21}, {TS: t0, Mean: -0.000001}, {TS: t0, Mean: 123456789012345678}, {TS: t0, Mean: 5e-324}, {TS: t0, Mean: -1.5e300}, {TS: t0, Mean: 0}}},
	}
	for _, f := range tests {
		got := f.AppendJSON(nil)
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("AppendJSON differs from encoding/json:\n got %s\nwant %s", got, want)
		}
		var back Forecast
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("output not decodable: %v", err)
		}
		if !reflect.DeepEqual(back, f) {
			t.Errorf("round trip: got %+v, want %+v", back, f)
		}
	}
}

func TestAppendJSONComputesIDAndEscapesInvalidUTF8(t *testing.T) {
	f := makeForecast("bad\xffseries", t0, 1, 1)
	f.ID = ""
	var back Forecast
	if err := json.Unmarshal(f.AppendJSON(nil), &back); err != nil {
		t.Fatal(err)
	}
	if back.Series != "bad\uFFFDseries" || back.ID != "bad\uFFFDseries/2026-11-26T05:00:00Z/snaive@1-m24" {
		t.Fatalf("got id %q series %q", back.ID, back.Series)
	}
}

func TestAppendJSONGolden(t *testing.T) {
	f := makeForecast("meter-17", t0, 4, 123.4)
	got := f.AppendJSON(nil)
	path := filepath.Join("testdata", "forecast.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("golden mismatch:\n got %s\nwant %s", got, want)
	}
}

func TestValidate(t *testing.T) {
	ok := makeForecast("s", t0, 2, 1)
	tests := []struct {
		name   string
		mutate func(*Forecast)
		bad    bool
	}{
		{"valid", func(*Forecast) {}, false},
		{"empty series", func(f *Forecast) { f.Series = "" }, true},
		{"empty model", func(f *Forecast) { f.Model = "" }, true},
		{"empty horizon", func(f *Forecast) { f.Horizon = nil }, true},
		{"NaN mean", func(f *Forecast) { f.Horizon[1].Mean = math.NaN() }, true},
		{"Inf mean", func(f *Forecast) { f.Horizon[0].Mean = math.Inf(-1) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := ok
			f.Horizon = append([]Point(nil), ok.Horizon...)
			tc.mutate(&f)
			err := f.Validate()
			if tc.bad != (err != nil) || (err != nil && !errors.Is(err, ErrInvalidForecast)) {
				t.Fatalf("Validate = %v, bad=%v", err, tc.bad)
			}
		})
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	f := makeForecast("meter-17", t0, 48, 123.4)
	buf := f.AppendJSON(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = f.AppendJSON(buf[:0])
	}
}

func BenchmarkEncodingJSON(b *testing.B) {
	f := makeForecast("meter-17", t0, 48, 123.4)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(&f); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 123, 1e15 - 1, 1e15, 1e20, 1e21, 12345678901234567, 0.1, -2.5e-7, 1e-6, 5e-324, math.MaxFloat64}
	for _, v := range vals {
		want, _ := json.Marshal(v)
		if got := appendFloat(nil, v); !bytes.Equal(got, want) {
			t.Errorf("appendFloat(%v) = %s, want %s", v, got, want)
		}
	}
}

func TestEncode(t *testing.T) {
	fs := []Forecast{makeForecast("a", t0, 24, 1.5), makeForecast(`q"uote`, t0.Add(time.Hour), 3, -2e-7), makeForecast("c", t0, 1, 0)}
	// A tiny arena forces growth mid-way: earlier slices must stay valid.
	arena := make([]byte, 0, 8)
	arena = Encode(arena, fs)
	total := 0
	for i := range fs {
		want := fs[i].AppendJSON(nil)
		if !bytes.Equal(fs[i].JSON, want) {
			t.Errorf("fs[%d].JSON = %s, want %s", i, fs[i].JSON, want)
		}
		if cap(fs[i].JSON) != len(fs[i].JSON) {
			t.Errorf("fs[%d].JSON has spare capacity %d (appends would clobber the next one)", i, cap(fs[i].JSON)-len(fs[i].JSON))
		}
		total += len(want)
	}
	if len(arena) != total {
		t.Errorf("arena holds %d bytes, want %d", len(arena), total)
	}
	// Re-encoding after a change refreshes JSON (it is reset before encoding).
	fs[0].Model = "other"
	_ = Encode(arena, fs[:1])
	if want := fs[0].AppendJSON(nil); !bytes.Equal(fs[0].JSON, want) {
		t.Errorf("re-encoded JSON = %s, want %s", fs[0].JSON, want)
	}
}

func TestAppendJSONQuantiles(t *testing.T) {
	ts := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	f := Forecast{Series: "s", OriginTS: ts, IssuedAt: ts, Model: "mlp", ModelVersion: "v1",
		Quantiles: []float64{0.1, 0.5, 0.9},
		Horizon: []Point{{TS: ts.Add(time.Hour), Mean: 2, Q: []float64{1, 2, 3.5}},
			{TS: ts.Add(2 * time.Hour), Mean: 2.5, Q: []float64{1.25, 2.5, 4}}}}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	var enc Encoder
	fs := []Forecast{f}
	enc.Encode(fs)
	if got := string(f.AppendJSON(nil)); got != string(fs[0].JSON) {
		t.Fatalf("Encoder %s\nAppendJSON %s", fs[0].JSON, got)
	}
	var back struct {
		Horizon []struct {
			Mean float64            `json:"mean"`
			Q    map[string]float64 `json:"q"`
		} `json:"horizon"`
	}
	if err := json.Unmarshal(fs[0].JSON, &back); err != nil {
		t.Fatalf("%v: %s", err, fs[0].JSON)
	}
	if q := back.Horizon[1].Q; len(q) != 3 || q["0.1"] != 1.25 || q["0.5"] != 2.5 || q["0.9"] != 4 {
		t.Fatalf("decoded %+v from %s", back, fs[0].JSON)
	}
	f.Horizon[0].Q = []float64{1, math.NaN(), 3}
	if err := f.Validate(); !errors.Is(err, ErrInvalidForecast) {
		t.Fatalf("NaN quantile: %v", err)
	}
	f.Horizon[0].Q = []float64{1, 2}
	if err := f.Validate(); !errors.Is(err, ErrInvalidForecast) {
		t.Fatalf("2 quantiles for 3 levels: %v", err)
	}
}
