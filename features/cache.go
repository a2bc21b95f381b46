package features

import "sync"

// seriesView is what the Store knows of one series: its header (exact
// stored bytes and decoded) and its last values, enough to decide an
// event's fate and to hand the model its input window without reading the
// history back from Redis. It is only a cache: every write is a
// compare-and-set on raw, so a stale view costs one extra round trip, never
// a wrong state.
type seriesView struct {
	raw  string // stored header bytes, "" = no state
	hdr  header
	tail []float64 // last min(count, cap(tail)) values, oldest first
	// xtail holds the Config.StepExog values of the tail's steps,
	// row-major len(tail)×E (E = len(StepExog); empty when E = 0).
	xtail []float64
}

// apply advances v by one applied event (value x, per-step exogenous
// values xrow, time ts, source offset, partition and topic ID).
func (v *seriesView) apply(x float64, xrow []float64, ts int64, off int64, part int32, topic uint32, fp string) {
	v.hdr.count++
	v.hdr.lastTS, v.hdr.lastOff, v.hdr.lastPart, v.hdr.lastTopic = ts, off, part, topic
	var b [hdrLen]byte
	v.raw = string(v.hdr.encode(b[:0], fp))
	e := len(xrow)
	if len(v.tail) < cap(v.tail) {
		v.tail = append(v.tail, x)
		v.xtail = append(v.xtail, xrow...)
	} else if len(v.tail) > 0 {
		copy(v.tail, v.tail[1:])
		v.tail[len(v.tail)-1] = x
		if e > 0 {
			copy(v.xtail, v.xtail[e:])
			copy(v.xtail[len(v.xtail)-e:], xrow)
		}
	}
}

// copyFrom makes v a deep copy of o with tail capacity tailCap >=
// len(o.tail), e per-step exogenous values per step.
func (v *seriesView) copyFrom(o *seriesView, tailCap, e int) {
	v.raw, v.hdr = o.raw, o.hdr
	if cap(v.tail) != tailCap {
		v.tail = make([]float64, 0, tailCap)
	}
	v.tail = append(v.tail[:0], o.tail...)
	if cap(v.xtail) != tailCap*e {
		v.xtail = make([]float64, 0, tailCap*e)
	}
	v.xtail = append(v.xtail[:0], o.xtail...)
}

const cacheShards = 64

// viewCache is a bounded, sharded map of series views. When a shard is
// full, inserting evicts an arbitrary entry of that shard (Go's map
// iteration order), which costs the evicted series one extra read when it
// is next seen.
type viewCache struct {
	perShard int
	e        int // per-step exogenous values per step
	shards   [cacheShards]struct {
		mu sync.Mutex
		m  map[string]*seriesView
	}
}

func newViewCache(capacity, e int) *viewCache {
	c := &viewCache{perShard: max(1, (capacity+cacheShards-1)/cacheShards), e: e}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*seriesView)
	}
	return c
}

// shard maps series to a shard by FNV-1a, so runs are reproducible.
func (c *viewCache) shard(series string) int {
	h := uint32(2166136261)
	for i := 0; i < len(series); i++ {
		h = (h ^ uint32(series[i])) * 16777619
	}
	return int(h % cacheShards)
}

// get copies the cached view of series into dst (tail capacity tailCap)
// and reports whether it was there with at least that many values (or all
// of them, if the series is shorter).
func (c *viewCache) get(series string, dst *seriesView, tailCap int) bool {
	sh := &c.shards[c.shard(series)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	v, ok := sh.m[series]
	if !ok {
		return false
	}
	if cap(v.tail) < tailCap && int64(len(v.tail)) < v.hdr.count {
		delete(sh.m, series) // too short: the caller re-reads it
		return false
	}
	if len(v.tail) > tailCap { // cached with a longer tail
		cut := len(v.tail) - tailCap
		dst.copyFrom(&seriesView{raw: v.raw, hdr: v.hdr, tail: v.tail[cut:], xtail: v.xtail[cut*c.e:]}, tailCap, c.e)
		return true
	}
	dst.copyFrom(v, tailCap, c.e)
	return true
}

// put stores a copy of v for series. Concurrent Applies on one series
// (which callers should avoid) may leave an older view here; the next
// compare-and-set then fails and re-reads the series.
func (c *viewCache) put(series string, v *seriesView) {
	sh := &c.shards[c.shard(series)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, ok := sh.m[series]
	if !ok {
		if len(sh.m) >= c.perShard {
			for k := range sh.m {
				delete(sh.m, k)
				break
			}
		}
		old = &seriesView{}
		sh.m[series] = old
	}
	old.copyFrom(v, cap(v.tail), c.e)
}

// drop forgets series.
func (c *viewCache) drop(series string) {
	sh := &c.shards[c.shard(series)]
	sh.mu.Lock()
	delete(sh.m, series)
	sh.mu.Unlock()
}

// clear forgets everything.
func (c *viewCache) clear() {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		clear(sh.m)
		sh.mu.Unlock()
	}
}

// len returns the number of cached series.
func (c *viewCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
