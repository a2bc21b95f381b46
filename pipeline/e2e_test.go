package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
	"github.com/streamcast/streamcast/sink"
)

// TestEndToEnd: 6 partitions, 1,000 series; every observation is applied
// exactly once and forecast; the graceful stop commits everything; the
// HTTP endpoints serve health, readiness, metrics and the latest forecast.
func TestEndToEnd(t *testing.T) {
	const series, steps = 1000, 3
	e := newTestEnv(t, 6)
	cfg := e.config()
	cfg.HTTP = "127.0.0.1:0"
	reg := prometheus.NewPedanticRegistry()
	e.produce(observations(series, 0, steps))
	in := e.start(cfg, Options{Registry: reg})
	base := "http://" + in.p.HTTPAddr()

	waitFor(t, 60*time.Second, "all events handled", func() bool { return in.handled() >= series*steps })
	if code, body := httpGet(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %q while running", code, body)
	}
	if code, _ := httpGet(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	code, body := httpGet(t, base+"/v1/forecast/s-7")
	if code != http.StatusOK {
		t.Fatalf("/v1/forecast/s-7 = %d %s", code, body)
	}
	var latest sink.Forecast
	if err := json.Unmarshal([]byte(body), &latest); err != nil {
		t.Fatal(err)
	}
	lastTS := testT0.Add((steps - 1) * time.Hour)
	if !latest.OriginTS.Equal(lastTS) || len(latest.Horizon) != cfg.Horizon {
		t.Fatalf("latest forecast of s-7 has origin %v (want %v), %d steps", latest.OriginTS, lastTS, len(latest.Horizon))
	}
	// snaive with fewer than a season of values falls back to the last value.
	if got, want := latest.Horizon[0].Mean, obsValue(7, steps-1); got != want {
		t.Fatalf("s-7 step 1 forecast %v, want last value %v", got, want)
	}
	if !latest.Horizon[1].TS.Equal(lastTS.Add(2 * cfg.Freq)) {
		t.Fatalf("horizon step 2 at %v, want %v", latest.Horizon[1].TS, lastTS.Add(2*cfg.Freq))
	}
	_, metricsText := httpGet(t, base+"/metrics")
	for _, m := range []string{"streamcast_events_total", "streamcast_event_to_forecast_seconds_bucket", "streamcast_redis_roundtrip_seconds", "streamcast_forecasts_total", "streamcast_ready 1"} {
		if !strings.Contains(metricsText, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}

	if err := in.stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if ok := in.p.Ready(); ok {
		t.Fatal("ready after stop")
	}
	if got := testutil.ToFloat64(in.p.metrics.Events.WithLabelValues(ResultApplied)); got != series*steps {
		t.Fatalf("applied = %v, want %d", got, series*steps)
	}
	if got := testutil.ToFloat64(in.p.metrics.Forecasts); got != series*steps {
		t.Fatalf("forecasts = %v, want %d", got, series*steps)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "streamcast_") {
			t.Errorf("metric lint: %s: %s", p.Metric, p.Text)
		}
	}

	input := e.readTopic(tIn)
	obs := inputObservations(t, input)
	fcs := decodeForecasts(t, e.readTopic(tOut))
	if dups := checkForecasts(t, obs, fcs, in.p.Model().Name(), in.p.Model().Version()); dups != 0 {
		t.Fatalf("%d duplicate forecasts in a clean run", dups)
	}
	e.checkState(cfg, obs)
	assertCommittedAll(t, e, input)
}

// assertCommittedAll checks that the group committed the end of every
// partition of the input topic.
func assertCommittedAll(t *testing.T, e *testEnv, input []kafka.Message) {
	t.Helper()
	end := map[int]int64{}
	for _, m := range input {
		end[m.Partition] = max(end[m.Partition], m.Offset+1)
	}
	got := e.committed()
	for p, want := range end {
		if got[p] != want {
			t.Fatalf("partition %d: committed %d, want %d (all: %v)", p, got[p], want, got)
		}
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDeadLetter: every kind of bad message lands in the DLQ with its
// reason and source headers; the good messages around it are processed.
func TestDeadLetter(t *testing.T) {
	e := newTestEnv(t, 1)
	ts := func(k int) string { return testT0.Add(time.Duration(k) * time.Hour).Format(time.RFC3339) }
	good := func(k int) kafka.Message {
		return kafka.Message{Key: []byte("g"), Value: []byte(fmt.Sprintf(`{"series":"g","ts":%q,"value":%d}`, ts(k), k))}
	}
	bad := []struct {
		reason string
		msg    kafka.Message
	}{
		{ingest.ReasonNotJSON, kafka.Message{Value: []byte(`{"series":`)}},
		{ingest.ReasonMissingSeries, kafka.Message{Value: []byte(`{"ts":"2025-03-01T00:00:00Z","value":1}`)}},
		{ingest.ReasonMissingTS, kafka.Message{Value: []byte(`{"series":"b","value":1}`)}},
		{ingest.ReasonMissingValue, kafka.Message{Value: []byte(`{"series":"b","ts":"2025-03-01T00:00:00Z"}`)}},
		{ingest.ReasonValueNotNumber, kafka.Message{Value: []byte(`{"series":"b","ts":"2025-03-01T00:00:00Z","value":"high"}`)}},
		{ingest.ReasonNotFinite, kafka.Message{Value: []byte(`{"series":"b","ts":"2025-03-01T00:00:00Z","value":1e999}`)}},
		{ingest.ReasonBadTS, kafka.Message{Value: []byte(`{"series":"b","ts":"yesterday","value":1}`)}},
		{ingest.ReasonTSOutOfRange, kafka.Message{Value: []byte(`{"series":"b","ts":"1960-01-01T00:00:00Z","value":1}`)}},
		{ingest.ReasonKeyMismatch, kafka.Message{Key: []byte("other"), Value: []byte(`{"series":"b","ts":"2025-03-01T00:00:00Z","value":1}`)}},
		{ingest.ReasonOversized, kafka.Message{Value: []byte(`{"series":"b","ts":"2025-03-01T00:00:00Z","value":1,"pad":"` + strings.Repeat("x", ingest.DefaultMaxBytes) + `"}`)}},
	}
	var msgs []kafka.Message
	for i, b := range bad {
		msgs = append(msgs, good(2*i), b.msg, good(2*i+1))
	}
	e.produce(msgs)
	in := e.start(e.config(), Options{})
	waitFor(t, 30*time.Second, "all messages handled", func() bool { return in.handled() >= int64(len(msgs)) })
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	dlq := e.readTopic(tDLQ)
	if len(dlq) != len(bad) {
		t.Fatalf("%d DLQ messages, want %d", len(dlq), len(bad))
	}
	input := e.readTopic(tIn)
	for i, m := range dlq {
		h := headers(m)
		if h["streamcast-reason"] != bad[i].reason {
			t.Errorf("DLQ message %d: reason %q, want %q (detail %q)", i, h["streamcast-reason"], bad[i].reason, h["streamcast-detail"])
		}
		if h["streamcast-detail"] == "" {
			t.Errorf("DLQ message %d: empty detail", i)
		}
		src := input[3*i+1]
		if h["streamcast-source-topic"] != tIn || h["streamcast-source-offset"] != fmt.Sprint(src.Offset) || h["streamcast-source-partition"] != "0" {
			t.Errorf("DLQ message %d: source headers %v, want %s/0@%d", i, h, tIn, src.Offset)
		}
		if string(m.Value) != string(src.Value) || string(m.Key) != string(src.Key) {
			t.Errorf("DLQ message %d: original key/value not kept", i)
		}
	}
	if got := testutil.ToFloat64(in.p.metrics.DLQ.WithLabelValues(ingest.ReasonNotJSON)); got != 1 {
		t.Errorf("dlq{not_json} = %v", got)
	}
	obs := inputObservations(t, input)
	var goodObs = obs[:0]
	for _, o := range obs {
		if o.Series == "g" {
			goodObs = append(goodObs, o)
		}
	}
	if len(goodObs) != 2*len(bad) {
		t.Fatalf("%d good observations decoded", len(goodObs))
	}
	checkForecasts(t, goodObs, decodeForecasts(t, e.readTopic(tOut)), in.p.Model().Name(), in.p.Model().Version())
	e.checkState(e.config(), goodObs)
	assertCommittedAll(t, e, input)
}

func headers(m kafka.Message) map[string]string {
	h := map[string]string{}
	for _, x := range m.Headers {
		h[x.Key] = string(x.Value)
	}
	return h
}

// failingPublisher fails fatally from the n-th call on, after the state of
// the batch was written: a crash between state write and forecast publish.
type failingPublisher struct {
	Publisher
	calls, n int64
}

var errCrash = errors.New("simulated crash")

func (f *failingPublisher) Publish(ctx context.Context, fs []sink.Forecast) error {
	if atomic.AddInt64(&f.calls, 1) >= f.n {
		return errCrash
	}
	return f.Publisher.Publish(ctx, fs)
}

// TestCrashRestart: the first instance dies mid-stream between a state
// write and the forecast publish, without committing; a second instance of
// the same group finishes. The state equals an offline recomputation of all
// observations exactly once, no forecast is lost, and duplicates carry
// identical ids and content.
func TestCrashRestart(t *testing.T) {
	const series, steps = 60, 30
	e := newTestEnv(t, 3)
	cfg := e.config()
	cfg.MaxBatch = 50
	e.produce(observations(series, 0, steps))

	first := e.start(cfg, Options{Wrap: func(kind string, p Publisher) Publisher {
		if kind == "kafka" {
			return &failingPublisher{Publisher: p, n: 6}
		}
		return p
	}})
	select {
	case <-first.done:
		if !errors.Is(first.err, errCrash) {
			t.Fatalf("first instance ended with %v, want the simulated crash", first.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("first instance did not crash")
	}
	crashedAt := first.handled()
	if crashedAt >= series*steps {
		t.Fatalf("crash came too late (%d handled)", crashedAt)
	}

	second := e.start(cfg, Options{})
	waitFor(t, 60*time.Second, "remaining events handled", func() bool {
		c := e.committed()
		var sum int64
		for _, o := range c {
			sum += max(o, 0)
		}
		return sum >= series*steps
	})
	if err := second.stop(); err != nil {
		t.Fatal(err)
	}
	if d := testutil.ToFloat64(second.p.metrics.Events.WithLabelValues(ResultDuplicate)); d == 0 {
		t.Fatal("restart saw no duplicates: the crash did not leave written-but-uncommitted state")
	}
	input := e.readTopic(tIn)
	obs := inputObservations(t, input)
	dups := checkForecasts(t, obs, decodeForecasts(t, e.readTopic(tOut)), second.p.Model().Name(), second.p.Model().Version())
	t.Logf("crash after %d events; %d duplicate forecasts (identical)", crashedAt, dups)
	e.checkState(cfg, obs)
	assertCommittedAll(t, e, input)
}

// TestTwoInstances: two instances of one group split the partitions; when
// one leaves, the other takes over; nothing is lost.
func TestTwoInstances(t *testing.T) {
	const series = 120
	e := newTestEnv(t, 6)
	cfg := e.config()
	e.produce(observations(series, 0, 2))
	a := e.start(cfg, Options{})
	waitFor(t, 30*time.Second, "A handled the first part", func() bool { return a.handled() >= series*2 })
	b := e.start(cfg, Options{})
	waitFor(t, 30*time.Second, "B assigned", func() bool { return b.p.Ready() })
	// Let the rebalance settle: A must be ready again too.
	waitFor(t, 30*time.Second, "A ready after rebalance", func() bool { return a.p.Ready() })
	a.resetPartitions()
	for step := 2; step < 6; step++ {
		e.produce(observations(series, step, 1))
		time.Sleep(50 * time.Millisecond)
	}
	waitFor(t, 30*time.Second, "second part handled", func() bool { return a.handled()+b.handled() >= series*6 })
	pa, pb := a.partitions(), b.partitions()
	if len(pa) == 0 || len(pb) == 0 {
		t.Fatalf("partitions not split: A %v, B %v", pa, pb)
	}
	for p := range pa {
		if _, both := pb[p]; both {
			t.Fatalf("partition %d handled by both after the rebalance: A %v, B %v", p, pa, pb)
		}
	}
	if err := b.stop(); err != nil {
		t.Fatalf("B stop: %v", err)
	}
	a.resetPartitions()
	e.produce(observations(series, 6, 2))
	waitFor(t, 30*time.Second, "A took over", func() bool { return a.handled()+b.handled() >= series*8 })
	if pa := a.partitions(); len(pa) != 6 {
		t.Fatalf("after B left, A handled partitions %v, want all 6", pa)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	input := e.readTopic(tIn)
	obs := inputObservations(t, input)
	checkForecasts(t, obs, decodeForecasts(t, e.readTopic(tOut)), a.p.Model().Name(), a.p.Model().Version())
	e.checkState(cfg, obs)
	assertCommittedAll(t, e, input)
}

// TestGracefulShutdownCommits: stopping mid-stream commits exactly what was
// processed: the committed offsets cover every handled message and nothing
// more.
func TestGracefulShutdownCommits(t *testing.T) {
	const series = 50
	e := newTestEnv(t, 3)
	cfg := e.config()
	cfg.MaxBatch = 20
	in := e.start(cfg, Options{})
	stopProd := make(chan struct{})
	prodDone := make(chan struct{})
	go func() {
		defer close(prodDone)
		for step := 0; ; step++ {
			select {
			case <-stopProd:
				return
			default:
			}
			if err := e.produceErr(observations(series, step, 1)); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	waitFor(t, 30*time.Second, "some progress", func() bool { return in.handled() >= series*5 })
	if err := in.stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	close(stopProd)
	<-prodDone
	var sum int64
	for _, o := range e.committed() {
		sum += max(o, 0)
	}
	if sum != in.handled() {
		t.Fatalf("committed %d messages, handled %d", sum, in.handled())
	}
	// Resume: the rest is processed exactly once.
	in2 := e.start(cfg, Options{})
	input := e.readTopic(tIn)
	waitFor(t, 30*time.Second, "rest handled", func() bool { return in.handled()+in2.handled() >= int64(len(input)) })
	if err := in2.stop(); err != nil {
		t.Fatal(err)
	}
	if d := testutil.ToFloat64(in2.p.metrics.Events.WithLabelValues(ResultDuplicate)); d != 0 {
		t.Fatalf("%v duplicates after a graceful stop", d)
	}
	obs := inputObservations(t, input)
	checkForecasts(t, obs, decodeForecasts(t, e.readTopic(tOut)), in2.p.Model().Name(), in2.p.Model().Version())
	e.checkState(cfg, obs)
}

// TestLateSideOutput: with --late-topic, late events (event time not after
// the series' last applied one) land there with the original key and
// value and the DLQ's headers; they change no state and get no forecast,
// and every offset is committed.
func TestLateSideOutput(t *testing.T) {
	e := newTestEnv(t, 1)
	ev := func(k int, v float64) kafka.Message {
		ts := testT0.Add(time.Duration(k) * time.Hour).Format(time.RFC3339)
		return kafka.Message{Key: []byte("s"), Value: []byte(fmt.Sprintf(`{"series":"s","ts":%q,"value":%g}`, ts, v))}
	}
	msgs := []kafka.Message{ev(0, 1), ev(1, 2), ev(1, 99), ev(2, 3), ev(0, 98), ev(3, 4)}
	e.produce(msgs)
	cfg := e.config()
	cfg.LateTopic = tLate
	in := e.start(cfg, Options{})
	waitFor(t, 30*time.Second, "all messages handled", func() bool { return in.handled() >= int64(len(msgs)) })
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	input := e.readTopic(tIn)
	late := e.readTopic(tLate)
	if len(late) != 2 {
		t.Fatalf("%d late events, want 2", len(late))
	}
	for i, src := range []kafka.Message{input[2], input[4]} {
		h := headers(late[i])
		if h["streamcast-reason"] != ReasonLate || h["streamcast-source-offset"] != fmt.Sprint(src.Offset) || h["streamcast-source-topic"] != tIn || h["streamcast-detail"] == "" {
			t.Errorf("late event %d: headers %v", i, h)
		}
		if string(late[i].Value) != string(src.Value) || string(late[i].Key) != string(src.Key) {
			t.Errorf("late event %d: original key/value not kept", i)
		}
	}
	if dlq := e.readTopic(tDLQ); len(dlq) != 0 {
		t.Fatalf("%d DLQ messages, want 0", len(dlq))
	}
	obs := inputObservations(t, input)
	onTime := []features.Observation{obs[0], obs[1], obs[3], obs[5]}
	checkForecasts(t, onTime, decodeForecasts(t, e.readTopic(tOut)), in.p.Model().Name(), in.p.Model().Version())
	e.checkState(cfg, obs)
	assertCommittedAll(t, e, input)
}
