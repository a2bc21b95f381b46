package tensor

import "github.com/streamcast/streamcast/engine/tensor/internal/vec"

// Small-head attention kernels. Attention heads are tiny matrices (PatchTST:
// 42 patches × 8 features), for which gonum's Gemm spends its time in call
// overhead and length-8 dot products. With K and V transposed per head,
// every product below becomes dot products or axpys of length Lk on the
// AVX2 vec kernels. They are used on the gonum backend for heads of at most
// attnSmallWork multiply-adds per product; OpenBLAS keeps the Gemm path.

const attnSmallWork = 1 << 18

func attnUseSmall(lq, lk, d, dv int) bool {
	return gonumKernels && lq*lk*max(d, dv) <= attnSmallWork
}

// attnHead holds one head's operands and the per-call transposition buffers
// kt (d × lk), vt (dv × lk); dkt and dvt are the backward's gradient
// buffers of the same shapes.
type attnHead struct {
	lq, lk, d, dv    int
	kt, vt, dkt, dvt []float32
}

// scores sets s (lq × lk) = beta·s + scale·q·kᵀ, beta ∈ {0, 1}.
func (h attnHead) scores(s, q, k []float32, scale, beta float32) {
	lk, d := h.lk, h.d
	transpose(h.kt, k, lk, d)
	if beta == 0 {
		clear(s)
	}
	for i := 0; i < h.lq; i++ {
		sr := s[i*lk : (i+1)*lk]
		for l, qv := range q[i*d : (i+1)*d] {
			if qv != 0 {
				vec.Axpy(sr, h.kt[l*lk:(l+1)*lk], scale*qv)
			}
		}
	}
}

// pv sets out (lq × dv) = p·v.
func (h attnHead) pv(out, p, v []float32) {
	lk, dv := h.lk, h.dv
	transpose(h.vt, v, lk, dv)
	for i := 0; i < h.lq; i++ {
		pr := p[i*lk : (i+1)*lk]
		or := out[i*dv : (i+1)*dv]
		for j := range or {
			or[j] = vec.Dot(pr, h.vt[j*lk:(j+1)*lk])
		}
	}
}

// backwardPV sets dp = dOut·vᵀ and, when dv is non-nil, adds pᵀ·dOut to dv.
func (h attnHead) backwardPV(dp, gout, p, v, gv []float32) {
	lk, dvN := h.lk, h.dv
	transpose(h.vt, v, lk, dvN)
	clear(dp)
	if gv != nil {
		clear(h.dvt)
	}
	for i := 0; i < h.lq; i++ {
		dpr, pr := dp[i*lk:(i+1)*lk], p[i*lk:(i+1)*lk]
		for j, g := range gout[i*dvN : (i+1)*dvN] {
			if g == 0 {
				continue
			}
			vec.Axpy(dpr, h.vt[j*lk:(j+1)*lk], g)
			if gv != nil {
				vec.Axpy(h.dvt[j*lk:(j+1)*lk], pr, g)
			}
		}
	}
	if gv != nil {
		addTransposed(gv, h.dvt, dvN, lk)
	}
}

// backwardQK adds scale·ds·k to gq and scale·dsᵀ·q to gk (either may be nil).
func (h attnHead) backwardQK(ds, q, k, gq, gk []float32, scale float32) {
	lk, d := h.lk, h.d
	if gq != nil {
		transpose(h.kt, k, lk, d)
		for i := 0; i < h.lq; i++ {
			dsr := ds[i*lk : (i+1)*lk]
			gr := gq[i*d : (i+1)*d]
			for j := range gr {
				gr[j] += scale * vec.Dot(dsr, h.kt[j*lk:(j+1)*lk])
			}
		}
	}
	if gk != nil {
		clear(h.dkt)
		for i := 0; i < h.lq; i++ {
			dsr := ds[i*lk : (i+1)*lk]
			for j, qv := range q[i*d : (i+1)*d] {
				if qv != 0 {
					vec.Axpy(h.dkt[j*lk:(j+1)*lk], dsr, scale*qv)
				}
			}
		}
		addTransposed(gk, h.dkt, d, lk)
	}
}

// addTransposed adds the transpose of src (rows × cols) to dst (cols × rows).
func addTransposed(dst, src []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		for c, v := range src[r*cols : (r+1)*cols] {
			dst[c*rows+r] += v
		}
	}
}
