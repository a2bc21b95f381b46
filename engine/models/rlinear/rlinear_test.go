package rlinear_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/engine/evaluate"
	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/rlinear"
	"github.com/streamcast/streamcast/engine/tensor"
	"github.com/streamcast/streamcast/engine/train"
)

var _ evaluate.TrainDefaulter = (*rlinear.RLinear)(nil)

func TestDefaults(t *testing.T) {
	m, err := model.New(rlinear.Kind, []byte(`{"input_size":336,"h":96}`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m.Params() {
		names = append(names, p.Name)
	}
	want := []string{"Linear.weight", "Linear.bias", "rev.affine_weight", "rev.affine_bias"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("params %v, want %v", names, want)
	}
	if n := model.NumParams(m); n != 337*96+2 {
		t.Fatalf("%d parameters, want %d", n, 337*96+2)
	}
	ps := m.Params()
	if ps[2].T.Data[0] != 1 || ps[3].T.Data[0] != 0 {
		t.Fatalf("RevIN affine init %v %v, want 1 and 0", ps[2].T.Data, ps[3].T.Data)
	}
	bound := float32(1 / math.Sqrt(336))
	for _, v := range ps[0].T.Data {
		if v > bound || v < -bound {
			t.Fatalf("weight %v outside U(±1/√336)", v)
		}
	}
	h := m.Hyper().(rlinear.Hyper)
	if h.Dropout != 0.1 || h.Loss == nil || h.Loss.Name != "MSE" || h.Seed != 1 || h.ScalerType != "identity" {
		t.Fatalf("hyper %+v", h)
	}
	// the default loss survives a JSON round trip; an explicit one replaces it
	hj, _ := model.HyperJSON(m)
	if !strings.Contains(string(hj), `"loss":{"name":"MSE"}`) {
		t.Fatalf("hyper JSON %s", hj)
	}
	mae, err := model.New(rlinear.Kind, []byte(`{"input_size":24,"h":4,"loss":{"name":"MAE"}}`))
	if err != nil || mae.Common().Loss.Name != "MAE" {
		t.Fatalf("explicit loss: %v", err)
	}
	wantCfg := train.DefaultConfig()
	wantCfg.MaxSteps, wantCfg.LearningRate = 5000, 1e-4
	if got := rlinear.TrainDefaults(); !reflect.DeepEqual(got, wantCfg) {
		t.Fatalf("train defaults %+v", got)
	}
	if !reflect.DeepEqual(m.(*rlinear.RLinear).TrainDefaults(), wantCfg) {
		t.Fatal("method and package TrainDefaults differ")
	}
}

func TestHyperErrors(t *testing.T) {
	cases := []struct{ json, want string }{
		{`{"h":24}`, "input_size"},
		{`{"input_size":168,"h":24,"dropout":1}`, "dropout"},
		{`{"input_size":168,"h":24,"dropout":-0.1}`, "dropout"},
		{`{"input_size":168,"h":24,"bogus":1}`, "unknown field"},
		{`{"input_size":168,"h":24,"hist_exog_list":["temp"]}`, "takes no exogenous"},
		{`{"input_size":168,"h":24,"futr_exog_list":["hour"]}`, "takes no exogenous"},
		{`{"input_size":168,"h":24,"stat_exog_list":["kind"]}`, "takes no exogenous"},
		{`{"input_size":1048576,"h":65536}`, "exceed"},
	}
	for _, c := range cases {
		_, err := model.New(rlinear.Kind, []byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.json, err, c.want)
		}
	}
}

func TestGoldenPyTorch(t *testing.T) {
	for _, g := range modeltest.LoadGolden(t) {
		t.Run(g.Name, func(t *testing.T) {
			h := rlinear.DefaultHyper(g.InputSize, g.H)
			h.Dropout = 0 // the golden is deterministic
			if g.Outputs == 3 {
				h.Loss = &loss.Config{Name: "MQLoss", Quantiles: []float64{0.1, 0.5, 0.9}}
			}
			m, err := rlinear.New(h)
			if err != nil {
				t.Fatal(err)
			}
			modeltest.CheckGolden(t, m, g)
		})
	}
}

func TestGradients(t *testing.T) {
	h := rlinear.DefaultHyper(7, 3)
	h.Dropout = 0 // finite differences need a deterministic function
	m, err := rlinear.New(h)
	if err != nil {
		t.Fatal(err)
	}
	ps := m.Params()
	ps[2].T.Data[0], ps[3].T.Data[0] = 0.8, 0.3 // exercise the affine terms
	// RevIN's statistics are constants (detach() in the reference), so the
	// tape's input gradient deliberately omits their dependence on x and
	// only the parameters are checked by finite differences; the input
	// gradient is checked against PyTorch's in TestGoldenPyTorch.
	modeltest.GradCheckParams(t, m, 3, 5)
}

// TestAffineEquivariance: RevIN makes the forecast follow an affine change
// of the window, f(a·x + c) = a·f(x) + c for a > 0 (up to RevIN's eps).
func TestAffineEquivariance(t *testing.T) {
	m, _ := rlinear.New(rlinear.DefaultHyper(24, 6))
	x := tensor.RandN(4, 2, 24)
	y0 := m.Forward(tensor.NewInferenceTape(), x)
	xs := tensor.New(2, 24)
	for i, v := range x.Data {
		xs.Data[i] = 7*v + 50
	}
	y1 := m.Forward(tensor.NewInferenceTape(), xs)
	for i := range y0.Data {
		want := 7*float64(y0.Data[i]) + 50
		if d := math.Abs(float64(y1.Data[i]) - want); d > 1e-3 {
			t.Fatalf("forecast %d: %v, want %v", i, y1.Data[i], want)
		}
	}
}

// TestDropout: dropout acts on a recording tape only, and its masks come
// from the seeded stream.
func TestDropout(t *testing.T) {
	h := rlinear.DefaultHyper(48, 8)
	h.Dropout = 0.5
	a, _ := rlinear.New(h)
	b, _ := rlinear.New(h)
	x := tensor.RandN(2, 3, 48)
	inf := a.Forward(tensor.NewInferenceTape(), x).Data
	ya := a.Forward(tensor.NewTape(), x).Data
	yb := b.Forward(tensor.NewTape(), x).Data
	if !reflect.DeepEqual(ya, yb) {
		t.Fatal("same seed, different dropout masks")
	}
	if reflect.DeepEqual(ya, inf) {
		t.Fatal("training forward equals inference forward with dropout 0.5")
	}
	if again := a.Forward(tensor.NewInferenceTape(), x).Data; !reflect.DeepEqual(again, inf) {
		t.Fatal("inference is not deterministic")
	}
	h.Dropout = 0
	c, _ := rlinear.New(h)
	if !reflect.DeepEqual(c.Forward(tensor.NewTape(), x).Data, c.Forward(tensor.NewInferenceTape(), x).Data) {
		t.Fatal("dropout 0: training and inference forwards differ")
	}
}

func TestMultiOutputLoss(t *testing.T) {
	h := rlinear.DefaultHyper(12, 4)
	h.Loss = &loss.Config{Name: "MQLoss"} // 5 quantiles
	m, err := rlinear.New(h)
	if err != nil {
		t.Fatal(err)
	}
	y := m.Forward(tensor.NewInferenceTape(), tensor.RandN(1, 2, 12))
	if !reflect.DeepEqual(y.Shape, []int{2, 20}) || model.NumParams(m) != 13*20+2 {
		t.Fatalf("output shape %v, %d params", y.Shape, model.NumParams(m))
	}
}

// TestTrainsAffine: RevIN's affine parameters are on the forecast's path,
// so training moves them (unlike the scaler_type revin of NeuralForecast's
// other models, whose point losses are taken on the scaled values).
func TestTrainsAffine(t *testing.T) {
	m, _ := rlinear.New(rlinear.DefaultHyper(24, 6))
	cfg := rlinear.TrainDefaults()
	cfg.MaxSteps, cfg.WindowsBatchSize, cfg.LearningRate = 20, 32, 1e-2
	series := [][]float64{modeltest.Series(300, 1), modeltest.Series(300, 2)}
	if _, err := train.Fit(t.Context(), m, series, cfg); err != nil {
		t.Fatal(err)
	}
	ps := m.Params()
	if ps[2].T.Data[0] == 1 || ps[3].T.Data[0] == 0 {
		t.Fatalf("affine parameters did not move: weight %v bias %v", ps[2].T.Data, ps[3].T.Data)
	}
}

func TestSaveLoad(t *testing.T) {
	m, _ := rlinear.New(rlinear.DefaultHyper(36, 9))
	ps := m.Params()
	ps[2].T.Data[0], ps[3].T.Data[0] = 1.2, -0.1
	modeltest.SaveLoad(t, m)
}

func TestPredictNoAllocs(t *testing.T) {
	m, _ := rlinear.New(rlinear.DefaultHyper(336, 96))
	modeltest.PredictNoAllocs(t, m)
}
