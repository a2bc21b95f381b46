package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
	"github.com/streamcast/streamcast/sink"
)

// recorder is an in-memory Publisher and DeadLetterSender.
type recorder struct {
	mu      sync.Mutex
	fcs     []sink.Forecast
	rejects []ingest.Rejected
	err     error
}

func (r *recorder) Publish(_ context.Context, fs []sink.Forecast) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	for _, f := range fs {
		f.Horizon = append([]sink.Point(nil), f.Horizon...) // the handler reuses its buffers
		r.fcs = append(r.fcs, f)
	}
	return nil
}

func (r *recorder) Send(_ context.Context, rs []ingest.Rejected) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejects = append(r.rejects, rs...)
	return r.err
}

func newTestHandler(t *testing.T) (*Handler, *recorder, *miniredis.Miniredis) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	cfg := DefaultConfig()
	cfg.History = 64
	store, err := features.NewStore(rdb, featuresConfig(&cfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	model, err := forecast.New("naive", forecast.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	h := &Handler{Codec: &ingest.JSONCodec{}, Store: store, Model: model, Horizon: 3, Freq: time.Hour,
		Out: rec, Latest: &recorder{}, DLQ: rec, Metrics: m, Now: func() time.Time { return time.Unix(1e9, 0) }}
	return h, rec, mr
}

func msg(off int64, series string, step int, v float64) kafka.Message {
	return kafka.Message{Topic: "in", Partition: 0, Offset: off, Key: []byte(series),
		Value: EncodeEvent(nil, series, testT0.Add(time.Duration(step)*time.Hour), v)}
}

// TestHandlerOutcomes: applied, late, poison and replayed messages in one
// partition, checked message by message.
func TestHandlerOutcomes(t *testing.T) {
	h, rec, _ := newTestHandler(t)
	ctx := context.Background()
	b1 := &ingest.Batch{Topic: "in", Partition: 0, Messages: []kafka.Message{
		msg(0, "a", 0, 1),
		msg(1, "a", 1, 2),
		{Topic: "in", Offset: 2, Value: []byte("garbage")},
		msg(3, "a", 1, 9), // late: same event time as offset 1
		msg(4, "b", 0, 5),
		msg(5, "a", 2, 3),
	}}
	if err := h.HandleBatch(ctx, b1); err != nil {
		t.Fatal(err)
	}
	if len(rec.fcs) != 4 || len(rec.rejects) != 1 || rec.rejects[0].Reason != ingest.ReasonNotJSON || rec.rejects[0].Msg.Offset != 2 {
		t.Fatalf("forecasts %d, rejects %+v", len(rec.fcs), rec.rejects)
	}
	for i, want := range []struct {
		series string
		step   int
		mean   float64
	}{{"a", 0, 1}, {"a", 1, 2}, {"b", 0, 5}, {"a", 2, 3}} {
		f := rec.fcs[i]
		origin := testT0.Add(time.Duration(want.step) * time.Hour)
		if f.Series != want.series || !f.OriginTS.Equal(origin) || f.Horizon[0].Mean != want.mean ||
			!f.Horizon[2].TS.Equal(origin.Add(3*time.Hour)) || f.ID != sink.ForecastID(want.series, origin, "naive", f.ModelVersion) {
			t.Fatalf("forecast %d = %+v, want %+v", i, f, want)
		}
	}
	if late := testutil.ToFloat64(h.Metrics.Events.WithLabelValues(ResultLate)); late != 1 {
		t.Fatalf("late = %v", late)
	}

	// Replay of the same batch (a crash before the commit): every applied
	// event is a duplicate and gets an identical forecast again; the late
	// one is late again and the poison one goes to the DLQ again.
	first := append([]sink.Forecast(nil), rec.fcs...)
	rec.fcs, rec.rejects = nil, nil
	if err := h.HandleBatch(ctx, b1); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(h.Metrics.Events.WithLabelValues(ResultDuplicate)); got != 4 {
		t.Fatalf("duplicates = %v, want 4 (the applied events)", got)
	}
	if got := testutil.ToFloat64(h.Metrics.Events.WithLabelValues(ResultLate)); got != 2 {
		t.Fatalf("late = %v, want 2 (the late event, twice)", got)
	}
	if len(rec.fcs) != len(first) {
		t.Fatalf("replay re-issued %d forecasts, want %d", len(rec.fcs), len(first))
	}
	for i := range first {
		if !sameForecast(first[i], rec.fcs[i]) {
			t.Fatalf("re-issued forecast %d differs:\n%+v\n%+v", i, first[i], rec.fcs[i])
		}
	}
}

// TestHandlerErrorClasses: Redis down and transient publish errors are
// retryable; other publish errors are fatal.
func TestHandlerErrorClasses(t *testing.T) {
	ctx := context.Background()
	batch := func(off int64) *ingest.Batch {
		return &ingest.Batch{Topic: "in", Messages: []kafka.Message{msg(off, "s", int(off), 1)}}
	}
	h, rec, mr := newTestHandler(t)
	rec.err = ingest.Transient(errors.New("broker away"))
	if err := h.HandleBatch(ctx, batch(0)); !ingest.IsTransient(err) {
		t.Fatalf("transient publish error: %v", err)
	}
	rec.err = errors.New("message too large")
	if err := h.HandleBatch(ctx, batch(1)); err == nil || ingest.IsTransient(err) {
		t.Fatalf("permanent publish error classified transient: %v", err)
	}
	rec.err = nil
	mr.Close()
	err := h.HandleBatch(ctx, batch(2))
	if !ingest.IsTransient(err) {
		t.Fatalf("redis down: %v", err)
	}
	if got := testutil.ToFloat64(h.Metrics.Retries.WithLabelValues("redis")); got != 1 {
		t.Fatalf("redis transient count %v", got)
	}
}

// TestHandlerLateSideOutput: with a side output, a late event goes there
// (original message, reason "late", a detail naming both event times) and
// is still counted as late; nothing else does.
func TestHandlerLateSideOutput(t *testing.T) {
	h, rec, _ := newTestHandler(t)
	side := &recorder{}
	h.Late = side
	b := &ingest.Batch{Topic: "in", Partition: 0, Messages: []kafka.Message{
		msg(0, "a", 0, 1),
		msg(1, "a", 2, 2),
		msg(2, "a", 1, 9), // late: before the event at step 2
		{Topic: "in", Offset: 3, Value: []byte("garbage")},
		msg(4, "a", 3, 3),
	}}
	if err := h.HandleBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if len(side.rejects) != 1 {
		t.Fatalf("side output got %d events, want 1", len(side.rejects))
	}
	r := side.rejects[0]
	if r.Reason != ReasonLate || r.Msg.Offset != 2 || string(r.Msg.Value) != string(b.Messages[2].Value) ||
		!strings.Contains(r.Detail, testT0.Add(time.Hour).Format(time.RFC3339)) || !strings.Contains(r.Detail, testT0.Add(2*time.Hour).Format(time.RFC3339)) {
		t.Fatalf("late side output %+v", r)
	}
	if len(rec.rejects) != 1 || rec.rejects[0].Msg.Offset != 3 {
		t.Fatalf("DLQ got %+v, want only the garbage message", rec.rejects)
	}
	if len(rec.fcs) != 3 {
		t.Fatalf("%d forecasts, want 3", len(rec.fcs))
	}
	if late := testutil.ToFloat64(h.Metrics.Events.WithLabelValues(ResultLate)); late != 1 {
		t.Fatalf("late = %v", late)
	}
	// A failing side output fails the batch (transient: retried, not committed).
	side.err = ingest.Transient(errors.New("broker away"))
	b2 := &ingest.Batch{Topic: "in", Partition: 0, Messages: []kafka.Message{msg(5, "a", 0, 1)}}
	if err := h.HandleBatch(context.Background(), b2); err == nil || !ingest.IsTransient(err) {
		t.Fatalf("failing side output: %v, want a transient error", err)
	}
}

// TestHandlerReplayedLateStillLate: a batch whose first attempt applied its
// events but failed before the acknowledgement (here the side output was
// away) is handled again; its late events now sit below the stored offset,
// yet they must still reach the late topic, while the events that were
// applied stay duplicates and get their forecasts re-issued. Two copies of
// one observation at different offsets were applied once (the first) and
// late once (the second), and stay so on the replay.
func TestHandlerReplayedLateStillLate(t *testing.T) {
	h, rec, _ := newTestHandler(t)
	side := &recorder{err: ingest.Transient(errors.New("broker away"))}
	h.Late = side
	ctx := context.Background()
	b := &ingest.Batch{Topic: "in", Partition: 0, Messages: []kafka.Message{
		msg(0, "a", 0, 1),
		msg(1, "a", 2, 2),
		msg(2, "a", 1, 9), // late: before the event at step 2
		msg(3, "a", 3, 3),
		msg(4, "a", 3, 3), // the same observation again: late
		msg(5, "b", 0, 4),
	}}
	if err := h.HandleBatch(ctx, b); !ingest.IsTransient(err) {
		t.Fatalf("first attempt: %v, want a transient error", err)
	}
	first := append([]sink.Forecast(nil), rec.fcs...)
	side.err, side.rejects, rec.fcs = nil, nil, nil
	if err := h.HandleBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	var lateOffs []int64
	for _, r := range side.rejects {
		if r.Reason != ReasonLate {
			t.Fatalf("side output reason %q", r.Reason)
		}
		lateOffs = append(lateOffs, r.Msg.Offset)
	}
	if len(lateOffs) != 2 || lateOffs[0] != 2 || lateOffs[1] != 4 {
		t.Fatalf("late side output got offsets %v, want [2 4]", lateOffs)
	}
	if got := testutil.ToFloat64(h.Metrics.Events.WithLabelValues(ResultLate)); got != 2 {
		t.Fatalf("late = %v, want 2", got)
	}
	if got := testutil.ToFloat64(h.Metrics.Events.WithLabelValues(ResultDuplicate)); got != 4 {
		t.Fatalf("duplicates = %v, want 4", got)
	}
	if len(first) != 4 || len(rec.fcs) != len(first) {
		t.Fatalf("forecasts: first attempt %d, replay %d, want 4 each", len(first), len(rec.fcs))
	}
	for i := range first {
		if !sameForecast(first[i], rec.fcs[i]) {
			t.Fatalf("re-issued forecast %d differs:\n%+v\n%+v", i, first[i], rec.fcs[i])
		}
	}
}

// TestHandlerOffsetRegression: after the input topic is recreated its
// offsets restart at 0; events with newer event times are applied and
// forecast (not dropped as duplicates) and counted in
// streamcast_offset_regressions_total, once per series that went back.
func TestHandlerOffsetRegression(t *testing.T) {
	h, rec, _ := newTestHandler(t)
	ctx := context.Background()
	old := &ingest.Batch{Topic: "in", Partition: 0, Messages: []kafka.Message{
		msg(10, "a", 0, 1), msg(11, "b", 0, 1), msg(12, "a", 1, 2),
	}}
	if err := h.HandleBatch(ctx, old); err != nil {
		t.Fatal(err)
	}
	recreated := &ingest.Batch{Topic: "in", Partition: 0, Messages: []kafka.Message{
		msg(0, "a", 5, 3), msg(1, "a", 6, 4), msg(2, "b", 0, 1), // b: time not newer, a replay
	}}
	if err := h.HandleBatch(ctx, recreated); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(h.Metrics.OffsetRegressions); got != 1 {
		t.Fatalf("offset regressions = %v, want 1", got)
	}
	if got := testutil.ToFloat64(h.Metrics.Events.WithLabelValues(ResultApplied)); got != 5 {
		t.Fatalf("applied = %v, want 5", got)
	}
	if n := len(rec.fcs); n != 6 { // 3 + 2 applied + b's re-issued forecast
		t.Fatalf("%d forecasts, want 6", n)
	}
}

// pickyModel is the naive forecast, except that a last value of 666 yields
// NaN and a last value of 13 fails the call.
type pickyModel struct{ forecast.Forecaster }

func (m pickyModel) Forecast(dst []float64, hist [][]float64, h int) error {
	for _, x := range hist {
		if x[len(x)-1] == 13 {
			return errors.New("unlucky series")
		}
	}
	if err := m.Forecaster.Forecast(dst, hist, h); err != nil {
		return err
	}
	for i, x := range hist {
		if x[len(x)-1] == 666 {
			dst[i*h] = math.NaN()
		}
	}
	return nil
}

// TestHandlerBadSeriesToDLQ: a series whose state is unusable (garbage
// bytes, another --history, a key of another type), a forecast that is not
// finite and a model failing on one series each send their events to the
// DLQ with a reason; the rest of the batch is forecast and the batch
// succeeds, so the partition moves on. A replay of the batch does the same.
func TestHandlerBadSeriesToDLQ(t *testing.T) {
	h, rec, mr := newTestHandler(t)
	h.Model = pickyModel{h.Model}
	ctx := context.Background()
	keys := func(s string) [2]string { return h.Store.Keys(s) }
	mr.Set(keys("garbage")[0], strings.Repeat("\xfe", 48+16*64))
	mr.HSet(keys("hash")[0], "a", "1")
	cfg := h.Store.Config()
	cfg.History = 32 // a deployment with another --history wrote this one
	other, err := features.NewStore(redis.NewClient(&redis.Options{Addr: mr.Addr()}), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Apply(ctx, []features.Observation{{Series: "resized", TS: testT0, Value: 1, Source: features.SourcePos{Offset: -1}}}, 1, make([]features.Result, 1)); err != nil {
		t.Fatal(err)
	}
	b := &ingest.Batch{Topic: "in", Partition: 0, Messages: []kafka.Message{
		msg(0, "ok", 0, 1),
		msg(1, "garbage", 0, 1),
		msg(2, "resized", 1, 1),
		msg(3, "hash", 0, 1),
		msg(4, "nan", 0, 666),
		msg(5, "unlucky", 0, 13),
		msg(6, "ok", 1, 2),
	}}
	want := map[int64]string{1: ReasonCorruptState, 2: ReasonStateMismatch, 3: ReasonCorruptState,
		4: ReasonForecastNotFinite, 5: ReasonForecastFailed}
	for attempt := range 2 {
		rec.fcs, rec.rejects = nil, nil
		if err := h.HandleBatch(ctx, b); err != nil {
			t.Fatalf("attempt %d: one bad series failed the batch: %v", attempt, err)
		}
		got := map[int64]string{}
		for _, r := range rec.rejects {
			got[r.Msg.Offset] = r.Reason
			if r.Detail == "" {
				t.Errorf("offset %d: no detail", r.Msg.Offset)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("attempt %d: DLQ %v, want %v", attempt, got, want)
		}
		for off, reason := range want {
			if got[off] != reason {
				t.Errorf("attempt %d: offset %d reason %q, want %q", attempt, off, got[off], reason)
			}
		}
		if len(rec.fcs) != 2 || rec.fcs[0].Series != "ok" || rec.fcs[1].Series != "ok" {
			t.Fatalf("attempt %d: forecasts %+v, want the two of ok", attempt, rec.fcs)
		}
	}
	if got := testutil.ToFloat64(h.Metrics.Events.WithLabelValues(ResultDLQ)); got != 10 {
		t.Fatalf("dlq events = %v, want 10", got)
	}
	if got := testutil.ToFloat64(h.Metrics.Events.WithLabelValues(ResultApplied)); got != 2 {
		t.Fatalf("applied events = %v, want 2", got)
	}

	// A replay that finds the series' state unreadable in full (its
	// exogenous hash is another type) sends the replayed events to the DLQ.
	mr.Set(keys("ok")[1], "not a hash")
	rec.fcs, rec.rejects = nil, nil
	if err := h.HandleBatch(ctx, &ingest.Batch{Topic: "in", Messages: b.Messages[:1]}); err != nil {
		t.Fatal(err)
	}
	if len(rec.rejects) != 1 || rec.rejects[0].Reason != ReasonCorruptState || len(rec.fcs) != 0 {
		t.Fatalf("replay over a corrupt hash: DLQ %+v, %d forecasts", rec.rejects, len(rec.fcs))
	}
}

// quantModel is the naive forecast with two quantiles (mean ± 1), NaN for a
// series whose last value is 777.
type quantModel struct{ forecast.Forecaster }

func (quantModel) Quantiles() []float64 { return []float64{0.1, 0.9} }

func (m quantModel) ForecastAt(dst, q []float64, w *forecast.Windows, h int) error {
	hist, last := w.Values, w.Last
	if len(last) != len(hist) || len(q) != 2*len(dst) || len(w.Series) != len(hist) {
		return fmt.Errorf("ForecastAt: %d histories, %d times, %d names, %d means, %d quantiles", len(hist), len(last), len(w.Series), len(dst), len(q))
	}
	if err := m.Forecast(dst, hist, h); err != nil {
		return err
	}
	for i, v := range dst {
		q[2*i], q[2*i+1] = v-1, v+1
		if hist[i/h][len(hist[i/h])-1] == 777 {
			q[2*i+1] = math.NaN()
		}
	}
	return nil
}

var _ WindowForecaster = quantModel{}

// TestHandlerNonFiniteQuantileToDLQ: a NaN quantile sends its event to the
// DLQ like a NaN mean; the other series keep their quantiles, in place.
func TestHandlerNonFiniteQuantileToDLQ(t *testing.T) {
	h, rec, _ := newTestHandler(t)
	h.Model = quantModel{h.Model}
	b := &ingest.Batch{Topic: "in", Partition: 0, Messages: []kafka.Message{
		msg(0, "bad", 0, 777), msg(1, "a", 0, 5), msg(2, "b", 0, 7),
	}}
	if err := h.HandleBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if len(rec.rejects) != 1 || rec.rejects[0].Reason != ReasonForecastNotFinite || rec.rejects[0].Msg.Offset != 0 ||
		!strings.Contains(rec.rejects[0].Detail, "quantile 0.9") {
		t.Fatalf("DLQ %+v", rec.rejects)
	}
	if len(rec.fcs) != 2 {
		t.Fatalf("%d forecasts, want 2", len(rec.fcs))
	}
	for i, want := range []float64{5, 7} {
		p := rec.fcs[i].Horizon[0]
		if p.Mean != want || len(p.Q) != 2 || p.Q[0] != want-1 || p.Q[1] != want+1 {
			t.Fatalf("forecast %d: %+v, want mean %v with quantiles ±1", i, p, want)
		}
	}
}
