// Package fastgemm provides gonum's pure-Go BLAS with a faster
// single-precision matrix product on amd64 CPUs with AVX2 and FMA: register
// tiles of 4×16 and 4×8 (Go assembly micro-kernels) over row-major
// operands (6×16 tiles where rows allow, 12×16 with one 16-lane
// accumulator per row on CPUs with AVX-512F), with transposed operands handled by strided broadcasts or a
// small transposed copy, and the tiles of large products split across
// GOMAXPROCS goroutines; and the untransposed matrix-vector product on
// the calling goroutine, eight rows at a time with AVX-512F where the CPU
// has it. Other BLAS routines, and every routine on other CPUs, are
// gonum's own.
//
// Install it once at start-up (the streamcast binary does so unless built
// with -tags openblas):
//
//	blas32.Use(fastgemm.Implementation{})
package fastgemm

import (
	"runtime"
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum's BLAS with Sgemm replaced by the tiled kernels
// when the CPU has them.
type Implementation struct{ gonum.Implementation }

// Available reports whether the fast kernels run on this CPU.
func Available() bool { return hasKernels }

// minWork is the smallest m·n·k sent to the kernels; below it gonum's
// loops are as fast and the set-up is not worth it.
const minWork = 4096

// useTile12 selects the 12×16 AVX-512 tile (one 16-lane accumulator per
// row) for row blocks of 12 where the CPU has AVX-512F.
var useTile12 = hasAVX512

// parWork is the m·n·k above which the tiles are split across goroutines.
const parWork = 1 << 20

var scratch = sync.Pool{New: func() any { return new([]float32) }}

func getBuf(n int) *[]float32 {
	p := scratch.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C (row-major), like gonum.
func (impl Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	transA := tA == blas.Trans || tA == blas.ConjTrans
	transB := tB == blas.Trans || tB == blas.ConjTrans
	if !hasKernels || m*n*k < minWork || !validTrans(tA) || !validTrans(tB) ||
		!fits(a, lda, m, k, transA) || !fits(b, ldb, k, n, transB) || !fits(c, ldc, m, n, false) {
		// small, or invalid arguments: gonum computes or panics with its message
		impl.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if beta != 1 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
			} else {
				for j := range row {
					row[j] *= beta
				}
			}
		}
	}
	if alpha == 0 || k == 0 {
		return
	}
	if !transB {
		// A[i,p] at a[i*lda+p], or a[p*lda+i] when transposed
		rs, cs := lda, 1
		if transA {
			rs, cs = 1, lda
		}
		run(m, n, k, a, rs, cs, b, ldb, c, ldc, alpha)
		return
	}
	if m <= n {
		// Cᵀ = B·Aᵀ: the stored B (n×k) is the broadcast operand and
		// Aᵀ (k×m) needs contiguous rows.
		at, ldat := a, lda
		var atBuf *[]float32
		if !transA {
			atBuf = getBuf(k * m)
			at, ldat = *atBuf, m
			transpose(at, a, lda, m, k)
		}
		tBuf := getBuf(n * m)
		t := *tBuf
		clear(t)
		run(n, m, k, b, ldb, 1, at, ldat, t, m, alpha)
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] += t[j*m+i]
			}
		}
		scratch.Put(tBuf)
		if atBuf != nil {
			scratch.Put(atBuf)
		}
		return
	}
	// pack op(B) = Bᵀ into k×n rows
	bBuf := getBuf(k * n)
	transpose(*bBuf, b, ldb, n, k)
	rs, cs := lda, 1
	if transA {
		rs, cs = 1, lda
	}
	run(m, n, k, a, rs, cs, *bBuf, n, c, ldc, alpha)
	scratch.Put(bBuf)
}

func validTrans(t blas.Transpose) bool {
	return t == blas.NoTrans || t == blas.Trans || t == blas.ConjTrans
}

