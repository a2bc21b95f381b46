package nbeats_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/nbeats"
	"github.com/streamcast/streamcast/engine/tensor"
)

func tiny(inputSize, h int) nbeats.Hyper {
	hy := nbeats.DefaultHyper(inputSize, h)
	hy.MLPUnits = [][]int{{6, 6}, {6, 6}}
	return hy
}

func TestDefaults(t *testing.T) {
	m, err := model.New(nbeats.Kind, []byte(`{"input_size":96,"h":48}`))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Hyper().(nbeats.Hyper)
	if fmt.Sprint(h.StackTypes, h.NBlocks, h.MLPUnits) != "[identity trend seasonality] [1 1 1] [[512 512] [512 512] [512 512]]" ||
		h.NHarmonics != 2 || h.NBasis != 2 || h.Basis != "polynomial" || h.Activation != "ReLU" || h.SharedWeights || h.Seed != 1 {
		t.Fatalf("defaults %+v", h)
	}
	ps := m.Params()
	if len(ps) != 30 || ps[0].Name != "blocks.0.layers.0.weight" || ps[29].Name != "blocks.2.layers.7.bias" {
		t.Fatalf("%d params, first %s", len(ps), ps[0].Name)
	}
	// theta sizes: identity L+h, trend 2·3, seasonality 2·94
	for i, want := range []int{96 + 48, 6, 188} {
		if got := ps[10*i+9].T.Shape[0]; got != want {
			t.Fatalf("block %d theta %d, want %d", i, got, want)
		}
	}
	if got, want := model.NumParams(m), h.NumParams(); got != want {
		t.Fatalf("%d parameters allocated, NumParams says %d", got, want)
	}
	modeltest.CheckBounds(t, m)
	c := nbeats.DefaultTrainConfig()
	if c.MaxSteps != 1000 || c.LearningRate != 1e-3 || c.NumLRDecays != 3 || c.BatchSize != 32 || c.WindowsBatchSize != 1024 {
		t.Fatalf("training defaults %+v", c)
	}
}

func TestHyperErrors(t *testing.T) {
	cases := map[string]string{
		`{"input_size":24,"h":12,"futr_exog_list":["a"]}`:                     "takes no exogenous",
		`{"input_size":24,"h":12,"stat_exog_list":["a"]}`:                     "takes no exogenous",
		`{"input_size":24,"h":12,"dropout_prob_theta":0.1}`:                   "NotImplementedError",
		`{"input_size":24,"h":1}`:                                             "h=1",
		`{"input_size":24,"h":12,"stack_types":["exogenous"],"n_blocks":[1]}`: "not one of",
		`{"input_size":24,"h":12,"n_blocks":[1,1]}`:                           "n_blocks",
		`{"input_size":24,"h":12,"n_blocks":[1,65,1]}`:                        "n_blocks[1]",
		`{"input_size":24,"h":12,"n_harmonics":0}`:                            "n_harmonics",
		`{"input_size":24,"h":12,"basis":"fourier"}`:                          "basis",
		`{"input_size":24,"h":12,"basis":"spline"}`:                           "spline",
		`{"input_size":24,"h":12,"mlp_units":[[8,8],[4,8]]}`:                  "mlp_units[1]",
		`{"input_size":24,"h":12,"activation":"relu"}`:                        "activation",
		`{"input_size":24,"h":12,"stack_types":[],"n_blocks":[]}`:             "stack_types",
		`{"input_size":24,"h":12,"nope":true}`:                                "unknown field",
	}
	for js, want := range cases {
		_, err := model.New(nbeats.Kind, []byte(js))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", js, err, want)
		}
	}
	// NeuralForecast's deprecated n_polynomials is accepted and ignored.
	if _, err := model.New(nbeats.Kind, []byte(`{"input_size":24,"h":12,"n_polynomials":3}`)); err != nil {
		t.Fatal(err)
	}
}

