package lifecycle

import (
	"errors"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/sink"
)

// Alerter receives alerts without blocking (sink.AlertSink): Fire returns
// false when the alert was dropped.
type Alerter interface {
	Fire(a sink.Alert) bool
}

// EvalConfig configures an Evaluator. Zero values take the defaults.
type EvalConfig struct {
	// Horizon is the number of steps each forecast holds (required).
	Horizon int
	// Freq is the step between horizon timestamps (required): step k of a
	// forecast with origin o targets o + k·Freq.
	Freq time.Duration
	// MaxSeries bounds the series whose recent forecasts are kept (default
	// 10,000; each holds its last Horizon forecasts: about
	// 8·Horizon·(Horizon+2) bytes, 4.8 KB at h = 24). Beyond it an arbitrary
	// series is forgotten (counted), and its pending forecasts go unscored.
	MaxSeries int
	// MaxVersions bounds the model versions that appear as metric labels
	// and in reports (default 3, the most recent ones).
	MaxVersions int
	// AlertThreshold, if > 0, alerts when |observed − expected| exceeds it
	// (expected: the most recent forecast of the observation's timestamp).
	AlertThreshold float64
	// Interval returns the prediction interval of forecast f at step k
	// (1-based), if it has one; an observation outside it alerts. nil: no
	// intervals.
	Interval func(f *sink.Forecast, k int) (lo, hi float64, ok bool)
}

// Validate reports invalid settings.
func (c EvalConfig) Validate() error {
	switch {
	case c.Horizon < 1:
		return errors.New("lifecycle: EvalConfig.Horizon must be >= 1")
	case c.Freq <= 0:
		return errors.New("lifecycle: EvalConfig.Freq must be > 0")
	case c.MaxSeries < 0 || c.MaxVersions < 0:
		return errors.New("lifecycle: EvalConfig.MaxSeries and MaxVersions must be >= 0")
	case c.AlertThreshold < 0 || math.IsNaN(c.AlertThreshold):
		return errors.New("lifecycle: EvalConfig.AlertThreshold must be >= 0")
	}
	return nil
}

const evalShards = 16

// Evaluator is River-style progressive evaluation of a stream of
// forecasts: when an observation y_T of a series arrives, every forecast
// issued earlier for time T is scored, per step ahead k = (T − origin)/Freq
// (1 ≤ k ≤ Horizon, exact multiples only):
//
//	MAE_k = (1/N_k) Σ |y_T − ŷ_{T|T−k}|,
//
// separately per model version and over all versions. Forecasts are kept
// in process (the last Horizon per series, bounded by MaxSeries), so a
// forecast issued by another instance (before a rebalance) is not scored.
// Observe a batch with ObserveBatch in offset order; it is safe for
// concurrent use by several partitions.
type Evaluator struct {
	cfg     EvalConfig
	seed    maphash.Seed
	shards  [evalShards]evalShard
	metrics *EvalMetrics
	alerts  Alerter
	drift   *Drift

	vmu      sync.Mutex
	versions map[string]*versionStats        // by "model@version"
	order    []*versionStats                 // first seen first
	recent   atomic.Pointer[[]*versionStats] // a copy of order
	total    versionStats

	evicted atomic.Int64
	fired   atomic.Int64
	pool    sync.Pool // *[]batchAcc
}

type evalShard struct {
	mu     sync.Mutex
	series map[string]*fcRing
	n      int
}

// fcRing holds a series' last Horizon forecasts.
type fcRing struct {
	next    int
	entries []fcEntry
}

type fcEntry struct {
	used   bool
	origin int64 // unix ns
	vs     *versionStats
	mean   []float64
	lo, hi []float64 // nil without an interval
}

// versionStats accumulates absolute errors per step of one model version.
type versionStats struct {
	model, version string
	abs            []float64
	n              []int64
	dropped        bool // no longer a metric label
}

// NewEvaluator returns an evaluator; metrics and alerts may be nil.
func NewEvaluator(cfg EvalConfig, metrics *EvalMetrics, alerts Alerter) (*Evaluator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxSeries == 0 {
		cfg.MaxSeries = 10_000
	}
	if cfg.MaxVersions == 0 {
		cfg.MaxVersions = 3
	}
	e := &Evaluator{cfg: cfg, seed: maphash.MakeSeed(), metrics: metrics, alerts: alerts, versions: map[string]*versionStats{}}
	e.total = versionStats{abs: make([]float64, cfg.Horizon), n: make([]int64, cfg.Horizon)}
	for i := range e.shards {
		e.shards[i].series = map[string]*fcRing{}
	}
	return e, nil
}

// FeedDrift makes the evaluator pass every step-1 error to d.
func (e *Evaluator) FeedDrift(d *Drift) { e.drift = d }

