package nbeatsnet

import (
	"math"
	"testing"
)

// TestSplineBasis: with four functions the clamped cubic B-splines on
// [0,0,0,0,1,1,1,1] are the Bernstein polynomials; with more they are a
// partition of unity, non-negative, and the end points interpolate (scipy's
// right end point convention).
func TestSplineBasis(t *testing.T) {
	const n = 11
	b := trendBasis(n, 3, "spline")
	x := linspace(0, 1, n)
	for i, v := range x {
		u := 1 - v
		want := []float64{u * u * u, 3 * v * u * u, 3 * v * v * u, v * v * v}
		for f := range 4 {
			if math.Abs(b[f*n+i]-want[f]) > 1e-12 {
				t.Fatalf("B_%d(%v) = %v, want %v", f, v, b[f*n+i], want[f])
			}
		}
	}
	for _, nb := range []int{5, 7, 12} {
		b := trendBasis(n, nb-1, "spline")
		for i := range n {
			s := 0.0
			for f := range nb {
				v := b[f*n+i]
				if v < -1e-15 {
					t.Fatalf("nb %d: negative B_%d(%v) = %v", nb, f, x[i], v)
				}
				s += v
			}
			if math.Abs(s-1) > 1e-12 {
				t.Fatalf("nb %d: sum at %v = %v", nb, x[i], s)
			}
		}
		if b[0] != 1 || b[(nb-1)*n+n-1] != 1 {
			t.Fatalf("nb %d: end points %v %v", nb, b[0], b[(nb-1)*n+n-1])
		}
	}
}

// TestSeasonalityRows: NeuralForecast's theta size formula equals the
// number of template rows for every harmonics/horizon pair.
func TestSeasonalityRows(t *testing.T) {
	for nh := 1; nh <= 6; nh++ {
		for h := 2; h <= 60; h++ {
			p, back, fore := seasonalityBasis(nh, 7, h)
			if r := seasonalityRows(nh, h); r != p || len(back) != p*7 || len(fore) != p*h {
				t.Fatalf("n_harmonics %d h %d: formula %d, rows %d", nh, h, r, p)
			}
		}
	}
	p, _, fore := seasonalityBasis(2, 96, 48)
	if p != 94 || fore[0] != 1 || fore[47*48] != 0 {
		t.Fatalf("h 48: %d rows", p)
	}
}

func TestCheckTrend(t *testing.T) {
	for _, c := range []struct {
		basis string
		n     int
		ok    bool
	}{{"polynomial", 2, true}, {"spline", 2, false}, {"spline", 3, true}, {"linear_hat", 0, false}, {"fourier", 2, false}, {"legendre", -1, false}} {
		if err := CheckTrend("k", c.basis, c.n); (err == nil) != c.ok {
			t.Errorf("%s %d: %v", c.basis, c.n, err)
		}
	}
}
