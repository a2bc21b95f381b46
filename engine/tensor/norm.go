package tensor

import (
	"fmt"
	"math"

	"github.com/streamcast/streamcast/engine/tensor/internal/vec"
)

// LayerNormEps is PyTorch's default ε for layer and batch normalisation.
const LayerNormEps = 1e-5

// LayerNorm normalises x over its last ndims axes (torch.nn.LayerNorm with
// normalized_shape = x.Shape[len-ndims:]):
//
//	y = (x − μ) / √(σ² + ε) ⊙ weight + bias
//
// with μ, σ² the mean and biased variance of each group of D = Π last ndims
// sizes. weight and bias (shape x.Shape[len-ndims:]) may be nil for no affine
// transform. Forward and backward are fused; μ and 1/√(σ²+ε) per row are
// saved in tape scratch.
//
// Backward, with x̂ = (x−μ)·r, r = 1/√(σ²+ε), ĝ = ∂L/∂y ⊙ weight:
// ∂L/∂x = r·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)), ∂L/∂weight += Σ_rows ∂L/∂y ⊙ x̂,
// ∂L/∂bias += Σ_rows ∂L/∂y.
func LayerNorm(tp *Tape, x *Tensor, ndims int, weight, bias *Tensor, eps float32) *Tensor {
	if ndims < 1 || ndims > len(x.Shape) {
		panic(fmt.Sprintf("tensor: LayerNorm over %d axes of shape %v", ndims, x.Shape))
	}
	norm := x.Shape[len(x.Shape)-ndims:]
	for _, p := range [2]*Tensor{weight, bias} {
		if p != nil && !equalInts(p.Shape, norm) {
			panic(fmt.Sprintf("tensor: LayerNorm affine parameter %v for normalized shape %v", p.Shape, x.Shape[len(x.Shape)-ndims:]))
		}
	}
	d := 1
	for _, s := range norm {
		d *= s
	}
	out := tp.resultNoZero(x.Shape, x, weight, bias)
	if len(out.Data) == 0 || d == 0 {
		return out
	}
	rows := len(out.Data) / d
	var stats []float32 // mean, rstd per row, then two row buffers for backward
	if out.requiresGrad {
		stats = tp.Scratch(2*rows + 2*d)
	}
	invD := 1 / float32(d)
	for r := 0; r < rows; r++ {
		xr, yr := x.Data[r*d:(r+1)*d], out.Data[r*d:(r+1)*d]
		mean := vec.Sum(xr) * invD
		rstd := float32(1 / math.Sqrt(float64(vec.SumSqDev(xr, mean)*invD+eps)))
		vec.ScaleShift(yr, xr, rstd, -mean*rstd)
		if weight != nil {
			vec.Mul(yr, yr, weight.Data)
		}
		if bias != nil {
			vec.Add(yr, yr, bias.Data)
		}
		if stats != nil {
			stats[2*r], stats[2*r+1] = mean, rstd
		}
	}
	if out.requiresGrad {
		tp.record(func() { layerNormBackward(x, weight, bias, out, stats, d) })
	}
	return out
}

// layerNormBackward accumulates LayerNorm's gradients; stats holds mean and
// rstd per row followed by two d-sized buffers (x̂ and ĝ of the current row).
func layerNormBackward(x, weight, bias, out *Tensor, stats []float32, d int) {
	rows := len(out.Data) / d
	invD := 1 / float32(d)
	xhat, gh := stats[2*rows:2*rows+d], stats[2*rows+d:2*rows+2*d]
	for r := 0; r < rows; r++ {
		xr, g := x.Data[r*d:(r+1)*d], out.Grad[r*d:(r+1)*d]
		mean, rstd := stats[2*r], stats[2*r+1]
		vec.ScaleShift(xhat, xr, rstd, -mean*rstd)
		if weight != nil && weight.requiresGrad {
			vec.MulAdd(weight.Grad[:d], g, xhat)
		}
		if bias != nil && bias.requiresGrad {
			vec.Add(bias.Grad[:d], bias.Grad[:d], g)
		}
		if !x.requiresGrad {
			continue
		}
		gw := g
		if weight != nil {
			vec.Mul(gh, g, weight.Data)
			gw = gh
		}
		// ∂L/∂x = r·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)).
		sg := vec.Sum(gw) * invD
		sgx := vec.Dot(gw, xhat) * invD
		xg := x.Grad[r*d : (r+1)*d]
		vec.Axpy(xg, gw, rstd)
		vec.Axpy(xg, xhat, -rstd*sgx)
		vec.ScaleShift(xg, xg, 1, -rstd*sg)
	}
}

