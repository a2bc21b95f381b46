package features

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// SourcePos is the position of an observation in its source log.
type SourcePos struct {
	Topic     string
	Partition int
	// Offset is the source offset; -1 means no source (offline input), in
	// which case only the event-time rule decides lateness.
	Offset int64
}

// Observation is one event of one series.
type Observation struct {
	Series string
	// TS is the event time; it is truncated to whole unix milliseconds.
	TS    time.Time
	Value float64
	// Exog holds exogenous variables observed with the event (may be nil).
	Exog   map[string]float64
	Source SourcePos
}

// Status is the outcome of applying one observation.
type Status uint8

const (
	// Applied: the observation updated the state.
	Applied Status = iota
	// Duplicate: the source offset is at or below the last applied offset of
	// the same topic and partition and the event time is not after the last
	// applied one (a replay); the state is unchanged. See
	// State.FirstOutcome for what the event was the first time.
	Duplicate
	// Late: the event time is at or before the last applied event time
	// (and the offset is newer, or not comparable); the state is unchanged.
	Late
	// Invalid: the observation is malformed (see Observation.Validate); it was
	// not sent to the store and the state is unchanged.
	Invalid
	// BadState: the series' stored state cannot be used (corrupt bytes, a
	// key of another Redis type, or state written under another History,
	// wrapping ErrConfigMismatch); Result.Err says why. Nothing of the
	// series was written; other series are not affected. Only Store.Apply
	// reports it.
	BadState
)

// String returns the lower-case name of s.
func (s Status) String() string {
	switch s {
	case Applied:
		return "applied"
	case Duplicate:
		return "duplicate"
	case Late:
		return "late"
	case Invalid:
		return "invalid"
	case BadState:
		return "bad_state"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Result is the outcome of Store.Apply for one observation.
type Result struct {
	Status Status
	// Tail holds the last min(tail, Count) values of the series after the
	// observation was processed, oldest to newest. For skipped observations
	// it is the tail of the unchanged state. Apply reuses the capacity of the
	// Tail slice already in dst, so callers that keep dst between calls
	// must copy Tail if they need it after the next call. Empty for Invalid.
	Tail []float64
	// Exog holds the Config.StepExog values of the Tail's steps, row-major
	// len(Tail)×len(StepExog) (NaN where an event lacked the variable);
	// empty without StepExog. Reused like Tail.
	Exog []float64
	// LastTS is the event time of the last applied event (zero if none).
	LastTS time.Time
	// Count is the number of applied events of the series.
	Count int64
	// OffsetRegressed is set on an Applied observation whose source offset
	// was at or below the stored one of the same topic and partition while
	// its event time was newer: not a replay, but a sign that the input
	// topic was recreated (offsets restart at 0) or its log rewritten. Count
	// and alert on it.
	OffsetRegressed bool
	// Err is why the series' state is unusable, with Status BadState; nil
	// otherwise.
	Err error
}

var errInvalid = errors.New("features: invalid observation")

// Validate reports why ob cannot be applied: empty or oversized series name
// or one starting with '}', a source offset above 2^53-1 (offsets and times
// are compared as Lua numbers, i.e. doubles),
// a value that is not finite or exceeds MaxAbsValue in magnitude, a time
// outside ±(2^53-1) unix milliseconds, more than MaxExogPerObservation
// exogenous values, an empty exogenous name or a non-finite exogenous value.
// Invalid observations are skipped with Status Invalid both by Store.Apply
// and by Offline.
func (ob *Observation) Validate() error {
	if ob.Series == "" {
		return fmt.Errorf("%w: empty series", errInvalid)
	}
	if len(ob.Series) > MaxSeriesLen {
		return fmt.Errorf("%w: series name longer than %d bytes", errInvalid, MaxSeriesLen)
	}
	if ob.Series[0] == '}' {
		// "{}" would make an empty Redis Cluster hash tag, putting the
		// series' two keys in different slots.
		return fmt.Errorf("%w: series %q starts with '}'", errInvalid, ob.Series)
	}
	if ob.Source.Offset > maxAbsMillis {
		return fmt.Errorf("%w: series %q: offset %d above 2^53-1", errInvalid, ob.Series, ob.Source.Offset)
	}
	if !isFiniteBounded(ob.Value) {
		return fmt.Errorf("%w: series %q: value %v not finite or |value| > %g", errInvalid, ob.Series, ob.Value, MaxAbsValue)
	}
	if ms := ob.TS.UnixMilli(); ms > maxAbsMillis || ms < -maxAbsMillis {
		return fmt.Errorf("%w: series %q: time %v out of range", errInvalid, ob.Series, ob.TS)
	}
	if len(ob.Exog) > MaxExogPerObservation {
		return fmt.Errorf("%w: series %q: %d exogenous values (max %d)", errInvalid, ob.Series, len(ob.Exog), MaxExogPerObservation)
	}
	for k, v := range ob.Exog {
		if k == "" {
			return fmt.Errorf("%w: series %q: empty exogenous name", errInvalid, ob.Series)
		}
		if !isFiniteBounded(v) {
			return fmt.Errorf("%w: series %q: exogenous %q value %v not finite", errInvalid, ob.Series, k, v)
		}
	}
	return nil
}

// normValue maps -0 to +0 so that states never hold a negative zero (which
// compares equal to +0 but prints and hashes differently).
func normValue(v float64) float64 {
	if v == 0 {
		return 0
	}
	return v
}

// stepExogRow sets dst (len(cfg.StepExog)) to the event's value of each
// per-step exogenous variable, NaN where it has none.
func (cfg Config) stepExogRow(dst []float64, exog map[string]float64) {
	for e, name := range cfg.StepExog {
		v, ok := exog[name]
		if !ok {
			dst[e] = math.NaN()
			continue
		}
		dst[e] = normValue(v)
	}
}
