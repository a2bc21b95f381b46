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
		var s float64
		for _, g := range p.Grad {
			s += float64(g) * float64(g)
		}
		ss += s
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
