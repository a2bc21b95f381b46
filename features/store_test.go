package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/internal/testenv"
)

// realRedis connects to the redis-server at 127.0.0.1:6379 (or
// $FEATURES_REDIS_ADDR, e.g. a private instance for benchmarks) or skips.
// It returns a config with a unique key prefix whose keys are removed (SCAN +
// DEL, never FLUSHDB) when the test ends.
func realRedis(tb testing.TB) (redis.UniversalClient, Config) {
	tb.Helper()
	return realRedisProto(tb, 3)
}

func realRedisProto(tb testing.TB, protocol int) (redis.UniversalClient, Config) {
	tb.Helper()
	addr := os.Getenv("FEATURES_REDIS_ADDR") // older name of STREAMCAST_TEST_REDIS
	if addr == "" {
		addr = testenv.RedisAddr()
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 8, Protocol: protocol})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		testenv.NoRedis(tb, "redis-server at %s not reachable (%v); start one (or set %s) to run this test", addr, err, testenv.EnvTestRedis)
	}
	cfg := DefaultConfig()
	cfg.KeyPrefix = fmt.Sprintf("t-%s-%d", strings.ReplaceAll(tb.Name(), "/", "_"), time.Now().UnixNano())
	tb.Cleanup(func() {
		deleteByPrefix(tb, rdb, cfg.KeyPrefix)
		_ = rdb.Close()
	})
	return rdb, cfg
}

func deleteByPrefix(tb testing.TB, rdb redis.UniversalClient, prefix string) {
	ctx := context.Background()
	var cursor uint64
	for {
		// prefix* rather than prefix:* also covers derived prefixes
		// (prefix-N) of sub-tests; test prefixes are unique.
		keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			tb.Errorf("cleanup scan: %v", err)
			return
		}
		if len(keys) > 0 {
			if err := rdb.Del(ctx, keys...).Err(); err != nil {
				tb.Errorf("cleanup del: %v", err)
				return
			}
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}

func miniRedis(tb testing.TB) (redis.UniversalClient, Config) {
	mr := miniredis.RunT(tb)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	tb.Cleanup(func() { _ = rdb.Close() })
	cfg := DefaultConfig()
	cfg.KeyPrefix = "mini"
	return rdb, cfg
}

type backend struct {
	name string
	open func(testing.TB) (redis.UniversalClient, Config)
}

var backends = []backend{
	{"redis", realRedis},
	{"redis-resp2", func(tb testing.TB) (redis.UniversalClient, Config) { return realRedisProto(tb, 2) }},
	{"miniredis", miniRedis},
}

func newTestStore(tb testing.TB, rdb redis.UniversalClient, cfg Config) *Store {
	tb.Helper()
	s, err := NewStore(rdb, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// applyAll applies obs in batches of batch and checks every Result against
// an offline replay of the same observations.
func applyAll(t *testing.T, s *Store, obs []Observation, batch, tail int) map[string]*State {
	t.Helper()
	ctx := context.Background()
	cfg := s.Config()
	ref := map[string]*State{}
	dst := make([]Result, batch)
	for lo := 0; lo < len(obs); lo += batch {
		hi := min(lo+batch, len(obs))
		if err := s.Apply(ctx, obs[lo:hi], tail, dst); err != nil {
			t.Fatalf("apply [%d,%d): %v", lo, hi, err)
		}
		for i := lo; i < hi; i++ {
			checkResult(t, cfg, ref, &obs[i], &dst[i-lo], tail, fmt.Sprintf("obs %d", i))
		}
	}
	return ref
}

func floatsDiff(a, b []float64) string {
	if len(a) != len(b) {
		return fmt.Sprintf("len %d vs %d", len(a), len(b))
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return fmt.Sprintf("[%d] %v vs %v", i, a[i], b[i])
		}
	}
	return ""
}

// TestOnlineEqualsOffline is the golden equivalence test: a seeded random
// stream with duplicates, late and invalid events is applied through Redis in
// pipelined batches, and every per-event result, every final state and every
// feature vector must equal the offline recomputation bit for bit.
func TestOnlineEqualsOffline(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			rdb, cfg := be.open(t)
			cfg.History = 32 // small ring so it wraps many times
			cfg.Windows, cfg.Lags = []int{5, 32}, []int{1, 7, 32}
			cfg.EWMAAlphas = []float64{0.1, 0.3, 0.9, 1}
			cfg.Exog = []string{"temp", "price", "absent"}
			n := 3000
			switch be.name {
			case "miniredis":
				n = 800
			case "redis-resp2":
				n = 1000
			}
			obs := randomStream(newRand(42), 7, n)
			s := newTestStore(t, rdb, cfg)
			ref := applyAll(t, s, obs, 97, 12)
			offline := Offline(cfg, obs)
			if len(offline) != len(ref) {
				t.Fatalf("offline has %d series, replay %d", len(offline), len(ref))
			}
			names := make([]string, 0, len(offline))
			for name := range offline {
				names = append(names, name)
			}
			online, err := s.States(context.Background(), append(names, "never-seen"))
			if err != nil {
				t.Fatal(err)
			}
			if online[len(names)] != nil {
				t.Fatal("state for a series never applied")
			}
			var f1, f2 []float64
			for i, name := range names {
				if d := online[i].Diff(offline[name]); d != "" {
					t.Fatalf("series %s: online vs offline: %s", name, d)
				}
				f1, f2 = cfg.Features(online[i], f1), cfg.Features(offline[name], f2)
				if d := floatsDiff(f1, f2); d != "" {
					t.Fatalf("series %s: features %s", name, d)
				}
			}
			// Replaying the whole stream changes nothing: every event is a
			// duplicate, late or invalid.
			dst := make([]Result, len(obs))
			if err := s.Apply(context.Background(), obs, 0, dst); err != nil {
				t.Fatal(err)
			}
			for i, r := range dst {
				if r.Status == Applied {
					t.Fatalf("replayed obs %d applied again", i)
				}
			}
			again, err := s.States(context.Background(), names)
			if err != nil {
				t.Fatal(err)
			}
			for i, name := range names {
				if d := again[i].Diff(offline[name]); d != "" {
					t.Fatalf("series %s after replay: %s", name, d)
				}
			}
		})
	}
}

