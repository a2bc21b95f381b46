package nbeatsx_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/nbeats"
	"github.com/streamcast/streamcast/engine/models/nbeatsx"
	"github.com/streamcast/streamcast/engine/tensor"
)

func tiny(inputSize, h int) nbeatsx.Hyper {
	hy := nbeatsx.DefaultHyper(inputSize, h)
	hy.MLPUnits = [][]int{{6, 6}, {6, 6}}
	return hy
}

func TestDefaults(t *testing.T) {
	m, err := model.New(nbeatsx.Kind, []byte(`{"input_size":96,"h":48,"futr_exog_list":["a","b"],"hist_exog_list":["c"],"stat_exog_list":["d"]}`))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Hyper().(nbeatsx.Hyper)
	if fmt.Sprint(h.StackTypes, h.NBlocks, h.MLPUnits) != "[identity trend seasonality] [1 1 1] [[512 512] [512 512] [512 512]]" ||
		h.NHarmonics != 2 || h.NPolynomials != 2 || h.Activation != "ReLU" || h.DropoutProbTheta != 0 || h.Seed != 1 {
		t.Fatalf("defaults %+v", h)
	}
	// MLP input: y 96 + hist 96·1 + futr 144·2 + stat 1
	if w := m.Params()[0].T.Shape; w[1] != 96+96+288+1 {
		t.Fatalf("first layer %v", w)
	}
	if got, want := model.NumParams(m), h.NumParams(); got != want {
		t.Fatalf("%d parameters allocated, NumParams says %d", got, want)
	}
	modeltest.CheckBounds(t, m)
	if c := nbeatsx.DefaultTrainConfig(); c.NumLRDecays != 3 || c.MaxSteps != 1000 || c.WindowsBatchSize != 1024 {
		t.Fatalf("training defaults %+v", c)
	}
}

func TestHyperErrors(t *testing.T) {
	cases := map[string]string{
		`{"input_size":24,"h":12,"stack_types":["exogenous"],"n_blocks":[1]}`:                        "exogenous stack needs",
		`{"input_size":24,"h":12,"stack_types":["exogenous"],"n_blocks":[1],"hist_exog_list":["x"]}`: "exogenous stack needs",
		`{"input_size":24,"h":12,"stack_types":["fourier"],"n_blocks":[1]}`:                          "not one of",
		`{"input_size":24,"h":12,"n_polynomials":-1}`:                                                "degree",
		`{"input_size":24,"h":12,"dropout_prob_theta":-0.1}`:                                         "dropout",
		`{"input_size":24,"h":12,"futr_exog_list":["a"],"hist_exog_list":["a"]}`:                     "listed in",
		`{"input_size":24,"h":12,"basis":"polynomial"}`:                                              "unknown field",
	}
	for js, want := range cases {
		_, err := model.New(nbeatsx.Kind, []byte(js))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", js, err, want)
		}
	}
}

func TestGradients(t *testing.T) {
	cases := map[string]func(*nbeatsx.Hyper){
		"hist": func(h *nbeatsx.Hyper) { h.HistExog = []string{"x1", "x2"} },
		"exog-stack": func(h *nbeatsx.Hyper) {
			h.StackTypes, h.NBlocks = []string{"identity", "exogenous", "trend", "seasonality"}, []int{1, 2, 1, 1}
			h.FutrExog, h.HistExog, h.StatExog = []string{"f1", "f2"}, []string{"x"}, []string{"s1", "s2"}
		},
		"exog-only-mq": func(h *nbeatsx.Hyper) {
			h.StackTypes, h.NBlocks = []string{"exogenous"}, []int{2}
			h.StatExog = []string{"s"}
			h.Loss = &loss.Config{Name: "MQLoss"}
		},
		"exog-futr-mq-dropout": func(h *nbeatsx.Hyper) {
			h.StackTypes, h.NBlocks = []string{"exogenous", "identity"}, []int{1, 1}
			h.FutrExog = []string{"f"}
			h.Loss = &loss.Config{Name: "MQLoss"}
			h.DropoutProbTheta = 0.3
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			hy := tiny(8, 5)
			edit(&hy)
			m, err := nbeatsx.New(hy)
			if err != nil {
				t.Fatal(err)
			}
			m.SetTrainMode(true)
			in := modeltest.Inputs(m, 2, 3, true)
			out := model.Run(tensor.NewTape(), m, in)
			if want := fmt.Sprint([]int{2, 5 * hy.Outputs()}); fmt.Sprint(out.Shape) != want {
				t.Fatalf("output shape %v, want %v", out.Shape, want)
			}
			modeltest.GradCheckInputs(t, m, in, func() { m.SeedDropout(3) }, tensor.GradCheckOptions{Eps: 3e-4, ATol: 2e-3})
		})
	}
}

