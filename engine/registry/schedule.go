package registry

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The retraining schedule is shared by every instance of a registry, so
// that "every 30s" or "after 10,000 observations" means once per period
// for the whole group, not once per instance:
//
//	observed   INCRBY counter of observations applied by all instances
//	sched      hash: last_at (unix ms of the last training attempt),
//	           last_observed (observed when that training read its data)

// Schedule is the shared retraining state.
type Schedule struct {
	// Observed counts the observations reported with AddObserved.
	Observed int64
	// LastAt is when the last training attempt finished (zero: never).
	LastAt time.Time
	// LastObserved is Observed when that attempt read its data.
	LastObserved int64
}

// AddObserved adds n observations to the shared counter and returns the
// new total.
func (r *Registry) AddObserved(ctx context.Context, n int64) (int64, error) {
	v, err := r.rdb.IncrBy(ctx, r.key("observed"), n).Result()
	if err != nil {
		return 0, wrap("count observations", err)
	}
	return v, nil
}

// Schedule reads the shared retraining state.
func (r *Registry) Schedule(ctx context.Context) (Schedule, error) {
	pipe := r.rdb.Pipeline()
	obs := pipe.Get(ctx, r.key("observed"))
	h := pipe.HMGet(ctx, r.key("sched"), "last_at", "last_observed")
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Schedule{}, wrap("read schedule", err)
	}
	var s Schedule
	s.Observed, _ = obs.Int64()
	vals := h.Val()
	if len(vals) == 2 {
		if x, ok := vals[0].(string); ok {
			if ms, err := strconv.ParseInt(x, 10, 64); err == nil {
				s.LastAt = time.UnixMilli(ms).UTC()
			}
		}
		if x, ok := vals[1].(string); ok {
			s.LastObserved, _ = strconv.ParseInt(x, 10, 64)
		}
	}
	return s, nil
}

// markScript: KEYS lease, sched; ARGV token, last_at ms, last_observed.
var markScript = redis.NewScript(fenceLua + `
local e = fence(KEYS[1], ARGV[1]); if e then return e end
redis.call('HSET', KEYS[2], 'last_at', ARGV[2], 'last_observed', ARGV[3])
return 1
`)

// MarkTrained records a finished training attempt (fenced by token).
func (r *Registry) MarkTrained(ctx context.Context, at time.Time, observed, token int64) error {
	err := markScript.Run(ctx, r.rdb, []string{r.key("lease"), r.key("sched")}, tokenArg(token), at.UnixMilli(), observed).Err()
	return r.scriptErr("mark trained", err)
}
