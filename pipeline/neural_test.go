package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
	"github.com/streamcast/streamcast/engine/train"
	"github.com/streamcast/streamcast/features"
)

// testNetwork trains a small MLP with calendar and rolling inputs and an
// MQLoss on the test series' pattern and saves it.
func testNetwork(t *testing.T, L, H int, lc *loss.Config) (string, model.Model) {
	t.Helper()
	h := mlp.DefaultHyper(L, H)
	h.HiddenSize = 16
	h.ScalerType = "standard"
	h.FutrExog = []string{"hour_sin", "dow_cos"}
	h.HistExog = []string{"mean_6", "lag_2", "ewma_0.5"}
	h.Loss = lc
	m, err := mlp.New(h)
	if err != nil {
		t.Fatal(err)
	}
	var series []train.Series
	for i := range 3 {
		y := make([]float64, 200)
		times := make([]time.Time, len(y))
		for k := range y {
			y[k], times[k] = obsValue(i, k), testT0.Add(time.Duration(k)*time.Hour)
		}
		hist, futr, err := features.SeriesInputs(h.HistExog, h.FutrExog, y, times)
		if err != nil {
			t.Fatal(err)
		}
		series = append(series, train.Series{Y: y, Hist: hist, Futr: futr})
	}
	cfg := train.DefaultConfig()
	cfg.MaxSteps, cfg.WindowsBatchSize, cfg.StartPaddingEnabled = 50, 64, true
	if _, err := train.FitSeries(context.Background(), m, series, cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "net.scm")
	if err := model.Save(path, m, nil); err != nil {
		t.Fatal(err)
	}
	return path, m
}

type qForecast struct {
	ID           string `json:"id"`
	Series       string `json:"series"`
	OriginTS     time.Time
	Model        string `json:"model"`
	ModelVersion string `json:"model_version"`
	Horizon      []struct {
		TS   time.Time          `json:"ts"`
		Mean float64            `json:"mean"`
		Q    map[string]float64 `json:"q"`
	} `json:"horizon"`
}

// TestNeuralStreamEqualsOffline streams events through the real pipeline
// (kfake, redis-server) with a saved network that reads calendar and
// rolling inputs and forecasts quantiles, and recomputes every forecast
// offline from the whole series (features.SeriesInputs, as training does):
// means and quantiles must be identical, so the model sees exactly the
// inputs online that it was trained on offline.
func TestNeuralStreamEqualsOffline(t *testing.T) {
	const series, steps, L, H = 3, 60, 24, 4
	path, m := testNetwork(t, L, H, &loss.Config{Name: "MQLoss", Level: []float64{80}})
	e := newTestEnv(t, 3)
	cfg := e.config()
	cfg.Model, cfg.ModelFile = "neural", path
	cfg.History = 64 // input 24 + span 20 (ewma_0.5) − 1 = 43 values needed
	e.produce(observations(series, 0, steps))
	in := e.start(cfg, Options{})
	waitFor(t, 60*time.Second, "all events handled", func() bool { return in.handled() >= series*steps })
	if n := in.p.Model().Name(); n != "mlp" {
		t.Fatalf("serving %q", n)
	}

	c := m.Common()
	p := model.NewPredictor(m)
	qs := p.Quantiles()
	if len(qs) != 3 {
		t.Fatalf("quantiles %v", qs)
	}
	offline := map[string][]float32{} // id → H means then H×3 quantiles
	lastInputs := map[string]model.Batch{}
	for i := range series {
		n := steps + H
		y := make([]float64, n)
		times := make([]time.Time, n)
		for k := range y {
			y[k], times[k] = obsValue(i, k), testT0.Add(time.Duration(k)*time.Hour)
		}
		hist, futr, err := features.SeriesInputs(c.HistExog, c.FutrExog, y[:steps], times[:steps])
		if err != nil {
			t.Fatal(err)
		}
		_, futrAll, _ := features.SeriesInputs(nil, c.FutrExog, y, times)
		_ = futr
		for k := range steps { // forecast issued at step k
			b := model.Batch{B: 1, Y: make([]float32, L), YMask: make([]float32, L),
				Hist: make([]float32, L*len(hist)), Futr: make([]float32, (L+H)*len(futrAll))}
			model.FillWindow(b.Y, b.YMask, y[:k+1])
			for tt := range L + H {
				s := k - L + 1 + tt
				if s < 0 {
					continue
				}
				if tt < L {
					for v := range hist {
						b.Hist[tt*len(hist)+v] = float32(hist[v][s])
					}
				}
				for v := range futrAll {
					b.Futr[tt*len(futrAll)+v] = float32(futrAll[v][s])
				}
			}
			point, q := make([]float32, H), make([]float32, H*3)
			if err := p.PredictBatch(point, q, &b); err != nil {
				t.Fatal(err)
			}
			id := fmt.Sprintf("s-%d/%s/mlp@%s", i, times[k].Format(time.RFC3339Nano), in.p.Model().Version())
			offline[id] = append(point, q...)
			if k == steps-1 {
				lastInputs[fmt.Sprintf("s-%d", i)] = b
			}
		}
	}
	checkInputsIdentical(t, e, cfg, in.p.Model().(*Neural), lastInputs)
	msgs := e.readTopic(tOut)
	if len(msgs) != series*steps {
		t.Fatalf("%d forecasts for %d events", len(msgs), series*steps)
	}
	for _, msg := range msgs {
		var f qForecast
		if err := json.Unmarshal(msg.Value, &f); err != nil {
			t.Fatalf("%v: %s", err, msg.Value)
		}
		want, ok := offline[f.ID]
		if !ok {
			t.Fatalf("unexpected forecast %s", f.ID)
		}
		if f.Model != "mlp" || len(f.Horizon) != H {
			t.Fatalf("forecast %s: model %s, %d steps", f.ID, f.Model, len(f.Horizon))
		}
		// The stream predicts a batch of series in one pass, offline one
		// series at a time: matrix products of other shapes may round
		// differently in the last float32 bit.
		near := func(a float64, b float32) bool { return math.Abs(a-float64(b)) <= 1e-5*(1+math.Abs(a)) }
		for j, pt := range f.Horizon {
			if !near(pt.Mean, want[j]) {
				t.Fatalf("%s step %d: online mean %v, offline %v", f.ID, j+1, pt.Mean, want[j])
			}
			for k, level := range qs {
				key := strconv.FormatFloat(level, 'f', -1, 64)
				if got, ok := pt.Q[key]; !ok || !near(got, want[H+j*3+k]) {
					t.Fatalf("%s step %d quantile %s: online %v (present %v), offline %v; JSON %s", f.ID, j+1, key, got, ok, want[H+j*3+k], msg.Value)
				}
			}
		}
	}
}

