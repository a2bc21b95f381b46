package tensor

import (
	"math/rand/v2"
	"testing"
)

// Benchmarks of the elementwise, reduction, normalisation and shape ops at
// a training-loop size: a (256, 512) activation (batch 256, hidden 512).
// Each iteration runs the forward pass and, for Bwd variants, the backward
// pass on a recording tape. testdata/bench_torch.py times the same work in
// PyTorch.

const benchRows, benchCols = 256, 512

func benchOp(b *testing.B, backward bool, f func(tp *Tape, x *Tensor) *Tensor) {
	x := RandN(1, benchRows, benchCols)
	var tp *Tape
	if backward {
		x.SetRequiresGrad(true)
		tp = NewTape()
	} else {
		tp = NewInferenceTape()
	}
	seed := make([]float32, benchRows*benchCols)
	for i := range seed {
		seed[i] = 1
	}
	b.SetBytes(int64(4 * benchRows * benchCols))
	b.ReportAllocs()
	for b.Loop() {
		tp.Reset()
		out := f(tp, x)
		if backward {
			tp.BackwardWith(out, seed[:len(out.Data)])
		}
	}
}

func BenchmarkOps(b *testing.B) {
	bias := RandN(2, benchCols)
	other := RandN(3, benchRows, benchCols)
	w, lb := RandN(4, benchCols), RandN(5, benchCols)
	st := NewBatchNormState(benchCols)
	rng := rand.New(rand.NewPCG(1, 2))
	ops := []struct {
		name string
		f    func(tp *Tape, x *Tensor) *Tensor
	}{
		{"Add", func(tp *Tape, x *Tensor) *Tensor { return Add(tp, x, other) }},
		{"AddBias", func(tp *Tape, x *Tensor) *Tensor { return Add(tp, x, bias) }},
		{"Mul", func(tp *Tape, x *Tensor) *Tensor { return Mul(tp, x, other) }},
		{"ReLU", ReLU},
		{"Exp", Exp},
		{"Tanh", Tanh},
		{"Sigmoid", Sigmoid},
		{"GELU", GELU},
		{"ELU", func(tp *Tape, x *Tensor) *Tensor { return ELU(tp, x, 1) }},
		{"Softplus", func(tp *Tape, x *Tensor) *Tensor { return Softplus(tp, x, 1, 20) }},
		{"SumAxis1", func(tp *Tape, x *Tensor) *Tensor { return Sum(tp, x, 1, false) }},
		{"SumAxis0", func(tp *Tape, x *Tensor) *Tensor { return Sum(tp, x, 0, false) }},
		{"Softmax", func(tp *Tape, x *Tensor) *Tensor { return Softmax(tp, x, -1) }},
		{"LogSoftmax", func(tp *Tape, x *Tensor) *Tensor { return LogSoftmax(tp, x, -1) }},
		{"LayerNorm", func(tp *Tape, x *Tensor) *Tensor { return LayerNorm(tp, x, 1, w, lb, LayerNormEps) }},
		{"BatchNorm", func(tp *Tape, x *Tensor) *Tensor { return BatchNorm1d(tp, x, w, lb, st, true) }},
		{"Dropout", func(tp *Tape, x *Tensor) *Tensor { return Dropout(tp, x, 0.1, true, rng) }},
		{"Transpose", func(tp *Tape, x *Tensor) *Tensor { return Transpose(tp, x, 0, 1) }},
	}
	for _, op := range ops {
		b.Run(op.name+"/Fwd", func(b *testing.B) { benchOp(b, false, op.f) })
		b.Run(op.name+"/FwdBwd", func(b *testing.B) { benchOp(b, true, op.f) })
	}
}
