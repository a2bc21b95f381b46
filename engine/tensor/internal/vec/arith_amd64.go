//go:build amd64 && !purego

package vec

//go:noescape
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func subAVX2(dst, a, b *float32, n int)

//go:noescape
func mulAVX2(dst, a, b *float32, n int)

//go:noescape
func divAVX2(dst, a, b *float32, n int)

//go:noescape
func mulAddAVX2(dst, a, b *float32, n int)

//go:noescape
func polyAVX2(dst, x *float32, n int, c *float32, nc int)

// split returns the length handled by the vector kernels.
func split(n int) int {
	if !HasAVX2 {
		return 0
	}
	return n &^ 7
}

// Add sets dst[i] = a[i] + b[i] for i < len(dst); a and b must be at least
// as long and any of the three may alias.
func Add(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if n := split(len(dst)); n > 0 {
		addAVX2(&dst[0], &a[0], &b[0], n)
		dst, a, b = dst[n:], a[n:], b[n:]
	}
	addGo(dst, a, b)
}

// Sub sets dst[i] = a[i] − b[i] (see Add for lengths and aliasing).
func Sub(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if n := split(len(dst)); n > 0 {
		subAVX2(&dst[0], &a[0], &b[0], n)
		dst, a, b = dst[n:], a[n:], b[n:]
	}
	subGo(dst, a, b)
}

// Mul sets dst[i] = a[i]·b[i] (see Add for lengths and aliasing).
func Mul(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if n := split(len(dst)); n > 0 {
		mulAVX2(&dst[0], &a[0], &b[0], n)
		dst, a, b = dst[n:], a[n:], b[n:]
	}
	mulGo(dst, a, b)
}

// Div sets dst[i] = a[i] / b[i] (see Add for lengths and aliasing).
func Div(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if n := split(len(dst)); n > 0 {
		divAVX2(&dst[0], &a[0], &b[0], n)
		dst, a, b = dst[n:], a[n:], b[n:]
	}
	divGo(dst, a, b)
}

// MulAdd sets dst[i] += a[i]·b[i] (fused multiply-add on the vector path).
func MulAdd(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if n := split(len(dst)); n > 0 {
		mulAddAVX2(&dst[0], &a[0], &b[0], n)
		dst, a, b = dst[n:], a[n:], b[n:]
	}
	mulAddGo(dst, a, b)
}

// Poly sets dst[i] = Σ_k c[k]·x[i]^k (Horner's rule; c non-empty, lowest
// degree first). dst may alias x.
func Poly(dst, x, c []float32) {
	x = x[:len(dst)]
	if n := split(len(dst)); n > 0 {
		polyAVX2(&dst[0], &x[0], n, &c[0], len(c))
		dst, x = dst[n:], x[n:]
	}
	polyGo(dst, x, c)
}
