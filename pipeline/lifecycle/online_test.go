package lifecycle

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/sink"
)

var t0 = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

type event struct {
	ob features.Observation
	fc sink.Forecast
}

// stream makes a seeded stream of nSeries hourly series with gaps: each
// observation comes with the forecast issued at it (random means), and the
// model version changes every 100 events.
func stream(seed uint64, nSeries, n, h int) []event {
	rng := rand.New(rand.NewPCG(seed, 1))
	next := make([]time.Time, nSeries)
	for i := range next {
		next[i] = t0
	}
	var out []event
	for i := range n {
		s := rng.IntN(nSeries)
		ts := next[s]
		next[s] = ts.Add(time.Duration(1+rng.IntN(3)/2) * time.Hour) // mostly hourly, some gaps
		name := fmt.Sprintf("s%d", s)
		f := sink.Forecast{Series: name, OriginTS: ts, Model: "mlp", ModelVersion: fmt.Sprintf("%d-v", 1+i/100), Horizon: make([]sink.Point, h)}
		for j := range f.Horizon {
			f.Horizon[j] = sink.Point{TS: ts.Add(time.Duration(j+1) * time.Hour), Mean: rng.NormFloat64() * 10}
		}
		out = append(out, event{features.Observation{Series: name, TS: ts, Value: rng.NormFloat64() * 10}, f})
	}
	return out
}

// offline recomputes per-version, per-step MAE from every forecast and
// observation, with no memory bound.
func offline(evs []event, h int) map[string]StepMAE {
	type key struct {
		series string
		ts     int64
	}
	obs := map[key]float64{}
	for _, e := range evs {
		obs[key{e.ob.Series, e.ob.TS.UnixNano()}] = e.ob.Value
	}
	out := map[string]StepMAE{}
	acc := func(v string, k int, abs float64) {
		s, ok := out[v]
		if !ok {
			s = StepMAE{Version: v, MAE: make([]float64, h), N: make([]int64, h)}
		}
		s.MAE[k-1] += abs
		s.N[k-1]++
		out[v] = s
	}
	for _, e := range evs {
		for k, p := range e.fc.Horizon {
			if y, ok := obs[key{e.fc.Series, p.TS.UnixNano()}]; ok {
				acc(e.fc.ModelVersion, k+1, math.Abs(y-p.Mean))
				acc("", k+1, math.Abs(y-p.Mean))
			}
		}
	}
	for v, s := range out {
		for j := range s.MAE {
			if s.N[j] > 0 {
				s.MAE[j] /= float64(s.N[j])
			}
		}
		out[v] = s
	}
	return out
}

func TestOnlineEqualsOfflineRecomputation(t *testing.T) {
	const h, nSeries = 6, 7
	evs := stream(3, nSeries, 600, h)
	reg := prometheus.NewRegistry()
	m, err := NewEvalMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEvaluator(EvalConfig{Horizon: h, Freq: time.Hour, MaxVersions: 100}, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Batches of up to 10 events, as partitions deliver them.
	for i := 0; i < len(evs); i += 10 {
		var obs []features.Observation
		var fcs []sink.Forecast
		for _, ev := range evs[i:min(i+10, len(evs))] {
			obs = append(obs, ev.ob)
			fcs = append(fcs, ev.fc)
		}
		e.ObserveBatch(obs, fcs)
	}
	want := offline(evs, h)
	rep := e.Report()
	check := func(name string, got, want StepMAE) {
		t.Helper()
		for j := range want.MAE {
			if got.N[j] != want.N[j] || math.Abs(got.MAE[j]-want.MAE[j]) > 1e-9*max(1, want.MAE[j]) {
				t.Errorf("%s step %d: online MAE %v over %d, offline %v over %d", name, j+1, got.MAE[j], got.N[j], want.MAE[j], want.N[j])
			}
		}
	}
	check("all", rep.All, want[""])
	if rep.All.N[0] < 300 || rep.All.N[h-1] < 100 {
		t.Fatalf("too few scores to mean anything: %v", rep.All.N)
	}
	if len(rep.Versions) != 6 {
		t.Fatalf("%d versions", len(rep.Versions))
	}
	for _, v := range rep.Versions {
		check(v.Version, v, want[v.Version])
	}
	// The metrics carry the same numbers, bucketed.
	v := rep.Versions[2]
	var sum float64
	var n int64
	for k := 4; k <= 6; k++ {
		sum += v.MAE[k-1] * float64(v.N[k-1])
		n += v.N[k-1]
	}
	if got := testutil.ToFloat64(m.Scored.WithLabelValues("4-6", v.Version)); got != float64(n) {
		t.Errorf("scored{4-6} = %v, want %d", got, n)
	}
	if got := testutil.ToFloat64(m.MAE.WithLabelValues("4-6", v.Version)); math.Abs(got-sum/float64(n)) > 1e-9 {
		t.Errorf("mae{4-6} = %v, want %v", got, sum/float64(n))
	}
}

func TestEvaluatorBoundsVersionLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, _ := NewEvalMetrics(reg)
	e, _ := NewEvaluator(EvalConfig{Horizon: 3, Freq: time.Hour, MaxVersions: 2}, m, nil)
	evs := stream(5, 3, 500, 3) // five versions
	for _, ev := range evs {
		e.ObserveBatch([]features.Observation{ev.ob}, []sink.Forecast{ev.fc})
	}
	if n := testutil.CollectAndCount(m.Scored); n > 2*3 {
		t.Fatalf("%d scored series for 2 versions × 3 buckets", n)
	}
	rep := e.Report()
	if len(rep.Versions) != 2 || rep.Versions[1].Version != "5-v" {
		t.Fatalf("versions %+v", rep.Versions)
	}
	want := offline(evs, 3)[""]
	if rep.All.N[0] != want.N[0] {
		t.Fatalf("all-version count %d, offline %d", rep.All.N[0], want.N[0])
	}
}

