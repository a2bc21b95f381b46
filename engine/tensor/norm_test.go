package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGradNorm(t *testing.T) {
	ln := func(nd int) func(tp *Tape, in []*Tensor) *Tensor {
		return func(tp *Tape, in []*Tensor) *Tensor {
			if len(in) == 1 {
				return LayerNorm(tp, in[0], nd, nil, nil, LayerNormEps)
			}
			return LayerNorm(tp, in[0], nd, in[1], in[2], LayerNormEps)
		}
	}
	bn := func(train bool) func(tp *Tape, in []*Tensor) *Tensor {
		return func(tp *Tape, in []*Tensor) *Tensor {
			st := NewBatchNormState(in[0].Shape[1])
			for i := range st.RunningMean {
				st.RunningMean[i] = 0.1 * float32(i)
				st.RunningVar[i] = 1 + 0.2*float32(i)
			}
			if len(in) == 1 {
				return BatchNorm1d(tp, in[0], nil, nil, st, train)
			}
			return BatchNorm1d(tp, in[0], in[1], in[2], st, train)
		}
	}
	runGradCases(t, []gradCase{
		{name: "LayerNorm1", f: ln(1), inputs: []*Tensor{param(30, 3, 2, 6), param(31, 6), param(32, 6)}},
		{name: "LayerNorm2", f: ln(2), inputs: []*Tensor{param(33, 3, 2, 6), param(34, 2, 6), param(35, 2, 6)}},
		{name: "LayerNormNoAffine", f: ln(1), inputs: []*Tensor{param(36, 4, 5)}},
		{name: "BatchNormTrain2D", f: bn(true), inputs: []*Tensor{param(37, 6, 3), param(38, 3), param(39, 3)}},
		{name: "BatchNormTrain3D", f: bn(true), inputs: []*Tensor{param(40, 3, 2, 4), param(41, 2), param(42, 2)}},
		{name: "BatchNormEval3D", f: bn(false), inputs: []*Tensor{param(43, 3, 2, 4), param(44, 2), param(45, 2)}},
		{name: "BatchNormNoAffine", f: bn(true), inputs: []*Tensor{param(46, 5, 3)}},
	})
}

func TestBatchNormStateDefaults(t *testing.T) {
	st := NewBatchNormState(3)
	if st.Momentum != 0.1 || st.Eps != 1e-5 || st.RunningVar[2] != 1 || st.RunningMean[0] != 0 {
		t.Fatalf("defaults %+v", st)
	}
	x := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	BatchNorm1d(NewInferenceTape(), x, nil, nil, st, true)
	// Batch means (2.5, 3.5, 4.5), unbiased variance 4.5.
	want := []float32{0.25, 0.35, 0.45}
	for i, w := range want {
		if math.Abs(float64(st.RunningMean[i]-w)) > 1e-6 || math.Abs(float64(st.RunningVar[i]-(0.9+0.45))) > 1e-6 {
			t.Fatalf("running stats %v %v", st.RunningMean, st.RunningVar)
		}
	}
	if st.NumBatchesTracked != 1 {
		t.Fatalf("NumBatchesTracked %d", st.NumBatchesTracked)
	}
}

func TestNormPanics(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"LayerNormAxes", func() { LayerNorm(NewTape(), New(2, 3), 3, nil, nil, 1e-5) }},
		{"LayerNormWeight", func() { LayerNorm(NewTape(), New(2, 3), 1, New(2), nil, 1e-5) }},
		{"BatchNormRank", func() { BatchNorm1d(NewTape(), New(2), nil, nil, NewBatchNormState(2), true) }},
		{"BatchNormState", func() { BatchNorm1d(NewTape(), New(2, 3), nil, nil, NewBatchNormState(2), true) }},
		{"BatchNormOneValue", func() { BatchNorm1d(NewTape(), New(1, 3), nil, nil, NewBatchNormState(3), true) }},
		{"DropoutP", func() { Dropout(NewTape(), New(2), 1.5, true, rand.New(rand.NewPCG(1, 1))) }},
		{"DropoutNilRng", func() { Dropout(NewTape(), New(2), 0.5, true, nil) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			c.f()
		})
	}
	// Eval mode with a single value per channel is fine.
	BatchNorm1d(NewTape(), New(1, 3), nil, nil, NewBatchNormState(3), false)
}

func TestDropout(t *testing.T) {
	const n = 100000
	x := NewParam(n)
	for i := range x.Data {
		x.Data[i] = 1 + float32(i%7)
	}
	for _, p := range []float32{0.1, 0.5, 0.9} {
		tp := NewTape()
		out := Dropout(tp, x, p, true, rand.New(rand.NewPCG(7, 11)))
		dropped := 0
		scale := 1 / (1 - p)
		for i, v := range out.Data {
			switch {
			case v == 0:
				dropped++
			case math.Abs(float64(v-x.Data[i]*scale)) > 1e-5*float64(v):
				t.Fatalf("p=%g: kept value %g, want %g", p, v, x.Data[i]*scale)
			}
		}
		frac := float64(dropped) / n
		// 5 standard deviations of a binomial proportion.
		if sd := math.Sqrt(float64(p*(1-p)) / n); math.Abs(frac-float64(p)) > 5*sd {
			t.Fatalf("p=%g: dropped fraction %.4f", p, frac)
		}
		// Gradient is exactly the mask.
		x.ZeroGrad()
		seed := make([]float32, n)
		for i := range seed {
			seed[i] = 1
		}
		tp.BackwardWith(out, seed)
		for i, g := range x.Grad {
			if want := out.Data[i] / x.Data[i]; g != want {
				t.Fatalf("p=%g: grad[%d] = %g, want %g", p, i, g, want)
			}
		}
		// Same seed, same mask.
		again := Dropout(NewTape(), x, p, true, rand.New(rand.NewPCG(7, 11)))
		for i := range again.Data {
			if again.Data[i] != out.Data[i] {
				t.Fatalf("p=%g: mask not reproducible at %d", p, i)
			}
		}
	}
	if out := Dropout(NewTape(), x, 0.5, false, nil); out != x {
		t.Fatal("eval-mode Dropout is not the identity")
	}
	if out := Dropout(NewInferenceTape(), x, 0.5, true, rand.New(rand.NewPCG(1, 2))); out != x {
		t.Fatal("no-grad Dropout is not the identity")
	}
	tp := NewTape()
	out := Dropout(tp, x, 1, true, rand.New(rand.NewPCG(1, 2)))
	x.ZeroGrad()
	tp.BackwardWith(out, make([]float32, n))
	for i, v := range out.Data {
		if v != 0 || x.Grad[i] != 0 {
			t.Fatalf("p=1: out %g grad %g", v, x.Grad[i])
		}
	}
}
