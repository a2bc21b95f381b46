package features

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// State is the full state of one series.
type State struct {
	Series string
	// Count is the number of applied events.
	Count int64
	// LastTS is the event time of the last applied event (UTC, millisecond
	// precision); zero if Count == 0.
	LastTS time.Time
	// LastOffset and LastPartition locate the last applied event in its
	// source (-1 offset for events without a source).
	LastOffset    int64
	LastPartition int
	// LastTopic is the TopicID of the last applied event's source topic
	// (0 = unknown).
	LastTopic uint32
	// Values are the last min(Count, History) values, oldest to newest.
	Values []float64
	// Times are the event times of Values in unix milliseconds.
	Times []int64
	// ExogSteps holds the Config.StepExog values of every step of Values,
	// row-major len(Values)×len(StepExog); NaN where the event did not
	// carry the variable. Nil without StepExog.
	ExogSteps []float64
	// EWMA holds one exponentially weighted moving average per
	// Config.EWMAAlphas entry, run over Values (see Config.EWMAOver). While
	// Count <= History this is the usual e₁ = x₁, eₙ = eₙ₋₁ + α·(xₙ − eₙ₋₁)
	// over all events; afterwards it is seeded with the oldest stored value,
	// whose weight (1−α)^(len(Values)−1) is negligible for a long enough
	// History (0.9^1023 ≈ 2e-47 with the defaults). It is derived, not
	// stored: Offline, Config.Step and Store.State fill it in.
	EWMA []float64
	// Exog maps each exogenous variable ever applied to its last value
	// (never nil).
	Exog map[string]float64
}

// NewState returns the empty state of series.
func NewState(series string) *State {
	return &State{Series: series, LastOffset: -1, Exog: map[string]float64{}}
}

// Step applies ob to st under cfg with the same rules as the Redis script
// and returns the outcome; on Applied it also refreshes st.EWMA (O(History)
// per alpha). ob.Series is not checked against st.Series. cfg must be valid.
func (cfg Config) Step(st *State, ob *Observation) Status {
	status := cfg.step(st, ob)
	if status == Applied {
		st.EWMA = cfg.EWMAOver(st.Values, st.EWMA)
	}
	return status
}

// step is Step without the EWMA refresh.
func (cfg Config) step(st *State, ob *Observation) Status {
	if ob.Validate() != nil {
		return Invalid
	}
	ts := ob.TS.UnixMilli()
	topic := TopicID(ob.Source.Topic)
	if st.Count > 0 {
		h := header{count: st.Count, lastTS: st.LastTS.UnixMilli(), lastOff: st.LastOffset,
			lastPart: int32(st.LastPartition), lastTopic: st.LastTopic}
		if status, _ := decide(&h, topic, int32(ob.Source.Partition), ob.Source.Offset, ts); status != Applied {
			return status
		}
	}
	st.Values = append(st.Values, normValue(ob.Value))
	st.Times = append(st.Times, ts)
	if E := len(cfg.StepExog); E > 0 {
		n := len(st.ExogSteps)
		st.ExogSteps = append(st.ExogSteps, make([]float64, E)...)
		cfg.stepExogRow(st.ExogSteps[n:], ob.Exog)
	}
	if len(st.Values) > cfg.History {
		// Slicing forward keeps appends amortised O(1): append reallocates
		// (copying only History elements) once the capacity is used up.
		st.Values = st.Values[len(st.Values)-cfg.History:]
		st.Times = st.Times[len(st.Times)-cfg.History:]
		if E := len(cfg.StepExog); E > 0 {
			st.ExogSteps = st.ExogSteps[len(st.ExogSteps)-cfg.History*E:]
		}
	}
	if st.Exog == nil {
		st.Exog = make(map[string]float64, len(ob.Exog))
	}
	for k, v := range ob.Exog {
		st.Exog[k] = normValue(v)
	}
	st.Count++
	st.LastTS = time.UnixMilli(ts).UTC()
	st.LastOffset = ob.Source.Offset
	st.LastPartition = ob.Source.Partition
	st.LastTopic = topic
	return Applied
}

// EWMAOver sets dst[:0] to one exponentially weighted moving average per
// cfg.EWMAAlphas entry over values (oldest first) and returns it:
//
//	e₁ = v₁,  eᵢ = eᵢ₋₁ + α·(vᵢ − eᵢ₋₁)
//
// The product is rounded before the sum (no FMA), so results are identical
// on every platform. Averages of empty values are NaN.
func (cfg Config) EWMAOver(values, dst []float64) []float64 {
	var e [16]float64 // Validate allows at most 16 alphas
	n := len(cfg.EWMAAlphas)
	ewmas(cfg.EWMAAlphas, values, e[:n])
	return append(dst[:0], e[:n]...)
}

