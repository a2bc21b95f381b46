package tensor

import (
	"math"

	"github.com/streamcast/streamcast/engine/tensor/internal/vec"
)

// unaryResult returns the output of an elementwise op and the input data
// re-sliced to the output length (bounds-check elimination).
func unaryResult(tp *Tape, x *Tensor) (*Tensor, []float32) {
	out := tp.resultNoZero(x.Shape, x) // every op here writes all of out
	return out, x.Data[:len(out.Data)]
}

// ReLU returns max(x, 0) elementwise.
//
// Backward: ∂L/∂x += ∂L/∂out · 1[x > 0].
func ReLU(tp *Tape, x *Tensor) *Tensor {
	out, xd := unaryResult(tp, x)
	vec.Relu(out.Data, xd)
	if out.requiresGrad {
		tp.record(func() { vec.ReluGrad(x.Grad, out.Grad, x.Data) })
	}
	return out
}

// positiveMask returns all ones when v > 0 (or is a positive NaN) and 0
// otherwise, without branching.
func positiveMask(v float32) uint32 {
	b := int32(math.Float32bits(v))
	return uint32(-b>>31) &^ uint32(b>>31)
}

// Exp returns eˣ elementwise.
//
// Backward: ∂L/∂x += ∂L/∂out · eˣ.
func Exp(tp *Tape, x *Tensor) *Tensor {
	out, xd := unaryResult(tp, x)
	expSlice(out.Data, xd)
	if out.requiresGrad {
		tp.record(func() { accumRow(kMul, x.Grad, 1, out.Grad, out.Data, 1, nil) })
	}
	return out
}

// Log returns the natural logarithm ln x elementwise (NaN for x < 0, −Inf at 0).
//
// Backward: ∂L/∂x += ∂L/∂out / x.
func Log(tp *Tape, x *Tensor) *Tensor {
	out, xd := unaryResult(tp, x)
	for i, v := range xd {
		out.Data[i] = log32(v)
	}
	if out.requiresGrad {
		tp.record(func() { accumRow(kDiv, x.Grad, 1, out.Grad, x.Data, 1, nil) })
	}
	return out
}

// Sqrt returns √x elementwise.
//
// Backward: ∂L/∂x += ∂L/∂out / (2√x).
func Sqrt(tp *Tape, x *Tensor) *Tensor {
	out, xd := unaryResult(tp, x)
	for i, v := range xd {
		out.Data[i] = float32(math.Sqrt(float64(v)))
	}
	if out.requiresGrad {
		tp.record(func() {
			g, y, xg := out.Grad, out.Data[:len(out.Grad)], x.Grad[:len(out.Grad)]
			for i, v := range g {
				xg[i] += v / (2 * y[i])
			}
		})
	}
	return out
}

// Abs returns |x| elementwise.
//
// Backward: ∂L/∂x += ∂L/∂out · sign(x), with sign(0) = 0 as in PyTorch.
func Abs(tp *Tape, x *Tensor) *Tensor {
	out, xd := unaryResult(tp, x)
	for i, v := range xd {
		out.Data[i] = float32(math.Abs(float64(v)))
	}
	if out.requiresGrad {
		tp.record(func() {
			g, xv, xg := out.Grad, x.Data[:len(out.Grad)], x.Grad[:len(out.Grad)]
			for i, v := range g {
				switch {
				case xv[i] > 0:
					xg[i] += v
				case xv[i] < 0:
					xg[i] -= v
				}
			}
		})
	}
	return out
}

// Pow returns xᵖ elementwise for a scalar exponent p (NaN for negative x
// and non-integer p, as in PyTorch).
//
// Backward: ∂L/∂x += ∂L/∂out · p·xᵖ⁻¹ (zero when p = 0).
func Pow(tp *Tape, x *Tensor, p float32) *Tensor {
	out, xd := unaryResult(tp, x)
	switch p {
	case 1:
		copy(out.Data, xd)
	case 2:
		for i, v := range xd {
			out.Data[i] = v * v
		}
	default:
		pp := float64(p)
		for i, v := range xd {
			out.Data[i] = float32(math.Pow(float64(v), pp))
		}
	}
	if out.requiresGrad {
		tp.record(func() {
			g, xv, xg := out.Grad, x.Data[:len(out.Grad)], x.Grad[:len(out.Grad)]
			switch p {
			case 0:
			case 1:
				accumRow(kOne, xg, 1, g, nil, 0, nil)
			case 2:
				for i, v := range g {
					xg[i] += 2 * xv[i] * v
				}
			default:
				pm := float64(p) - 1
				for i, v := range g {
					xg[i] += v * p * float32(math.Pow(float64(xv[i]), pm))
				}
			}
		})
	}
	return out
}

// Tanh returns tanh x elementwise.
//
// Backward: ∂L/∂x += ∂L/∂out · (1 − tanh²x).
func Tanh(tp *Tape, x *Tensor) *Tensor {
	out, xd := unaryResult(tp, x)
	tanhSlice(out.Data, xd)
	if out.requiresGrad {
		tp.record(func() {
			g, y, xg := out.Grad, out.Data[:len(out.Grad)], x.Grad[:len(out.Grad)]
			for i, v := range g {
				xg[i] += v * (1 - y[i]*y[i])
			}
		})
	}
	return out
}

