package fastgemm

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
)

// gemvPar is the matrix size (m·n) above which Sgemv splits rows across
// goroutines: a 1024×1024 weight matrix is read from the shared cache, and
// two cores read it about twice as fast as one.
const gemvPar = 1 << 18

// gemvJob is one half of a parallel Sgemv, handed to the persistent helper
// goroutine through a channel so that a call allocates nothing.
type gemvJob struct {
	m, n  int
	alpha float32
	a     []float32
	lda   int
	x, y  []float32
	done  chan struct{}
}

var (
	gemvOnce sync.Once
	gemvJobs chan gemvJob
	gemvMu   sync.Mutex // one parallel Sgemv at a time uses the helper
)

func gemvHelper() {
	for j := range gemvJobs {
		gemvRows(j.m, j.n, j.alpha, j.a, j.lda, j.x, j.y)
		j.done <- struct{}{}
	}
}

// Sgemv computes y = alpha·op(A)·x + beta·y like gonum; the untransposed
// unit-stride case of large matrices (a layer's weights times one input
// row) runs on the AVX2/FMA dot kernel, split across two goroutines.
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
	if m*n < gemvPar || runtime.GOMAXPROCS(0) < 2 || !gemvMu.TryLock() {
		gemvRows(m, n, alpha, a, lda, x, y)
		return
	}
	defer gemvMu.Unlock()
	gemvOnce.Do(func() {
		gemvJobs = make(chan gemvJob)
		go gemvHelper()
	})
	half := (m / 2) &^ 3
	done := gemvDone
	gemvJobs <- gemvJob{m: m - half, n: n, alpha: alpha, a: a[half*lda:], lda: lda, x: x, y: y[half:], done: done}
	gemvRows(half, n, alpha, a, lda, x, y[:half])
	<-done
}

// gemvDone is reused by every parallel call (they are serialised by gemvMu).
var gemvDone = make(chan struct{})

// gemvRows adds alpha·A·x to y for the m rows of A.
func gemvRows(m, n int, alpha float32, a []float32, lda int, x, y []float32) {
	n8 := n &^ 7
	var out [4]float32
	i := 0
	for ; i+4 <= m; i += 4 {
		if n8 > 0 {
			dot4(n8, &a[i*lda], lda*4, &x[0], &out[0])
		} else {
			out = [4]float32{}
		}
		for r := 0; r < 4; r++ {
			s := out[r]
			row := a[(i+r)*lda : (i+r)*lda+n]
			for p := n8; p < n; p++ {
				s += row[p] * x[p]
			}
			y[i+r] += alpha * s
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
