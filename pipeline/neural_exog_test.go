package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
	"github.com/streamcast/streamcast/engine/models/nbeatsx"
	"github.com/streamcast/streamcast/engine/models/nhits"
	"github.com/streamcast/streamcast/engine/train"
	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
)

// exogTemp is the message variable "temp" of series i at step k; NaN
// marks the steps whose event does not carry it.
func exogTemp(i, k int) float64 {
	if k%7 == 3 {
		return math.NaN()
	}
	return math.Cos(float64(k)/5) + float64(i)/2
}

// exogValue is the value of series i at step k: it depends on the
// message variable and the static size, so the network has a reason to
// read both.
func exogValue(i, k int) float64 {
	t := exogTemp(i, k)
	if math.IsNaN(t) {
		t = exogTemp(i, k-1)
	}
	return float64(i+1)*2 + 3*t + math.Sin(float64(k)/4)
}

var exogSize = []float64{1, 2, 3} // static attribute of s-0..s-2; s-3 has no row

// exogEvents returns steps × series events carrying "temp" (absent on
// the NaN steps, null on every 11th step) and an unlisted variable.
func exogEvents(series, steps int) []kafka.Message {
	var msgs []kafka.Message
	for k := range steps {
		for i := range series {
			s := fmt.Sprintf("s-%d", i)
			ts := testT0.Add(time.Duration(k) * time.Hour).Format(time.RFC3339)
			ex := fmt.Sprintf(`{"temp":%s,"other":%d}`, strconv.FormatFloat(exogTemp(i, k), 'g', -1, 64), k)
			switch {
			case math.IsNaN(exogTemp(i, k)) && k%2 == 0:
				ex = fmt.Sprintf(`{"other":%d}`, k)
			case math.IsNaN(exogTemp(i, k)):
				ex = fmt.Sprintf(`{"temp":null,"other":%d}`, k)
			}
			v := fmt.Sprintf(`{"series":%q,"ts":%q,"value":%s,"exog":%s}`, s, ts, strconv.FormatFloat(exogValue(i, k), 'g', -1, 64), ex)
			msgs = append(msgs, kafka.Message{Key: []byte(s), Value: []byte(v)})
		}
	}
	return msgs
}

// exogInputs returns series i's training inputs over steps [0, n): the
// message variable as the stream reads it (features.StepExogColumn), a
// derived feature, a calendar feature and the static size.
func exogInputs(t *testing.T, c model.Common, i, n int) train.Series {
	t.Helper()
	y := make([]float64, n)
	times := make([]time.Time, n)
	rows := make([]float64, n)
	for k := range n {
		y[k], times[k], rows[k] = exogValue(i, k), testT0.Add(time.Duration(k)*time.Hour), exogTemp(i, k)
	}
	hist, futr, err := features.SeriesInputs(c.HistExog[1:], c.FutrExog, y, times)
	if err != nil {
		t.Fatal(err)
	}
	temp := features.StepExogColumn(nil, rows, 1, 0)
	s := train.Series{Y: y, Hist: append([][]float64{temp}, hist...), Futr: futr}
	if i < len(exogSize) {
		s.Stat = []float64{exogSize[i]}
	}
	return s
}

// TestNeuralStreamExogAndStatic streams events whose "exog" object carries
// a variable kept per step (--step-exog) to a network that reads it as a
// historical input, next to a derived feature, a calendar feature and a
// static attribute from --static-file, and recomputes every forecast
// offline from the same inputs: they must agree. A series without a
// static row goes to the DLQ with the reason; nothing else is lost.
func TestNeuralStreamExogAndStatic(t *testing.T) {
	for _, kind := range []string{"mlp", "nhits", "nbeatsx"} {
		t.Run(kind, func(t *testing.T) { testNeuralStreamExogAndStatic(t, kind) })
	}
}

