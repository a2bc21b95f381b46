package vec

import "math"

const tanhBound = 0.625

var (
	cdfPoly  = [...]float32{-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277}
	tanhPoly = [...]float32{-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3}
)

// Sigmoid32 returns 1/(1+e⁻ˣ) in float32.
func Sigmoid32(x float32) float32 { return 1 / (1 + Exp32(-x)) }

// Tanh32 returns tanh x in float32 (Cephes tanhf: an odd polynomial for
// |x| < 0.625, 1 − 2/(e^{2|x|}+1) otherwise).
func Tanh32(x float32) float32 {
	ax := float32(math.Abs(float64(x)))
	if ax < tanhBound {
		z := x * x
		p := tanhPoly[4]
		for k := 3; k >= 0; k-- {
			p = p*z + tanhPoly[k]
		}
		return p*z*x + x
	}
	if ax != ax {
		return x
	}
	e := Exp32(-2 * ax)
	y := (1 - e) / (1 + e)
	if x < 0 {
		return -y
	}
	return y
}

// NormCDF32 returns Φ(x), the standard normal CDF, from the Numerical
// Recipes erfc approximation (fractional error < 1.2e-7 before float32
// rounding of x²/2).
func NormCDF32(x float32) float32 {
	if x != x {
		return x
	}
	z := float32(math.Abs(float64(x))) * 0.70710678118654752440
	t := 1 / (1 + 0.5*z)
	p := cdfPoly[9]
	for k := 8; k >= 0; k-- {
		p = p*t + cdfPoly[k]
	}
	h := 0.5 * t * Exp32(max(p-0.5*x*x, -87.33654))
	if x < 0 {
		return h
	}
	return 1 - h
}

func sigmoidGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = Sigmoid32(x)
	}
}

func tanhGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = Tanh32(x)
	}
}

func normCDFGo(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = NormCDF32(x)
	}
}

// expm1Poly holds the Taylor coefficients 1/2!, …, 1/8! of (eˣ − 1 − x)/x².
var expm1Poly = [...]float32{1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320}

// Expm132 returns eˣ − 1 in float32, accurate in relative terms near 0 (Taylor
// series for |x| < 0.35).
func Expm132(x float32) float32 {
	if x > -0.35 && x < 0.35 {
		p := expm1Poly[6]
		for k := 5; k >= 0; k-- {
			p = p*x + expm1Poly[k]
		}
		return p*x*x + x
	}
	return Exp32(x) - 1
}

// ELU32 returns x for x > 0 and α(eˣ − 1) otherwise.
func ELU32(x, alpha float32) float32 {
	if x > 0 {
		return x
	}
	return alpha * Expm132(x)
}

func eluGo(dst, src []float32, alpha float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = ELU32(x, alpha)
	}
}

// log1pPoly holds the coefficients (in s², lowest first) of
// ln(1+e) = s·Q(s²), s = e/(2+e): Q = 2 + 2s²/3 + 2s⁴/5 + … (2·atanh s).
var log1pPoly = [...]float32{2, 2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11, 2.0 / 13, 2.0 / 15, 2.0 / 17}

// Softplus32 returns ln(1 + e^{βx})/β, or x where βx > threshold
// (torch.nn.Softplus), computed stably as (max(βx, 0) + ln(1 + e^{−|βx|}))/β.
func Softplus32(x, beta, threshold float32) float32 {
	bx := beta * x
	if bx > threshold {
		return x
	}
	e := Exp32(-float32(math.Abs(float64(bx))))
	s := e / (2 + e)
	s2 := s * s
	q := log1pPoly[8]
	for k := 7; k >= 0; k-- {
		q = q*s2 + log1pPoly[k]
	}
	return (max(bx, 0) + s*q) / beta
}

func softplusGo(dst, src []float32, beta, threshold float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = Softplus32(x, beta, threshold)
	}
}
