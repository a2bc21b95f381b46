package features

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store keeps series state in Redis. It is safe for concurrent use; batches
// touching the same series should still be applied from one goroutine at a
// time (as a Kafka partition consumer does) to keep their order.
//
// The Store caches each series' header and input window in process (see
// StoreOptions.CacheSeries), so the steady-state cost of an event is one
// compare-and-set EVALSHA that sends a 16-byte record and receives an
// integer; the cache is filled by one extra pipelined read the first time a
// series is seen (or after it was evicted or changed elsewhere).
type Store struct {
	rdb        redis.UniversalClient
	cfg        Config
	fp         string
	script     string
	sha        string
	peek       string
	peekSHA    string
	cache      *viewCache
	scratch    sync.Pool // *applyScratch
	cacheMiss  atomic.Int64
	casRetries atomic.Int64
}

// StoreOptions tunes a Store.
type StoreOptions struct {
	// CacheSeries bounds the number of series whose header and input
	// window are cached in process, rounded up to a multiple of 64
	// (default 100,000; each costs about 150 bytes plus 8 bytes per window
	// value). A full cache evicts an arbitrary series of the same shard.
	CacheSeries int
}

// NewStore returns a Store for cfg on rdb with default options. Call Load
// before Apply.
func NewStore(rdb redis.UniversalClient, cfg Config) (*Store, error) {
	return NewStoreWithOptions(rdb, cfg, StoreOptions{})
}

// NewStoreWithOptions is NewStore with options.
func NewStoreWithOptions(rdb redis.UniversalClient, cfg Config, opt StoreOptions) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("features: nil redis client")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opt.CacheSeries < 0 {
		return nil, fmt.Errorf("features: CacheSeries %d must be >= 0", opt.CacheSeries)
	}
	if opt.CacheSeries == 0 {
		opt.CacheSeries = 100_000
	}
	s := &Store{rdb: rdb, cfg: cfg, fp: cfg.fingerprint(), cache: newViewCache(opt.CacheSeries, len(cfg.StepExog))}
	s.script, s.sha = applyScript(cfg), scriptSHA(applyScript(cfg))
	s.peek, s.peekSHA = peekScript(cfg), scriptSHA(peekScript(cfg))
	return s, nil
}

func scriptSHA(src string) string {
	sum := sha1.Sum([]byte(src))
	return hex.EncodeToString(sum[:])
}

// Config returns the store's configuration.
func (s *Store) Config() Config { return s.cfg }

// CacheStats returns the number of cache misses (series read from Redis
// before their events could be applied) and of compare-and-set conflicts
// (events re-sent because the stored header differed from the cached one).
func (s *Store) CacheStats() (misses, conflicts int64) {
	return s.cacheMiss.Load(), s.casRetries.Load()
}

// ForgetCache drops every cached series view (for example when partitions
// were reassigned). It is never needed for correctness.
func (s *Store) ForgetCache() { s.cache.clear() }

// Load registers the scripts with Redis (SCRIPT LOAD; on a cluster
// client, on every master). Apply calls it again by itself after NOSCRIPT.
func (s *Store) Load(ctx context.Context) error {
	for _, sc := range [...]struct{ src, sha string }{{s.script, s.sha}, {s.peek, s.peekSHA}} {
		sha, err := s.rdb.ScriptLoad(ctx, sc.src).Result()
		if err != nil {
			return wrapRedisErr("script load", err)
		}
		if sha != sc.sha {
			return fmt.Errorf("features: script load: server returned sha %s, expected %s", sha, sc.sha)
		}
	}
	return nil
}

// Keys returns the Redis keys holding a series' state: the state blob
// (header and history ring) and the hash of last exogenous values. Both
// carry the hash tag {series}.
func (s *Store) Keys(series string) [2]string {
	base := s.cfg.KeyPrefix + ":{" + series + "}:"
	return [2]string{base + "s", base + "x"}
}

// work is one series' view during an Apply call.
type work struct {
	view seriesView
	keys [2]string
	cold bool  // the view must be (re)read from Redis first
	bad  error // the stored state is unusable (see BadState)
}

type applyScratch struct {
	works   map[string]*work
	free    []*work
	pending []int
	retry   []int
	args    [][]any
	cmds    []*redis.Cmd
	recs    []byte
	xrow    []float64
	tailArg string
}

