//go:build amd64 && !purego

package vec

import "golang.org/x/sys/cpu"

// HasAVX2 reports whether Exp uses the AVX2+FMA kernel.
var HasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func expAVX2(dst, src *float32, n int) (done int)

// Exp writes eˣ of every src element into dst (len(dst) elements; src must
// be at least as long; dst may alias src): eight lanes at a time with AVX2
// when available, the portable kernel otherwise, for the tail, and for any
// block of eight holding an input outside the vector kernel's range
// (overflow, subnormal results, NaN). Results match Exp32 to about 1 ulp.
func Exp(dst, src []float32) {
	src = src[:len(dst)]
	n := len(dst) &^ 7
	if !HasAVX2 {
		n = 0
	}
	i := 0
	for i < n {
		i += expAVX2(&dst[i], &src[i], n-i)
		if i < n {
			expGo(dst[i:i+8], src[i:i+8])
			i += 8
		}
	}
	expGo(dst[n:], src[n:])
}
