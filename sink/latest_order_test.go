package sink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// notSingle hides the *redis.Client type, so RedisLatest takes the path of
// sharded clients (Cluster, Ring): one script call per key, pipelined.
type notSingle struct{ *redis.Client }

// TestRedisLatestNeverGoesBack: the stored latest forecast of a series only
// moves forward in origin time, on every write path: a replay re-issuing an
// older forecast (later batch, or earlier in the same batch) leaves the
// newer one; an equal origin (a re-issue, or a new model version) replaces
// it; origins compare to the millisecond; a stored value without an
// origin key (an older release, or not a forecast at all) is replaced; no
// keep key is left behind.
func TestRedisLatestNeverGoesBack(t *testing.T) {
	for _, c := range []struct {
		name string
		ttl  time.Duration
		wrap bool
		mini bool // a fresh miniredis: the script is not loaded yet
	}{
		{"single", 0, false, false}, {"single-ttl", time.Minute, false, false},
		{"sharded", 0, true, false}, {"sharded-ttl", time.Minute, true, false},
		{"miniredis-single", 0, false, true}, {"miniredis-sharded", time.Minute, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rdb *redis.Client
			prefix := "mini"
			if c.mini {
				rdb = redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
				t.Cleanup(func() { rdb.Close() })
			} else {
				rdb, prefix = newRedis(t)
			}
			var client redis.UniversalClient = rdb
			if c.wrap {
				client = notSingle{rdb}
			}
			r, err := NewRedisLatest(client, prefix)
			if err != nil {
				t.Fatal(err)
			}
			r.TTL = c.ttl
			ctx := context.Background()
			at := func(d time.Duration, v float64) Forecast { return makeForecast("s", t0.Add(d), 4, v) }
			check := func(step string, want Forecast) {
				t.Helper()
				got, err := r.Get(ctx, "s")
				if err != nil {
					t.Fatalf("%s: %v", step, err)
				}
				if !got.OriginTS.Equal(want.OriginTS) || got.Horizon[0].Mean != want.Horizon[0].Mean {
					t.Fatalf("%s: stored origin %v mean %v, want %v %v", step, got.OriginTS, got.Horizon[0].Mean, want.OriginTS, want.Horizon[0].Mean)
				}
				if ttl := rdb.TTL(ctx, r.Key("s")).Val(); (c.ttl > 0) != (ttl > 0) {
					t.Fatalf("%s: TTL %v with TTL setting %v", step, ttl, c.ttl)
				}
			}
			newest := at(2*time.Hour, 2)
			publish := func(fs ...Forecast) {
				t.Helper()
				if err := r.Publish(ctx, fs); err != nil {
					t.Fatal(err)
				}
			}
			publish(newest)
			publish(at(time.Hour, 1))
			check("older in a later batch", newest)
			publish(at(3*time.Hour, 3), at(time.Hour, 1))
			check("older last in the batch", at(3*time.Hour, 3))
			publish(at(3*time.Hour, 33))
			check("equal origin replaces", at(3*time.Hour, 33))
			publish(at(3*time.Hour+500*time.Millisecond, 4))
			publish(at(3*time.Hour+90*time.Millisecond, 5))
			check("milliseconds", at(3*time.Hour+500*time.Millisecond, 4))
			publish(at(3*time.Hour+time.Second, 6))
			check("whole second after a fraction", at(3*time.Hour+time.Second, 6))
			if n, err := rdb.Exists(ctx, r.Key("s")+":keep").Result(); err != nil || n != 0 {
				t.Fatalf("keep key left behind: %d %v", n, err)
			}

			// A forecast stored without an origin key (by a release
			// before it existed, or by hand) is replaced, whatever it is.
			if err := rdb.Del(ctx, r.OriginKey("s")).Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.Set(ctx, r.Key("s"), "not json", 0).Err(); err != nil {
				t.Fatal(err)
			}
			publish(at(0, 7))
			check("no origin: replaced", at(0, 7))
			if err := rdb.Del(ctx, r.Key("s"), r.OriginKey("s")).Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.HSet(ctx, r.Key("s"), "a", "1").Err(); err != nil {
				t.Fatal(err)
			}
			publish(at(0, 8))
			check("other type replaced", at(0, 8))
		})
	}
}

// TestRedisLatestMixedBatch: in one batch of 2,500 series (more than one
// chunk of the scripts), the series holding a newer forecast keep it and
// all others take the new one.
func TestRedisLatestMixedBatch(t *testing.T) {
	for _, wrap := range []bool{false, true} {
		t.Run(fmt.Sprintf("sharded=%v", wrap), func(t *testing.T) {
			rdb, prefix := newRedis(t)
			var client redis.UniversalClient = rdb
			if wrap {
				client = notSingle{rdb}
			}
			r, err := NewRedisLatest(client, prefix)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			const n = 2500
			var newer, batch []Forecast
			for i := range n {
				name := fmt.Sprintf("m%d", i)
				if i%3 == 0 {
					newer = append(newer, makeForecast(name, t0.Add(time.Hour), 2, 1))
				}
				batch = append(batch, makeForecast(name, t0, 2, 2))
			}
			if err := r.Publish(ctx, newer); err != nil {
				t.Fatal(err)
			}
			if err := r.Publish(ctx, batch); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				got, err := r.Get(ctx, fmt.Sprintf("m%d", i))
				if err != nil {
					t.Fatal(err)
				}
				want := 2.0
				if i%3 == 0 {
					want = 1
				}
				if got.Horizon[0].Mean != want {
					t.Fatalf("m%d: mean %v, want %v", i, got.Horizon[0].Mean, want)
				}
			}
		})
	}
}