// BatchNormState holds the running statistics of a BatchNorm1d layer
// (torch.nn.BatchNorm1d buffers). Create it with NewBatchNormState.
type BatchNormState struct {
	RunningMean []float32 // per-channel running mean; starts at 0
	RunningVar  []float32 // per-channel running unbiased variance; starts at 1
	Momentum    float32   // running-stat update weight; default 0.1
	Eps         float32   // added to the variance; default 1e-5
	// NumBatchesTracked counts training-mode forward passes.
	NumBatchesTracked int
}

// NewBatchNormState returns the state of a BatchNorm1d over c channels with
// PyTorch's defaults (mean 0, variance 1, momentum 0.1, ε 1e-5).
func NewBatchNormState(c int) *BatchNormState {
	st := &BatchNormState{
		RunningMean: make([]float32, c),
		RunningVar:  make([]float32, c),
		Momentum:    0.1,
		Eps:         LayerNormEps,
	}
	for i := range st.RunningVar {
		st.RunningVar[i] = 1
	}
	return st
}

// BatchNorm1d normalises each channel of x, shaped (N, C) or (N, C, L), as
// torch.nn.BatchNorm1d: y = (x − μ_c)/√(σ²_c + ε) ⊙ weight_c + bias_c.
//
// In training mode (train true) μ_c and σ²_c are the batch mean and biased
// variance over N (and L), and st's running statistics are updated in place
// with momentum m: running_mean ← (1−m)·running_mean + m·μ, running_var ←
// (1−m)·running_var + m·σ²·n/(n−1) (unbiased), n = N·L; at least two values
// per channel are needed. In eval mode the running statistics are used.
// weight and bias (shape (C)) may be nil.
//
// Backward (training), x̂ = (x−μ)·r, r = 1/√(σ²+ε):
// ∂L/∂x = weight·r·(g − mean(g) − x̂·mean(g ⊙ x̂)) per channel; in eval mode
// ∂L/∂x = weight·r·g. ∂L/∂weight += Σ g ⊙ x̂, ∂L/∂bias += Σ g.
func BatchNorm1d(tp *Tape, x, weight, bias *Tensor, st *BatchNormState, train bool) *Tensor {
	if len(x.Shape) != 2 && len(x.Shape) != 3 {
		panic(fmt.Sprintf("tensor: BatchNorm1d input %v, want (N,C) or (N,C,L)", x.Shape))
	}
	nb, c := x.Shape[0], x.Shape[1]
	l := 1
	if len(x.Shape) == 3 {
		l = x.Shape[2]
	}
	if st == nil || len(st.RunningMean) != c || len(st.RunningVar) != c {
		panic(fmt.Sprintf("tensor: BatchNorm1d state does not match %d channels", c))
	}
	for _, p := range [2]*Tensor{weight, bias} {
		if p != nil && (len(p.Shape) != 1 || p.Shape[0] != c) {
			panic(fmt.Sprintf("tensor: BatchNorm1d affine parameter %v for %d channels", p.Shape, c))
		}
	}
	count := nb * l
	if train && count < 2 {
		panic(fmt.Sprintf("tensor: BatchNorm1d needs more than 1 value per channel when training, got input %v", x.Shape))
	}
	out := tp.resultNoZero(x.Shape, x, weight, bias)
	if len(out.Data) == 0 {
		return out
	}
	// Scratch: mean, rstd, scale, shift per channel, plus Σg, Σg·x̂ for backward.
	ns := 4 * c
	if out.requiresGrad {
		ns = 7 * c
	}
	stats := tp.Scratch(ns)
	mean, rstd, scale, shift := stats[:c], stats[c:2*c], stats[2*c:3*c], stats[3*c:4*c]
	cl := c * l
	if train {
		// Loops run sample → channel → position so that memory is walked
		// in order for both (N, C) and (N, C, L).
		for n := 0; n < nb; n++ {
			xn := x.Data[n*cl : (n+1)*cl]
			if l == 1 {
				vec.Add(mean, mean, xn)
				continue
			}
			for ch := range mean {
				mean[ch] += sum32(xn[ch*l : (ch+1)*l])
			}
		}
		inv := 1 / float32(count)
		for ch := range mean {
			mean[ch] *= inv
		}
		vr := rstd // accumulate Σ(x−μ)² in place of rstd
		for n := 0; n < nb; n++ {
			xn := x.Data[n*cl : (n+1)*cl]
			if l == 1 {
				tmp := out.Data[n*cl : (n+1)*cl] // free until the output pass
				vec.Sub(tmp, xn, mean)
				vec.MulAdd(vr, tmp, tmp)
				continue
			}
			for ch := range mean {
				vr[ch] += vec.SumSqDev(xn[ch*l:(ch+1)*l], mean[ch])
			}
		}
		mom := float64(st.Momentum)
		unbias := float64(count) / float64(count-1)
		for ch := range mean {
			v := float64(vr[ch] * inv)
			rstd[ch] = float32(1 / math.Sqrt(v+float64(st.Eps)))
			st.RunningMean[ch] = float32((1-mom)*float64(st.RunningMean[ch]) + mom*float64(mean[ch]))
			st.RunningVar[ch] = float32((1-mom)*float64(st.RunningVar[ch]) + mom*v*unbias)
		}
		st.NumBatchesTracked++
	} else {
		for ch := range mean {
			mean[ch] = st.RunningMean[ch]
			rstd[ch] = float32(1 / math.Sqrt(float64(st.RunningVar[ch])+float64(st.Eps)))
		}
	}
	for ch := range mean {
		sc, sh := rstd[ch], -mean[ch]*rstd[ch]
		if weight != nil {
			sc *= weight.Data[ch]
			sh *= weight.Data[ch]
		}
		if bias != nil {
			sh += bias.Data[ch]
		}
		scale[ch], shift[ch] = sc, sh
	}
	for n := 0; n < nb; n++ {
		xn, yn := x.Data[n*cl:(n+1)*cl], out.Data[n*cl:(n+1)*cl]
		if l == 1 {
			vec.Mul(yn, xn, scale)
			vec.Add(yn, yn, shift)
			continue
		}
		for ch := range scale {
			vec.ScaleShift(yn[ch*l:(ch+1)*l], xn[ch*l:(ch+1)*l], scale[ch], shift[ch])
		}
	}
	if out.requiresGrad {
		tp.record(func() { batchNormBackward(x, weight, bias, out, stats, train) })
	}
	return out
}

