package dlinear_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/engine/evaluate"
	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/dlinear"
	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/tensor"
	"github.com/streamcast/streamcast/engine/train"
)

var _ evaluate.TrainDefaulter = (*dlinear.DLinear)(nil)

func TestDefaultsMatchNeuralForecast(t *testing.T) {
	m, err := model.New(dlinear.Kind, []byte(`{"input_size":336,"h":96}`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m.Params() {
		names = append(names, p.Name)
	}
	want := []string{"linear_trend.weight", "linear_trend.bias", "linear_season.weight", "linear_season.bias"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("params %v, want %v", names, want)
	}
	if n := model.NumParams(m); n != 2*337*96 {
		t.Fatalf("%d parameters, want %d", n, 2*337*96)
	}
	bound := float32(1 / math.Sqrt(336))
	for _, p := range m.Params() {
		for _, v := range p.T.Data {
			if v > bound || v < -bound {
				t.Fatalf("%s value %v outside U(±1/√336)", p.Name, v)
			}
		}
	}
	if reflect.DeepEqual(m.Params()[0].T.Data, m.Params()[2].T.Data) {
		t.Fatal("trend and seasonal layers start equal")
	}
	h := m.Hyper().(dlinear.Hyper)
	if h.MovingAvgWindow != 25 || h.ScalerType != "identity" || h.Seed != 1 || h.Loss != nil {
		t.Fatalf("hyper %+v", h)
	}
	wantCfg := train.DefaultConfig()
	wantCfg.MaxSteps, wantCfg.LearningRate = 5000, 1e-4
	if got := dlinear.TrainDefaults(); !reflect.DeepEqual(got, wantCfg) || got.BatchSize != 32 || got.WindowsBatchSize != 1024 || got.NumLRDecays != -1 {
		t.Fatalf("train defaults %+v", got)
	}
	if !reflect.DeepEqual(m.(*dlinear.DLinear).TrainDefaults(), wantCfg) {
		t.Fatal("method and package TrainDefaults differ")
	}
}

func TestHyperErrors(t *testing.T) {
	cases := []struct{ json, want string }{
		{`{"h":24}`, "input_size"},
		{`{"input_size":168}`, "h 0"},
		{`{"input_size":168,"h":24,"moving_avg_window":24}`, "odd"},
		{`{"input_size":168,"h":24,"moving_avg_window":0}`, "odd"},
		{`{"input_size":168,"h":24,"moving_avg_window":-3}`, "odd"},
		{`{"input_size":168,"h":24,"bogus":1}`, "unknown field"},
		{`{"input_size":168,"h":24,"hist_exog_list":["temp"]}`, "takes no exogenous"},
		{`{"input_size":168,"h":24,"futr_exog_list":["hour"]}`, "takes no exogenous"},
		{`{"input_size":168,"h":24,"stat_exog_list":["kind"]}`, "takes no exogenous"},
		{`{"input_size":1048576,"h":65536}`, "exceed"},
	}
	for _, c := range cases {
		_, err := model.New(dlinear.Kind, []byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.json, err, c.want)
		}
	}
}

func TestGoldenPyTorch(t *testing.T) {
	for _, g := range modeltest.LoadGolden(t) {
		t.Run(g.Name, func(t *testing.T) {
			var extra struct {
				Window int       `json:"moving_avg_window"`
				Trend  []float64 `json:"trend"`
			}
			if err := json.Unmarshal(g.Raw, &extra); err != nil {
				t.Fatal(err)
			}
			h := dlinear.DefaultHyper(g.InputSize, g.H)
			h.MovingAvgWindow = extra.Window
			if g.Outputs == 3 {
				h.Loss = &loss.Config{Name: "MQLoss", Quantiles: []float64{0.1, 0.5, 0.9}}
			}
			m, err := dlinear.New(h)
			if err != nil {
				t.Fatal(err)
			}
			x := tensor.FromSlice(make([]float32, len(g.X)), g.Batch, g.InputSize)
			for i, v := range g.X {
				x.Data[i] = float32(v)
			}
			modeltest.Close(t, "trend", dlinear.MovingAvg(tensor.NewInferenceTape(), x, extra.Window).Data, extra.Trend, 1e-5, 1e-5)
			modeltest.CheckGolden(t, m, g)
		})
	}
}

func TestGradients(t *testing.T) {
	for _, c := range []struct{ l, h, k int }{{8, 3, 25}, {10, 2, 3}, {1, 2, 25}} {
		h := dlinear.DefaultHyper(c.l, c.h)
		h.MovingAvgWindow = c.k
		m, err := dlinear.New(h)
		if err != nil {
			t.Fatal(err)
		}
		modeltest.GradCheck(t, m, 3, 9)
	}
}

// TestConstantWindow: a constant window is all trend and no season, so
// the forecast is W_t·c·1 + b_t + b_s.
func TestConstantWindow(t *testing.T) {
	m, _ := dlinear.New(dlinear.DefaultHyper(40, 5))
	x := tensor.New(1, 40)
	for i := range x.Data {
		x.Data[i] = 3
	}
	y := m.Forward(tensor.NewInferenceTape(), x)
	ps := m.Params()
	wt, bt, bs := ps[0].T.Data, ps[1].T.Data, ps[3].T.Data
	for j := range 5 {
		var want float64
		for i := range 40 {
			want += 3 * float64(wt[j*40+i])
		}
		want += float64(bt[j] + bs[j])
		if d := math.Abs(float64(y.Data[j]) - want); d > 1e-4 {
			t.Fatalf("step %d: %v, want %v", j, y.Data[j], want)
		}
	}
}

func TestMultiOutputLoss(t *testing.T) {
	h := dlinear.DefaultHyper(12, 4)
	h.Loss = &loss.Config{Name: "DistributionLoss", Distribution: "Normal"}
	m, err := dlinear.New(h)
	if err != nil {
		t.Fatal(err)
	}
	k := h.Outputs()
	if k < 2 {
		t.Fatalf("Normal DistributionLoss has %d outputs", k)
	}
	y := m.Forward(tensor.NewInferenceTape(), tensor.RandN(1, 2, 12))
	if !reflect.DeepEqual(y.Shape, []int{2, 4 * k}) || model.NumParams(m) != 2*13*4*k {
		t.Fatalf("output shape %v, %d params", y.Shape, model.NumParams(m))
	}
}

func TestSaveLoad(t *testing.T) {
	h := dlinear.DefaultHyper(48, 12)
	h.MovingAvgWindow = 7
	m, err := dlinear.New(h)
	if err != nil {
		t.Fatal(err)
	}
	modeltest.SaveLoad(t, m)
}

func TestPredictNoAllocs(t *testing.T) {
	m, _ := dlinear.New(dlinear.DefaultHyper(336, 96))
	modeltest.PredictNoAllocs(t, m)
}