// batchAcc accumulates one batch's errors before they are published.
type batchAcc struct {
	vs   *versionStats
	abs  []float64
	n    []int64
	ones []float64 // step-1 errors, in order (for Drift)
}

// ObserveBatch scores the forecasts pending for each applied observation
// and then records the forecast issued at it (the forecast in fcs with the
// same series and origin; forecasts re-issued for replayed events match no
// applied observation and are ignored). Both slices are in offset order.
func (e *Evaluator) ObserveBatch(applied []features.Observation, fcs []sink.Forecast) {
	if len(applied) == 0 {
		return
	}
	sc, _ := e.pool.Get().(*[]batchAcc)
	if sc == nil {
		sc = new([]batchAcc)
	}
	acc := (*sc)[:0]
	k := 0
	for i := range applied {
		ob := &applied[i]
		for k < len(fcs) && !(fcs[k].Series == ob.Series && fcs[k].OriginTS.Equal(ob.TS)) {
			k++
		}
		var f *sink.Forecast
		if k < len(fcs) {
			f = &fcs[k]
			k++
		}
		acc = e.observe(ob, f, acc)
	}
	e.flush(acc)
	for i := range acc { // keep the buffers, drop the version pointers
		acc[i].vs = nil
	}
	*sc = acc
	e.pool.Put(sc)
}

