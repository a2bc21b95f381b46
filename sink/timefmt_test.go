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
	}
	for range 2000 {
		cases = append(cases, time.Unix(rng.Int64N(1<<35)-1<<33, rng.Int64N(1e9)))
	}
	for _, tc := range cases {
		got := string(appendTime(nil, tc))
		want := tc.UTC().Format(time.RFC3339Nano)
		if got != want {
			t.Fatalf("appendTime(%v) = %s, want %s", tc, got, want)
		}
	}
}

func BenchmarkAppendTime(b *testing.B) {
	buf := make([]byte, 0, 64)
	tm := t0.Add(1500 * time.Microsecond)
	for b.Loop() {
		buf = appendTime(buf[:0], tm)
	}
}
