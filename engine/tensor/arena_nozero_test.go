package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestOpsOverwriteRecycledBuffers runs every op that takes an unzeroed
// output buffer on a tape that first ran the same graph on huge values and
// whose buffers were then filled with NaN, and compares forward and backward results bit for bit with a fresh tape: a
// stale element would show up as a difference.
func TestOpsOverwriteRecycledBuffers(t *testing.T) {
	idx := []int{2, 0, 2}
	gidx := []int{0, 3, 1, 2, 2, 1, 0, 0, 3, 3, 1, 1}
	ops := []struct {
		name string
		f    func(tp *Tape, x, y *Tensor) *Tensor
	}{
		{"Add", func(tp *Tape, x, y *Tensor) *Tensor { return Add(tp, x, y) }},
		{"AddBroadcast", func(tp *Tape, x, y *Tensor) *Tensor { return Mul(tp, x, Slice(tp, y, 0, 0, 1, 1)) }},
		{"AddScalar", func(tp *Tape, x, y *Tensor) *Tensor { return AddScalar(tp, x, 2) }},
		{"MulScalar", func(tp *Tape, x, y *Tensor) *Tensor { return MulScalar(tp, x, 2) }},
		{"Neg", func(tp *Tape, x, y *Tensor) *Tensor { return Neg(tp, x) }},
		{"BroadcastTo", func(tp *Tape, x, y *Tensor) *Tensor { return BroadcastTo(tp, Slice(tp, x, 1, 0, 1, 1), 3, 4, 5) }},
		{"ReLU", func(tp *Tape, x, y *Tensor) *Tensor { return ReLU(tp, x) }},
		{"Exp", func(tp *Tape, x, y *Tensor) *Tensor { return Exp(tp, x) }},
		{"Log", func(tp *Tape, x, y *Tensor) *Tensor { return Log(tp, Abs(tp, x)) }},
		{"Sqrt", func(tp *Tape, x, y *Tensor) *Tensor { return Sqrt(tp, Abs(tp, x)) }},
		{"Pow", func(tp *Tape, x, y *Tensor) *Tensor { return Pow(tp, x, 3) }},
		{"Tanh", func(tp *Tape, x, y *Tensor) *Tensor { return Tanh(tp, x) }},
		{"Sigmoid", func(tp *Tape, x, y *Tensor) *Tensor { return Sigmoid(tp, x) }},
		{"GELU", func(tp *Tape, x, y *Tensor) *Tensor { return GELU(tp, x) }},
		{"GELUTanh", func(tp *Tape, x, y *Tensor) *Tensor { return GELUTanh(tp, x) }},
		{"ELU", func(tp *Tape, x, y *Tensor) *Tensor { return ELU(tp, x, 1) }},
		{"Softplus", func(tp *Tape, x, y *Tensor) *Tensor { return Softplus(tp, x, 1, 20) }},
		{"Softmax", func(tp *Tape, x, y *Tensor) *Tensor { return Softmax(tp, x, 1) }},
		{"LogSoftmax", func(tp *Tape, x, y *Tensor) *Tensor { return LogSoftmax(tp, x, -1) }},
		{"LayerNorm", func(tp *Tape, x, y *Tensor) *Tensor { return LayerNorm(tp, x, 1, nil, nil, LayerNormEps) }},
		{"BatchNorm", func(tp *Tape, x, y *Tensor) *Tensor {
			return BatchNorm1d(tp, x, nil, nil, NewBatchNormState(4), true)
		}},
		{"Dropout", func(tp *Tape, x, y *Tensor) *Tensor { return Dropout(tp, x, 0.3, true, rand.New(rand.NewPCG(1, 1))) }},
		{"Permute", func(tp *Tape, x, y *Tensor) *Tensor { return Permute(tp, x, 2, 0, 1) }},
		{"Concat", func(tp *Tape, x, y *Tensor) *Tensor { return Concat(tp, 1, x, y) }},
		{"Slice", func(tp *Tape, x, y *Tensor) *Tensor { return Slice(tp, x, 2, 1, 5, 2) }},
		{"IndexSelect", func(tp *Tape, x, y *Tensor) *Tensor { return IndexSelect(tp, x, 1, idx) }},
		{"Gather", func(tp *Tape, x, y *Tensor) *Tensor { return Gather(tp, x, 1, gidx, []int{3, 4, 1}) }},
		{"Embedding", func(tp *Tape, x, y *Tensor) *Tensor { return Embedding(tp, Reshape(tp, x, 12, 5), idx, 3) }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			run := func(tp *Tape, scale float32) ([]float32, []float32) {
				x, y := param(80, 3, 4, 5), param(81, 3, 4, 5)
				for i := range x.Data {
					x.Data[i] *= scale
					y.Data[i] *= scale
				}
				out := op.f(tp, x, y)
				seed := make([]float32, len(out.Data))
				for i := range seed {
					seed[i] = float32(i%5) - 2
				}
				tp.BackwardWith(out, seed)
				return append([]float32(nil), out.Data...), append([]float32(nil), x.Grad...)
			}
			want, wantGrad := run(NewTape(), 1)
			tp := NewTape()
			run(tp, 1e6)
			for _, b := range tp.arena.bufs { // poison every recycled buffer
				b = b[:cap(b)]
				for i := range b {
					b[i] = float32(math.NaN())
				}
			}
			tp.Reset()
			got, gotGrad := run(tp, 1)
			for i := range want {
				if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("recycled output[%d] = %g, fresh %g", i, got[i], want[i])
				}
			}
			for i := range wantGrad {
				if gotGrad[i] != wantGrad[i] && !(gotGrad[i] != gotGrad[i] && wantGrad[i] != wantGrad[i]) {
					t.Fatalf("recycled grad[%d] = %g, fresh %g", i, gotGrad[i], wantGrad[i])
				}
			}
		})
	}
}
