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
// KEYS[1] history blob, KEYS[2] meta hash: field s holds the state record
// "<cfg> <count> <last ts> <last offset> <last partition> <ewma 1> ... <ewma K>"
// (one field keeps the per-event HSET cheap), fields x:<name> the last
// exogenous values.
// ARGV[1] event time (unix ms, decimal)   ARGV[2] partition (decimal)
// ARGV[3] offset (decimal, -1 = none)     ARGV[4] value (decimal, shortest round-trip)
// ARGV[5] ring record: value (float64 LE) then time (int64 LE), 16 bytes
// ARGV[6] tail length                     ARGV[7..] exogenous "x:<name>", value pairs
//
// Reply: {status, count, last ts (ms), tail records (16 bytes each, oldest first)}.
//
// The ring is preallocated to 16·H bytes by the first event of a series, so
// every later write is one in-place SETRANGE.
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
	ewmas := make([]string, k)
	for i := range k {
		ewmas[i] = fmt.Sprintf("e%d", i+1)
	}
	b.WriteString(`local rec = redis.call('HGET', KEYS[2], 's')
local n = 0
local ts = tonumber(ARGV[1])
local lts = ts
local st = 0
`)
	w("local cfg, sn, sts, soff, spart%s\n", prefixEach(", s", ewmas))
	b.WriteString("if rec then\n")
	w("  cfg, sn, sts, soff, spart%s = string.match(rec, '^(%%S+) (%%S+) (%%S+) (%%S+) (%%S+)%s$')\n",
		prefixEach(", s", ewmas), strings.Repeat(" (%S+)", k))
	b.WriteString(`  if cfg ~= CFG then
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
  redis.call('SETRANGE', KEYS[1], slot * 16, ARGV[5])
  local x = ARGV[4] + 0
`)
	for i, a := range cfg.EWMAAlphas {
		w("  local e%d = x\n", i+1)
		w("  if n > 0 then e%[1]d = se%[1]d + 0; e%[1]d = e%[1]d + %[2]s * (x - e%[1]d) end\n",
			i+1, strconv.FormatFloat(a, 'g', -1, 64))
	}
	b.WriteString("  n = n + 1\n  lts = ts\n")
	w("  rec = string.format('%%s %%d %%s %%s %%s%s', CFG, n, ARGV[1], ARGV[3], ARGV[2]%s)\n",
		strings.Repeat(" %.17g", k), prefixEach(", ", ewmas))
	b.WriteString(`  redis.call('HSET', KEYS[2], 's', rec, unpack(ARGV, 7))
end
local k = tonumber(ARGV[6])
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

func prefixEach(prefix string, xs []string) string {
	var b strings.Builder
	for _, x := range xs {
		b.WriteString(prefix)
		b.WriteString(x)
	}
	return b.String()
}
