package tensor

import (
	"testing"
)

func param(seed uint64, shape ...int) *Tensor {
	t := RandN(seed, shape...)
	t.SetRequiresGrad(true)
	return t
}

func TestMatMulKnownValues(t *testing.T) {
	a := FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := FromSlice([]float32{7, 8, 9, 10, 11, 12}, 3, 2)
	got := MatMul(NewInferenceTape(), a, b)
	want := []float32{58, 64, 139, 154}
	for i := range want {
		if got.Data[i] != want[i] {
			t.Fatalf("MatMul = %v, want %v", got.Data, want)
		}
	}
}

func TestLinearKnownValues(t *testing.T) {
	x := FromSlice([]float32{1, 2}, 1, 2)
	w := FromSlice([]float32{1, 0, 0, 1, 1, 1}, 3, 2)
	b := FromSlice([]float32{0.5, -1, 2}, 3)
	got := Linear(NewInferenceTape(), x, w, b)
	want := []float32{1.5, 1, 5}
	for i := range want {
		if got.Data[i] != want[i] {
			t.Fatalf("Linear = %v, want %v", got.Data, want)
		}
	}
}

func TestGradients(t *testing.T) {
	cases := []struct {
		name   string
		f      func(tp *Tape, in []*Tensor) *Tensor
		inputs []*Tensor
	}{
		{"MatMul", func(tp *Tape, in []*Tensor) *Tensor { return MatMul(tp, in[0], in[1]) },
			[]*Tensor{param(1, 3, 4), param(2, 4, 5)}},
		{"Linear", func(tp *Tape, in []*Tensor) *Tensor { return Linear(tp, in[0], in[1], in[2]) },
			[]*Tensor{param(3, 2, 3, 4), param(4, 5, 4), param(5, 5)}},
		{"LinearRow", func(tp *Tape, in []*Tensor) *Tensor { return Linear(tp, in[0], in[1], nil) },
			[]*Tensor{param(6, 1, 4), param(7, 3, 4)}},
		{"Add", func(tp *Tape, in []*Tensor) *Tensor { return Add(tp, in[0], in[1]) },
			[]*Tensor{param(8, 2, 3), param(9, 2, 3)}},
		{"ReLU", func(tp *Tape, in []*Tensor) *Tensor { return ReLU(tp, in[0]) },
			[]*Tensor{awayFromZero(param(10, 4, 5))}},
		{"SumAll", func(tp *Tape, in []*Tensor) *Tensor { return SumAll(tp, in[0]) },
			[]*Tensor{param(11, 3, 3)}},
		{"Chain", func(tp *Tape, in []*Tensor) *Tensor {
			h := ReLU(tp, Linear(tp, in[0], in[1], in[2]))
			return Linear(tp, h, in[3], nil)
		}, []*Tensor{param(12, 4, 6), param(13, 8, 6), param(14, 8), param(15, 2, 8)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := GradCheck(c.f, c.inputs, GradCheckOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// awayFromZero pushes values away from ReLU's kink so finite differences are valid.
func awayFromZero(x *Tensor) *Tensor {
	for i, v := range x.Data {
		if v >= 0 && v < 0.1 {
			x.Data[i] = v + 0.1
		} else if v < 0 && v > -0.1 {
			x.Data[i] = v - 0.1
		}
	}
	return x
}

func TestInferenceNoAllocs(t *testing.T) {
	x := RandN(1, 1, 16)
	w1, b1 := RandN(2, 32, 16), RandN(3, 32)
	w2 := RandN(4, 4, 32)
	tp := NewInferenceTape()
	run := func() {
		tp.Reset()
		h := ReLU(tp, Linear(tp, x, w1, b1))
		_ = Linear(tp, h, w2, nil)
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Fatalf("inference allocates %v times per call, want 0", n)
	}
}

func TestTrainingStepNoAllocsAfterWarmup(t *testing.T) {
	x := RandN(1, 8, 16)
	w1, b1 := param(2, 32, 16), param(3, 32)
	tp := NewTape()
	run := func() {
		tp.Reset()
		w1.ZeroGrad()
		b1.ZeroGrad()
		tp.Backward(SumAll(tp, ReLU(tp, Linear(tp, x, w1, b1))))
	}
	run()
	// Closures for backward steps are the only per-step allocations.
	if n := testing.AllocsPerRun(50, run); n > 4 {
		t.Fatalf("training step allocates %v times, want <= 4 (one closure per op)", n)
	}
}
