package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestReductionsAndMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	near := func(got float32, want, scale float64) bool {
		return math.Abs(float64(got)-want) <= 1e-5*scale+1e-6
	}
	for n := 0; n < 100; n++ {
		a, b := make([]float32, n), make([]float32, n)
		var sum, dot, dev, scale float64
		const m = 0.25
		for i := range a {
			a[i] = float32(rng.NormFloat64())
			b[i] = float32(rng.NormFloat64())
			if i%7 == 3 {
				a[i] = 0
			}
			sum += float64(a[i])
			dot += float64(a[i]) * float64(b[i])
			dev += (float64(a[i]) - m) * (float64(a[i]) - m)
			scale += math.Abs(float64(a[i])) * (1 + math.Abs(float64(b[i])))
		}
		if got := Sum(a); !near(got, sum, scale) {
			t.Fatalf("Sum n=%d = %g, want %g", n, got, sum)
		}
		if got := Dot(a, b); !near(got, dot, scale) {
			t.Fatalf("Dot n=%d = %g, want %g", n, got, dot)
		}
		if got := SumSqDev(a, m); !near(got, dev, dev+1) {
			t.Fatalf("SumSqDev n=%d = %g, want %g", n, got, dev)
		}
		d := make([]float32, n)
		ScaleShift(d, a, 1.5, -2)
		acc := append([]float32(nil), b...)
		Axpy(acc, a, -0.5)
		r := make([]float32, n)
		Relu(r, a)
		rg := append([]float32(nil), b...)
		ReluGrad(rg, b, a)
		for i, x := range a {
			if want := float64(x)*1.5 - 2; !near(d[i], want, math.Abs(want)) {
				t.Fatalf("ScaleShift n=%d [%d] = %g, want %g", n, i, d[i], want)
			}
			if want := float64(b[i]) - 0.5*float64(x); !near(acc[i], want, math.Abs(want)) {
				t.Fatalf("Axpy n=%d [%d] = %g, want %g", n, i, acc[i], want)
			}
			if want := max(x, 0); r[i] != want {
				t.Fatalf("Relu n=%d [%d] = %g, want %g", n, i, r[i], want)
			}
			want := b[i]
			if x > 0 {
				want += b[i]
			}
			if rg[i] != want {
				t.Fatalf("ReluGrad n=%d [%d] = %g, want %g", n, i, rg[i], want)
			}
		}
	}
	nan := float32(math.NaN())
	r := make([]float32, 9)
	Relu(r, []float32{nan, -1, 2, nan, 0, -0.5, 3, 1, nan})
	if r[0] == r[0] || r[3] == r[3] || r[8] == r[8] || r[1] != 0 || r[2] != 2 {
		t.Fatalf("Relu NaN handling %v", r)
	}
}

func BenchmarkSum(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i % 17)
	}
	b.SetBytes(4 * int64(len(x)))
	for b.Loop() {
		_ = Sum(x)
	}
}

func TestMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for n := 1; n < 90; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64()) - 100
		}
		for pos := 0; pos < n; pos += 1 + n/7 {
			y := append([]float32(nil), x...)
			y[pos] = 5
			if got := Max(y); got != 5 {
				t.Fatalf("Max n=%d peak at %d = %g", n, pos, got)
			}
		}
	}
	nan := float32(math.NaN())
	for n := 1; n < 40; n++ {
		for k := 0; k < n; k++ {
			x := make([]float32, n)
			for i := range x {
				x[i] = nan
			}
			x[k] = -7
			if got := Max(x); got != -7 {
				t.Fatalf("Max n=%d with all NaN but %d = %g, want -7", n, k, got)
			}
		}
	}
}
