package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/internal/testenv"
	"github.com/streamcast/streamcast/pipeline/devkafka"
	"github.com/streamcast/streamcast/sink"
)

// testRedisAddr is the shared real Redis of the test environment.
func testRedisAddr() string { return testenv.RedisAddr() }

type testEnv struct {
	t          *testing.T
	kafka      *devkafka.Cluster
	brokers    []string
	rdb        *redis.Client
	prefix     string
	group      string
	partitions int
}

const (
	tIn   = "obs"
	tOut  = "fc"
	tDLQ  = "obs.dlq"
	tLate = "obs.late"
)

// newTestEnv starts kfake with the test topics and connects to the real
// Redis (skipping the test if it is not reachable, failing it under
// STREAMCAST_REQUIRE_REDIS=1); keys are removed by prefix in Cleanup.
func newTestEnv(t *testing.T, partitions int) *testEnv {
	t.Helper()
	addr := testenv.Redis(t, testRedisAddr())
	kc, err := devkafka.Start(devkafka.Options{Partitions: partitions, Topics: []string{tIn, tOut, tDLQ, tLate}, MinSessionTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kc.Close)
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	e := &testEnv{t: t, kafka: kc, brokers: kc.Addrs(), rdb: redis.NewClient(&redis.Options{Addr: addr}),
		prefix: fmt.Sprintf("sctest-%s-%d", name, time.Now().UnixNano()), group: "g-" + name, partitions: partitions}
	t.Cleanup(func() {
		if _, err := deleteByPrefix(context.Background(), e.rdb, e.prefix+":"); err != nil {
			t.Logf("cleanup: %v", err)
		}
		e.rdb.Close()
	})
	return e
}

// config returns a pipeline config for the env with short group timeouts.
func (e *testEnv) config() Config {
	c := DefaultConfig()
	c.Brokers = e.brokers
	c.InputTopic, c.OutputTopic, c.DLQTopic = tIn, tOut, tDLQ
	c.Group = e.group
	c.Redis = []string{testRedisAddr()}
	c.KeyPrefix = e.prefix
	c.HTTP = ""
	c.Horizon = 4
	c.MaxBatch = 200
	c.SessionTimeout = 1500 * time.Millisecond
	c.HeartbeatInterval = 100 * time.Millisecond
	c.RebalanceTimeout = 2 * time.Second
	c.ShutdownTimeout = 15 * time.Second
	c.RetryMin = 20 * time.Millisecond
	c.RetryMax = 300 * time.Millisecond
	c.LogLevel = "warn"
	return c
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// instance is one running pipeline.
type instance struct {
	p      *Pipeline
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned; err holds its result
	err    error
	mu     sync.Mutex
	parts  map[int]int // partition → batches handled
	seen   int64       // messages fully handled
}

func (in *instance) onAck(r *BatchReport) {
	in.mu.Lock()
	in.parts[r.Partition]++
	in.seen += int64(len(r.Applied) + r.Duplicates + r.Late + r.DLQ)
	in.mu.Unlock()
}

func (in *instance) handled() int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.seen
}

func (in *instance) partitions() map[int]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	m := map[int]int{}
	for k, v := range in.parts {
		m[k] = v
	}
	return m
}

func (in *instance) resetPartitions() {
	in.mu.Lock()
	in.parts = map[int]int{}
	in.mu.Unlock()
}

// stop cancels the pipeline and returns Run's error.
func (in *instance) stop() error {
	in.cancel()
	select {
	case <-in.done:
		return in.err
	case <-time.After(30 * time.Second):
		return errors.New("pipeline did not stop within 30s")
	}
}

// start builds and runs a pipeline for cfg.
func (e *testEnv) start(cfg Config, o Options) *instance {
	e.t.Helper()
	in := &instance{parts: map[int]int{}, done: make(chan struct{})}
	if o.Log == nil {
		o.Log = testLogger(e.t)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewPedanticRegistry()
	}
	user := o.OnAck
	o.OnAck = func(r *BatchReport) {
		in.onAck(r)
		if user != nil {
			user(r)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	p, err := New(ctx, cfg, o)
	if err != nil {
		cancel()
		e.t.Fatalf("pipeline.New: %v", err)
	}
	in.p, in.cancel = p, cancel
	go func() { in.err = p.Run(ctx); close(in.done) }()
	e.t.Cleanup(func() { cancel(); <-in.done })
	return in
}

// obsValue is the deterministic value of series i at step k.
func obsValue(i, k int) float64 { return float64(i) + 10*math.Sin(float64(k)/3) }

var testT0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// observations returns steps × series events, step-major, with distinct
// values and hourly times.
func observations(series, fromStep, steps int) []kafka.Message {
	var msgs []kafka.Message
	for k := fromStep; k < fromStep+steps; k++ {
		for i := 0; i < series; i++ {
			s := fmt.Sprintf("s-%d", i)
			msgs = append(msgs, kafka.Message{Key: []byte(s), Value: EncodeEvent(nil, s, testT0.Add(time.Duration(k)*time.Hour), obsValue(i, k))})
		}
	}
	return msgs
}

func (e *testEnv) produce(msgs []kafka.Message) {
	e.t.Helper()
	if err := e.produceErr(msgs); err != nil {
		e.t.Fatal(err)
	}
}

// produceErr is produce for goroutines other than the test's.
func (e *testEnv) produceErr(msgs []kafka.Message) error {
	w := &kafka.Writer{Addr: kafka.TCP(e.brokers...), Topic: tIn, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchSize: 1000, BatchTimeout: time.Millisecond, Transport: &kafka.Transport{}}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	return nil
}

// readTopic reads every message currently in topic (all partitions).
func (e *testEnv) readTopic(topic string) []kafka.Message {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := kafka.DialContext(ctx, "tcp", e.brokers[0])
	if err != nil {
		e.t.Fatal(err)
	}
	parts, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		e.t.Fatal(err)
	}
	var out []kafka.Message
	for _, p := range parts {
		lc, err := kafka.DialLeader(ctx, "tcp", e.brokers[0], topic, p.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		last, err := lc.ReadLastOffset()
		lc.Close()
		if err != nil {
			e.t.Fatal(err)
		}
		if last == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: e.brokers, Topic: topic, Partition: p.ID, MaxWait: 50 * time.Millisecond, MaxBytes: 16 << 20})
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				r.Close()
				e.t.Fatalf("reading %s/%d: %v", topic, p.ID, err)
			}
			out = append(out, m)
			if m.Offset >= last-1 {
				break
			}
		}
		r.Close()
	}
	return out
}

