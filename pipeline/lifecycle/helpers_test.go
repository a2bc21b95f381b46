package lifecycle

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
	"github.com/streamcast/streamcast/engine/registry"
	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/internal/testenv"
)

func TestMain(m *testing.M) {
	MaybeServeWorker() // ProcessFitter runs this test binary as its worker
	maybeRunInstance() // crash tests run retrainer instances as child processes
	maybeReportPriority()
	os.Exit(m.Run())
}

func redisAddr() string { return testenv.RedisAddr() }

func testRedis(t testing.TB) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: testenv.Redis(t, redisAddr())})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

var prefixSeq atomic.Int64

// env is one test's Redis namespace: a feature store with histories and a
// model registry.
type env struct {
	rdb    *redis.Client
	prefix string
	store  *features.Store
	reg    *registry.Registry
}

func newEnv(t testing.TB) *env {
	t.Helper()
	rdb := testRedis(t)
	prefix := fmt.Sprintf("sctest-lc-%s-%d-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano(), prefixSeq.Add(1))
	e := openEnv(t, rdb, prefix)
	t.Cleanup(func() {
		ctx := context.Background()
		it := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		var keys []string
		for it.Next(ctx) {
			keys = append(keys, it.Val())
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return e
}

func openEnv(t testing.TB, rdb *redis.Client, prefix string) *env {
	cfg := features.DefaultConfig()
	cfg.History, cfg.KeyPrefix = 512, prefix
	cfg.Windows, cfg.Lags = []int{24}, []int{1, 24}
	store, err := features.NewStore(rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.New(rdb, registry.Config{KeyPrefix: prefix, Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{rdb: rdb, prefix: prefix, store: store, reg: reg}
}

var tStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// seriesValue is the synthetic hourly series s at step k: a daily cycle
// with per-series level and amplitude plus seeded noise.
func seriesValue(s, k int, rng *rand.Rand) float64 {
	level, amp := 10+3*float64(s), 4+float64(s%3)
	return level + amp*math.Sin(2*math.Pi*float64(k)/24+float64(s)) + 0.3*rng.NormFloat64()
}

// writeHistories applies steps [from, to) of n series to the store.
func (e *env) writeHistories(t testing.TB, n, from, to int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(from), 7))
	var obs []features.Observation
	for k := from; k < to; k++ {
		for s := range n {
			obs = append(obs, features.Observation{Series: fmt.Sprintf("syn-%d", s), TS: tStart.Add(time.Duration(k) * time.Hour),
				Value: seriesValue(s, k, rng), Source: features.SourcePos{Offset: -1}})
		}
	}
	res := make([]features.Result, len(obs))
	if err := e.store.Apply(context.Background(), obs, 0, res); err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Status != features.Applied {
			t.Fatalf("observation %d: %v", i, r.Status)
		}
	}
}

const tinyHyper = `{"input_size":24,"h":6,"hidden_size":32,"num_layers":1,"scaler_type":"standard","random_seed":%d}`

// tinyModel returns a fresh small MLP's model file.
func tinyModel(t testing.TB, seed int) []byte {
	t.Helper()
	m, err := model.New(mlp.Kind, []byte(fmt.Sprintf(tinyHyper, seed)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := model.Encode(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seed stores blob as the registry's first, current version.
func (e *env) seed(t testing.TB, blob []byte) registry.Meta {
	t.Helper()
	m, stored, err := SeedRegistry(context.Background(), e.reg, blob, "test seed", "test")
	if err != nil || !stored {
		t.Fatalf("seed: %v (stored %v)", err, stored)
	}
	return m
}

func (e *env) retrainer(t testing.TB, cfg RetrainConfig, f Fitter) *Retrainer {
	t.Helper()
	if cfg.Owner == "" {
		cfg.Owner = "test-" + t.Name()
	}
	r, err := NewRetrainer(cfg, Deps{Registry: e.reg, Data: &RedisHistories{Store: e.store, Redis: e.rdb}, Fitter: f})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkConsistent verifies the registry invariants: current exists, is in
// the history's tail and loads with a valid checksum; every listed version
// loads.
func checkConsistent(t testing.TB, reg *registry.Registry) *registry.Listing {
	t.Helper()
	ctx := context.Background()
	ls, err := reg.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ls.Current == 0 || len(ls.History) == 0 || ls.History[len(ls.History)-1] != ls.Current {
		t.Fatalf("inconsistent registry: current %d, history %v", ls.Current, ls.History)
	}
	for _, m := range ls.Versions {
		if _, _, err := reg.Load(ctx, m.Version); err != nil {
			t.Fatalf("version %d does not load: %v", m.Version, err)
		}
	}
	return ls
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
