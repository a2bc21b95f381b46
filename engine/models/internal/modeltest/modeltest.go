// Package modeltest holds checks shared by the model packages' tests:
// PyTorch golden cases (forward values and gradients for fixed weights),
// whole-model finite-difference gradients (also through ForwardInputs with
// exogenous inputs), model-file round trips, allocation-free prediction,
// seeded initialisation, end-to-end training with exogenous variables and
// multi-output losses, and the published accuracy protocols.
package modeltest

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Golden is one PyTorch reference case written by a package's
// testdata/gen_golden.py: a model's state_dict, an input batch, the output,
// a projection r and the gradients of Σ r·out.
type Golden struct {
	Name      string               `json:"name"`
	InputSize int                  `json:"input_size"`
	H         int                  `json:"h"`
	Outputs   int                  `json:"outputs"`
	Batch     int                  `json:"batch"`
	StateDict map[string][]float64 `json:"state_dict"`
	X         []float64            `json:"x"`
	Out       []float64            `json:"out"`
	R         []float64            `json:"r"`
	GradX     []float64            `json:"grad_x"`
	Grads     map[string][]float64 `json:"grads"`
	// Raw is the whole case, for fields of one model only.
	Raw json.RawMessage `json:"-"`
}

// LoadGolden reads testdata/golden.json of the calling package.
func LoadGolden(t testing.TB) []Golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	out := make([]Golden, len(f.Cases))
	for i, raw := range f.Cases {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
		out[i].Raw = raw
	}
	if len(out) == 0 {
		t.Fatal("no golden cases")
	}
	return out
}

func f32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// Close reports whether got is within atol + rtol·|want| of want everywhere.
func Close(t testing.TB, what string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); !(d <= atol+rtol*math.Abs(w)) {
			t.Fatalf("%s[%d] = %v, want %v (|diff| %.3g)", what, i, got[i], w, d)
		}
	}
}

// CheckGolden loads g's state_dict into m (which must have g's shapes and
// exactly its parameter names, in the same order), runs Forward on g's
// input and compares the output and the gradients of Σ r·out with
// PyTorch's (float64 reference, float32 model).
func CheckGolden(t *testing.T, m model.Model, g Golden) {
	t.Helper()
	ps := m.Params()
	if len(ps) != len(g.StateDict) {
		t.Fatalf("%s: %d parameters, PyTorch state_dict has %d", g.Name, len(ps), len(g.StateDict))
	}
	sd := make(map[string][]float32, len(g.StateDict))
	for k, v := range g.StateDict {
		sd[k] = f32(v)
	}
	if err := nn.LoadStateDict(ps, sd, true); err != nil {
		t.Fatalf("%s: %v", g.Name, err)
	}
	nn.ZeroGrad(ps)
	x := tensor.FromSlice(f32(g.X), g.Batch, g.InputSize)
	x.SetRequiresGrad(true)
	tp := tensor.NewTape()
	out := m.Forward(tp, x)
	if want := []int{g.Batch, g.H * g.Outputs}; !reflect.DeepEqual(out.Shape, want) {
		t.Fatalf("%s: output shape %v, want %v", g.Name, out.Shape, want)
	}
	Close(t, g.Name+" out", out.Data, g.Out, 1e-4, 1e-4)
	tp.BackwardWith(out, f32(g.R))
	Close(t, g.Name+" grad x", x.Grad, g.GradX, 1e-4, 1e-3)
	for _, p := range ps {
		want, ok := g.Grads[p.Name]
		if !ok {
			t.Fatalf("%s: no PyTorch gradient for %s", g.Name, p.Name)
		}
		Close(t, g.Name+" grad "+p.Name, p.T.Grad, want, 1e-4, 1e-3)
	}
}

// GradCheck compares m's gradients with respect to a random input batch
// [b, input_size] and every parameter with central finite differences.
func GradCheck(t *testing.T, m model.Model, b int, seed uint64) {
	t.Helper()
	gradCheck(t, m, b, seed, true)
}

