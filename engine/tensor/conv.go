package tensor

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Conv1dConfig holds the hyper-parameters of Conv1d, with PyTorch's
// nn.Conv1d semantics. Zero values take the documented defaults.
type Conv1dConfig struct {
	Stride   int  // step between output positions; default 1
	Padding  int  // zeros added on both ends of the sequence; default 0
	Dilation int  // spacing between kernel taps; default 1
	Groups   int  // channel groups: Cin and Cout must be multiples; default 1
	Causal   bool // pad (K−1)·Dilation zeros on the left only (TCN); Padding must be 0
	// PadLeft and PadRight give explicit asymmetric zero padding, e.g.
	// PadRight = (K−1)·Dilation for BiTCN's anti-causal ("forward")
	// convolution. Either being non-zero excludes Padding and Causal.
	PadLeft, PadRight int
	// Circular pads by wrapping the sequence around (PyTorch's
	// padding_mode='circular', as in Informer/Autoformer/FEDformer token
	// embeddings) instead of with zeros; each pad must be at most L and
	// Causal is excluded.
	Circular bool
}

func (c Conv1dConfig) withDefaults() Conv1dConfig {
	if c.Stride == 0 {
		c.Stride = 1
	}
	if c.Dilation == 0 {
		c.Dilation = 1
	}
	if c.Groups == 0 {
		c.Groups = 1
	}
	return c
}

// pads returns the left and right zero padding for kernel size k.
func (c Conv1dConfig) pads(k int) (left, right int) {
	switch {
	case c.PadLeft != 0 || c.PadRight != 0:
		return c.PadLeft, c.PadRight
	case c.Causal:
		return c.Dilation * (k - 1), 0
	}
	return c.Padding, c.Padding
}

// Conv1dOutLen returns the output length of Conv1d for an input of length
// l and a kernel of size k: ⌊(l + padL + padR − d·(k−1) − 1)/s⌋ + 1, where
// padL = padR = Padding, or padL = d·(k−1), padR = 0 for a causal
// convolution, or PadLeft, PadRight. It is ≤ 0 when the input is too short.
func Conv1dOutLen(l, k int, cfg Conv1dConfig) int {
	cfg = cfg.withDefaults()
	padL, padR := cfg.pads(k)
	span := l + padL + padR - cfg.Dilation*(k-1) - 1
	if span < 0 {
		return 0
	}
	return span/cfg.Stride + 1
}

