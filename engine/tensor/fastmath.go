package tensor

import "math"

// Float32 kernels for the transcendental functions of the hot elementwise
// ops (Cephes single-precision algorithms). They are accurate to a few ulp,
// far below the 1e-5 relative tolerance our ops promise, and several times
// faster than round-tripping through float64 math.

const (
	expHi    = 88.72283905206835 // log(MaxFloat32)
	expLo    = -103.972077083991 // below this exp underflows to 0
	log2e    = 1.44269504088896341
	ln2Hi    = 0.693359375
	ln2Lo    = -2.12194440e-4
	tanhHalf = 0.625
)

// exp32 returns eˣ in float32.
func exp32(x float32) float32 {
	if x > expHi {
		return float32(math.Inf(1))
	}
	if x < -87.33654 {
		if x < expLo {
			return 0
		}
		// Subnormal results: go through float64 (rare).
		return float32(math.Exp(float64(x)))
	}
	if x != x {
		return x
	}
	t := x * log2e
	var n int32
	if t >= 0 {
		n = int32(t + 0.5)
	} else {
		n = int32(t - 0.5)
	}
	fn := float32(n)
	r := x - fn*ln2Hi
	r -= fn * ln2Lo
	z := r * r
	y := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
	y = y*z + r + 1
	// 2ⁿ for n in [-126, 128); n = 128 only when x is within rounding of expHi.
	if n > 127 {
		return y * 2 * math.Float32frombits(uint32(n-1+127)<<23)
	}
	return y * math.Float32frombits(uint32(n+127)<<23)
}

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
