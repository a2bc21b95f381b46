package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrLeaseLost is the cause of the context Hold passes to its function
// when the lease could not be renewed (it expired, another instance holds
// it, or Redis stayed unreachable until the lease's deadline).
var ErrLeaseLost = errors.New("registry: trainer lease lost")

// acquireScript: KEYS lease, fence; ARGV owner, ttl ms. Returns the token
// (> 0) or 0 when another owner holds the lease.
var acquireScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local t, o = string.match(cur, '^(%d+):(.*)$')
  if o == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(t)
  end
  return 0
end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], t .. ':' .. ARGV[1], 'PX', ARGV[2])
return t
`)

// renewScript: KEYS lease; ARGV value, ttl ms. 1 if renewed.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// releaseScript: KEYS lease; ARGV value. 1 if released.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`)

func leaseValue(token int64, owner string) string {
	return strconv.FormatInt(token, 10) + ":" + owner
}

// TryAcquire takes the trainer lease for owner for ttl if nobody holds it
// (or renews it if owner already does). It returns the lease's fencing
// token, strictly greater than every token handed out before, and whether
// the lease was obtained. Owners must be unique per process.
func (r *Registry) TryAcquire(ctx context.Context, owner string, ttl time.Duration) (int64, bool, error) {
	if owner == "" || ttl < time.Millisecond {
		return 0, false, errors.New("registry: lease needs an owner and a ttl >= 1ms")
	}
	t, err := acquireScript.Run(ctx, r.rdb, []string{r.key("lease"), r.key("fence")}, owner, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, false, wrap("acquire lease", err)
	}
	return t, t > 0, nil
}

// Renew extends owner's lease with token by ttl; false if it is no longer
// theirs.
func (r *Registry) Renew(ctx context.Context, owner string, token int64, ttl time.Duration) (bool, error) {
	n, err := renewScript.Run(ctx, r.rdb, []string{r.key("lease")}, leaseValue(token, owner), ttl.Milliseconds()).Int()
	if err != nil {
		return false, wrap("renew lease", err)
	}
	return n == 1, nil
}

// Release gives the lease up if owner still holds it with token.
func (r *Registry) Release(ctx context.Context, owner string, token int64) error {
	if err := releaseScript.Run(ctx, r.rdb, []string{r.key("lease")}, leaseValue(token, owner)).Err(); err != nil {
		return wrap("release lease", err)
	}
	return nil
}

// LeaseInfo describes the lease.
type LeaseInfo struct {
	Owner string
	Token int64
	TTL   time.Duration
}

// Lease returns the current holder (ok false when the lease is free).
func (r *Registry) Lease(ctx context.Context) (LeaseInfo, bool, error) {
	pipe := r.rdb.Pipeline()
	get := pipe.Get(ctx, r.key("lease"))
	ttl := pipe.PTTL(ctx, r.key("lease"))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return LeaseInfo{}, false, wrap("read lease", err)
	}
	v, err := get.Result()
	if errors.Is(err, redis.Nil) {
		return LeaseInfo{}, false, nil
	}
	tok, owner, ok := strings.Cut(v, ":")
	t, perr := strconv.ParseInt(tok, 10, 64)
	if !ok || perr != nil {
		return LeaseInfo{}, false, fmt.Errorf("registry: lease value %q: %w", v, ErrCorrupt)
	}
	return LeaseInfo{Owner: owner, Token: t, TTL: ttl.Val()}, true, nil
}

// Hold runs fn while owner holds the trainer lease. It returns (false, nil)
// at once when another owner holds it. Otherwise the lease is renewed every
// ttl/3 while fn runs; if a renewal finds the lease taken, or Redis stays
// unreachable until the lease would have expired, fn's context is cancelled
// with cause ErrLeaseLost (see context.Cause), and every fenced write fn
// still attempts fails with ErrFenced. The lease is released when fn
// returns.
func (r *Registry) Hold(ctx context.Context, owner string, ttl time.Duration, fn func(ctx context.Context, token int64) error) (bool, error) {
	token, ok, err := r.TryAcquire(ctx, owner, ttl)
	if err != nil || !ok {
		return false, err
	}
	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		deadline := time.Now().Add(ttl)
		tick := time.NewTicker(max(ttl/3, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-fctx.Done():
				return
			case <-tick.C:
			}
			start := time.Now()
			rctx, rcancel := context.WithDeadline(fctx, deadline)
			ok, err := r.Renew(rctx, owner, token, ttl)
			rcancel()
			switch {
			case err == nil && ok:
				deadline = start.Add(ttl)
			case err == nil && !ok:
				cancel(fmt.Errorf("%w: taken by another instance", ErrLeaseLost))
				return
			case time.Now().After(deadline):
				cancel(fmt.Errorf("%w: renewal failed until expiry: %w", ErrLeaseLost, err))
				return
			}
		}
	}()
	ferr := fn(fctx, token)
	cancel(nil)
	<-done
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer rcancel()
	if err := r.Release(rctx, owner, token); err != nil && ferr == nil {
		ferr = err
	}
	return true, ferr
}