// Conv1d returns the 1-D cross-correlation of x (N, Cin, L) with weight w
// (Cout, Cin/Groups, K) plus bias (Cout, or nil), as PyTorch's F.conv1d:
//
//	out[n, o, t] = b[o] + Σ_{c∈group(o)} Σ_j w[o, c, j] · x̃[n, c, t·s + j·d − padL]
//
// where x̃ is x padded with zeros. The result has shape (N, Cout, Lout) with
// Lout = Conv1dOutLen(L, K, cfg). It is computed by im2col into a tape
// scratch buffer and one blas32.Gemm per group over the whole batch.
//
// Backward: with C the im2col matrix and G the output gradient arranged as
// (Cout, N·Lout), ∂L/∂W_g += G_g·C_gᵀ, ∂L/∂x += col2im(W_gᵀ·G_g),
// ∂L/∂b[o] += Σ_{n,t} ∂L/∂out[n, o, t].
func Conv1d(tp *Tape, x, w, bias *Tensor, cfg Conv1dConfig) *Tensor {
	cfg = cfg.withDefaults()
	if len(x.Shape) != 3 || len(w.Shape) != 3 {
		panic(convShapeMsg(x, w))
	}
	nb, cin, l := x.Shape[0], x.Shape[1], x.Shape[2]
	cout, cing, k := w.Shape[0], w.Shape[1], w.Shape[2]
	g := cfg.Groups
	if cfg.Stride < 0 || cfg.Dilation < 0 || cfg.Padding < 0 || cfg.PadLeft < 0 || cfg.PadRight < 0 || g < 0 || k == 0 {
		panic(fmt.Sprintf("tensor: Conv1d invalid config %+v (kernel %d)", cfg, k))
	}
	if cfg.Causal && cfg.Padding != 0 {
		panic("tensor: Conv1d Causal excludes Padding")
	}
	if (cfg.PadLeft != 0 || cfg.PadRight != 0) && (cfg.Causal || cfg.Padding != 0) {
		panic("tensor: Conv1d PadLeft/PadRight exclude Padding and Causal")
	}
	if pl, pr := cfg.pads(k); cfg.Circular && (cfg.Causal || pl > l || pr > l) {
		panic(fmt.Sprintf("tensor: Conv1d circular padding (%d, %d) of length %d (or causal)", pl, pr, l))
	}
	if cin%g != 0 || cout%g != 0 || cin/g != cing {
		panic(convShapeMsg(x, w))
	}
	if bias != nil && (len(bias.Shape) != 1 || bias.Shape[0] != cout) {
		panic(fmt.Sprintf("tensor: Conv1d bias %v for %d output channels", append([]int(nil), bias.Shape...), cout))
	}
	lout := Conv1dOutLen(l, k, cfg)
	if lout <= 0 {
		panic(fmt.Sprintf("tensor: Conv1d input length %d too short for kernel %d with %+v", l, k, cfg))
	}
	padL, _ := cfg.pads(k)
	rowsG, coutG := cing*k, cout/g
	var out *Tensor
	if rowsG > 0 { // every element is written by a beta = 0 Gemm (or copied from its output)
		out = tp.resultNoZero([]int{nb, cout, lout}, x, w, bias)
	} else {
		out = tp.Result([]int{nb, cout, lout}, x, w, bias)
	}
	if nb == 0 || cout == 0 {
		return out
	}
	geo := convGeom{n: nb, cin: cin, l: l, k: k, lout: lout, stride: cfg.Stride, dil: cfg.Dilation, padL: padL, circular: cfg.Circular}
	nl := nb * lout
	col := tp.Scratch(cin * k * nl)
	geo.im2col(x.Data, col)
	// tmp holds the (Cout, N·Lout) product; with a single sequence it is the output itself.
	tmp := out.Data
	if nb > 1 {
		if rowsG > 0 { // written completely by the Gemm below
			tmp = tp.rawScratch(cout * nl)
		} else {
			tmp = tp.Scratch(cout * nl)
		}
	}
	if rowsG > 0 {
		for gi := 0; gi < g; gi++ {
			gemmNN(general(coutG, rowsG, w.Data[gi*coutG*rowsG:(gi+1)*coutG*rowsG]),
				general(rowsG, nl, col[gi*rowsG*nl:(gi+1)*rowsG*nl]),
				0, general(coutG, nl, tmp[gi*coutG*nl:(gi+1)*coutG*nl]))
		}
	}
	for n := 0; n < nb; n++ {
		for o := 0; o < cout; o++ {
			dst := out.Data[(n*cout+o)*lout : (n*cout+o+1)*lout]
			if nb > 1 {
				copy(dst, tmp[o*nl+n*lout:o*nl+(n+1)*lout])
			}
			if bias != nil {
				bv := bias.Data[o]
				for t := range dst {
					dst[t] += bv
				}
			}
		}
	}
	if !out.requiresGrad {
		return out
	}
	var dcol, wT []float32
	if x.requiresGrad {
		dcol = tp.rawScratch(len(col)) // written by a beta = 0 Gemm before col2im reads it
		if gonumKernels {              // gonum: Wᵀ·G as an untransposed product is about twice as fast
			wT = tp.Scratch(len(w.Data))
		}
	}
	tp.record(func() {
		gt := out.Grad
		if nb > 1 {
			gt = tmp
			for n := 0; n < nb; n++ {
				for o := 0; o < cout; o++ {
					copy(gt[o*nl+n*lout:o*nl+(n+1)*lout], out.Grad[(n*cout+o)*lout:(n*cout+o+1)*lout])
				}
			}
		}
		if bias != nil && bias.requiresGrad {
			for o := 0; o < cout; o++ {
				var s float32
				for _, v := range gt[o*nl : (o+1)*nl] {
					s += v
				}
				bias.Grad[o] += s
			}
		}
		if rowsG == 0 {
			return
		}
		for gi := 0; gi < g; gi++ {
			wg := gi * coutG * rowsG
			gg := general(coutG, nl, gt[gi*coutG*nl:(gi+1)*coutG*nl])
			if w.requiresGrad {
				gemmNT(gg, general(rowsG, nl, col[gi*rowsG*nl:(gi+1)*rowsG*nl]), 1, general(coutG, rowsG, w.Grad[wg:wg+coutG*rowsG]))
			}
			if x.requiresGrad {
				dc := general(rowsG, nl, dcol[gi*rowsG*nl:(gi+1)*rowsG*nl])
				if wT != nil {
					transpose(wT[wg:wg+coutG*rowsG], w.Data[wg:wg+coutG*rowsG], coutG, rowsG)
					gemmNN(general(rowsG, coutG, wT[wg:wg+coutG*rowsG]), gg, 0, dc)
				} else {
					blas32.Gemm(blas.Trans, blas.NoTrans, 1, general(coutG, rowsG, w.Data[wg:wg+coutG*rowsG]), gg, 0, dc)
				}
			}
		}
		if x.requiresGrad {
			geo.col2im(dcol, x.Grad)
		}
	})
	return out
}

