package sink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
//
// The stored forecast never goes backwards in origin time: a write replaces
// the stored forecast only if its origin is at or after the stored one's
// (an equal origin is a re-issue or a new model version and replaces it),
// so a replay re-issuing older forecasts, or a stale writer around a
// rebalance, cannot hide a newer forecast. The origin of the stored
// forecast is kept beside it, as unix milliseconds, in
// "<prefix>:fc:{<series>}:o" (about 80 bytes per series). Each Publish is
// one MULTI/EXEC transaction (one round trip): a script (latestPre) reads
// the stored origins and moves the stored forecasts that are newer than the
// incoming ones aside (to "…:keep"), the forecasts are written as before
// (one MSET on a single node), and a second script (latestPost) moves the
// kept ones back. Forecast values never pass through Lua (large script
// arguments are slow in Redis) and, when nothing is older, the scripts do
// one MGET and one MSET of origins whatever the batch size.
type RedisLatest struct {
	rdb    redis.UniversalClient
	prefix string
	// TTL, if > 0, expires forecasts of series that stop reporting.
	TTL  time.Duration
	pool sync.Pool // *latestScratch
}

type latestScratch struct {
	data    []byte
	ends    []int
	last    map[string]int // series -> index of its newest forecast in the batch
	kept    []int          // indexes of the forecasts sent
	names   []byte         // arena of key names
	origins []byte         // originWidth digits per kept forecast
	refs    []argRef       // key names, then values (see argRef)
	pre     []any
	set     []any
	post    []any
}

// argRef passes a byte slice to go-redis without allocating: a pointer in
// an interface needs no boxing, and go-redis writes an
// encoding.BinaryMarshaler's bytes as they are. (A string or []byte in an
// interface costs an allocation per argument, three or four per series.)
type argRef struct{ b []byte }

func (a *argRef) MarshalBinary() ([]byte, error) { return a.b, nil }

// originWidth is the width of an origin (unix ms, zero padded) in the
// origins argument of latestPre.
const originWidth = 16

// latestPre: KEYS = n forecast keys, their n origin keys, their n keep keys;
// ARGV[1] = the n incoming origins, originWidth digits each; ARGV[2] = TTL
// in ms (0 = none). A stored origin newer than the incoming one moves the
// stored forecast to its keep key; otherwise the incoming origin is stored.
// Commands go in chunks so that unpack stays within Lua's stack.
const latestPre = `-- streamcast latest forecast: compare origins
local n = #KEYS / 3
local A, ttl = ARGV[1], tonumber(ARGV[2])
for s = 1, n, 1000 do
  local e = math.min(s + 999, n)
  local cur = redis.call('MGET', unpack(KEYS, n + s, n + e))
  local set = {}
  for i = s, e do
    local o = string.sub(A, ${W} * i - ${W} + 1, ${W} * i)
    local c = tonumber(cur[i - s + 1])
    if c and c > tonumber(o) then
      redis.pcall('RENAME', KEYS[i], KEYS[2 * n + i])
    elseif ttl > 0 then
      redis.call('SET', KEYS[n + i], o, 'PX', ttl)
    else
      set[#set + 1] = KEYS[n + i]
      set[#set + 1] = o
    end
  end
  if #set > 0 then redis.call('MSET', unpack(set)) end
end
return 0
`

// latestPost: KEYS = n forecast keys, their n keep keys; moves every kept
// forecast back (MGET returns nothing for the usual case of none).
const latestPost = `-- streamcast latest forecast: restore newer ones
local n = #KEYS / 2
for s = 1, n, 1000 do
  local e = math.min(s + 999, n)
  local cur = redis.call('MGET', unpack(KEYS, n + s, n + e))
  for i = s, e do
    if cur[i - s + 1] then redis.call('RENAME', KEYS[n + i], KEYS[i]) end
  end
end
return 0
`

var latestPreSrc = strings.ReplaceAll(latestPre, "${W}", strconv.Itoa(originWidth))

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

// OriginKey returns the Redis key holding the origin (unix ms) of the
// stored latest forecast of series.
func (r *RedisLatest) OriginKey(series string) string { return r.Key(series) + ":o" }