func (sc *applyScratch) work(series string) (*work, bool) {
	if w, ok := sc.works[series]; ok {
		return w, true
	}
	var w *work
	if n := len(sc.free); n > 0 {
		w, sc.free = sc.free[n-1], sc.free[:n-1]
	} else {
		w = &work{}
	}
	sc.works[series] = w
	return w, false
}

func (sc *applyScratch) reset() {
	for k, w := range sc.works {
		w.view.raw, w.keys, w.bad = "", [2]string{}, nil
		sc.free = append(sc.free, w)
		delete(sc.works, k)
	}
}

// maxApplyRounds bounds the compare-and-set rounds of one Apply call.
const maxApplyRounds = 5

// Apply applies obs in order, each atomically by one EVALSHA, all in one
// pipelined round trip, and stores the outcome of obs[i] in dst[i] (tail
// values: at most tail, see Result). len(dst) must be at least len(obs)
// and tail must be in [0, History]. Invalid observations (see
// Observation.Validate) are not sent and get Status Invalid.
//
// Each EVALSHA is a compare-and-set on the series' stored header (count,
// last event time, last source offset and partition): the Store decides
// from its cached view whether the event is applied, a duplicate or late,
// and the script writes (or, for a skip, confirms) only if the stored header
// still equals that view. Series not cached are read first, in one more
// pipelined round trip; a conflict (the state changed elsewhere) re-reads
// the series and re-sends its remaining events, up to maxApplyRounds.
//
// A series whose stored state is unusable (corrupt, a key of another type,
// or written under another History) gets Status BadState with the reason in
// Result.Err, and nothing of it is written; the rest of the batch goes on.
//
// If Redis lost the scripts (NOSCRIPT), Apply reloads them and re-sends the
// affected events. On error some events of the batch may have been
// applied; re-applying the whole batch is safe for events with source
// offsets (they come back as Duplicate). Errors wrap ErrTransient when a
// retry may succeed.
func (s *Store) Apply(ctx context.Context, obs []Observation, tail int, dst []Result) error {
	if tail < 0 || tail > s.cfg.History {
		return fmt.Errorf("features: apply: tail %d out of range [0, %d]", tail, s.cfg.History)
	}
	if len(dst) < len(obs) {
		return fmt.Errorf("features: apply: len(dst) %d < len(obs) %d", len(dst), len(obs))
	}
	if len(obs) == 0 {
		return nil
	}
	sc, _ := s.scratch.Get().(*applyScratch)
	if sc == nil {
		sc = &applyScratch{works: make(map[string]*work)}
	}
	defer func() { sc.reset(); s.scratch.Put(sc) }()
	sc.tailArg = strconv.Itoa(tail)

	sc.pending = sc.pending[:0]
	for i := range obs {
		ob := &obs[i]
		if ob.Validate() != nil {
			dst[i] = Result{Status: Invalid, Tail: dst[i].Tail[:0], Exog: dst[i].Exog[:0]}
			continue
		}
		sc.pending = append(sc.pending, i)
		w, seen := sc.work(ob.Series)
		if seen {
			continue
		}
		w.keys = s.Keys(ob.Series)
		w.cold = !s.cache.get(ob.Series, &w.view, tail)
	}
	for round := 0; len(sc.pending) > 0; round++ {
		if round == maxApplyRounds {
			return fmt.Errorf("features: apply: %w: state of %d events kept changing during %d compare-and-set rounds",
				ErrTransient, len(sc.pending), maxApplyRounds)
		}
		if err := s.fill(ctx, sc, tail, 0); err != nil {
			return err
		}
		s.dropBad(obs, sc, dst)
		if len(sc.pending) == 0 {
			break
		}
		noscript, err := s.casRound(ctx, obs, sc, dst)
		if err != nil {
			return err
		}
		if noscript {
			if err := s.Load(ctx); err != nil {
				return err
			}
		}
	}
	for series, w := range sc.works {
		if w.cold || w.bad != nil {
			s.cache.drop(series)
		} else {
			s.cache.put(series, &w.view)
		}
	}
	return nil
}

// dropBad settles the pending events of series found unusable by fill:
// they get BadState and are not sent.
func (s *Store) dropBad(obs []Observation, sc *applyScratch, dst []Result) {
	keep := sc.pending[:0]
	for _, i := range sc.pending {
		w := sc.works[obs[i].Series]
		if w.bad == nil {
			keep = append(keep, i)
			continue
		}
		dst[i] = Result{Status: BadState, Err: w.bad, Tail: dst[i].Tail[:0], Exog: dst[i].Exog[:0]}
	}
	sc.pending = keep
}

