package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
	"github.com/streamcast/streamcast/sink"
)

// Publisher publishes forecasts and returns once they are acknowledged
// (satisfied by sink.KafkaSink and sink.RedisLatest).
type Publisher interface {
	Publish(ctx context.Context, fs []sink.Forecast) error
}

// DeadLetterSender sends rejected messages and returns once they are
// acknowledged (satisfied by ingest.DeadLetter).
type DeadLetterSender interface {
	Send(ctx context.Context, rs []ingest.Rejected) error
}

// ReasonInvalid is the DLQ reason for observations that decode but that the
// feature store refuses (see features.Observation.Validate).
const ReasonInvalid = "invalid"

// ReasonLate is the reason header of events sent to the late side output.
const ReasonLate = "late"

// DLQ reasons of events whose series cannot be handled; the batch goes on
// without them (one bad series never stops the process or its partition).
const (
	// ReasonCorruptState: the series' state in Redis is unreadable (corrupt
	// bytes, or a key of another Redis type).
	ReasonCorruptState = "corrupt_state"
	// ReasonStateMismatch: the series' state was written under another
	// layout, e.g. another --history (see the README).
	ReasonStateMismatch = "state_config_mismatch"
	// ReasonForecastFailed: the model returned an error for the series.
	ReasonForecastFailed = "forecast_failed"
	// ReasonForecastNotFinite: the model produced NaN or ±Inf for the
	// series. Its state update stands; the forecast is not published.
	ReasonForecastNotFinite = "forecast_not_finite"
)

// BatchReport describes one acknowledged batch; it is passed to
// Handler.OnAck (the demo uses it for progress, latency and online MAE).
// Its slices are only valid during the callback.
type BatchReport struct {
	Partition int
	// Applied are the observations that updated the state, in offset order.
	Applied []features.Observation
	// Forecasts are the forecasts published (including re-issued ones for
	// replayed events), in offset order.
	Forecasts []sink.Forecast
	// Latencies are the event→forecast-acked latencies of Applied, seconds.
	Latencies  []float64
	Duplicates int
	Late       int
	DLQ        int
}

// Handler is the pipeline's ingest.BatchHandler: decode → features.Store.Apply
// (one Redis round trip) → forecast → publish to Kafka and Redis and send
// rejects to the DLQ concurrently → return nil once everything is acked, so
// the source commits.
//
// Replays: an event that comes back as Duplicate (its offset is already in
// the state, i.e. a restart after the state write but before the commit)
// gets its forecast re-issued from the stored history as of that event, so
// a crash between the state write and the forecast publish loses no
// forecast; the re-issued forecast has the same deterministic id and the
// same content. Late events (event time not after the series' last one) are
// counted and skipped, without a forecast; a replayed event that was late
// the first time is late again (see features.State.FirstOutcome).
//
// Bad series: an event whose series' state is unusable (features.BadState,
// or unreadable when a replay reads it in full), for which the model fails
// or whose forecast is not finite goes to the DLQ with a reason
// (ReasonCorruptState, ReasonStateMismatch, ReasonForecastFailed,
// ReasonForecastNotFinite); the rest of the batch is handled as usual, so
// one bad series never stops the process or its partition.
type Handler struct {
	Codec   ingest.Codec
	Store   *features.Store
	Model   forecast.Forecaster
	Horizon int
	// Freq is the step between horizon timestamps.
	Freq time.Duration
	// Out publishes forecasts to Kafka, Latest writes them to Redis.
	Out, Latest Publisher
	DLQ         DeadLetterSender
	// Late, if set, receives late events (the lateness policy's side
	// output); without it they are only counted.
	Late    DeadLetterSender
	Metrics *Metrics
	Log     *slog.Logger
	// OnAck, if set, is called after each acknowledged batch (concurrently
	// for different partitions).
	OnAck func(*BatchReport)
	// Now is the clock (default time.Now).
	Now func() time.Time

	// observe, if set, sees every acknowledged batch before OnAck (the
	// model lifecycle: online evaluation, alerts, retraining counts).
	observe func(*BatchReport)

	pool sync.Pool
}

