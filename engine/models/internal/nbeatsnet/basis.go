package nbeatsnet

import (
	"fmt"
	"math"
	"slices"
)

// TrendBases are the trend stack's basis families of NeuralForecast's
// NBEATS (get_basis), all supported.
var TrendBases = []string{"legendre", "polynomial", "changepoint", "piecewise_linear", "linear_hat", "spline", "chebyshev"}

// CheckTrend validates a trend basis family and its degree n (the basis
// has n+1 functions).
func CheckTrend(kind, basis string, n int) error {
	if !slices.Contains(TrendBases, basis) {
		return fmt.Errorf("%s: basis %q is not one of %v", kind, basis, TrendBases)
	}
	if n < 0 || n > 1024 {
		return fmt.Errorf("%s: trend degree %d must be in [0, 1024]", kind, n)
	}
	switch {
	case basis == "linear_hat" && n < 1:
		return fmt.Errorf("%s: the linear_hat basis needs n_basis >= 1", kind)
	case basis == "spline" && n < 3:
		return fmt.Errorf("%s: the spline basis needs n_basis >= 3 (4 cubic B-splines or more)", kind)
	}
	return nil
}

// linspace is numpy.linspace(a, b, n): a + i·(b−a)/(n−1), the last point
// exactly b.
func linspace(a, b float64, n int) []float64 {
	v := make([]float64, n)
	if n == 1 {
		v[0] = a
		return v
	}
	step := (b - a) / float64(n-1)
	for i := range v {
		v[i] = a + float64(i)*step
	}
	v[n-1] = b
	return v
}

// trendBasis returns NeuralForecast's get_basis(length, n, basis)ᵀ: n+1
// rows (functions) of length values, row-major, in float64.
func trendBasis(length, n int, basis string) []float64 {
	nb := n + 1 // get_basis passes n_basis + 1 to the generators
	out := make([]float64, nb*length)
	set := func(f, t int, v float64) { out[f*length+t] = v }
	switch basis {
	case "polynomial": // (t/length)^i
		for f := range nb {
			for t := range length {
				set(f, t, math.Pow(float64(t)/float64(length), float64(f)))
			}
		}
	case "legendre", "chebyshev": // P_i or T_i on linspace(−1, 1)
		x := linspace(-1, 1, length)
		for t, xv := range x {
			p0, p1 := 1.0, xv
			for f := range nb {
				var v float64
				switch f {
				case 0:
					v = 1
				case 1:
					v = xv
				default:
					k := float64(f - 1) // P_{k+1} from P_k, P_{k−1}
					if basis == "legendre" {
						v = ((2*k+1)*xv*p1 - k*p0) / (k + 1)
					} else {
						v = 2*xv*p1 - p0
					}
					p0, p1 = p1, v
				}
				set(f, t, v)
			}
		}
	case "changepoint": // max(0, x − c_i), c = linspace(0, 1, nb+1)[1:]
		x, c := linspace(0, 1, length), linspace(0, 1, nb+1)[1:]
		for f := range nb {
			for t, xv := range x {
				set(f, t, math.Max(0, xv-c[f]))
			}
		}
	case "piecewise_linear": // hats on linspace(0, 1, nb+1); function 0 stays zero, as in NeuralForecast
		x, k := linspace(0, 1, length), linspace(0, 1, nb+1)
		for f := 1; f < nb; f++ {
			for t, xv := range x {
				set(f, t, math.Max(0, math.Min((xv-k[f-1])/(k[f]-k[f-1]), (k[f+1]-xv)/(k[f+1]-k[f]))))
			}
		}
	case "linear_hat": // max(0, 1 − |x − c_i|/w), c = linspace(0, 1, nb), w = 1/(nb−1)
		x, c := linspace(0, 1, length), linspace(0, 1, nb)
		w := 1 / float64(nb-1)
		for f := range nb {
			for t, xv := range x {
				set(f, t, math.Max(0, 1-math.Abs(xv-c[f])/w))
			}
		}
	case "spline":
		splineBasis(out, linspace(0, 1, length), nb)
	default:
		panic("nbeatsnet: unknown trend basis " + basis) // validated before
	}
	return out
}

// splineBasis fills out[f·len(x)+t] with the f-th of nb clamped cubic
// B-splines on the knots [0,0,0] ++ linspace(0, 1, nb−2) ++ [1,1,1]
// evaluated at x[t], as scipy's BSpline (the right end point belongs to the
// last non-empty interval). Cox–de Boor recursion.
func splineBasis(out, x []float64, nb int) {
	const k = 3
	t := append(append([]float64{0, 0, 0}, linspace(0, 1, nb-2)...), 1, 1, 1)
	n := nb // coefficients; len(t) = n + k + 1
	var left, right [k + 1]float64
	var N [k + 1]float64
	for ti, xv := range x {
		l := k
		for l < n-1 && xv >= t[l+1] {
			l++
		}
		N[0] = 1
		for j := 1; j <= k; j++ {
			left[j] = xv - t[l+1-j]
			right[j] = t[l+j] - xv
			saved := 0.0
			for r := range j {
				tmp := N[r] / (right[r+1] + left[j-r])
				N[r] = saved + right[r+1]*tmp
				saved = left[j-r] * tmp
			}
			N[j] = saved
		}
		for r := 0; r <= k; r++ {
			out[(l-k+r)*len(x)+ti] = N[r]
		}
	}
}

// seasonalityBasis returns NeuralForecast's SeasonalityBasis templates:
// frequencies φ = [0, 1, (n+1)/n, (n+2)/n, …] (np.arange(n, n·h/2)/n after
// a zero), then rows cos(±2π·t/h·φ_f) followed by rows sin(±2π·t/h·φ_f),
// backcast over t = 0…L−1 with the minus sign and forecast over t = 0…h−1.
// It returns the number of rows P = 2·len(φ) and both templates [P, L],
// [P, h] row-major.
func seasonalityBasis(harmonics, l, h int) (p int, back, fore []float64) {
	freq := []float64{0}
	for v := float64(harmonics); v < float64(harmonics)/2*float64(h); v++ {
		freq = append(freq, v/float64(harmonics))
	}
	nf := len(freq)
	p = 2 * nf
	grid := func(n int, sign float64) []float64 {
		out := make([]float64, p*n)
		for f, fr := range freq {
			for t := range n {
				g := sign * 2 * math.Pi * (float64(t) / float64(h)) * fr
				out[f*n+t] = math.Cos(g)
				out[(nf+f)*n+t] = math.Sin(g)
			}
		}
		return out
	}
	return p, grid(l, -1), grid(h, 1)
}

// seasonalityRows is the theta size per output channel NeuralForecast
// reserves for a seasonality block: 2·(⌈n/2·h⌉ − (n−1)), equal to the
// number of template rows.
func seasonalityRows(harmonics, h int) int {
	return 2 * int(math.Ceil(float64(harmonics)/2*float64(h))-float64(harmonics-1))
}