// Sigmoid returns σ(x) = 1/(1+e⁻ˣ) elementwise.
//
// Backward: ∂L/∂x += ∂L/∂out · σ(x)(1 − σ(x)).
func Sigmoid(tp *Tape, x *Tensor) *Tensor {
	out, xd := unaryResult(tp, x)
	vec.Sigmoid(out.Data, xd)
	if out.requiresGrad {
		tp.record(func() {
			g, y, xg := out.Grad, out.Data[:len(out.Grad)], x.Grad[:len(out.Grad)]
			for i, v := range g {
				xg[i] += v * y[i] * (1 - y[i])
			}
		})
	}
	return out
}

// ELU returns x for x > 0 and α(eˣ − 1) otherwise (torch.nn.ELU, default α = 1).
//
// Backward: ∂L/∂x += ∂L/∂out for x > 0, ∂L/∂out · αeˣ = ∂L/∂out · (out + α) otherwise.
func ELU(tp *Tape, x *Tensor, alpha float32) *Tensor {
	out, xd := unaryResult(tp, x)
	vec.ELU(out.Data, xd, alpha) // eˣ − 1 via expm1 near 0: no cancellation
	if out.requiresGrad {
		tp.record(func() {
			g, y, xv, xg := out.Grad, out.Data[:len(out.Grad)], x.Data[:len(out.Grad)], x.Grad[:len(out.Grad)]
			for i, v := range g {
				// 1 for x > 0, αeˣ = out + α otherwise, selected without a branch.
				xg[i] += v * selectBits(positiveMask(xv[i]), 1, y[i]+alpha)
			}
		})
	}
	return out
}

// Softplus returns (1/β)·ln(1 + e^{βx}), reverting to x where βx > threshold
// (torch.nn.Softplus; PyTorch's defaults are β = 1, threshold = 20).
//
// Backward: ∂L/∂x += ∂L/∂out · σ(βx), or ∂L/∂out where βx > threshold.
func Softplus(tp *Tape, x *Tensor, beta, threshold float32) *Tensor {
	out, xd := unaryResult(tp, x)
	vec.Softplus(out.Data, xd, beta, threshold)
	var sig []float32 // σ(βx), saved for backward
	if out.requiresGrad {
		sig = tp.Scratch(len(xd))
		vec.ScaleShift(sig, xd, beta, 0)
		vec.Sigmoid(sig, sig)
		tp.record(func() {
			g, xv, xg := out.Grad, x.Data[:len(out.Grad)], x.Grad[:len(out.Grad)]
			s := sig[:len(g)]
			for i, v := range g {
				d := s[i]
				if beta*xv[i] > threshold {
					d = 1
				}
				xg[i] += v * d
			}
		})
	}
	return out
}

const (
	invSqrt2Pi  = 0.39894228040143267794
	sqrt2OverPi = 0.79788456080286535588
	geluCoef    = 0.044715
)

// GELU returns the exact Gaussian error linear unit x·Φ(x) =
// ½x(1 + erf(x/√2)), PyTorch's default (approximate='none').
//
// Backward: ∂L/∂x += ∂L/∂out · (Φ(x) + x·φ(x)), φ the standard normal density.
func GELU(tp *Tape, x *Tensor) *Tensor {
	out, xd := unaryResult(tp, x)
	cdf := out.Data // Φ(x), saved for backward when gradients flow
	if out.requiresGrad {
		cdf = tp.Scratch(len(xd))
	}
	normCDFSlice(cdf, xd)
	vec.Mul(out.Data, xd, cdf)
	if out.requiresGrad {
		tp.record(func() { geluBackward(x.Grad, out.Grad, x.Data, cdf) })
	}
	return out
}

// geluBackward accumulates ∂L/∂x += g·(Φ(x) + x·φ(x)), batching φ's
// exponentials through a stack buffer.
func geluBackward(xg, g, x, cdf []float32) {
	var tmp [256]float32
	for lo := 0; lo < len(g); lo += len(tmp) {
		hi := min(lo+len(tmp), len(g))
		xs, e := x[lo:hi], tmp[:hi-lo]
		for i, v := range xs {
			e[i] = -0.5 * v * v
		}
		expSlice(e, e)
		gs, c, dst := g[lo:hi], cdf[lo:hi], xg[lo:hi]
		for i, v := range xs {
			dst[i] += gs[i] * (c[i] + v*invSqrt2Pi*e[i])
		}
	}
}

// GELUTanh returns the tanh approximation of GELU,
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch approximate='tanh').
//
// Backward: ∂L/∂x += ∂L/∂out · (½(1+t) + ½x(1−t²)√(2/π)(1 + 3·0.044715x²)),
// t the tanh term.
func GELUTanh(tp *Tape, x *Tensor) *Tensor {
	out, xd := unaryResult(tp, x)
	for i, v := range xd {
		t := tanh32(sqrt2OverPi * (v + geluCoef*v*v*v))
		out.Data[i] = 0.5 * v * (1 + t)
	}
	if out.requiresGrad {
		tp.record(func() {
			g, xv, xg := out.Grad, x.Data[:len(out.Grad)], x.Grad[:len(out.Grad)]
			for i, gv := range g {
				v := xv[i]
				t := tanh32(sqrt2OverPi * (v + geluCoef*v*v*v))
				d := 0.5*(1+t) + 0.5*v*(1-t*t)*sqrt2OverPi*(1+3*geluCoef*v*v)
				xg[i] += gv * d
			}
		})
	}
	return out
}
