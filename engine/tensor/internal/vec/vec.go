// Package vec holds the float32 slice kernels behind engine/tensor's
// elementwise, reduction and normalisation ops: arithmetic (Add, Sub, Mul,
// Div, MulAdd, Axpy, ScaleShift, Poly), reductions (Sum, Dot, SumSqDev, Max)
// and activations (Exp, Sigmoid, Tanh, ELU, NormCDF, Relu/ReluGrad), with
// scalar counterparts (Exp32, Sigmoid32, Tanh32, ELU32, Expm132, NormCDF32).
//
// On amd64 with AVX2 and FMA the bulk of every slice runs eight lanes at a
// time in Go assembly; tails, other CPUs and the purego build tag use the
// portable Go kernels, which compute the same approximations. The
// transcendental kernels are Cephes-style single-precision algorithms,
// accurate to a few ulp (NormCDF: relative error below 5e-6 for x ≥ −6).
// Unless documented otherwise, dst may alias an input exactly (not at an
// offset). It is a separate package because Go assembly cannot live in
// engine/tensor, which uses cgo under -tags openblas.
package vec

import "math"

const (
	expHi = 88.72283905206835 // ln(MaxFloat32)
	expLo = -103.972077083991 // below this eˣ underflows to 0 in float32
	log2e = 1.44269504088896341
	ln2Hi = 0.693359375
	ln2Lo = -2.12194440e-4
)

// Exp32 returns eˣ in float32 (Cephes expf: range reduction x = n·ln2 + r,
// degree-5 polynomial for eʳ), accurate to about 1 ulp; +Inf above
// ln(MaxFloat32), 0 below −103.97, NaN for NaN.
func Exp32(x float32) float32 {
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

// expGo writes eˣ of every src element into dst (len(dst) elements; dst may
// alias src). It is Exp32 with the polynomial inlined and branch-free
// rounding: the portable kernel behind Exp.
func expGo(dst, src []float32) {
	const shifter = 12582912 // 1.5·2²³: adding it rounds to an integer
	src = src[:len(dst)]
	for i, x := range src {
		if !(x >= -87.33654 && x <= 88) { // rare: overflow, subnormal, NaN
			dst[i] = Exp32(x)
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
