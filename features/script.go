package features

import (
	"fmt"
	"strconv"
	"strings"
)

// applyScript returns the Lua source of the per-event update for cfg. The
// history size, the EWMA alphas and the configuration fingerprint are
// compiled in as constants (the script SHA therefore depends on them).
//
// KEYS[1] history blob, KEYS[2] meta hash.
// ARGV[1] event time (unix ms, decimal)   ARGV[2] partition (decimal)
// ARGV[3] offset (decimal, -1 = none)     ARGV[4] value (decimal, shortest round-trip)
// ARGV[5] value (8 bytes, float64 LE)     ARGV[6] time (8 bytes, int64 LE)
// ARGV[7] tail length                     ARGV[8..] exogenous "x:<name>", value pairs
//
// Reply: {status, count, last ts (ms), tail bytes (float64 LE, oldest first)}.
//
// Floats are converted with string arithmetic coercion (s + 0), not
// tonumber: gopher-lua's tonumber rejects exponent forms without a '.'
// (such as "1e+300"), while coercion parses them like strtod does.
//
// Only Lua 5.1 base, string and math functions and redis.call/error_reply
// are used, which real Redis and miniredis's gopher-lua both provide (no
// struct/cmsgpack/bit: binary packing is done in Go). Numbers that must
// survive a round trip through the hash are written with %.17g, which
// both C printf and Go fmt print as a correctly rounded 17-digit decimal
// that strtod/strconv parse back to the same double.
func applyScript(cfg Config) string {
	k := len(cfg.EWMAAlphas)
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	// The key prefix only appears in a comment: it makes the SHA unique per
	// prefix, so stores of different deployments never share a cache entry.
	w("-- streamcast features apply, key prefix %q\n", cfg.KeyPrefix)
	w("local H = %d\n", cfg.History)
	w("local CFG = '%s'\n", cfg.fingerprint())
	fields := []string{"'n'", "'ts'", "'off'", "'part'", "'cfg'"}
	for i := range k {
		fields = append(fields, fmt.Sprintf("'e%d'", i+1))
	}
	w("local m = redis.call('HMGET', KEYS[2], %s)\n", strings.Join(fields, ", "))
	b.WriteString(`local n = tonumber(m[1]) or 0
local ts = tonumber(ARGV[1])
local lts = ts
local st = 0
if n > 0 then
  if m[5] ~= CFG then
    return redis.error_reply('SCCONFIG series state was written with config ' .. tostring(m[5]) .. ', store uses ' .. CFG)
  end
  lts = tonumber(m[2])
  local off = tonumber(ARGV[3])
  if off >= 0 and m[4] == ARGV[2] and off <= tonumber(m[3]) then
    st = 1
  elseif ts <= lts then
    st = 2
  end
end
if st == 0 then
  local slot = n % H
  redis.call('SETRANGE', KEYS[1], slot * 8, ARGV[5])
  redis.call('SETRANGE', KEYS[1], (H + slot) * 8, ARGV[6])
  local x = ARGV[4] + 0
`)
	for i, a := range cfg.EWMAAlphas {
		w("  local e%d = x\n", i+1)
		w("  if n > 0 then e%[1]d = m[%[2]d] + 0; e%[1]d = e%[1]d + %[3]s * (x - e%[1]d) end\n",
			i+1, 6+i, strconv.FormatFloat(a, 'g', -1, 64))
	}
	b.WriteString("  n = n + 1\n  lts = ts\n")
	b.WriteString("  redis.call('HSET', KEYS[2], 'n', n, 'ts', ARGV[1], 'off', ARGV[3], 'part', ARGV[2]")
	for i := range k {
		w(", 'e%[1]d', string.format('%%.17g', e%[1]d)", i+1)
	}
	b.WriteString(`, unpack(ARGV, 8))
  if n == 1 then redis.call('HSET', KEYS[2], 'cfg', CFG) end
end
local k = tonumber(ARGV[7])
if k > n then k = n end
local tb = ''
if k > 0 then
  local e = n % H
  local s = e - k
  if s >= 0 then
    tb = redis.call('GETRANGE', KEYS[1], s * 8, e * 8 - 1)
  else
    tb = redis.call('GETRANGE', KEYS[1], (H + s) * 8, H * 8 - 1)
    if e > 0 then tb = tb .. redis.call('GETRANGE', KEYS[1], 0, e * 8 - 1) end
  end
end
return {st, n, lts, tb}
`)
	return b.String()
}