func TestGradients(t *testing.T) {
	cases := map[string]func(*nbeats.Hyper){
		"default": func(*nbeats.Hyper) {},
		"mq": func(h *nbeats.Hyper) {
			h.Loss = &loss.Config{Name: "MQLoss"}
		},
		"shared-blocks": func(h *nbeats.Hyper) {
			h.NBlocks, h.SharedWeights, h.NHarmonics = []int{2, 2, 1}, true, 3
			h.Loss = &loss.Config{Name: "DistributionLoss"}
		},
		"softplus": func(h *nbeats.Hyper) { h.Activation = "Softplus" },
	}
	for _, b := range []string{"legendre", "changepoint", "piecewise_linear", "linear_hat", "spline", "chebyshev"} {
		cases[b] = func(h *nbeats.Hyper) { h.Basis, h.NBasis = b, 3 }
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			hy := tiny(9, 5)
			edit(&hy)
			m, err := nbeats.New(hy)
			if err != nil {
				t.Fatal(err)
			}
			in := modeltest.Inputs(m, 2, 3, true)
			out := m.Forward(tensor.NewTape(), in.Y)
			if want := fmt.Sprint([]int{2, 5 * hy.Outputs()}); fmt.Sprint(out.Shape) != want {
				t.Fatalf("output shape %v, want %v", out.Shape, want)
			}
			modeltest.GradCheckInputs(t, m, in, nil, tensor.GradCheckOptions{Eps: 3e-4, ATol: 2e-3})
		})
	}
}

// TestSharedWeights: shared blocks reuse one MLP, listed once under the
// first block's name (as named_parameters), so the parameter count drops.
func TestSharedWeights(t *testing.T) {
	hy := tiny(9, 5)
	hy.NBlocks = []int{3, 1, 2}
	a, _ := nbeats.New(hy)
	hy.SharedWeights = true
	b, _ := nbeats.New(hy)
	var names []string
	for _, p := range b.Params() {
		if strings.HasSuffix(p.Name, "layers.0.weight") {
			names = append(names, p.Name)
		}
	}
	if fmt.Sprint(names) != "[blocks.0.layers.0.weight blocks.3.layers.0.weight blocks.4.layers.0.weight]" {
		t.Fatalf("shared names %v", names)
	}
	if model.NumParams(b) >= model.NumParams(a) || model.NumParams(b) != hy.NumParams() {
		t.Fatalf("shared %d, separate %d, NumParams %d", model.NumParams(b), model.NumParams(a), hy.NumParams())
	}
}

// TestLevel: blocks with zero output layers add nothing, so the forecast is
// the last input value on every step and channel.
func TestLevel(t *testing.T) {
	hy := tiny(9, 5)
	hy.Loss = &loss.Config{Name: "MQLoss"}
	m, _ := nbeats.New(hy)
	for _, p := range m.Params() {
		if strings.Contains(p.Name, "layers.5.") {
			clear(p.T.Data)
		}
	}
	in := modeltest.Inputs(m, 2, 4, false)
	out := modeltest.Forward(m, in)
	k := hy.Outputs()
	for b := range 2 {
		for j := range 5 * k {
			if out[b*5*k+j] != in.Y.Data[b*9+8] {
				t.Fatalf("window %d output %d = %v, want %v", b, j, out[b*5*k+j], in.Y.Data[b*9+8])
			}
		}
	}
}

func TestSaveLoad(t *testing.T) {
	hy := tiny(10, 4)
	hy.Loss = &loss.Config{Name: "MQLoss", Level: []float64{80}}
	hy.Basis, hy.NBasis, hy.Activation = "chebyshev", 4, "PReLU"
	m, _ := nbeats.New(hy)
	modeltest.RoundTrip(t, m, modeltest.Inputs(m, 3, 5, false))
}

func TestSeededInit(t *testing.T) {
	modeltest.SeededInit(t, nbeats.Kind, `{"input_size":12,"h":6,"mlp_units":[[8,8]]}`)
}

func TestInferenceNoAllocs(t *testing.T) {
	m, _ := nbeats.New(nbeats.DefaultHyper(48, 24))
	modeltest.PredictNoAllocs(t, m)
}