var _ ingest.BatchHandler = (*Handler)(nil)

// snapshotter is a model replaced while serving (lifecycle.Swap): the
// handler takes one snapshot per batch.
type snapshotter interface {
	Snapshot() forecast.Forecaster
}

type scratch struct {
	obs     []features.Observation
	msgIdx  []int // obs[i] came from Messages[msgIdx[i]]
	results []features.Result
	rejects []ingest.Rejected
	lates   []ingest.Rejected
	hist    [][]float64
	xhist   [][]float64 // per-step message variables of hist (features.Result.Exog)
	names   []string    // series of each forecast
	fcIdx   []int       // forecast k belongs to obs[fcIdx[k]]
	dst     []float64
	q       []float64   // quantiles (WindowForecaster models with intervals)
	last    []time.Time // event time of each forecast's newest value
	fcs     []sink.Forecast
	points  []sink.Point
	enc     sink.Encoder // JSON of fcs, shared by both publishers
	applied []features.Observation
	lat     []float64
	dupIdx  []int
	after   map[string]int // replay: series -> index of its last matched history record
	late    int            // late events, replayed ones included
	dups    int            // duplicates, without the replays found to be late
	fcErr   []error        // per-series model errors after a failed batch call
	// regressed counts applied events flagged OffsetRegressed
	regressed int
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// HandleBatch implements ingest.BatchHandler.
func (h *Handler) HandleBatch(ctx context.Context, b *ingest.Batch) error {
	s, _ := h.pool.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	defer h.pool.Put(s)
	h.Metrics.BatchSize.Observe(float64(len(b.Messages)))
	// One model for the whole batch: with a hot-swappable model (a
	// registry), a batch in flight during a swap finishes on the model it
	// started with, and its forecasts carry that model's name and version.
	model := h.Model
	if sn, ok := model.(snapshotter); ok {
		model = sn.Snapshot()
	}

	// 1. Decode; poison messages are collected for the DLQ.
	s.obs, s.msgIdx, s.rejects, s.lates = grow(s.obs, len(b.Messages))[:0], s.msgIdx[:0], s.rejects[:0], s.lates[:0]
	for i := range b.Messages {
		m := &b.Messages[i]
		s.obs = s.obs[:len(s.obs)+1]
		ob := &s.obs[len(s.obs)-1]
		err := ingest.DecodeMessage(h.Codec, m, ob)
		if err == nil {
			s.msgIdx = append(s.msgIdx, i)
			continue
		}
		s.obs = s.obs[:len(s.obs)-1]
		p, ok := ingest.AsPoison(err)
		if !ok {
			return fmt.Errorf("decode %s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
		}
		s.rejects = append(s.rejects, ingest.Rejected{Msg: *m, Reason: p.Reason, Detail: p.Detail})
	}

	// 2. Apply all good observations in one round trip.
	tail := min(model.InputSize(), h.Store.Config().History)
	tail = max(tail, 1)
	s.results = grow(s.results, len(s.obs))
	t0 := time.Now()
	if err := h.Store.Apply(ctx, s.obs, tail, s.results); err != nil {
		return h.classify("redis", "apply", err)
	}
	h.Metrics.RedisRTT.WithLabelValues("apply").Observe(time.Since(t0).Seconds())

	// 3. Collect histories of applied (and replayed) events.
	s.hist, s.xhist, s.fcIdx, s.dupIdx = s.hist[:0], s.xhist[:0], s.fcIdx[:0], s.dupIdx[:0]
	s.late, s.dups, s.regressed = 0, 0, 0
	for i := range s.obs {
		switch s.results[i].Status {
		case features.Applied:
			s.hist = append(s.hist, s.results[i].Tail)
			s.xhist = append(s.xhist, s.results[i].Exog)
			s.fcIdx = append(s.fcIdx, i)
			if s.results[i].OffsetRegressed {
				s.regressed++
				if s.regressed == 1 && h.Log != nil {
					h.Log.Warn("source offset went back with a newer event time: input topic recreated?",
						"topic", b.Topic, "partition", b.Partition, "offset", s.obs[i].Source.Offset, "series", s.obs[i].Series)
				}
			}
		case features.Duplicate:
			s.dupIdx = append(s.dupIdx, i)
		case features.Late:
			h.late(s, b, i, s.results[i].LastTS)
		case features.Invalid:
			m := &b.Messages[s.msgIdx[i]]
			err := s.obs[i].Validate()
			s.rejects = append(s.rejects, ingest.Rejected{Msg: *m, Reason: ReasonInvalid, Detail: truncate(errString(err), 200)})
		case features.BadState:
			h.badState(s, b, i, s.results[i].Err)
		}
	}
	replayed, err := h.replayHistories(ctx, s, b, tail)
	if err != nil {
		return err
	}
	if replayed > 0 {
		// Keep offset order so the latest-forecast store ends with the
		// newest forecast of each series.
		sortByIndex(s.fcIdx, s.hist, s.xhist)
	}

	// 4. Forecast (a series the model fails on goes to the DLQ).
	hz := h.Horizon
	n, levels := h.forecast(s, b, model, hz)
	nq := len(levels)
	s.applied = s.applied[:0]
	for _, i := range s.fcIdx {
		if s.results[i].Status == features.Applied {
			s.applied = append(s.applied, s.obs[i])
		}
	}
	if len(s.rejects) > 1 { // decoding, the store and the model reject in turn: restore offset order
		slices.SortStableFunc(s.rejects, func(a, b ingest.Rejected) int { return cmp.Compare(a.Msg.Offset, b.Msg.Offset) })
	}
	issued := h.now().UTC()
	s.fcs = grow(s.fcs, n)
	s.points = grow(s.points, n*hz)
	name, version := model.Name(), model.Version()
	for k, i := range s.fcIdx {
		ob := &s.obs[i]
		origin := ob.TS.UTC()
		pts := s.points[k*hz : (k+1)*hz : (k+1)*hz]
		for j := range pts {
			pts[j] = sink.Point{TS: origin.Add(time.Duration(j+1) * h.Freq), Mean: s.dst[k*hz+j]}
			if nq > 0 {
				o := (k*hz + j) * nq
				pts[j].Q = s.q[o : o+nq : o+nq]
			}
		}
		s.fcs[k] = sink.Forecast{
			ID: sink.ForecastID(ob.Series, origin, name, version), Series: ob.Series, OriginTS: origin,
			IssuedAt: issued, Model: name, ModelVersion: version, Horizon: pts, Quantiles: levels,
		}
	}

	// Encode once: both publishers send fcs[k].JSON.
	s.enc.Encode(s.fcs[:n])

	// 5. Publish forecasts (Kafka, Redis), rejects (DLQ) and late events
	// (side output) concurrently.
	if err := h.publish(ctx, s.fcs[:n], s.rejects, s.lates); err != nil {
		return err
	}

	// 6. Everything is acknowledged: account and let the source commit.
	ackAt := h.now()
	s.lat = s.lat[:0]
	for _, i := range s.fcIdx {
		m := &b.Messages[s.msgIdx[i]]
		if s.results[i].Status == features.Applied && !m.Time.IsZero() {
			l := max(ackAt.Sub(m.Time).Seconds(), 0)
			h.Metrics.Latency.Observe(l)
			s.lat = append(s.lat, l)
		}
	}
	h.Metrics.Events.WithLabelValues(ResultApplied).Add(float64(len(s.applied)))
	h.Metrics.Events.WithLabelValues(ResultDuplicate).Add(float64(s.dups))
	h.Metrics.Events.WithLabelValues(ResultLate).Add(float64(s.late))
	h.Metrics.Events.WithLabelValues(ResultDLQ).Add(float64(len(s.rejects)))
	h.Metrics.OffsetRegressions.Add(float64(s.regressed))
	for _, r := range s.rejects {
		h.Metrics.DLQ.WithLabelValues(r.Reason).Inc()
	}
	h.Metrics.Forecasts.Add(float64(n))
	h.Metrics.LastProcessed.Set(float64(ackAt.UnixNano()) / 1e9)
	if h.observe != nil || h.OnAck != nil {
		r := &BatchReport{Partition: b.Partition, Applied: s.applied, Forecasts: s.fcs[:n], Latencies: s.lat,
			Duplicates: s.dups, Late: s.late, DLQ: len(s.rejects)}
		if h.observe != nil {
			h.observe(r)
		}
		if h.OnAck != nil {
			h.OnAck(r)
		}
	}
	return nil
}

// forecast runs the model on s.hist into s.dst (rows of hz) and, for a
// WindowForecaster with quantiles, s.q (rows of hz·len(levels)); it returns
// the number of forecasts kept and the quantile levels. When the batch call
// fails, each series is forecast alone, and a series whose call fails or
// whose forecast (mean or quantile) is not finite goes to the DLQ; s.fcIdx,
// s.hist, s.dst and s.q are compacted to the kept ones, in order.
func (h *Handler) forecast(s *scratch, b *ingest.Batch, model forecast.Forecaster, hz int) (int, []float64) {
	n := len(s.hist)
	s.dst = grow(s.dst, n*hz)
	var levels []float64
	wf, windowed := model.(WindowForecaster)
	if windowed {
		levels = wf.Quantiles()
	}
	nq := len(levels)
	s.q = grow(s.q, n*hz*nq)
	if n == 0 {
		return 0, levels
	}
	var w forecast.Windows
	if windowed {
		s.last, s.names = grow(s.last, n), grow(s.names, n)
		for k, i := range s.fcIdx {
			s.last[k], s.names[k] = s.obs[i].TS, s.obs[i].Series
		}
		w = forecast.Windows{Values: s.hist, Last: s.last, Series: s.names}
		if names := h.Store.Config().StepExog; len(names) > 0 {
			w.Exog, w.ExogNames = s.xhist, names
		}
	}
	// run forecasts the series [lo, hi) of the batch.
	run := func(lo, hi int) error {
		if !windowed {
			return model.Forecast(s.dst[lo*hz:hi*hz], s.hist[lo:hi], hz)
		}
		var q []float64
		if nq > 0 {
			q = s.q[lo*hz*nq : hi*hz*nq]
		}
		sub := w.Slice(lo, hi)
		return wf.ForecastAt(s.dst[lo*hz:hi*hz], q, &sub, hz)
	}
	t1 := time.Now()
	batchErr := run(0, n)
	if batchErr != nil {
		s.fcErr = grow(s.fcErr, n)
		for k := range n {
			s.fcErr[k] = run(k, k+1)
		}
	}
	h.Metrics.ForecastTime.Observe(time.Since(t1).Seconds())
	kept := 0
	for k, i := range s.fcIdx {
		row := s.dst[k*hz : (k+1)*hz]
		qrow := s.q[k*hz*nq : (k+1)*hz*nq]
		reason, detail := "", ""
		if batchErr != nil && s.fcErr[k] != nil {
			reason, detail = ReasonForecastFailed, fmt.Sprintf("model %s: %v", model.Name(), s.fcErr[k])
		} else if j, v, ok := firstNonFinite(row); ok {
			reason, detail = ReasonForecastNotFinite, fmt.Sprintf("model %s: step %d of the forecast is %v", model.Name(), j+1, v)
		} else if j, v, ok := firstNonFinite(qrow); ok {
			reason, detail = ReasonForecastNotFinite, fmt.Sprintf("model %s: step %d quantile %v of the forecast is %v", model.Name(), j/nq+1, levels[j%nq], v)
		}
		if reason != "" {
			s.rejects = append(s.rejects, ingest.Rejected{Msg: b.Messages[s.msgIdx[i]], Reason: reason, Detail: truncate(detail, 200)})
			continue
		}
		if kept != k {
			s.fcIdx[kept], s.hist[kept], s.xhist[kept] = i, s.hist[k], s.xhist[k]
			copy(s.dst[kept*hz:(kept+1)*hz], row)
			copy(s.q[kept*hz*nq:(kept+1)*hz*nq], qrow)
		}
		kept++
	}
	if batchErr != nil {
		clear(s.fcErr)
	}
	s.fcIdx, s.hist, s.xhist = s.fcIdx[:kept], s.hist[:kept], s.xhist[:kept]
	return kept, levels
}

// firstNonFinite returns the index and value of the first NaN or ±Inf in xs.
func firstNonFinite(xs []float64) (int, float64, bool) {
	for j, v := range xs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return j, v, true
		}
	}
	return 0, 0, false
}

