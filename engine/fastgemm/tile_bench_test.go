package fastgemm

import (
	"testing"

	"gonum.org/v1/gonum/blas"
)

// BenchmarkTile12 compares the AVX2 (6×16) and AVX-512 (12×16) row tilings
// on the MLP's training products.
func BenchmarkTile12(b *testing.B) {
	old := useTile12
	defer func() { useTile12 = old }()
	for _, on := range []bool{false, true} {
		useTile12 = on
		for _, sh := range []struct {
			name    string
			tA, tB  blas.Transpose
			m, n, k int
		}{{"fwdNT", blas.NoTrans, blas.Trans, 32, 1024, 1024}, {"dxNN", blas.NoTrans, blas.NoTrans, 32, 1024, 1024}, {"dwTN", blas.Trans, blas.NoTrans, 1024, 1024, 32}, {"fwd1NT", blas.NoTrans, blas.Trans, 32, 1024, 168}} {
			b.Run(sh.name+map[bool]string{false: "-avx2", true: "-z12"}[on], func(b *testing.B) { benchGemm(b, Implementation{}, sh.tA, sh.tB, sh.m, sh.n, sh.k) })
		}
	}
}