// fits reports whether x with leading dimension ld holds a rows×cols
// matrix (stored cols×rows when trans).
func fits(x []float32, ld, rows, cols int, trans bool) bool {
	if trans {
		rows, cols = cols, rows
	}
	if rows < 0 || cols < 0 || ld < max(1, cols) {
		return false
	}
	if rows == 0 || cols == 0 {
		return true
	}
	return len(x) >= (rows-1)*ld+cols
}

// transpose writes the transpose of the r×c matrix src (leading dimension
// lds) into dst as c×r rows of length r.
func transpose(dst, src []float32, lds, r, c int) {
	const blk = 32
	for i0 := 0; i0 < r; i0 += blk {
		i1 := min(i0+blk, r)
		for j0 := 0; j0 < c; j0 += blk {
			j1 := min(j0+blk, c)
			for i := i0; i < i1; i++ {
				s := src[i*lds+j0 : i*lds+j1]
				for jj, v := range s {
					dst[(j0+jj)*r+i] = v
				}
			}
		}
	}
}

// run computes C[m×n] += alpha·A·B with A[i,p] = a[i*rs+p*cs] and B rows
// contiguous (leading dimension ldb), splitting large products across
// goroutines by column blocks (or row blocks when n is narrow).
func run(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int, alpha float32) {
	workers := runtime.GOMAXPROCS(0)
	if m*n*k < parWork || workers < 2 {
		tiles(0, m, 0, n, k, a, rs, cs, b, ldb, c, ldc, alpha)
		return
	}
	var wg sync.WaitGroup
	if n >= 16*2*workers {
		blocks := (n + 15) / 16
		per := (blocks + workers - 1) / workers
		for w := 1; w < workers; w++ {
			j0, j1 := w*per*16, min((w+1)*per*16, n)
			if j0 >= j1 {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				tiles(0, m, j0, j1, k, a, rs, cs, b, ldb, c, ldc, alpha)
			}()
		}
		tiles(0, m, 0, min(per*16, n), k, a, rs, cs, b, ldb, c, ldc, alpha)
	} else {
		blocks := (m + 3) / 4
		per := (blocks + workers - 1) / workers
		for w := 1; w < workers; w++ {
			i0, i1 := w*per*4, min((w+1)*per*4, m)
			if i0 >= i1 {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				tiles(i0, i1, 0, n, k, a, rs, cs, b, ldb, c, ldc, alpha)
			}()
		}
		tiles(0, min(per*4, m), 0, n, k, a, rs, cs, b, ldb, c, ldc, alpha)
	}
	wg.Wait()
}