// badState sends obs[i], whose series' state is unusable (err), to the DLQ.
func (h *Handler) badState(s *scratch, b *ingest.Batch, i int, err error) {
	reason := ReasonCorruptState
	if errors.Is(err, features.ErrConfigMismatch) {
		reason = ReasonStateMismatch
	}
	s.rejects = append(s.rejects, ingest.Rejected{Msg: b.Messages[s.msgIdx[i]], Reason: reason, Detail: truncate(errString(err), 200)})
}

// late counts obs[i] as late and, with a side output, queues its message
// for it; lastTS is the series' last applied event time.
func (h *Handler) late(s *scratch, b *ingest.Batch, i int, lastTS time.Time) {
	s.late++
	if h.Late != nil {
		s.lates = append(s.lates, ingest.Rejected{Msg: b.Messages[s.msgIdx[i]], Reason: ReasonLate,
			Detail: fmt.Sprintf("event time %s is not after the series' last applied event time %s",
				s.obs[i].TS.UTC().Format(time.RFC3339Nano), lastTS.UTC().Format(time.RFC3339Nano))})
	}
}

// replayHistories resolves the Duplicate events (replays of offsets already
// in the state) with the stored state (one extra round trip, only when
// duplicates occur; see features.State.FirstOutcome): an event that was
// applied the first time gets its history as it was right after it, in
// s.hist/s.fcIdx, so its forecast is re-issued; an event that was late the
// first time is late again (counted, and sent to the side output: a first
// attempt that failed after its state write must not lose it); one older
// than the stored history stays a duplicate without a forecast. It returns
// the number of re-issued forecasts.
func (h *Handler) replayHistories(ctx context.Context, s *scratch, b *ingest.Batch, tail int) (int, error) {
	if len(s.dupIdx) == 0 {
		return 0, nil
	}
	names := make([]string, 0, len(s.dupIdx))
	pos := make(map[string]int, len(s.dupIdx))
	for _, i := range s.dupIdx {
		name := s.obs[i].Series
		if _, ok := pos[name]; !ok {
			pos[name] = len(names)
			names = append(names, name)
		}
	}
	t0 := time.Now()
	states, errs, err := h.Store.StatesPartial(ctx, names)
	if err != nil {
		return 0, h.classify("redis", "read state for replay", err)
	}
	h.Metrics.RedisRTT.WithLabelValues("state").Observe(time.Since(t0).Seconds())
	if s.after == nil {
		s.after = make(map[string]int)
	}
	clear(s.after)
	re := 0
	for _, i := range s.dupIdx { // offset order
		ob := &s.obs[i]
		if err := errs[pos[ob.Series]]; err != nil {
			h.badState(s, b, i, err)
			continue
		}
		st := states[pos[ob.Series]]
		if st == nil { // deleted since Apply: nothing to compare with
			s.dups++
			continue
		}
		after, ok := s.after[ob.Series]
		if !ok {
			after = -1
		}
		switch status, j := st.FirstOutcome(ob, after); status {
		case features.Applied:
			s.after[ob.Series] = j
			from := max(0, j+1-tail)
			s.hist = append(s.hist, st.Values[from:j+1])
			e := len(h.Store.Config().StepExog)
			s.xhist = append(s.xhist, st.ExogSteps[from*e:(j+1)*e])
			s.fcIdx = append(s.fcIdx, i)
			s.dups++
			re++
		case features.Late:
			h.late(s, b, i, st.LastTS)
		default:
			s.dups++
		}
	}
	if h.Late != nil {
		// Keep the side output in offset order.
		slices.SortStableFunc(s.lates, func(a, b ingest.Rejected) int { return cmp.Compare(a.Msg.Offset, b.Msg.Offset) })
	}
	return re, nil
}

