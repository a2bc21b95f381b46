// Package features keeps per-series streaming state and derives model
// features from it, identically online (state in Redis, updated by a Lua
// script) and offline (state rebuilt in Go from a slice of observations).
//
// # State
//
// For every series the state holds the last Config.History values and their
// event times (a ring buffer), the number of applied events, the event time,
// partition and offset of the last applied event and the last value of every
// exogenous variable seen so far. Variables listed in Config.StepExog are
// also kept at every step of the ring, for models that read them over their
// input window (State.ExogSteps, Result.Exog). Timestamps are stored as unix milliseconds.
// Everything else, EWMAs included, is derived in Go from that raw state.
//
// Idempotency and lateness: an event whose source offset is at or below the
// stored offset of the same topic and partition, and whose event time is not
// after the stored last event time, is a Duplicate (a replay); otherwise an
// event whose event time is at or before the stored last event time is Late.
// Both are skipped (the state is left unchanged) and reported through Status
// so the caller can count them or route them to a side output;
// State.FirstOutcome tells whether a Duplicate was applied or late the first
// time. Offsets are only comparable within one partition of one topic (the
// header stores a TopicID): when a series moves to another partition
// (repartitioning) or topic (a renamed input), or the event carries no source
// offset (Offset < 0), only the event-time rule applies and the new position
// is recorded once the event is applied. An event at or below the stored
// offset but with a newer event time cannot be a replay (a replayed event is
// never newer than the state it was applied to): it is applied and flagged
// (Result.OffsetRegressed), the sign of a recreated topic whose offsets
// restarted at 0.
//
// # Redis layout
//
// One string per series, plus a hash for series with exogenous variables,
// sharing a Redis Cluster hash tag:
//
//	<prefix>:{<series>}:s   48-byte header (layout fingerprint, count, last event
//	                        time, last offset, last partition; see header.go)
//	                        followed by a ring of History records, each a float64
//	                        value, an int64 unix-ms time and one float64 per
//	                        Config.StepExog variable (little endian)
//	<prefix>:{<series>}:x   hash: exogenous name = last value (shortest decimal)
//
// Memory is therefore about (16 + 8·len(StepExog))·History bytes per series
// (16 KiB by default)
// plus a small hash. Keys have no TTL; run Redis with maxmemory-policy
// noeviction (or a volatile-* policy) so that an eviction can never remove
// one key of a series and keep the other.
//
// Each event is applied by one EVALSHA of a script loaded by Store.Load; a
// batch of events is one pipelined round trip. The script is a
// compare-and-set on the header: the Store keeps each series' header and
// input window in a bounded in-process cache, decides from it whether the
// event is applied, a duplicate or late, and sends the expected and the new
// header with the 16-byte record. The script writes (GETRANGE, two
// SETRANGEs, HSET only with exogenous values) only if the stored header is
// the expected one, and otherwise returns the stored header: the Store then
// re-reads the series (a second script returns the header and the requested
// tail) and re-sends its remaining events. The outcome is exactly that of
// one atomic per-event update, however stale the cache; the steady state
// costs one small write per event and no history travels back.
//
// # Features
//
// Config.Features derives, from a State, rolling mean/std/min/max over each
// window, lags, EWMAs, calendar features of the last event time and the
// configured exogenous variables. The same Go code runs for online and
// offline states, and the raw state is bit-for-bit identical on both paths:
// the Lua script does no floating-point arithmetic (values cross the wire as
// 8 binary bytes, exogenous values as shortest round-trip decimals that Lua
// only stores), so online and offline features are identical by
// construction. EWMAs run over the stored history (State.EWMA).
package features
