package tensor

import (
	"math/rand/v2"
	"testing"
)

// TestOpsInferenceNoAllocs runs every op of this file set on an inference
// tape: after the arena has seen the graph, a forward pass allocates nothing.
func TestOpsInferenceNoAllocs(t *testing.T) {
	x := RandN(1, 4, 3, 8)
	b := RandN(2, 8)
	s := RandN(3, 4, 3, 1)
	w, bias := RandN(4, 8), RandN(5, 8)
	emb := RandN(6, 10, 8)
	idx := []int{1, 0, 2}
	gidx := []int{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}
	gshape := []int{4, 3, 1}
	ids := []int{3, 9, 0, 0}
	st := NewBatchNormState(3)
	rng := rand.New(rand.NewPCG(1, 2))
	tp := NewInferenceTape()
	run := func() {
		tp.Reset()
		h := Add(tp, x, b)
		h = Mul(tp, h, s)
		h = Div(tp, Sub(tp, h, s), AddScalar(tp, Exp(tp, s), 1))
		h = Neg(tp, MulScalar(tp, h, 0.5))
		h = Add(tp, h, BroadcastTo(tp, s, 4, 3, 8))
		for _, f := range []func(*Tape, *Tensor) *Tensor{ReLU, Exp, Tanh, Sigmoid, GELU, GELUTanh, Abs, Neg} {
			_ = f(tp, h)
		}
		_ = Log(tp, Sqrt(tp, Pow(tp, Abs(tp, h), 1.5)))
		_ = ELU(tp, h, 1)
		_ = Softplus(tp, h, 1, 20)
		_ = Sum(tp, h, 1, true)
		_ = Mean(tp, h, 2, false)
		_ = Max(tp, h, 0, false)
		_ = SumAll(tp, h)
		_ = MeanAll(tp, h)
		_ = Softmax(tp, h, 1)
		_ = LogSoftmax(tp, h, -1)
		_ = LayerNorm(tp, h, 1, w, bias, LayerNormEps)
		_ = BatchNorm1d(tp, h, nil, nil, st, false)
		_ = Dropout(tp, h, 0.1, true, rng)
		r := Reshape(tp, h, 12, -1)
		_ = Unsqueeze(tp, r, 0)
		_ = Squeeze(tp, Unsqueeze(tp, r, 0), 0)
		_ = Transpose(tp, h, 0, 2)
		_ = Permute(tp, h, 2, 0, 1)
		_ = Concat(tp, 1, h, h, x)
		_ = Slice(tp, h, 2, 1, 7, 2)
		_ = IndexSelect(tp, h, 1, idx)
		_ = Gather(tp, h, 2, gidx, gshape)
		_ = Embedding(tp, emb, ids, 2, 2)
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Fatalf("inference graph allocates %v times per call, want 0", n)
	}
}

// TestOpsTrainingStepAllocs bounds a training step's allocations after
// warm-up: one backward closure per recorded op, plus the saved input list
// of Concat and the copy plan of Permute.
func TestOpsTrainingStepAllocs(t *testing.T) {
	x := RandN(1, 4, 3, 8)
	w, bias := param(4, 8), param(5, 8)
	g, bb := param(6, 3), param(7, 3)
	emb := param(8, 10, 8)
	ids := []int{3, 9, 0, 0}
	st := NewBatchNormState(3)
	rng := rand.New(rand.NewPCG(1, 2))
	tp := NewTape()
	run := func() {
		tp.Reset()
		h := LayerNorm(tp, Add(tp, x, bias), 1, w, nil, LayerNormEps) // 2
		h = BatchNorm1d(tp, h, g, bb, st, true)                       // 1
		h = Dropout(tp, GELU(tp, h), 0.2, true, rng)                  // 2
		h = Softmax(tp, Transpose(tp, h, 1, 2), -1)                   // 1+2
		e := Reshape(tp, Embedding(tp, emb, ids), 4, 1, 8)            // 1 (Reshape records nothing)
		h = Mul(tp, Reshape(tp, h, 4, 1, 24), Concat(tp, 2, e, e, e)) // 1+2
		tp.Backward(MeanAll(tp, Max(tp, h, 2, false)))                // 2
	}
	run()
	if n := testing.AllocsPerRun(20, run); n > 14 {
		t.Fatalf("training step allocates %v times, want <= 14", n)
	}
}