// GradCheckParams is GradCheck for the parameters only, for models whose
// input gradient is deliberately partial (statistics of the input treated
// as constants, as RevIN's detach() does).
func GradCheckParams(t *testing.T, m model.Model, b int, seed uint64) {
	t.Helper()
	gradCheck(t, m, b, seed, false)
}

func gradCheck(t *testing.T, m model.Model, b int, seed uint64, withX bool) {
	t.Helper()
	x := tensor.RandN(seed, b, m.Common().InputSize)
	x.SetRequiresGrad(withX)
	in := []*tensor.Tensor{x}
	for _, p := range m.Params() {
		in = append(in, p.T)
	}
	f := func(tp *tensor.Tape, _ []*tensor.Tensor) *tensor.Tensor { return m.Forward(tp, x) }
	if err := tensor.GradCheck(f, in, tensor.GradCheckOptions{Eps: 1e-3}); err != nil {
		t.Fatal(err)
	}
}

// SaveLoad writes m to a model file, loads it back (with Load and
// LoadForInference) and checks that kind, hyper-parameters, parameter
// names and values and the forecasts are the same.
func SaveLoad(t *testing.T, m model.Model) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.scm")
	if err := model.Save(path, m, []byte(`{"note":"test"}`)); err != nil {
		t.Fatal(err)
	}
	for _, load := range []func(string) (*model.Loaded, error){model.Load, model.LoadForInference} {
		l, err := load(path)
		if err != nil {
			t.Fatal(err)
		}
		got := l.Model
		if got.Kind() != m.Kind() {
			t.Fatalf("kind %q, want %q", got.Kind(), m.Kind())
		}
		hg, _ := model.HyperJSON(got)
		hw, _ := model.HyperJSON(m)
		if string(hg) != string(hw) {
			t.Fatalf("hyper-parameters %s, want %s", hg, hw)
		}
		pg, pw := got.Params(), m.Params()
		if len(pg) != len(pw) {
			t.Fatalf("%d params, want %d", len(pg), len(pw))
		}
		for i := range pw {
			if pg[i].Name != pw[i].Name || !reflect.DeepEqual(pg[i].T.Shape, pw[i].T.Shape) || !reflect.DeepEqual(pg[i].T.Data, pw[i].T.Data) {
				t.Fatalf("param %d: %s %v differs from %s %v", i, pg[i].Name, pg[i].T.Shape, pw[i].Name, pw[i].T.Shape)
			}
		}
		c := m.Common()
		hist := [][]float64{Series(c.InputSize+5, 1), Series(c.InputSize, 2)}
		a, b := make([]float64, 2*c.H), make([]float64, 2*c.H)
		if err := model.NewPredictor(m).Predict(a, hist); err != nil {
			t.Fatal(err)
		}
		if err := model.NewPredictor(got).Predict(b, hist); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("loaded model forecasts %v, original %v", b, a)
		}
	}
}

// Series returns a deterministic daily-seasonal series with a trend.
func Series(n int, seed uint64) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = 10 + 0.01*float64(i) + 3*math.Sin(2*math.Pi*float64(i)/24+float64(seed))
	}
	return y
}

// PredictNoAllocs checks that single-series prediction allocates nothing
// after warm-up, and logs the allocations of a 100-series batch (BLAS
// implementations may start worker goroutines for large products).
func PredictNoAllocs(t *testing.T, m model.Model) {
	t.Helper()
	c := m.Common()
	p := model.NewPredictor(m)
	hist := [][]float64{Series(c.InputSize+30, 1)}
	dst := make([]float64, c.H)
	if err := p.Predict(dst, hist); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(50, func() { _ = p.Predict(dst, hist) }); a != 0 {
		t.Fatalf("%v allocations per single-series predict", a)
	}
	hist100 := make([][]float64, 100)
	for i := range hist100 {
		hist100[i] = Series(c.InputSize, uint64(i))
	}
	dst100 := make([]float64, 100*c.H)
	_ = p.Predict(dst100, hist100)
	t.Logf("%v allocations per 100-series predict (BLAS %s)", testing.AllocsPerRun(10, func() { _ = p.Predict(dst100, hist100) }), tensor.Backend)
}
