package dlinear

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/tensor"
)

// MovingAvg returns the moving average of window k (odd) along the last
// axis of x, with both ends padded by repeating the first and last value
// p = (k−1)/2 times (NeuralForecast's MovingAvg: repeat-pad, then
// AvgPool1d(k, stride 1)), so the output has x's shape:
//
//	trend_i = (1/k) Σ_{t=i−p}^{i+p} x_{clamp(t, 0, L−1)}.
//
// Backward: ∂ℓ/∂x_j += (1/k) Σ_i g_i · #{t ∈ [i−p, i+p] : clamp(t) = j},
// computed as a sliding sum of g over the padded positions folded back onto
// x. Both passes cost O(L) per row.
func MovingAvg(tp *tensor.Tape, x *tensor.Tensor, k int) *tensor.Tensor {
	if k < 1 || k%2 == 0 {
		panic(fmt.Sprintf("dlinear: MovingAvg window %d must be odd and positive", k))
	}
	if len(x.Shape) < 1 || x.Numel() == 0 {
		panic(fmt.Sprintf("dlinear: MovingAvg of a tensor of shape %v", x.Shape))
	}
	l := x.Shape[len(x.Shape)-1]
	rows := x.Numel() / l
	p := (k - 1) / 2
	out := tp.Result(x.Shape, x)
	inv := 1 / float64(k)
	for r := range rows {
		movingAvgRow(out.Data[r*l:(r+1)*l], x.Data[r*l:(r+1)*l], p, inv)
	}
	if out.RequiresGrad() {
		tp.Record(func() {
			for r := range rows {
				movingAvgRowGrad(x.Grad[r*l:(r+1)*l], out.Grad[r*l:(r+1)*l], p, inv)
			}
		})
	}
	return out
}

func clamp(t, l int) int { return min(max(t, 0), l-1) }

// movingAvgRow writes the padded moving average of x into dst with a
// float64 sliding sum.
func movingAvgRow(dst, x []float32, p int, inv float64) {
	l := len(x)
	var s float64
	for t := -p; t <= p; t++ {
		s += float64(x[clamp(t, l)])
	}
	dst[0] = float32(s * inv)
	for i := 1; i < l; i++ {
		s += float64(x[clamp(i+p, l)]) - float64(x[clamp(i-p-1, l)])
		dst[i] = float32(s * inv)
	}
}

// movingAvgRowGrad accumulates the adjoint of movingAvgRow: padded position
// u (t = u − p) receives (1/k) Σ_{i ∈ [u−2p, u] ∩ [0, L)} g_i, which is
// added to x_{clamp(t)}.
func movingAvgRowGrad(gx, g []float32, p int, inv float64) {
	l := len(g)
	var s float64 // Σ g_i over i ∈ [u−2p, u] ∩ [0, L)
	for u := 0; u < l+2*p; u++ {
		if u < l {
			s += float64(g[u])
		}
		if d := u - 2*p - 1; d >= 0 && d < l {
			s -= float64(g[d])
		}
		gx[clamp(u-p, l)] += float32(s * inv)
	}
}
