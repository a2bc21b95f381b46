package tensor

import (
	"fmt"
	"math"
)

// Pool1dConfig holds the hyper-parameters of MaxPool1d and AvgPool1d, with
// PyTorch's semantics. Zero values take the documented defaults.
type Pool1dConfig struct {
	Kernel   int  // window size; required (> 0)
	Stride   int  // step between windows; default Kernel
	Padding  int  // implicit padding on both ends, at most Kernel/2; default 0
	CeilMode bool // round the output length up (the last window must still start inside input or left padding)
	// ExcludePad makes AvgPool1d divide by the number of real (non-padding)
	// elements in the window: PyTorch's count_include_pad=False. Default
	// false, i.e. count_include_pad=True. MaxPool1d ignores it.
	ExcludePad bool
}

func (c Pool1dConfig) withDefaults() Pool1dConfig {
	if c.Stride == 0 {
		c.Stride = c.Kernel
	}
	return c
}

// Pool1dOutLen returns the pooled length of an input of length l, as
// PyTorch: ⌊(l + 2p − k)/s⌋ + 1, or with CeilMode ⌈(l + 2p − k)/s⌉ + 1
// minus one when the last window would start at or beyond l + p.
// It is ≤ 0 when the input is too short.
func Pool1dOutLen(l int, cfg Pool1dConfig) int {
	cfg = cfg.withDefaults()
	span := l + 2*cfg.Padding - cfg.Kernel
	if span < 0 || cfg.Stride <= 0 {
		return 0
	}
	if cfg.CeilMode {
		span += cfg.Stride - 1
	}
	n := span/cfg.Stride + 1
	if cfg.CeilMode && (n-1)*cfg.Stride >= l+cfg.Padding {
		n--
	}
	return n
}

// poolShape validates x and cfg and returns the number of rows (all
// leading axes), the input length and the output length.
func poolShape(op string, x *Tensor, cfg Pool1dConfig) (rows, l, lout int) {
	if len(x.Shape) < 2 {
		panic(fmt.Sprintf("tensor: %s needs (N, C, L) or (C, L) input, got %v", op, append([]int(nil), x.Shape...)))
	}
	if cfg.Kernel <= 0 || cfg.Stride <= 0 || cfg.Padding < 0 || cfg.Padding > cfg.Kernel/2 {
		panic(fmt.Sprintf("tensor: %s invalid config %+v (padding must be at most half the kernel)", op, cfg))
	}
	l = x.Shape[len(x.Shape)-1]
	if l >= 1<<24 {
		panic(fmt.Sprintf("tensor: %s input length %d too long", op, l))
	}
	lout = Pool1dOutLen(l, cfg)
	if lout <= 0 {
		panic(fmt.Sprintf("tensor: %s input length %d too short for %+v", op, l, cfg))
	}
	rows = x.Numel() / max(l, 1)
	return rows, l, lout
}

func poolOutShape(x *Tensor, lout int) ([MaxDims]int, int) {
	var shape [MaxDims]int
	nd := copy(shape[:], x.Shape)
	shape[nd-1] = lout
	return shape, nd
}

// MaxPool1d returns the maximum over sliding windows of the last axis of x
// ((N, C, L) or (C, L)), padding with −∞, as PyTorch's F.max_pool1d:
//
//	out[…, i] = max_{j ∈ [i·s − p, i·s − p + k) ∩ [0, L)} x[…, j]
//
// NaN propagates. Backward routes ∂L/∂out[…, i] to the (first) arg-max.
func MaxPool1d(tp *Tape, x *Tensor, cfg Pool1dConfig) *Tensor {
	cfg = cfg.withDefaults()
	rows, l, lout := poolShape("MaxPool1d", x, cfg)
	shape, nd := poolOutShape(x, lout)
	out := tp.resultNoZero(shape[:nd], x)
	var arg []float32 // input index of every output's maximum, for backward
	if out.requiresGrad {
		arg = tp.rawScratch(rows * lout)
	}
	k, s, p := cfg.Kernel, cfg.Stride, cfg.Padding
	for r := 0; r < rows; r++ {
		xr := x.Data[r*l : (r+1)*l]
		or := out.Data[r*lout : (r+1)*lout]
		for i := range or {
			lo := i*s - p
			hi := min(lo+k, l)
			lo = max(lo, 0)
			best, m := lo, float32(math.Inf(-1))
			for j := lo; j < hi; j++ {
				if v := xr[j]; v > m || v != v {
					m, best = v, j
					if v != v {
						break
					}
				}
			}
			or[i] = m
			if arg != nil {
				arg[r*lout+i] = float32(best)
			}
		}
	}
	if out.requiresGrad {
		tp.record(func() {
			for r := 0; r < rows; r++ {
				gx := x.Grad[r*l : (r+1)*l]
				for i, g := range out.Grad[r*lout : (r+1)*lout] {
					gx[int(arg[r*lout+i])] += g
				}
			}
		})
	}
	return out
}

// AvgPool1d returns the mean over sliding windows of the last axis of x
// ((N, C, L) or (C, L)), as PyTorch's F.avg_pool1d:
//
//	out[…, i] = (1/D_i) Σ_{j ∈ [a_i, b_i) ∩ [0, L)} x[…, j],  a_i = i·s − p, b_i = min(a_i + k, L + p)
//
// with divisor D_i = b_i − a_i (count_include_pad, the default) or, with
// ExcludePad, the number of real elements in the window.
//
// Backward: ∂L/∂x[…, j] += Σ_{i: j in window i} ∂L/∂out[…, i] / D_i.
func AvgPool1d(tp *Tape, x *Tensor, cfg Pool1dConfig) *Tensor {
	cfg = cfg.withDefaults()
	rows, l, lout := poolShape("AvgPool1d", x, cfg)
	shape, nd := poolOutShape(x, lout)
	out := tp.resultNoZero(shape[:nd], x)
	win := avgWindows{k: cfg.Kernel, s: cfg.Stride, p: cfg.Padding, l: l, excl: cfg.ExcludePad}
	for r := 0; r < rows; r++ {
		xr := x.Data[r*l : (r+1)*l]
		or := out.Data[r*lout : (r+1)*lout]
		for i := range or {
			lo, hi, inv := win.at(i)
			var sum float32
			for _, v := range xr[lo:hi] {
				sum += v
			}
			or[i] = sum * inv
		}
	}
	if out.requiresGrad {
		tp.record(func() {
			for r := 0; r < rows; r++ {
				gx := x.Grad[r*l : (r+1)*l]
				for i, g := range out.Grad[r*lout : (r+1)*lout] {
					lo, hi, inv := win.at(i)
					g *= inv
					for j := lo; j < hi; j++ {
						gx[j] += g
					}
				}
			}
		})
	}
	return out
}

// avgWindows gives AvgPool1d's window bounds and inverse divisor.
type avgWindows struct {
	k, s, p, l int
	excl       bool
}

func (w avgWindows) at(i int) (lo, hi int, inv float32) {
	lo = i*w.s - w.p
	hi = min(lo+w.k, w.l+w.p)
	d := hi - lo
	lo, hi = max(lo, 0), min(hi, w.l)
	if w.excl {
		d = hi - lo
	}
	return lo, hi, 1 / float32(d)
}
