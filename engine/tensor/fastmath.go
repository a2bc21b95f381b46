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

// expSlice writes eˣ of every src element into dst (len(dst) elements; dst
// may alias src). It is exp32 with the polynomial inlined and branch-free
// rounding, the batch kernel of Exp, Softmax and Sigmoid.
func expSlice(dst, src []float32) {
	const shifter = 12582912 // 1.5·2²³: adding it rounds to an integer
	src = src[:len(dst)]
	for i, x := range src {
		if !(x >= -87.33654 && x <= 88) { // rare: overflow, subnormal, NaN
			dst[i] = exp32(x)
			continue
		}
		y := x*log2e + shifter
		n := int32(math.Float32bits(y)) - int32(math.Float32bits(shifter))
		fn := y - shifter
		r := x - fn*ln2Hi
		r -= fn * ln2Lo
		z := r * r
		p := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
		p = p*z + r + 1
		dst[i] = p * math.Float32frombits(uint32(n+127)<<23)
	}
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

// log1p32 returns ln(1+x) in float32, accurate for small |x| (Kahan's
// log(u)·x/(u−1) correction).
func log1p32(x float32) float32 {
	u := 1 + x
	if u == 1 {
		return x
	}
	d := u - 1
	if u == float32(math.Inf(1)) {
		return log32(u)
	}
	return log32(u) * (x / d)
}
