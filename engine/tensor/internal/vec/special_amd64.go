//go:build amd64 && !purego

package vec

//go:noescape
func sigmoidAVX2(dst, src *float32, n int)

//go:noescape
func tanhAVX2(dst, src *float32, n int)

//go:noescape
func normCDFAVX2(dst, src *float32, n int)

//go:noescape
func normCDF2AVX2(dst, src *float32, n int)

// Sigmoid sets dst[i] = 1/(1+exp(−src[i])) for i < len(dst); dst may alias src.
func Sigmoid(dst, src []float32) {
	src = src[:len(dst)]
	if n := split(len(dst)); n > 0 {
		sigmoidAVX2(&dst[0], &src[0], n)
		dst, src = dst[n:], src[n:]
	}
	sigmoidGo(dst, src)
}

// Tanh sets dst[i] = tanh(src[i]) for i < len(dst); dst may alias src.
func Tanh(dst, src []float32) {
	src = src[:len(dst)]
	if n := split(len(dst)); n > 0 {
		tanhAVX2(&dst[0], &src[0], n)
		dst, src = dst[n:], src[n:]
	}
	tanhGo(dst, src)
}

// NormCDF sets dst[i] = Φ(src[i]), the standard normal CDF, for
// i < len(dst); dst may alias src.
func NormCDF(dst, src []float32) {
	src = src[:len(dst)]
	if n := split(len(dst)) &^ 15; n > 0 {
		normCDF2AVX2(&dst[0], &src[0], n)
		dst, src = dst[n:], src[n:]
	}
	if n := split(len(dst)); n > 0 {
		normCDFAVX2(&dst[0], &src[0], n)
		dst, src = dst[n:], src[n:]
	}
	normCDFGo(dst, src)
}

//go:noescape
func eluAVX2(dst, src *float32, n int, alpha float32)

// ELU sets dst[i] = src[i] for src[i] > 0 and α(e^{src[i]} − 1) otherwise,
// for i < len(dst); dst may alias src.
func ELU(dst, src []float32, alpha float32) {
	src = src[:len(dst)]
	if n := split(len(dst)); n > 0 {
		eluAVX2(&dst[0], &src[0], n, alpha)
		dst, src = dst[n:], src[n:]
	}
	eluGo(dst, src, alpha)
}

//go:noescape
func softplusAVX2(dst, src *float32, n int, beta, threshold float32)

// Softplus sets dst[i] = ln(1 + e^{β·src[i]})/β, or src[i] where
// β·src[i] > threshold (torch.nn.Softplus), for i < len(dst); dst may alias src.
func Softplus(dst, src []float32, beta, threshold float32) {
	src = src[:len(dst)]
	if n := split(len(dst)); n > 0 {
		softplusAVX2(&dst[0], &src[0], n, beta, threshold)
		dst, src = dst[n:], src[n:]
	}
	softplusGo(dst, src, beta, threshold)
}
