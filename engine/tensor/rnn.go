package tensor

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/tensor/internal/vec"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// RNNWeights holds one recurrent layer's parameters in PyTorch's layout
// (nn.LSTM / nn.GRU / nn.RNN and their cells): WIH is (G·H, I), WHH is
// (G·H, H), BIH and BHH are (G·H) or nil, with G = 4 gates for LSTM
// (i, f, g, o), 3 for GRU (r, z, n) and 1 for the Elman RNN. WHR is LSTM's
// optional output projection (nn.LSTM proj_size = P > 0): (P, H), in which
// case WHH is (4·H, P) and the hidden state has P features.
type RNNWeights struct {
	WIH, WHH, BIH, BHH *Tensor
	WHR                *Tensor
}

// dims validates the weights of a recurrent layer without projection for
// gates gates and returns (I, H).
func (w RNNWeights) dims(op string, gates int) (in, h int) {
	if w.WHR != nil {
		panic(fmt.Sprintf("tensor: %s has no output projection (WHR)", op))
	}
	if w.WIH == nil || w.WHH == nil || len(w.WIH.Shape) != 2 || len(w.WHH.Shape) != 2 {
		panic(fmt.Sprintf("tensor: %s needs 2-D WIH and WHH", op))
	}
	gh := w.WHH.Shape[0]
	h = w.WHH.Shape[1]
	if gh != gates*h || w.WIH.Shape[0] != gh || h == 0 {
		panic(fmt.Sprintf("tensor: %s weights WIH %v, WHH %v: want (%d·H, I) and (%d·H, H)", op,
			append([]int(nil), w.WIH.Shape...), append([]int(nil), w.WHH.Shape...), gates, gates))
	}
	w.checkBias(op, gh)
	return w.WIH.Shape[1], h
}

// lstmDims validates LSTM weights and returns (I, H, P), P = H without projection.
func (w RNNWeights) lstmDims(op string) (in, h, p int) {
	if w.WIH == nil || w.WHH == nil || len(w.WIH.Shape) != 2 || len(w.WHH.Shape) != 2 {
		panic(fmt.Sprintf("tensor: %s needs 2-D WIH and WHH", op))
	}
	gh := w.WIH.Shape[0]
	h = gh / 4
	p = h
	if w.WHR != nil {
		if len(w.WHR.Shape) != 2 || w.WHR.Shape[1] != h || w.WHR.Shape[0] == 0 {
			panic(fmt.Sprintf("tensor: %s projection WHR %v, want (P, %d)", op, append([]int(nil), w.WHR.Shape...), h))
		}
		p = w.WHR.Shape[0]
	}
	if gh == 0 || gh%4 != 0 || w.WHH.Shape[0] != gh || w.WHH.Shape[1] != p {
		panic(fmt.Sprintf("tensor: %s weights WIH %v, WHH %v: want (4·H, I) and (4·H, P)", op,
			append([]int(nil), w.WIH.Shape...), append([]int(nil), w.WHH.Shape...)))
	}
	w.checkBias(op, gh)
	return w.WIH.Shape[1], h, p
}

func (w RNNWeights) checkBias(op string, gh int) {
	for _, b := range []*Tensor{w.BIH, w.BHH} {
		if b != nil && (len(b.Shape) != 1 || b.Shape[0] != gh) {
			panic(fmt.Sprintf("tensor: %s bias %v, want (%d)", op, append([]int(nil), b.Shape...), gh))
		}
	}
}

// rnnSeqShape checks x (N, T, I) and an optional state (N, H).
func rnnSeqShape(op string, x *Tensor, in, h int, states ...*Tensor) (n, t int) {
	if len(x.Shape) != 3 || x.Shape[2] != in || x.Shape[1] == 0 {
		panic(fmt.Sprintf("tensor: %s input %v, want (N, T>0, %d)", op, append([]int(nil), x.Shape...), in))
	}
	n, t = x.Shape[0], x.Shape[1]
	for _, s := range states {
		if s != nil && (len(s.Shape) != 2 || s.Shape[0] != n || s.Shape[1] != h) {
			panic(fmt.Sprintf("tensor: %s state %v, want (%d, %d)", op, append([]int(nil), s.Shape...), n, h))
		}
	}
	return n, t
}

// rnnCellShape checks a cell input x (N, I) and optional states (N, H).
func rnnCellShape(op string, x *Tensor, in, h int, states ...*Tensor) int {
	if len(x.Shape) != 2 || x.Shape[1] != in {
		panic(fmt.Sprintf("tensor: %s input %v, want (N, %d)", op, append([]int(nil), x.Shape...), in))
	}
	n := x.Shape[0]
	for _, s := range states {
		if s != nil && (len(s.Shape) != 2 || s.Shape[0] != n || s.Shape[1] != h) {
			panic(fmt.Sprintf("tensor: %s state %v, want (%d, %d)", op, append([]int(nil), s.Shape...), n, h))
		}
	}
	return n
}

