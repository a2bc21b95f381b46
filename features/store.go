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
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store keeps series state in Redis. It is safe for concurrent use; batches
// touching the same series should still be applied from one goroutine at a
// time (as a Kafka partition consumer does) to keep their order.
type Store struct {
	rdb    redis.UniversalClient
	cfg    Config
	script string
	sha    string
}

// NewStore returns a Store for cfg on rdb. Call Load before Apply.
func NewStore(rdb redis.UniversalClient, cfg Config) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("features: nil redis client")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	src := applyScript(cfg)
	sum := sha1.Sum([]byte(src))
	return &Store{rdb: rdb, cfg: cfg, script: src, sha: hex.EncodeToString(sum[:])}, nil
}

// Config returns the store's configuration.
func (s *Store) Config() Config { return s.cfg }

// Load registers the update script with Redis (SCRIPT LOAD; on a cluster
// client, on every master). Apply calls it again by itself after NOSCRIPT.
func (s *Store) Load(ctx context.Context) error {
	sha, err := s.rdb.ScriptLoad(ctx, s.script).Result()
	if err != nil {
		return wrapRedisErr("script load", err)
	}
	if sha != s.sha {
		return fmt.Errorf("features: script load: server returned sha %s, expected %s", sha, s.sha)
	}
	return nil
}

// Keys returns the Redis keys holding series' state (history blob, meta
// hash). Both carry the hash tag {series}.
func (s *Store) Keys(series string) [2]string {
	base := s.cfg.KeyPrefix + ":{" + series + "}:"
	return [2]string{base + "h", base + "m"}
}

// Apply applies obs in order, each atomically by one EVALSHA, all in one
// pipelined round trip, and stores the outcome of obs[i] in dst[i] (tail
// values: at most tail, see Result). len(dst) must be at least len(obs)
// and tail must be in [0, History]. Invalid observations (see
// Observation.Validate) are not sent and get Status Invalid.
//
// If Redis lost the script (NOSCRIPT), Apply reloads it and re-sends the
// affected events once, in order. (After a SCRIPT FLUSH every later EVALSHA
// of the pipeline fails, so the re-sent events are a suffix of the batch and
// keep their order relative to the applied ones.) On error some events of the batch may have
// been applied; re-applying the whole batch is safe for events with source
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
	arena := make([]byte, 16*len(obs))
	args := make([][]any, len(obs))
	tailArg := strconv.Itoa(tail)
	send := make([]int, 0, len(obs))
	for i := range obs {
		ob := &obs[i]
		if ob.Validate() != nil {
			dst[i] = Result{Status: Invalid, Tail: dst[i].Tail[:0]}
			continue
		}
		ms := ob.TS.UnixMilli()
		x := normValue(ob.Value)
		rec := arena[16*i : 16*i+16 : 16*i+16]
		binary.LittleEndian.PutUint64(rec, math.Float64bits(x))
		binary.LittleEndian.PutUint64(rec[8:], uint64(ms))
		keys := s.Keys(ob.Series)
		a := make([]any, 0, 10+2*len(ob.Exog))
		a = append(a, "evalsha", s.sha, 2, keys[0], keys[1],
			strconv.FormatInt(ms, 10), strconv.Itoa(ob.Source.Partition), strconv.FormatInt(ob.Source.Offset, 10),
			rec, tailArg)
		for k, v := range ob.Exog {
			a = append(a, "x:"+k, strconv.FormatFloat(normValue(v), 'g', -1, 64))
		}
		args[i] = a
		send = append(send, i)
	}
	cmds := make([]*redis.Cmd, len(obs))
	retry, err := s.exec(ctx, send, args, cmds)
	if err != nil {
		return err
	}
	if len(retry) > 0 {
		if err := s.Load(ctx); err != nil {
			return err
		}
		again, err := s.exec(ctx, retry, args, cmds)
		if err != nil {
			return err
		}
		if len(again) > 0 { // flushed again right after loading: let the caller retry
			return fmt.Errorf("features: apply: %w: %w", ErrTransient, cmds[again[0]].Err())
		}
	}
	for _, i := range send {
		if err := decodeReply(cmds[i], &dst[i]); err != nil {
			return fmt.Errorf("features: apply: series %q: %w", obs[i].Series, err)
		}
	}
	return nil
}

// exec sends EVALSHA for the events idx in one pipeline and returns those
// that failed with NOSCRIPT, or the first other error.
func (s *Store) exec(ctx context.Context, idx []int, args [][]any, cmds []*redis.Cmd) ([]int, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	for _, i := range idx {
		cmd := redis.NewCmd(ctx, args[i]...)
		cmd.SetFirstKeyPos(3) // route by KEYS[1] on cluster clients
		_ = pipe.Process(ctx, cmd)
		cmds[i] = cmd
	}
	_, execErr := pipe.Exec(ctx)
	var noscript []int
	for _, i := range idx {
		err := cmds[i].Err()
		if err == nil {
			continue
		}
		if redis.HasErrorPrefix(err, "NOSCRIPT") {
			noscript = append(noscript, i)
			continue
		}
		return nil, wrapRedisErr("apply", err)
	}
	if execErr != nil && len(noscript) == 0 {
		return nil, wrapRedisErr("apply", execErr)
	}
	return noscript, nil
}

