//go:build !amd64 || purego

package vec

// HasAVX2 reports whether Exp uses the AVX2+FMA kernel.
const HasAVX2 = false

// Exp writes eˣ of every src element into dst (len(dst) elements; src must
// be at least as long; dst may alias src).
func Exp(dst, src []float32) { expGo(dst, src) }