// fill reads the views of the cold series (one
// pipelined round trip).
func (s *Store) fill(ctx context.Context, sc *applyScratch, tail, depth int) error {
	pipe := s.rdb.Pipeline()
	cmds := sc.cmds[:0]
	var cold []*work
	for _, w := range sc.works { // every cold series has pending events
		if !w.cold || w.bad != nil {
			continue
		}
		cold = append(cold, w)
		cmd := redis.NewCmd(ctx, "evalsha", s.peekSHA, 1, w.keys[0], sc.tailArg)
		cmd.SetFirstKeyPos(3)
		_ = pipe.Process(ctx, cmd)
		cmds = append(cmds, cmd)
	}
	sc.cmds = cmds
	if len(cold) == 0 {
		return nil
	}
	s.cacheMiss.Add(int64(len(cold)))
	_, _ = pipe.Exec(ctx) // errors are inspected per command
	reload := false
	for k, w := range cold {
		err := cmds[k].Err()
		if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			reload = true
			continue
		}
		if err != nil && isWrongType(err) {
			w.bad = fmt.Errorf("features: read state %s: %w", w.keys[0], err)
			continue
		}
		if err != nil {
			return wrapRedisErr("read state", err)
		}
		if err := s.decodePeek(cmds[k], w, tail); err != nil {
			if errors.Is(err, errBadState) {
				w.bad = err
				continue
			}
			return err
		}
		w.cold = false
	}
	if reload {
		if depth > 0 {
			return fmt.Errorf("features: read state: %w: scripts were flushed again right after loading", ErrTransient)
		}
		if err := s.Load(ctx); err != nil {
			return err
		}
		return s.fill(ctx, sc, tail, depth+1)
	}
	return nil
}

// errBadState marks decodePeek's errors about the stored bytes (as
// opposed to the reply's shape).
var errBadState = errors.New("unusable state")

func (s *Store) decodePeek(cmd *redis.Cmd, w *work, tail int) error {
	v, ok := cmd.Val().([]any)
	if !ok || len(v) != 3 {
		return fmt.Errorf("features: read state: unexpected reply %T %v", cmd.Val(), cmd.Val())
	}
	h, ok1 := v[0].(string)
	tb, ok2 := v[1].(string)
	size, ok3 := v[2].(int64)
	R := s.cfg.recLen()
	if !ok1 || !ok2 || !ok3 || len(tb)%R != 0 {
		return fmt.Errorf("features: read state: unexpected reply %v", v)
	}
	E := len(s.cfg.StepExog)
	if cap(w.view.tail) != tail {
		w.view.tail = make([]float64, 0, tail)
	}
	if cap(w.view.xtail) != tail*E {
		w.view.xtail = make([]float64, 0, tail*E)
	}
	w.view.tail, w.view.xtail = w.view.tail[:0], w.view.xtail[:0]
	w.view.raw = h
	if h == "" {
		w.view.hdr = header{lastOff: -1}
		return nil
	}
	hdr, err := decodeHeader(h, s.fp)
	if err != nil {
		return fmt.Errorf("features: read state %s: %w: %w", w.keys[0], errBadState, err)
	}
	if want := int64(hdrLen + R*s.cfg.History); size != want {
		return fmt.Errorf("features: read state %s: %w: corrupt state: %d bytes, want %d", w.keys[0], errBadState, size, want)
	}
	w.view.hdr = hdr
	for j := 0; j < len(tb); j += R {
		w.view.tail = append(w.view.tail, math.Float64frombits(binary.LittleEndian.Uint64([]byte(tb[j:j+8]))))
		for x := j + 16; x < j+R; x += 8 {
			w.view.xtail = append(w.view.xtail, math.Float64frombits(binary.LittleEndian.Uint64([]byte(tb[x:x+8]))))
		}
	}
	return nil
}

