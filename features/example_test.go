package features_test

import (
	"fmt"
	"time"

	"github.com/streamcast/streamcast/features"
)

// Offline rebuilds series state from a slice of observations (here with a
// replayed offset and a late event, both skipped) and Features derives the
// model features from it, exactly as for state kept in Redis.
func ExampleOffline() {
	cfg := features.Config{History: 8, Windows: []int{3}, Lags: []int{1, 2}, EWMAAlphas: []float64{0.5}, KeyPrefix: "sc"}
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC) // a Monday
	var obs []features.Observation
	for i, v := range []float64{10, 20, 30} {
		obs = append(obs, features.Observation{Series: "meter-17", TS: start.Add(time.Duration(i) * time.Hour),
			Value: v, Source: features.SourcePos{Topic: "readings", Partition: 0, Offset: int64(i)}})
	}
	obs = append(obs, obs[1]) // replayed: duplicate offset
	obs = append(obs, features.Observation{Series: "meter-17", TS: start, Value: 99,
		Source: features.SourcePos{Topic: "readings", Partition: 0, Offset: 3}}) // late

	st := features.Offline(cfg, obs)["meter-17"]
	fmt.Println("count:", st.Count, "values:", st.Values, "last:", st.LastTS.Format(time.RFC3339))
	vec := cfg.Features(st, nil)
	for i, name := range cfg.FeatureNames()[:9] {
		fmt.Printf("%s=%.4g ", name, vec[i])
	}
	fmt.Println()
	// Output:
	// count: 3 values: [10 20 30] last: 2026-01-05T10:00:00Z
	// mean_3=20 std_3=8.165 min_3=10 max_3=30 lag_1=30 lag_2=20 ewma_0.5=22.5 hour=10 dow=1
}
