package sink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/ingest"
)

// ErrNotFound is returned by Get when a series has no stored forecast.
var ErrNotFound = errors.New("sink: no forecast for series")

// RedisLatest stores the latest forecast per series in Redis as the
// Forecast JSON under "<prefix>:fc:{<series>}" (the hash tag keeps all keys
// of a series in one Redis Cluster slot, next to the features state).
// Writes are last-write-wins: within a batch the pipeline preserves offset
// order, and a replay re-issues identical forecasts, so the stored value
// converges to the newest one.
type RedisLatest struct {
	rdb    redis.UniversalClient
	prefix string
	// TTL, if > 0, expires forecasts of series that stop reporting.
	TTL  time.Duration
	pool sync.Pool // *latestScratch
}

type latestScratch struct {
	data []byte
	ends []int
	last map[string]int // series -> index of its last forecast in the batch
	args []any
}

// NewRedisLatest returns a store using keyPrefix (default "sc").
func NewRedisLatest(rdb redis.UniversalClient, keyPrefix string) (*RedisLatest, error) {
	if rdb == nil {
		return nil, errors.New("sink: NewRedisLatest needs a redis client")
	}
	if keyPrefix == "" {
		keyPrefix = "sc"
	}
	if strings.ContainsAny(keyPrefix, "{}") {
		return nil, fmt.Errorf("sink: key prefix %q must not contain hash-tag braces", keyPrefix)
	}
	return &RedisLatest{rdb: rdb, prefix: keyPrefix}, nil
}

// Key returns the Redis key holding the latest forecast of series.
func (r *RedisLatest) Key(series string) string {
	return r.prefix + ":fc:{" + series + "}"
}

// Publish stores the last forecast of each series in fs (Forecast.JSON
// when set, else its encoding) with one round trip: a single MSET on a
// single-node client without TTL, else a pipeline of SETs. Redis errors are wrapped
// with ingest.ErrTransient.
func (r *RedisLatest) Publish(ctx context.Context, fs []Forecast) error {
	if len(fs) == 0 {
		return nil
	}
	for i := range fs {
		if err := fs[i].Validate(); err != nil {
			return err
		}
	}
	sc, _ := r.pool.Get().(*latestScratch)
	if sc == nil {
		sc = &latestScratch{last: make(map[string]int)}
	}
	defer func() {
		clear(sc.last)
		clear(sc.args) // drop references to the caller's bytes
		r.pool.Put(sc)
	}()
	// Only the last forecast of each series in the batch is written: the
	// earlier ones would be overwritten within the same MSET (atomic, so
	// no reader could see them) or the same pipeline, and at full speed a
	// batch holds several events per series.
	for i := range fs {
		sc.last[fs[i].Series] = i
	}
	keep := func(i int) bool { return sc.last[fs[i].Series] == i }
	// Values are Forecast.JSON when set (pre-encoded, shared with the other
	// sinks), else encoded into one arena; go-redis copies the bytes into
	// its write buffer when the pipeline executes, before we return.
	data := sc.data[:0]
	ends := sc.ends[:0]
	for i := range fs {
		if fs[i].JSON == nil && keep(i) {
			data = fs[i].AppendJSON(data)
		}
		ends = append(ends, len(data))
	}
	sc.data, sc.ends = data, ends
	value := func(i, start int) []byte {
		if fs[i].JSON != nil {
			return fs[i].JSON
		}
		return data[start:ends[i]]
	}
	if c, ok := r.rdb.(*redis.Client); ok && r.TTL <= 0 {
		// A single node without expiry: one MSET (atomic, applied left to
		// right) costs redis-server and the client far less than N SETs.
		// (Cluster and Ring clients shard keys, so they keep the pipeline.)
		args := append(sc.args[:0], "mset")
		start := 0
		for i := range fs {
			if keep(i) {
				args = append(args, r.Key(fs[i].Series), value(i, start))
			}
			start = ends[i]
		}
		sc.args = args
		if err := c.Do(ctx, args...).Err(); err != nil {
			return r.publishErr(len(fs), err)
		}
		return nil
	}
	pipe := r.rdb.Pipeline()
	start := 0
	for i := range fs {
		if keep(i) {
			pipe.Set(ctx, r.Key(fs[i].Series), value(i, start), r.TTL)
		}
		start = ends[i]
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return r.publishErr(len(fs), err)
	}
	return nil
}

// publishErr wraps a failed write of n forecasts: transient unless the
// context ended.
func (r *RedisLatest) publishErr(n int, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sink: redis publish: %w", err)
	}
	return ingest.Transient(fmt.Errorf("sink: redis publish %d forecasts: %w", n, err))
}

// GetRaw returns the stored JSON of series' latest forecast.
func (r *RedisLatest) GetRaw(ctx context.Context, series string) ([]byte, error) {
	b, err := r.rdb.Get(ctx, r.Key(series)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("%w %q", ErrNotFound, series)
	}
	if err != nil {
		return nil, ingest.Transient(fmt.Errorf("sink: redis get %q: %w", series, err))
	}
	return b, nil
}

// Get returns series' latest forecast, or an error wrapping ErrNotFound.
func (r *RedisLatest) Get(ctx context.Context, series string) (*Forecast, error) {
	b, err := r.GetRaw(ctx, series)
	if err != nil {
		return nil, err
	}
	var f Forecast
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("sink: stored forecast of %q is corrupt: %w", series, err)
	}
	return &f, nil
}
