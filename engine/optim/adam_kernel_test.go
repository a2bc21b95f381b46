package optim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamKernelBitIdentical: the vector kernel gives exactly the scalar
// loop's float32 results (lengths that exercise the 8-lane tail too).
func TestAdamKernelBitIdentical(t *testing.T) {
	// Both vector widths where the CPU has AVX-512, AVX2 alone otherwise.
	has512 := hasAdamKernel512
	defer func() { hasAdamKernel512 = has512 }()
	for _, wide := range []bool{false, has512} {
		hasAdamKernel512 = wide
		testAdamKernelBitIdentical(t)
	}
}

func testAdamKernelBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 24, 25, 64, 1003} {
		w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range w {
			w[i], g[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()*1e-2)
			m[i], v[i] = float32(rng.NormFloat64()*1e-3), float32(rng.Float64()*1e-4)
		}
		w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
		b1, b2 := float32(0.9), float32(0.999)
		args := []float32{b1, b2, 1 - b1, 1 - b2, float32(1 / math.Sqrt(1-0.999*0.999)), 1e-8, float32(-1e-3 / (1 - 0.9*0.9))}
		for step := 0; step < 3; step++ {
			adamUpdate(w, g, m, v, 0, args[0], args[1], args[2], args[3], args[4], args[5], args[6])
			for j, wj := range w2 { // reference: the scalar loop
				gj := g[j]
				mj := m2[j]*args[0] + args[2]*gj
				vj := v2[j]*args[1] + args[3]*gj*gj
				m2[j], v2[j] = mj, vj
				w2[j] = wj + args[6]*mj/(float32(math.Sqrt(float64(vj)))*args[4]+args[5])
			}
		}
		for i := range w {
			if math.Float32bits(w[i]) != math.Float32bits(w2[i]) || m[i] != m2[i] || v[i] != v2[i] {
				t.Fatalf("n=%d element %d: kernel w=%v m=%v v=%v, scalar w=%v m=%v v=%v", n, i, w[i], m[i], v[i], w2[i], m2[i], v2[i])
			}
		}
	}
}

// BenchmarkAdamKernel compares the 8- and 16-lane kernels on a
// 1024×1024 layer (the MLP's hidden layer).
func BenchmarkAdamKernel(b *testing.B) {
	has512 := hasAdamKernel512
	defer func() { hasAdamKernel512 = has512 }()
	n := 1 << 20
	w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range g {
		g[i], v[i] = 1e-3, 1e-6
	}
	for _, wide := range []bool{false, has512} {
		name := "avx2"
		if wide {
			name = "avx512"
		}
		b.Run(name, func(b *testing.B) {
			hasAdamKernel512 = wide
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				adamUpdate(w, g, m, v, 0, 0.9, 0.999, 0.1, 0.001, 1, 1e-8, -1e-3)
			}
		})
		if !has512 {
			break
		}
	}
}
