package nfblock

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/streamcast/streamcast/engine/tensor"
)

func TestDropoutGradAndStatistics(t *testing.T) {
	x := tensor.RandN(1, 3, 7)
	x.SetRequiresGrad(true)
	f := func(tp *tensor.Tape, _ []*tensor.Tensor) *tensor.Tensor {
		return Dropout(tp, x, 0.3, rand.New(rand.NewPCG(5, 5)))
	}
	if err := tensor.GradCheck(f, []*tensor.Tensor{x}, tensor.GradCheckOptions{Eps: 1e-3}); err != nil {
		t.Fatal(err)
	}
	// Kept fraction ≈ 1−p, kept values scaled by 1/(1−p).
	ones := tensor.New(200000)
	for i := range ones.Data {
		ones.Data[i] = 1
	}
	out := Dropout(tensor.NewInferenceTape(), ones, 0.3, rand.New(rand.NewPCG(1, 2)))
	kept := 0
	for _, v := range out.Data {
		switch {
		case v == 0:
		case math.Abs(float64(v)-1/0.7) < 1e-6:
			kept++
		default:
			t.Fatalf("mask value %v", v)
		}
	}
	if fr := float64(kept) / 200000; math.Abs(fr-0.7) > 0.005 {
		t.Fatalf("kept fraction %v, want 0.7", fr)
	}
}

// TestMLPLayout: the first Linear feeds the second without an activation;
// every later hidden Linear is followed by the activation.
func TestMLPLayout(t *testing.T) {
	m := NewMLP(3, [][]int{{4, 5}, {5, 2}}, 6, "ReLU", 0, true, rand.New(rand.NewPCG(1, 1)))
	if len(m.lin) != 4 || m.lin[0].Out != 4 || m.lin[1].In != 4 || m.lin[1].Out != 5 || m.lin[2].Out != 2 || m.lin[3].Out != 6 {
		t.Fatal("layer widths")
	}
	if n := NumParams(3, [][]int{{4, 5}, {5, 2}}, 6, "ReLU"); n != 4*4+5*5+6*2+3*6 {
		t.Fatalf("NumParams %d", n)
	}
	x := tensor.RandN(2, 2, 3)
	got := m.Forward(tensor.NewInferenceTape(), x, false, nil)
	tp := tensor.NewInferenceTape()
	h := m.lin[0].Forward(tp, x)
	h = tensor.ReLU(tp, m.lin[1].Forward(tp, h))
	h = tensor.ReLU(tp, m.lin[2].Forward(tp, h))
	want := m.lin[3].Forward(tp, h)
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("output %d: %v, want %v", i, got.Data[i], want.Data[i])
		}
	}
}

// TestActivations compares each composite activation with its definition.
func TestActivations(t *testing.T) {
	x := tensor.FromSlice([]float32{-3, -0.5, 0.25, 2}, 1, 4)
	def := map[string]func(float64) float64{
		"ReLU":     func(v float64) float64 { return math.Max(0, v) },
		"Softplus": func(v float64) float64 { return math.Log1p(math.Exp(v)) },
		"Tanh":     math.Tanh,
		"Sigmoid":  func(v float64) float64 { return 1 / (1 + math.Exp(-v)) },
		"SELU": func(v float64) float64 {
			return seluScale * map[bool]float64{true: v, false: seluAlpha * math.Expm1(v)}[v > 0]
		},
		"LeakyReLU": func(v float64) float64 { return map[bool]float64{true: v, false: 0.01 * v}[v > 0] },
		"PReLU":     func(v float64) float64 { return map[bool]float64{true: v, false: 0.25 * v}[v > 0] },
	}
	for _, a := range Activations {
		m := NewMLP(1, [][]int{{1, 1}}, 1, a, 0, false, nil)
		y := m.activate(tensor.NewInferenceTape(), x)
		for i, v := range x.Data {
			if w := def[a](float64(v)); math.Abs(float64(y.Data[i])-w) > 1e-6 {
				t.Errorf("%s(%v) = %v, want %v", a, v, y.Data[i], w)
			}
		}
	}
	if CheckActivation("k", "GELU") == nil || CheckActivation("k", "SELU") != nil {
		t.Fatal("CheckActivation")
	}
}