// batchNormBackward accumulates the gradients of BatchNorm1d; stats holds
// mean, rstd, scale, shift, two accumulators and a temporary per channel.
func batchNormBackward(x, weight, bias, out *Tensor, stats []float32, train bool) {
	nb, c := x.Shape[0], x.Shape[1]
	l := 1
	if len(x.Shape) == 3 {
		l = x.Shape[2]
	}
	cl := c * l
	mean, rstd := stats[:c], stats[c:2*c]
	sg, sgx := stats[4*c:5*c], stats[5*c:6*c] // Σ g, Σ g·(x−μ)
	clear(sg)
	clear(sgx)
	for n := 0; n < nb; n++ {
		xn, gn := x.Data[n*cl:(n+1)*cl], out.Grad[n*cl:(n+1)*cl]
		if l == 1 {
			tmp := stats[6*c : 7*c]
			vec.Add(sg, sg, gn)
			vec.Sub(tmp, xn, mean)
			vec.MulAdd(sgx, gn, tmp)
			continue
		}
		for ch := range sg {
			m := mean[ch]
			g := gn[ch*l : (ch+1)*l]
			var a, b float32
			for i, v := range xn[ch*l : (ch+1)*l] {
				a += g[i]
				b += g[i] * (v - m)
			}
			sg[ch] += a
			sgx[ch] += b
		}
	}
	for ch := range sgx {
		sgx[ch] *= rstd[ch] // Σ g·x̂
	}
	if weight != nil && weight.requiresGrad {
		for ch, v := range sgx {
			weight.Grad[ch] += v
		}
	}
	if bias != nil && bias.requiresGrad {
		for ch, v := range sg {
			bias.Grad[ch] += v
		}
	}
	if !x.requiresGrad {
		return
	}
	// ∂L/∂x = a·g + b·x + d per channel, with a = w·r and, in training,
	// b = −a·r·mean(g·x̂), d = −a·mean(g) − b·μ. Reuse sg/sgx for b and d and
	// the scale slot for a.
	a := stats[2*c : 3*c]
	inv := 1 / float32(nb*l)
	for ch := range a {
		w := float32(1)
		if weight != nil {
			w = weight.Data[ch]
		}
		a[ch] = w * rstd[ch]
		if train {
			b := -a[ch] * rstd[ch] * sgx[ch] * inv
			sg[ch], sgx[ch] = -a[ch]*sg[ch]*inv-b*mean[ch], b
		} else {
			sg[ch], sgx[ch] = 0, 0
		}
	}
	d, b := sg, sgx
	for n := 0; n < nb; n++ {
		xn, gn, xg := x.Data[n*cl:(n+1)*cl], out.Grad[n*cl:(n+1)*cl], x.Grad[n*cl:(n+1)*cl]
		if l == 1 {
			vec.MulAdd(xg, a, gn)
			vec.MulAdd(xg, b, xn)
			vec.Add(xg, xg, d)
			continue
		}
		for ch := range a {
			xgr := xg[ch*l : (ch+1)*l]
			vec.Axpy(xgr, gn[ch*l:(ch+1)*l], a[ch])
			vec.Axpy(xgr, xn[ch*l:(ch+1)*l], b[ch])
			vec.ScaleShift(xgr, xgr, 1, d[ch])
		}
	}
}
