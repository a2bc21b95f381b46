//go:build !amd64 || purego

package vec

import "math"

// HasAVX2 reports whether Exp uses the AVX2+FMA kernel.
const HasAVX2 = false

// Exp writes eˣ of every src element into dst (len(dst) elements; src must
// be at least as long; dst may alias src).
func Exp(dst, src []float32) { expGo(dst, src) }

// Add sets dst[i] = a[i] + b[i] for i < len(dst); a and b must be at least
// as long and any of the three may alias.
func Add(dst, a, b []float32) { addGo(dst, a, b) }

// Sub sets dst[i] = a[i] − b[i] (see Add for lengths and aliasing).
func Sub(dst, a, b []float32) { subGo(dst, a, b) }

// Mul sets dst[i] = a[i]·b[i] (see Add for lengths and aliasing).
func Mul(dst, a, b []float32) { mulGo(dst, a, b) }

// Div sets dst[i] = a[i] / b[i] (see Add for lengths and aliasing).
func Div(dst, a, b []float32) { divGo(dst, a, b) }

// MulAdd sets dst[i] += a[i]·b[i].
func MulAdd(dst, a, b []float32) { mulAddGo(dst, a, b) }

// Poly sets dst[i] = Σ_k c[k]·x[i]^k (Horner's rule; c non-empty, lowest
// degree first). dst may alias x.
func Poly(dst, x, c []float32) { polyGo(dst, x, c) }

// Sum returns Σ x[i].
func Sum(x []float32) float32 { return sumGo(x) }

// Dot returns Σ a[i]·b[i] over len(a); b must be at least as long.
func Dot(a, b []float32) float32 { return dotGo(a, b) }

// SumSqDev returns Σ (x[i] − m)².
func SumSqDev(x []float32, m float32) float32 { return sumSqDevGo(x, m) }

// ScaleShift sets dst[i] = x[i]·a + b for i < len(dst); dst may alias x.
func ScaleShift(dst, x []float32, a, b float32) { scaleShiftGo(dst, x, a, b) }

// Axpy sets dst[i] += alpha·x[i] for i < len(dst).
func Axpy(dst, x []float32, alpha float32) { axpyGo(dst, x, alpha) }

// Relu sets dst[i] = max(x[i], 0) for i < len(dst); dst may alias x.
func Relu(dst, x []float32) { reluGo(dst, x) }

// ReluGrad adds g[i] to dst[i] wherever x[i] > 0.
func ReluGrad(dst, g, x []float32) { reluGradGo(dst, g, x) }

// Sigmoid sets dst[i] = 1/(1+exp(−src[i])) for i < len(dst); dst may alias src.
func Sigmoid(dst, src []float32) { sigmoidGo(dst, src) }

// Tanh sets dst[i] = tanh(src[i]) for i < len(dst); dst may alias src.
func Tanh(dst, src []float32) { tanhGo(dst, src) }

// NormCDF sets dst[i] = Φ(src[i]), the standard normal CDF, for
// i < len(dst); dst may alias src.
func NormCDF(dst, src []float32) { normCDFGo(dst, src) }

// Max returns the largest element of a non-empty x, ignoring NaNs (−Inf if
// all are NaN).
func Max(x []float32) float32 { return maxGo(x, float32(math.Inf(-1))) }

// ELU sets dst[i] = src[i] for src[i] > 0 and α(e^{src[i]} − 1) otherwise,
// for i < len(dst); dst may alias src.
func ELU(dst, src []float32, alpha float32) { eluGo(dst, src, alpha) }

// Softplus sets dst[i] = ln(1 + e^{β·src[i]})/β, or src[i] where
// β·src[i] > threshold (torch.nn.Softplus), for i < len(dst); dst may alias src.
func Softplus(dst, src []float32, beta, threshold float32) { softplusGo(dst, src, beta, threshold) }
