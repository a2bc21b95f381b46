package lifecycle_test

import (
	"fmt"
	"time"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/pipeline/lifecycle"
	"github.com/streamcast/streamcast/sink"
)

// A batch takes one snapshot of the model: a swap during the batch does
// not change the model it forecasts with.
func ExampleSwap() {
	s, _ := lifecycle.NewSwap(forecast.Naive{}, nil)
	batchModel := s.Snapshot()
	m24, _ := forecast.NewSeasonalNaive(24)
	s.Set(m24)
	fmt.Println(batchModel.Name(), "→", s.Snapshot().Name())
	// Output: naive → snaive
}

// Each observation scores the forecasts issued earlier for its time, per
// step ahead.
func ExampleEvaluator() {
	e, _ := lifecycle.NewEvaluator(lifecycle.EvalConfig{Horizon: 2, Freq: time.Hour}, nil, nil)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fc := func(origin time.Time, means ...float64) sink.Forecast {
		f := sink.Forecast{Series: "a", OriginTS: origin, Model: "m", ModelVersion: "1"}
		for j, m := range means {
			f.Horizon = append(f.Horizon, sink.Point{TS: origin.Add(time.Duration(j+1) * time.Hour), Mean: m})
		}
		return f
	}
	for k, y := range []float64{10, 12, 11} {
		ts := t0.Add(time.Duration(k) * time.Hour)
		ob := features.Observation{Series: "a", TS: ts, Value: y}
		e.ObserveBatch([]features.Observation{ob}, []sink.Forecast{fc(ts, y+1, y+3)}) // forecasts: last value +1, +3
	}
	r := e.Report().All
	fmt.Printf("+1: MAE %.1f over %d, +2: MAE %.1f over %d\n", r.MAE[0], r.N[0], r.MAE[1], r.N[1])
	// Output: +1: MAE 1.5 over 2, +2: MAE 2.0 over 1
}
