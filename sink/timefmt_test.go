package sink

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestAppendTimeMatchesRFC3339Nano(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []time.Time{
		{}, t0, t0.Add(time.Nanosecond), t0.Add(120 * time.Millisecond),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		t0.In(time.FixedZone("X", -7*3600-1800)),
		time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC),
		time.Date(2000, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1600, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for range 2000 {
		cases = append(cases, time.Unix(rng.Int64N(1<<39)-(1<<38), rng.Int64N(1e9)))
	}
	for _, tc := range cases {
		got := string(appendTime(nil, tc))
		want := tc.UTC().Format(time.RFC3339Nano)
		if got != want {
			t.Fatalf("appendTime(%v) = %s, want %s", tc, got, want)
		}
	}
}
