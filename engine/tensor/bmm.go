package tensor

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// BMM returns the batched matrix product C[b] = op(A[b])·op(B[b]), where
// op(X) is X or Xᵀ as transA/transB say. A and B have rank ≥ 3 with equal
// leading (batch) axes; their last two axes are (m, k) (or (k, m) when
// transA) and (k, n) (or (n, k) when transB). C has the batch axes of A
// followed by (m, n). Every batch goes through one blas32.Gemm.
//
// Backward (for transA = transB = false; the transposed cases follow):
// ∂L/∂A[b] += ∂L/∂C[b]·B[b]ᵀ, ∂L/∂B[b] += A[b]ᵀ·∂L/∂C[b].
func BMM(tp *Tape, a, b *Tensor, transA, transB bool) *Tensor {
	ra, rb := len(a.Shape), len(b.Shape)
	if ra < 3 || ra != rb {
		panic(bmmShapeMsg(a, b))
	}
	batch := 1
	for i := 0; i < ra-2; i++ {
		if a.Shape[i] != b.Shape[i] {
			panic(bmmShapeMsg(a, b))
		}
		batch *= a.Shape[i]
	}
	m, k := a.Shape[ra-2], a.Shape[ra-1]
	if transA {
		m, k = k, m
	}
	kb, n := b.Shape[rb-2], b.Shape[rb-1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(bmmShapeMsg(a, b))
	}
	var shape [MaxDims]int
	copy(shape[:], a.Shape[:ra-2])
	shape[ra-2], shape[ra-1] = m, n
	var out *Tensor
	if k > 0 { // every element is written by a beta = 0 Gemm
		out = tp.resultNoZero(shape[:ra], a, b)
	} else {
		out = tp.Result(shape[:ra], a, b)
	}
	if m*n == 0 || k == 0 || batch == 0 {
		return out
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	ar, ac := m, k
	if transA {
		ta, ar, ac = blas.Trans, k, m
	}
	br, bc := k, n
	if transB {
		tb, br, bc = blas.Trans, n, k
	}
	sa, sb, sc := m*k, k*n, m*n
	for i := 0; i < batch; i++ {
		blas32.Gemm(ta, tb, 1, general(ar, ac, a.Data[i*sa:(i+1)*sa]), general(br, bc, b.Data[i*sb:(i+1)*sb]),
			0, general(m, n, out.Data[i*sc:(i+1)*sc]))
	}
	if out.requiresGrad {
		tp.record(func() {
			for i := 0; i < batch; i++ {
				ad := general(ar, ac, a.Data[i*sa:(i+1)*sa])
				bd := general(br, bc, b.Data[i*sb:(i+1)*sb])
				gc := general(m, n, out.Grad[i*sc:(i+1)*sc])
				if a.requiresGrad {
					ga := general(ar, ac, a.Grad[i*sa:(i+1)*sa])
					if !transA {
						// dA = dC·op(B)ᵀ
						blas32.Gemm(blas.NoTrans, flip(tb), 1, gc, bd, 1, ga)
					} else {
						// dAᵀ = dC·op(B)ᵀ  ⇒  dA = op(B)·dCᵀ
						blas32.Gemm(tb, blas.Trans, 1, bd, gc, 1, ga)
					}
				}
				if b.requiresGrad {
					gb := general(br, bc, b.Grad[i*sb:(i+1)*sb])
					if !transB {
						// dB = op(A)ᵀ·dC
						blas32.Gemm(flip(ta), blas.NoTrans, 1, ad, gc, 1, gb)
					} else {
						// dBᵀ = op(A)ᵀ·dC  ⇒  dB = dCᵀ·op(A)
						blas32.Gemm(blas.Trans, ta, 1, gc, ad, 1, gb)
					}
				}
			}
		})
	}
	return out
}

func flip(t blas.Transpose) blas.Transpose {
	if t == blas.NoTrans {
		return blas.Trans
	}
	return blas.NoTrans
}

func bmmShapeMsg(a, b *Tensor) string {
	return fmt.Sprintf("tensor: BMM shapes %v × %v", append([]int(nil), a.Shape...), append([]int(nil), b.Shape...))
}
