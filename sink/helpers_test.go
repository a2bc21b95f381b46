package sink

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamcast/streamcast/internal/testenv"
)

// newKafka starts an in-process kfake cluster with 6-partition topics.
func newKafka(tb testing.TB, topics ...string) []string {
	tb.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, topics...))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c.ListenAddrs()
}

var prefixSeq atomic.Int64

// newRedis connects to the shared redis-server on 127.0.0.1:6379 and
// returns a client plus a key prefix unique to this test; keys under the
// prefix are deleted at cleanup. Skips when Redis is not reachable (fails
// under STREAMCAST_REQUIRE_REDIS=1, see internal/testenv).
func newRedis(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	addr := testenv.RedisAddr()
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 8})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		testenv.NoRedis(tb, "redis-server not reachable on %s: %v", addr, err)
	}
	prefix := fmt.Sprintf("sinktest-%d-%d-%s", time.Now().UnixNano(), prefixSeq.Add(1),
		strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name()))
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		_ = rdb.Close()
	})
	return rdb, prefix
}

var t0 = time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)

// makeForecast builds a deterministic forecast of h hourly steps.
func makeForecast(series string, origin time.Time, h int, base float64) Forecast {
	f := Forecast{
		Series: series, OriginTS: origin, IssuedAt: origin.Add(1500 * time.Microsecond),
		Model: "snaive", ModelVersion: "1-m24", Horizon: make([]Point, h),
	}
	for j := range f.Horizon {
		f.Horizon[j] = Point{TS: origin.Add(time.Duration(j+1) * time.Hour), Mean: base + float64(j)*0.25}
	}
	f.ID = ForecastID(f.Series, f.OriginTS, f.Model, f.ModelVersion)
	return f
}