// ewmas runs all recurrences in one pass over values so that the
// independent dependency chains overlap in the CPU pipeline.
func ewmas(alphas, values, e []float64) {
	if len(values) == 0 {
		for i := range e {
			e[i] = math.NaN()
		}
		return
	}
	for i := range e {
		e[i] = values[0]
	}
	switch len(alphas) {
	case 1:
		a0, e0 := alphas[0], e[0]
		for _, x := range values[1:] {
			e0 += float64(a0 * (x - e0))
		}
		e[0] = e0
	case 2:
		a0, a1, e0, e1 := alphas[0], alphas[1], e[0], e[1]
		for _, x := range values[1:] {
			e0 += float64(a0 * (x - e0))
			e1 += float64(a1 * (x - e1))
		}
		e[0], e[1] = e0, e1
	default:
		for _, x := range values[1:] {
			for i, a := range alphas {
				e[i] += float64(a * (x - e[i]))
			}
		}
	}
}

// Offline rebuilds the state of every series from obs, processed in slice
// order with the same duplicate/late/invalid rules as Store.Apply. Series
// without any applied observation are absent from the result. It returns nil
// if cfg is invalid.
func Offline(cfg Config, obs []Observation) map[string]*State {
	if cfg.Validate() != nil {
		return nil
	}
	out := make(map[string]*State)
	for i := range obs {
		ob := &obs[i]
		if ob.Validate() != nil {
			continue
		}
		st := out[ob.Series]
		if st == nil {
			st = NewState(ob.Series)
		}
		if cfg.step(st, ob) == Applied && out[ob.Series] == nil {
			out[ob.Series] = st
		}
	}
	for _, st := range out {
		st.EWMA = cfg.EWMAOver(st.Values, st.EWMA)
	}
	return out
}

// Diff returns a description of the differences between s and o, or "" if
// they are identical (floats compared bit for bit, so NaN equals NaN and
// -0 differs from +0).
func (s *State) Diff(o *State) string {
	if s == nil || o == nil {
		if s == nil && o == nil {
			return ""
		}
		return fmt.Sprintf("one state is nil (%v vs %v)", s == nil, o == nil)
	}
	var d []string
	add := func(format string, args ...any) { d = append(d, fmt.Sprintf(format, args...)) }
	if s.Series != o.Series {
		add("series %q vs %q", s.Series, o.Series)
	}
	if s.Count != o.Count {
		add("count %d vs %d", s.Count, o.Count)
	}
	if !s.LastTS.Equal(o.LastTS) {
		add("last ts %v vs %v", s.LastTS, o.LastTS)
	}
	if s.LastOffset != o.LastOffset || s.LastPartition != o.LastPartition || s.LastTopic != o.LastTopic {
		add("last source %x/%d/%d vs %x/%d/%d", s.LastTopic, s.LastPartition, s.LastOffset, o.LastTopic, o.LastPartition, o.LastOffset)
	}
	diffFloats(add, "values", s.Values, o.Values)
	diffFloats(add, "ewma", s.EWMA, o.EWMA)
	diffFloats(add, "exog steps", s.ExogSteps, o.ExogSteps)
	if len(s.Times) != len(o.Times) {
		add("len(times) %d vs %d", len(s.Times), len(o.Times))
	} else {
		for i := range s.Times {
			if s.Times[i] != o.Times[i] {
				add("times[%d] %d vs %d", i, s.Times[i], o.Times[i])
				break
			}
		}
	}
	if len(s.Exog) != len(o.Exog) {
		add("len(exog) %d vs %d", len(s.Exog), len(o.Exog))
	}
	for k, v := range s.Exog {
		w, ok := o.Exog[k]
		if !ok || math.Float64bits(v) != math.Float64bits(w) {
			add("exog[%q] %v vs %v (present %v)", k, v, w, ok)
		}
	}
	return strings.Join(d, "; ")
}

func diffFloats(add func(string, ...any), what string, a, b []float64) {
	if len(a) != len(b) {
		add("len(%s) %d vs %d", what, len(a), len(b))
		return
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			add("%s[%d] %v vs %v", what, i, a[i], b[i])
			return
		}
	}
}