// TestMatchesNBEATS: without exogenous variables NBEATSx is NBEATS with the
// polynomial trend; with the same weights both give the same forecasts.
func TestMatchesNBEATS(t *testing.T) {
	x, _ := nbeatsx.New(tiny(10, 6))
	hb := nbeats.DefaultHyper(10, 6)
	hb.MLPUnits = [][]int{{6, 6}, {6, 6}}
	b, _ := nbeats.New(hb)
	for i, p := range b.Params() {
		copy(p.T.Data, x.Params()[i].T.Data)
	}
	in := modeltest.Inputs(x, 3, 1, false)
	got, want := modeltest.Forward(x, in), modeltest.Forward(b, in)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("output %d: %v, want %v", i, got[i], want[i])
		}
	}
}

// TestExogenousBasis checks the exogenous block against its definition:
// with a one-block exogenous stack, forecast_t = y_L + Σ_c Z[L+t, c]·θ_c.
func TestExogenousBasis(t *testing.T) {
	hy := tiny(4, 3)
	hy.StackTypes, hy.NBlocks = []string{"exogenous"}, []int{1}
	hy.FutrExog, hy.StatExog = []string{"f"}, []string{"s"}
	m, _ := nbeatsx.New(hy)
	in := modeltest.Inputs(m, 1, 2, false)
	// θ is the output layer's bias alone when its weight is zero.
	ps := m.Params()
	clear(ps[len(ps)-2].T.Data)
	theta := ps[len(ps)-1].T.Data // [θ_f futr, θ_f stat, θ_b futr, θ_b stat]
	out := modeltest.Forward(m, in)
	for j := range 3 {
		want := float64(in.Y.Data[3]) + float64(in.Futr.Data[4+j])*float64(theta[0]) + float64(in.Stat.Data[0])*float64(theta[1])
		if math.Abs(float64(out[j])-want) > 1e-5 {
			t.Fatalf("step %d: %v, want %v", j, out[j], want)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	hy := tiny(10, 4)
	hy.StackTypes, hy.NBlocks = []string{"exogenous", "seasonality"}, []int{1, 1}
	hy.FutrExog, hy.HistExog, hy.StatExog = []string{"f"}, []string{"x"}, []string{"s"}
	hy.DropoutProbTheta = 0.1
	m, _ := nbeatsx.New(hy)
	modeltest.RoundTrip(t, m, modeltest.Inputs(m, 3, 5, false))
}

func TestSeededInit(t *testing.T) {
	modeltest.SeededInit(t, nbeatsx.Kind, `{"input_size":12,"h":6,"mlp_units":[[8,8]],"hist_exog_list":["x"]}`)
}

func TestInferenceNoAllocs(t *testing.T) {
	m, _ := nbeatsx.New(nbeatsx.DefaultHyper(48, 24))
	modeltest.PredictNoAllocs(t, m)
	hy := tiny(12, 6)
	hy.StackTypes, hy.NBlocks = []string{"identity", "exogenous"}, []int{1, 1}
	hy.FutrExog, hy.HistExog, hy.StatExog = []string{"f"}, []string{"x"}, []string{"s"}
	hy.Loss = &loss.Config{Name: "MQLoss"}
	e, _ := nbeatsx.New(hy)
	modeltest.NoAllocs(t, e, modeltest.Inputs(e, 4, 1, false))
	modeltest.PredictBatchNoAllocs(t, e, 3)
}
