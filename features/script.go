package features

import (
	"fmt"
	"strings"
)

// applyScript returns the Lua source of the per-event update for cfg. The
// history size and the configuration fingerprint are compiled in as
// constants (the script SHA therefore depends on them and on the key prefix).
//
// KEYS[1] history blob, KEYS[2] meta hash: field s holds the state record
// "<cfg> <count> <last ts> <last offset> <last partition>" (one field keeps
// the per-event HSET cheap), fields x:<name> the last exogenous values.
//
// ARGV[1] event time (unix ms, decimal)   ARGV[2] partition (decimal)
// ARGV[3] offset (decimal, -1 = none)
// ARGV[4] ring record: value (float64 LE) then time (int64 LE), 16 bytes
// ARGV[5] tail length                     ARGV[6..] exogenous "x:<name>", value pairs
//
// Reply: {status, count, last ts (ms), tail records (16 bytes each, oldest first)}.
//
// The ring is preallocated to 16·H bytes by the first event of a series, so
// every later write is one in-place SETRANGE.
//
// The script does no floating-point work at all: values travel as opaque
// bytes, exogenous values as opaque strings, and every derived quantity
// (EWMAs included) is computed in Go from the stored history. Online and
// offline states are therefore bit-identical by construction, and the script
// needs only Lua 5.1 base and string functions plus redis.call/error_reply,
// which real Redis and miniredis's gopher-lua both provide (neither struct,
// cmsgpack nor bit is needed; gopher-lua has none of them). Only integers
// (times, offsets, counts, all below 2^53) are converted, with tonumber and
// %d, exact in both implementations.
func applyScript(cfg Config) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	// The key prefix only appears in a comment: it makes the SHA unique per
	// prefix, so stores of different deployments never share a cache entry.
	w("-- streamcast features apply, key prefix %q\n", cfg.KeyPrefix)
	w("local H = %d\n", cfg.History)
	w("local CFG = '%s'\n", cfg.fingerprint())
	b.WriteString(`local rec = redis.call('HGET', KEYS[2], 's')
local n = 0
local ts = tonumber(ARGV[1])
local lts = ts
local st = 0
if rec then
  local cfg, sn, sts, soff, spart = string.match(rec, '^(%S+) (%S+) (%S+) (%S+) (%S+)$')
  if cfg ~= CFG then
    return redis.error_reply('SCCONFIG series state was written with config ' .. tostring(cfg) .. ', store uses ' .. CFG)
  end
  n = tonumber(sn)
  lts = tonumber(sts)
  local off = tonumber(ARGV[3])
  if off >= 0 and spart == ARGV[2] and off <= tonumber(soff) then
    st = 1
  elseif ts <= lts then
    st = 2
  end
end
if st == 0 then
  local slot = n % H
  if n == 0 then redis.call('SETRANGE', KEYS[1], 16 * H - 1, '\0') end
  redis.call('SETRANGE', KEYS[1], slot * 16, ARGV[4])
  n = n + 1
  lts = ts
  redis.call('HSET', KEYS[2], 's', string.format('%s %d %s %s %s', CFG, n, ARGV[1], ARGV[3], ARGV[2]), unpack(ARGV, 6))
end
local k = tonumber(ARGV[5])
if k > n then k = n end
local tb = ''
if k > 0 then
  local e = n % H
  local s = e - k
  if s >= 0 then
    tb = redis.call('GETRANGE', KEYS[1], s * 16, e * 16 - 1)
  else
    tb = redis.call('GETRANGE', KEYS[1], (H + s) * 16, H * 16 - 1)
    if e > 0 then tb = tb .. redis.call('GETRANGE', KEYS[1], 0, e * 16 - 1) end
  end
end
return {st, n, lts, tb}
`)
	return b.String()
}