// gonumKernels is set on the default (pure-Go gonum) backend. The E2 ops
// then avoid gonum's transposed Gemm variants (pre-transposing weights and
// gate gradients, which costs one pass over the data) and run their
// untransposed products on the AVX2 vec kernels (gemmNN, gemmNT,
// attention_small.go), which are two to three times faster than gonum's
// Sgemm for these shapes. With -tags openblas every product is blas32.Gemm.
const gonumKernels = Backend == "gonum"

// rnnChunk is the number of (batch, step) rows whose gate gradients are
// transposed at a time for the weight-gradient Gemms.
const rnnChunk = 512

// transpose writes the cols×rows transpose of src (rows×cols) into dst.
func transpose(dst, src []float32, rows, cols int) {
	const blk = 32
	for r0 := 0; r0 < rows; r0 += blk {
		r1 := min(r0+blk, rows)
		for c0 := 0; c0 < cols; c0 += blk {
			c1 := min(c0+blk, cols)
			for r := r0; r < r1; r++ {
				sr := src[r*cols : r*cols+c1]
				for c := c0; c < c1; c++ {
					dst[c*rows+r] = sr[c]
				}
			}
		}
	}
}

// rnnInputProj sets g (N·T × gh) = X·WIHᵀ + bias rows, one Gemm for all
// steps. wihT (in × gh) is scratch for the transposed weight, or nil.
func rnnInputProj(x, wih, wihT []float32, bias1, bias2 *Tensor, rows, in, gh int, g []float32) {
	beta := float32(0)
	if bias1 != nil || bias2 != nil {
		beta = 1
		row := g[:gh]
		switch {
		case bias1 == nil:
			copy(row, bias2.Data)
		case bias2 == nil:
			copy(row, bias1.Data)
		default:
			for j, v := range bias1.Data {
				row[j] = v + bias2.Data[j]
			}
		}
		for r := 1; r < rows; r++ {
			copy(g[r*gh:(r+1)*gh], row)
		}
	}
	if in == 0 || rows == 0 {
		return
	}
	if wihT != nil {
		transpose(wihT, wih, gh, in)
		gemmNN(general(rows, in, x), general(in, gh, wihT), beta, general(rows, gh, g))
		return
	}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1, general(rows, in, x), general(gh, in, wih), beta, general(rows, gh, g))
}

// rnnStepGemm adds (or with beta 0 sets) dst_t = Hprev_t·WHHᵀ for the rows
// of step t; Hprev and dst are (N, T, ·) batch-first buffers. whhT is the
// transposed weight (h × gh) or nil.
func rnnStepGemm(hprev, whh, whhT []float32, n, t, steps, h, gh int, beta float32, dst []float32) {
	a := blas32.General{Rows: n, Cols: h, Stride: steps * h, Data: hprev[t*h:]}
	c := blas32.General{Rows: n, Cols: gh, Stride: steps * gh, Data: dst[t*gh:]}
	if n == 1 {
		blas32.Gemv(blas.NoTrans, 1, general(gh, h, whh), blas32.Vector{N: h, Inc: 1, Data: a.Data}, beta, blas32.Vector{N: gh, Inc: 1, Data: c.Data})
		return
	}
	if whhT != nil {
		gemmNN(a, general(h, gh, whhT), beta, c)
		return
	}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1, a, general(gh, h, whh), beta, c)
}

// rnnParamGrads accumulates the weight, bias and input gradients from the
// pre-activation gradients dgi (rows × gh, input side) and dgh (hidden side).
// dT (gh × min(rows, rnnChunk)) is scratch for transposed gradients, or nil.
func rnnParamGrads(x *Tensor, hprev []float32, w RNNWeights, dgi, dgh, dT []float32, rows, in, h, gh int) {
	// weightGrad: dW (gh × k) += dᵀ·B for B (rows × k).
	weightGrad := func(d, b, dw []float32, k int) {
		if dT != nil {
			// chunks of rnnChunk rows: dW += (d_chunk)ᵀ·B_chunk, transposed explicitly.
			for r0 := 0; r0 < rows; r0 += rnnChunk {
				r := min(rnnChunk, rows-r0)
				transpose(dT[:gh*r], d[r0*gh:(r0+r)*gh], r, gh)
				gemmNN(general(gh, r, dT[:gh*r]), general(r, k, b[r0*k:(r0+r)*k]), 1, general(gh, k, dw))
			}
			return
		}
		blas32.Gemm(blas.Trans, blas.NoTrans, 1, general(rows, gh, d), general(rows, k, b), 1, general(gh, k, dw))
	}
	if w.WIH.requiresGrad && in > 0 {
		weightGrad(dgi, x.Data, w.WIH.Grad, in)
	}
	if w.WHH.requiresGrad {
		weightGrad(dgh, hprev, w.WHH.Grad, h)
	}
	if x.requiresGrad && in > 0 {
		gemmNN(general(rows, gh, dgi), general(gh, in, w.WIH.Data), 1, general(rows, in, x.Grad))
	}
	colSum := func(b *Tensor, d []float32) {
		if b == nil || !b.requiresGrad {
			return
		}
		for r := 0; r < rows; r++ {
			for j, v := range d[r*gh : (r+1)*gh] {
				b.Grad[j] += v
			}
		}
	}
	colSum(w.BIH, dgi)
	colSum(w.BHH, dgh)
}

