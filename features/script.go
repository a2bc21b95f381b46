package features

import (
	"fmt"
	"strings"
)

// The state of a series is one Redis string, KEYS[1] = <prefix>:{series}:s:
//
//	[0, hdrLen)                 header (see header.go): config fingerprint,
//	                            count, last event time, last offset and partition
//	[hdrLen, hdrLen + R·H)      ring of H records of R = 16 + 8·len(StepExog) bytes:
//	                            value (float64 LE), time (int64 LE), then each
//	                            Config.StepExog value (float64 LE, NaN = absent);
//	                            record i of the series lives in slot i mod H
//
// plus, only for series with exogenous variables, a hash KEYS[2] =
// <prefix>:{series}:x of their last values (decimal strings).
//
// Both scripts do no arithmetic on values and no parsing beyond one
// integer: the header is built and interpreted in Go, and the update is a
// compare-and-set on its exact bytes. That keeps the per-event server work
// to one GETRANGE, two SETRANGEs and a string comparison, and it makes the
// scripts behave identically on real Redis (Lua 5.1) and miniredis
// (gopher-lua), which both provide string.byte, tonumber and unpack.

// applyScript returns the Lua source of the per-event update for cfg. Only
// the history size is compiled in: the key prefix stays out of the source,
// so every store with the same history shares one cached script (and one
// SHA) however many prefixes use the server. Redis never evicts scripts
// loaded with SCRIPT LOAD, and each one stays in its Lua heap, whose
// incremental garbage collection runs during every EVALSHA: a script per
// prefix (one per benchmark run and per test, which use unique prefixes)
// made the update measurably slower as they piled up (bench pipeline: about
// 48,000 events/s before a SCRIPT FLUSH, 60,000 after).
//
// ARGV[1] the header the caller believes is stored ("" = no state yet)
// ARGV[2] the header after the event ("" = verify only: nothing is written)
// ARGV[3] byte offset of the event's ring record (decimal)
// ARGV[4] the ring record (Config.recLen bytes)
// ARGV[5..] exogenous name, value pairs (KEYS[2] is given only with them)
//
// Reply: integer 1 when the stored header equalled ARGV[1] (and the event
// was written, unless ARGV[2] is empty); otherwise the stored header as a
// bulk string ("" if none), and nothing was written. A key of the wrong type
// fails the script (WRONGTYPE) before anything is written: the GETRANGE
// comes first and the HSET before the SETRANGEs (Redis does not undo the
// writes of a script that fails halfway). Because the header
// holds the last applied offset, event time and count, equality means the
// caller's view of the series is current, so its decision (apply, or skip as
// duplicate or late) is the one the old per-event script made atomically.
func applyScript(cfg Config) string {
	var b strings.Builder
	b.WriteString("-- streamcast features apply (compare-and-set)\n")
	salt(&b, cfg)
	fmt.Fprintf(&b, "local RING_END = %d\n", hdrLen+cfg.recLen()*cfg.History-1)
	fmt.Fprintf(&b, "local HDR_END = %d\n", hdrLen-1)
	b.WriteString(`local cur = redis.call('GETRANGE', KEYS[1], 0, HDR_END)
if cur ~= ARGV[1] then return cur end
if ARGV[2] == '' then return 1 end
if #ARGV > 4 then redis.call('HSET', KEYS[2], unpack(ARGV, 5)) end
if cur == '' then redis.call('SETRANGE', KEYS[1], RING_END, '\0') end
redis.call('SETRANGE', KEYS[1], ARGV[3], ARGV[4])
redis.call('SETRANGE', KEYS[1], 0, ARGV[2])
return 1
`)
	return b.String()
}

// peekScript returns the Lua source of the read that fills the client-side
// cache: ARGV[1] = tail length k. Reply: {header, the last min(k, count)
// ring records oldest first, the blob's length}; {"", "", 0} for a series
// without state (or a header too short to decode, for the caller to
// reject). The
// count is read from header bytes [16, 23) (little endian; counts stay
// below 2^53, so seven bytes and Lua's doubles are exact).
func peekScript(cfg Config) string {
	var b strings.Builder
	b.WriteString("-- streamcast features peek\n")
	salt(&b, cfg)
	fmt.Fprintf(&b, "local H = %d\nlocal HDR = %d\nlocal R = %d\n", cfg.History, hdrLen, cfg.recLen())
	b.WriteString(`local h = redis.call('GETRANGE', KEYS[1], 0, HDR - 1)
local len = redis.call('STRLEN', KEYS[1])
if #h < HDR or len ~= HDR + H * R then return {h, '', len} end
local b1, b2, b3, b4, b5, b6, b7 = string.byte(h, 17, 23)
local n = ((((((b7 * 256 + b6) * 256 + b5) * 256 + b4) * 256 + b3) * 256 + b2) * 256) + b1
local k = tonumber(ARGV[1])
if k > n then k = n end
if k > H then k = H end
local tb = ''
if k > 0 then
  local e = n % H
  local s = e - k
  if s >= 0 then
    tb = redis.call('GETRANGE', KEYS[1], HDR + s * R, HDR + e * R - 1)
  else
    tb = redis.call('GETRANGE', KEYS[1], HDR + (H + s) * R, HDR + H * R - 1)
    if e > 0 then tb = tb .. redis.call('GETRANGE', KEYS[1], HDR, HDR + e * R - 1) end
  end
end
return {h, tb, len}
`)
	return b.String()
}

func salt(b *strings.Builder, cfg Config) {
	if cfg.scriptSalt != "" {
		fmt.Fprintf(b, "-- %q\n", cfg.scriptSalt)
	}
}
