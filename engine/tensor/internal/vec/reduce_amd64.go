//go:build amd64 && !purego

package vec

import "math"

//go:noescape
func sumAVX2(x *float32, n int) float32

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func sumSqDevAVX2(x *float32, n int, m float32) float32

//go:noescape
func scaleShiftAVX2(dst, x *float32, n int, a, b float32)

//go:noescape
func axpyAVX2(dst, x *float32, n int, alpha float32)

//go:noescape
func reluAVX2(dst, x *float32, n int)

//go:noescape
func reluGradAVX2(dst, grad, x *float32, n int)

// Sum returns Σ x[i] (eight-lane partial sums on the vector path).
func Sum(x []float32) float32 {
	var s float32
	if n := split(len(x)); n > 0 {
		s = sumAVX2(&x[0], n)
		x = x[n:]
	}
	return s + sumGo(x)
}

// Dot returns Σ a[i]·b[i] over len(a); b must be at least as long.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	if n := split(len(a)); n > 0 {
		s = dotAVX2(&a[0], &b[0], n)
		a, b = a[n:], b[n:]
	}
	return s + dotGo(a, b)
}

// SumSqDev returns Σ (x[i] − m)².
func SumSqDev(x []float32, m float32) float32 {
	var s float32
	if n := split(len(x)); n > 0 {
		s = sumSqDevAVX2(&x[0], n, m)
		x = x[n:]
	}
	return s + sumSqDevGo(x, m)
}

// ScaleShift sets dst[i] = x[i]·a + b for i < len(dst); dst may alias x.
func ScaleShift(dst, x []float32, a, b float32) {
	x = x[:len(dst)]
	if n := split(len(dst)); n > 0 {
		scaleShiftAVX2(&dst[0], &x[0], n, a, b)
		dst, x = dst[n:], x[n:]
	}
	scaleShiftGo(dst, x, a, b)
}

// Axpy sets dst[i] += alpha·x[i] for i < len(dst).
func Axpy(dst, x []float32, alpha float32) {
	x = x[:len(dst)]
	if n := split(len(dst)); n > 0 {
		axpyAVX2(&dst[0], &x[0], n, alpha)
		dst, x = dst[n:], x[n:]
	}
	axpyGo(dst, x, alpha)
}

// Relu sets dst[i] = max(x[i], 0) for i < len(dst); dst may alias x.
func Relu(dst, x []float32) {
	x = x[:len(dst)]
	if n := split(len(dst)); n > 0 {
		reluAVX2(&dst[0], &x[0], n)
		dst, x = dst[n:], x[n:]
	}
	reluGo(dst, x)
}

// ReluGrad adds g[i] to dst[i] wherever x[i] > 0.
func ReluGrad(dst, g, x []float32) {
	g, x = g[:len(dst)], x[:len(dst)]
	if n := split(len(dst)); n > 0 {
		reluGradAVX2(&dst[0], &g[0], &x[0], n)
		dst, g, x = dst[n:], g[n:], x[n:]
	}
	reluGradGo(dst, g, x)
}

//go:noescape
func maxAVX2(x *float32, n int) float32

// Max returns the largest element of a non-empty x, ignoring NaNs (−Inf if
// all are NaN).
func Max(x []float32) float32 {
	m := float32(math.Inf(-1))
	if n := split(len(x)); n > 0 {
		m = maxAVX2(&x[0], n)
		x = x[n:]
	}
	return maxGo(x, m)
}
