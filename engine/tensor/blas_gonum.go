//go:build !openblas

package tensor

import (
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/streamcast/streamcast/engine/fastgemm"
)

// Backend names the BLAS implementation in use: gonum's blas32 interface
// in pure Go by default, so the binary stays static.
const Backend = "gonum"

// BackendInfo describes the BLAS implementation in use.
func BackendInfo() string { return Backend }

// The pure-Go build runs matrix products on fastgemm's AVX2/FMA kernels
// (gonum's own code on CPUs without them) in every program that uses
// tensors, not only the CLI; -tags openblas installs OpenBLAS instead.
func init() { blas32.Use(fastgemm.Implementation{}) }