// publish sends forecasts to both publishers, rejects to the DLQ and late
// events to the side output, in parallel, and waits for all
// acknowledgements.
func (h *Handler) publish(ctx context.Context, fcs []sink.Forecast, rejects, lates []ingest.Rejected) error {
	var wg sync.WaitGroup
	var errOut, errLatest, errDLQ, errLate error
	if len(lates) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.Now()
			if errLate = h.Late.Send(ctx, lates); errLate == nil {
				h.Metrics.PublishRTT.WithLabelValues("late").Observe(time.Since(t).Seconds())
			}
		}()
	}
	if len(fcs) > 0 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			t := time.Now()
			if errOut = h.Out.Publish(ctx, fcs); errOut == nil {
				h.Metrics.PublishRTT.WithLabelValues("forecasts").Observe(time.Since(t).Seconds())
			}
		}()
		go func() {
			defer wg.Done()
			t := time.Now()
			if errLatest = h.Latest.Publish(ctx, fcs); errLatest == nil {
				h.Metrics.RedisRTT.WithLabelValues("latest").Observe(time.Since(t).Seconds())
			}
		}()
	}
	if len(rejects) > 0 {
		t := time.Now()
		if errDLQ = h.DLQ.Send(ctx, rejects); errDLQ == nil {
			h.Metrics.PublishRTT.WithLabelValues("dlq").Observe(time.Since(t).Seconds())
		}
	}
	wg.Wait()
	if errLatest != nil {
		return h.classify("redis", "publish latest", errLatest)
	}
	if errOut != nil {
		return h.classify("kafka", "publish forecasts", errOut)
	}
	if errDLQ != nil {
		return h.classify("kafka", "send to DLQ", errDLQ)
	}
	if errLate != nil {
		return h.classify("kafka", "send late events", errLate)
	}
	return nil
}

