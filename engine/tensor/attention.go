package tensor

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// AttentionConfig holds the options of Attention. Zero values take the
// documented defaults.
type AttentionConfig struct {
	// Mask is an additive (Lq, Lk) mask (e.g. 0 / −∞ entries) or nil.
	Mask *Tensor
	// Causal masks every key position j > i for query position i with −∞
	// (PyTorch's triu(ones(Lq, Lk), 1) boolean mask); no gradient flows
	// through masked scores.
	Causal bool
	// Prev holds additive scores of the previous layer, shaped like the
	// scores (…, Lq, Lk), or nil: PatchTST's residual attention.
	Prev *Tensor
	// Scale multiplies q·kᵀ; default 1/√d.
	Scale float32
}

// Attention returns scaled dot-product attention over the leading (batch,
// head) axes of q (…, Lq, d), k (…, Lk, d) and v (…, Lk, dv):
//
//	S = Scale·q·kᵀ + Prev + Mask (causal entries −∞),  P = softmax_rows(S),  out = P·v
//
// It returns out (…, Lq, dv) and the pre-softmax scores S (…, Lq, Lk),
// which PatchTST passes to the next layer as Prev. Both outputs are
// differentiable. The two products of every (batch, head) go through
// blas32.Gemm; the softmax and its backward are fused in between, and the
// probabilities are kept in tape scratch for backward:
//
//	dP = dOut·vᵀ,  dv += Pᵀ·dOut,  dS = P ⊙ (dP − rowsum(dP ⊙ P)) + dScores,
//	dq += Scale·dS·k,  dk += Scale·dSᵀ·q,  dPrev += dS,  dMask += Σ_batch dS.
func Attention(tp *Tape, q, k, v *Tensor, cfg AttentionConfig) (out, scores *Tensor) {
	r := len(q.Shape)
	if r < 3 || len(k.Shape) != r || len(v.Shape) != r {
		panic(attnShapeMsg(q, k, v))
	}
	batch := 1
	for i := 0; i < r-2; i++ {
		if k.Shape[i] != q.Shape[i] || v.Shape[i] != q.Shape[i] {
			panic(attnShapeMsg(q, k, v))
		}
		batch *= q.Shape[i]
	}
	lq, d := q.Shape[r-2], q.Shape[r-1]
	lk, dv := k.Shape[r-2], v.Shape[r-1]
	if k.Shape[r-1] != d || v.Shape[r-2] != lk || lq == 0 || lk == 0 {
		panic(attnShapeMsg(q, k, v))
	}
	if m := cfg.Mask; m != nil && (len(m.Shape) != 2 || m.Shape[0] != lq || m.Shape[1] != lk) {
		panic(fmt.Sprintf("tensor: Attention mask %v, want (%d, %d)", append([]int(nil), m.Shape...), lq, lk))
	}
	var shape [MaxDims]int
	copy(shape[:], q.Shape[:r-2])
	shape[r-2], shape[r-1] = lq, lk
	if p := cfg.Prev; p != nil {
		if len(p.Shape) != r {
			panic(fmt.Sprintf("tensor: Attention prev scores %v, want %v", append([]int(nil), p.Shape...), append([]int(nil), shape[:r]...)))
		}
		for i := range r {
			if p.Shape[i] != shape[i] {
				panic(fmt.Sprintf("tensor: Attention prev scores %v, want %v", append([]int(nil), p.Shape...), append([]int(nil), shape[:r]...)))
			}
		}
	}
	scale := cfg.Scale
	if scale == 0 {
		scale = float32(1 / math.Sqrt(float64(d)))
	}
	small := attnUseSmall(lq, lk, d, dv)
	if small || d > 0 || cfg.Prev != nil { // every score is written (Gemm with beta = 0, or Prev copied)
		scores = tp.resultNoZero(shape[:r], q, k, v, cfg.Mask, cfg.Prev)
	} else {
		scores = tp.Result(shape[:r], q, k, v, cfg.Mask, cfg.Prev)
	}
	shape[r-1] = dv
	out = tp.resultNoZero(shape[:r], q, k, v, cfg.Mask, cfg.Prev)
	record := out.requiresGrad
	ss := lq * lk
	var probs []float32
	if record {
		probs = tp.rawScratch(batch * ss)
	} else {
		probs = tp.rawScratch(ss)
	}
	negInf := float32(math.Inf(-1))
	var hd attnHead
	if small {
		hd = attnHead{lq: lq, lk: lk, d: d, dv: dv, kt: tp.Scratch(d * lk), vt: tp.Scratch(dv * lk)}
		if record {
			hd.dkt, hd.dvt = tp.Scratch(d*lk), tp.Scratch(dv*lk)
		}
	}
	for b := 0; b < batch; b++ {
		s := scores.Data[b*ss : (b+1)*ss]
		beta := float32(0)
		if cfg.Prev != nil {
			copy(s, cfg.Prev.Data[b*ss:(b+1)*ss])
			beta = 1
		}
		if small {
			hd.scores(s, q.Data[b*lq*d:(b+1)*lq*d], k.Data[b*lk*d:(b+1)*lk*d], scale, beta)
		} else if d > 0 {
			blas32.Gemm(blas.NoTrans, blas.Trans, scale, general(lq, d, q.Data[b*lq*d:(b+1)*lq*d]),
				general(lk, d, k.Data[b*lk*d:(b+1)*lk*d]), beta, general(lq, lk, s))
		}
		if cfg.Mask != nil {
			for i, m := range cfg.Mask.Data[:ss] {
				s[i] += m
			}
		}
		if cfg.Causal {
			for i := 0; i < lq; i++ {
				for j := i + 1; j < lk; j++ {
					s[i*lk+j] = negInf
				}
			}
		}
		p := probs
		if record {
			p = probs[b*ss : (b+1)*ss]
		}
		softmaxRows(p, s, lq, lk)
		if small {
			hd.pv(out.Data[b*lq*dv:(b+1)*lq*dv], p, v.Data[b*lk*dv:(b+1)*lk*dv])
		} else if dv > 0 {
			blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, general(lq, lk, p), general(lk, dv, v.Data[b*lk*dv:(b+1)*lk*dv]),
				0, general(lq, dv, out.Data[b*lq*dv:(b+1)*lq*dv]))
		}
	}
	if record {
		a := attnSaved{batch: batch, lq: lq, lk: lk, d: d, dv: dv, scale: scale, causal: cfg.Causal, probs: probs, dp: tp.rawScratch(ss),
			small: small, head: hd}
		tp.record(a.backwardFunc(q, k, v, cfg.Mask, cfg.Prev, out, scores))
	}
	return out, scores
}

