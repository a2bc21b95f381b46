package nhits_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/nhits"
	"github.com/streamcast/streamcast/engine/tensor"
)

// tiny returns a small NHITS with NeuralForecast's structure (three stacks,
// pooling [2, 2, 1], downsampling [4, 2, 1]).
func tiny(inputSize, h int) nhits.Hyper {
	hy := nhits.DefaultHyper(inputSize, h)
	hy.MLPUnits = [][]int{{6, 6}, {6, 6}}
	return hy
}

func TestDefaults(t *testing.T) {
	m, err := model.New(nhits.Kind, []byte(`{"input_size":96,"h":48}`))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Hyper().(nhits.Hyper)
	if fmt.Sprint(h.NPoolKernelSize, h.NFreqDownsample, h.MLPUnits, h.NBlocks, h.StackTypes) !=
		"[2 2 1] [4 2 1] [[512 512] [512 512] [512 512]] [1 1 1] [identity identity identity]" ||
		h.PoolingMode != "MaxPool1d" || h.InterpolationMode != "linear" || h.Activation != "ReLU" ||
		h.DropoutProbTheta != 0 || h.Seed != 1 || h.ScalerType != "identity" {
		t.Fatalf("defaults %+v", h)
	}
	var names []string
	for _, p := range m.Params()[:10] {
		names = append(names, p.Name)
	}
	want := "blocks.0.layers.0.weight blocks.0.layers.0.bias blocks.0.layers.1.weight blocks.0.layers.1.bias " +
		"blocks.0.layers.3.weight blocks.0.layers.3.bias blocks.0.layers.5.weight blocks.0.layers.5.bias " +
		"blocks.0.layers.7.weight blocks.0.layers.7.bias"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("names\n%s\nwant\n%s", got, want)
	}
	if last := m.Params()[len(m.Params())-1]; last.Name != "blocks.2.layers.7.bias" || last.T.Shape[0] != 96+48 {
		t.Fatalf("last parameter %s %v", last.Name, last.T.Shape)
	}
	if got, want := model.NumParams(m), h.NumParams(); got != want {
		t.Fatalf("%d parameters allocated, NumParams says %d", got, want)
	}
	modeltest.CheckBounds(t, m)
	c := nhits.DefaultTrainConfig()
	if c.MaxSteps != 1000 || c.LearningRate != 1e-3 || c.NumLRDecays != 3 || c.BatchSize != 32 || c.WindowsBatchSize != 1024 {
		t.Fatalf("training defaults %+v", c)
	}
}

func TestDropoutIndices(t *testing.T) {
	hy := tiny(8, 4)
	hy.DropoutProbTheta = 0.3
	hy.Activation = "PReLU"
	m, err := nhits.New(hy)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m.Params() {
		if strings.HasPrefix(p.Name, "blocks.0.") {
			names = append(names, strings.TrimPrefix(p.Name, "blocks.0.layers."))
		}
	}
	// Linear 0, Linear 1, PReLU 2, Dropout 3, Linear 4, PReLU 5, Dropout 6, Linear 7
	if got := strings.Join(names, " "); got != "0.weight 0.bias 1.weight 1.bias 2.weight 4.weight 4.bias 7.weight 7.bias" {
		t.Fatalf("names %s", got)
	}
}

