package fastgemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// TestSgemmMatchesGonum compares every transpose combination and many
// shapes (tile edges, strides larger than the width) with gonum's Sgemm.
func TestSgemmMatchesGonum(t *testing.T) {
	// Both row tilings where the CPU has AVX-512 (12×16), AVX2 alone otherwise.
	old := useTile12
	defer func() { useTile12 = old }()
	for _, z := range []bool{false, old} {
		useTile12 = z
		testSgemmMatchesGonum(t)
	}
}

func testSgemmMatchesGonum(t *testing.T) {
	if !Available() {
		t.Log("no AVX2/FMA: Implementation is gonum's; checking the delegation only")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{13, 40, 9}, {25, 33, 70}, {32, 1024, 168}, {32, 24, 1024}, {24, 1024, 32}, {1024, 168, 32}, {5, 37, 19}, {4, 16, 64}, {1, 200, 30}, {100, 30, 1}, {33, 17, 65}, {64, 64, 300}}
	trans := []blas.Transpose{blas.NoTrans, blas.Trans}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tA := range trans {
			for _, tB := range trans {
				for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}} {
					alpha, beta := ab[0], ab[1]
					ra, ca := m, k
					if tA == blas.Trans {
						ra, ca = k, m
					}
					rb, cb := k, n
					if tB == blas.Trans {
						rb, cb = n, k
					}
					lda, ldb, ldc := ca+3, cb+1, n+2
					a := randSlice(rng, (ra-1)*lda+ca)
					b := randSlice(rng, (rb-1)*ldb+cb)
					c0 := randSlice(rng, (m-1)*ldc+n)
					want := append([]float32(nil), c0...)
					got := append([]float32(nil), c0...)
					gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
					Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							g, w := got[i*ldc+j], want[i*ldc+j]
							if math.Abs(float64(g-w)) > 1e-3*(1+math.Abs(float64(w))) {
								t.Fatalf("%v shape %v tA %v tB %v alpha %v beta %v: C[%d,%d] = %v, want %v", Available(), sh, tA, tB, alpha, beta, i, j, g, w)
							}
						}
						// padding between rows untouched
						for j := n; j < ldc && i < m-1; j++ {
							if got[i*ldc+j] != c0[i*ldc+j] {
								t.Fatalf("shape %v: padding C[%d,%d] written", sh, i, j)
							}
						}
					}
				}
			}
		}
	}
}

func TestSgemmBadArgsPanicLikeGonum(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("short C: no panic")
		}
	}()
	a := make([]float32, 64*64)
	Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, 64, 64, 64, 1, a, 64, a, 64, 0, make([]float32, 10), 64)
}

func benchGemm(b *testing.B, impl interface {
	Sgemm(blas.Transpose, blas.Transpose, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int)
}, tA, tB blas.Transpose, m, n, k int) {
	rng := rand.New(rand.NewPCG(1, 2))
	a, bb, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
	lda, ldb := k, n
	if tA == blas.Trans {
		lda = m
	}
	if tB == blas.Trans {
		ldb = k
	}
	b.SetBytes(int64(2 * m * n * k)) // "bytes" = flops, so MB/s reads as MFLOP/s
	for range b.N {
		impl.Sgemm(tA, tB, m, n, k, 1, a, lda, bb, ldb, 1, c, n)
	}
}

// The MLP's training products (batch 32, 168 → 1024 → 1024 → 24).
func BenchmarkFwdNT(b *testing.B) {
	benchGemm(b, Implementation{}, blas.NoTrans, blas.Trans, 32, 1024, 1024)
}
func BenchmarkFwdNTGonum(b *testing.B) {
	benchGemm(b, gonum.Implementation{}, blas.NoTrans, blas.Trans, 32, 1024, 1024)
}
func BenchmarkDxNN(b *testing.B) {
	benchGemm(b, Implementation{}, blas.NoTrans, blas.NoTrans, 32, 1024, 1024)
}
func BenchmarkDxNNGonum(b *testing.B) {
	benchGemm(b, gonum.Implementation{}, blas.NoTrans, blas.NoTrans, 32, 1024, 1024)
}
func BenchmarkDwTN(b *testing.B) {
	benchGemm(b, Implementation{}, blas.Trans, blas.NoTrans, 1024, 1024, 32)
}
func BenchmarkDwTNGonum(b *testing.B) {
	benchGemm(b, gonum.Implementation{}, blas.Trans, blas.NoTrans, 1024, 1024, 32)
}

func TestSgemvMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][2]int{{1024, 1024}, {1024, 168}, {24, 1024}, {7, 13}, {5, 3}, {600, 601}, {13, 37}, {12, 64}, {174, 84}} {
		m, n := sh[0], sh[1]
		for _, ab := range [][2]float32{{1, 0}, {1, 1}, {0.5, -2}} {
			lda := n + 5
			a := randSlice(rng, (m-1)*lda+n)
			x := randSlice(rng, n)
			y0 := randSlice(rng, m)
			want := append([]float32(nil), y0...)
			got := append([]float32(nil), y0...)
			gonum.Implementation{}.Sgemv(blas.NoTrans, m, n, ab[0], a, lda, x, 1, ab[1], want, 1)
			Implementation{}.Sgemv(blas.NoTrans, m, n, ab[0], a, lda, x, 1, ab[1], got, 1)
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-3*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("shape %v alpha/beta %v: y[%d] = %v, want %v", sh, ab, i, got[i], want[i])
				}
			}
		}
	}
}

func TestSgemvNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, x, y := randSlice(rng, 1024*1024), randSlice(rng, 1024), make([]float32, 1024)
	f := func() { Implementation{}.Sgemv(blas.NoTrans, 1024, 1024, 1, a, 1024, x, 1, 0, y, 1) }
	f()
	if n := testing.AllocsPerRun(20, f); n != 0 {
		t.Fatalf("%v allocations per Sgemv", n)
	}
}

func BenchmarkGemv1024(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, x, y := randSlice(rng, 1024*1024), randSlice(rng, 1024), make([]float32, 1024)
	b.SetBytes(4 * 1024 * 1024)
	for range b.N {
		Implementation{}.Sgemv(blas.NoTrans, 1024, 1024, 1, a, 1024, x, 1, 0, y, 1)
	}
}

func BenchmarkGemv1024Gonum(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, x, y := randSlice(rng, 1024*1024), randSlice(rng, 1024), make([]float32, 1024)
	b.SetBytes(4 * 1024 * 1024)
	for range b.N {
		gonum.Implementation{}.Sgemv(blas.NoTrans, 1024, 1024, 1, a, 1024, x, 1, 0, y, 1)
	}
}
