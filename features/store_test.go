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
	addr := os.Getenv("FEATURES_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 8, Protocol: protocol})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		tb.Skipf("redis-server at %s not reachable (%v); start one (or set FEATURES_REDIS_ADDR) to run this test", addr, err)
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
		keys, next, err := rdb.Scan(ctx, cursor, prefix+":*", 1000).Result()
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
			ob := &obs[i]
			st := ref[ob.Series]
			if st == nil {
				st = NewState(ob.Series)
			}
			want := cfg.Step(st, ob)
			if want != Invalid {
				ref[ob.Series] = st
			}
			r := dst[i-lo]
			if r.Status != want {
				t.Fatalf("obs %d (%s): status %v, want %v", i, ob.Series, r.Status, want)
			}
			if want == Invalid {
				continue
			}
			if r.Count != st.Count || !r.LastTS.Equal(st.LastTS) {
				t.Fatalf("obs %d: count/ts %d %v, want %d %v", i, r.Count, r.LastTS, st.Count, st.LastTS)
			}
			wantTail := st.Values[len(st.Values)-min(tail, len(st.Values)):]
			if d := floatsDiff(r.Tail, wantTail); d != "" {
				t.Fatalf("obs %d: tail %s", i, d)
			}
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

func TestStoreErrors(t *testing.T) {
	rdb, cfg := miniRedis(t)
	if _, err := NewStore(nil, cfg); err == nil {
		t.Fatal("nil client accepted")
	}
	if _, err := NewStore(rdb, Config{}); err == nil {
		t.Fatal("invalid config accepted")
	}
	s := newTestStore(t, rdb, cfg)
	ctx := context.Background()
	obs := []Observation{obAt("s", 0, 1, 0, 0)}
	if err := s.Apply(ctx, obs, cfg.History+1, make([]Result, 1)); err == nil {
		t.Fatal("tail > History accepted")
	}
	if err := s.Apply(ctx, obs, 1, nil); err == nil {
		t.Fatal("short dst accepted")
	}
	if _, err := s.State(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("State(missing) = %v, want ErrNotFound", err)
	}
	// Invalid observations are reported, not sent.
	dst := make([]Result, 2)
	bad := []Observation{obAt("s", 0, math.NaN(), 0, 0), obAt("", 0, 1, 0, 0)}
	if err := s.Apply(ctx, bad, 1, dst); err != nil || dst[0].Status != Invalid || dst[1].Status != Invalid {
		t.Fatalf("invalid batch: %v %+v", err, dst)
	}
	// A store with another History must refuse existing state.
	if err := s.Apply(ctx, obs, 1, dst); err != nil {
		t.Fatal(err)
	}
	cfg2 := cfg
	cfg2.History = 512
	s2 := newTestStore(t, rdb, cfg2)
	err := s2.Apply(ctx, []Observation{obAt("s", 1, 1, 0, 1)}, 1, dst)
	if !errors.Is(err, ErrConfigMismatch) || IsTransient(err) {
		t.Fatalf("config mismatch apply: %v", err)
	}
	if _, err := s2.State(ctx, "s"); !errors.Is(err, ErrConfigMismatch) {
		t.Fatalf("config mismatch state: %v", err)
	}
	if err := s.Delete(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.State(ctx, "s"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

// TestNoScriptReload: Apply must load the script by itself after NOSCRIPT,
// both when it was never loaded (real Redis: the script SHA is unique per key
// prefix, so no other test shares it) and after SCRIPT FLUSH (miniredis only:
// flushing the shared server's cache would disturb other users).
func TestNoScriptReload(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			rdb, cfg := be.open(t)
			s, err := NewStore(rdb, cfg) // not loaded
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			obs := randomStream(newRand(7), 3, 60)
			dst := make([]Result, len(obs))
			if err := s.Apply(ctx, obs[:30], 4, dst); err != nil {
				t.Fatalf("apply before Load: %v", err)
			}
			if be.name == "miniredis" {
				if err := rdb.ScriptFlush(ctx).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Apply(ctx, obs[30:], 4, dst); err != nil {
				t.Fatalf("second apply: %v", err)
			}
			for name, want := range Offline(cfg, obs) {
				got, err := s.State(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				if d := got.Diff(want); d != "" {
					t.Fatalf("%s: %s", name, d)
				}
			}
		})
	}
}

func TestServerErrorClassification(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	defer rdb.Close()
	s := newTestStore(t, rdb, DefaultConfig())
	tests := []struct {
		reply     string
		transient bool
	}{
		{"LOADING Redis is loading the dataset in memory", true},
		{"READONLY You can't write against a read only replica.", true},
		{"CLUSTERDOWN The cluster is down", true},
		{"TRYAGAIN Multiple keys request during rehashing of slot", true},
		{"MASTERDOWN Link with MASTER is down", true},
		{"BUSY Redis is busy running a script", true},
		{"OOM command not allowed when used memory > 'maxmemory'", false},
		{"ERR something else", false},
	}
	for _, tt := range tests {
		mr.SetError(tt.reply)
		err := s.Apply(context.Background(), []Observation{obAt("s", 0, 1, 0, 0)}, 1, make([]Result, 1))
		if err == nil || IsTransient(err) != tt.transient || errors.Is(err, ErrTransient) != tt.transient {
			t.Errorf("server reply %q: Apply error %v, transient %v, want %v", tt.reply, err, IsTransient(err), tt.transient)
		}
	}
	mr.SetError("")
}

func TestTransientErrors(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	s, err := NewStore(rdb, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	mr.Close()
	err = s.Apply(ctx, []Observation{obAt("s", 0, 1, 0, 0)}, 1, make([]Result, 1))
	if err == nil || !IsTransient(err) || !errors.Is(err, ErrTransient) {
		t.Fatalf("apply against a closed server: %v, want transient", err)
	}
	if _, err := s.State(ctx, "s"); !IsTransient(err) {
		t.Fatalf("state against a closed server: %v, want transient", err)
	}
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{context.DeadlineExceeded, true},
		{redis.ErrClosed, false},
		{errors.New("boom"), false},
		{fmt.Errorf("x: %w", redis.ErrPoolTimeout), true},
	}
	for _, tt := range tests {
		if got := IsTransient(tt.err); got != tt.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestConcurrentApply: one Store shared by several goroutines (as by
// per-partition consumers), each owning its series; the final states must
// equal the offline recomputation.
func TestConcurrentApply(t *testing.T) {
	rdb, cfg := realRedis(t)
	cfg.History = 64
	cfg.Windows, cfg.Lags = []int{8}, []int{1, 64}
	s := newTestStore(t, rdb, cfg)
	const workers = 4
	streams := make([][]Observation, workers)
	for w := range streams {
		streams[w] = randomStream(newRand(uint64(100+w)), 3, 600)
		for i := range streams[w] {
			streams[w][i].Series = fmt.Sprintf("w%d-%s", w, streams[w][i].Series)
		}
	}
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			dst := make([]Result, 50)
			for lo := 0; lo < len(streams[w]); lo += 50 {
				if err := s.Apply(context.Background(), streams[w][lo:min(lo+50, len(streams[w]))], 8, dst); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for w := range workers {
		for name, want := range Offline(cfg, streams[w]) {
			got, err := s.State(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			if d := got.Diff(want); d != "" {
				t.Fatalf("%s: %s", name, d)
			}
		}
	}
}

// TestOnlineEqualsOfflineRandomConfigs repeats the equivalence check over
// random configurations (history sizes down to 1, arbitrary alphas) and
// values spread over the whole double range, including subnormals, to
// exercise the %.17g round trip and the EWMA arithmetic in both Lua
// implementations.
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