func TestHyperErrors(t *testing.T) {
	cases := map[string]string{
		`{"h":24}`:          "input_size",
		`{"input_size":24}`: "h 0",
		`{"input_size":24,"h":12,"stack_types":["trend","identity","identity"]}`:           "identity",
		`{"input_size":24,"h":12,"n_blocks":[1,1]}`:                                        "one entry per stack",
		`{"input_size":24,"h":12,"n_blocks":[1,0,1]}`:                                      "n_blocks[1]",
		`{"input_size":24,"h":12,"n_pool_kernel_size":[2,0,1]}`:                            "n_pool_kernel_size[1]",
		`{"input_size":24,"h":12,"n_pool_kernel_size":[25,2,1]}`:                           "n_pool_kernel_size[0]",
		`{"input_size":24,"h":12,"n_freq_downsample":[4,0,1]}`:                             "n_freq_downsample[1]",
		`{"input_size":24,"h":12,"mlp_units":[[8,8],[9,8]]}`:                               "mlp_units[1]",
		`{"input_size":24,"h":12,"mlp_units":[[8]]}`:                                       "pair",
		`{"input_size":24,"h":12,"mlp_units":[]}`:                                          "mlp_units",
		`{"input_size":24,"h":12,"pooling_mode":"MinPool1d"}`:                              "pooling_mode",
		`{"input_size":24,"h":12,"interpolation_mode":"cubic"}`:                            "cubic",
		`{"input_size":24,"h":12,"dropout_prob_theta":1}`:                                  "dropout",
		`{"input_size":24,"h":12,"activation":"GELU"}`:                                     "activation",
		`{"input_size":24,"h":12,"stack_types":[]}`:                                        "stack_types",
		`{"input_size":24,"h":12,"mlp_units":[[65536,65536],[65536,65536],[65536,65536]]}`: "parameters",
		`{"input_size":24,"h":12,"bogus":1}`:                                               "unknown field",
		`{"input_size":24,"h":12,"loss":{"name":"nope"}}`:                                  "nope",
		`[`: "hyper",
	}
	for js, want := range cases {
		_, err := model.New(nhits.Kind, []byte(js))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", js, err, want)
		}
	}
}

// TestGradients checks ForwardInputs' gradients with respect to the window,
// every exogenous input and every parameter, over the configurations that
// exercise different code: pooling modes, interpolation modes, several
// output channels, every activation, and dropout (masks replayed).
func TestGradients(t *testing.T) {
	type cfg struct {
		name string
		edit func(*nhits.Hyper)
	}
	cases := []cfg{
		{"default", func(*nhits.Hyper) {}},
		{"exog", func(h *nhits.Hyper) {
			h.FutrExog, h.HistExog, h.StatExog = []string{"f1", "f2"}, []string{"x1"}, []string{"s1", "s2"}
		}},
		{"avgpool-nearest-mq", func(h *nhits.Hyper) {
			h.PoolingMode, h.InterpolationMode = "AvgPool1d", "nearest"
			h.Loss = &loss.Config{Name: "MQLoss"}
			h.FutrExog = []string{"f"}
		}},
		{"blocks-kernels", func(h *nhits.Hyper) {
			h.NBlocks, h.NPoolKernelSize, h.NFreqDownsample = []int{2, 1, 1}, []int{3, 2, 1}, []int{5, 3, 1}
			h.HistExog = []string{"x"}
			h.Loss = &loss.Config{Name: "DistributionLoss", Distribution: "StudentT"}
		}},
		{"dropout", func(h *nhits.Hyper) {
			h.DropoutProbTheta = 0.4
			h.StatExog = []string{"s"}
		}},
	}
	for _, a := range []string{"Softplus", "Tanh", "SELU", "LeakyReLU", "PReLU", "Sigmoid"} {
		cases = append(cases, cfg{a, func(h *nhits.Hyper) { h.Activation = a }})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hy := tiny(9, 5)
			c.edit(&hy)
			m, err := nhits.New(hy)
			if err != nil {
				t.Fatal(err)
			}
			m.SetTrainMode(true) // dropout in the finite differences too
			in := modeltest.Inputs(m, 2, 3, true)
			out := model.Run(tensor.NewTape(), m, in)
			if want := []int{2, 5 * hy.Outputs()}; fmt.Sprint(out.Shape) != fmt.Sprint(want) {
				t.Fatalf("output shape %v, want %v", out.Shape, want)
			}
			modeltest.GradCheckInputs(t, m, in, func() { m.SeedDropout(7) }, tensor.GradCheckOptions{Eps: 3e-4, ATol: 2e-3})
		})
	}
}

