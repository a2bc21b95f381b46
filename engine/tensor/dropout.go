package tensor

import (
	"fmt"
	"math/rand/v2"

	"github.com/streamcast/streamcast/engine/tensor/internal/vec"
)

// Dropout zeroes each element of x with probability p and scales the kept
// ones by 1/(1−p) (torch.nn.Dropout in training mode), drawing the mask from
// rng, so a seeded rng reproduces the same masks. It is the identity —
// returning x itself — when train is false, p is 0, or the tape is in
// no-grad (inference) mode. p must lie in [0, 1]; p = 1 zeroes everything.
// The mask is kept in tape scratch.
//
// Backward: ∂L/∂x += ∂L/∂out ⊙ mask, mask ∈ {0, 1/(1−p)}.
func Dropout(tp *Tape, x *Tensor, p float32, train bool, rng *rand.Rand) *Tensor {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("tensor: Dropout probability %g outside [0, 1]", p))
	}
	if !train || p == 0 || tp.noGrad {
		return x
	}
	if rng == nil {
		panic("tensor: Dropout in training mode needs a rand.Rand")
	}
	if p == 1 {
		out := tp.Result(x.Shape, x) // all zeros
		if out.requiresGrad {
			tp.record(func() {}) // no gradient flows; keep one step per op
		}
		return out
	}
	out := tp.resultNoZero(x.Shape, x)
	mask := tp.Scratch(len(out.Data))
	fillDropoutMask(mask, p, rng)
	vec.Mul(out.Data, x.Data, mask)
	if out.requiresGrad {
		tp.record(func() { accumRow(kMul, x.Grad, 1, out.Grad, mask, 1, nil) })
	}
	return out
}

// fillDropoutMask sets every mask entry to 0 with probability p and to
// 1/(1−p) otherwise, using one 32-bit uniform draw per entry (two per
// rng.Uint64 call).
func fillDropoutMask(mask []float32, p float32, rng *rand.Rand) {
	thr := uint32(float64(p) * (1 << 32)) // drop when u < thr
	scale := 1 / (1 - p)
	i := 0
	for ; i+2 <= len(mask); i += 2 {
		u := rng.Uint64()
		mask[i], mask[i+1] = 0, 0
		if uint32(u) >= thr {
			mask[i] = scale
		}
		if uint32(u>>32) >= thr {
			mask[i+1] = scale
		}
	}
	if i < len(mask) {
		mask[i] = 0
		if uint32(rng.Uint64()) >= thr {
			mask[i] = scale
		}
	}
}
