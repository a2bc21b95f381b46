package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
	"github.com/streamcast/streamcast/engine/registry"
	"github.com/streamcast/streamcast/pipeline/lifecycle"
	"github.com/streamcast/streamcast/sink"
)

func TestMain(m *testing.M) {
	lifecycle.MaybeServeWorker() // --train-isolation process runs this test binary as the worker
	os.Exit(m.Run())
}

// untrainedNetwork saves a small MLP with calendar and rolling inputs and
// fresh weights: any training on the test series beats it.
func untrainedNetwork(t *testing.T, L, H int) string {
	t.Helper()
	h := mlp.DefaultHyper(L, H)
	h.HiddenSize, h.ScalerType = 16, "standard"
	h.FutrExog = []string{"hour_sin", "dow_cos"}
	h.HistExog = []string{"mean_6", "lag_2"}
	m, err := mlp.New(h)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "untrained.scm")
	if err := model.Save(path, m, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTwoInstancesRetrainSwapRollback runs two instances of one group on a
// registry seeded with an untrained network. One of them (whichever holds
// the lease) retrains in a child process after 300 observations; both hot-
// swap to the promoted version; every forecast carries the version whose
// weights produced it; a rollback brings both back.
func TestTwoInstancesRetrainSwapRollback(t *testing.T) {
	const series, L, H = 3, 12, 4
	e := newTestEnv(t, 4)
	cfg := e.config()
	cfg.Model, cfg.ModelFile, cfg.Horizon, cfg.History = "neural", untrainedNetwork(t, L, H), H, 64
	l := &cfg.Lifecycle
	l.Registry, l.RegistryPoll = "shared", 250*time.Millisecond
	l.RetrainAfter, l.RetrainMinInterval, l.RetrainSteps, l.LeaseTTL = 300, 100*time.Millisecond, 80, 2*time.Second
	l.TrainIsolation, l.TrainPriority = "process", "normal" // normal: a loaded CI machine cannot starve it
	cfgA, cfgB := cfg, cfg
	cfgA.Lifecycle.InstanceID, cfgB.Lifecycle.InstanceID = "a", "b"
	a := e.start(cfgA, Options{})
	b := e.start(cfgB, Options{})
	reg, err := registry.New(e.rdb, registry.Config{KeyPrefix: e.prefix, Name: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	m1, err := reg.Meta(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	v1 := m1.VersionString()
	for _, in := range []*instance{a, b} {
		if got := in.p.Model().Version(); got != v1 {
			t.Fatalf("serving %s at start, registry has %s", got, v1)
		}
	}
	handled := func() int64 { return a.handled() + b.handled() }

	// Phase 1: 100 steps of every series; the group becomes due at 300.
	e.produce(observations(series, 0, 100))
	waitFor(t, 60*time.Second, "phase 1 handled", func() bool { return handled() >= series*100 })
	waitFor(t, 60*time.Second, "a promotion", func() bool { cur, _ := reg.Current(context.Background()); return cur == 2 })
	m2, err := reg.Meta(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	v2 := m2.VersionString()
	if m2.Parent != 1 || m2.Scores == nil || !(m2.Scores.MAE < m2.Scores.ParentMAE) || m2.Trainer != "a" && m2.Trainer != "b" {
		t.Fatalf("version 2 meta %+v", m2)
	}
	waitFor(t, 10*time.Second, "both instances serve version 2", func() bool {
		return a.p.Model().Version() == v2 && b.p.Model().Version() == v2
	})
	la, lb := a.p.Lifecycle(), b.p.Lifecycle()
	if la.Retrains+lb.Retrains != 1 || la.Promotions+lb.Promotions != 1 || la.Swaps != 1 || lb.Swaps != 1 {
		t.Fatalf("lifecycle a %+v b %+v", la, lb)
	}

	// Phase 2: forecasts of new events come from version 2.
	e.produce(observations(series, 100, 10))
	waitFor(t, 30*time.Second, "phase 2 handled", func() bool { return handled() >= series*110 })

	// Rollback: both instances return to version 1 within seconds.
	if _, _, err := reg.Rollback(context.Background(), registry.Guard{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "both instances serve version 1 again", func() bool {
		return a.p.Model().Version() == v1 && b.p.Model().Version() == v1
	})
	e.produce(observations(series, 110, 10))
	waitFor(t, 30*time.Second, "phase 3 handled", func() bool { return handled() >= series*120 })

	// Every forecast equals the forecast of the version it names,
	// recomputed from the series history; phases 2 and 3 name 2 and 1.
	nets := map[string]*Neural{}
	for v, ver := range map[int64]string{1: v1, 2: v2} {
		ld, _, err := reg.Load(context.Background(), v)
		if err != nil {
			t.Fatal(err)
		}
		if nets[ver], err = NewNeural(ld.Model, ver, cfg.Freq, NeuralInputs{}); err != nil {
			t.Fatal(err)
		}
	}
	count := map[string]int{}
	for _, f := range decodeForecasts(t, e.readTopic(tOut)) {
		n, ok := nets[f.ModelVersion]
		if !ok || f.Model != "mlp" || f.ID != sink.ForecastID(f.Series, f.OriginTS, f.Model, f.ModelVersion) {
			t.Fatalf("forecast %s: model %s version %s", f.ID, f.Model, f.ModelVersion)
		}
		k := int(f.OriginTS.Sub(testT0) / time.Hour)
		var i int
		fmt.Sscanf(f.Series, "s-%d", &i)
		switch {
		case k >= 100 && k < 110 && f.ModelVersion != v2:
			t.Fatalf("phase 2 forecast %s not from version 2", f.ID)
		case k >= 110 && f.ModelVersion != v1:
			t.Fatalf("forecast %s after the rollback not from version 1", f.ID)
		}
		hist := make([]float64, 0, k+1)
		for s := max(0, k+1-n.InputSize()); s <= k; s++ {
			hist = append(hist, obsValue(i, s))
		}
		want := make([]float64, H)
		if err := n.ForecastAt(want, nil, &forecast.Windows{Values: [][]float64{hist}, Last: []time.Time{f.OriginTS}}, H); err != nil {
			t.Fatal(err)
		}
		for j, p := range f.Horizon {
			if math.Abs(p.Mean-want[j]) > 1e-5*(1+math.Abs(want[j])) {
				t.Fatalf("%s step %d: %v, version %s gives %v", f.ID, j+1, p.Mean, f.ModelVersion, want[j])
			}
		}
		count[f.ModelVersion]++
	}
	if count[v1] < series*10 || count[v2] < series*10 || count[v1]+count[v2] < series*120 {
		t.Fatalf("forecasts per version %v", count)
	}
	checkConsistentRegistry(t, reg)
}

func checkConsistentRegistry(t *testing.T, reg *registry.Registry) {
	t.Helper()
	ls, err := reg.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.History) == 0 || ls.History[len(ls.History)-1] != ls.Current {
		t.Fatalf("registry: current %d history %v", ls.Current, ls.History)
	}
	for _, m := range ls.Versions {
		if _, _, err := reg.Load(context.Background(), m.Version); err != nil {
			t.Fatalf("version %d: %v", m.Version, err)
		}
	}
}

// TestAlertsWebhookDownAndOnlineEvaluation: with a webhook that fails,
// the stream goes on, failed deliveries are retried and counted; once it
// recovers alerts arrive with their payload. The online per-step MAE
// equals an offline recomputation from the published forecasts and the
// observations.
func TestAlertsWebhookDownAndOnlineEvaluation(t *testing.T) {
	const series = 3
	var down atomic.Bool
	down.Store(true)
	var mu sync.Mutex
	var got []sink.Alert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var a sink.Alert
		if err := json.Unmarshal(b, &a); err != nil {
			t.Errorf("alert %s: %v", b, err)
		}
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
	}))
	defer srv.Close()
	e := newTestEnv(t, 2)
	cfg := e.config()
	cfg.Model, cfg.Season, cfg.Horizon = "snaive", 6, 4
	l := &cfg.Lifecycle
	l.AlertWebhook, l.AlertThreshold, l.AlertQueue, l.AlertAttempts = srv.URL, 1.5, 4, 2
	reg := prometheus.NewPedanticRegistry()
	in := e.start(cfg, Options{Registry: reg})

	e.produce(observations(series, 0, 40))
	waitFor(t, 30*time.Second, "phase 1 handled", func() bool { return in.handled() >= series*40 })
	waitFor(t, 10*time.Second, "queued alerts to fail", func() bool {
		c := in.p.Lifecycle().Alerts["webhook"]
		return c.Failed > 0 && c.Failed+c.Dropped >= in.p.Lifecycle().Online.Alerts
	})
	c := in.p.Lifecycle().Alerts["webhook"]
	if c.Sent != 0 || c.Retries < c.Failed || c.Dropped == 0 {
		t.Fatalf("webhook down: %+v (alerts raised %d)", c, in.p.Lifecycle().Online.Alerts)
	}
	if v := metricValue(t, reg, "streamcast_alerts_total", "failed", "webhook"); v != float64(c.Failed) {
		t.Fatalf("failed metric %v, counts %+v", v, c)
	}

	down.Store(false)
	e.produce(observations(series, 40, 20))
	waitFor(t, 30*time.Second, "phase 2 handled", func() bool { return in.handled() >= series*60 })
	waitFor(t, 10*time.Second, "alerts delivered", func() bool { return in.p.Lifecycle().Alerts["webhook"].Sent > 0 })
	mu.Lock()
	a := got[0]
	mu.Unlock()
	if a.Reason != sink.AlertThreshold || a.Threshold != 1.5 || math.Abs(a.Observed-a.Expected) <= 1.5 || a.Model != "snaive" ||
		a.ModelVersion != "1-m6" || a.Step != 1 || !a.Origin.Equal(a.TS.Add(-time.Hour)) {
		t.Fatalf("alert %+v", a)
	}
	var i int
	fmt.Sscanf(a.Series, "s-%d", &i)
	if k := int(a.TS.Sub(testT0) / time.Hour); obsValue(i, k) != a.Observed || k < 40 {
		t.Fatalf("alert %+v: observed value of step %d is %v", a, k, obsValue(i, k))
	}

	// Online evaluation = offline recomputation over the same forecasts.
	fcs := decodeForecasts(t, e.readTopic(tOut))
	obs := map[string]float64{}
	for i := range series {
		for k := range 60 {
			obs[fmt.Sprintf("s-%d@%d", i, k)] = obsValue(i, k)
		}
	}
	abs, n := make([]float64, 4), make([]int64, 4)
	for _, f := range fcs {
		for j, p := range f.Horizon {
			k := int(p.TS.Sub(testT0) / time.Hour)
			if y, ok := obs[fmt.Sprintf("%s@%d", f.Series, k)]; ok {
				abs[j] += math.Abs(y - p.Mean)
				n[j]++
			}
		}
	}
	rep := in.p.Lifecycle().Online.All
	for j := range abs {
		if rep.N[j] != n[j] || math.Abs(rep.MAE[j]-abs[j]/float64(n[j])) > 1e-9 {
			t.Fatalf("step %d: online MAE %v over %d, offline %v over %d", j+1, rep.MAE[j], rep.N[j], abs[j]/float64(n[j]), n[j])
		}
	}
	if n[3] < series*50 {
		t.Fatalf("only %v scored", n)
	}
	// The metrics carry the same, bucketed by step ahead.
	if v := metricValue(t, reg, "streamcast_online_scored_total", "1-m6", "4-6"); v != float64(n[3]) {
		t.Fatalf("scored{4-6} = %v, want %d", v, n[3])
	}
}

// metricValue returns the counter name{labels...} of reg (label values in
// the order of the metric's label names).
func metricValue(t *testing.T, reg *prometheus.Registry, name string, values ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			ok := len(m.GetLabel()) == len(values)
			for i, lp := range m.GetLabel() {
				ok = ok && lp.GetValue() == values[i]
			}
			if ok {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no metric %s%v", name, values)
	return 0
}

func TestLifecycleConfigErrors(t *testing.T) {
	path := untrainedNetwork(t, 8, 2)
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"retrain without registry", func(c *Config) { c.Model, c.ModelFile, c.Lifecycle.RetrainEvery = "neural", path, time.Minute }},
		{"registry with a baseline", func(c *Config) { c.Lifecycle.Registry = "r" }},
		{"bad isolation", func(c *Config) { c.Lifecycle.TrainIsolation = "thread" }},
		{"bad metric", func(c *Config) { c.Lifecycle.PromoteMetric = "mse" }},
		{"margin", func(c *Config) { c.Lifecycle.PromoteMargin = 1 }},
		{"drift ratio", func(c *Config) { c.Lifecycle.RetrainDrift = 0.5 }},
		{"webhook", func(c *Config) { c.Lifecycle.AlertWebhook = "ftp://x" }},
		{"alert topic", func(c *Config) { c.Lifecycle.AlertTopic = c.InputTopic }},
		{"threads", func(c *Config) { c.Lifecycle.TrainThreads = 0 }},
	} {
		c := DefaultConfig()
		tc.mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	c := DefaultConfig()
	c.Model, c.Lifecycle.Registry, c.Lifecycle.RetrainEvery = "mlp", "r", time.Minute // no file: served from the registry
	if err := c.Validate(); err != nil {
		t.Fatalf("registry without a file: %v", err)
	}
}

// An empty registry without --model-file is a start-up error.
func TestRegistryEmptyIsAnError(t *testing.T) {
	e := newTestEnv(t, 1)
	cfg := e.config()
	cfg.Model, cfg.Lifecycle.Registry = "neural", "empty"
	if _, err := New(context.Background(), cfg, Options{Log: testLogger(t)}); err == nil {
		t.Fatal("New succeeded on an empty registry")
	}
}

// registerLifecycleMetrics registers every lifecycle metric on reg (for
// the deploy consistency test).
func registerLifecycleMetrics(reg prometheus.Registerer) error {
	if _, err := lifecycle.NewEvalMetrics(reg); err != nil {
		return err
	}
	if _, err := lifecycle.NewRetrainMetrics(reg); err != nil {
		return err
	}
	if _, err := sink.NewAlertMetrics(reg); err != nil {
		return err
	}
	_, err := registerRegistryMetrics(reg, func() float64 { return 0 })
	return err
}
