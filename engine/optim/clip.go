package optim

import (
	"math"

	"github.com/streamcast/streamcast/engine/tensor"
)

// ClipGradNorm is torch.nn.utils.clip_grad_norm_ with the L2 norm: it
// computes the global norm N = √(Σ_p Σ_i g²) over every parameter gradient
// and, when maxNorm/(N + 1e-6) < 1, scales every gradient by that factor.
// It returns N (before clipping). Non-finite norms leave gradients as
// PyTorch would (scaled by a NaN factor when N is NaN).
func ClipGradNorm(params []*tensor.Tensor, maxNorm float64) float64 {
	var ss float64
	for _, p := range params {
		ss += sumSquares(p.Grad)
	}
	norm := math.Sqrt(ss)
	coef := maxNorm / (norm + 1e-6)
	if coef < 1 || math.IsNaN(coef) {
		c := float32(coef)
		for _, p := range params {
			for i := range p.Grad {
				p.Grad[i] *= c
			}
		}
	}
	return norm
}

// sumSquares returns Σ gᵢ² accumulated in float64 with four independent
// partial sums (breaking the add latency chain).
func sumSquares(g []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(g); i += 4 {
		q := g[i : i+4 : i+4]
		a, b, c, d := float64(q[0]), float64(q[1]), float64(q[2]), float64(q[3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(g); i++ {
		a := float64(g[i])
		s0 += a * a
	}
	return (s0 + s1) + (s2 + s3)
}
