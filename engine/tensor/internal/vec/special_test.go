package vec

import (
	"math"
	"testing"
)

// TestSpecial compares the slice kernels (vector path for the bulk, scalar
// for the tail) and the scalar functions with float64 references over a
// dense grid, plus NaN and infinities.
func TestSpecial(t *testing.T) {
	cases := []struct {
		name   string
		slice  func(dst, src []float32)
		scalar func(float32) float32
		ref    func(float64) float64
		lo, hi float64
		rtol   float64
	}{
		{"Sigmoid", Sigmoid, Sigmoid32, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -80, 80, 5e-7},
		{"Tanh", Tanh, Tanh32, math.Tanh, -20, 20, 4e-7},
		{"NormCDF", NormCDF, NormCDF32, func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }, -6, 8, 5e-6},
		{"NormCDFTail", NormCDF, NormCDF32, func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }, -12, -6, 2e-5},
		{"ELU", func(d, s []float32) { ELU(d, s, 0.7) }, func(x float32) float32 { return ELU32(x, 0.7) },
			func(x float64) float64 {
				if x > 0 {
					return x
				}
				return 0.7 * math.Expm1(x)
			}, -90, 30, 4e-7},
		{"Softplus", func(d, s []float32) { Softplus(d, s, 1, 20) }, func(x float32) float32 { return Softplus32(x, 1, 20) },
			func(x float64) float64 {
				if x > 20 {
					return x
				}
				return math.Log1p(math.Exp(x))
			}, -80, 30, 1e-6},
		{"SoftplusBeta", func(d, s []float32) { Softplus(d, s, 2.5, 5) }, func(x float32) float32 { return Softplus32(x, 2.5, 5) },
			func(x float64) float64 {
				bx := float64(float32(2.5) * float32(x)) // the kernel's rounded βx
				if bx > 5 {
					return x
				}
				return math.Log1p(math.Exp(bx)) / 2.5
			}, -30, 10, 1e-6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const n = 100003 // not a multiple of 8: exercises the tail
			src := make([]float32, n)
			for i := range src {
				src[i] = float32(c.lo + (c.hi-c.lo)*float64(i)/(n-1))
			}
			dst := make([]float32, n)
			c.slice(dst, src)
			worst := 0.0
			for i, x := range src {
				want := c.ref(float64(x))
				for _, got := range []float32{dst[i], c.scalar(x)} {
					rel := math.Abs(float64(got)-want) / math.Max(math.Abs(want), 1e-37)
					worst = max(worst, rel)
					if rel > c.rtol {
						t.Fatalf("%s(%g) = %g, want %g (rel %.3g)", c.name, x, got, want, rel)
					}
				}
			}
			t.Logf("worst relative error %.3g", worst)
		})
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	src := []float32{nan, inf, -inf, 0, nan, 100, -100, 1e-30, nan}
	for _, k := range []struct {
		name string
		f    func(dst, src []float32)
		want []float32
	}{
		{"Sigmoid", Sigmoid, []float32{nan, 1, 0, 0.5, nan, 1, 0, 0.5, nan}},
		{"Tanh", Tanh, []float32{nan, 1, -1, 0, nan, 1, -1, 1e-30, nan}},
		{"NormCDF", NormCDF, []float32{nan, 1, 0, 0.5, nan, 1, 0, 0.5, nan}},
		{"ELU", func(d, s []float32) { ELU(d, s, 2) }, []float32{nan, inf, -2, 0, nan, 100, -2, 1e-30, nan}},
		{"Softplus", func(d, s []float32) { Softplus(d, s, 1, 20) }, []float32{nan, inf, 0, float32(math.Ln2), nan, 100, 3.7200760e-44, float32(math.Ln2), nan}},
	} {
		dst := make([]float32, len(src))
		k.f(dst, src)
		for i, w := range k.want {
			g := dst[i]
			if w != w {
				if g == g {
					t.Errorf("%s(%g) = %g, want NaN", k.name, src[i], g)
				}
				continue
			}
			if math.Abs(float64(g-w)) > 1e-30 {
				t.Errorf("%s(%g) = %g, want %g", k.name, src[i], g, w)
			}
		}
	}
}
