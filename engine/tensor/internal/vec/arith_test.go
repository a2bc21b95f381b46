package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestArith(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	coef := []float32{0.5, -1.25, 0.75, 2, -0.125}
	for n := 0; n < 80; n++ {
		a, b, d := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
			b[i] = float32(rng.NormFloat64()) + 3
		}
		type kernel struct {
			name string
			f    func(dst, a, b []float32)
			ref  func(x, y float64) float64
		}
		for _, k := range []kernel{
			{"Add", Add, func(x, y float64) float64 { return x + y }},
			{"Sub", Sub, func(x, y float64) float64 { return x - y }},
			{"Mul", Mul, func(x, y float64) float64 { return x * y }},
			{"Div", Div, func(x, y float64) float64 { return x / y }},
		} {
			k.f(d, a, b)
			for i := range d {
				if want := float32(k.ref(float64(a[i]), float64(b[i]))); d[i] != want {
					t.Fatalf("%s n=%d [%d] = %g, want %g", k.name, n, i, d[i], want)
				}
			}
			// In place: dst aliases a.
			c := append([]float32(nil), a...)
			k.f(c, c, b)
			for i := range c {
				if c[i] != d[i] {
					t.Fatalf("%s in place n=%d [%d] = %g, want %g", k.name, n, i, c[i], d[i])
				}
			}
		}
		acc := append([]float32(nil), b...)
		MulAdd(acc, a, b)
		for i := range acc {
			want := float64(b[i]) + float64(a[i])*float64(b[i])
			if math.Abs(float64(acc[i])-want) > 1e-6*math.Abs(want)+1e-6 {
				t.Fatalf("MulAdd n=%d [%d] = %g, want %g", n, i, acc[i], want)
			}
		}
		Poly(d, a, coef)
		for i, x := range a {
			var want float64
			for k := len(coef) - 1; k >= 0; k-- {
				want = want*float64(x) + float64(coef[k])
			}
			if math.Abs(float64(d[i])-want) > 2e-6*(math.Abs(want)+1) {
				t.Fatalf("Poly n=%d [%d] = %g, want %g", n, i, d[i], want)
			}
		}
	}
	one := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	d := make([]float32, len(one))
	Poly(d, one, []float32{7})
	for _, v := range d {
		if v != 7 {
			t.Fatalf("constant Poly = %v", d)
		}
	}
}
