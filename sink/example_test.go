package sink_test

import (
	"fmt"
	"time"

	"github.com/streamcast/streamcast/sink"
)

func ExampleForecast_AppendJSON() {
	origin := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	f := sink.Forecast{
		ID:       sink.ForecastID("meter-17", origin, "snaive", "1-m24"),
		Series:   "meter-17",
		OriginTS: origin, IssuedAt: origin.Add(12 * time.Millisecond),
		Model: "snaive", ModelVersion: "1-m24",
		Horizon: []sink.Point{{TS: origin.Add(time.Hour), Mean: 123.4}, {TS: origin.Add(2 * time.Hour), Mean: 120}},
	}
	buf := f.AppendJSON(nil) // reuse buf[:0] for the next forecast
	fmt.Println(string(buf))
	// Output:
	// {"id":"meter-17/2026-11-26T05:00:00Z/snaive@1-m24","series":"meter-17","origin_ts":"2026-11-26T05:00:00Z","issued_at":"2026-11-26T05:00:00.012Z","model":"snaive","model_version":"1-m24","horizon":[{"ts":"2026-11-26T06:00:00Z","mean":123.4},{"ts":"2026-11-26T07:00:00Z","mean":120}]}
}