// Publish stores the newest forecast of each series in fs (Forecast.JSON
// when set, else its encoding) unless Redis holds one with a later origin
// (see RedisLatest), in one round trip: one transaction with the two
// scripts and a single MSET on a single-node client without TTL; otherwise
// (Cluster and Ring clients shard keys; SET takes the TTL) one transaction
// per series. Redis errors are wrapped with ingest.ErrTransient.
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
		clear(sc.refs) // drop references to the caller's bytes
		clear(sc.pre)
		clear(sc.set)
		clear(sc.post)
		r.pool.Put(sc)
	}()
	// Only the newest forecast of each series in the batch is sent (the
	// last of equal origins): the others could not replace it, and at full
	// speed a batch holds several events per series.
	for i := range fs {
		if j, ok := sc.last[fs[i].Series]; !ok || !fs[i].OriginTS.Before(fs[j].OriginTS) {
			sc.last[fs[i].Series] = i
		}
	}
	// Values are Forecast.JSON when set (pre-encoded, shared with the other
	// sinks), else encoded into one arena; go-redis copies the bytes into
	// its write buffer when the transaction executes, before we return.
	data, ends, kept := sc.data[:0], sc.ends[:0], sc.kept[:0]
	for i := range fs {
		if sc.last[fs[i].Series] == i {
			kept = append(kept, i)
			if fs[i].JSON == nil {
				data = fs[i].AppendJSON(data)
			}
		}
		ends = append(ends, len(data))
	}
	sc.data, sc.ends, sc.kept = data, ends, kept
	value := func(i int) []byte {
		if fs[i].JSON != nil {
			return fs[i].JSON
		}
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		return data[start:ends[i]]
	}
	// Key names of all kept series in one arena: the forecast keys, then
	// the origin keys, then the keep keys.
	n := len(kept)
	names := sc.names[:0]
	for _, suffix := range [3]string{"", ":o", ":keep"} {
		for _, i := range kept {
			names = append(names, r.prefix...)
			names = append(names, ":fc:{"...)
			names = append(names, fs[i].Series...)
			names = append(names, '}')
			names = append(names, suffix...)
		}
	}
	sc.names = names
	origins := sc.origins[:0]
	for _, i := range kept {
		origins = appendPadded(origins, fs[i].OriginTS.UnixMilli())
	}
	sc.origins = origins
	// refs[j] for j < 3n is key j; refs[3n+k] is the value of kept[k].
	if cap(sc.refs) < 4*n {
		sc.refs = make([]argRef, 4*n)
	}
	refs := sc.refs[:4*n]
	start := 0
	for j := range 3 * n {
		i := kept[j%n]
		end := start + len(r.prefix) + len(":fc:{") + len(fs[i].Series) + 1 + [3]int{0, 2, 5}[j/n]
		refs[j].b = names[start:end:end]
		start = end
	}
	for k, i := range kept {
		refs[3*n+k].b = value(i)
	}
	ttl := int64(0)
	if r.TTL > 0 {
		ttl = max(r.TTL.Milliseconds(), 1)
	}
	if c, ok := r.rdb.(*redis.Client); ok && ttl == 0 {
		// A single node: one transaction for the whole batch.
		pre := append(sc.pre[:0], "eval", latestPreSrc, 3*n)
		for j := range 3 * n {
			pre = append(pre, &refs[j])
		}
		pre = append(pre, origins, 0)
		set := append(sc.set[:0], "mset")
		for k := range n {
			set = append(set, &refs[k], &refs[3*n+k])
		}
		post := append(sc.post[:0], "eval", latestPost, 2*n)
		for k := range n {
			post = append(post, &refs[k])
		}
		for k := range n {
			post = append(post, &refs[2*n+k])
		}
		sc.pre, sc.set, sc.post = pre, set, post
		pipe := c.TxPipeline()
		pipe.Do(ctx, pre...)
		pipe.Do(ctx, set...)
		pipe.Do(ctx, post...)
		if _, err := pipe.Exec(ctx); err != nil {
			return r.publishErr(len(fs), err)
		}
		return nil
	}
	// Sharded clients (each series may live on another node) or a TTL: one
	// transaction per series, all pipelined. The keys of a series share
	// its hash tag, so each transaction stays within one slot.
	pipe := r.rdb.TxPipeline()
	for k, i := range kept {
		rk, ok, kk := string(refs[k].b), string(refs[n+k].b), string(refs[2*n+k].b)
		pipe.Eval(ctx, latestPreSrc, []string{rk, ok, kk}, origins[k*originWidth:(k+1)*originWidth], ttl)
		if ttl > 0 {
			pipe.Set(ctx, rk, value(i), time.Duration(ttl)*time.Millisecond)
		} else {
			pipe.Set(ctx, rk, value(i), 0)
		}
		pipe.Eval(ctx, latestPost, []string{rk, kk})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return r.publishErr(len(fs), err)
	}
	return nil
}

// appendPadded appends v (>= 0) in decimal, zero padded to originWidth.
func appendPadded(dst []byte, v int64) []byte {
	var b [originWidth]byte
	for i := originWidth - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:]...)
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