// exogNetwork returns a small untrained network of kind with the test's
// inputs: the message variable "temp", a derived mean, a calendar feature
// and the static "size".
func exogNetwork(t *testing.T, kind string, L, H int) model.Model {
	t.Helper()
	c := model.Common{InputSize: L, H: H, ScalerType: "standard",
		HistExog: []string{"temp", "mean_4"}, FutrExog: []string{"hour_cos"}, StatExog: []string{"size"}}
	var m model.Model
	var err error
	switch kind {
	case "mlp":
		h := mlp.DefaultHyper(L, H)
		h.HiddenSize = 16
		h.Common = c
		m, err = mlp.New(h)
	case "nhits":
		h := nhits.DefaultHyper(L, H)
		h.MLPUnits = [][]int{{16, 16}, {16, 16}, {16, 16}}
		h.Common = c
		m, err = nhits.New(h)
	case "nbeatsx":
		h := nbeatsx.DefaultHyper(L, H)
		h.MLPUnits = [][]int{{16, 16}, {16, 16}, {16, 16}}
		h.Common = c
		m, err = nbeatsx.New(h)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testNeuralStreamExogAndStatic(t *testing.T, kind string) {
	const series, steps, L, H = 4, 40, 12, 3
	m := exogNetwork(t, kind, L, H)
	c := m.Common()
	var trainSet []train.Series
	for i := range len(exogSize) {
		trainSet = append(trainSet, exogInputs(t, c, i, 150))
	}
	tc := train.DefaultConfig()
	tc.MaxSteps, tc.WindowsBatchSize, tc.StartPaddingEnabled = 40, 64, true
	if _, err := train.FitSeries(context.Background(), m, trainSet, tc); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "net.scm")
	if err := model.Save(path, m, nil); err != nil {
		t.Fatal(err)
	}
	static := filepath.Join(dir, "static.csv")
	if err := os.WriteFile(static, []byte("unique_id,size,unused\ns-0,1,9\ns-1,2,9\ns-2,3,9\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Start-up errors: the network's inputs must all have a source.
	e := newTestEnv(t, 2)
	for _, bad := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"no --step-exog", func(c *Config) { c.StepExog = nil }},
		{"no --static-file", func(c *Config) { c.StaticFile = "" }},
	} {
		cfg := e.config()
		cfg.Model, cfg.ModelFile, cfg.StepExog, cfg.StaticFile, cfg.History, cfg.Horizon = kind, path, []string{"temp"}, static, 32, H
		bad.mutate(&cfg)
		if _, err := New(context.Background(), cfg, Options{}); err == nil {
			t.Fatalf("%s: pipeline started", bad.name)
		} else {
			t.Logf("%s: %v", bad.name, err)
		}
	}

	cfg := e.config()
	cfg.Model, cfg.ModelFile, cfg.StepExog, cfg.StaticFile, cfg.History, cfg.Horizon = kind, path, []string{"temp"}, static, 32, H
	e.produce(exogEvents(series, steps))
	in := e.start(cfg, Options{})
	waitFor(t, 60*time.Second, "all events handled", func() bool { return in.handled() >= series*steps })

	p := model.NewPredictor(m)
	version := in.p.Model().Version()
	offline := map[string][]float32{}
	for i := range len(exogSize) {
		s := exogInputs(t, c, i, steps+H)
		for k := range steps {
			b := model.Batch{B: 1, Y: make([]float32, L), YMask: make([]float32, L),
				Hist: make([]float32, L*2), Futr: make([]float32, L+H), Stat: []float32{float32(exogSize[i])}}
			model.FillWindow(b.Y, b.YMask, s.Y[:k+1])
			for tt := range L + H {
				st := k - L + 1 + tt
				if st < 0 {
					continue
				}
				if tt < L {
					b.Hist[tt*2], b.Hist[tt*2+1] = float32(s.Hist[0][st]), float32(s.Hist[1][st])
				}
				b.Futr[tt] = float32(s.Futr[0][st])
			}
			point := make([]float32, H)
			if err := p.PredictBatch(point, nil, &b); err != nil {
				t.Fatal(err)
			}
			offline[fmt.Sprintf("s-%d/%s/%s@%s", i, testT0.Add(time.Duration(k)*time.Hour).Format(time.RFC3339Nano), kind, version)] = point
		}
	}
	msgs := e.readTopic(tOut)
	if len(msgs) != len(exogSize)*steps {
		t.Fatalf("%d forecasts, want %d (series with a static row × steps)", len(msgs), len(exogSize)*steps)
	}
	near := func(a float64, b float32) bool { return math.Abs(a-float64(b)) <= 1e-5*(1+math.Abs(a)) }
	for _, msg := range msgs {
		var f qForecast
		if err := json.Unmarshal(msg.Value, &f); err != nil {
			t.Fatal(err)
		}
		want, ok := offline[f.ID]
		if !ok {
			t.Fatalf("unexpected forecast %s", f.ID)
		}
		for j, pt := range f.Horizon {
			if !near(pt.Mean, want[j]) {
				t.Fatalf("%s step %d: online %v, offline %v", f.ID, j+1, pt.Mean, want[j])
			}
		}
	}
	dlq := e.readTopic(tDLQ)
	if len(dlq) != steps {
		t.Fatalf("%d dead letters, want the %d events of s-3", len(dlq), steps)
	}
	for _, d := range dlq {
		if string(d.Key) != "s-3" || headerValue(d, ingest.HeaderReason) != ReasonForecastFailed {
			t.Fatalf("dead letter %s (reason %q)", d.Key, headerValue(d, ingest.HeaderReason))
		}
	}
}

func headerValue(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
