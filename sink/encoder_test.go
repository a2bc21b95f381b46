package sink

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestEncoderMatchesAppendJSON encodes batches whose numbers and times
// repeat (memo hits), collide in the direct-mapped slots (far more distinct
// keys than slots) and include long texts that are never memoized; every
// output must equal AppendJSON's.
func TestEncoderMatchesAppendJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	special := []float64{0, math.Copysign(0, -1), 1e-7, 1e21, -1.5e300, 5e-324, 123456789012345678, 0.1, -2.5}
	var e Encoder
	for round := 0; round < 4; round++ {
		fs := make([]Forecast, 300)
		for i := range fs {
			origin := t0.Add(time.Duration(rng.IntN(50)) * time.Hour)
			if rng.IntN(10) == 0 {
				origin = origin.Add(time.Duration(rng.Int64N(1e9))) // fractional seconds
			}
			if rng.IntN(50) == 0 {
				origin = time.Date(12345, 1, 2, 3, 4, 5, 123456789, time.UTC) // long text, not memoized
			}
			f := Forecast{Series: "s", OriginTS: origin, IssuedAt: t0.Add(time.Duration(round) * time.Millisecond),
				Model: "snaive", ModelVersion: "1", Horizon: make([]Point, 24)}
			for j := range f.Horizon {
				var v float64
				switch rng.IntN(4) {
				case 0:
					v = special[rng.IntN(len(special))]
				case 1:
					v = float64(rng.IntN(40)) / 8 // repeats
				default:
					v = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
				}
				f.Horizon[j] = Point{TS: origin.Add(time.Duration(j+1) * time.Hour), Mean: v}
			}
			fs[i] = f
		}
		e.Encode(fs)
		for i := range fs {
			if want := fs[i].AppendJSON(nil); !bytes.Equal(fs[i].JSON, want) {
				t.Fatalf("round %d forecast %d:\n got %s\nwant %s", round, i, fs[i].JSON, want)
			}
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	// Seasonal-naive-like batch: 200 series, 5 successive origins each,
	// horizons repeating the last 24 values.
	fs := make([]Forecast, 0, 1000)
	for o := 0; o < 5; o++ {
		for s := 0; s < 200; s++ {
			f := makeForecast("meter", t0.Add(time.Duration(o)*time.Hour), 24, 0)
			for j := range f.Horizon {
				f.Horizon[j].Mean = 5.827000141143799 + float64(s) + float64((o+j)%24)*0.0137
			}
			fs = append(fs, f)
		}
	}
	b.Run("Encode", func(b *testing.B) {
		var arena []byte
		for b.Loop() {
			arena = Encode(arena, fs)
		}
	})
	b.Run("Encoder", func(b *testing.B) {
		var e Encoder
		for b.Loop() {
			e.Encode(fs)
		}
	})
	// The pipeline bench's shape: every series has its own clock (ETTh1
	// replicas shifted by whole hours), so times rarely repeat.
	shifted := make([]Forecast, len(fs))
	for i := range fs {
		f := fs[i]
		f.Horizon = append([]Point(nil), f.Horizon...)
		shift := time.Duration(i%200) * 7 * time.Hour
		f.OriginTS = f.OriginTS.Add(shift)
		for j := range f.Horizon {
			f.Horizon[j].TS = f.Horizon[j].TS.Add(shift)
		}
		shifted[i] = f
	}
	b.Run("Encoder/shifted", func(b *testing.B) {
		var e Encoder
		for b.Loop() {
			e.Encode(shifted)
		}
	})
}

// TestEncoderTimesMatchRFC3339Nano: the whole-second fast path and the memo
// write exactly what time.RFC3339Nano writes, across day, month, year and
// leap-day boundaries, at the ends of the fast range, before 1970, after
// 9999 and with fractional seconds, in an order that switches days often.
func TestEncoderTimesMatchRFC3339Nano(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	times := []time.Time{
		time.Unix(0, 0), time.Unix(maxFastSec-1, 0), time.Unix(maxFastSec, 0), time.Unix(-1, 0),
		time.Date(2024, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2023, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2000, 3, 1, 0, 0, 0, 0, time.FixedZone("x", 5*3600)),
		time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2026, 11, 26, 5, 0, 0, 1, time.UTC),
	}
	for i := 0; i < 20000; i++ {
		sec := rng.Int64N(maxFastSec + 10*86400*365)
		if rng.IntN(4) == 0 {
			sec -= rng.Int64N(1e11)
		}
		var ns int64
		if rng.IntN(5) == 0 {
			ns = rng.Int64N(1e9)
		}
		times = append(times, time.Unix(sec, ns))
	}
	var e Encoder
	for _, tm := range times {
		got := string(e.appendTime(nil, tm))
		if want := tm.UTC().Format(time.RFC3339Nano); got != want {
			t.Fatalf("%v: got %s, want %s", tm, got, want)
		}
	}
}