// TestStoreGoldenInput runs the golden input of TestFeaturesGolden through
// Redis, one Apply per event, reading the state back after each; the rendered
// statuses and feature vectors must match testdata/features.golden exactly.
func TestStoreGoldenInput(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			rdb, base := be.open(t)
			cfg := goldenConfig()
			cfg.KeyPrefix = base.KeyPrefix
			s := newTestStore(t, rdb, cfg)
			ctx := context.Background()
			dst := make([]Result, 1)
			got := goldenText(cfg, func(ob Observation) (Status, *State) {
				if err := s.Apply(ctx, []Observation{ob}, cfg.History, dst); err != nil {
					t.Fatal(err)
				}
				st, err := s.State(ctx, ob.Series)
				if errors.Is(err, ErrNotFound) {
					return dst[0].Status, nil
				}
				if err != nil {
					t.Fatal(err)
				}
				if d := floatsDiff(dst[0].Tail, st.Values); dst[0].Status != Invalid && d != "" {
					t.Fatalf("tail vs state values: %s", d)
				}
				return dst[0].Status, st
			})
			compareGolden(t, got)
		})
	}
}

func TestStoreExtremeValues(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			rdb, cfg := be.open(t)
			cfg.History = 8
			cfg.Windows, cfg.Lags = []int{8}, []int{1}
			cfg.EWMAAlphas = []float64{0.1, 1.0 / 3}
			s := newTestStore(t, rdb, cfg)
			vals := []float64{0.1, -0.0, 1e300, -1e300, 5e-324, math.SmallestNonzeroFloat64, 1e-310,
				math.Nextafter(1, 2), 123456789012345678, -2.5e-7, 1e300, 1.0 / 3, math.Pi, -1e300}
			obs := make([]Observation, len(vals))
			for i, v := range vals {
				obs[i] = Observation{Series: "x{weird}:name", TS: time.UnixMilli(-int64(len(vals)-i) * 1e9), Value: v,
					Exog: map[string]float64{"e": -v, "tiny": 5e-324}, Source: SourcePos{Offset: int64(i)}}
			}
			applyAll(t, s, obs, 5, 8)
			on, err := s.State(context.Background(), "x{weird}:name")
			if err != nil {
				t.Fatal(err)
			}
			if d := on.Diff(Offline(cfg, obs)["x{weird}:name"]); d != "" {
				t.Fatal(d)
			}
		})
	}
}

// TestOnlineEqualsOfflineRandomConfigs repeats the equivalence check over
// random configurations (history sizes down to 1, arbitrary alphas and tail
// lengths, batch sizes) and values spread over the whole double range,
// including subnormals.
func TestOnlineEqualsOfflineRandomConfigs(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			rdb, base := be.open(t)
			seeds := 6
			if be.name != "redis" {
				seeds = 2
			}
			for seed := range seeds {
				r := newRand(uint64(1000 + seed))
				cfg := base
				cfg.KeyPrefix = fmt.Sprintf("%s-%d", base.KeyPrefix, seed)
				cfg.History = 1 + r.IntN(40)
				cfg.Windows = []int{1 + r.IntN(cfg.History)}
				cfg.Lags = []int{1 + r.IntN(cfg.History)}
				cfg.EWMAAlphas = nil
				for range 1 + r.IntN(4) {
					cfg.EWMAAlphas = append(cfg.EWMAAlphas, 1-r.Float64()) // (0, 1]
				}
				obs := randomStream(r, 3, 400)
				for i := range obs {
					if r.IntN(3) == 0 && !math.IsNaN(obs[i].Value) {
						obs[i].Value = r.NormFloat64() * math.Pow(10, float64(r.IntN(600)-300))
					}
				}
				s := newTestStore(t, rdb, cfg)
				applyAll(t, s, obs, 1+r.IntN(120), r.IntN(cfg.History+1))
				for name, want := range Offline(cfg, obs) {
					got, err := s.State(context.Background(), name)
					if err != nil {
						t.Fatal(err)
					}
					if d := got.Diff(want); d != "" {
						t.Fatalf("seed %d (%+v) series %s: %s", seed, cfg, name, d)
					}
				}
				if be.name == "redis" || be.name == "redis-resp2" {
					deleteByPrefix(t, rdb, cfg.KeyPrefix)
				}
			}
		})
	}
}
