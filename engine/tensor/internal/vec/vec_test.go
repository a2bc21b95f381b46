package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExp32(t *testing.T) {
	worst := 0.0
	for i := 0; i <= 200000; i++ {
		x := float32(-87 + 175.7*float64(i)/200000)
		got, want := float64(Exp32(x)), math.Exp(float64(x))
		rel := math.Abs(got-want) / want
		worst = max(worst, rel)
		if rel > 4e-7 {
			t.Fatalf("Exp32(%g) = %g, want %g", x, got, want)
		}
	}
	t.Logf("worst relative error %.3g", worst)
	for _, c := range []struct{ x, want float32 }{
		{100, float32(math.Inf(1))}, {-200, 0}, {0, 1}, {-100, float32(math.Exp(-100))},
	} {
		if got := Exp32(c.x); got != c.want {
			t.Errorf("Exp32(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if v := Exp32(float32(math.NaN())); v == v {
		t.Errorf("Exp32(NaN) = %g", v)
	}
}

// TestExp drives the vector kernel (when the CPU has it) and the portable
// one over many lengths, special values in every lane position, and
// aliasing, against float64 math.Exp.
func TestExp(t *testing.T) {
	t.Logf("AVX2 kernel: %v", HasAVX2)
	specials := []float32{100, -200, float32(math.NaN()), 88.5, -100, 88.7, -87.5, float32(math.Inf(1)), float32(math.Inf(-1))}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 70; n++ {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(rng.NormFloat64() * 20)
			if n > 3 && i%(n/3+1) == n%5 {
				src[i] = specials[(i+n)%len(specials)]
			}
		}
		check := func(name string, got []float32) {
			for i, x := range src {
				want := math.Exp(float64(x))
				g := float64(got[i])
				switch {
				case math.IsNaN(want):
					if !math.IsNaN(g) {
						t.Fatalf("%s n=%d: exp(%g) = %g, want NaN", name, n, x, g)
					}
				case want > math.MaxFloat32:
					if !math.IsInf(g, 1) {
						t.Fatalf("%s n=%d: exp(%g) = %g, want +Inf", name, n, x, g)
					}
				case want < 1.2e-38:
					if g != float64(Exp32(x)) {
						t.Fatalf("%s n=%d: exp(%g) = %g, want %g", name, n, x, g, Exp32(x))
					}
				case math.Abs(g-want) > 4e-7*want:
					t.Fatalf("%s n=%d: exp(%g) = %g, want %g", name, n, x, g, want)
				}
			}
		}
		dst := make([]float32, n)
		Exp(dst, src)
		check("Exp", dst)
		inplace := append([]float32(nil), src...)
		Exp(inplace, inplace)
		check("Exp in place", inplace)
		clear(dst)
		expGo(dst, src)
		check("expGo", dst)
	}
}

func BenchmarkExp(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200)*0.1 - 10
	}
	d := make([]float32, len(x))
	b.SetBytes(4 * int64(len(x)))
	for b.Loop() {
		Exp(d, x)
	}
}
