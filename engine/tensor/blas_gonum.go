//go:build !openblas

package tensor

// Backend names the BLAS implementation in use: gonum's pure-Go kernels by
// default, so the binary stays static.
const Backend = "gonum"

// BackendInfo describes the BLAS implementation in use.
func BackendInfo() string { return Backend }
