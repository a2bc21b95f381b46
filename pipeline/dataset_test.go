package pipeline

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/sink"
)

func TestETTh1Replay(t *testing.T) {
	d, err := NewDataset("etth1", 15, 0)
	if err != nil {
		t.Fatal(err)
	}
	e := d.(*ETTh1)
	if e.Rows() != 17420 {
		t.Fatalf("rows = %d", e.Rows())
	}
	for _, tc := range []struct {
		k      int64
		series string
		ts     string
		value  float64
	}{
		{0, "etth1-HUFL", "2016-07-01T00:00:00Z", 5.827000141143799},
		{6, "etth1-OT", "2016-07-01T00:00:00Z", 30.5310001373291},
		{15 + 6, "etth1-OT", "2016-07-01T01:00:00Z", 27.78700065612793},
		{7, "etth1-HUFL-1", "2016-07-05T01:00:00Z", e.cols[0][97]},
		{14, "etth1-HUFL-2", "2016-07-09T02:00:00Z", e.cols[0][194]},
	} {
		s, ts, v := d.Event(tc.k)
		if s != tc.series || ts.Format(time.RFC3339) != tc.ts || v != tc.value {
			t.Errorf("event %d = %s %s %v, want %s %s %v", tc.k, s, ts.Format(time.RFC3339), v, tc.series, tc.ts, tc.value)
		}
	}
	// Wrap-around keeps event times increasing per series.
	k := int64(17420+5) * 15
	_, ts1, v1 := d.Event(k)
	_, ts0, _ := d.Event(k - 15)
	if !ts1.After(ts0) || v1 != e.cols[0][5] {
		t.Fatalf("wrap: ts %v after %v, value %v want %v", ts1, ts0, v1, e.cols[0][5])
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	a, _ := NewDataset("synthetic", 10, 7)
	b, _ := NewDataset("synthetic", 10, 7)
	c, _ := NewDataset("synthetic", 10, 8)
	same := true
	for k := int64(0); k < 100; k++ {
		sa, ta, va := a.Event(k)
		sb, tb, vb := b.Event(k)
		_, _, vc := c.Event(k)
		if sa != sb || !ta.Equal(tb) || va != vb || math.IsNaN(va) {
			t.Fatalf("event %d not reproducible", k)
		}
		same = same && va == vc
	}
	if same {
		t.Fatal("seed has no effect")
	}
	if _, err := NewDataset("nope", 1, 0); err == nil {
		t.Fatal("unknown dataset accepted")
	}
}

func TestEncodeEvent(t *testing.T) {
	b := EncodeEvent(nil, `a"b`, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), -1.25)
	var v struct {
		Series string    `json:"series"`
		TS     time.Time `json:"ts"`
		Value  float64   `json:"value"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if v.Series != `a"b` || v.Value != -1.25 || v.TS.Hour() != 3 {
		t.Fatalf("round trip: %+v", v)
	}
}

// TestRunStatsMAE: the online MAE scores each step-1 forecast against the
// next observed value of the same series, and only those.
func TestRunStatsMAE(t *testing.T) {
	s := NewRunStats()
	fc := func(series string, mean float64) sink.Forecast {
		return sink.Forecast{Series: series, Horizon: []sink.Point{{Mean: mean}, {Mean: 99}}}
	}
	ob := func(series string, v float64) features.Observation {
		return features.Observation{Series: series, Value: v}
	}
	s.OnAck(&BatchReport{Applied: []features.Observation{ob("a", 1), ob("b", 10)}, Forecasts: []sink.Forecast{fc("a", 2), fc("b", 10)}, Latencies: []float64{0.001, 0.003}})
	// a: forecast 2, actual 4 → 2; naive 1 → 3. b: forecast 10, actual 9 → 1; naive 10 → 1.
	s.OnAck(&BatchReport{Applied: []features.Observation{ob("a", 4), ob("b", 9)}, Forecasts: []sink.Forecast{fc("a", 0), fc("b", 0)}, Latencies: []float64{0.002, 0.004}, DLQ: 1, Late: 2})
	sum := s.Summary(7, time.Second)
	if sum.MAEScored != 2 || sum.MAE != 1.5 || sum.MAENaive != 2 {
		t.Fatalf("MAE %v naive %v over %d", sum.MAE, sum.MAENaive, sum.MAEScored)
	}
	if sum.EventsApplied != 4 || sum.DLQ != 1 || sum.EventsLate != 2 || sum.ForecastsOut != 4 || sum.EventsPerS != 7 {
		t.Fatalf("counters: %+v", sum)
	}
	if sum.Latency.P50 != 2 || sum.Latency.P99 != 4 {
		t.Fatalf("latency p50 %v p99 %v", sum.Latency.P50, sum.Latency.P99)
	}
}
