package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Guard conditions a move of the current pointer.
type Guard struct {
	// Token is the caller's lease fencing token; 0 is the operator, who is
	// not fenced.
	Token int64
	// IfCurrent, if non-nil, requires current to be *IfCurrent (0: no
	// current version) when the pointer moves: a trainer passes the version
	// its challenger was compared with, so that a promotion or rollback made
	// meanwhile is not silently overridden (ErrConflict instead).
	IfCurrent *int64
}

// Expect returns a Guard with token and IfCurrent = cur.
func Expect(token, cur int64) Guard { return Guard{Token: token, IfCurrent: &cur} }

func (g Guard) expectArg() string {
	if g.IfCurrent == nil {
		return "*"
	}
	if *g.IfCurrent == 0 {
		return ""
	}
	return strconv.FormatInt(*g.IfCurrent, 10)
}

// promoteScript: KEYS lease, meta, blob, current, history;
// ARGV token, version, blob size, expected current ("*" any, "" none),
// history length, channel. Returns the previous current ("" none).
var promoteScript = redis.NewScript(fenceLua + `
local e = fence(KEYS[1], ARGV[1]); if e then return e end
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('NOTFOUND version ' .. ARGV[2] .. ' has no meta') end
local n = redis.call('STRLEN', KEYS[3])
if n ~= tonumber(ARGV[3]) then return redis.error_reply('CORRUPT blob of version ' .. ARGV[2] .. ' has ' .. n .. ' bytes') end
local cur = redis.call('GET', KEYS[4])
if not cur then cur = '' end
if ARGV[4] ~= '*' and cur ~= ARGV[4] then return redis.error_reply('CONFLICT current is ' .. cur .. ', expected ' .. ARGV[4]) end
if cur == ARGV[2] then return cur end
redis.call('SET', KEYS[4], ARGV[2])
redis.call('RPUSH', KEYS[5], ARGV[2])
redis.call('LTRIM', KEYS[5], -tonumber(ARGV[5]), -1)
redis.call('PUBLISH', ARGV[6], ARGV[2])
return cur
`)

// Promote makes version v current. It first reads the blob back and
// verifies it (length, SHA-256, decodes as a model), then moves the pointer
// atomically under g (fencing token, expected current), appends v to the
// history and announces it on the events channel. It returns the previous
// current version (0: none). Promoting the current version is a no-op.
func (r *Registry) Promote(ctx context.Context, v int64, g Guard) (int64, error) {
	_, m, err := r.Load(ctx, v)
	if err != nil {
		return 0, err
	}
	keys := []string{r.key("lease"), r.metaKey(v), r.blobKey(v), r.key("current"), r.key("history")}
	s, err := promoteScript.Run(ctx, r.rdb, keys, tokenArg(g.Token), versionArg(v), m.Size, g.expectArg(),
		r.cfg.HistoryLen, r.channel()).Text()
	if err != nil {
		return 0, r.scriptErr(fmt.Sprintf("promote %d", v), err)
	}
	return parsePrev(s)
}

func parsePrev(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	v, err := parseVersion(s)
	if err != nil {
		return 0, fmt.Errorf("registry: current %q: %w", s, ErrCorrupt)
	}
	return v, nil
}

// rollbackScript: KEYS lease, current, history, target blob;
// ARGV token, current, target, target size, channel.
var rollbackScript = redis.NewScript(fenceLua + `
local e = fence(KEYS[1], ARGV[1]); if e then return e end
local cur = redis.call('GET', KEYS[2])
if cur ~= ARGV[2] or redis.call('LINDEX', KEYS[3], -1) ~= ARGV[2] or redis.call('LINDEX', KEYS[3], -2) ~= ARGV[3] then
  return redis.error_reply('CONFLICT the registry changed during the rollback')
end
local n = redis.call('STRLEN', KEYS[4])
if n ~= tonumber(ARGV[4]) then return redis.error_reply('CORRUPT blob of version ' .. ARGV[3] .. ' has ' .. n .. ' bytes') end
redis.call('RPOP', KEYS[3])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[5], ARGV[3])
return 1
`)

// Rollback makes the previously promoted version current again (the
// current one is removed from the history, so repeated rollbacks walk
// back). The target is verified like a promotion. It returns the versions
// moved from and to.
func (r *Registry) Rollback(ctx context.Context, g Guard) (from, to int64, err error) {
	cur, err := r.Current(ctx)
	if err != nil {
		return 0, 0, err
	}
	hist, err := r.history(ctx)
	if err != nil {
		return 0, 0, err
	}
	if len(hist) < 2 || hist[len(hist)-1] != cur {
		return 0, 0, fmt.Errorf("registry: rollback from %d (history %v): %w", cur, hist, ErrNoHistory)
	}
	if g.IfCurrent != nil && *g.IfCurrent != cur {
		return 0, 0, fmt.Errorf("registry: rollback: current is %d, expected %d: %w", cur, *g.IfCurrent, ErrConflict)
	}
	target := hist[len(hist)-2]
	_, m, err := r.Load(ctx, target)
	if err != nil {
		return 0, 0, err
	}
	keys := []string{r.key("lease"), r.key("current"), r.key("history"), r.blobKey(target)}
	if err := rollbackScript.Run(ctx, r.rdb, keys, tokenArg(g.Token), versionArg(cur), versionArg(target), m.Size, r.channel()).Err(); err != nil {
		return 0, 0, r.scriptErr("rollback", err)
	}
	return cur, target, nil
}

// pruneScript: KEYS blob, meta, versions, current; ARGV version.
var pruneScript = redis.NewScript(`
if redis.call('GET', KEYS[4]) == ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`)

// Prune deletes stored versions beyond the newest keep, sparing the
// current version and the last keep entries of the history (the rollback
// targets). It returns the deleted versions.
func (r *Registry) Prune(ctx context.Context, keep int) ([]int64, error) {
	if keep < 1 {
		return nil, errors.New("registry: prune: keep must be >= 1")
	}
	ls, err := r.List(ctx)
	if err != nil {
		return nil, err
	}
	spare := map[int64]bool{ls.Current: true}
	for _, v := range ls.History[max(0, len(ls.History)-keep):] {
		spare[v] = true
	}
	var removed []int64
	vs := ls.Versions
	for i := 0; i < len(vs)-keep; i++ {
		v := vs[i].Version
		if spare[v] {
			continue
		}
		keys := []string{r.blobKey(v), r.metaKey(v), r.key("versions"), r.key("current")}
		n, err := pruneScript.Run(ctx, r.rdb, keys, versionArg(v)).Int()
		if err != nil {
			return removed, wrap("prune", err)
		}
		if n == 1 {
			removed = append(removed, v)
		}
	}
	slices.Sort(removed)
	return removed, nil
}