// classify wraps err as transient (the source retries the batch with
// backoff and no commit) or returns it as fatal. Redis errors are transient
// when features.IsTransient says so (connection loss, timeouts, failover
// states); Kafka publish errors when the sink or the dead-letter sender
// marked them transient (they do so for everything but authorization,
// oversized records and other permanent broker errors). Cancellation is
// passed through unchanged.
func (h *Handler) classify(stage, op string, err error) error {
	err = fmt.Errorf("%s: %w", op, err)
	if errors.Is(err, context.Canceled) {
		return err
	}
	transient := ingest.IsTransient(err)
	if stage == "redis" {
		transient = transient || features.IsTransient(err)
	}
	if !transient {
		return err
	}
	h.Metrics.Retries.WithLabelValues(stage).Inc()
	if h.Log != nil {
		h.Log.Warn("transient failure, batch will be retried", "stage", stage, "err", err)
	}
	return ingest.Transient(err)
}

// sortByIndex sorts idx ascending, permuting hist and xhist alongside
// (insertion sort: the input is two ascending runs and replays are rare).
func sortByIndex(idx []int, hist, xhist [][]float64) {
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && idx[j-1] > idx[j]; j-- {
			idx[j-1], idx[j] = idx[j], idx[j-1]
			hist[j-1], hist[j] = hist[j], hist[j-1]
			xhist[j-1], xhist[j] = xhist[j], xhist[j-1]
		}
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func errString(err error) string {
	if err == nil {
		return "rejected by the feature store"
	}
	return err.Error()
}
