package modeltest

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Inputs returns seeded random inputs of batch b shaped by m's
// configuration (Y [b, L], Hist [b, L, X], Futr [b, L+H, F], Stat [b, S]),
// every tensor requiring gradients when grad is true.
func Inputs(m model.Model, b int, seed uint64, grad bool) model.Inputs {
	c := m.Common()
	mk := func(s uint64, shape ...int) *tensor.Tensor {
		x := tensor.RandN(seed*7+s, shape...)
		x.SetRequiresGrad(grad)
		return x
	}
	in := model.Inputs{Y: mk(1, b, c.InputSize)}
	if n := len(c.HistExog); n > 0 {
		in.Hist = mk(2, b, c.InputSize, n)
	}
	if n := len(c.FutrExog); n > 0 {
		in.Futr = mk(3, b, c.InputSize+c.H, n)
	}
	if n := len(c.StatExog); n > 0 {
		in.Stat = mk(4, b, n)
	}
	return in
}

func inputTensors(in model.Inputs) []*tensor.Tensor {
	var ts []*tensor.Tensor
	for _, x := range []*tensor.Tensor{in.Y, in.Hist, in.Futr, in.Stat} {
		if x != nil {
			ts = append(ts, x)
		}
	}
	return ts
}

// GradCheckInputs compares the tape gradients of model.Run(m, in) with respect to
// every input and parameter with central finite differences. before (may
// be nil) runs before every forward pass, e.g. to replay dropout masks.
func GradCheckInputs(t *testing.T, m model.Model, in model.Inputs, before func(), o tensor.GradCheckOptions) {
	t.Helper()
	ts := inputTensors(in)
	for _, p := range m.Params() {
		ts = append(ts, p.T)
	}
	f := func(tp *tensor.Tape, _ []*tensor.Tensor) *tensor.Tensor {
		if before != nil {
			before()
		}
		return model.Run(tp, m, in)
	}
	if err := tensor.GradCheck(f, ts, o); err != nil {
		t.Fatal(err)
	}
}

// Forward runs m on in with a fresh inference tape and returns a copy of
// the output.
func Forward(m model.Model, in model.Inputs) []float32 {
	out := model.Run(tensor.NewInferenceTape(), m, in)
	return append([]float32(nil), out.Data...)
}

// RoundTrip saves m, loads it back (Load and LoadForInference) and requires
// the same kind, parameter names and bit-identical outputs on in.
func RoundTrip(t *testing.T, m model.Model, in model.Inputs) {
	t.Helper()
	want := Forward(m, in)
	path := filepath.Join(t.TempDir(), m.Kind()+".scm")
	if err := model.Save(path, m, []byte(`{"note":"round trip"}`)); err != nil {
		t.Fatal(err)
	}
	for _, load := range []func(string) (*model.Loaded, error){model.Load, model.LoadForInference} {
		l, err := load(path)
		if err != nil {
			t.Fatal(err)
		}
		if l.Model.Kind() != m.Kind() {
			t.Fatalf("loaded kind %q, want %q", l.Model.Kind(), m.Kind())
		}
		a, b := m.Params(), l.Model.Params()
		if len(a) != len(b) {
			t.Fatalf("loaded %d parameters, want %d", len(b), len(a))
		}
		for i := range a {
			if a[i].Name != b[i].Name {
				t.Fatalf("parameter %d: %q, want %q", i, b[i].Name, a[i].Name)
			}
		}
		got := Forward(l.Model, in)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("after load, output %d = %v, want %v", i, got[i], want[i])
			}
		}
	}
}

// NoAllocs requires that a no-grad forward pass of m on in allocates nothing
// after warm-up.
func NoAllocs(t *testing.T, m model.Model, in model.Inputs) {
	t.Helper()
	tp := tensor.NewInferenceTape()
	run := func() {
		tp.Reset()
		_ = model.Run(tp, m, in)
	}
	run()
	if a := testing.AllocsPerRun(20, run); a != 0 {
		t.Fatalf("%s: %v allocations per inference forward pass, want 0", m.Kind(), a)
	}
}

// SeededInit builds kind from hyper three times, twice with random_seed 1
// and once with 2, and requires identical weights for equal seeds and
// different weights otherwise. hyper must be a JSON object without
// random_seed.
func SeededInit(t *testing.T, kind, hyper string) {
	t.Helper()
	build := func(seed string) []model.Param {
		h := hyper[:len(hyper)-1] + `,"random_seed":` + seed + `}`
		m, err := model.New(kind, []byte(h))
		if err != nil {
			t.Fatal(err)
		}
		return m.Params()
	}
	a, b, c := build("1"), build("1"), build("2")
	same := true
	for i := range a {
		for j := range a[i].T.Data {
			if a[i].T.Data[j] != b[i].T.Data[j] {
				t.Fatalf("same seed, different %s", a[i].Name)
			}
			same = same && a[i].T.Data[j] == c[i].T.Data[j]
		}
	}
	if same {
		t.Fatal("different seeds, same weights")
	}
}

// CheckBounds requires every Linear weight and bias of m to lie within
// PyTorch's default initialisation bound 1/√fan_in (fan_in from the weight
// [out, in] named "….weight"; the bias shares it).
func CheckBounds(t *testing.T, m model.Model) {
	t.Helper()
	ps := m.Params()
	for i, p := range ps {
		if len(p.T.Shape) != 2 {
			continue
		}
		bound := float32(1 / math.Sqrt(float64(p.T.Shape[1])))
		check := func(name string, d []float32) {
			var mx float32
			for _, v := range d {
				if v > bound || v < -bound {
					t.Fatalf("%s: %v outside U(±%v)", name, v, bound)
				}
				mx = max(mx, v)
			}
			if len(d) >= 64 && mx < bound/2 { // P(max of 64 draws < b/2) = 0.75⁶⁴ ≈ 1e-8
				t.Fatalf("%s: largest value %v, not PyTorch's U(±%v)", name, mx, bound)
			}
		}
		check(p.Name, p.T.Data)
		if i+1 < len(ps) && len(ps[i+1].T.Shape) == 1 && ps[i+1].T.Shape[0] == p.T.Shape[0] {
			check(ps[i+1].Name, ps[i+1].T.Data)
		}
	}
}

// PredictBatchNoAllocs requires that Predictor.PredictBatch of b windows
// with m's exogenous variables (seeded random values) allocates nothing per
// call after warm-up.
func PredictBatchNoAllocs(t *testing.T, m model.Model, b int) {
	t.Helper()
	c := m.Common()
	L, H := c.InputSize, c.H
	fill := func(n int, seed uint64) []float32 { return tensor.RandN(seed, max(n, 1)).Data[:n] }
	batch := &model.Batch{B: b, Y: fill(b*L, 1), Futr: fill(b*(L+H)*len(c.FutrExog), 2),
		Hist: fill(b*L*len(c.HistExog), 3), Stat: fill(b*len(c.StatExog), 4)}
	p := model.NewPredictor(m)
	point := make([]float32, b*H)
	q := make([]float32, b*H*len(p.Quantiles()))
	if err := p.PredictBatch(point, q, batch); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(20, func() { _ = p.PredictBatch(point, q, batch) }); a != 0 {
		t.Fatalf("%s: %v allocations per PredictBatch of %d windows, want 0", m.Kind(), a, b)
	}
}