// TestDropoutTrainOnly: dropout changes training-tape outputs, draws new
// masks every call, and is off on inference tapes.
func TestDropoutTrainOnly(t *testing.T) {
	hy := tiny(9, 5)
	hy.DropoutProbTheta = 0.5
	m, _ := nhits.New(hy)
	in := modeltest.Inputs(m, 3, 1, false)
	inf1, inf2 := modeltest.Forward(m, in), modeltest.Forward(m, in)
	tr1 := append([]float32(nil), m.Forward(tensor.NewTape(), in.Y).Data...)
	tr2 := append([]float32(nil), m.Forward(tensor.NewTape(), in.Y).Data...)
	if fmt.Sprint(inf1) != fmt.Sprint(inf2) {
		t.Fatal("inference is not deterministic")
	}
	if fmt.Sprint(tr1) == fmt.Sprint(inf1) || fmt.Sprint(tr1) == fmt.Sprint(tr2) {
		t.Fatal("dropout inactive in training mode")
	}
	m.SetTrainMode(true)
	if fmt.Sprint(modeltest.Forward(m, in)) == fmt.Sprint(inf1) {
		t.Fatal("SetTrainMode(true): no dropout on an inference tape")
	}
	m.SetTrainMode(false)
	m.SeedDropout(9)
	a := fmt.Sprint(m.Forward(tensor.NewTape(), in.Y).Data)
	m.SeedDropout(9)
	if b := fmt.Sprint(m.Forward(tensor.NewTape(), in.Y).Data); a != b {
		t.Fatal("seeded dropout does not replay")
	}
}

// TestLevel: with zero output layers every block emits nothing, so the
// forecast is the last input value on every step and channel (the "level
// with Naive1" NeuralForecast starts from).
func TestLevel(t *testing.T) {
	hy := tiny(9, 5)
	hy.Loss = &loss.Config{Name: "MQLoss"}
	m, _ := nhits.New(hy)
	for _, p := range m.Params() {
		if strings.HasSuffix(p.Name, "layers.5.weight") || strings.HasSuffix(p.Name, "layers.5.bias") {
			clear(p.T.Data)
		}
	}
	in := modeltest.Inputs(m, 2, 4, false)
	out := modeltest.Forward(m, in)
	for b := range 2 {
		last := in.Y.Data[b*9+8]
		for j := range 5 * hy.Outputs() {
			if out[b*5*hy.Outputs()+j] != last {
				t.Fatalf("window %d output %d = %v, want the last value %v", b, j, out[b*5*hy.Outputs()+j], last)
			}
		}
	}
}

func TestForwardMatchesForwardInputs(t *testing.T) {
	m, _ := nhits.New(tiny(12, 6))
	in := modeltest.Inputs(m, 3, 2, false)
	a := modeltest.Forward(m, in)
	b := m.Forward(tensor.NewInferenceTape(), in.Y).Data
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("Forward and ForwardInputs differ")
	}
}

func TestExogPanics(t *testing.T) {
	hy := tiny(9, 5)
	hy.FutrExog = []string{"f"}
	m, _ := nhits.New(hy)
	in := modeltest.Inputs(m, 2, 1, false)
	for name, bad := range map[string]model.Inputs{
		"no futr":    {Y: in.Y},
		"wrong futr": {Y: in.Y, Futr: tensor.RandN(1, 2, 9, 1)},
		"extra hist": {Y: in.Y, Futr: in.Futr, Hist: tensor.RandN(1, 2, 9, 1)},
		"extra stat": {Y: in.Y, Futr: in.Futr, Stat: tensor.RandN(1, 2, 1)},
		"wrong y":    {Y: tensor.RandN(1, 2, 8), Futr: in.Futr},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			m.ForwardInputs(tensor.NewInferenceTape(), bad)
		}()
	}
}

func TestSaveLoad(t *testing.T) {
	hy := tiny(10, 4)
	hy.HistExog, hy.StatExog = []string{"x"}, []string{"s"}
	hy.Loss = &loss.Config{Name: "MQLoss", Level: []float64{80}}
	hy.Activation, hy.DropoutProbTheta = "PReLU", 0.2
	m, _ := nhits.New(hy)
	modeltest.RoundTrip(t, m, modeltest.Inputs(m, 3, 5, false))
}

func TestSeededInit(t *testing.T) {
	modeltest.SeededInit(t, nhits.Kind, `{"input_size":12,"h":6,"mlp_units":[[8,8]]}`)
}

func TestInferenceNoAllocs(t *testing.T) {
	m, _ := nhits.New(nhits.DefaultHyper(48, 24))
	modeltest.PredictNoAllocs(t, m)
	hy := tiny(12, 6)
	hy.FutrExog, hy.HistExog, hy.StatExog = []string{"f"}, []string{"x"}, []string{"s"}
	hy.InterpolationMode = "nearest"
	e, _ := nhits.New(hy)
	modeltest.NoAllocs(t, e, modeltest.Inputs(e, 4, 1, false))
	modeltest.PredictBatchNoAllocs(t, e, 3)
}