// tiles updates rows [i0,i1) × columns [j0,j1) of C. When several row
// tiles share a column panel of B, panels are first copied into contiguous
// k×16 buffers, up to 16 panels per pass over B's rows: B rows a power of
// two apart (e.g. 1024 floats) would otherwise map to the same cache sets,
// and reading 1 KiB row segments is kinder to the prefetcher than 64-byte
// strided reads.
func tiles(i0, i1, j0, j1, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int, alpha float32) {
	const f = 4 // bytes per float32
	ap := unsafe.Pointer(unsafe.SliceData(a))
	cp := unsafe.Pointer(unsafe.SliceData(c))
	at := func(p unsafe.Pointer, idx int) *float32 { return (*float32)(unsafe.Add(p, idx*f)) }
	pack := i1-i0 > 4 && ldb > 16
	rowTiles16 := func(j int, bp *float32, lb int) {
		i := i0
		if useTile12 {
			for ; i+12 <= i1; i += 12 {
				kern12x16z(k, at(ap, i*rs), rs*f, cs*f, bp, lb, at(cp, i*ldc+j), ldc*f, alpha)
			}
		}
		for ; i+6 <= i1; i += 6 {
			kern6x16(k, at(ap, i*rs), rs*f, cs*f, bp, lb, at(cp, i*ldc+j), ldc*f, alpha)
		}
		for ; i+4 <= i1; i += 4 {
			kern4x16(k, at(ap, i*rs), rs*f, cs*f, bp, lb, at(cp, i*ldc+j), ldc*f, alpha)
		}
		for ; i < i1; i++ {
			kern1x16(k, at(ap, i*rs), cs*f, bp, lb, at(cp, i*ldc+j), alpha)
		}
	}
	j := j0
	end16 := j0 + (j1-j0)/16*16
	if pack && end16 > j0 {
		const super = 16 // panels per pass
		pbuf := getBuf(k * 16 * super)
		buf := *pbuf
		for js := j0; js < end16; js += 16 * super {
			np := min(super, (end16-js)/16)
			for p := 0; p < k; p++ {
				row := b[p*ldb+js : p*ldb+js+16*np]
				for q := 0; q < np; q++ {
					*(*[16]float32)(buf[(q*k+p)*16:]) = *(*[16]float32)(row[q*16:])
				}
			}
			for q := 0; q < np; q++ {
				rowTiles16(js+q*16, &buf[q*k*16], 16*f)
			}
		}
		scratch.Put(pbuf)
		j = end16
	}
	for ; j+16 <= j1; j += 16 {
		rowTiles16(j, at(unsafe.Pointer(unsafe.SliceData(b)), j), ldb*f)
	}
	var panel []float32
	var pbuf *[]float32
	if pack {
		pbuf = getBuf(k * 8)
		panel = *pbuf
	}
	// panelOf returns the base pointer and stride of columns [j, j+8) of B.
	panelOf := func(j int) (*float32, int) {
		if !pack {
			return at(unsafe.Pointer(unsafe.SliceData(b)), j), ldb * f
		}
		for p := 0; p < k; p++ {
			// array assignment, not copy: a runtime.memmove call per
			// 32-byte row was 13% of an NHITS training step
			*(*[8]float32)(panel[p*8:]) = *(*[8]float32)(b[p*ldb+j:])
		}
		return &panel[0], 8 * f
	}
	for ; j+8 <= j1; j += 8 {
		bp, lb := panelOf(j)
		i := i0
		for ; i+4 <= i1; i += 4 {
			kern4x8(k, at(ap, i*rs), rs*f, cs*f, bp, lb, at(cp, i*ldc+j), ldc*f, alpha)
		}
		for ; i < i1; i++ {
			kern1x8(k, at(ap, i*rs), cs*f, bp, lb, at(cp, i*ldc+j), alpha)
		}
	}
	if pbuf != nil {
		scratch.Put(pbuf)
	}
	if j < j1 {
		// fewer than 8 columns left: zero-padded 8-wide panel into a
		// scratch tile, then add the valid columns
		w := j1 - j
		zb := getBuf(k*8 + 4*8)
		zp, tile := (*zb)[:k*8], (*zb)[k*8:]
		clear(zp)
		for p := 0; p < k; p++ {
			copy(zp[p*8:p*8+w], b[p*ldb+j:p*ldb+j1])
		}
		for i := i0; i < i1; i += 4 {
			r := min(4, i1-i)
			clear(tile)
			if r == 4 {
				kern4x8(k, at(ap, i*rs), rs*f, cs*f, &zp[0], 8*f, &tile[0], 8*f, alpha)
			} else {
				for q := 0; q < r; q++ {
					kern1x8(k, at(ap, (i+q)*rs), cs*f, &zp[0], 8*f, &tile[q*8], alpha)
				}
			}
			for q := 0; q < r; q++ {
				crow := c[(i+q)*ldc+j : (i+q)*ldc+j1]
				for jj := range crow {
					crow[jj] += tile[q*8+jj]
				}
			}
		}
		scratch.Put(zb)
	}
}

// HasAVX512 reports whether the 12×16 AVX-512 tiles run on this CPU.
func HasAVX512() bool { return useTile12 }