func decodeReply(cmd *redis.Cmd, r *Result) error {
	v, ok := cmd.Val().([]any)
	if !ok || len(v) != 4 {
		return fmt.Errorf("unexpected script reply %T %v", cmd.Val(), cmd.Val())
	}
	st, ok1 := v[0].(int64)
	n, ok2 := v[1].(int64)
	lts, ok3 := v[2].(int64)
	tb, ok4 := v[3].(string)
	if !ok1 || !ok2 || !ok3 || !ok4 || st < 0 || st > int64(Late) || len(tb)%16 != 0 {
		return fmt.Errorf("unexpected script reply %v", v)
	}
	r.Status = Status(st)
	r.Count = n
	r.LastTS = time.UnixMilli(lts).UTC()
	r.Tail = r.Tail[:0]
	for j := 0; j < len(tb); j += 16 {
		r.Tail = append(r.Tail, math.Float64frombits(binary.LittleEndian.Uint64([]byte(tb[j:j+8]))))
	}
	return nil
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
// entries for series without state are nil.
func (s *Store) States(ctx context.Context, series []string) ([]*State, error) {
	pipe := s.rdb.Pipeline()
	metas := make([]*redis.MapStringStringCmd, len(series))
	blobs := make([]*redis.StringCmd, len(series))
	for i, name := range series {
		keys := s.Keys(name)
		metas[i] = pipe.HGetAll(ctx, keys[1])
		blobs[i] = pipe.Get(ctx, keys[0])
	}
	_, _ = pipe.Exec(ctx) // errors are inspected per command below
	for i := range series {
		if err := metas[i].Err(); err != nil {
			return nil, wrapRedisErr("state", err)
		}
		if err := blobs[i].Err(); err != nil && !errors.Is(err, redis.Nil) {
			return nil, wrapRedisErr("state", err)
		}
	}
	out := make([]*State, len(series))
	for i, name := range series {
		meta := metas[i].Val()
		if len(meta) == 0 {
			continue
		}
		st, err := s.decodeState(name, meta, blobs[i].Val())
		if err != nil {
			return nil, fmt.Errorf("features: state %q: %w", name, err)
		}
		out[i] = st
	}
	return out, nil
}

func (s *Store) decodeState(series string, meta map[string]string, blob string) (*State, error) {
	fields := strings.Fields(meta["s"])
	if len(fields) == 0 || fields[0] != s.cfg.fingerprint() {
		return nil, fmt.Errorf("%w: stored record %q, store uses config %q", ErrConfigMismatch, meta["s"], s.cfg.fingerprint())
	}
	if len(fields) != 5 {
		return nil, fmt.Errorf("corrupt state record %q", meta["s"])
	}
	st := NewState(series)
	var err error
	parseInt := func(i int) int64 {
		v, e := strconv.ParseInt(fields[i], 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("state record %q: %w", meta["s"], e)
		}
		return v
	}
	parseFloat := func(str string) float64 {
		v, e := strconv.ParseFloat(str, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("state field %q: %w", str, e)
		}
		return v
	}
	st.Count = parseInt(1)
	st.LastTS = time.UnixMilli(parseInt(2)).UTC()
	st.LastOffset = parseInt(3)
	st.LastPartition = int(parseInt(4))
	for k, v := range meta {
		if name, ok := strings.CutPrefix(k, "x:"); ok {
			st.Exog[name] = parseFloat(v)
		}
	}
	if err != nil {
		return nil, err
	}
	h := int64(s.cfg.History)
	c := min(st.Count, h)
	if st.Count < 1 || int64(len(blob)) < 16*h {
		return nil, fmt.Errorf("corrupt state: count %d, history blob %d bytes", st.Count, len(blob))
	}
	st.Values = make([]float64, c)
	st.Times = make([]int64, c)
	for i := range c {
		slot := (st.Count - c + i) % h
		rec := blob[16*slot : 16*slot+16]
		st.Values[i] = math.Float64frombits(binary.LittleEndian.Uint64([]byte(rec[:8])))
		st.Times[i] = int64(binary.LittleEndian.Uint64([]byte(rec[8:])))
	}
	st.EWMA = s.cfg.EWMAOver(st.Values, nil)
	return st, nil
}

// Delete removes the state of the given series.
func (s *Store) Delete(ctx context.Context, series ...string) error {
	pipe := s.rdb.Pipeline()
	for _, name := range series {
		keys := s.Keys(name)
		pipe.Del(ctx, keys[0], keys[1])
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return wrapRedisErr("delete", err)
	}
	return nil
}
