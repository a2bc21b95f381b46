package fastgemm

import "gonum.org/v1/gonum/blas"

// Sgemv computes y = alpha·op(A)·x + beta·y like gonum; the untransposed
// unit-stride case (a layer's weights times one input row) runs on the
// AVX-512 or AVX2/FMA dot kernels.
//
// It runs on the calling goroutine only. Splitting the rows of a large
// matrix across two goroutines (as this package did) was slower on the
// 2-core machines streamcast is measured on: the matrix streams from the
// shared cache, whose bandwidth two cores barely raise, while the hand-off
// to a second goroutine costs a wake-up per product, and when another
// process holds the second core the caller waits a scheduler slice for its
// half (NHITS single-series forecast 310–400 µs split against 170–250 µs
// unsplit, MLP 100–190 against 70–110, alternating runs).
func (impl Implementation) Sgemv(tA blas.Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	if !hasKernels || tA != blas.NoTrans || incX != 1 || incY != 1 || m < 4 || n < 8 ||
		lda < n || len(a) < (m-1)*lda+n || len(x) < n || len(y) < m {
		impl.Implementation.Sgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
		return
	}
	y = y[:m]
	if beta == 0 {
		clear(y)
	} else if beta != 1 {
		for i := range y {
			y[i] *= beta
		}
	}
	if alpha == 0 {
		return
	}
	gemvRows(m, n, alpha, a, lda, x, y)
}

// gemvRows adds alpha·A·x to y for the m rows of A: eight rows at a time
// with AVX-512 (dot8z), then four (dot4), the columns past the kernels'
// multiple of 16 (or 8) and the last rows in Go.
func gemvRows(m, n int, alpha float32, a []float32, lda int, x, y []float32) {
	var out [8]float32
	i := 0
	if n16 := n &^ 15; hasAVX512 && n16 > 0 {
		for ; i+8 <= m; i += 8 {
			dot8z(n16, &a[i*lda], lda*4, &x[0], &out[0])
			addRows(y[i:i+8], out[:8], alpha, a[i*lda:], lda, n16, n, x)
		}
	}
	if n8 := n &^ 7; n8 > 0 {
		for ; i+4 <= m; i += 4 {
			dot4(n8, &a[i*lda], lda*4, &x[0], &out[0])
			addRows(y[i:i+4], out[:4], alpha, a[i*lda:], lda, n8, n, x)
		}
	}
	for ; i < m; i++ {
		row := a[i*lda : i*lda+n]
		var s float32
		for p, v := range row {
			s += v * x[p]
		}
		y[i] += alpha * s
	}
}

// addRows adds alpha·(out[r] + Σ_{p∈[from,n)} a[r·lda+p]·x[p]) to y[r].
func addRows(y, out []float32, alpha float32, a []float32, lda, from, n int, x []float32) {
	for r := range y {
		s := out[r]
		row := a[r*lda : r*lda+n]
		for p := from; p < n; p++ {
			s += row[p] * x[p]
		}
		y[r] += alpha * s
	}
}