// committed returns the group's committed offsets per partition of tIn.
func (e *testEnv) committed() map[int]int64 {
	e.t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(e.brokers...), Transport: &kafka.Transport{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	parts := make([]int, e.partitions)
	for i := range parts {
		parts[i] = i
	}
	resp, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: e.group, Topics: map[string][]int{tIn: parts}})
	if err != nil {
		e.t.Fatalf("offset fetch: %v", err)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[tIn] {
		out[p.Partition] = p.CommittedOffset
	}
	return out
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// decodeForecasts parses the output topic.
func decodeForecasts(t *testing.T, msgs []kafka.Message) []sink.Forecast {
	t.Helper()
	out := make([]sink.Forecast, len(msgs))
	for i, m := range msgs {
		if err := json.Unmarshal(m.Value, &out[i]); err != nil {
			t.Fatalf("forecast %d: %v: %s", i, err, m.Value)
		}
		if string(m.Key) != out[i].Series {
			t.Fatalf("forecast key %q != series %q", m.Key, out[i].Series)
		}
	}
	return out
}

// inputObservations decodes the input topic with source positions, as the
// pipeline saw them.
func inputObservations(t *testing.T, msgs []kafka.Message) []features.Observation {
	t.Helper()
	var out []features.Observation
	for _, m := range msgs {
		var v struct {
			Series string    `json:"series"`
			TS     time.Time `json:"ts"`
			Value  float64   `json:"value"`
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			continue // poison
		}
		out = append(out, features.Observation{Series: v.Series, TS: v.TS, Value: v.Value,
			Source: features.SourcePos{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}})
	}
	return out
}

// checkForecasts asserts that every observation has a forecast with its
// deterministic id and that duplicates are identical; it returns the
// number of duplicate copies.
func checkForecasts(t *testing.T, obs []features.Observation, fcs []sink.Forecast, model, version string) int {
	t.Helper()
	byID := map[string]sink.Forecast{}
	dups := 0
	for _, f := range fcs {
		if prev, ok := byID[f.ID]; ok {
			dups++
			if !sameForecast(prev, f) {
				t.Fatalf("duplicate forecast %s differs:\n%+v\n%+v", f.ID, prev, f)
			}
			continue
		}
		byID[f.ID] = f
	}
	for _, ob := range obs {
		id := sink.ForecastID(ob.Series, ob.TS.UTC(), model, version)
		if _, ok := byID[id]; !ok {
			t.Fatalf("no forecast for %s at %v (id %s); %d unique forecasts", ob.Series, ob.TS, id, len(byID))
		}
	}
	if len(byID) != len(obs) {
		t.Fatalf("%d unique forecasts for %d observations", len(byID), len(obs))
	}
	return dups
}

func sameForecast(a, b sink.Forecast) bool {
	if a.ID != b.ID || a.Series != b.Series || !a.OriginTS.Equal(b.OriginTS) || len(a.Horizon) != len(b.Horizon) {
		return false
	}
	for i := range a.Horizon {
		if !a.Horizon[i].TS.Equal(b.Horizon[i].TS) || a.Horizon[i].Mean != b.Horizon[i].Mean {
			return false
		}
	}
	return true
}

// checkState compares the Redis state of every series with an offline
// recomputation from all observations, exactly once.
func (e *testEnv) checkState(cfg Config, obs []features.Observation) {
	e.t.Helper()
	fcfg := featuresConfig(&cfg)
	want := features.Offline(fcfg, obs)
	store, err := features.NewStore(e.rdb, fcfg)
	if err != nil {
		e.t.Fatal(err)
	}
	names := make([]string, 0, len(want))
	for s := range want {
		names = append(names, s)
	}
	got, err := store.States(context.Background(), names)
	if err != nil {
		e.t.Fatal(err)
	}
	for i, s := range names {
		if got[i] == nil {
			e.t.Fatalf("series %s has no state", s)
		}
		if d := got[i].Diff(want[s]); d != "" {
			e.t.Fatalf("series %s: online state differs from offline recomputation: %s", s, d)
		}
	}
}
