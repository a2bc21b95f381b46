package pipeline

import (
	"math"
	"math/rand/v2"

	"github.com/streamcast/streamcast/sink"
	"slices"
	"sync"
	"time"
)

// RunStats accumulates what the demo and the benchmark report. It is fed by
// Handler.OnAck and is safe for concurrent use.
//
// Online MAE: when an observation of a series is applied, the 1-step-ahead
// forecast issued at that series' previous applied observation (step 1 of
// its horizon) is compared with the value that just arrived:
//
//	MAE = (1/M) Σ |y_t − ŷ_{t|t−1}|
//
// over the M observations that had a pending forecast. MAENaive is the same
// measure for the naive "last value" forecast, as a reference.
type RunStats struct {
	mu sync.Mutex

	start    time.Time
	firstAck time.Time // when the first batch was acknowledged
	applied  int64
	dup      int64
	late     int64
	dlq      int64
	fcs      int64
	lat      []float64 // seconds, all acknowledged applied events
	trainLat []float64 // with a retrainer: acknowledged while a training ran
	idleLat  []float64 // with a retrainer: acknowledged while none ran
	winLat   []float64 // since the last progress snapshot

	maxLat  int        // 0: keep every latency; else a uniform sample of this many
	latSeen int64      // latencies offered to the sample
	rng     *rand.Rand // the sample's seeded randomness

	pending   map[string]pending
	absErr    float64
	absNaive  float64
	scored    int64
	lastTotal int64
	lastAt    time.Time
}

type pending struct{ forecast, last float64 }

// NewRunStats starts the clock.
func NewRunStats() *RunStats {
	now := time.Now()
	return &RunStats{start: now, lastAt: now, pending: map[string]pending{}}
}

// NewBoundedRunStats is NewRunStats for long runs (`run --json`): the
// latency quantiles come from a uniform sample of at most maxLat
// latencies (seeded), and there is no per-second progress window.
func NewBoundedRunStats(maxLat int) *RunStats {
	s := NewRunStats()
	s.maxLat, s.rng = max(maxLat, 1), rand.New(rand.NewPCG(1, 2))
	return s
}

// OnAck is a Handler.OnAck callback.
func (s *RunStats) OnAck(r *BatchReport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.firstAck.IsZero() {
		s.firstAck = time.Now()
	}
	s.applied += int64(len(r.Applied))
	s.dup += int64(r.Duplicates)
	s.late += int64(r.Late)
	s.dlq += int64(r.DLQ)
	s.fcs += int64(len(r.Forecasts))
	if s.maxLat == 0 {
		s.lat = append(s.lat, r.Latencies...)
		s.winLat = append(s.winLat, r.Latencies...)
	} else {
		for _, l := range r.Latencies { // reservoir sample (Algorithm R)
			s.latSeen++
			if len(s.lat) < s.maxLat {
				s.lat = append(s.lat, l)
			} else if j := s.rng.Int64N(s.latSeen); j < int64(s.maxLat) {
				s.lat[j] = l
			}
		}
	}
	// Forecasts are in offset order; those of applied observations have
	// origin == the observation's time (re-issued ones for replays do not
	// match an applied observation and are skipped).
	k := 0
	for i := range r.Applied {
		ob := &r.Applied[i]
		if p, ok := s.pending[ob.Series]; ok {
			s.absErr += math.Abs(ob.Value - p.forecast)
			s.absNaive += math.Abs(ob.Value - p.last)
			s.scored++
		}
		for k < len(r.Forecasts) && !(r.Forecasts[k].Series == ob.Series && r.Forecasts[k].OriginTS.Equal(ob.TS)) {
			k++
		}
		if k < len(r.Forecasts) && len(r.Forecasts[k].Horizon) > 0 {
			s.pending[ob.Series] = pending{forecast: r.Forecasts[k].Horizon[0].Mean, last: ob.Value}
			k++
		}
	}
}

// OnAckRetraining is OnAck for an instance that retrains: the latencies
// are also split by whether a training was running when the batch was
// acknowledged.
func (s *RunStats) OnAckRetraining(r *BatchReport, training bool) {
	s.OnAck(r)
	s.mu.Lock()
	if training {
		s.trainLat = append(s.trainLat, r.Latencies...)
	} else {
		s.idleLat = append(s.idleLat, r.Latencies...)
	}
	s.mu.Unlock()
}

// Processed is the number of input messages fully handled (any result).
func (s *RunStats) Processed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied + s.dup + s.late + s.dlq
}

// Progress is one progress line's worth of numbers.
type Progress struct {
	Elapsed        time.Duration
	Processed      int64
	Rate           float64 // events/s since the previous snapshot
	Forecasts      int64
	P50, P99       float64 // ms, latencies since the previous snapshot
	MAE            float64
	DLQ, Late, Dup int64
}

// Snapshot returns progress since the previous Snapshot.
func (s *RunStats) Snapshot() Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	total := s.applied + s.dup + s.late + s.dlq
	p := Progress{Elapsed: now.Sub(s.start), Processed: total, Forecasts: s.fcs, DLQ: s.dlq, Late: s.late, Dup: s.dup}
	if dt := now.Sub(s.lastAt).Seconds(); dt > 0 {
		p.Rate = float64(total-s.lastTotal) / dt
	}
	p.P50, p.P99 = quantileMS(s.winLat, 0.5), quantileMS(s.winLat, 0.99)
	if s.scored > 0 {
		p.MAE = s.absErr / float64(s.scored)
	}
	s.winLat = s.winLat[:0]
	s.lastTotal, s.lastAt = total, now
	return p
}

