package tensor

import (
	"math"

	"github.com/streamcast/streamcast/engine/tensor/internal/vec"
)

// Float32 kernels for the transcendental functions of the hot elementwise
// ops (Cephes single-precision algorithms). They are accurate to a few ulp,
// far below the 1e-5 relative tolerance our ops promise, and several times
// faster than round-tripping through float64 math.

const tanhHalf = 0.625

// exp32 returns eˣ in float32 (vec.Exp32, about 1 ulp).
func exp32(x float32) float32 { return vec.Exp32(x) }

// expSlice writes eˣ of every src element into dst (len(dst) elements; dst
// may alias src), eight lanes at a time with AVX2 where available.
func expSlice(dst, src []float32) { vec.Exp(dst, src) }

// tanh32 returns tanh(x) in float32.
func tanh32(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	if ax < tanhHalf {
		z := x * x
		return ((((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z-3.33332819422e-1)*z*x + x
	}
	if ax > 44 { // tanh saturates in float32; also avoids exp overflow
		if x != x {
			return x
		}
		if x > 0 {
			return 1
		}
		return -1
	}
	y := 1 - 2/(exp32(2*ax)+1)
	if x < 0 {
		return -y
	}
	return y
}

// sigmoid32 returns 1/(1+e⁻ˣ) in float32.
func sigmoid32(x float32) float32 {
	if x >= 0 {
		return 1 / (1 + exp32(-x))
	}
	e := exp32(x)
	return e / (1 + e)
}

// log32 returns ln x in float32 (Cephes logf): NaN for x < 0, −Inf at 0.
func log32(x float32) float32 {
	if !(x > 0 && x <= math.MaxFloat32) || x < 1.1754944e-38 {
		return float32(math.Log(float64(x))) // 0, negatives, subnormals, Inf, NaN
	}
	bits := math.Float32bits(x)
	e := int32(bits>>23) - 126
	m := math.Float32frombits(bits&0x007fffff | 0x3f000000) // mantissa in [0.5, 1)
	if m < 0.70710678118654752440 {
		e--
		m = m + m - 1
	} else {
		m = m - 1
	}
	z := m * m
	y := ((((((((7.0376836292e-2*m-1.1514610310e-1)*m+1.1676998740e-1)*m-1.2420140846e-1)*m+
		1.4249322787e-1)*m-1.6668057665e-1)*m+2.0000714765e-1)*m-2.4999993993e-1)*m + 3.3333331174e-1) * m * z
	fe := float32(e)
	y += -2.12194440e-4 * fe
	y += -0.5 * z
	return m + y + 0.693359375*fe
}

// selectBits returns a where mask is all ones and b where it is zero.
func selectBits(mask uint32, a, b float32) float32 {
	return math.Float32frombits(math.Float32bits(a)&mask | math.Float32bits(b)&^mask)
}

// tanhSlice writes tanh of every src element into dst (dst may alias src),
// eight lanes at a time with AVX2 where available (vec.Tanh).
func tanhSlice(dst, src []float32) { vec.Tanh(dst, src) }

// normCDFSlice writes Φ(x), the standard normal CDF, of every src element
// into dst (dst may alias src) via the Numerical Recipes erfc approximation
// (vec.NormCDF; relative error below 5e-6 for x ≥ −6).
func normCDFSlice(dst, src []float32) { vec.NormCDF(dst, src) }