func TestEvaluatorBoundsSeries(t *testing.T) {
	e, _ := NewEvaluator(EvalConfig{Horizon: 2, Freq: time.Hour, MaxSeries: 32}, nil, nil)
	evs := stream(9, 200, 2000, 2)
	for _, ev := range evs {
		e.ObserveBatch([]features.Observation{ev.ob}, []sink.Forecast{ev.fc})
	}
	n := 0
	for i := range e.shards {
		n += len(e.shards[i].series)
	}
	if n > 32 || e.Report().Evicted == 0 {
		t.Fatalf("%d series kept, %d evicted", n, e.Report().Evicted)
	}
}

type recordAlerts struct {
	mu sync.Mutex
	a  []sink.Alert
}

func (r *recordAlerts) Fire(a sink.Alert) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.a = append(r.a, a)
	return true
}

func TestEvaluatorAlerts(t *testing.T) {
	rec := &recordAlerts{}
	iv := func(f *sink.Forecast, k int) (float64, float64, bool) {
		if f.Series == "noiv" {
			return 0, 0, false
		}
		m := f.Horizon[k-1].Mean
		return m - 1, m + 1, true
	}
	e, _ := NewEvaluator(EvalConfig{Horizon: 3, Freq: time.Hour, AlertThreshold: 5, Interval: iv}, nil, rec)
	fc := func(series string, origin time.Time, means ...float64) sink.Forecast {
		f := sink.Forecast{Series: series, OriginTS: origin, Model: "mlp", ModelVersion: "2-x"}
		for j, m := range means {
			f.Horizon = append(f.Horizon, sink.Point{TS: origin.Add(time.Duration(j+1) * time.Hour), Mean: m})
		}
		return f
	}
	ob := func(series string, ts time.Time, v float64) features.Observation {
		return features.Observation{Series: series, TS: ts, Value: v}
	}
	h1, h2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	e.ObserveBatch([]features.Observation{ob("a", t0, 0), ob("noiv", t0, 0)},
		[]sink.Forecast{fc("a", t0, 10, 20, 30), fc("noiv", t0, 10, 20, 30)})
	// a: inside [9, 11] → no alert; noiv: |13 − 10| = 3 <= 5 → none.
	e.ObserveBatch([]features.Observation{ob("a", h1, 10.5), ob("noiv", h1, 13)},
		[]sink.Forecast{fc("a", h1, 100, 0, 0), fc("noiv", h1, 100, 0, 0)})
	if len(rec.a) != 0 {
		t.Fatalf("alerts %+v", rec.a)
	}
	// At h2 the freshest forecast (issued at h1, step 1, mean 100) is the
	// reference: a at 97 is outside [99, 101]; noiv at 97 is within 5.
	e.ObserveBatch([]features.Observation{ob("a", h2, 97), ob("noiv", h2, 94)}, nil)
	if len(rec.a) != 2 {
		t.Fatalf("alerts %+v", rec.a)
	}
	a, b := rec.a[0], rec.a[1]
	if a.Series != "a" || a.Reason != sink.AlertOutsideInterval || a.Expected != 100 || a.Step != 1 ||
		a.Interval == nil || a.Interval.Lo != 99 || !a.Origin.Equal(h1) || a.ModelVersion != "2-x" || a.Observed != 97 {
		t.Errorf("interval alert %+v", a)
	}
	if b.Series != "noiv" || b.Reason != sink.AlertThreshold || b.Interval != nil || b.Threshold != 5 || b.Expected != 100 {
		t.Errorf("threshold alert %+v", b)
	}
}

// BenchmarkEvaluatorObserveBatch: the evaluator's cost per event in the
// pipeline's batch path (1,000 series, h = 24, batches of 200).
func BenchmarkEvaluatorObserveBatch(b *testing.B) {
	const h, nSeries, batch = 24, 1000, 200
	evs := stream(1, nSeries, 50_000, h)
	for i := range evs {
		evs[i].fc.ModelVersion = "1" // one version: the steady state
	}
	reg := prometheus.NewRegistry()
	m, _ := NewEvalMetrics(reg)
	e, _ := NewEvaluator(EvalConfig{Horizon: h, Freq: time.Hour}, m, nil)
	obs := make([]features.Observation, batch)
	fcs := make([]sink.Forecast, batch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		base := (i * batch) % (len(evs) - batch)
		for j := range batch {
			obs[j], fcs[j] = evs[base+j].ob, evs[base+j].fc
			// keep event times increasing across passes over the stream
			shift := time.Duration(i*batch/len(evs)) * 100000 * time.Hour
			obs[j].TS = obs[j].TS.Add(shift)
			fcs[j].OriginTS = fcs[j].OriginTS.Add(shift)
		}
		e.ObserveBatch(obs, fcs)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/event")
}