// observe handles one observation under its series' shard lock.
func (e *Evaluator) observe(ob *features.Observation, f *sink.Forecast, acc []batchAcc) []batchAcc {
	sh := &e.shards[maphash.String(e.seed, ob.Series)%evalShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r := sh.series[ob.Series]
	T := ob.TS.UnixNano()
	freq := int64(e.cfg.Freq)
	H := e.cfg.Horizon
	if r != nil {
		best := -1 // entry with the smallest step: the freshest forecast of T
		bestK := H + 1
		for j := range r.entries {
			en := &r.entries[j]
			if !en.used || en.origin >= T {
				continue
			}
			d := T - en.origin
			if d%freq != 0 || d/freq > int64(H) {
				continue
			}
			step := int(d / freq)
			acc = addErr(acc, en.vs, step, math.Abs(ob.Value-en.mean[step-1]))
			if step < bestK {
				best, bestK = j, step
			}
		}
		if best >= 0 {
			e.checkAlert(ob, &r.entries[best], bestK)
		}
	}
	if f == nil || len(f.Horizon) == 0 {
		return acc
	}
	if r == nil {
		if sh.n*evalShards >= e.cfg.MaxSeries {
			for name := range sh.series { // evict an arbitrary series of this shard
				delete(sh.series, name)
				sh.n--
				e.evicted.Add(1)
				if e.metrics != nil {
					e.metrics.Evicted.Inc()
				}
				break
			}
		}
		r = &fcRing{entries: make([]fcEntry, H)}
		sh.series[ob.Series] = r
		sh.n++
	}
	en := &r.entries[r.next]
	r.next = (r.next + 1) % H
	en.used, en.origin, en.vs = true, f.OriginTS.UnixNano(), e.version(f.Model, f.ModelVersion)
	if en.mean == nil {
		en.mean = make([]float64, H)
	}
	n := min(len(f.Horizon), H)
	for j, p := range f.Horizon[:n] {
		en.mean[j] = p.Mean
	}
	for j := n; j < H; j++ {
		en.mean[j] = math.NaN() // a shorter forecast: never scored
	}
	en.lo, en.hi = en.lo[:0], en.hi[:0]
	if e.cfg.Interval != nil {
		for j := 1; j <= n; j++ {
			lo, hi, ok := e.cfg.Interval(f, j)
			if !ok {
				en.lo, en.hi = en.lo[:0], en.hi[:0]
				break
			}
			en.lo, en.hi = append(en.lo, lo), append(en.hi, hi)
		}
	}
	return acc
}

func addErr(acc []batchAcc, vs *versionStats, step int, abs float64) []batchAcc {
	if math.IsNaN(abs) { // the forecast was shorter than the horizon
		return acc
	}
	i := 0
	for i < len(acc) && acc[i].vs != vs {
		i++
	}
	if i == len(acc) {
		if len(acc) < cap(acc) { // reuse a pooled accumulator's buffers
			acc = acc[:i+1]
			a := &acc[i]
			a.vs, a.ones = vs, a.ones[:0]
			clear(a.abs)
			clear(a.n)
		} else {
			acc = append(acc, batchAcc{vs: vs, abs: make([]float64, len(vs.abs)), n: make([]int64, len(vs.n))})
		}
	}
	acc[i].abs[step-1] += abs
	acc[i].n[step-1]++
	if step == 1 {
		acc[i].ones = append(acc[i].ones, abs)
	}
	return acc
}

// checkAlert fires when the observation leaves the freshest forecast's
// interval or its error exceeds the threshold.
func (e *Evaluator) checkAlert(ob *features.Observation, en *fcEntry, k int) {
	if e.alerts == nil {
		return
	}
	exp := en.mean[k-1]
	a := sink.Alert{Series: ob.Series, TS: ob.TS.UTC(), Observed: ob.Value, Expected: exp, Step: k,
		Model: en.vs.model, ModelVersion: en.vs.version, Origin: time.Unix(0, en.origin).UTC()}
	if len(en.lo) >= k {
		a.Interval = &sink.Interval{Lo: en.lo[k-1], Hi: en.hi[k-1]}
	}
	switch {
	case a.Interval != nil && (ob.Value < a.Interval.Lo || ob.Value > a.Interval.Hi):
		a.Reason = sink.AlertOutsideInterval
	case e.cfg.AlertThreshold > 0 && math.Abs(ob.Value-exp) > e.cfg.AlertThreshold:
		a.Reason, a.Threshold = sink.AlertThreshold, e.cfg.AlertThreshold
	default:
		return
	}
	e.fired.Add(1)
	e.alerts.Fire(a)
}

// version returns the stats of model@version, creating them (and retiring
// the oldest beyond MaxVersions from the metrics) on first sight.
func (e *Evaluator) version(model, version string) *versionStats {
	if recent := e.recent.Load(); recent != nil { // lock-free, allocation-free fast path
		for _, vs := range *recent {
			if vs.version == version && vs.model == model {
				return vs
			}
		}
	}
	key := model + "@" + version
	e.vmu.Lock()
	defer e.vmu.Unlock()
	if vs, ok := e.versions[key]; ok {
		return vs
	}
	vs := &versionStats{model: model, version: version, abs: make([]float64, e.cfg.Horizon), n: make([]int64, e.cfg.Horizon)}
	e.versions[key] = vs
	e.order = append(e.order, vs)
	for len(e.order) > e.cfg.MaxVersions {
		old := e.order[0]
		e.order = e.order[1:]
		delete(e.versions, old.model+"@"+old.version)
		old.dropped = true
		if e.metrics != nil {
			e.metrics.forget(old.version)
		}
	}
	recent := append([]*versionStats(nil), e.order...)
	e.recent.Store(&recent)
	return vs
}

func (e *Evaluator) flush(acc []batchAcc) {
	if len(acc) == 0 {
		return
	}
	if e.drift != nil {
		for _, a := range acc {
			for _, x := range a.ones {
				e.drift.Add(a.vs.version, x)
			}
		}
	}
	e.vmu.Lock()
	defer e.vmu.Unlock()
	for _, a := range acc {
		for j := range a.abs {
			if a.n[j] == 0 {
				continue
			}
			e.total.abs[j] += a.abs[j]
			e.total.n[j] += a.n[j]
			if a.vs.dropped {
				continue
			}
			a.vs.abs[j] += a.abs[j]
			a.vs.n[j] += a.n[j]
			if e.metrics != nil {
				e.metrics.add(a.vs, j+1, a.abs[j], a.n[j])
			}
		}
	}
}

// StepMAE is the online MAE of the steps ahead of one model version (or of
// all versions): MAE[k-1] over N[k-1] scored forecasts of step k (0 where
// N is 0).
type StepMAE struct {
	Model   string    `json:"model,omitempty"`
	Version string    `json:"model_version,omitempty"`
	MAE     []float64 `json:"mae"`
	N       []int64   `json:"n"`
}

// Mean is the MAE over every scored step.
func (s StepMAE) Mean() float64 {
	var sum float64
	var n int64
	for j, m := range s.MAE {
		sum += m * float64(s.N[j])
		n += s.N[j]
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// EvalReport is the evaluator's state.
type EvalReport struct {
	// All covers every version.
	All StepMAE `json:"all"`
	// Versions are the most recent MaxVersions versions, oldest first.
	Versions []StepMAE `json:"versions"`
	// Evicted counts series forgotten to respect MaxSeries; Alerts counts
	// alerts raised (delivered or not).
	Evicted int64 `json:"evicted"`
	Alerts  int64 `json:"alerts"`
}

// Report returns the per-step MAE so far.
func (e *Evaluator) Report() EvalReport {
	e.vmu.Lock()
	defer e.vmu.Unlock()
	rep := EvalReport{All: e.total.report(), Evicted: e.evicted.Load(), Alerts: e.fired.Load()}
	for _, vs := range e.order {
		rep.Versions = append(rep.Versions, vs.report())
	}
	return rep
}

func (vs *versionStats) report() StepMAE {
	s := StepMAE{Model: vs.model, Version: vs.version, MAE: make([]float64, len(vs.abs)), N: append([]int64(nil), vs.n...)}
	for j, a := range vs.abs {
		if vs.n[j] > 0 {
			s.MAE[j] = a / float64(vs.n[j])
		}
	}
	return s
}