// softmaxRows writes the row-wise softmax of s (rows × cols) into p; a row
// whose entries are all −∞ gets zero probabilities.
func softmaxRows(p, s []float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		sr := s[i*cols : (i+1)*cols]
		pr := p[i*cols : (i+1)*cols]
		m := float32(math.Inf(-1))
		for _, v := range sr {
			if v > m {
				m = v
			}
		}
		if math.IsInf(float64(m), -1) {
			clear(pr)
			continue
		}
		for j, v := range sr {
			pr[j] = v - m
		}
		expSlice(pr, pr)
		var sum float32
		for _, e := range pr {
			sum += e
		}
		inv := 1 / sum
		for j := range pr {
			pr[j] *= inv
		}
	}
}

// attnSaved is what Attention's backward needs.
type attnSaved struct {
	batch, lq, lk, d, dv int
	scale                float32
	causal               bool
	probs, dp            []float32
	small                bool     // use the small-head kernels (attention_small.go)
	head                 attnHead // their buffers
}

func (a attnSaved) backwardFunc(q, k, v, mask, prev, out, scores *Tensor) func() {
	return func() { a.backward(q, k, v, mask, prev, out, scores) }
}

func (a attnSaved) backward(q, k, v, mask, prev, out, scores *Tensor) {
	lq, lk, d, dv := a.lq, a.lk, a.d, a.dv
	ss := lq * lk
	dp := a.dp
	for b := 0; b < a.batch; b++ {
		p := a.probs[b*ss : (b+1)*ss]
		gout := general(lq, dv, out.Grad[b*lq*dv:(b+1)*lq*dv])
		// dP = dOut·vᵀ
		if a.small {
			var gv []float32
			if v.requiresGrad {
				gv = v.Grad[b*lk*dv : (b+1)*lk*dv]
			}
			a.head.backwardPV(dp, gout.Data, p, v.Data[b*lk*dv:(b+1)*lk*dv], gv)
		} else if dv > 0 {
			blas32.Gemm(blas.NoTrans, blas.Trans, 1, gout, general(lk, dv, v.Data[b*lk*dv:(b+1)*lk*dv]), 0, general(lq, lk, dp))
			if v.requiresGrad {
				blas32.Gemm(blas.Trans, blas.NoTrans, 1, general(lq, lk, p), gout, 1, general(lk, dv, v.Grad[b*lk*dv:(b+1)*lk*dv]))
			}
		} else {
			clear(dp)
		}
		// dS (in dp) = P ⊙ (dP − rowsum(dP ⊙ P)) + dScores
		gs := scores.Grad[b*ss : (b+1)*ss]
		for i := 0; i < lq; i++ {
			pr, dr, gr := p[i*lk:(i+1)*lk], dp[i*lk:(i+1)*lk], gs[i*lk:(i+1)*lk]
			var dot float32
			for j, pv := range pr {
				dot += pv * dr[j]
			}
			for j, pv := range pr {
				dr[j] = pv*(dr[j]-dot) + gr[j]
			}
			if a.causal {
				clear(dr[min(i+1, lk):])
			}
		}
		if prev != nil && prev.requiresGrad {
			g := prev.Grad[b*ss : (b+1)*ss]
			for i, x := range dp {
				g[i] += x
			}
		}
		if mask != nil && mask.requiresGrad {
			for i, x := range dp {
				mask.Grad[i] += x
			}
		}
		if a.small {
			var gq, gk []float32
			if q.requiresGrad {
				gq = q.Grad[b*lq*d : (b+1)*lq*d]
			}
			if k.requiresGrad {
				gk = k.Grad[b*lk*d : (b+1)*lk*d]
			}
			a.head.backwardQK(dp, q.Data[b*lq*d:(b+1)*lq*d], k.Data[b*lk*d:(b+1)*lk*d], gq, gk, a.scale)
			continue
		}
		if d == 0 {
			continue
		}
		if q.requiresGrad {
			blas32.Gemm(blas.NoTrans, blas.NoTrans, a.scale, general(lq, lk, dp), general(lk, d, k.Data[b*lk*d:(b+1)*lk*d]),
				1, general(lq, d, q.Grad[b*lq*d:(b+1)*lq*d]))
		}
		if k.requiresGrad {
			blas32.Gemm(blas.Trans, blas.NoTrans, a.scale, general(lq, lk, dp), general(lq, d, q.Data[b*lq*d:(b+1)*lq*d]),
				1, general(lk, d, k.Grad[b*lk*d:(b+1)*lk*d]))
		}
	}
}

func attnShapeMsg(q, k, v *Tensor) string {
	return fmt.Sprintf("tensor: Attention q %v, k %v, v %v: want (…, Lq, d), (…, Lk, d), (…, Lk, dv)",
		append([]int(nil), q.Shape...), append([]int(nil), k.Shape...), append([]int(nil), v.Shape...))
}