// casRound sends one compare-and-set per pending event, in order, planned
// against the works' views, and keeps in sc.pending the events to send
// again (conflicts, NOSCRIPT). It reports whether the scripts must be
// reloaded.
func (s *Store) casRound(ctx context.Context, obs []Observation, sc *applyScratch, dst []Result) (bool, error) {
	n := len(sc.pending)
	R, E := s.cfg.recLen(), len(s.cfg.StepExog)
	sc.recs = grow(sc.recs, R*n)
	sc.xrow = grow(sc.xrow, E)
	sc.args = grow(sc.args, n)
	sc.cmds = grow(sc.cmds, n)
	pipe := s.rdb.Pipeline()
	topicName, topic := "", uint32(0)
	for k, i := range sc.pending {
		ob := &obs[i]
		w := sc.works[ob.Series]
		v := &w.view
		expect := v.raw
		ts := ob.TS.UnixMilli()
		if ob.Source.Topic != topicName { // a batch has one topic: hash it once
			topicName, topic = ob.Source.Topic, TopicID(ob.Source.Topic)
		}
		st, regressed := decide(&v.hdr, topic, int32(ob.Source.Partition), ob.Source.Offset, ts)
		a := sc.args[k][:0]
		if st == Applied && len(ob.Exog) > 0 {
			a = append(a, "evalsha", s.sha, 2, w.keys[0], w.keys[1], expect)
		} else { // the exogenous hash is not touched: one key fewer to pass
			a = append(a, "evalsha", s.sha, 1, w.keys[0], expect)
		}
		if st == Applied {
			x := normValue(ob.Value)
			rec := sc.recs[R*k : R*k+R : R*k+R]
			binary.LittleEndian.PutUint64(rec, math.Float64bits(x))
			binary.LittleEndian.PutUint64(rec[8:], uint64(ts))
			s.cfg.stepExogRow(sc.xrow, ob.Exog)
			for e, xv := range sc.xrow {
				binary.LittleEndian.PutUint64(rec[16+8*e:], math.Float64bits(xv))
			}
			slot := hdrLen + int64(R)*(v.hdr.count%int64(s.cfg.History))
			v.apply(x, sc.xrow, ts, ob.Source.Offset, int32(ob.Source.Partition), topic, s.fp)
			a = append(a, v.raw, slot, rec)
			for name, val := range ob.Exog {
				a = append(a, name, strconv.FormatFloat(normValue(val), 'g', -1, 64))
			}
		} else {
			a = append(a, "")
		}
		sc.args[k] = a
		r := &dst[i]
		r.Status, r.Count, r.OffsetRegressed, r.Err = st, v.hdr.count, regressed, nil
		r.LastTS = time.Time{}
		if v.hdr.count > 0 {
			r.LastTS = time.UnixMilli(v.hdr.lastTS).UTC()
		}
		r.Tail = append(r.Tail[:0], v.tail...)
		r.Exog = append(r.Exog[:0], v.xtail...)
		cmd := redis.NewCmd(ctx, a...)
		cmd.SetFirstKeyPos(3) // route by KEYS[1] on cluster clients
		_ = pipe.Process(ctx, cmd)
		sc.cmds[k] = cmd
	}
	_, execErr := pipe.Exec(ctx)
	sc.retry = sc.retry[:0]
	noscript := false
	for k, i := range sc.pending {
		cmd := sc.cmds[k]
		err := cmd.Err()
		switch {
		case err == nil:
			if _, ok := cmd.Val().(int64); ok {
				continue // done: dst[i] stands
			}
			if _, ok := cmd.Val().(string); !ok {
				return false, fmt.Errorf("features: apply: unexpected script reply %T %v", cmd.Val(), cmd.Val())
			}
			s.casRetries.Add(1)
		case redis.HasErrorPrefix(err, "NOSCRIPT"):
			noscript = true
		case isWrongType(err):
			// A key of the series has another type; the script failed
			// before writing. Later events of the series conflict (they
			// were planned after this one) and are re-read and re-sent.
			w := sc.works[obs[i].Series]
			w.cold = true
			r := &dst[i]
			r.Status, r.Err, r.Tail, r.Exog, r.OffsetRegressed = BadState, fmt.Errorf("features: apply %s: %w", w.keys[0], err), r.Tail[:0], r.Exog[:0], false
			continue
		default:
			return false, wrapRedisErr("apply", err)
		}
		sc.works[obs[i].Series].cold = true
		sc.retry = append(sc.retry, i)
	}
	if execErr != nil && len(sc.retry) == 0 {
		return false, wrapRedisErr("apply", execErr)
	}
	sc.pending, sc.retry = sc.retry, sc.pending
	return noscript, nil
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// State reads the full state of series (one round trip). It returns an
// error wrapping ErrNotFound if the series has no state.
func (s *Store) State(ctx context.Context, series string) (*State, error) {
	sts, err := s.States(ctx, []string{series})
	if err != nil {
		return nil, err
	}
	if sts[0] == nil {
		return nil, fmt.Errorf("features: state %q: %w", series, ErrNotFound)
	}
	return sts[0], nil
}

// States reads the states of several series in one pipelined round trip;
// entries for series without state are nil. A series whose state is
// unusable fails the call (see StatesPartial).
func (s *Store) States(ctx context.Context, series []string) ([]*State, error) {
	sts, errs, err := s.StatesPartial(ctx, series)
	if err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return sts, nil
}

// StatesPartial is States with the problems of single series apart: errs[i]
// says why the stored state of series[i] is unusable (corrupt, a key of
// another type, another History: wrapping ErrConfigMismatch), with
// states[i] nil; err is a failure of the whole call (Redis unreachable,
// wrapping ErrTransient when a retry may help).
func (s *Store) StatesPartial(ctx context.Context, series []string) (states []*State, errs []error, err error) {
	pipe := s.rdb.Pipeline()
	blobs := make([]*redis.StringCmd, len(series))
	exogs := make([]*redis.MapStringStringCmd, len(series))
	for i, name := range series {
		keys := s.Keys(name)
		blobs[i] = pipe.Get(ctx, keys[0])
		exogs[i] = pipe.HGetAll(ctx, keys[1])
	}
	_, _ = pipe.Exec(ctx) // errors are inspected per command below
	out := make([]*State, len(series))
	errs = make([]error, len(series))
	for i, name := range series {
		for _, err := range [...]error{blobs[i].Err(), exogs[i].Err()} {
			switch {
			case err == nil || errors.Is(err, redis.Nil):
			case isWrongType(err):
				errs[i] = fmt.Errorf("features: state %q: %w", name, err)
			default:
				return nil, nil, wrapRedisErr("state", err)
			}
		}
		blob := blobs[i].Val()
		if blob == "" || errs[i] != nil {
			continue
		}
		st, err := s.decodeState(name, blob, exogs[i].Val())
		if err != nil {
			errs[i] = fmt.Errorf("features: state %q: %w", name, err)
			continue
		}
		out[i] = st
	}
	return out, errs, nil
}

func (s *Store) decodeState(series, blob string, exog map[string]string) (*State, error) {
	if len(blob) < hdrLen {
		return nil, fmt.Errorf("corrupt state: %d bytes", len(blob))
	}
	hdr, err := decodeHeader(blob[:hdrLen], s.fp)
	if err != nil {
		return nil, err
	}
	h, R, E := int64(s.cfg.History), int64(s.cfg.recLen()), len(s.cfg.StepExog)
	if int64(len(blob)) != hdrLen+R*h {
		return nil, fmt.Errorf("corrupt state: count %d, blob of %d bytes, want %d", hdr.count, len(blob), hdrLen+R*h)
	}
	st := NewState(series)
	st.Count = hdr.count
	st.LastTS = time.UnixMilli(hdr.lastTS).UTC()
	st.LastOffset = hdr.lastOff
	st.LastPartition = int(hdr.lastPart)
	st.LastTopic = hdr.lastTopic
	for k, v := range exog {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("corrupt exogenous %q = %q: %w", k, v, err)
		}
		st.Exog[k] = x
	}
	c := min(st.Count, h)
	st.Values = make([]float64, c)
	st.Times = make([]int64, c)
	if E > 0 {
		st.ExogSteps = make([]float64, int(c)*E)
	}
	ring := blob[hdrLen:]
	for i := range c {
		slot := (st.Count - c + i) % h
		rec := ring[R*slot : R*slot+R]
		st.Values[i] = math.Float64frombits(binary.LittleEndian.Uint64([]byte(rec[:8])))
		st.Times[i] = int64(binary.LittleEndian.Uint64([]byte(rec[8:16])))
		for e := range E {
			st.ExogSteps[int(i)*E+e] = math.Float64frombits(binary.LittleEndian.Uint64([]byte(rec[16+8*e : 24+8*e])))
		}
	}
	st.EWMA = s.cfg.EWMAOver(st.Values, nil)
	return st, nil
}

// Delete removes the state of the given series (and forgets their cached
// views).
func (s *Store) Delete(ctx context.Context, series ...string) error {
	pipe := s.rdb.Pipeline()
	for _, name := range series {
		keys := s.Keys(name)
		pipe.Del(ctx, keys[0], keys[1])
		s.cache.drop(name)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return wrapRedisErr("delete", err)
	}
	return nil
}
