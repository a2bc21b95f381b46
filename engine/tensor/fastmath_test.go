package tensor

import (
	"math"
	"testing"
)

func TestFastMathAccuracy(t *testing.T) {
	cases := []struct {
		name   string
		f      func(float32) float32
		ref    func(float64) float64
		lo, hi float64
		rtol   float64
	}{
		{"exp", exp32, math.Exp, -87, 88.7, 4e-7},
		{"tanh", tanh32, math.Tanh, -20, 20, 4e-7},
		{"sigmoid", sigmoid32, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -80, 80, 5e-7},
		{"expSlice", func(x float32) float32 {
			var d [1]float32
			expSlice(d[:], []float32{x})
			return d[0]
		}, math.Exp, -87, 88.7, 4e-7},
		{"log", log32, math.Log, 1e-30, 1e4, 3e-7},
		{"tanhSlice", func(x float32) float32 {
			var d [1]float32
			tanhSlice(d[:], []float32{x})
			return d[0]
		}, math.Tanh, -20, 20, 4e-7},
		{"normCDFSlice", func(x float32) float32 {
			var d [1]float32
			normCDFSlice(d[:], []float32{x})
			return d[0]
		}, func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }, -6, 6, 5e-6}, // float32 rounding of x²/2 in the tail
		{"normCDFSliceTail", func(x float32) float32 {
			var d [1]float32
			normCDFSlice(d[:], []float32{x})
			return d[0]
		}, func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }, -12, -6, 2e-5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const steps = 200001
			worst := 0.0
			for i := 0; i < steps; i++ {
				x := float32(c.lo + (c.hi-c.lo)*float64(i)/(steps-1))
				got := float64(c.f(x))
				want := c.ref(float64(x))
				rel := math.Abs(got-want) / math.Max(math.Abs(want), 1e-30)
				worst = max(worst, rel)
				if rel > c.rtol {
					t.Fatalf("%s(%g) = %g, want %g (rel %.3g)", c.name, x, got, want, rel)
				}
			}
			t.Logf("%s: worst relative error %.3g", c.name, worst)
		})
	}
	specials := []struct {
		got, want float32
	}{
		{exp32(100), float32(math.Inf(1))},
		{exp32(-200), 0},
		{exp32(0), 1},
		{tanh32(50), 1},
		{tanh32(-50), -1},
		{tanh32(0), 0},
		{sigmoid32(-200), 0},
		{sigmoid32(200), 1},
		{log32(1), 0},
		{log32(0), float32(math.Inf(-1))},
		{log32(float32(math.Inf(1))), float32(math.Inf(1))},
	}
	for i, s := range specials {
		if s.got != s.want {
			t.Errorf("special %d: got %g, want %g", i, s.got, s.want)
		}
	}
	if v := log32(-1); v == v {
		t.Errorf("log32(-1) = %g", v)
	}
	d := make([]float32, 5)
	expSlice(d, []float32{100, -200, float32(math.NaN()), 88.5, -100})
	if !math.IsInf(float64(d[0]), 1) || d[1] != 0 || d[2] == d[2] || d[3] != exp32(88.5) || d[4] != exp32(-100) {
		t.Errorf("expSlice specials %v", d)
	}
	if v := exp32(float32(math.NaN())); v == v {
		t.Errorf("exp32(NaN) = %g", v)
	}
	if v := exp32(-100); v != float32(math.Exp(-100)) {
		t.Errorf("exp32(-100) = %g, want subnormal %g", v, math.Exp(-100))
	}
}

func BenchmarkExpSlice(b *testing.B) {
	x := RandN(1, 4096).Data
	d := make([]float32, len(x))
	b.SetBytes(4 * int64(len(x)))
	for b.Loop() {
		expSlice(d, x)
	}
}
