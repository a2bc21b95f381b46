package nlinear_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/engine/evaluate"
	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/nlinear"
	"github.com/streamcast/streamcast/engine/tensor"
	"github.com/streamcast/streamcast/engine/train"
)

var _ evaluate.TrainDefaulter = (*nlinear.NLinear)(nil)

func TestDefaultsMatchNeuralForecast(t *testing.T) {
	m, err := model.New(nlinear.Kind, []byte(`{"input_size":336,"h":96}`))
	if err != nil {
		t.Fatal(err)
	}
	ps := m.Params()
	if len(ps) != 2 || ps[0].Name != "linear.weight" || ps[1].Name != "linear.bias" ||
		!reflect.DeepEqual(ps[0].T.Shape, []int{96, 336}) || !reflect.DeepEqual(ps[1].T.Shape, []int{96}) {
		t.Fatalf("params %v %v, %v %v", ps[0].Name, ps[0].T.Shape, ps[1].Name, ps[1].T.Shape)
	}
	if n := model.NumParams(m); n != 337*96 {
		t.Fatalf("%d parameters, want %d", n, 337*96)
	}
	// PyTorch init: |w|, |b| <= 1/sqrt(fan_in), and not all zero
	bound := float32(1 / math.Sqrt(336))
	var sum float64
	for _, p := range ps {
		for _, v := range p.T.Data {
			if v > bound || v < -bound {
				t.Fatalf("%s value %v outside U(±1/√336)", p.Name, v)
			}
			sum += math.Abs(float64(v))
		}
	}
	if sum == 0 {
		t.Fatal("weights not initialised")
	}
	h := m.Hyper().(nlinear.Hyper)
	if h.ScalerType != "identity" || h.Seed != 1 || h.Loss != nil || h.Outputs() != 1 {
		t.Fatalf("hyper %+v", h)
	}
	want := train.DefaultConfig()
	want.MaxSteps, want.LearningRate = 5000, 1e-4
	if got := nlinear.TrainDefaults(); !reflect.DeepEqual(got, want) || got.BatchSize != 32 || got.WindowsBatchSize != 1024 || got.NumLRDecays != -1 {
		t.Fatalf("train defaults %+v", got)
	}
	if !reflect.DeepEqual(m.(*nlinear.NLinear).TrainDefaults(), want) {
		t.Fatal("method and package TrainDefaults differ")
	}
}

func TestHyperErrors(t *testing.T) {
	cases := []struct{ json, want string }{
		{`{"h":24}`, "input_size"},
		{`{"input_size":168}`, "h 0"},
		{`{"input_size":168,"h":24,"bogus":1}`, "unknown field"},
		{`{"input_size":168,"h":24,"scaler_type":"nope"}`, "scaler_type"},
		{`{"input_size":168,"h":24,"hist_exog_list":["temp"]}`, "takes no exogenous"},
		{`{"input_size":168,"h":24,"futr_exog_list":["hour"]}`, "takes no exogenous"},
		{`{"input_size":168,"h":24,"stat_exog_list":["kind"]}`, "takes no exogenous"},
		{`{"input_size":168,"h":24,"loss":{"name":"nope"}}`, "unknown loss"},
		{`{"input_size":1048576,"h":65536}`, "exceed"},
		{`{"input_size":168,"h":24} trailing`, "trailing"},
		{`[`, "hyper-parameters"},
	}
	for _, c := range cases {
		_, err := model.New(nlinear.Kind, []byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.json, err, c.want)
		}
	}
	if _, err := nlinear.New(nlinear.Hyper{}); err == nil {
		t.Error("New with zero hyper-parameters: no error")
	}
	if _, err := model.New("nlinear-typo", nil); !errors.Is(err, model.ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestGoldenPyTorch(t *testing.T) {
	for _, g := range modeltest.LoadGolden(t) {
		t.Run(g.Name, func(t *testing.T) {
			h := nlinear.DefaultHyper(g.InputSize, g.H)
			if g.Outputs == 3 {
				h.Loss = &loss.Config{Name: "MQLoss", Quantiles: []float64{0.1, 0.5, 0.9}}
			}
			m, err := nlinear.New(h)
			if err != nil {
				t.Fatal(err)
			}
			modeltest.CheckGolden(t, m, g)
		})
	}
}

func TestGradients(t *testing.T) {
	for _, h := range []nlinear.Hyper{nlinear.DefaultHyper(6, 3), nlinear.DefaultHyper(1, 2)} {
		m, err := nlinear.New(h)
		if err != nil {
			t.Fatal(err)
		}
		modeltest.GradCheck(t, m, 3, 7)
	}
}

// TestShiftEquivariance: adding a constant to the window adds it to every
// forecast (the last-value normalisation).
func TestShiftEquivariance(t *testing.T) {
	m, _ := nlinear.New(nlinear.DefaultHyper(24, 6))
	x := tensor.RandN(3, 2, 24)
	y0 := m.Forward(tensor.NewInferenceTape(), x)
	xs := tensor.New(2, 24)
	for i, v := range x.Data {
		xs.Data[i] = v + 100
	}
	y1 := m.Forward(tensor.NewInferenceTape(), xs)
	for i := range y0.Data {
		if d := y1.Data[i] - y0.Data[i] - 100; math.Abs(float64(d)) > 1e-3 {
			t.Fatalf("forecast %d moved by %v, want 100", i, y1.Data[i]-y0.Data[i])
		}
	}
}

func TestMultiOutputLoss(t *testing.T) {
	h := nlinear.DefaultHyper(12, 4)
	h.Loss = &loss.Config{Name: "MQLoss"} // level [80, 90]: 5 quantiles
	m, err := nlinear.New(h)
	if err != nil {
		t.Fatal(err)
	}
	if n := model.NumParams(m); n != 13*4*5 {
		t.Fatalf("%d parameters, want %d", n, 13*4*5)
	}
	y := m.Forward(tensor.NewInferenceTape(), tensor.RandN(1, 2, 12))
	if !reflect.DeepEqual(y.Shape, []int{2, 20}) {
		t.Fatalf("output shape %v, want [2 20]", y.Shape)
	}
	hj, _ := model.HyperJSON(m)
	reg, err := model.New(nlinear.Kind, hj)
	if err != nil || model.NumParams(reg) != model.NumParams(m) {
		t.Fatalf("registry rebuild: %v", err)
	}
}

func TestSeededInit(t *testing.T) {
	a, _ := nlinear.New(nlinear.DefaultHyper(8, 2))
	b, _ := nlinear.New(nlinear.DefaultHyper(8, 2))
	h := nlinear.DefaultHyper(8, 2)
	h.Seed = 2
	c, _ := nlinear.New(h)
	wa, wb, wc := a.Params()[0].T.Data, b.Params()[0].T.Data, c.Params()[0].T.Data
	if !reflect.DeepEqual(wa, wb) {
		t.Fatal("same seed, different init")
	}
	if reflect.DeepEqual(wa, wc) {
		t.Fatal("different seeds, same init")
	}
}

func TestSaveLoad(t *testing.T) {
	h := nlinear.DefaultHyper(30, 7)
	h.ScalerType = "robust"
	m, err := nlinear.New(h)
	if err != nil {
		t.Fatal(err)
	}
	modeltest.SaveLoad(t, m)
}

func TestPredictNoAllocs(t *testing.T) {
	m, _ := nlinear.New(nlinear.DefaultHyper(336, 96))
	modeltest.PredictNoAllocs(t, m)
}