// gemmNN computes C = A·B + beta·C for untransposed row-major operands.
// On the gonum backend it runs axpyGemm, which on this class of machine is
// two to three times faster than gonum's Sgemm for the recurrent ops'
// shapes even single-threaded; with OpenBLAS it is blas32.Gemm.
func gemmNN(a, b blas32.General, beta float32, c blas32.General) {
	if !gonumKernels {
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, a, b, beta, c)
		return
	}
	if a.Rows != c.Rows || b.Rows != a.Cols || b.Cols != c.Cols {
		panic("tensor: gemmNN shape mismatch")
	}
	axpyGemm(a, b, beta, c)
}

// gemmNT computes C = A·Bᵀ + beta·C for row-major A (m × k) and B (n × k):
// on the gonum backend as AVX2 dot products of rows (vec.Dot), efficient for
// long k; with OpenBLAS as blas32.Gemm.
func gemmNT(a, b blas32.General, beta float32, c blas32.General) {
	if !gonumKernels {
		blas32.Gemm(blas.NoTrans, blas.Trans, 1, a, b, beta, c)
		return
	}
	if a.Rows != c.Rows || b.Rows != c.Cols || a.Cols != b.Cols {
		panic("tensor: gemmNT shape mismatch")
	}
	k := a.Cols
	for i := 0; i < c.Rows; i++ {
		ar := a.Data[i*a.Stride : i*a.Stride+k]
		cr := c.Data[i*c.Stride : i*c.Stride+c.Cols]
		for j := range cr {
			d := vec.Dot(ar, b.Data[j*b.Stride:j*b.Stride+k])
			if beta == 0 {
				cr[j] = d
			} else {
				cr[j] = beta*cr[j] + d
			}
		}
	}
}

// axpyGemmBlock is the number of columns of B and C processed together,
// so that a k × block panel of B stays in cache while every row of A uses it.
const axpyGemmBlock = 256

// axpyGemm computes C = A·B + beta·C as rows of AVX2 axpys (vec.Axpy):
// C[i, J] += A[i, l]·B[l, J] over column panels J.
func axpyGemm(a, b blas32.General, beta float32, c blas32.General) {
	m, k, n := a.Rows, a.Cols, c.Cols
	if m == 0 || n == 0 {
		return
	}
	for i := 0; i < m; i++ {
		cr := c.Data[i*c.Stride : i*c.Stride+n]
		switch beta {
		case 0:
			clear(cr)
		case 1:
		default:
			for j := range cr {
				cr[j] *= beta
			}
		}
	}
	for j0 := 0; j0 < n; j0 += axpyGemmBlock {
		j1 := min(j0+axpyGemmBlock, n)
		for i := 0; i < m; i++ {
			cr := c.Data[i*c.Stride+j0 : i*c.Stride+j1]
			for l, av := range a.Data[i*a.Stride : i*a.Stride+k] {
				if av != 0 {
					vec.Axpy(cr, b.Data[l*b.Stride+j0:l*b.Stride+j1], av)
				}
			}
		}
	}
}

// rawScratch is Tape.Scratch without zeroing a recycled buffer, for
// buffers the op overwrites completely before reading them.
func (tp *Tape) rawScratch(n int) []float32 { return tp.arena.floatsNoZero(n) }

// inputProjWrites reports whether rnnInputProj writes every element of its
// output (it leaves it untouched without input features and biases).
func inputProjWrites(in int, b1, b2 *Tensor) bool { return in > 0 || b1 != nil || b2 != nil }

// sigmoidSlice overwrites x with σ(x) = 1/(1 + e^{−x}) (vec.Sigmoid: AVX2
// where available).
func sigmoidSlice(x []float32) { vec.Sigmoid(x, x) }