// checkInputsIdentical rebuilds the stream's model inputs of every series
// from its Redis state and compares them bit for bit with the offline
// inputs of the same step.
func checkInputsIdentical(t *testing.T, e *testEnv, cfg Config, n *Neural, want map[string]model.Batch) {
	t.Helper()
	store, err := features.NewStore(e.rdb, featuresConfig(&cfg))
	if err != nil {
		t.Fatal(err)
	}
	for series, off := range want {
		st, err := store.State(context.Background(), series)
		if err != nil {
			t.Fatal(err)
		}
		hist := st.Values[max(0, len(st.Values)-n.InputSize()):]
		n.mu.Lock()
		on, err := n.fill(&forecast.Windows{Values: [][]float64{hist}, Last: []time.Time{st.LastTS}, Series: []string{series}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			what   string
			on, of []float32
		}{{"target window", on.Y, off.Y}, {"mask", on.YMask, off.YMask}, {"historical inputs", on.Hist, off.Hist}, {"future inputs", on.Futr, off.Futr}} {
			if len(c.on) != len(c.of) {
				t.Fatalf("%s %s: %d online values, %d offline", series, c.what, len(c.on), len(c.of))
			}
			for i := range c.on {
				if c.on[i] != c.of[i] {
					t.Fatalf("%s %s value %d: online %v offline %v", series, c.what, i, c.on[i], c.of[i])
				}
			}
		}
		n.mu.Unlock()
	}
}

func TestNeuralConfigErrors(t *testing.T) {
	path, _ := testNetwork(t, 8, 2, nil)
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"neural without a file", func(c *Config) { c.Model, c.ModelFile = "neural", "" }},
		{"kind without a file", func(c *Config) { c.Model, c.ModelFile = "mlp", "" }},
		{"file with a baseline", func(c *Config) { c.Model, c.ModelFile = "snaive", path }},
		{"missing file", func(c *Config) { c.Model, c.ModelFile = "neural", path+".missing" }},
	} {
		c := DefaultConfig()
		tc.mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	c := DefaultConfig()
	c.Model, c.ModelFile = "mlp", path
	if err := c.Validate(); err != nil {
		t.Fatalf("valid neural config: %v", err)
	}
	// wrong kind, too long a horizon, too short a history: start-up errors
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"other kind", func(c *Config) { c.Model = "nosuchkind" }},
		{"horizon", func(c *Config) { c.Model, c.Horizon = "neural", 3 }},
		{"history", func(c *Config) { c.Model, c.History = "neural", 20 }},
	} {
		c := DefaultConfig()
		c.ModelFile = path
		tc.mutate(&c)
		c.Brokers = []string{"127.0.0.1:1"}
		c.StartupTimeout = time.Second
		if _, err := New(context.Background(), c, Options{}); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
}