// convGeom describes the im2col layout: row c·K + j, column n·Lout + t of
// the column matrix holds x[n, c, t·stride + j·dil − padL] (zero outside,
// or the position wrapped modulo l when circular).
type convGeom struct {
	n, cin, l, k, lout, stride, dil, padL int
	circular                              bool
}

// wrapped calls f(t, p) for the output positions t outside [lo, hi) of tap j
// with their wrapped input position p (circular padding only).
func (g convGeom) wrapped(j, lo, hi int, f func(t, p int)) {
	off := j*g.dil - g.padL
	for t := 0; t < g.lout; t++ {
		if t == lo {
			t = hi
			if t >= g.lout {
				break
			}
		}
		p := (t*g.stride + off) % g.l
		if p < 0 {
			p += g.l
		}
		f(t, p)
	}
}

// validRange returns the output positions [lo, hi) whose tap j reads
// inside the input.
func (g convGeom) validRange(j int) (int, int) {
	off := j*g.dil - g.padL // input position of output 0
	lo := 0
	if off < 0 {
		lo = (-off + g.stride - 1) / g.stride
	}
	hi := g.lout
	if last := g.l - 1 - off; last < 0 {
		hi = 0
	} else if h := last/g.stride + 1; h < hi {
		hi = h
	}
	if lo > hi {
		lo = hi
	}
	return lo, hi
}

// im2col fills col (zeroed, cin·k × n·lout) from x.
func (g convGeom) im2col(x, col []float32) {
	nl := g.n * g.lout
	for j := 0; j < g.k; j++ {
		lo, hi := g.validRange(j)
		if g.circular && (lo > 0 || hi < g.lout) {
			for c := 0; c < g.cin; c++ {
				row := col[(c*g.k+j)*nl : (c*g.k+j+1)*nl]
				for n := 0; n < g.n; n++ {
					xr := x[(n*g.cin+c)*g.l : (n*g.cin+c+1)*g.l]
					dst := row[n*g.lout : (n+1)*g.lout]
					g.wrapped(j, lo, hi, func(t, p int) { dst[t] = xr[p] })
				}
			}
		}
		if lo >= hi {
			continue
		}
		off := j*g.dil - g.padL
		for c := 0; c < g.cin; c++ {
			row := col[(c*g.k+j)*nl : (c*g.k+j+1)*nl]
			for n := 0; n < g.n; n++ {
				xr := x[(n*g.cin+c)*g.l : (n*g.cin+c+1)*g.l]
				dst := row[n*g.lout : (n+1)*g.lout]
				if g.stride == 1 {
					copy(dst[lo:hi], xr[lo+off:hi+off])
					continue
				}
				p := lo*g.stride + off
				for t := lo; t < hi; t++ {
					dst[t] = xr[p]
					p += g.stride
				}
			}
		}
	}
}

// col2im accumulates the column-matrix gradient dcol into dx.
func (g convGeom) col2im(dcol, dx []float32) {
	nl := g.n * g.lout
	for j := 0; j < g.k; j++ {
		lo, hi := g.validRange(j)
		if g.circular && (lo > 0 || hi < g.lout) {
			for c := 0; c < g.cin; c++ {
				row := dcol[(c*g.k+j)*nl : (c*g.k+j+1)*nl]
				for n := 0; n < g.n; n++ {
					xr := dx[(n*g.cin+c)*g.l : (n*g.cin+c+1)*g.l]
					src := row[n*g.lout : (n+1)*g.lout]
					g.wrapped(j, lo, hi, func(t, p int) { xr[p] += src[t] })
				}
			}
		}
		if lo >= hi {
			continue
		}
		off := j*g.dil - g.padL
		for c := 0; c < g.cin; c++ {
			row := dcol[(c*g.k+j)*nl : (c*g.k+j+1)*nl]
			for n := 0; n < g.n; n++ {
				xr := dx[(n*g.cin+c)*g.l : (n*g.cin+c+1)*g.l]
				src := row[n*g.lout : (n+1)*g.lout]
				if g.stride == 1 {
					d := xr[lo+off : hi+off]
					s := src[lo:hi]
					for i := range d {
						d[i] += s[i]
					}
					continue
				}
				p := lo*g.stride + off
				for t := lo; t < hi; t++ {
					xr[p] += src[t]
					p += g.stride
				}
			}
		}
	}
}

func convShapeMsg(x, w *Tensor) string {
	return fmt.Sprintf("tensor: Conv1d input %v with weight %v", append([]int(nil), x.Shape...), append([]int(nil), w.Shape...))
}
