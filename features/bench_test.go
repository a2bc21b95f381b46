package features

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// BenchmarkApply measures Store.Apply against the real redis-server: batches
// of 500 events spread over 1000 series (default config: History 1024, two
// EWMAs), with and without one exogenous value per event, for several tail
// lengths. One benchmark op is one event; see the events/s metric.
func BenchmarkApply(b *testing.B) {
	for _, c := range []struct {
		tail int
		exog bool
	}{{0, true}, {24, true}, {168, true}, {24, false}} {
		b.Run(fmt.Sprintf("tail=%d/exog=%v", c.tail, c.exog), func(b *testing.B) {
			rdb, cfg := realRedis(b)
			cpu0 := redisCPU(b, rdb)
			benchApply(b, newTestStore(b, rdb, cfg), 500, 1000, c.tail, c.exog)
			// Server CPU per event (all clients of the shared server count,
			// so this is an upper bound); less noisy than wall time here.
			b.ReportMetric((redisCPU(b, rdb)-cpu0)*1e6/float64(b.N), "redis-cpu-µs/event")
		})
	}
}

// BenchmarkApplyMiniredis is the same on miniredis (the zero-setup demo
// backend); expect it to be far slower.
func BenchmarkApplyMiniredis(b *testing.B) {
	rdb, cfg := miniRedis(b)
	benchApply(b, newTestStore(b, rdb, cfg), 500, 1000, 24, true)
}

// redisCPU returns the server's used_cpu_user + used_cpu_sys in seconds.
func redisCPU(b *testing.B, rdb redis.UniversalClient) float64 {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var sum float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_user" || k == "used_cpu_sys") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			sum += f
		}
	}
	return sum
}

func benchApply(b *testing.B, s *Store, batch, nSeries, tail int, exog bool) {
	ctx := context.Background()
	names := make([]string, nSeries)
	for i := range names {
		names[i] = fmt.Sprintf("meter-%d", i)
	}
	obs := make([]Observation, batch)
	dst := make([]Result, batch)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ev int64
	b.ReportAllocs()
	b.ResetTimer()
	t0, cpu0 := time.Now(), processCPU()
	for done := 0; done < b.N; done += batch {
		n := min(batch, b.N-done)
		for i := range n {
			obs[i] = Observation{
				Series: names[ev%int64(nSeries)],
				TS:     start.Add(time.Duration(ev/int64(nSeries)) * time.Minute),
				Value:  float64(ev%977) * 0.25,
				Source: SourcePos{Topic: "in", Partition: 0, Offset: ev},
			}
			if exog {
				obs[i].Exog = map[string]float64{"temp": float64(ev % 31)}
			}
			ev++
		}
		if err := s.Apply(ctx, obs[:n], tail, dst); err != nil {
			b.Fatal(err)
		}
		if dst[0].Status != Applied {
			b.Fatalf("status %v", dst[0].Status)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "events/s")
	b.ReportMetric((processCPU()-cpu0).Seconds()*1e6/float64(b.N), "client-cpu-µs/event")
}

// processCPU returns the user+system CPU time of this process (all threads).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEvalFloor pipelines EVALSHA of a script that only returns 1, with
// the same keys and argument shape as Apply: the per-event floor of any Lua
// design on this server at this moment (compare its redis-cpu-µs/event with
// BenchmarkApply's on a noisy machine).
func BenchmarkEvalFloor(b *testing.B) {
	rdb, cfg := realRedis(b)
	ctx := context.Background()
	sha, err := rdb.ScriptLoad(ctx, "-- "+cfg.KeyPrefix+"\nreturn 1").Result()
	if err != nil {
		b.Fatal(err)
	}
	rec := make([]byte, 16)
	cpu0 := redisCPU(b, rdb)
	b.ResetTimer()
	t0 := time.Now()
	for done := 0; done < b.N; done += 500 {
		pipe := rdb.Pipeline()
		for i := range min(500, b.N-done) {
			base := fmt.Sprintf("%s:{meter-%d}:", cfg.KeyPrefix, (done+i)%1000)
			pipe.EvalSha(ctx, sha, []string{base + "h", base + "m"},
				"1767225600000", "0", strconv.Itoa(done+i), "1.25", rec, "0", "x:temp", "12")
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "events/s")
	b.ReportMetric((redisCPU(b, rdb)-cpu0)*1e6/float64(b.N), "redis-cpu-µs/event")
}

// BenchmarkFeatures: one default feature vector (windows 24 and 168) from a
// full 1024-value state.
func BenchmarkFeatures(b *testing.B) {
	cfg := DefaultConfig()
	obs := make([]Observation, 2000)
	for i := range obs {
		obs[i] = Observation{Series: "s", TS: time.UnixMilli(int64(i) * 60000), Value: float64(i % 97), Source: SourcePos{Offset: int64(i)}}
	}
	st := Offline(cfg, obs)["s"]
	dst := make([]float64, 0, cfg.NumFeatures())
	b.ReportAllocs()
	for b.Loop() {
		dst = cfg.Features(st, dst)
	}
}

// BenchmarkOffline: offline state rebuild, per observation.
func BenchmarkOffline(b *testing.B) {
	cfg := DefaultConfig()
	obs := randomStream(newRand(1), 100, 10000)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += len(obs) {
		Offline(cfg, obs[:min(len(obs), b.N-done)])
	}
}