// Summary is the final JSON summary (the last stdout line with --json).
type Summary struct {
	EventsIn      int64   `json:"events_in"`
	EventsApplied int64   `json:"events_applied"`
	EventsLate    int64   `json:"events_late"`
	EventsDup     int64   `json:"events_duplicate"`
	DLQ           int64   `json:"dlq"`
	ForecastsOut  int64   `json:"forecasts_out"`
	EventsPerS    float64 `json:"events_per_s"`
	// StartupS is the time from the start of the measured phase to the
	// first acknowledged batch: joining the consumer group, receiving the
	// partition assignment, the first fetch and the first batch. It is
	// part of Seconds and so of EventsPerS.
	StartupS float64 `json:"startup_s"`
	Latency  struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
		Max float64 `json:"max"`
	} `json:"latency_ms"`
	// LatencyTraining and LatencyIdle split the latencies of an instance
	// that retrains by whether a training was running when the events were
	// acknowledged (absent without retraining).
	LatencyTraining *LatencySplit `json:"latency_ms_training,omitempty"`
	LatencyIdle     *LatencySplit `json:"latency_ms_not_training,omitempty"`
	LatencyFrom     string        `json:"latency_from"`
	MAE             float64       `json:"online_mae"`
	MAENaive        float64       `json:"online_mae_naive"`
	MAEScored       int64         `json:"online_mae_n"`
	Model           string        `json:"model"`
	ModelVersion    string        `json:"model_version"`
	Horizon         int           `json:"horizon"`
	Series          int           `json:"series"`
	Partitions      int           `json:"partitions"`
	Dataset         string        `json:"dataset"`
	Redis           string        `json:"redis"`
	RatePerS        float64       `json:"rate_target"`
	Seconds         float64       `json:"seconds"`
	// Model lifecycle (issue 8): trainings, promotions and rejections of
	// this instance, registry versions hot-swapped into serving, the
	// progressive online MAE per step ahead (1 … horizon) over every model
	// version, and alert deliveries per destination.
	Retrains       int64                       `json:"retrains"`
	Promotions     int64                       `json:"promotions"`
	Rejections     int64                       `json:"rejections"`
	ModelSwaps     int64                       `json:"model_swaps"`
	OnlineMAESteps []float64                   `json:"online_mae_steps"`
	OnlineScored   int64                       `json:"online_scored"`
	OnlineVersions []VersionMAE                `json:"online_mae_versions,omitempty"`
	Alerts         map[string]sink.AlertCounts `json:"alerts,omitempty"`
}

// LatencySplit is the latency of a subset of the events, in ms.
type LatencySplit struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	N   int     `json:"n"`
}

// addLifecycle copies the lifecycle counters into the summary.
func (s *Summary) addLifecycle(l LifecycleStats) {
	s.Retrains, s.Promotions, s.Rejections, s.ModelSwaps = l.Retrains, l.Promotions, l.Rejections, l.Swaps
	s.OnlineMAESteps = l.Online.All.MAE
	for _, n := range l.Online.All.N {
		s.OnlineScored += n
	}
	s.Alerts = l.Alerts
	s.OnlineVersions = nil
	for _, v := range l.Online.Versions {
		var n int64
		for _, k := range v.N {
			n += k
		}
		s.OnlineVersions = append(s.OnlineVersions, VersionMAE{Version: v.Version, MAEStep1: v.MAE[0], N1: v.N[0], MAE: v.Mean(), N: n})
	}
}

// VersionMAE is the online MAE of one model version: at step 1 and over
// every step ahead.
type VersionMAE struct {
	Version  string  `json:"model_version"`
	MAEStep1 float64 `json:"mae_step1"`
	N1       int64   `json:"n_step1"`
	MAE      float64 `json:"mae"`
	N        int64   `json:"n"`
}

// Summary fills the counters, rates and latency quantiles; elapsed is the
// measured phase's duration.
func (s *RunStats) Summary(eventsIn int64, elapsed time.Duration) Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out Summary
	out.EventsIn = eventsIn
	out.EventsApplied, out.EventsLate, out.EventsDup, out.DLQ, out.ForecastsOut = s.applied, s.late, s.dup, s.dlq, s.fcs
	out.Seconds = elapsed.Seconds()
	if !s.firstAck.IsZero() {
		out.StartupS = s.firstAck.Sub(s.start).Seconds()
	}
	if out.Seconds > 0 {
		out.EventsPerS = float64(s.applied+s.dup+s.late+s.dlq) / out.Seconds
	}
	out.Latency.P50, out.Latency.P99 = quantileMS(s.lat, 0.5), quantileMS(s.lat, 0.99)
	out.Latency.Max = quantileMS(s.lat, 1)
	out.LatencyFrom = "kafka record timestamp (producer) to forecast acked by Kafka and Redis"
	if len(s.trainLat)+len(s.idleLat) > 0 {
		out.LatencyTraining = &LatencySplit{quantileMS(s.trainLat, 0.5), quantileMS(s.trainLat, 0.99), len(s.trainLat)}
		out.LatencyIdle = &LatencySplit{quantileMS(s.idleLat, 0.5), quantileMS(s.idleLat, 0.99), len(s.idleLat)}
	}
	if s.scored > 0 {
		out.MAE = s.absErr / float64(s.scored)
		out.MAENaive = s.absNaive / float64(s.scored)
	}
	out.MAEScored = s.scored
	return out
}

// quantileMS returns the q-quantile (nearest rank) of xs (seconds) in ms;
// xs is sorted in place on a copy.
func quantileMS(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	c := slices.Clone(xs)
	slices.Sort(c)
	i := int(math.Ceil(q*float64(len(c)))) - 1
	i = min(max(i, 0), len(c)-1)
	return c[i] * 1000
}
