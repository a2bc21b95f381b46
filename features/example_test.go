package features_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

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

// A Store keeps the same state in Redis (here an in-process miniredis):
// one pipelined round trip per batch, each event applied atomically by a Lua
// script, with the tail for forecasting returned directly.
func ExampleStore_Apply() {
	mr, err := miniredis.Run()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()

	ctx := context.Background()
	cfg := features.DefaultConfig()
	store, err := features.NewStore(rdb, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := store.Load(ctx); err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	batch := []features.Observation{
		{Series: "meter-17", TS: start, Value: 10, Source: features.SourcePos{Topic: "readings", Offset: 0}},
		{Series: "meter-17", TS: start.Add(time.Hour), Value: 20, Source: features.SourcePos{Topic: "readings", Offset: 1}},
		{Series: "meter-17", TS: start.Add(time.Hour), Value: 20, Source: features.SourcePos{Topic: "readings", Offset: 1}}, // replay
	}
	results := make([]features.Result, len(batch))
	if err := store.Apply(ctx, batch, 3, results); err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results {
		fmt.Println(r.Status, r.Count, r.Tail)
	}
	st, err := store.State(ctx, "meter-17")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("same as offline:", st.Diff(features.Offline(cfg, batch)["meter-17"]) == "")
	// Output:
	// applied 1 [10]
	// applied 2 [10 20]
	// duplicate 2 [10 20]
	// same as offline: true
}
